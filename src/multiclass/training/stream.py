"""Training from a stream of batches: tables larger than memory, on one process or data-parallel under torchrun.

The loop is `multiclass.training.loop`'s, fed by `multiclass.data.stream` instead of device-resident arrays:
Adam on torch's cross-entropy (+ L2), validation once per epoch feeding `EarlyStopping`, ReduceLROnPlateau, and
the best weights restored at the end. (loop.py's engines index into resident data, so their step cannot be
reused; the few lines of its epoch bookkeeping are repeated here.)

Each step is written so that W ranks reproduce one process exactly. Rank r computes the *sum* of its rows'
losses and scales it by ``W / N``, where N is the number of rows in the step over all ranks (the sum of the
class weights of those rows when weighting); DDP averages gradients over the ranks (divides by W), so the
update is the gradient of the mean loss over the global batch -- also when ranks hold unequal batches, or none
(a rank whose data ran out steps on an empty batch, so that every rank takes the same number of steps, which
DDP requires). N comes from the scan's row counts, known to every rank in advance; only class weights need one
scalar ``all_reduce`` per step. Validation counts (per-class tp, predicted and true totals, loss sums) are
summed over the ranks and broadcast from rank 0, so every rank takes the same early-stopping decision.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from multiclass.data.stream import (
    DEFAULT_BATCH_ROWS,
    TableScan,
    TableSource,
    epoch_batches,
    epoch_pieces,
    iter_encoded,
    rows_of,
    scan_table,
)
from multiclass.exceptions import ConfigError, DataError
from multiclass.functional import l2_penalty
from multiclass.metrics import scores_from_totals
from multiclass.metrics.from_confusion import prf_from_totals
from multiclass.models import MLP, ModelConfig, build_model, chunk_rows
from multiclass.trained import TrainedModel
from multiclass.training.config import TrainConfig, monitor_mode
from multiclass.distributed import Comm
from multiclass.training.early_stopping import EarlyStopping
from multiclass.training.loop import TrainResult, restore_best
from multiclass.training.progress import make_progress
from multiclass.classes import monitored_class, resolve_class_weight

__all__ = ["StreamConfig", "fit_stream", "train_stream"]

# Rows per forward pass when validating (as loop._EVAL_CHUNK; fewer for a wide network: `models.chunk_rows`).
_EVAL_CHUNK = 8192


@dataclass(frozen=True)
class StreamConfig:
    """How a table is streamed (saved with the model, under ``data.stream``).

    Parameters
    ----------
    shuffle_buffer : int, default=262144
        Rows shuffled together (see `multiclass.data.stream.batches`); 262,144 rows x 100 float32 features is
        100 MB. A buffer at least as large as the training rows shuffles them all, as in-memory training does.
    batch_rows : int, default=65536
        Rows per Parquet record batch read from disk (CSV is read in 8 MiB blocks).
    shuffle : bool, default=True
        False reads pieces and rows in file order (reproducible comparisons, e.g. against several ranks).
    """

    shuffle_buffer: int = 262_144
    batch_rows: int = DEFAULT_BATCH_ROWS
    shuffle: bool = True

    def __post_init__(self):
        for name in ("shuffle_buffer", "batch_rows"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ConfigError(f"`{name}` must be an integer >= 1; got {value!r}.")
        if not isinstance(self.shuffle, bool):
            raise ConfigError(f"`shuffle` must be True or False; got {self.shuffle!r}.")

    def to_dict(self) -> dict:
        return asdict(self)


def _class_weight(config: TrainConfig, scan: TableScan) -> np.ndarray | None:
    """`resolve_class_weight` from the scan's class counts (the training rows), without a row-sized array."""
    return resolve_class_weight(config.class_weight, scan.train_class_counts, scan.classes)


def _batch_sizes(rows: list[int], batch_size: int, step: int) -> int:
    """Rows in step `step` over every rank: full batches, then each rank's remainder, then nothing."""
    return sum(min(batch_size, max(0, n - step * batch_size)) for n in rows)


@torch.no_grad()
def _totals(model: MLP, batches, n_classes: int, class_weight, device, comm: Comm) -> torch.Tensor:
    """Summed over ranks: [tp (K), pred_sum (K), true_sum (K), loss_sum, weight_sum, nll_sum] as float64."""
    model.eval()
    k = n_classes
    step = chunk_rows(model, most=_EVAL_CHUNK)
    totals = torch.zeros(3 * k + 3, dtype=torch.float64, device=device)
    for X, y in batches:
        for start in range(0, len(y), step):
            xb = torch.from_numpy(X[start:start + step]).to(device)
            yb = torch.from_numpy(y[start:start + step]).to(device)
            logits = model(xb)  # (n, K)
            pred = logits.argmax(dim=1)
            totals[:k] += torch.bincount(yb[pred == yb], minlength=k)
            totals[k:2 * k] += torch.bincount(pred, minlength=k)
            totals[2 * k:3 * k] += torch.bincount(yb, minlength=k)
            totals[3 * k] += F.cross_entropy(logits, yb, weight=class_weight, reduction="sum").double()
            totals[3 * k + 1] += len(yb) if class_weight is None else class_weight[yb].double().sum()
            totals[3 * k + 2] += F.cross_entropy(logits.double(), yb, reduction="sum")
    model.train()
    return comm.broadcast_(comm.all_reduce_sum(totals))


def _scores(totals: torch.Tensor, n_classes: int, recall_of: int | None) -> dict:
    """val_loss, val_accuracy, val_macro_f1 (as loop._validate computes them) from the summed totals."""
    k = n_classes
    values = totals.cpu().numpy()
    tp, pred_sum, true_sum = (values[i * k:(i + 1) * k].astype(np.int64) for i in range(3))
    if true_sum.sum() == 0:
        raise DataError("the validation rows are empty; give more data, a larger val_split or validation data.")
    _, recall, f1, _ = prf_from_totals(tp, pred_sum, true_sum, zero_division=0.0)
    present = (pred_sum + true_sum) > 0  # macro over classes seen or predicted, as sklearn
    scores = {"val_loss": float(values[3 * k] / values[3 * k + 1]),
              "val_accuracy": float(tp.sum() / true_sum.sum()),
              "val_macro_f1": float(f1[present].mean())}
    if recall_of is not None:
        scores["val_recall"] = float(recall[recall_of])
    return scores


def _validation_batches(source, scan, val_source, comm: Comm):
    """This rank's validation batches: its pieces of the validation data, or of the held-out rows."""
    if val_source is not None:
        pieces = range(comm.rank, len(val_source.pieces), comm.world_size)
        return iter_encoded(val_source, replace(scan, val_fraction=0.0), pieces, "all")
    return iter_encoded(source, scan, range(comm.rank, len(source.pieces), comm.world_size), "validation")


def train_stream(model: MLP, source: TableSource, scan: TableScan, config: TrainConfig | None = None,
                 stream: StreamConfig | None = None, *, val_source: TableSource | None = None,
                 comm: Comm | None = None) -> TrainResult:
    """Train `model` in place on the streamed rows of `source`; return a `TrainResult` with the best weights.

    Parameters
    ----------
    model : MLP
        Built for ``scan.n_features`` inputs and ``scan.n_classes`` outputs.
    source : TableSource
    scan : TableScan
        From `scan_table` on `source`: the encoding, the row counts and the validation split.
    config : TrainConfig, optional
        ``val_split`` is the scan's (``scan.val_fraction``); ``engine`` does not apply (autograd steps).
    stream : StreamConfig, optional
    val_source : TableSource, optional
        Validation data read through the scan's encoding; otherwise the scan's held-out rows validate.
    comm : Comm, optional
        From `multiclass.distributed.init_distributed`; default one process on ``config.device``.
    """
    config = config or TrainConfig()
    stream = stream or StreamConfig()
    if comm is None:
        from multiclass.devices import resolve_device

        comm = Comm(device=resolve_device(config.device))
    if (model.config.n_features, model.config.n_classes) != (scan.n_features, scan.n_classes):
        raise DataError(f"`model` must take {scan.n_features} features and give {scan.n_classes} classes; got "
                        f"{model.config.n_features} and {model.config.n_classes}.")
    if sum(scan.piece_train_rows) == 0:
        raise DataError(f"{source.path}: no rows are left for training after the validation split.")
    recall_of = monitored_class(config.monitor, scan.classes, scan.n_classes)
    weight = _class_weight(config, scan)
    devices = [comm.device.index or 0] if comm.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        # Dropout draws from the global RNG (forked: the caller's is untouched); each rank its own masks, as
        # different rows of one process would get.
        torch.manual_seed(config.seed + comm.rank)
        return _fit(model, source, scan, config, stream, val_source, comm, weight, recall_of)


def _fit(model, source, scan, config, stream, val_source, comm, weight, recall_of) -> TrainResult:
    device = comm.device
    model.to(device).train()
    network = comm.wrap(model)  # DDP averages the gradients over ranks; one process: the model itself
    class_weight = torch.as_tensor(weight, dtype=torch.float32, device=device) if weight is not None else None
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, foreach=True)
    has_val = val_source is not None or scan.val_fraction > 0
    scheduler = None
    if has_val and config.lr_patience is not None:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=monitor_mode(config.monitor), factor=config.lr_factor, patience=config.lr_patience,
            threshold=config.min_delta, threshold_mode="abs")
    weights = model.weight_matrices() if config.l2 > 0 else []
    generator = torch.Generator().manual_seed(config.seed)  # the buffer permutations (CPU, like the buffer)
    stopper = EarlyStopping(monitor_mode(config.monitor), config.patience if has_val else None, config.min_delta)
    best_state = None
    result = TrainResult(model=model, monitor=config.monitor if has_val else None)
    world, batch = comm.world_size, config.batch_size
    low = config.precision == "bfloat16"
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if low else contextlib.nullcontext()
    empty = (np.zeros((0, scan.n_features), np.float32), np.zeros(0, np.int64))
    started = time.perf_counter()
    with make_progress(config.verbose and comm.is_main, config.epochs) as progress:
        try:
            for epoch in range(1, config.epochs + 1):
                tic = time.perf_counter()
                order = epoch_pieces(len(source.pieces), scan.seed, epoch, stream.shuffle)
                rows = [rows_of(scan, order[r::world]) for r in range(world)]  # training rows of each rank
                batches = epoch_batches(source, scan, epoch=epoch, batch_size=batch, shuffle=stream.shuffle,
                                        shuffle_buffer=stream.shuffle_buffer, generator=generator, rank=comm.rank,
                                        world_size=world)
                loss_sum = torch.zeros((), dtype=torch.float64, device=device)
                for step in range(math.ceil(max(rows) / batch)):
                    X, y = next(batches, empty)
                    xb, yb = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)  # (b, F), (b,)
                    n_step = _batch_sizes(rows, batch, step)
                    with autocast:  # precision="bfloat16": torch.autocast
                        ce = F.cross_entropy(network(xb), yb, weight=class_weight,
                                             label_smoothing=config.label_smoothing, reduction="sum")
                    denominator = (float(n_step) if class_weight is None
                                   else comm.all_reduce_sum(class_weight[yb].sum().reshape(1))[0])
                    loss = ce * (world / denominator)  # DDP divides the summed gradients by `world`
                    penalty = l2_penalty(weights, config.l2) if config.l2 > 0 else None
                    if penalty is not None:
                        loss = loss + penalty
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    share = ce.detach() / denominator + (penalty.detach() / world if penalty is not None else 0.0)
                    loss_sum += share.double() * n_step  # summed over ranks: (global mean loss) x rows
                n_rows = sum(rows)
                record = {"epoch": epoch, "train_loss": float(comm.all_reduce_sum(loss_sum)) / n_rows,
                          "lr": optimizer.param_groups[0]["lr"]}
                should_stop = False
                if has_val:
                    totals = _totals(model, _validation_batches(source, scan, val_source, comm), scan.n_classes,
                                     class_weight, device, comm)
                    scores = _scores(totals, scan.n_classes, recall_of)
                    score = scores.pop("val_recall") if recall_of is not None else scores[config.monitor]
                    record.update(scores, val_score=score)
                    should_stop = stopper.step(score)
                    if scheduler is not None:
                        scheduler.step(score)
                    should_stop, improved = comm.broadcast_flags(should_stop, stopper.improved)
                    if improved:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    record.update(val_loss=None, val_accuracy=None, val_macro_f1=None, val_score=None)
                record["epoch_time"] = time.perf_counter() - tic
                result.history.append(record)
                progress.epoch_done(record)
                if should_stop:
                    result.stop_reason = "early_stopping"
                    break
        except KeyboardInterrupt:
            result.stop_reason = "interrupted"
    result.train_time = time.perf_counter() - started
    result.engine = (f"stream (autograd{', bfloat16 autocast' if low else ''}"
                     f"{', DDP x' + str(world) if world > 1 else ''})")
    return restore_best(result, best_state, stopper)


def validation_summary(model: MLP, source, scan, val_source, comm: Comm) -> dict | None:
    """The evaluation summary (`multiclass.workflow.evaluate`'s keys) of `model` on the validation rows."""
    if val_source is None and scan.val_fraction == 0:
        return None
    totals = _totals(model, _validation_batches(source, scan, val_source, comm), scan.n_classes, None,
                     comm.device, comm).cpu().numpy()
    k = scan.n_classes
    tp, pred_sum, true_sum = (totals[i * k:(i + 1) * k].astype(np.int64) for i in range(3))
    n = int(true_sum.sum())
    return {"n_samples": n, **scores_from_totals(tp, pred_sum, true_sum), "log_loss": float(totals[3 * k + 2] / n)}


def fit_stream(path, *, target: str | None, id_column: str | None = None, ignore=(), categorical=(),
               max_categories: int = 1000, hidden=(25, 15), activation: str = "relu", dropout: float = 0.0,
               config: TrainConfig | None = None, stream: StreamConfig | None = None, val_data=None,
               comm: Comm | None = None) -> TrainedModel:
    """Scan a table (file or folder of shards), build the network, train it streaming; return the `TrainedModel`.

    The model file it makes is the one in-memory training makes (same preprocessor state and classes), so
    `predict` and `evaluate` read new data the same way. ``trained.validation`` holds the validation summary of
    the restored weights (n_samples, accuracy, balanced_accuracy, macro_f1, weighted_f1, log_loss).

    Parameters
    ----------
    path : str or Path
        A Parquet or CSV file, or a folder of shards.
    target, id_column, ignore, categorical, max_categories
        As in `multiclass.data.load_table`.
    hidden, activation, dropout
        The network (`multiclass.models.ModelConfig`).
    config : TrainConfig, optional
    stream : StreamConfig, optional
    val_data : str or Path, optional
        Validation data; otherwise ``config.val_split`` of each class is held out, stratified with the counts of
        in-memory training (`multiclass.data.stream.split`).
    comm : Comm, optional
        From `init_distributed` under torchrun; each rank then reads its own pieces.
    """
    config = config or TrainConfig()
    stream = stream or StreamConfig()
    if comm is None:
        from multiclass.devices import resolve_device

        comm = Comm(device=resolve_device(config.device))
    source = TableSource(path, batch_rows=stream.batch_rows)
    val_source = TableSource(val_data, batch_rows=stream.batch_rows) if val_data is not None else None
    scan = scan_table(source, target=target, id_column=id_column, ignore=ignore, categorical=categorical,
                      max_categories=max_categories, val_fraction=0.0 if val_source else config.val_split,
                      seed=config.seed, rank=comm.rank, world_size=comm.world_size, gather=comm.all_gather_object)
    if scan.n_classes < 2:
        raise DataError(f"{path}: training needs at least 2 classes; got {scan.n_classes}.")
    model = build_model(ModelConfig(scan.n_features, scan.n_classes, tuple(hidden), activation, dropout),
                        seed=config.seed)
    result = train_stream(model, source, scan, config, stream, val_source=val_source, comm=comm)
    options = {k: v for k, v in (("target", target), ("id_column", id_column)) if v is not None}
    data_info = {"kind": "table", "source": str(path), "n_samples": scan.n_rows,
                 "feature_names": list(scan.preprocessor.feature_names_), "target_dtype": scan.target_dtype,
                 "image_shape": None, "load_options": options,
                 "stream": {**stream.to_dict(), "world_size": comm.world_size,
                            "val_data": None if val_data is None else str(val_data)}}
    summary = validation_summary(model, source, scan, val_source, comm)  # the restored weights, on the device
    trained = TrainedModel(model=model.cpu(), classes=scan.classes, preprocessor=scan.preprocessor,
                           train_config=config, history=result.history, best_epoch=result.best_epoch,
                           stop_reason=result.stop_reason, data_info=data_info)
    trained.validation = summary or {}
    return trained
