"""Trials of a sweep trained one by one on the CPU's compiled epoch, one per core at a time, instead of in a stack.

A stack (`multiclass.sweep.loop.train_stacked`) shares each step's ~40 operator dispatches among its models, which
pays when an epoch is a few steps of many models (5 folds of 4 candidates on a table of 300 rows). When an epoch
is many steps (a few thousand rows in batches of 32), the dispatches are most of the stack's time, while the
compiled C epoch (`multiclass.engine.compiled`) runs a whole epoch of one model in one call with none -- and the
call releases the GIL, so one model per core trains at once. `alone_pays` chooses by a cost model of the two, from
the sizes alone (the same data chooses the same way on any machine, however busy); bench/alone_probe.py measures
both.

A model trained alone is the model the stack trains -- `train`'s data order from its seed, its Glorot
initialisation, its early stopping and best weights -- within float tolerance (tests/test_sweep_alone.py), but for
its dropout masks: the stack draws them from one generator shared by its models, a model alone from its own
(seeded by its seed), as `train` from torch's. `Trial.keep_last` trials stay stacked.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import torch

from multiclass.classes import Watched
from multiclass.engine import compiled
from multiclass.engine.adam import make_optimizer
from multiclass.engine.fused import FusedEngine
from multiclass.engine.step import Objective, supports
from multiclass.models import build_model, macs_per_row
from multiclass.sweep.grid import Trial, TrialResult
from multiclass.training.config import monitor_mode
from multiclass.training.early_stopping import EarlyStopping
from multiclass.training.monitor import Priced, cost_tensor
from multiclass.training.progress import log_policy, make_progress
from multiclass.training.validation import ResidentValidation, monitored_value, scores_of_totals, tiebreak_of

__all__ = ["alone_pays", "train_alone", "train_group_alone"]

# The cost model of `alone_pays`, in seconds, from bench/alone_probe.py on the 2-core CPU (an AMD EPYC):
# a stacked step costs STACK_STEP_S plus STACK_MAC_S per multiply-add of its models (`macs_per_row` x batch rows);
# a model trained alone costs ALONE_EPOCH_S per epoch (its validation and bookkeeping, under the GIL) plus
# ALONE_MAC_S per multiply-add (the C epoch, one model per core).
STACK_STEP_S = 2.8e-4
STACK_MAC_S = 4.5e-11
ALONE_EPOCH_S = 8e-4
ALONE_MAC_S = 2.6e-11
# Offset of a model's dropout-mask seed from its seed (the data order's), so the two streams differ.
DROPOUT_STREAM = 7919
# Train alone only when the model says it is at least this much faster (the estimates are rough).
ALONE_MARGIN = 0.8


def alone_pays(trials: list[Trial], n_rows: int, device) -> bool:
    """Whether `trials` (one stack's, `n_rows` training rows per model) train faster one by one on the compiled
    epoch than stacked: on the CPU, with the C engine built, float32, no `Trial.keep_last`, and an
    epoch of enough steps that the stack's per-step dispatches outweigh the models' per-epoch costs."""
    if torch.device(device).type != "cpu" or not trials:
        return False
    if any(t.keep_last or t.train_config.engine not in ("auto", "fused")
           or t.train_config.precision != "float32" for t in trials):
        return False
    first = trials[0]
    batch = max(1, min(first.train_config.batch_size, n_rows))
    steps, m = math.ceil(n_rows / batch), len(trials)
    step_macs = batch * macs_per_row(first.model_config)
    stacked = steps * (STACK_STEP_S + m * step_macs * STACK_MAC_S)
    alone = m * (ALONE_EPOCH_S + steps * step_macs * ALONE_MAC_S)
    if alone > ALONE_MARGIN * stacked:
        return False
    return supports(build_model(first.model_config)) and compiled.load() is not None


def train_alone(trial: Trial, X_tr: torch.Tensor, y_tr: torch.Tensor, X_va: torch.Tensor, y_va: torch.Tensor, *,
                class_weight: torch.Tensor | None, recall_of: Watched | Priced | None,
                stop: threading.Event | None = None):
    """Train `trial` on (`X_tr`, `y_tr`) CPU tensors, early-stopped on (`X_va`, `y_va`); its `TrialResult`.

    `class_weight` (K,) weighs the loss as in `train_stacked`. `stop`, once set (Ctrl-C in the caller's thread),
    ends the training after the current epoch with stop reason ``"interrupted"`` and the best weights so far.
    """
    config = trial.train_config
    model = build_model(trial.model_config, seed=config.seed).train()
    generator = torch.Generator().manual_seed(config.seed)  # the permutation stream of `train` with this seed
    objective = Objective(class_weight=class_weight, label_smoothing=config.label_smoothing, l2=config.l2)
    optimizer = make_optimizer("fused", model.parameters(), config.lr)
    # its own stream of dropout masks: torch's global generator is shared by the threads
    masks = torch.Generator().manual_seed(config.seed + DROPOUT_STREAM)
    engine = FusedEngine(model, X_tr, y_tr, objective, config.batch_size, optimizer, threads=None, generator=masks)
    validation = ResidentValidation(X_va, y_va)
    costs = cost_tensor(recall_of, X_va.device)
    stopper = EarlyStopping(monitor_mode(config.monitor), config.patience, config.min_delta)
    result = TrialResult(trial=trial, monitor=config.monitor)
    n_rows, n_classes = len(X_tr), trial.model_config.n_classes
    best = None
    for epoch in range(1, config.epochs + 1):
        tic = time.perf_counter()
        loss_sum = engine.run_epoch(torch.randperm(n_rows, generator=generator))
        scores = scores_of_totals(validation.totals(model, class_weight, costs), n_classes, recall_of)
        value = monitored_value(scores, config.monitor)
        should_stop = stopper.step(value, tiebreak_of(scores, recall_of))
        if stopper.improved:
            best = _state(model)
        result.history.append({"epoch": epoch, "train_loss": loss_sum / n_rows, "lr": config.lr, **scores,
                               "val_score": value, "epoch_time": time.perf_counter() - tic})
        if should_stop:
            result.stop_reason = "early_stopping"
            break
        if stop is not None and stop.is_set():
            result.stop_reason = "interrupted"
            break
    result.state = best if best is not None else _state(model)
    result.best_epoch = stopper.best_epoch or result.n_epochs
    result.best_score = stopper.best_score if stopper.best_epoch else None
    return result


def _state(model) -> dict:
    """A copy of the model's weights (its state dict), as they are now."""
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def train_group_alone(trials: list[Trial], X_tr, y_tr, X_va, y_va, *, class_weight=None,
                      recall_of: Watched | Priced | None = None, verbose: bool = False, label: str = "sweep",
                      rows=None, val_rows=None) -> list:
    """Train `trials` (one stack's, `alone_pays`) with `train_alone`, as many at once as torch has threads, each on
    one; parameters and results as `multiclass.sweep.loop.train_stacked`'s. Ctrl-C stops the models training after
    their epoch (stop reason ``"interrupted"``, best weights kept) and starts no more (those come back
    ``"interrupted"`` with no epochs)."""
    X_tr, y_tr = torch.as_tensor(X_tr), torch.as_tensor(y_tr)
    X_va, y_va = torch.as_tensor(X_va), torch.as_tensor(y_va)
    weight = torch.as_tensor(class_weight, dtype=torch.float32) if class_weight is not None else None
    stop = threading.Event()

    def one(index: int):
        if stop.is_set():
            return TrialResult.not_started(trials[index])
        torch.set_num_threads(1)  # this thread's products on one core: the others train beside it
        own = slice(None) if rows is None else torch.as_tensor(rows[index])
        own_val = slice(None) if val_rows is None else torch.as_tensor(val_rows[index])
        with torch.no_grad():
            return train_alone(trials[index], X_tr[own], y_tr[own], X_va[own_val], y_va[own_val],
                               class_weight=weight, recall_of=recall_of, stop=stop)

    workers = max(1, min(torch.get_num_threads(), len(trials)))
    previous = torch.get_num_threads()
    log_every, min_interval = log_policy(label)
    results = [None] * len(trials)
    try:
        with make_progress(verbose, len(trials), label=label, log_every=log_every, min_interval=min_interval,
                           unit="model") as display, ThreadPoolExecutor(workers) as pool:
            futures = {pool.submit(one, i): i for i in range(len(trials))}
            pending = set(futures)
            try:
                while pending:
                    done, pending = wait(pending, return_when="FIRST_COMPLETED")
                    for future in done:
                        results[futures[future]] = future.result()
                        best = max((r.best_record.get("val_macro_f1", -1.0) for r in results if r is not None),
                                   default=-1.0)
                        display.advance(f"{sum(r is not None for r in results)}/{len(trials)} trained  "
                                        f"best val_macro_f1 {best:.4f}")
            except KeyboardInterrupt:
                stop.set()
                for future, index in futures.items():  # those running end after their epoch, the rest at once
                    try:
                        results[index] = future.result()
                    except KeyboardInterrupt:
                        results[index] = TrialResult.not_started(trials[index])
    finally:
        torch.set_num_threads(previous)
    return results
