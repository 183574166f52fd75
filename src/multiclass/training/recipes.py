"""Recipes: how the network and its training are chosen when the user does not say.

``"seed"`` is the course's recipe, exactly: Dense 25 relu -> Dense 15 relu -> K, Adam 1e-3, batch 32, up to 100
epochs, with the two regularisers that take that bottleneck past 97 % on MNIST (a small L2 and a learning-rate drop
on plateaus; early stopping on validation accuracy).

``"auto"`` (the default) lets the data choose: the candidates of `auto_candidates` -- softmax regression, the seed's
25-15, one and two layers of a few hundred units, each with a range of L2 and dropout -- are trained together on
the stacked engine and the best on the validation rows wins (`multiclass.jobs.recipe`). Every hyperparameter the
user gave stays fixed in every candidate. Epochs are decided by early stopping, not by a cap -- except that a
cross-validated search on small data also tries `fixed_length_candidates`, trained for a fixed number of epochs as
scikit-learn's MLPClassifier is, and keeps one only when its out-of-fold predictions are the best; and there its
softmax regressions are `converged_candidates`, fitted to convergence by L-BFGS as LogisticRegression is, instead of
early-stopped Adam runs (`cross_validated_candidates`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from multiclass.exceptions import ConfigError

__all__ = ["RECIPES", "SEARCHED", "SEED", "SETTINGS", "Candidate", "Recipe", "auto_candidates", "batch_size_for",
           "converged_candidates", "cross_validated_candidates", "fixed_length_candidates", "with_candidate"]

RECIPES = ("auto", "seed")
# The hyperparameters a recipe chooses; one the user gives is fixed (`Recipe.fixed`).
SEARCHED = ("hidden", "dropout", "l2", "lr", "batch_size")
# The training settings a recipe sets (the seed's epochs, patience, monitor, learning-rate drop); also fixable.
SETTINGS = ("epochs", "patience", "monitor", "lr_patience")
# The seed recipe (tests/test_jobs_fit_mnist.py: 97 % on MNIST with the 784-25-15-10 network).
SEED = {"hidden": (25, 15), "dropout": 0.0, "l2": 3e-4, "lr": 1e-3, "batch_size": 32, "epochs": 100,
        "monitor": "val_accuracy", "patience": 20, "lr_patience": 5}
# The auto recipe's epoch limit: early stopping ends a run long before it (a run that reaches it says so).
AUTO_EPOCHS = 500
# Patience of the auto recipe's candidates, in epochs without improvement of the monitored score.
AUTO_PATIENCE = 12
# The fixed-length candidate of a cross-validated search (`fixed_length_candidates`): scikit-learn's MLPClassifier
# defaults (100 units, batches of min(200, n) rows, up to 500 epochs), on this recipe's 128-unit layer.
FIXED_HIDDEN, FIXED_BATCH, FIXED_EPOCHS = 128, 200, 500


@dataclass(frozen=True)
class Recipe:
    """Which recipe, and the hyperparameters the user fixed.

    Parameters
    ----------
    name : {"auto", "seed"}, default="auto"
    fixed : mapping, default={}
        Hyperparameters of `SEARCHED` the user gave (``{"l2": 1e-4}``): every candidate keeps them.
    """

    name: str = "auto"
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.name not in RECIPES:
            raise ConfigError(f"`recipe` must be one of {list(RECIPES)}; got {self.name!r}.")
        unknown = sorted(set(self.fixed) - set(SEARCHED) - set(SETTINGS))
        if unknown:
            raise ConfigError(f"`fixed` may name only {list(SEARCHED + SETTINGS)}; got {unknown[0]!r}.")
        object.__setattr__(self, "fixed", dict(self.fixed))

    def to_dict(self) -> dict:
        return {"name": self.name, "fixed": {k: list(v) if isinstance(v, tuple) else v for k, v in self.fixed.items()}}


@dataclass(frozen=True)
class Candidate:
    """One configuration the auto recipe tries: the searched hyperparameters."""

    hidden: tuple[int, ...]
    dropout: float
    l2: float
    lr: float
    batch_size: int
    # 0: early stopping on the validation rows ends it and its best epoch's weights are kept; N: it trains exactly
    # N epochs and keeps the last (`fixed_length_candidates`; cross-validation only)
    fixed_epochs: int = 0
    # "adam": trained in epochs of batches; "lbfgs": softmax regression fitted to convergence on all its rows at once
    # (`converged_candidates`; cross-validation only), its lr and batch size unused
    solver: str = "adam"

    def label(self) -> str:
        hidden = "x".join(map(str, self.hidden)) or "none"
        if self.solver == "lbfgs":
            return f"hidden={hidden} l2={self.l2:g} solver=lbfgs"
        text = f"hidden={hidden} dropout={self.dropout:g} l2={self.l2:g} lr={self.lr:g} batch={self.batch_size}"
        return text + (f" fixed_epochs={self.fixed_epochs}" if self.fixed_epochs else "")

    def to_dict(self) -> dict:
        out = {"hidden": list(self.hidden), "dropout": self.dropout, "l2": self.l2, "lr": self.lr,
               "batch_size": self.batch_size}
        if self.solver != "adam":
            out["solver"] = self.solver
        return {**out, "fixed_epochs": self.fixed_epochs} if self.fixed_epochs else out


def batch_size_for(n_rows: int) -> int:
    """Rows per step: the seed's 32 for small data, more for large data, where a step of 32 rows spends more time
    in per-step overhead than in arithmetic (and the gradient noise of 32 rows is no longer needed)."""
    return 32 if n_rows < 5_000 else 64 if n_rows < 30_000 else 128


def _architectures(n_rows: int, n_features: int, n_classes: int) -> list[tuple[int, ...]]:
    """From softmax regression through the seed's 25-15 to a few hundred units; the widest only with the rows to
    train them (a 512-unit layer on 300 rows memorises them)."""
    archs = [(), (25, 15), (128,), (256, 128)]
    if n_rows >= 2_000:
        archs.append((512,))
    if n_rows >= 20_000:
        archs.append((512, 256))
    return archs


def auto_candidates(n_rows: int, n_features: int, n_classes: int, *, fixed: Mapping[str, Any] | None = None,
                    sparse: bool = False) -> list[Candidate]:
    """The configurations the auto recipe tries for data of this size, with `fixed` hyperparameters kept.

    Parameters
    ----------
    n_rows, n_features, n_classes : int
        Of the training rows.
    fixed : mapping, optional
        Hyperparameters the user gave (names in `SEARCHED`).
    sparse : bool, default=False
        Features are sparse (TF-IDF text): softmax regression and one layer, whose first product is the costly one.

    Examples
    --------
    >>> len(auto_candidates(150, 4, 3)) > 10
    True
    >>> {c.hidden for c in auto_candidates(150, 4, 3, fixed={"hidden": (8,)})}
    {(8,)}
    """
    fixed = dict(fixed or {})
    archs = [(), (256,)] if sparse else _architectures(n_rows, n_features, n_classes)
    batch = fixed.get("batch_size", batch_size_for(n_rows))
    seen, out = set(), []
    for hidden in [tuple(fixed["hidden"])] if "hidden" in fixed else archs:
        deep = len(hidden) > 0
        l2s = _l2_grid(n_rows, deep)
        dropouts = [0.0, 0.3] if deep and n_rows >= 1_000 else [0.0]
        lr = 1e-3 if deep else 3e-3  # softmax regression is convex: a larger step converges in fewer epochs
        for l2 in [fixed["l2"]] if "l2" in fixed else l2s:
            for dropout in [fixed["dropout"]] if "dropout" in fixed else dropouts:
                if dropout > 0 and not deep:
                    continue
                candidate = Candidate(hidden, float(dropout), float(l2), float(fixed.get("lr", lr)), int(batch))
                if candidate not in seen:
                    seen.add(candidate)
                    out.append(candidate)
    if not out:  # e.g. a fixed dropout with softmax regression
        out.append(Candidate(tuple(fixed.get("hidden", ())), float(fixed.get("dropout", 0.0)),
                             float(fixed.get("l2", 0.0)), float(fixed.get("lr", 1e-3)), int(batch)))
    return out


def _l2_grid(n_rows: int, deep: bool) -> list[float]:
    """L2 values to try, scaled to the data: the penalty is added to a mean loss, so its weight against the data's
    falls as 1/n (scikit-learn's alpha / n_samples); three decades around it (and none, with hidden layers)."""
    base = 1.0 / max(n_rows, 1)
    if deep:
        return [0.0, *(round(base * 10.0**k, 12) for k in (-2, -1, 0))]
    return [round(base * 10.0**k, 12) for k in (-1, 0, 1)]


def converged_candidates(n_rows: int, *, fixed: Mapping[str, Any] | None = None) -> list[Candidate]:
    """Softmax regression fitted to convergence by L-BFGS (`multiclass.sweep.converged`), one per L2 of the grid
    (the user's L2 when fixed): scikit-learn's LogisticRegression with C = 1 / (2 n l2), i.e. C from 5 to 0.05.
    What a cross-validated search tries in place of the softmax regressions trained by Adam, which on a few hundred
    rows can stop short of the optimum (bench/RESULTS.md 7c). None when the user fixed what L-BFGS would ignore or
    contradict: hidden layers, dropout, the learning rate, the batch size or the training's length.

    Examples
    --------
    >>> [c.label() for c in converged_candidates(100)]
    ['hidden=none l2=0.001 solver=lbfgs', 'hidden=none l2=0.01 solver=lbfgs', 'hidden=none l2=0.1 solver=lbfgs']
    >>> converged_candidates(100, fixed={"lr": 0.01})
    []
    """
    fixed = dict(fixed or {})
    ignored = {"lr", "batch_size", "epochs", "patience"} & set(fixed)
    if tuple(fixed.get("hidden", ())) or fixed.get("dropout", 0.0) or ignored:
        return []
    l2s = [fixed["l2"]] if "l2" in fixed else _l2_grid(n_rows, deep=False)
    return [Candidate((), 0.0, float(l2), 1.0, max(n_rows, 1), solver="lbfgs") for l2 in l2s]


def cross_validated_candidates(candidates: list[Candidate], n_rows: int, *,
                               fixed: Mapping[str, Any] | None = None) -> list[Candidate]:
    """What a cross-validated search tries: `candidates` with their softmax regressions replaced by
    `converged_candidates` (when the user's settings allow them), then `fixed_length_candidates`."""
    converged = converged_candidates(n_rows, fixed=fixed)
    kept = [c for c in candidates if c.hidden or not converged]
    return [*kept, *converged, *fixed_length_candidates(n_rows, fixed=fixed)]


def fixed_length_candidates(n_rows: int, *, fixed: Mapping[str, Any] | None = None) -> list[Candidate]:
    """The candidates that train as scikit-learn's MLPClassifier does: one layer of `FIXED_HIDDEN` units, Adam
    1e-3, batches of up to `FIXED_BATCH` rows (the whole of a small table), no L2, `FIXED_EPOCHS` epochs with no
    early stopping, the last epoch's weights. On a few hundred rows the validation loss bottoms out long before the
    decisions stop improving (glass, painters, a rare class of 2 % of the rows); only cross-validation can say when
    that is so (`multiclass.jobs.recipe.search`), so these join the candidates only there. Hyperparameters the user
    fixed are kept; none when the user fixed the training's length (``epochs``, ``patience``).

    Examples
    --------
    >>> [c.label() for c in fixed_length_candidates(150)]
    ['hidden=128 dropout=0 l2=0 lr=0.001 batch=150 fixed_epochs=500']
    """
    fixed = dict(fixed or {})
    if {"epochs", "patience"} & set(fixed):
        return []
    return [Candidate(tuple(fixed.get("hidden", (FIXED_HIDDEN,))), float(fixed.get("dropout", 0.0)),
                      float(fixed.get("l2", 0.0)), float(fixed.get("lr", 1e-3)),
                      int(fixed.get("batch_size", min(FIXED_BATCH, max(n_rows, 1)))), FIXED_EPOCHS)]


def with_candidate(config, candidate: Candidate):
    """`config` (a `TrainConfig`) as `candidate` trains: its learning rate, L2 and batch size, and for a
    fixed-length candidate its epochs and no early stopping (``patience=None``; keep its last epoch's weights)."""
    length = {"epochs": candidate.fixed_epochs, "patience": None} if candidate.fixed_epochs else {}
    return replace(config, lr=candidate.lr, l2=candidate.l2, batch_size=candidate.batch_size, **length)


def expected_epochs(n_rows: int) -> int:
    """Epochs a candidate is expected to take to its best epoch plus patience, for budgeting (small data takes more
    epochs: each epoch is fewer steps)."""
    return int(min(200, max(20, 40 * math.sqrt(10_000 / max(n_rows, 100)))))
