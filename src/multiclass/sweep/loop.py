"""`train_stacked`: train M configurations of one network shape together, each as `train` would alone.

Each model keeps everything that makes it itself: its Glorot initialisation (`build_model` with its seed),
its data order (a ``torch.randperm`` per epoch from its own generator seeded as the eager loop seeds it), its
learning rate, L2, dropout and label smoothing, its early stopping and its best weights (a `Trial.keep_last` trial
runs its epochs and keeps its last weights instead). A model whose early
stopping fires is dropped from the stack at the end of that epoch (frozen: its best weights are already
saved), so the ones still training no longer pay for it. Training ends when every model has stopped.

With dropout 0 the result of every model equals ``train(build_model(config, seed), X, y, config, X_val=...,
y_val=...)`` within float tolerance (``tests/test_sweep_stacked.py``). Dropout masks are drawn from one
generator for the stack, so they differ from the eager loop's (which draws from the global RNG).
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np
import torch

from multiclass.classes import Watched
from multiclass.engine.threads import intra_op_threads, threads_for
from multiclass.models import build_model, macs_per_row
from multiclass.sweep.alone import alone_pays, train_group_alone
from multiclass.sweep.converged import train_converged
from multiclass.sweep.grid import Trial, TrialResult
from multiclass.sweep.rows import own_order, padded, row_sets
from multiclass.sweep.stacked import StackedAdam, StackedMLP, copy_rows, cross_entropy_and_grad, select_rows
from multiclass.training.config import monitor_mode
from multiclass.training.early_stopping import EarlyStopping
from multiclass.training.progress import log_policy, make_progress
from multiclass.training.monitor import Priced, cost_tensor, decision_costs
from multiclass.training.validation import monitored_value, tiebreak_of, validation_scores

__all__ = ["FIXED_LENGTH", "MAX_STACK", "TrialResult", "train_stacked", "train_trials"]

# The stop reason of a `Trial.keep_last` trial that ran its epochs (not "max_epochs": it was not cut short).
FIXED_LENGTH = "fixed_length"

# Most models in one stack: beyond this the per-epoch permutations (M x N int64) and activations grow
# without making a step cheaper per model; larger groups train as several stacks, one after another.
MAX_STACK = 256
# Validation scores all M models on the same rows in chunks; a chunk's widest activation (M x rows x width
# float32) is kept to about 2**23 elements = 32 MB.
_EVAL_ELEMENTS = 2**23


@torch.no_grad()
def _validate(stack: StackedMLP, X, labels, class_weight, recall_of: Watched | Priced | None) -> dict[str, np.ndarray]:
    """Per model, each (M,): cross-entropy (weighted as training), accuracy, macro-F1 (and one recall, or the
    decisions' cost) on the shared rows -- the scores of `multiclass.training.validation`, from the M models'
    class totals (M, K)."""
    m, n_classes = stack.n_models, stack.config.n_classes
    costs = cost_tensor(recall_of, X.device)  # (K, K) of a val_cost monitor, else None
    loss_sum = torch.zeros(m, dtype=torch.float64, device=X.device)
    cost_sum = torch.zeros(m, dtype=torch.float64, device=X.device)
    totals = torch.zeros(3, m * n_classes, dtype=torch.int64, device=X.device)  # tp, predicted, true per (model, class)
    offsets = torch.arange(m, device=X.device).unsqueeze(1) * n_classes  # (M, 1)
    chunk = max(1, _EVAL_ELEMENTS // (m * max(stack.widths[1:])))
    for start in range(0, len(X), chunk):
        y = labels[start : start + chunk]  # (n,)
        logits = stack.logits_shared(X[start : start + chunk])  # (M, n, K)
        nll = -torch.log_softmax(logits, dim=-1).gather(-1, y.expand(m, -1).unsqueeze(-1)).squeeze(-1)  # (M, n)
        if class_weight is not None:
            nll = nll * class_weight[y]
        loss_sum += nll.sum(dim=1).double()
        if costs is not None:
            cost_sum += decision_costs(logits, y, costs).sum(dim=1)  # (M,)
        _add_totals(totals, offsets + y, offsets + logits.argmax(dim=-1))
    weight_sum = float(len(X)) if class_weight is None else float(class_weight[labels].double().sum())
    tp, pred_sum, true_sum = totals.view(3, m, n_classes).cpu().numpy()  # (M, K) each
    return validation_scores(tp, pred_sum, true_sum, loss_sum.cpu().numpy(), weight_sum, recall_of,
                             cost_sum.cpu().numpy())


def _add_totals(totals: torch.Tensor, true: torch.Tensor, pred: torch.Tensor) -> None:
    """Add tp, predicted and true counts per (model, class) slot; `true`, `pred` hold slots ``model * K + class``."""
    true, pred = true.reshape(-1), pred.reshape(-1)
    totals[0] += torch.bincount(true[true == pred], minlength=totals.shape[1])
    totals[1] += torch.bincount(pred, minlength=totals.shape[1])
    totals[2] += torch.bincount(true, minlength=totals.shape[1])


@torch.no_grad()
def _validate_own(stack: StackedMLP, X, labels, index, valid, class_weight,
                  recall_of: Watched | Priced | None) -> dict:
    """As `_validate`, but model m scores only its own rows ``X[index[m]]`` where ``valid[m]`` (index (M, n))."""
    m, n_classes = stack.n_models, stack.config.n_classes
    costs = cost_tensor(recall_of, X.device)
    loss_sum = torch.zeros(m, dtype=torch.float64, device=X.device)
    cost_sum = torch.zeros(m, dtype=torch.float64, device=X.device)
    totals = torch.zeros(3, m * n_classes, dtype=torch.int64, device=X.device)
    offsets = torch.arange(m, device=X.device).unsqueeze(1) * n_classes  # (M, 1)
    chunk = max(1, _EVAL_ELEMENTS // (m * max(stack.widths[1:])))
    for start in range(0, index.shape[1], chunk):
        rows, ok = index[:, start : start + chunk], valid[:, start : start + chunk]  # (M, n) each
        y = labels[rows]  # (M, n)
        logits, _ = stack.forward(X[rows.reshape(-1)].view(m, rows.shape[1], -1))  # (M, n, K)
        nll = -torch.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)  # (M, n)
        if class_weight is not None:
            nll = nll * class_weight[y]
        loss_sum += (nll * ok).sum(dim=1).double()
        if costs is not None:
            cost_sum += (decision_costs(logits, y, costs) * ok).sum(dim=1)  # (M,)
        _add_totals(totals, (offsets + y)[ok], (offsets + logits.argmax(dim=-1))[ok])
    weight = valid.double() if class_weight is None else class_weight[labels[index]].double() * valid
    tp, pred_sum, true_sum = totals.view(3, m, n_classes).cpu().numpy()  # (M, K) each
    return validation_scores(tp, pred_sum, true_sum, loss_sum.cpu().numpy(), weight.sum(dim=1).cpu().numpy(),
                             recall_of, cost_sum.cpu().numpy())


def _tensor(values, device) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32, device=device)


class _Hyper:
    """Per-model hyperparameters as broadcastable tensors; None where every model has the neutral value."""

    def __init__(self, trials: list[Trial], device):
        configs = [t.train_config for t in trials]
        l2 = [c.l2 for c in configs]
        self.l2 = _tensor(l2, device) if any(l2) else None  # (M,)
        self.two_l2 = (2 * self.l2).view(-1, 1, 1) if self.l2 is not None else None
        keep = [1 - t.model_config.dropout for t in trials]
        self.keep = _tensor(keep, device).view(-1, 1, 1) if min(keep) < 1 else None
        smoothing = [c.label_smoothing for c in configs]
        self.smoothing = _tensor(smoothing, device).view(-1, 1, 1) if any(smoothing) else None


class _Stack:
    """The models still training: their stacked parameters, Adam state, hyperparameters and best weights.

    Row r of every tensor belongs to trial ``active[r]``. The best weights stay on the device in a buffer of
    the parameters' layout, so an improving epoch costs one copy per block, not a host transfer per model.
    """

    def __init__(self, trials: list[Trial], device):
        self.stack = StackedMLP.from_models([build_model(t.model_config, seed=t.train_config.seed) for t in trials],
                                            device)
        self.hyper = _Hyper(trials, device)
        self.optimizer = StackedAdam(self.stack, [t.train_config.lr for t in trials])
        self.best = self.stack.theta.clone()
        self.active = list(range(len(trials)))

    def run_epoch(self, X, y, order, batch: int, x_buffer, class_weight, dropout_generator) -> torch.Tensor:
        """One pass of every model over its own `order` (M, N) of the rows; each model's summed loss x rows."""
        stack, hyper, m, n_features = self.stack, self.hyper, self.stack.n_models, X.shape[1]
        loss_sum = torch.zeros(m, device=X.device)
        for start in range(0, order.shape[1], batch):
            idx = order[:, start : start + batch].reshape(-1)  # (M * B,): each model's own rows
            rows = x_buffer[: len(idx) * n_features].view(len(idx), n_features)
            xb = torch.index_select(X, 0, idx, out=rows).view(m, -1, n_features)  # (M, B, F)
            yb = y.index_select(0, idx).view(m, -1)  # (M, B)
            logits, cache = stack.forward(xb, hyper.keep, dropout_generator)  # (M, B, K)
            loss, grad_logits = cross_entropy_and_grad(logits, yb, smoothing=hyper.smoothing, class_weight=class_weight)
            if hyper.l2 is not None:
                loss = loss + stack.penalty(hyper.l2)  # before the step, as the eager loop's loss
            stack.backward(cache, grad_logits, hyper.two_l2)
            self.optimizer.step(stack.theta)
            loss_sum.add_(loss, alpha=yb.shape[1])
        return loss_sum

    def snapshot(self, rows: list[int]) -> None:
        """The current weights of `rows` become their best."""
        if rows:
            copy_rows(self.best, self.stack.theta, self.stack.n_models, self.stack.sizes,
                      torch.tensor(rows, dtype=torch.int64, device=self.best.device))

    def state_dict(self, row: int, improved_ever: bool) -> dict:
        """Row `row`'s best weights, or its last ones if it never improved (every score NaN), as `train` keeps."""
        return self.stack.state_dict(row, self.best if improved_ever else None)

    def keep_only(self, rows: list[int]) -> None:
        """Drop every row but `rows` from the parameters, Adam state, hyperparameters and best weights."""
        if not rows:
            self.active = []
            return
        index = torch.tensor(rows, dtype=torch.int64, device=self.best.device)
        old = self.stack
        self.stack = old.select(index)
        for name in ("l2", "two_l2", "keep", "smoothing"):
            value = getattr(self.hyper, name)
            if value is not None:
                setattr(self.hyper, name, value.index_select(0, index))
        self.optimizer = self.optimizer.select(old, self.stack, index)
        self.best = select_rows(self.best, old.n_models, old.sizes, index)
        self.active = [self.active[row] for row in rows]


def train_stacked(
    trials: list[Trial], X_tr, y_tr, X_va, y_va, *, class_weight=None, recall_of: Watched | Priced | None = None,
    device="cpu", dropout_seed: int = 0, verbose: bool = False, label: str = "sweep", rows=None, val_rows=None,
) -> list[TrialResult]:
    """Train every trial (all of one `Trial.stack_key`) on the same rows, or each on its own; one result per trial.

    Parameters
    ----------
    trials : list of Trial
        Same hidden widths, activation and batch size; everything else may differ.
    X_tr, y_tr : ndarray (N, F) float32 and (N,) int64 codes
        The training rows, shared by every model (each shuffles them its own way).
    X_va, y_va : ndarray (n, F) float32 and (n,) int64 codes
        The validation rows that feed every model's early stopping.
    class_weight : ndarray (K,) or None
        Weights of the loss (training and validation), as `train`.
    recall_of : Watched, Priced or None
        The classes watched by a "val_recall:<class>" or "val_critical:<classes>" monitor, or the cost matrix of
        a "val_cost" one (`multiclass.training.monitor.watched_of`).
    device : str or torch.device
    dropout_seed : int
        Seeds the one generator of the stack's dropout masks.
    verbose : bool
        Show a progress bar on stderr.
    label : str, default="sweep"
        The progress lines' first word (`multiclass.training.progress.WORDS`).
    rows : sequence of M index arrays into `X_tr`, optional
        Model m trains on ``X_tr[rows[m]]`` only (out-of-fold models). Each epoch it draws the permutation of its
        rows that `train` would draw on ``X_tr[rows[m]]`` with the same seed, so with sets of equal length every
        model sees each of its rows exactly once per epoch and equals `train` on them. The stack steps all models
        together, so orders have one length: a shorter set's permutation is cycled up to the longest (its first
        rows are seen twice that epoch) -- rather than masking the padding, which would still move Adam's
        moments on the padded steps. `multiclass.audit.folds` makes the sets equal so nothing is cycled.
    val_rows : sequence of M index arrays into `X_va`, optional
        Model m early-stops on ``X_va[val_rows[m]]`` only (sets may differ in length; the validation is masked).
    """
    device = torch.device(device)
    if any(t.stack_key != trials[0].stack_key for t in trials):
        raise ValueError("train_stacked needs trials of one stack_key (hidden, activation, batch_size).")
    state = _Stack(trials, device)
    shared = X_va is X_tr and y_va is y_tr  # out-of-fold models: one copy of the rows serves both roles
    X_tr, y_tr = torch.as_tensor(X_tr, device=device), torch.as_tensor(y_tr, device=device)
    if shared:
        X_va, y_va = X_tr, y_tr
    else:
        X_va, y_va = torch.as_tensor(X_va, device=device), torch.as_tensor(y_va, device=device)
    weight = torch.as_tensor(class_weight, dtype=torch.float32, device=device) if class_weight is not None else None
    # The eager loop's shuffling stream, model by model: a generator seeded with the model's seed, one
    # randperm(n) per epoch.
    generators = [torch.Generator(device=device).manual_seed(t.train_config.seed) for t in trials]
    dropout_generator = torch.Generator(device=device).manual_seed(dropout_seed)
    results = [TrialResult(trial=t, monitor=t.train_config.monitor) for t in trials]
    stoppers = [EarlyStopping(monitor_mode(t.train_config.monitor), t.train_config.patience,
                              t.train_config.min_delta) for t in trials]
    n, batch = len(X_tr), trials[0].train_config.batch_size
    own = None if rows is None else row_sets("rows", rows, len(trials), len(X_tr), device)
    if own is not None:
        n = max(len(values) for values in own)  # rows per model per epoch
    own_val = None if val_rows is None else padded(row_sets("val_rows", val_rows, len(trials), len(X_va), device))
    # The gathered batch rows of all models, allocated once: a fresh multi-MB tensor every step costs page
    # faults that measured as much as the copy itself.
    x_buffer = torch.empty(len(trials) * min(batch, n) * X_tr.shape[1], device=device)
    max_epochs = max(t.train_config.epochs for t in trials)
    step_macs = len(trials) * min(batch, n) * macs_per_row(trials[0].model_config)
    threads = intra_op_threads(threads_for(step_macs)) if device.type == "cpu" else contextlib.nullcontext()
    best_f1 = -math.inf
    log_every, min_interval = log_policy(label)
    with threads, make_progress(verbose, max_epochs, label=label, log_every=log_every,
                                min_interval=min_interval) as display:
        try:
            for epoch in range(1, max_epochs + 1):
                tic = time.perf_counter()
                if own is None:
                    order = torch.stack([torch.randperm(n, generator=generators[j], device=device)
                                         for j in state.active])
                else:
                    order = torch.stack([own_order(own[j], n, generators[j]) for j in state.active])  # (M, n)
                loss_sum = state.run_epoch(X_tr, y_tr, order, batch, x_buffer, weight, dropout_generator)  # (M,)
                train_losses = (loss_sum / n).tolist()
                if own_val is None:
                    scores = _validate(state.stack, X_va, y_va, weight, recall_of)  # name -> (M,)
                else:
                    active = torch.tensor(state.active, device=device)
                    scores = _validate_own(state.stack, X_va, y_va, own_val[0][active], own_val[1][active], weight,
                                           recall_of)
                elapsed = time.perf_counter() - tic
                improved, going_on = [], []
                for row, j in enumerate(state.active):
                    config = trials[j].train_config
                    score = {name: float(values[row]) for name, values in scores.items()}
                    value = monitored_value(score, config.monitor)
                    should_stop = stoppers[j].step(value, tiebreak_of(score, recall_of))
                    if stoppers[j].improved and not trials[j].keep_last:  # a keep_last trial's are its last
                        improved.append(row)
                    results[j].history.append({"epoch": epoch, "train_loss": train_losses[row], "lr": config.lr,
                                               **score, "val_score": value, "epoch_time": elapsed})
                    best_f1 = max(best_f1, score["val_macro_f1"])
                    if should_stop:
                        results[j].stop_reason = "early_stopping"
                    elif epoch >= config.epochs:
                        results[j].stop_reason = FIXED_LENGTH if trials[j].keep_last else "max_epochs"
                    else:
                        going_on.append(row)
                state.snapshot(improved)
                if len(going_on) < len(state.active):
                    for row, j in enumerate(state.active):
                        if row not in going_on:
                            results[j].state = state.state_dict(row, _kept_best(trials[j], stoppers[j]))
                    state.keep_only(going_on)
                display.advance(f"{len(state.active)}/{len(trials)} training  best val_macro_f1 {best_f1:.4f}")
                if not state.active:
                    break
        except KeyboardInterrupt:
            # Ctrl-C ends every model still training like patience does: best weights kept, reason recorded.
            for row, j in enumerate(state.active):
                results[j].stop_reason = "interrupted"
                results[j].state = state.state_dict(row, _kept_best(trials[j], stoppers[j]))
    for j, result in enumerate(results):
        if trials[j].keep_last:  # its weights are the last epoch's: so are its best epoch and score
            result.best_epoch = result.n_epochs
            result.best_score = result.history[-1]["val_score"] if result.history else None
            continue
        result.best_epoch = stoppers[j].best_epoch or result.n_epochs
        result.best_score = stoppers[j].best_score if stoppers[j].best_epoch else None
    return results


def _kept_best(trial: Trial, stopper: EarlyStopping) -> bool:
    """Whether a stopping trial's weights are its best buffer's (it improved at least once) rather than its current
    ones (a `Trial.keep_last` trial, or one whose every score was NaN)."""
    return stopper.best_epoch > 0 and not trial.keep_last


def train_trials(trials: list[Trial], X_tr, y_tr, X_va, y_va, *, class_weight=None,
                 recall_of: Watched | Priced | None = None, device="cpu", dropout_seed: int = 0,
                 verbose: bool = False, label: str = "sweep", rows=None, val_rows=None,
                 reraise: bool = False) -> list[TrialResult]:
    """Train trials of any shapes: those of one `Trial.stack_key` together (stacks of at most `MAX_STACK`), the
    groups one after another; one result per trial, in the order given (parameters as in `train_stacked`;
    `rows` and `val_rows`, when given, hold one index array per trial). On the CPU the groups whose epochs are many
    small steps train one model at a time per core instead, all of them first (`multiclass.sweep.alone`): the same
    models. Trials of the ``"lbfgs"`` solver are fitted first, one by one (`multiclass.sweep.converged`).

    Ctrl-C ends the stack training then (its models keep their best weights) and no further stack starts; with
    `reraise` the `KeyboardInterrupt` is raised again once that stack has stopped (a search that chooses a model
    must not build one from models it cut short), otherwise the stacks not started come back marked
    ``"interrupted"`` with no epochs (the sweep's leaderboard keeps what was trained)."""
    results: list[TrialResult | None] = [None] * len(trials)
    groups: dict[tuple, list[int]] = {}
    for index, trial in enumerate(trials):
        if trial.solver == "lbfgs":  # convex, full batch: seconds at most, so before any stack
            own = slice(None) if rows is None else rows[index]
            own_val = slice(None) if val_rows is None else val_rows[index]
            results[index] = train_converged(trial, X_tr[own], y_tr[own], X_va[own_val], y_va[own_val],
                                             class_weight=class_weight, recall_of=recall_of)
            continue
        groups.setdefault(trial.stack_key, []).append(index)
    parts = [part for members in groups.values() for start in range(0, len(members), MAX_STACK)
             for part in _parts(members[start : start + MAX_STACK], trials, rows, len(X_tr), device)]
    solo = [i for part, alone in parts if alone for i in part]
    runs = ([(solo, True)] if solo else []) + [(part, False) for part, alone in parts if not alone]
    interrupted = False
    for part, alone in runs:
        if interrupted:
            for i in part:
                results[i] = TrialResult.not_started(trials[i])
            continue
        own = {} if rows is None else {"rows": [rows[i] for i in part]}
        if val_rows is not None:
            own["val_rows"] = [val_rows[i] for i in part]
        group = [trials[i] for i in part]
        if alone:  # every group that trains faster so, in one pool: a model per core, whatever its shape
            trained = train_group_alone(group, X_tr, y_tr, X_va, y_va, class_weight=class_weight,
                                        recall_of=recall_of, verbose=verbose, label=label, **own)
        else:
            trained = train_stacked(group, X_tr, y_tr, X_va, y_va, class_weight=class_weight, recall_of=recall_of,
                                    device=device, dropout_seed=dropout_seed, verbose=verbose, label=label, **own)
        for i, result in zip(part, trained):
            results[i] = result
        interrupted = any(result.stop_reason == "interrupted" for result in trained)
        if interrupted and reraise:
            raise KeyboardInterrupt
    return results


def _parts(chunk: list[int], trials: list[Trial], rows, n_rows: int, device) -> list[tuple[list[int], bool]]:
    """One stack's trials (indices `chunk`) as ``(indices, alone)`` parts: those that train faster one by one on
    the compiled epoch (`multiclass.sweep.alone.alone_pays`) alone, the rest stacked (a `Trial.keep_last` trial
    always is)."""
    solo = [i for i in chunk if not trials[i].keep_last]
    per_model = n_rows if rows is None else max(len(rows[i]) for i in chunk)
    if not solo or not alone_pays([trials[i] for i in solo], per_model, device):
        return [(chunk, False)]
    rest = [i for i in chunk if trials[i].keep_last]
    return [(solo, True), *([(rest, False)] if rest else [])]
