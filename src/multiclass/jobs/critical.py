"""What `fit` adds for the classes that matter: the monitor that early stopping and the recipe's search watch for
them, or for the user's costs (`watch_critical`), the critical classes kept with the model, and conformal prediction
sets calibrated on the validation rows (`multiclass.conformal`), per critical class when there are any
(`set_groups`), or on every row's out-of-fold probabilities (`set_calibration` "cross": `multiclass.jobs.cross_sets`);
a group with too few calibration rows is refused before any model trains (`check_calibration_rows`).

The validation rows also chose the epoch (early stopping) and the recipe; that choice looks at a score of all
rows at once (the loss, or the critical classes' recall), not at any row's score, so the sets' coverage is what
split conformal promises up to that mild reuse. Coverage is checked on new data by the tests (tests/test_jobs_critical.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from functools import partial

import numpy as np

from multiclass.classes import critical_monitor
from multiclass.conformal import calibrate_cross_sets, calibrate_sets
from multiclass.conformal.calibrate import check_group_rows, group_classes
from multiclass.conformal.stored import critical_codes
from multiclass.decisions import DecisionConfig
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs.cross_sets import FoldSource, cross_calibration_rows
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig
from multiclass.training.config import check_monitor_costs
from multiclass.training.monitor import COST_MONITOR, MISSING_COSTS
from multiclass.training.recipes import Recipe

__all__ = ["FEWER_ROWS", "check_calibration_rows", "check_streamed", "fit_critical", "set_groups",
           "watch_critical"]


def watch_critical(resolved: TrainConfig, given: TrainConfig, recipe, decision: DecisionConfig | None) -> TrainConfig:
    """`resolved` (the recipe's config) watching what `decision` says matters when the caller fixed no monitor
    (`given`, the caller's config, keeps the default one and `recipe`, a name or a `Recipe`, does not fix it):

    - ``val_cost`` when `decision` holds a cost matrix: the mean cost per validation row of the decisions the
      saved model makes under it (`multiclass.training.monitor`), with the matrix (resolved: (K, K) in class
      order) as ``cost_matrix``. The cost wins over critical classes: it is the user's own statement of what
      each error costs (the critical classes still lead the report and calibrate the sets);
    - else ``val_critical:<classes>`` -- the critical classes' recall at ``precision_floor``
      (`multiclass.classes.Watched`) -- when `decision` names critical classes.

    An explicit monitor always wins; an explicit ``val_cost`` gets the cost matrix, and without one it is a
    ConfigError. With neither costs nor critical classes `resolved` is returned as it is."""
    critical = decision.critical if decision is not None else ()
    costs = decision.cost_matrix if decision is not None else None
    fixed = recipe.fixed if isinstance(recipe, Recipe) else {}
    chosen = "monitor" in fixed or given.monitor != TrainConfig().monitor  # the caller chose the monitor
    if COST_MONITOR in (resolved.monitor, given.monitor) or (costs is not None and not chosen):
        if costs is None:
            raise ConfigError(MISSING_COSTS)
        return replace(resolved, monitor=COST_MONITOR, cost_matrix=check_monitor_costs(costs))
    if chosen or not critical:
        return resolved
    return replace(resolved, monitor=critical_monitor(critical))


def check_streamed(decision: DecisionConfig | None) -> None:
    """Streamed training keeps the critical classes but no held-out probabilities: `coverage` is refused."""
    if decision is not None and decision.coverage is not None:
        raise ConfigError("`coverage` is calibrated on held-out probabilities, which streamed training does not "
                          "keep; train in memory.")


def fit_critical(trained: TrainedModel, decision: DecisionConfig, X_val=None, y_val=None,
                 folds: FoldSource | None = None) -> TrainedModel:
    """Set ``trained.critical`` and, with ``decision.coverage``, ``trained.conformal`` (in place; returned).

    The sets are calibrated on the validation rows (``set_calibration="split"``) or on the out-of-fold
    probabilities of the training and validation rows (``"cross"``; `folds` says what the training was), with a
    threshold per group of classes of ``decision.set_groups``.

    Raises
    ------
    ConfigError
        `coverage` without validation rows (split), or "cross" without `folds`.
    DataError
        A group of classes has too few calibration rows for the coverage (the message says how many, and which
        options would calibrate with fewer).
    """
    trained.critical = tuple(str(name) for name in decision.critical)
    if decision.coverage is None:
        return trained
    mondrian = set_groups(decision, trained.classes)
    options = dict(coverage=decision.coverage, score=decision.set_score, mondrian=mondrian, classes=trained.classes)
    if decision.set_calibration == "cross":
        if folds is None:
            raise ConfigError("`set_calibration` 'cross' needs the training rows; use `fit_arrays`.")
        probs, y, fold = cross_calibration_rows(trained, folds, X_val, y_val)
        calibrate = partial(calibrate_cross_sets, probs, y, fold)
    elif X_val is None:
        raise ConfigError("`coverage` is calibrated on validation rows; set `val_split` > 0 or give validation "
                          "data.")
    else:
        _, probs, _ = trained.outputs(X_val)  # calibrated probabilities: what predictions write and serve returns
        calibrate = partial(calibrate_sets, probs, y_val)
    with _fewer_rows_hint(decision, mondrian):
        trained.conformal = calibrate(**options)
    return trained


def check_calibration_rows(decision: DecisionConfig, classes, y, y_val=None) -> None:
    """Refuse, before any model trains, sets that `fit_critical` would refuse for too few calibration rows.

    The calibration rows' labels are known before training: the validation rows (``set_calibration`` "split"),
    or the training and validation rows together ("cross"; whether the search's fold models are reused or
    `CV_FOLDS` are trained, every one of those rows is scored once). The message is `fit_critical`'s.

    Parameters
    ----------
    decision : DecisionConfig
    classes : sequence
        The class names.
    y, y_val : ndarray of int
        The class codes of the training and the validation rows (`y_val` None: no validation rows).

    Raises
    ------
    DataError
        A group of classes with too few calibration rows for ``decision.coverage``.
    """
    if decision.coverage is None or (decision.set_calibration == "split" and y_val is None):
        return  # no sets, or no validation rows: `fit_critical` says so
    labels = y_val if decision.set_calibration == "split" else y if y_val is None else np.concatenate([y, y_val])
    mondrian = set_groups(decision, classes)
    with _fewer_rows_hint(decision, mondrian):
        check_group_rows(np.bincount(labels, minlength=len(classes)), group_classes(mondrian, len(classes)),
                         decision.coverage, classes=tuple(classes))


@contextmanager
def _fewer_rows_hint(decision: DecisionConfig, mondrian):
    """A refusal for too few rows in a group, with the options that would calibrate with fewer appended."""
    try:
        yield
    except DataError as refusal:
        raise DataError(f"{refusal} {FEWER_ROWS[decision.set_calibration, mondrian is not None]}") from None


# What a refusal at `train` adds (by calibration, and whether classes are calibrated apart).
FEWER_ROWS = {
    ("split", False): "Hold out more rows (`val_split`), lower `coverage` or calibrate on every row "
                      "(`set_calibration` 'cross').",
    ("split", True): "Hold out more rows (`val_split`), lower `coverage`, pool the classes (`set_groups` "
                     "'marginal') or calibrate on every row (`set_calibration` 'cross').",
    ("cross", False): "Give more rows or lower `coverage`.",
    ("cross", True): "Give more rows, lower `coverage` or pool the classes (`set_groups` 'marginal').",
}


def set_groups(decision: DecisionConfig, classes) -> str | list[int] | None:
    """The `mondrian` argument of the calibration for ``decision.set_groups`` ("auto": the critical classes alone
    when there are any, else one group)."""
    codes = list(critical_codes(decision.critical, classes))
    groups = decision.set_groups
    if groups == "auto":
        groups = "critical" if codes else "marginal"
    return {"marginal": None, "all": "all", "critical": codes}[groups]
