"""Paired comparison of two models by expected cost: the mean of ``C[true, decided]`` over the rows (a *loss*:
lower is better), B - A, with the paired bootstrap interval of `multiclass.metrics.compare` (the same resampled
rows as its accuracy and macro-F1 for the same seed).

Each row's cost difference is ``d_i = C[y_i, b_i] - C[y_i, a_i]``; a resample's B - A is the mean of d over its
rows, so B is better when the interval lies below 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from multiclass.metrics.compare import check_pair, resample_blocks
from multiclass.metrics.intervals import percentile_interval

__all__ = ["CostDifference", "cost_difference"]


@dataclass(frozen=True)
class CostDifference:
    """Expected cost per row of A and of B on the same rows, and B - A with its paired interval.

    `share_b_better` is the fraction of resamples where B's cost is lower than A's, `share_b_higher` the fraction
    where it is higher (B > A, as the other rows of the comparison count resamples; ties are neither).
    """

    cost_a: float
    cost_b: float
    value: float
    low: float
    high: float
    share_b_better: float
    share_b_higher: float = float("nan")

    def to_dict(self) -> dict:
        return asdict(self)


def cost_difference(y_true, pred_a, pred_b, cost, *, n_resamples: int = 1000, seed: int = 0,
                    confidence: float = 0.95) -> CostDifference:
    """B - A in the expected cost per row, ``mean(C[y, pred])``, with its paired bootstrap interval.

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like of int, shape (n_samples,)
        Class codes.
    cost : array-like of float, shape (n_classes, n_classes)
        Rows = true class, columns = decided class; every code must index it.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1])
    >>> cost = [[0, 1], [10, 0]]  # missing class 1 costs 10
    >>> d = cost_difference(y, [0, 0, 0, 0], [1, 1, 1, 1], cost, n_resamples=200)
    >>> d.cost_a, d.cost_b, d.value
    (5.0, 0.5, -4.5)
    """
    y_true, pred_a, pred_b = check_pair(y_true, pred_a, pred_b)
    cost = np.asarray(cost, dtype=np.float64)  # (K, K)
    k = int(max(y_true.max(), pred_a.max(), pred_b.max())) + 1
    if cost.ndim != 2 or cost.shape[0] != cost.shape[1] or cost.shape[0] < k:
        raise ValueError(f"`cost` must be a square matrix with a row and column per class code (at least {k}); got "
                         f"shape {cost.shape}.")
    row_a, row_b = cost[y_true, pred_a], cost[y_true, pred_b]  # (N,)
    d = row_b - row_a  # (N,)
    samples = np.empty(n_resamples)
    for start, draws in resample_blocks(len(d), n_resamples, seed):
        samples[start:start + len(draws)] = d[draws].mean(axis=1)
    low, high = percentile_interval(samples, confidence=confidence)
    return CostDifference(float(row_a.mean()), float(row_b.mean()), float(d.mean()), float(low), float(high),
                          float(np.mean(samples < 0)), float(np.mean(samples > 0)))
