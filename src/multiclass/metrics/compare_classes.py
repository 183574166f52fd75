"""Per-class paired comparison: B - A in the recall of each class (and of a group of classes pooled), with a
paired bootstrap interval, on the same rows.

Within class c each row is found by A, by B, by both or by neither; the recall difference is the mean of
``d_i = found_B(i) - found_A(i)`` over the class's n_c rows. A bootstrap resample of those rows only changes how
many rows have d = +1 and d = -1, so it is drawn as one multinomial of (n_+, n_-, n_0) per resample (the same
distribution as resampling the rows, at a cost independent of n_c). Resampling within each class keeps its
support fixed, as the report's stratified bootstrap does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from multiclass.metrics.intervals import percentile_interval

__all__ = ["RecallDifference", "class_recall_differences", "recall_difference"]


@dataclass(frozen=True)
class RecallDifference:
    """B - A in the recall of the rows of `classes` (one class, or several pooled).

    `share_b_better` is the fraction of resamples where B finds more of these rows than A.
    """

    classes: tuple[int, ...]
    support: int
    found_a: int
    found_b: int
    value: float | None  # None when the classes have no rows
    low: float | None
    high: float | None
    share_b_better: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def recall_difference(y_true, pred_a, pred_b, classes, *, n_resamples: int = 1000, seed: int = 0,
                      confidence: float = 0.95) -> RecallDifference:
    """B - A in the recall of the rows whose true class is in `classes` (pooled), with its paired interval.

    Examples
    --------
    >>> y = np.array([1] * 10 + [0] * 5)
    >>> a = np.array([1] * 2 + [0] * 13)
    >>> b = np.array([1] * 8 + [0] * 7)
    >>> d = recall_difference(y, a, b, [1], n_resamples=500)
    >>> d.found_a, d.found_b, round(d.value, 2), d.low > 0
    (2, 8, 0.6, True)
    """
    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    codes = tuple(int(c) for c in classes)
    rows = np.isin(y_true, codes)
    hit_a, hit_b = pred_a[rows] == y_true[rows], pred_b[rows] == y_true[rows]
    n = int(rows.sum())
    if n == 0:
        return RecallDifference(codes, 0, 0, 0, None, None, None, None)
    up, down = int(np.sum(hit_b & ~hit_a)), int(np.sum(hit_a & ~hit_b))
    draws = np.random.default_rng(seed).multinomial(n, [up / n, down / n, 1 - (up + down) / n],
                                                    size=n_resamples)  # (R, 3)
    samples = (draws[:, 0] - draws[:, 1]) / n  # (R,)
    low, high = percentile_interval(samples, confidence=confidence)
    return RecallDifference(codes, n, int(hit_a.sum()), int(hit_b.sum()), (up - down) / n, float(low), float(high),
                            float(np.mean(samples > 0)))


def class_recall_differences(y_true, pred_a, pred_b, n_classes: int, *, n_resamples: int = 1000, seed: int = 0,
                             confidence: float = 0.95) -> tuple[RecallDifference, ...]:
    """`recall_difference` of every class, in class order (class c's resamples seeded ``seed + c``)."""
    return tuple(recall_difference(y_true, pred_a, pred_b, [c], n_resamples=n_resamples, seed=seed + c,
                                   confidence=confidence) for c in range(n_classes))
