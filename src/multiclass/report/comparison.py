"""`ModelComparison`: what `multiclass compare` shows, and which model it prefers by the metric that matters.

The paired comparison of the headline scores (`metrics.compare_predictions`), every class's paired recall
difference (`metrics.compare_classes`), critical classes first, and the decision: by ``metric`` -- "accuracy",
"macro_f1", "balanced_accuracy", "weighted_f1", "recall:CLASS" or "cost" (the expected cost per row under a
cost matrix, `metrics.compare_cost`; lower is better) -- or, with critical classes and no metric, by
the recall of the critical classes pooled; without either, by accuracy and McNemar's test together (the former
rule). A model is preferred only when the interval of B - A excludes 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from multiclass.classes import resolve_class
from multiclass.exceptions import ConfigError
from multiclass.metrics.compare import PairedComparison
from multiclass.metrics.compare_cost import CostDifference, cost_difference
from multiclass.metrics.compare_classes import (
    RecallDifference,
    class_recall_differences,
    recall_difference,
)

__all__ = ["METRICS", "ModelComparison", "compare_view", "parse_metric"]

METRICS = ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1")


@dataclass(frozen=True)
class ModelComparison:
    """Two models on the same rows.

    Attributes
    ----------
    paired : PairedComparison
    classes : tuple of str
    per_class : tuple of RecallDifference
        In class order.
    critical : tuple of int
    decided_by : str
        "accuracy+mcnemar" (no metric, no critical class), a headline metric, "recall:<class>", "cost" or "critical".
    chosen : RecallDifference or None
        The recall difference that decided (a class's, or the critical classes' pooled).
    verdict : {"b_better", "a_better", "no_difference"}
    cost : CostDifference or None
        The expected costs per row and B - A, whenever a cost matrix is known (``metric="cost"`` decides by it;
        another metric only shows it).
    """

    paired: PairedComparison
    classes: tuple[str, ...]
    per_class: tuple[RecallDifference, ...]
    critical: tuple[int, ...]
    decided_by: str
    chosen: RecallDifference | None
    verdict: str
    cost: CostDifference | None = None

    @property
    def order(self) -> list[int]:
        """Classes for the per-class table: the critical ones first, then the others in class order."""
        return [*self.critical, *(c for c in range(len(self.classes)) if c not in self.critical)]


def parse_metric(metric, classes: Sequence[str]) -> tuple[str, int | None]:
    """("accuracy" | ... | "cost" | "recall", class code or None) of a ``--metric`` value; ConfigError otherwise."""
    if metric in METRICS or metric == "cost":
        return metric, None
    if isinstance(metric, str) and metric.startswith("recall:"):
        return "recall", resolve_class(metric[len("recall:"):], list(classes), len(classes), "metric")
    raise ConfigError(f"`metric` must be one of {', '.join(METRICS)}, cost or recall:CLASS; got {metric!r}.")


def _by_interval(low, high) -> str:
    if low is not None and low > 0:
        return "b_better"
    if high is not None and high < 0:
        return "a_better"
    return "no_difference"


def compare_view(paired: PairedComparison, y_true, pred_a, pred_b, classes: Sequence[str], *, critical=(),
                 metric=None, cost=None) -> ModelComparison:
    """The `ModelComparison` of two models' decisions (`y_true`, `pred_a`, `pred_b`: codes into `classes`);
    `cost`: the (K, K) cost matrix in the order of `classes` that ``metric="cost"`` scores by (with another
    metric, its expected costs are shown and decide nothing)."""
    classes = tuple(str(c) for c in classes)
    options = {"n_resamples": paired.n_resamples, "seed": paired.seed, "confidence": paired.confidence}
    per_class = class_recall_differences(y_true, pred_a, pred_b, len(classes), **options)
    codes = tuple(resolve_class(name, list(classes), len(classes), "critical") for name in critical)
    chosen = None
    cost_diff = None if cost is None else cost_difference(y_true, pred_a, pred_b, cost, **options)
    if metric is not None:
        name, code = parse_metric(metric, classes)
        if name == "cost":
            if cost is None:
                raise ConfigError("`metric` 'cost' needs a cost matrix; give one with `costs`.")
            decided_by = "cost"
            verdict = _by_interval(-cost_diff.high, -cost_diff.low)  # lower is better
        elif name == "recall":
            chosen, decided_by = per_class[code], f"recall:{classes[code]}"
            verdict = _by_interval(chosen.low, chosen.high)
        else:
            diff, decided_by = paired.difference[name], name
            verdict = _by_interval(diff["low"], diff["high"])
    elif codes:
        chosen = per_class[codes[0]] if len(codes) == 1 else recall_difference(y_true, pred_a, pred_b, codes,
                                                                                **options)
        decided_by, verdict = "critical", _by_interval(chosen.low, chosen.high)
    else:
        accuracy = paired.difference["accuracy"]
        significant = paired.mcnemar.pvalue < 1 - paired.confidence
        decided_by = "accuracy+mcnemar"
        verdict = _by_interval(accuracy["low"], accuracy["high"]) if significant else "no_difference"
    return ModelComparison(paired, classes, per_class, codes, decided_by, chosen, verdict, cost_diff)
