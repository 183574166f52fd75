"""What `fit` adds for the classes that matter: the monitor that early stopping and the recipe's search watch for
them, or for the user's costs (`watch_critical`), the critical classes kept with the model, and conformal prediction sets calibrated on the
validation rows (`multiclass.conformal`), per critical class when there are any.

The validation rows also chose the epoch (early stopping) and the recipe; that choice looks at a score of all
rows at once (the loss, or the critical classes' recall), not at any row's score, so the sets' coverage is what
split conformal promises up to that mild reuse. Coverage is checked on new data by the tests (tests/test_jobs_critical.py).
"""

from __future__ import annotations

from dataclasses import replace

from multiclass.classes import critical_monitor, resolve_class
from multiclass.conformal import calibrate_sets
from multiclass.conformal.stored import critical_codes
from multiclass.decisions import DecisionConfig
from multiclass.exceptions import ConfigError
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig
from multiclass.training.config import check_monitor_costs
from multiclass.training.monitor import COST_MONITOR, MISSING_COSTS
from multiclass.training.recipes import Recipe

__all__ = ["check_streamed", "fit_critical", "watch_critical", "with_critical_classes"]


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
    if COST_MONITOR in (resolved.monitor, given.monitor):
        if costs is None:
            raise ConfigError(MISSING_COSTS)
        return replace(resolved, monitor=COST_MONITOR, cost_matrix=check_monitor_costs(costs))
    fixed = recipe.fixed if isinstance(recipe, Recipe) else {}
    if "monitor" in fixed or given.monitor != TrainConfig().monitor:
        return resolved
    if costs is not None:
        return replace(resolved, monitor=COST_MONITOR, cost_matrix=check_monitor_costs(costs))
    if not critical:
        return resolved
    return replace(resolved, monitor=critical_monitor(critical))


def check_streamed(decision: DecisionConfig | None) -> None:
    """Streamed training keeps the critical classes but no held-out probabilities: `coverage` is refused."""
    if decision is not None and decision.coverage is not None:
        raise ConfigError("`coverage` is calibrated on held-out probabilities, which streamed training does not "
                          "keep; train in memory.")


def fit_critical(trained: TrainedModel, decision: DecisionConfig, X_val=None, y_val=None) -> TrainedModel:
    """Set ``trained.critical`` and, with ``decision.coverage``, ``trained.conformal`` (in place; returned).

    Raises
    ------
    ConfigError
        `coverage` without validation rows.
    DataError
        A class calibrated alone has too few validation rows for the coverage (the message says how many).
    """
    trained.critical = tuple(str(name) for name in decision.critical)
    if decision.coverage is None:
        return trained
    if X_val is None:
        raise ConfigError("`coverage` is calibrated on validation rows; set `val_split` > 0 or give validation "
                          "data.")
    _, probs, _ = trained.outputs(X_val)  # calibrated probabilities: what predictions write and serve returns
    codes = critical_codes(trained.critical, trained.classes)
    trained.conformal = calibrate_sets(probs, y_val, coverage=decision.coverage, score=decision.set_score,
                                       mondrian=list(codes) if codes else None, classes=trained.classes)
    return trained


def with_critical_classes(trained: TrainedModel, critical) -> TrainedModel:
    """A copy of `trained` whose critical classes are `critical` (class names; none given: `trained` itself,
    keeping the classes saved with it). ConfigError names an unknown class."""
    if not critical:
        return trained
    names = [str(c) for c in trained.classes]
    return replace(trained, critical=tuple(names[resolve_class(name, names, len(names), "critical")]
                                           for name in critical))
