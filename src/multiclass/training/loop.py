"""The training loop -- one loop for resident and streamed data, one or N ranks, every engine.

`train` (arrays) and `train_stream` (a table larger than memory, optionally under torchrun) only check their
inputs and build two things: a source of training rows (`multiclass.training.sources`: the seam where the two
differ) and a validation (`multiclass.training.validation`). Everything else is this module's `_run`, the same
for both: Adam, the epochs, validation once per epoch feeding `EarlyStopping`, ReduceLROnPlateau, the history,
the progress display, Ctrl-C, checkpoints every ``checkpoint_every`` epochs and an exact resume from them, and
the best weights restored at the end whatever ended training (patience, the epoch budget or Ctrl-C).

Under torchrun every rank runs this loop: the validation totals are summed over the ranks and the stop decision
is rank 0's, so all ranks stop together; only rank 0 writes checkpoints (with every rank's random state).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from multiclass.classes import resolve_class_weight
from multiclass.devices import resolve_device
from multiclass.distributed import Comm
from multiclass.engine.step import Objective
from multiclass.exceptions import ConfigError, DataError, EpochLimitWarning, ModelFileError
from multiclass.models import MLP
from multiclass.training.arrays import check_training_data, is_sparse, split_training_data
from multiclass.training.checkpoint import CheckpointState, fingerprint, load_checkpoint, save_checkpoint
from multiclass.training.config import TrainConfig, monitor_mode
from multiclass.training.divergence import check_loss
from multiclass.training.early_stopping import EarlyStopping
from multiclass.training.plateau import PlateauSchedule
from multiclass.training.progress import make_progress
from multiclass.training.sources import ResidentData, SparseData
from multiclass.training.monitor import cost_tensor, watched_of
from multiclass.training.validation import (ResidentValidation, SparseValidation, monitored_value,
                                           scores_of_totals, tiebreak_of)

__all__ = ["Run", "TrainResult", "restore_best", "run_of", "run_training", "settings_of", "train"]

# Settings a resumed run may change: they do not change what is computed (or only within float rounding).
_RESUMABLE_CHANGES = {"epochs", "engine", "device", "verbose", "log_every", "checkpoint_every"}


@dataclass
class TrainResult:
    """What `train` returns: the trained model (best weights restored) and how it got there.

    Attributes
    ----------
    model : MLP
        The network, holding the weights of `best_epoch` (the last epoch when there was no validation).
    history : list of dict
        One record per epoch: epoch (1-based), train_loss (objective incl. L2, mean over the epoch), lr (the
        learning rate used in the epoch), val_loss, val_accuracy, val_macro_f1, val_score (the monitored value),
        epoch_time (seconds). The val_* entries are None without validation data.
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


@dataclass
class Run:
    """Where a run checkpoints (None: it does not), the checkpoint it resumes from, and its fingerprint."""

    checkpoint: Path | None
    resume: bool
    run_id: str


def settings_of(config: TrainConfig, model: MLP, **extra) -> dict:
    """What a resumed run must share with the run it continues (hashed into the checkpoint's fingerprint)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in _RESUMABLE_CHANGES}
    return {"config": settings, "model": model.config.to_dict(), **extra}


def train(model: MLP, X, y, config: TrainConfig | None = None, *, X_val=None, y_val=None,
          classes: Sequence | None = None, checkpoint: str | Path | None = None, resume: bool = False) -> TrainResult:
    """Train `model` in place on arrays and return a `TrainResult` with the best weights restored.

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
        Lets `class_weight` mappings and ``"val_recall:<class>"`` / ``"val_critical:<classes>"`` name classes, and
        error messages show them.
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
    X_tr, y_tr, X_va, y_va = split_training_data(X, targets, config, X_val, y_val, classes, n_features, n_classes)
    device = resolve_device(config.device)
    validation = None
    if is_sparse(X_tr):  # TF-IDF rows: never densified whole
        data = SparseData(X_tr, y_tr, device, config.seed)
        if X_va is not None:
            validation = SparseValidation(X_va, y_va, device)
    else:
        data = ResidentData(X_tr, y_tr, device, config.seed)
        if X_va is not None:
            validation = ResidentValidation(torch.from_numpy(X_va).to(device), torch.from_numpy(y_va).to(device))
    val_id = None if X_val is None else fingerprint(X_va, y_va, {})
    run = run_of(checkpoint, resume, lambda: fingerprint(X, targets, settings_of(config, model, val=val_id)))
    return run_training(model, config, data, validation, classes, Comm(device=device), run)


def run_of(checkpoint, resume: bool, run_id) -> Run:
    if resume and checkpoint is None:
        raise ConfigError("`resume=True` needs the `checkpoint` path to resume from.")
    # The fingerprint hashes the training data: only worth it when a checkpoint is written or read.
    return Run(checkpoint=Path(checkpoint) if checkpoint else None, resume=resume,
                run_id=run_id() if checkpoint else "")


def run_training(model: MLP, config: TrainConfig, data, validation, classes, comm: Comm, run: Run) -> TrainResult:
    """Resolve the class weights and the monitored class, then run the loop with torch's global generator forked
    (dropout draws from it; the caller's state is untouched) and seeded by the seed and the rank."""
    n_classes = model.config.n_classes
    recall_of = watched_of(config, classes, n_classes)
    weight = resolve_class_weight(config.class_weight, data.class_counts(n_classes), classes)
    resume_from = None
    if run.resume:
        resume_from = load_checkpoint(run.checkpoint, run.run_id) if comm.is_main else None
        resume_from = comm.all_gather_object(resume_from)[0]  # rank 0 reads the file; every rank gets it
        if len(resume_from.generators) != comm.world_size:
            raise DataError(f"{run.checkpoint}: the checkpoint was written by {len(resume_from.generators)} "
                            f"rank(s); resume it with as many (this run has {comm.world_size}).")
    device = comm.device
    with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
        torch.manual_seed(config.seed + comm.rank)  # each rank its own dropout masks
        return _run(model, config, data, validation, weight, recall_of, comm, run, resume_from)


def _run(model, config: TrainConfig, data, validation, weight, recall_of, comm: Comm, run: Run,
         resume_from: CheckpointState | None) -> TrainResult:
    device = comm.device
    model.to(device).train()
    class_weight = torch.as_tensor(weight, dtype=torch.float32, device=device) if weight is not None else None
    optimizer = data.make_optimizer(model, config)
    has_val = validation is not None
    scheduler = None
    if has_val and config.lr_patience is not None:
        scheduler = PlateauSchedule(optimizer, mode=monitor_mode(config.monitor), factor=config.lr_factor,
                                    patience=config.lr_patience, threshold=config.min_delta)
    objective = Objective(class_weight=class_weight, label_smoothing=config.label_smoothing, l2=config.l2)
    stopper = EarlyStopping(monitor_mode(config.monitor), config.patience if has_val else None, config.min_delta)
    result = TrainResult(model=model, monitor=config.monitor if has_val else None)
    best_state = None
    first_epoch = 1
    if resume_from is not None:  # before the engine is built: it binds to the optimiser's state tensors
        saved = resume_from
        try:  # a damaged or forged checkpoint: one error naming it and what does not fit, not a traceback
            if saved.best is not None:
                model.load_state_dict(saved.best)  # (checked here: the best weights are loaded only at the end)
            model.load_state_dict(saved.model)
            optimizer.load_state_dict(saved.optimizer)
            if scheduler is not None and saved.scheduler is not None:
                scheduler.load_state_dict(saved.scheduler)
            stopper.load_state_dict(saved.stopper)
            data.generator.set_state(saved.generators[comm.rank])
            torch.set_rng_state(saved.global_rngs[comm.rank])
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as error:
            detail = repr(error.args[0]) if isinstance(error, KeyError) else str(error).strip().splitlines()[0]
            raise ModelFileError(f"{run.checkpoint}: the checkpoint is incomplete or damaged ({detail}); train from "
                                 "scratch without --resume.") from None
        best_state = {k: v.to(device) for k, v in saved.best.items()} if saved.best is not None else None
        result.history = list(saved.history)
        first_epoch = saved.epoch + 1
    data.start(model, objective, optimizer, config, first_epoch, comm)
    n_classes = model.config.n_classes
    costs = cost_tensor(recall_of, device)  # (K, K) of a val_cost monitor, else None
    started = time.perf_counter()
    with make_progress(config.verbose and comm.is_main, config.epochs, patience=stopper.patience,
                       log_every=config.log_every, monitor=config.monitor) as progress:
        try:
            for epoch in range(first_epoch, config.epochs + 1):
                tic = time.perf_counter()
                loss_sum = data.run_epoch(epoch)  # sum over the epoch's batches of loss x rows, over every rank
                record = {"epoch": epoch, "train_loss": loss_sum / data.n_rows, "lr": optimizer.param_groups[0]["lr"]}
                check_loss(record["train_loss"], epoch, lr=record["lr"], l2=config.l2, checkpoint=run.checkpoint)
                should_stop = False
                if has_val:
                    scores = scores_of_totals(validation.totals(model, class_weight, costs), n_classes, recall_of)
                    score = monitored_value(scores, config.monitor)
                    record.update(scores, val_score=score)
                    should_stop = stopper.step(score, tiebreak_of(scores, recall_of))
                    if scheduler is not None:
                        scheduler.step(score)
                    should_stop, improved = comm.broadcast_flags(should_stop, stopper.improved)
                    if improved:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    record.update(val_loss=None, val_accuracy=None, val_macro_f1=None, val_score=None)
                record["epoch_time"] = time.perf_counter() - tic
                result.history.append(record)
                progress.epoch_done(record, best_epoch=stopper.best_epoch, epochs_since_best=stopper.epoch
                                    - stopper.stop_epoch)
                if should_stop:
                    result.stop_reason = "early_stopping"
                    break
                if run.checkpoint is not None and epoch % config.checkpoint_every == 0:
                    _save_checkpoint(run, epoch, result.history, model, best_state, optimizer, scheduler, stopper,
                                     data.generator, comm)
        except KeyboardInterrupt:
            # Ctrl-C ends training like patience does: keep the best weights and report how it ended.
            result.stop_reason = "interrupted"
    result.train_time = time.perf_counter() - started
    result.engine = data.engine_name
    return restore_best(result, best_state, stopper)


def _save_checkpoint(run: Run, epoch, history, model, best_state, optimizer, scheduler, stopper, generator,
                     comm: Comm) -> None:
    """Every rank hands its random states to rank 0, which writes the checkpoint."""
    states = comm.all_gather_object((generator.get_state(), torch.get_rng_state()))
    if comm.is_main:
        save_checkpoint(run.checkpoint, CheckpointState(
            epoch=epoch, history=history, model=model.state_dict(), best=best_state,
            optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict() if scheduler else None,
            stopper=stopper.state_dict(), generators=[s[0] for s in states], global_rngs=[s[1] for s in states],
            fingerprint=run.run_id))


def restore_best(result: TrainResult, best_state: dict | None, stopper: EarlyStopping) -> TrainResult:
    """End a run: load the best epoch's weights into the model (the last epoch's without validation)."""
    if best_state is not None:
        result.model.load_state_dict(best_state)
        result.best_epoch, result.best_score = stopper.best_epoch, stopper.best_score
    else:
        result.best_epoch = len(result.history)
    result.model.eval()
    warn_if_still_improving(result)
    return result


def warn_if_still_improving(result: TrainResult) -> None:
    """Say so when a validated run ran out of epochs with its best epoch in the last 10 % (from 10 epochs on):
    the model had not finished learning, and what to do about it. Reads `result`'s history, best_epoch and
    stop_reason only (a stacked model's `multiclass.sweep.loop.TrialResult` has them too). When every validation
    row was already right at the best epoch, only the loss was still falling (separable classes: the logits grow
    without end), and more epochs are no remedy: it says that instead."""
    epochs = len(result.history)
    validated = bool(result.history) and result.history[-1].get("val_score") is not None
    if not (result.stop_reason == "max_epochs" and validated and epochs >= 10 and result.best_epoch > 0.9 * epochs):
        return
    if result.history[result.best_epoch - 1].get("val_accuracy") == 1.0:
        why = ("every validation row was already right and only the loss still fell (the classes look separable); "
               "more epochs would make the model more confident, not more accurate.")
    else:
        why = "the model was still improving; train again with more `epochs` (or a larger `lr`)."
    warnings.warn(f"training used all {epochs} epochs and its best epoch was {result.best_epoch}: {why}",
                  EpochLimitWarning, stacklevel=3)
