"""`train`: the training loop. Data resident on the device, batches by index slices, Adam, early stopping.

The loop is deliberately plain: one permutation per epoch, then an engine (`multiclass.engine`, chosen by
``TrainConfig.engine``) runs that epoch's steps -- ``index_select`` batches (no DataLoader), cross-entropy on
logits, Adam -- as autograd ("eager", the reference), one compiled call ("fused" on CPU) or CUDA-graph replays.
Validation runs once per epoch on the held-out rows and feeds `EarlyStopping`; the best weights are restored at
the end whatever ended training (patience, the epoch budget or Ctrl-C). These parts are the same for every engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from multiclass.devices import resolve_device
from multiclass.engine import Objective, make_engine
from multiclass.engine.cuda_graph import compile_pays_off
from multiclass.exceptions import ConfigError, DataError
from multiclass.metrics.from_confusion import prf_from_totals
from multiclass.models import MLP, chunk_rows
from multiclass.training.config import TrainConfig, monitor_mode
from multiclass.training.checkpoint import CheckpointState, fingerprint, load_checkpoint, save_checkpoint
from multiclass.training.early_stopping import EarlyStopping
from multiclass.training.progress import make_progress
from multiclass.classes import monitored_class, resolve_class_weight
from multiclass.data.split import stratified_split

__all__ = ["TrainResult", "check_training_data", "train"]

# Rows per forward pass when scoring the validation set (fewer for a wide network: `models.chunk_rows`): large
# enough to amortise per-call overhead, small enough that (rows x widest layer) activations stay in the tens of MB.
_EVAL_CHUNK = 8192
# Settings a resumed run may change: they do not change what is computed (or only within float rounding).
_RESUMABLE_CHANGES = {"epochs", "engine", "device", "verbose", "checkpoint_every"}


@dataclass
class TrainResult:
    """What `train` returns: the trained model (best weights restored) and how it got there.

    Attributes
    ----------
    model : MLP
        The network, holding the weights of `best_epoch` (the last epoch when there was no validation).
    history : list of dict
        One record per epoch: epoch (1-based), train_loss (objective incl. L2, mean over the epoch),
        lr (the learning rate used in the epoch), val_loss, val_accuracy, val_macro_f1, val_score (the monitored value), epoch_time (seconds).
        The val_* entries are None without validation data.
    best_epoch : int
    best_score : float or None
        The monitored value at `best_epoch`.
    monitor : str or None
    stop_reason : {"early_stopping", "max_epochs", "interrupted"}
    train_time : float
        Seconds spent in the epoch loop.
    engine : str
        The engine that ran the steps and how, e.g. "fused (compiled)", "eager (autograd)".
    """

    model: MLP
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float | None = None
    monitor: str | None = None
    stop_reason: str = "max_epochs"
    train_time: float = 0.0
    engine: str = ""

    @property
    def n_epochs(self) -> int:
        return len(self.history)


def check_training_data(X, y, n_features: int, n_classes: int, name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    """Validate features and targets; return float32 X (N, F) and targets: int64 (N,) or float32 (N, K)."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise DataError(f"`{name}` must be 2-D (n_samples, n_features); got shape {X.shape}.")
    if not np.issubdtype(X.dtype, np.number) and X.dtype != bool:
        raise DataError(f"`{name}` must be numeric; got dtype {X.dtype}.")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not X.flags.writeable:  # torch.from_numpy refuses read-only memory (e.g. a memmap) without a copy
        X = X.copy()
    if X.shape[1] != n_features:
        raise DataError(f"`{name}` must have {n_features} features (the model's input width); got {X.shape[1]}.")
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"`{name}` must be finite; got {X[row, col]} at row {row}, column {col}.")
    y = np.asarray(y)
    y_name = "y" if name == "X" else name.replace("X", "y")
    if len(y) != len(X):
        raise DataError(f"`{y_name}` must have one entry per row of `{name}` ({len(X)}); got {len(y)}.")
    if len(X) == 0:
        raise DataError(f"`{name}` must have at least one row; got 0.")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"`{y_name}` must hold integer class codes in [0, {n_classes}); got dtype {y.dtype}.")
        if y.min() < 0 or y.max() >= n_classes:
            raise DataError(f"`{y_name}` codes must be in [0, {n_classes}); got values in [{y.min()}, {y.max()}].")
        return X, y.astype(np.int64)
    if y.ndim == 2 and y.shape[1] == n_classes:
        y = y.astype(np.float32)
        if not np.isfinite(y).all() or (y < 0).any():
            raise DataError(f"`{y_name}` target rows must be finite and non-negative.")
        return X, y
    raise DataError(f"`{y_name}` must be 1-D class codes or 2-D (n_samples, {n_classes}) rows; got shape {y.shape}.")


def _labels_of(targets: np.ndarray) -> np.ndarray:
    """Class codes of targets: the codes themselves, or the argmax of one-hot / soft rows."""
    return targets if targets.ndim == 1 else targets.argmax(axis=1)


@torch.no_grad()
def _validate(model: MLP, X, targets, labels, recall_of: int | None, class_weight=None):
    """Cross-entropy, accuracy, macro-F1 and (optionally) one class's recall on held-out rows.

    The loss is weighted by `class_weight` exactly as the training loss is (torch's weighted mean for labels),
    so early stopping on val_loss optimises the objective the user asked for.
    """
    model.eval()
    n_classes = model.config.n_classes
    loss_sum = torch.zeros((), dtype=torch.float64, device=X.device)
    if class_weight is None or targets.dim() == 2:
        denominator = float(len(X))
    else:
        denominator = float(class_weight[labels].double().sum())
    # The confusion matrix's diagonal, column sums and row sums are all these scores need: three (K,) bincounts
    # instead of a K x K matrix (800 MB at K = 10,000).
    totals = torch.zeros(3, n_classes, dtype=torch.int64, device=X.device)  # tp, predicted, true per class
    step = chunk_rows(model, most=_EVAL_CHUNK)
    for start in range(0, len(X), step):
        logits = model(X[start : start + step])  # (n, K)
        chunk_targets = targets[start : start + step]
        loss_sum += F.cross_entropy(logits, chunk_targets, weight=class_weight, reduction="sum").double()
        pred, true = logits.argmax(dim=1), labels[start : start + step]
        totals[0] += torch.bincount(true[pred == true], minlength=n_classes)
        totals[1] += torch.bincount(pred, minlength=n_classes)
        totals[2] += torch.bincount(true, minlength=n_classes)
    model.train()
    tp, pred_sum, true_sum = totals.cpu().numpy()
    _, recall, f1, _ = prf_from_totals(tp, pred_sum, true_sum, zero_division=0.0)
    present = (pred_sum + true_sum) > 0  # macro over classes seen or predicted, as sklearn
    scores = {
        "val_loss": float(loss_sum) / denominator,
        "val_accuracy": float(tp.sum() / true_sum.sum()),
        "val_macro_f1": float(f1[present].mean()),
    }
    if recall_of is not None:
        scores["val_recall"] = float(recall[recall_of])
    return scores


def _split(X, targets, config: TrainConfig, X_val, y_val, classes, n_features, n_classes):
    """Return (X_train, y_train, X_val, y_val) with validation arrays None when there is no validation."""
    if X_val is not None or y_val is not None:
        if X_val is None or y_val is None:
            raise DataError("`X_val` and `y_val` must be given together.")
        X_val, y_val = check_training_data(X_val, y_val, n_features, n_classes, name="X_val")
        return X, targets, X_val, y_val
    if config.val_split == 0:
        return X, targets, None, None
    train_idx, val_idx = stratified_split(_labels_of(targets), config.val_split, seed=config.seed, classes=classes)
    return X[train_idx], targets[train_idx], X[val_idx], targets[val_idx]


def train(
    model: MLP,
    X,
    y,
    config: TrainConfig | None = None,
    *,
    X_val=None,
    y_val=None,
    classes: Sequence | None = None,
    checkpoint: str | Path | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train `model` in place and return a `TrainResult` with the best weights restored.

    Parameters
    ----------
    model : MLP
        A network from `multiclass.models.build_model`.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) with integer codes in [0, K), or (n_samples, K) one-hot / soft rows
    config : TrainConfig, optional
    X_val, y_val : array-like, optional
        Explicit validation data; otherwise ``config.val_split`` of the rows are held out, stratified.
    classes : sequence of K class names, optional
        Lets `class_weight` mappings and ``"val_recall:<class>"`` name classes, and error messages show them.
    checkpoint : path, optional
        Write a checkpoint file here every ``config.checkpoint_every`` epochs (see
        `multiclass.training.checkpoint`); it is left in place, the caller removes it once the model is saved.
    resume : bool, default=False
        Continue from `checkpoint` instead of starting afresh. On the CPU the result is bit-identical to an
        uninterrupted run; the data and settings (but for `epochs`, `engine`, `device`, `verbose`) must match.

    Returns
    -------
    TrainResult
    """
    config = config or TrainConfig()
    n_features, n_classes = model.config.n_features, model.config.n_classes
    X, targets = check_training_data(X, y, n_features, n_classes)
    X_tr, y_tr, X_va, y_va = _split(X, targets, config, X_val, y_val, classes, n_features, n_classes)
    recall_of = monitored_class(config.monitor, classes, n_classes)
    weight = resolve_class_weight(config.class_weight, np.bincount(_labels_of(y_tr), minlength=n_classes), classes)
    device = resolve_device(config.device)
    if resume and checkpoint is None:
        raise ConfigError("`resume=True` needs the `checkpoint` path to resume from.")
    settings = {k: v for k, v in config.to_dict().items() if k not in _RESUMABLE_CHANGES}
    run_id = fingerprint(X, targets, {"config": settings, "model": model.config.to_dict(),
                                      "val": None if X_val is None else fingerprint(X_va, y_va, {})})
    resume_from = load_checkpoint(checkpoint, run_id) if resume else None

    fork_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(config.seed)  # dropout draws from the global RNG, forked so the caller's is untouched
        run = _Run(checkpoint=Path(checkpoint) if checkpoint else None, resume_from=resume_from, run_id=run_id)
        return _fit(model, config, device, X_tr, y_tr, X_va, y_va, weight, recall_of, run)


@dataclass
class _Run:
    """Where a run checkpoints, and the checkpoint it resumes from (None for a fresh start)."""

    checkpoint: Path | None
    resume_from: CheckpointState | None
    run_id: str


def _fit(model, config, device, X_tr, y_tr, X_va, y_va, weight, recall_of, run: _Run) -> TrainResult:
    model.to(device).train()
    X_tr, y_tr = torch.from_numpy(X_tr).to(device), torch.from_numpy(y_tr).to(device)
    has_val = X_va is not None
    if has_val:
        X_va, y_va = torch.from_numpy(X_va).to(device), torch.from_numpy(y_va).to(device)
        labels_va = y_va if y_va.dim() == 1 else y_va.argmax(dim=1)
    class_weight = torch.as_tensor(weight, dtype=torch.float32, device=device) if weight is not None else None
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, foreach=True)
    scheduler = None
    if has_val and config.lr_patience is not None:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=monitor_mode(config.monitor), factor=config.lr_factor, patience=config.lr_patience,
            threshold=config.min_delta, threshold_mode="abs",
        )
    objective = Objective(class_weight=class_weight, label_smoothing=config.label_smoothing, l2=config.l2)
    generator = torch.Generator(device=device).manual_seed(config.seed)
    monitor = config.monitor if has_val else None
    stopper = EarlyStopping(monitor_mode(config.monitor), config.patience if has_val else None, config.min_delta)
    best_state = None
    result = TrainResult(model=model, monitor=monitor)
    first_epoch = 1
    if run.resume_from is not None:  # before the engine is built: it binds to the optimiser's state tensors
        saved = run.resume_from
        model.load_state_dict(saved.model)
        optimizer.load_state_dict(saved.optimizer)
        if scheduler is not None and saved.scheduler is not None:
            scheduler.load_state_dict(saved.scheduler)
        stopper.load_state_dict(saved.stopper)
        generator.set_state(saved.generator)
        torch.set_rng_state(saved.global_rng)
        best_state = {k: v.to(device) for k, v in saved.best.items()} if saved.best is not None else None
        result.history = list(saved.history)
        first_epoch = saved.epoch + 1
    planned_steps = (config.epochs - first_epoch + 1) * -(-len(X_tr) // config.batch_size)
    compile_step = config.compile_step == "always" or (
        config.compile_step == "auto" and compile_pays_off(planned_steps))
    engine = make_engine(config.engine, model, X_tr, y_tr, objective, config.batch_size, optimizer,
                         precision=config.precision, compile_step=compile_step)
    n = len(X_tr)
    started = time.perf_counter()
    with make_progress(config.verbose, config.epochs) as progress:
        try:
            for epoch in range(first_epoch, config.epochs + 1):
                tic = time.perf_counter()
                order = torch.randperm(n, generator=generator, device=device)
                loss_sum = engine.run_epoch(order)  # sum over batches of loss x rows
                record = {"epoch": epoch, "train_loss": loss_sum / n, "lr": optimizer.param_groups[0]["lr"]}
                if has_val:
                    scores = _validate(model, X_va, y_va, labels_va, recall_of, class_weight)
                    score = scores.pop("val_recall", None) if recall_of is not None else scores[config.monitor]
                    record.update(scores, val_score=score)
                    should_stop = stopper.step(score)
                    if scheduler is not None:
                        scheduler.step(score)
                    if stopper.improved:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    record.update(val_loss=None, val_accuracy=None, val_macro_f1=None, val_score=None)
                    should_stop = False
                record["epoch_time"] = time.perf_counter() - tic
                result.history.append(record)
                progress.epoch_done(record)
                if should_stop:
                    result.stop_reason = "early_stopping"
                    break
                if run.checkpoint is not None and epoch % config.checkpoint_every == 0:
                    save_checkpoint(run.checkpoint, CheckpointState(
                        epoch=epoch, history=result.history, model=model.state_dict(), best=best_state,
                        optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict() if scheduler else None,
                        stopper=stopper.state_dict(), generator=generator.get_state(),
                        global_rng=torch.get_rng_state(), fingerprint=run.run_id,
                    ))
        except KeyboardInterrupt:
            # Ctrl-C ends training like patience does: keep the best weights and report how it ended.
            result.stop_reason = "interrupted"
    result.train_time = time.perf_counter() - started
    result.engine = f"{engine.name} ({engine.backend})"  # after training: a failed CUDA-graph capture changes it
    return restore_best(result, best_state, stopper)


def restore_best(result: TrainResult, best_state: dict | None, stopper: EarlyStopping) -> TrainResult:
    """End a run: load the best epoch's weights into the model (the last epoch's without validation)."""
    if best_state is not None:
        result.model.load_state_dict(best_state)
        result.best_epoch, result.best_score = stopper.best_epoch, stopper.best_score
    else:
        result.best_epoch = len(result.history)
    result.model.eval()
    return result
