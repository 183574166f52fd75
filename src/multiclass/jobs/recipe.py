"""The auto recipe's search: which candidate configuration trains the final model.

`multiclass.jobs.plan` resolves a recipe against what the caller fixed (the candidates of
`multiclass.training.recipes.auto_candidates`, or the seed's one); `search` ranks them: on small data, when 5
folds of every candidate fit the budget, by cross-validation on the training rows (`multiclass.jobs.crossval`: the
model is then the winner's fold models averaged, no final training); else on the validation rows, every candidate
on every training row when that fits the budget; otherwise in two stages --
*capacity*, one candidate per network shape, by successive halving (Jamieson & Talwalkar 2016) with stratified
subsamples of the training rows as the resource, then *regularisation*, the winning shape's L2 and dropout values in
one stack on a subsample. A cross-validated search fits its softmax regressions to convergence by L-BFGS
(`multiclass.sweep.converged`) instead of training them by Adam. The winner is then trained on every training row by
the one training loop (checkpoints, resume, the fastest engine). Candidates of one network shape train together on the stacked engine
(`multiclass.sweep.loop.train_trials`), each with its own initialisation, data order and early stopping; CSR rows
train one candidate at a time on the one loop's sparse engine (`multiclass.engine.sparse`). docs/recipes.md says it for users.

The budget is counted in multiply-adds (and a fixed cost per step), not seconds, so that the same data and seed
choose the same recipe on any machine, however busy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from multiclass.classes import resolve_class_weight
from multiclass.devices import resolve_device
from multiclass.jobs.crossval import CV_FOLDS, MIN_CV_ROWS, cross_validate
from multiclass.models import ModelConfig, build_model, macs_per_row
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import train_trials
from multiclass.training import train
from multiclass.training.arrays import is_sparse
from multiclass.training.config import TrainConfig, monitor_mode
from multiclass.training.monitor import watched_of
from multiclass.training.recipes import AUTO_PATIENCE, Candidate, batch_size_for, expected_epochs, with_candidate
from multiclass.training.progress import say_search

__all__ = ["SEARCH_BUDGET_MACS", "SearchResult", "rung_rows", "search"]

# Training settings that, fixed by the user, ask for the one final training they shape (not a fold average).
CONTROLLED = ("epochs", "patience", "lr_patience")
# Multiply-adds the search may spend before the final training (`multiclass.models.macs_per_row`): 1e12 is about
# a minute of this project's 2-core CPU on the stacked engine (bench/quality.py measures the whole).
SEARCH_BUDGET_MACS = 1e12
# Validation rows a candidate of the search is ranked on, at most (a stratified sample of them; the final model
# early-stops on all): 3,000 rows measure an accuracy near 95 % to about +-0.4 points.
SEARCH_VAL_ROWS = 3_000
# Patience and most epochs of a candidate trained on a subsample of the rows (on every row: `AUTO_PATIENCE` and
# `SEARCH_EPOCHS`): a rung ranks candidates, it need not train them to the end (Hyperband's resource is epochs).
SUBSAMPLE_PATIENCE = 8
SUBSAMPLE_EPOCHS = 30
# The fixed cost of one step of one stack, in multiply-adds (the launches of a step's small kernels and Adam's pass
# over the stack, ~2 ms on the 2-core CPU): what makes many small steps of small networks dear.
STEP_MACS = 3e7
# What one L-BFGS fit of softmax regression costs the budget, in passes over its rows (forward and backward; the fits
# measured took 20-250 iterations of about 1.2 passes each).
LBFGS_PASSES = 300
# Fewest training rows a rung trains on: below this, validation scores of different capacities mean little.
MIN_RUNG_ROWS = 1_000
# Each rung keeps the best 1/ETA of its candidates and gives them ETA times the rows (successive halving).
ETA = 3
# A candidate of the search stops after this many epochs however it goes (its rung's budget already bounds it).
SEARCH_EPOCHS = 300


@dataclass
class SearchResult:
    """What the search found.

    Attributes
    ----------
    winner : Candidate
    board : list of dict
        Every candidate of every rung: its configuration, the rows it trained on, its best epoch and validation
        scores (what model.json and the report show).
    rungs : list of int
        Training rows of each rung that was run.
    folds : int
        Folds of a cross-validated choice (`multiclass.jobs.crossval`); 0 when ranked on the validation rows.
    fold_results : list of TrialResult
        When cross-validated: how the winner's fold models trained (their best weights, histories, best epochs and
        stop reasons); the final model is their average (`multiclass.jobs.crossval.averaged_network`).
    """

    winner: Candidate
    board: list[dict] = field(default_factory=list)
    rungs: list[int] = field(default_factory=list)
    folds: int = 0
    fold_results: list = field(default_factory=list, repr=False)

    @property
    def fold_states(self) -> list[dict]:
        return [result.state for result in self.fold_results]

    @property
    def fold_best_epochs(self) -> list[int]:
        return [int(result.best_epoch) for result in self.fold_results]

    def to_dict(self) -> dict:
        chosen = {"chosen": self.winner.to_dict(), "rungs": self.rungs, "candidates": self.board}
        if not self.folds:
            return chosen
        return {**chosen, "folds": self.folds, "fold_best_epochs": self.fold_best_epochs}


def _cost(candidates: list[Candidate], rows: int, n_rows: int, n_features: int, n_classes: int,
          val_rows: int = 0, copies: int = 1) -> float:
    """Multiply-adds of training `candidates` on `rows` rows for their expected epochs (a fixed-length candidate's
    own), validating on `val_rows` rows (at most `SEARCH_VAL_ROWS`; a forward pass, a third of a training row)
    every epoch, plus `STEP_MACS` for every step of every stack (one per network shape and batch size). `copies` of
    each candidate (cross-validation's folds) share their stack's steps."""
    expected = expected_epochs(rows) if rows >= n_rows else min(expected_epochs(rows), SUBSAMPLE_EPOCHS)
    arithmetic, stacks = 0.0, {}
    for c in candidates:
        per_row = float(macs_per_row(ModelConfig(n_features, n_classes, c.hidden)))
        if c.solver == "lbfgs":  # full batch, no stack: its passes over the rows (its Python calls are few)
            arithmetic += copies * per_row * rows * LBFGS_PASSES
            continue
        epochs = c.fixed_epochs or expected
        arithmetic += copies * per_row * (rows + min(val_rows, SEARCH_VAL_ROWS) / 3) * epochs
        batch = _batch_on(c, rows)
        steps = math.ceil(rows / max(batch, 1))
        stacks[(c.hidden, batch)] = max(stacks.get((c.hidden, batch), 0.0), steps * epochs * STEP_MACS)
    return arithmetic + sum(stacks.values())


def _batch_on(candidate: Candidate, rows: int) -> int:
    """The candidate's batch size on `rows` rows: at most `batch_size_for` them (a fixed-length candidate's: up to
    all of them, full-batch as MLPClassifier on a small table)."""
    return min(candidate.batch_size, rows if candidate.fixed_epochs else batch_size_for(rows))


def rung_rows(n_rows: int) -> list[int]:
    """The row counts a rung may train on, largest first: every row, then a third, a ninth ... down to
    `MIN_RUNG_ROWS`."""
    rows = [n_rows]
    while rows[-1] // ETA >= MIN_RUNG_ROWS:
        rows.append(rows[-1] // ETA)
    return rows


def _fitting(candidates: list[Candidate], budget: float, n_rows: int, n_features: int, n_classes: int,
             val_rows: int, below: int | None = None) -> int:
    """The most rows of `rung_rows` (fewer than `below` when given) on which `candidates` train within `budget`;
    the fewest rows when none fits."""
    options = [r for r in rung_rows(n_rows) if below is None or r < below] or [min(rung_rows(n_rows))]
    for rows in options:
        if _cost(candidates, rows, n_rows, n_features, n_classes, val_rows) <= budget:
            return rows
    return options[-1]


def _representatives(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per network shape, in order: its least dropout and its middle L2 (the shape at a moderate
    regularisation, for comparing capacities)."""
    shapes: dict[tuple, list[Candidate]] = {}
    for candidate in candidates:
        shapes.setdefault(candidate.hidden, []).append(candidate)
    chosen = []
    for members in shapes.values():
        least = min(c.dropout for c in members)
        plain = sorted((c for c in members if c.dropout == least), key=lambda c: c.l2)
        chosen.append(plain[(len(plain) - 1) // 2])
    return chosen


def _score_key(record: dict, monitor: str, mode: str) -> tuple:
    """Sort key, best first: the monitored score, then validation loss, then macro-F1 (ties are common)."""
    score = record["val_score"]
    score = math.inf if score is None or not math.isfinite(score) else (score if mode == "min" else -score)
    return (score, record.get("val_loss") or math.inf, -(record.get("val_macro_f1") or 0.0))


def _cv_key(record: dict, monitor: str, mode: str) -> tuple:
    """Sort key of a cross-validated candidate, best first. Under the default monitor (the validation loss, which
    still stops every fold model) the pooled out-of-fold macro-F1 ranks first, then `_score_key`: every training row
    is predicted once, so that macro-F1 is a sound estimate, and the rare classes count as the report counts them
    (the loss alone chose confident models that passed over them; docs/recipes.md, bench/RESULTS.md 7a)."""
    key = _score_key(record, monitor, mode)
    return (-(record.get("val_macro_f1") or 0.0), *key) if monitor == "val_loss" else key


class _Rungs:
    """Trains rungs of candidates on stratified subsamples and keeps the board (what `search` shares)."""

    def __init__(self, X_tr, y_tr, X_va, y_va, *, classes, base: TrainConfig, activation: str, fixed):
        self.X_tr, self.y_tr = X_tr, y_tr
        held = _subsample(y_va, SEARCH_VAL_ROWS, seed=base.seed)
        self.X_va, self.y_va = X_va[held], y_va[held]
        self.weight = resolve_class_weight(base.class_weight, np.bincount(y_tr, minlength=len(classes)), classes)
        self.classes, self.base, self.activation, self.fixed = classes, base, activation, set(fixed)
        self.recall_of = watched_of(base, classes, len(classes))
        self.device = resolve_device(base.device)
        self.mode = monitor_mode(base.monitor)
        self.board: list[dict] = []
        self.rungs: list[int] = []

    def trial(self, candidate: Candidate, rows: int, whole: bool | None = None) -> Trial:
        """The candidate as trained on `rows` of the training rows: its L2 scaled by n / rows (the penalty is
        added to a mean loss, so a subsample needs proportionally more of it to be regularised alike) and, unless
        fixed, the batch size of that many rows."""
        n_rows = self.X_tr.shape[0]
        scaled = replace(candidate, l2=candidate.l2 * n_rows / rows)
        if "batch_size" not in self.fixed:
            scaled = replace(scaled, batch_size=_batch_on(candidate, rows))
        whole = rows >= n_rows if whole is None else whole
        config = replace(self.base, epochs=SEARCH_EPOCHS if whole else SUBSAMPLE_EPOCHS,
                         patience=AUTO_PATIENCE if whole else SUBSAMPLE_PATIENCE, lr_patience=None, verbose=False)
        model = ModelConfig(self.X_tr.shape[1], len(self.classes), candidate.hidden, self.activation,
                            candidate.dropout)
        return Trial(tuple(candidate.to_dict().items()), with_candidate(config, scaled), model,
                     keep_last=bool(candidate.fixed_epochs), solver=candidate.solver)

    def run(self, candidates: list[Candidate], rows: int, stage: str) -> list[Candidate]:
        """Train `candidates` on `rows` rows; return them best first (diverged ones last)."""
        n_rows, n_classes = self.X_tr.shape[0], len(self.classes)
        index = np.arange(n_rows) if rows >= n_rows else _subsample(self.y_tr, rows, seed=self.base.seed + len(self.rungs))
        X, y = self.X_tr[index], self.y_tr[index]
        weight = resolve_class_weight(self.base.class_weight, np.bincount(y, minlength=n_classes), self.classes)
        trials = [self.trial(c, len(index)) for c in candidates]
        if self.base.verbose:
            say_search(stage, len(candidates), len(index))
        if is_sparse(X):  # CSR rows (TF-IDF text): the sparse engine, one candidate at a time
            results = [_train_alone(trial, X, y, self.X_va, self.y_va, self.classes) for trial in trials]
        else:
            results = train_trials(trials, X, y, self.X_va, self.y_va, class_weight=weight,
                                   recall_of=self.recall_of, device=self.device, dropout_seed=self.base.seed,
                                   verbose=self.base.verbose, label="search", reraise=True)
        ranked = []
        for candidate, outcome in zip(candidates, results):
            record = outcome.best_record
            entry = {**candidate.to_dict(), "stage": stage, "rung": len(self.rungs), "rows": int(len(index)),
                     "best_epoch": outcome.best_epoch, "epochs": outcome.n_epochs,
                     "val_score": record.get("val_score"), "val_loss": record.get("val_loss"),
                     "val_accuracy": record.get("val_accuracy"), "val_macro_f1": record.get("val_macro_f1")}
            self.board.append(entry)
            ranked.append((_score_key(entry, self.base.monitor, self.mode), len(ranked), candidate))
        self.rungs.append(int(len(index)))
        return [item[2] for item in sorted(ranked, key=lambda item: item[:2])]

    def cross_validate(self, candidates: list[Candidate], X, y) -> tuple[Candidate, dict]:
        """Rank `candidates` by their out-of-fold scores on (`X`, `y`) (`multiclass.jobs.crossval`); return the
        best and its record (with its fold models' results)."""
        if self.base.verbose:
            say_search("folds", len(candidates), len(y), folds=CV_FOLDS)
        # every row of a fold: the search's epoch limit (a fold model still improving there raises the
        # EpochLimitWarning, `multiclass.jobs.fit`)
        records = cross_validate(candidates, X, y, trial_of=lambda c, rows: self.trial(c, rows, whole=True),
                                 monitor=self.base.monitor, class_weight=self.weight, recall_of=self.recall_of,
                                 device=self.device, seed=self.base.seed, verbose=self.base.verbose)
        ranked = []
        for candidate, record in zip(candidates, records):
            entry = {**candidate.to_dict(), "stage": "cross-validation", "rung": 0, "rows": int(len(y)),
                     "folds": CV_FOLDS, **{k: record.get(k) for k in ("best_epoch", "best_epochs", "epochs",
                                                                      "val_score", "val_loss", "val_accuracy",
                                                                      "val_macro_f1")}}
            self.board.append(entry)
            ranked.append((_cv_key(entry, self.base.monitor, self.mode), len(ranked), candidate, entry))
        self.rungs.append(int(len(y)))
        best = sorted(ranked, key=lambda item: item[:2])[0]
        return best[2], records[best[1]]


def search(X_tr, y_tr, X_va, y_va, candidates: list[Candidate], *, classes, base: TrainConfig,
           activation: str = "relu", budget: float | None = None, fixed=(), cross_validated=()) -> SearchResult:
    """Choose among `candidates` on the validation rows, within `budget` multiply-adds.

    When every candidate fits the budget on every training row, they all train on all of them and the best wins.
    Otherwise the search runs in two stages. *Capacity*: one candidate per network shape (its moderate
    regularisation) trains on the most rows the half budget allows, and the best third goes on to three times the
    rows while the rows and the budget last (successive halving, Jamieson & Talwalkar 2016), until one shape is
    left. *Regularisation*: every candidate of that shape (its L2 and dropout values; its dropout values alone
    when the whole grid does not fit) trains in one stack on the most rows the rest of the budget allows. A subsample's L2 is scaled by n / rows. The winner is then trained on
    every row by the caller.

    Parameters
    ----------
    X_tr, y_tr : ndarray (N, F) float32 and (N,) int64
        The training rows (stratified subsamples of them train the rungs).
    X_va, y_va : ndarray
        The validation rows every candidate is ranked on (always whole).
    candidates : list of Candidate
    classes : sequence of str
    base : TrainConfig
        The run's config: its monitor, class weights, seed, device and verbosity apply to every candidate.
    activation : str, default="relu"
    budget : float, optional
        Multiply-adds the search may spend (default `SEARCH_BUDGET_MACS`).
    fixed : collection of str, default=()
        Hyperparameters the user fixed (a fixed ``batch_size`` is kept on subsamples too). A fixed training setting
        of `CONTROLLED` asks for one training run the user controls (its epochs, patience, checkpoints): no
        cross-validated fold average then.
    cross_validated : sequence of Candidate, default=()
        What is tried instead of `candidates` when the search cross-validates
        (`multiclass.training.recipes.cross_validated_candidates`: the softmax regressions fitted by L-BFGS, the
        fixed-length candidates beside them; their cost counted in its budget); empty: `candidates`. Those are left
        out otherwise: a validation split's few rows cannot tell whether training past the loss's best epoch pays,
        and the final training of a winner is the one training loop's.
    """
    budget = SEARCH_BUDGET_MACS if budget is None else budget
    n_rows, n_features, n_classes = X_tr.shape[0], X_tr.shape[1], len(classes)
    rungs = _Rungs(X_tr, y_tr, X_va, y_va, classes=classes, base=base, activation=activation, fixed=fixed)
    fold_rows = n_rows - n_rows // CV_FOLDS
    folded = list(cross_validated) or list(candidates)
    folds = _cost(folded, fold_rows, fold_rows, n_features, n_classes, n_rows // CV_FOLDS, copies=CV_FOLDS)
    controlled = bool(set(fixed) & set(CONTROLLED))
    if folds <= budget and n_rows >= MIN_CV_ROWS and not is_sparse(X_tr) and not controlled:
        winner, record = rungs.cross_validate(folded, X_tr, y_tr)
        return SearchResult(winner, rungs.board, rungs.rungs, folds=CV_FOLDS, fold_results=record["folds"])
    if _cost(candidates, n_rows, n_rows, n_features, n_classes, len(y_va)) <= budget:
        winner = rungs.run(candidates, n_rows, "all")[0]
        return SearchResult(winner, rungs.board, rungs.rungs)
    spent = 0.0
    shapes = _representatives(candidates)
    n_val = len(y_va)
    below = n_rows if len(shapes) > 1 else None
    rows = _fitting(shapes, budget / 2, n_rows, n_features, n_classes, n_val, below=below)
    while len(shapes) > 1:
        spent += _cost(shapes, rows, n_rows, n_features, n_classes, n_val)
        shapes = rungs.run(shapes, rows, "capacity")[: max(1, math.ceil(len(shapes) / ETA))]
        rows = min(rows * ETA, n_rows)
        if len(shapes) > 1 and (rows >= n_rows or
                                spent + _cost(shapes, rows, n_rows, n_features, n_classes, n_val) > budget / 2):
            shapes = shapes[:1]  # no rows or budget left to tell them apart: the best so far
    family = [c for c in candidates if c.hidden == shapes[0].hidden]
    if len(family) == 1:
        return SearchResult(family[0], rungs.board, rungs.rungs)
    left = max(budget - spent, 0.0)
    if _cost(family, min(rung_rows(n_rows)), n_rows, n_features, n_classes, n_val) > left:
        # the whole grid does not fit: dropout alone, at the shape's moderate L2 (the more the rows, the less L2
        # matters beside early stopping)
        family = [c for c in family if c.l2 == shapes[0].l2] or family
    if len(family) == 1:
        return SearchResult(family[0], rungs.board, rungs.rungs)
    rows = _fitting(family, left, n_rows, n_features, n_classes, n_val, below=n_rows)  # all rows: the final's
    winner = rungs.run(family, rows, "regularisation")[0]
    return SearchResult(winner, rungs.board, rungs.rungs)


@dataclass
class _Alone:
    """What `search` reads of a candidate trained alone by the one training loop (as of a `TrialResult`)."""

    best_epoch: int
    n_epochs: int
    best_record: dict


def _train_alone(trial: Trial, X, y, X_va, y_va, classes) -> _Alone:
    """Train one candidate with `multiclass.training.train` (which reads CSR rows without densifying them)."""
    model = build_model(trial.model_config, seed=trial.train_config.seed)
    result = train(model, X, y, trial.train_config, X_val=X_va, y_val=y_va, classes=classes)
    if result.stop_reason == "interrupted":  # Ctrl-C: the search stops, as the stacked candidates' does
        raise KeyboardInterrupt
    history = result.history
    record = history[result.best_epoch - 1] if 0 < result.best_epoch <= len(history) else {}
    return _Alone(result.best_epoch, len(history), record)


def _subsample(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """About `n` sorted row indices with each class's share of `y`, every class kept at least once."""
    if n >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    fraction = n / len(y)
    chosen = []
    for code in np.unique(y):
        members = np.flatnonzero(y == code)
        take = min(len(members), max(1, round(fraction * len(members))))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))
