"""The `compare` verb: is model B better than model A on the same labelled data -- by the metric that matters?

Each model reads the data through its own preprocessing and decides under its own policy; the decisions are
compared row by row with a paired bootstrap of the score differences (B - A) and McNemar's test
(`multiclass.metrics.compare_predictions`).
"""

from __future__ import annotations

import numpy as np

from multiclass.decisions import cost_matrix_from
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs.inputs import load_for_model
from multiclass.metrics import PairedComparison, compare_predictions
from multiclass.report.comparison import ModelComparison, compare_view
from multiclass.trained import TrainedModel

__all__ = ["compare", "compare_models"]


def compare(trained_a: TrainedModel, trained_b: TrainedModel, data, *, n_resamples: int = 1000, seed: int = 0,
            confidence: float = 0.95, **options) -> PairedComparison:
    """Compare the decisions of two models on the same labelled data (`options`: reader options, as
    `multiclass.jobs.inputs.load_for_model`).

    Raises
    ------
    DataError
        The models' classes differ, the data has no labels, or the two models read different labels.
    """
    y, pred_a, pred_b = _decisions(trained_a, trained_b, data, options)
    return compare_predictions(y, pred_a, pred_b, n_resamples=n_resamples, seed=seed, confidence=confidence)


def compare_models(trained_a: TrainedModel, trained_b: TrainedModel, data, *, critical=(), metric=None,
                   costs=None, n_resamples: int = 1000, seed: int = 0, confidence: float = 0.95,
                   **options) -> ModelComparison:
    """`compare`, with every class's paired recall difference and the decision by the metric that matters
    (`multiclass.report.comparison`): `metric` ("accuracy", "macro_f1", ..., "recall:CLASS", "cost"), else the
    recall of the `critical` classes (none given: those saved with model A, then B), else accuracy with McNemar's
    test. "cost" scores by `costs` (a CSV/JSON file, ``{true: {decided: cost}}`` or a (K, K) array in A's class
    order, as `DecisionConfig.cost_matrix`), else by the cost matrix of the two models' decision policies when
    they hold the same one; `costs` without `metric` means "cost". Whenever a cost matrix is known that way (also
    when another metric decides), the view holds the expected cost per row of A and B and its paired difference.

    Raises
    ------
    ConfigError
        An unknown metric or class; "cost" without a cost matrix; `costs` with another metric.
    DataError
        As `compare`.
    """
    if costs is not None and metric is None:
        metric = "cost"
    _check_classes(trained_a, trained_b)  # first: the cost matrices are matched class by class
    cost = _cost_matrix(trained_a, trained_b, costs, metric)  # before reading the data: a wrong file fails fast
    y, pred_a, pred_b = _decisions(trained_a, trained_b, data, options)
    paired = compare_predictions(y, pred_a, pred_b, n_resamples=n_resamples, seed=seed, confidence=confidence)
    critical = tuple(critical) or trained_a.critical or trained_b.critical
    return compare_view(paired, y, pred_a, pred_b, trained_a.classes, critical=critical, metric=metric, cost=cost)


def _cost_matrix(trained_a: TrainedModel, trained_b: TrainedModel, costs, metric) -> np.ndarray | None:
    """The (K, K) cost matrix, in A's class order, that `metric` "cost" scores by; for another metric, the one
    both models' decision policies hold (shown beside the metric that decides), else None."""
    if metric != "cost" and costs is not None:
        raise ConfigError(f"`costs` scores the models by cost; it cannot be given with `metric` {metric!r}.")
    if costs is not None:
        return cost_matrix_from(costs, trained_a.classes)
    order = [trained_b.classes.index(name) for name in trained_a.classes]  # A's classes as B's codes
    stored = []
    for trained, index in ((trained_a, slice(None)), (trained_b, np.ix_(order, order))):
        matrix = None if trained.decision is None else trained.decision.cost_matrix
        stored.append(None if matrix is None else np.asarray(matrix, dtype=np.float64)[index])
    if metric != "cost":
        same = stored[0] is not None and stored[1] is not None and np.array_equal(stored[0], stored[1])
        return stored[0] if same else None
    if stored[0] is None and stored[1] is None:
        raise ConfigError("`metric` 'cost' needs a cost matrix and neither model's decision policy has one; give "
                          "one with `costs`.")
    if stored[0] is None or stored[1] is None or not np.array_equal(stored[0], stored[1]):
        raise ConfigError("`metric` 'cost' needs one cost matrix and the two models' decision policies do not hold "
                          "the same one; give one with `costs`.")
    return stored[0]


def _check_classes(trained_a: TrainedModel, trained_b: TrainedModel) -> None:
    if set(trained_a.classes) != set(trained_b.classes):
        raise DataError(f"the models must know the same classes to be compared; got {list(trained_a.classes)[:10]} "
                        f"and {list(trained_b.classes)[:10]}.")


def _decisions(trained_a: TrainedModel, trained_b: TrainedModel, data, options) -> tuple:
    """(labels, A's decisions, B's decisions) as A's class codes."""
    _check_classes(trained_a, trained_b)
    datasets = [load_for_model(trained, data, **options) for trained in (trained_a, trained_b)]
    for dataset in datasets:
        if dataset.y is None:
            raise DataError(f"{dataset.source}: comparing models needs labels; the data has none.")
    to_a = np.array([trained_a.classes.index(name) for name in trained_b.classes])  # B's codes -> A's codes
    y_a, y_b = datasets[0].y, to_a[datasets[1].y]
    if len(y_a) != len(y_b) or not np.array_equal(y_a, y_b):
        raise DataError(f"{datasets[0].source}: the two models read different labels from the data; compare them "
                        "on data both read the same way.")
    return y_a, trained_a.predict_codes(datasets[0].X), to_a[trained_b.predict_codes(datasets[1].X)]
