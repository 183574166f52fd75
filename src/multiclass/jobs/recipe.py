"""The auto recipe's search: which candidate configuration trains the final model.

Successive halving (Jamieson & Talwalkar 2016) with training rows as the resource: every candidate of
`multiclass.training.recipes.auto_candidates` trains on a stratified subsample of the training rows, the best third
(by the monitored score on the validation rows, which stay whole) goes on to three times the rows, and so on. The
last rung is the final model itself, trained on every training row by the one training loop (checkpoints, resume,
the fastest engine) -- so with small data, where one rung holds every row, the search is every candidate trained on
every row and the best kept. Candidates of one network shape train together on the stacked engine
(`multiclass.sweep.loop.train_trials`), each with its own initialisation, data order and early stopping.

The budget is counted in multiply-adds, not seconds, so that the same data and seed choose the same recipe on any
machine, however busy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from multiclass.classes import monitored_class, resolve_class_weight
from multiclass.devices import resolve_device
from multiclass.models import ModelConfig, macs_per_row
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import train_trials
from multiclass.training.config import TrainConfig, monitor_mode
from multiclass.training.recipes import (
    AUTO_EPOCHS,
    AUTO_PATIENCE,
    SEARCHED,
    SEED,
    SETTINGS,
    Candidate,
    Recipe,
    auto_candidates,
    expected_epochs,
)

__all__ = ["SEARCH_BUDGET_MACS", "Plan", "SearchResult", "plan", "search"]

# TrainConfig fields a library caller fixes by setting them away from their defaults.
EXPLICIT_FIELDS = ("lr", "l2", "batch_size", "epochs", "patience", "monitor", "lr_patience")

# Multiply-adds the search may spend before the final training: ~6e11 is about a minute of this project's 2-core
# CPU on the stacked engine (bench/quality.py measures the whole).
SEARCH_BUDGET_MACS = 6e11
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
    """

    winner: Candidate
    board: list[dict] = field(default_factory=list)
    rungs: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"chosen": self.winner.to_dict(), "rungs": self.rungs, "candidates": self.board}


def _trial(candidate: Candidate, base: TrainConfig, n_features: int, n_classes: int, activation: str) -> Trial:
    config = replace(base, lr=candidate.lr, l2=candidate.l2, batch_size=candidate.batch_size, epochs=SEARCH_EPOCHS,
                     patience=AUTO_PATIENCE, lr_patience=None, verbose=False)
    model = ModelConfig(n_features, n_classes, candidate.hidden, activation, candidate.dropout)
    return Trial(tuple(candidate.to_dict().items()), config, model)


def plan_rungs(candidates: list[Candidate], n_rows: int, n_features: int, n_classes: int,
               budget: float | None = None) -> list[int]:
    """Training rows of each rung, smallest first; the last is `n_rows` (the final model's rung).

    The fewest rungs whose search (all rungs but the last, plus the last when it holds more than one candidate)
    fits the budget; at most as many as keep the first rung at `MIN_RUNG_ROWS` rows.
    """
    budget = SEARCH_BUDGET_MACS if budget is None else budget
    costs = sorted(macs_per_row(ModelConfig(n_features, n_classes, c.hidden)) for c in candidates)
    best_plan = [n_rows]
    for n_rungs in range(1, 8):
        rows = [max(1, n_rows // ETA ** (n_rungs - 1 - r)) for r in range(n_rungs)]
        if n_rungs > 1 and rows[0] < MIN_RUNG_ROWS:
            break
        survivors, total = len(candidates), 0.0
        for r, n in enumerate(rows):
            searched = r < n_rungs - 1 or survivors > 1
            if searched:  # the mean cost of a rung's survivors: the dearest shapes may not survive, count them all
                total += survivors * n * float(np.mean(costs)) * expected_epochs(n)
            survivors = max(1, math.ceil(survivors / ETA))
        best_plan = rows
        if total <= budget:
            break
    return best_plan


def _score_key(record: dict, monitor: str, mode: str) -> tuple:
    """Sort key, best first: the monitored score, then validation loss, then macro-F1 (ties are common)."""
    score = record["val_score"]
    score = math.inf if score is None or not math.isfinite(score) else (score if mode == "min" else -score)
    return (score, record.get("val_loss") or math.inf, -(record.get("val_macro_f1") or 0.0))


def search(X_tr, y_tr, X_va, y_va, candidates: list[Candidate], *, classes, base: TrainConfig,
           activation: str = "relu", budget: float | None = None) -> SearchResult:
    """Run the successive halving of the module docstring over `candidates`.

    Parameters
    ----------
    X_tr, y_tr : ndarray (N, F) float32 and (N,) int64
        The training rows (a stratified subsample of them trains each rung but the last).
    X_va, y_va : ndarray
        The validation rows every candidate is ranked on.
    candidates : list of Candidate
    classes : sequence of str
    base : TrainConfig
        The run's config: its monitor, class weights, seed and device apply to every candidate.
    activation : str, default="relu"
    budget : float, optional
        Multiply-adds the search may spend (default `SEARCH_BUDGET_MACS`).
    """
    n_rows, n_features, n_classes = X_tr.shape[0], X_tr.shape[1], len(classes)
    rungs = plan_rungs(candidates, n_rows, n_features, n_classes, budget)
    recall_of = monitored_class(base.monitor, classes, n_classes)
    device = resolve_device(base.device)
    mode = monitor_mode(base.monitor)
    survivors, board = list(candidates), []
    result = SearchResult(winner=candidates[0], rungs=[])
    for r, n in enumerate(rungs):
        last = r == len(rungs) - 1
        if last and len(survivors) == 1:
            break  # the final model is the last rung: the caller trains it on every row
        rows = np.arange(n_rows) if n >= n_rows else _subsample(y_tr, n, seed=base.seed + r)
        X, y = X_tr[rows], y_tr[rows]
        weight = resolve_class_weight(base.class_weight, np.bincount(y, minlength=n_classes), classes)
        trials = [_trial(c, base, n_features, n_classes, activation) for c in survivors]
        results = train_trials(trials, X, y, X_va, y_va, class_weight=weight, recall_of=recall_of, device=device,
                               dropout_seed=base.seed)
        ranked = []
        for candidate, trial, outcome in zip(survivors, trials, results):
            record = outcome.best_record
            entry = {**candidate.to_dict(), "rung": r, "rows": int(len(rows)), "best_epoch": outcome.best_epoch,
                     "epochs": outcome.n_epochs, "val_score": record.get("val_score"),
                     "val_loss": record.get("val_loss"), "val_accuracy": record.get("val_accuracy"),
                     "val_macro_f1": record.get("val_macro_f1")}
            board.append(entry)
            ranked.append((_score_key(entry, base.monitor, mode), candidate))
        ranked.sort(key=lambda item: item[0])
        result.rungs.append(int(len(rows)))
        survivors = [item[1] for item in ranked[:1 if last else max(1, math.ceil(len(ranked) / ETA))]]
        result.winner = survivors[0]
    result.board = board
    return result


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


@dataclass(frozen=True)
class Plan:
    """What a recipe leaves to decide: the candidates (one when nothing is searched) and the config of the final
    training (its epochs and patience resolved)."""

    recipe: Recipe
    candidates: list[Candidate]
    config: TrainConfig


def _explicit(config: TrainConfig) -> dict:
    """TrainConfig fields of `EXPLICIT_FIELDS` set away from their defaults: the library's way of saying "fixed"."""
    default = TrainConfig()
    return {name: getattr(config, name) for name in EXPLICIT_FIELDS if getattr(config, name) != getattr(default, name)}


def plan(recipe, *, hidden, dropout, config: TrainConfig, n_rows: int, n_features: int, n_classes: int,
         sparse: bool = False) -> Plan:
    """Resolve `recipe` ("auto", "seed" or a `Recipe`) against what the caller fixed.

    Fixed: the recipe's own `fixed`, `hidden` and `dropout` when not None, and the fields of `config` among
    `EXPLICIT_FIELDS` that differ from `TrainConfig`'s defaults.
    """
    recipe = recipe if isinstance(recipe, Recipe) else Recipe(str(recipe))
    fixed = {**_explicit(config), **recipe.fixed}
    if hidden is not None:
        fixed["hidden"] = tuple(hidden)
    if dropout is not None:
        fixed["dropout"] = float(dropout)
    if recipe.name == "seed":
        settings = {**SEED, **fixed}
        candidate = Candidate(tuple(settings["hidden"]), float(settings["dropout"]), float(settings["l2"]),
                              float(settings["lr"]), int(settings["batch_size"]))
        training = {k: settings[k] for k in ("epochs", "monitor", "patience", "lr_patience")}
        return Plan(recipe, [candidate], replace(config, **training))
    searched = {k: v for k, v in fixed.items() if k in SEARCHED}
    candidates = auto_candidates(n_rows, n_features, n_classes, fixed=searched, sparse=sparse)
    settings = {k: v for k, v in fixed.items() if k in SETTINGS}
    final = replace(config, **{"epochs": AUTO_EPOCHS, **settings})
    return Plan(Recipe(recipe.name, fixed), candidates, final)
