"""Confidence intervals: Wilson score intervals for proportions and a stratified bootstrap for every score.

The bootstrap is stratified by true class: a resample redraws, with replacement, ``n_c`` rows from the ``n_c``
rows of each true class c, so the class supports stay fixed (as they are in a test set drawn per class) and a
rare class never vanishes from a resample. Nothing here loops over rows:

- Confusion-matrix scores need only the resampled matrix. Drawing ``n_c`` rows of class c splits them
  multinomially over the cells of row c of the matrix, so the correct ones are ``Binomial(n_c, tp_c / n_c)``
  (one vectorised draw for all resamples and classes), and only the misclassified draws are placed one by one
  (an index into the misclassified rows of their class). The cost is about ``n_resamples x errors`` draws,
  independent of the number of correct rows and of K x K.
- A mean of per-row values (log-loss) is resampled per class with integer indices; beyond ``max_draws``
  index draws its bootstrap distribution is replaced by the normal one with the same (exact) variance.

Intervals are percentile intervals of the resampled scores (Efron & Tibshirani 1993, ch. 13).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from statistics import NormalDist

import numpy as np

from multiclass.exceptions import ConfigError, DataError
from multiclass.metrics import _checks
from multiclass.metrics.from_confusion import check_confusion
from multiclass.metrics.sparse import SparseConfusion
from multiclass.metrics.totals import headline_scores

__all__ = [
    "ResampledTotals",
    "bootstrap_confusion",
    "bootstrap_scores",
    "percentile_interval",
    "stratified_mean_interval",
    "wilson_interval",
]

# Misclassified draws placed per batch: ~4M draws keep the temporaries near 100 MB.
_BATCH_DRAWS = 1 << 22
# Relative cost of one multinomial cell to one misclassified draw, measured with numpy 2.4 (see _place_errors).
_CELL_COST = 6
# Index draws allowed for the exact bootstrap of a mean: 1e8 is 1,000 resamples of 100k rows (about a second);
# beyond it the bootstrap distribution of a mean over >= 1e5 rows is normal to well within its Monte-Carlo noise.
MAX_DRAWS = 100_000_000


def check_confidence(confidence) -> float:
    if not isinstance(confidence, Real) or isinstance(confidence, bool) or not 0 < confidence < 1:
        raise ConfigError(f"`confidence` must be a number in (0, 1); got {confidence!r}.")
    return float(confidence)


def z_quantile(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.959964 for 0.95."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes, n, *, confidence=0.95):
    """Wilson score interval of a binomial proportion ``successes / n`` (Wilson 1927), without continuity
    correction: the interval of `scipy.stats.binomtest(k, n).proportion_ci(method='wilson')`.

    Unlike the bootstrap (or the normal) interval it stays inside [0, 1] and does not collapse to a point when
    ``successes`` is 0 or ``n``, which is why it is used for small counts.

    Parameters
    ----------
    successes : int or array-like of int
    n : int or array-like of int
        Trials, broadcast against `successes`; ``0 <= successes <= n``. ``n == 0`` gives NaN bounds.
    confidence : float, default=0.95

    Returns
    -------
    low, high : float or ndarray

    Raises
    ------
    DataError
        Negative counts, or more successes than trials.
    ConfigError
        `confidence` outside (0, 1).

    Examples
    --------
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    """
    confidence = check_confidence(confidence)
    k, n_arr = np.broadcast_arrays(np.asarray(successes, dtype=np.float64), np.asarray(n, dtype=np.float64))
    if (k < 0).any() or (k > n_arr).any():
        raise DataError(f"`successes` must lie in [0, n]; got successes={successes!r} and n={n!r}.")
    z2 = z_quantile(confidence) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):  # n == 0 -> NaN, by design
        p = k / n_arr
        denominator = 1 + z2 / n_arr
        center = (p + z2 / (2 * n_arr)) / denominator
        half = math.sqrt(z2) * np.sqrt(p * (1 - p) / n_arr + z2 / (4 * n_arr**2)) / denominator
    # At k = 0 (k = n) the lower (upper) bound is exactly 0 (1); rounding would leave ~1e-18.
    low = np.where((k == 0) & (n_arr > 0), 0.0, np.clip(center - half, 0, 1))
    high = np.where((k == n_arr) & (n_arr > 0), 1.0, np.clip(center + half, 0, 1))
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def percentile_interval(samples, *, confidence=0.95, axis=0):
    """The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of resampled scores along `axis`."""
    confidence = check_confidence(confidence)
    low, high = np.quantile(np.asarray(samples, dtype=np.float64), [(1 - confidence) / 2, (1 + confidence) / 2],
                            axis=axis)
    return low, high


@dataclass(frozen=True)
class ResampledTotals:
    """Per-class totals of bootstrap resamples of a confusion matrix (rows = true, columns = predicted).

    Attributes
    ----------
    tp : ndarray of int64, shape (n_resamples, K)
        Resampled diagonal.
    pred_sum : ndarray of int64, shape (n_resamples, K)
        Resampled column sums (rows predicted as each class).
    true_sum : ndarray of int64, shape (K,)
        Row sums (supports): the same in every resample, the bootstrap being stratified by true class.
    """

    tp: np.ndarray
    pred_sum: np.ndarray
    true_sum: np.ndarray


def _check_counts(cm) -> np.ndarray:
    cm = check_confusion(cm)
    if cm.dtype.kind == "f" and not np.array_equal(cm, np.round(cm)):
        raise DataError("`cm` must hold counts (a bootstrap resamples rows); got a weighted, non-integer matrix.")
    if (cm < 0).any():
        raise DataError("`cm` must hold counts >= 0; got a negative entry.")
    return cm.astype(np.int64)


def bootstrap_confusion(cm, *, n_resamples=1000, seed=0) -> ResampledTotals:
    """Stratified bootstrap of the rows behind a confusion matrix, returned as per-class totals.

    Equal in distribution to drawing, for every true class c, ``n_c`` of its rows with replacement and
    rebuilding the matrix (see the module docstring), at a cost that grows with ``n_resamples`` times the
    number of misclassified rows.

    Parameters
    ----------
    cm : array-like of shape (K, K), or SparseConfusion
        Counts, rows = true class, columns = predicted class.
    n_resamples : int, default=1000
    seed : int, default=0
        Seed of the numpy Generator: the same seed gives the same resamples.

    Returns
    -------
    ResampledTotals
    """
    n_resamples = _checks.check_positive_int(n_resamples, "n_resamples")
    rng = np.random.default_rng(seed)
    if isinstance(cm, SparseConfusion):  # many classes: the same draws from the non-zero cells alone
        if len(cm.counts) and cm.counts.min() < 0:
            raise DataError("`cm` must hold counts >= 0; got a negative entry.")
        off = cm.off_diagonal()
        diagonal, true_sum, cells = cm.diagonal(), cm.sum(axis=1), (off.true, off.pred, off.counts)
    else:
        cm = _check_counts(cm)
        diagonal, true_sum = np.diagonal(cm), cm.sum(axis=1)  # (K,)
        rows, cols = np.nonzero(cm * (1 - np.eye(len(cm), dtype=cm.dtype)))  # off-diagonal cells, row-major
        cells = (rows, cols, cm[rows, cols])
    tp_rate = np.divide(diagonal, true_sum, out=np.zeros(len(true_sum)), where=true_sum > 0)  # (K,)
    tp = rng.binomial(true_sum, tp_rate, size=(n_resamples, len(true_sum)))  # (B, K)
    fp = _place_errors(*cells, true_sum - tp, rng)  # (B, K)
    return ResampledTotals(tp=tp, pred_sum=tp + fp, true_sum=true_sum)


def _place_errors(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, errors: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Predicted-class totals (B, K) of ``errors[b, c]`` draws from the misclassified rows of each class c.

    ``(rows, cols, counts)`` are the non-empty off-diagonal cells in row-major order (true class, predicted
    class, rows in the cell): from a dense matrix or a `SparseConfusion` alike, never a K x K array.
    """
    n_resamples, k = errors.shape
    counts = np.asarray(counts, dtype=np.int64)
    fn = np.bincount(rows, weights=counts, minlength=k).astype(np.int64)  # (K,) misclassified rows per true class
    placed = np.zeros((n_resamples, k), dtype=np.int64)
    # A class whose errors fall in few cells is cheaper as one multinomial over those cells (~100 ns per cell and
    # resample) than draw by draw (~20 ns per misclassified draw); both give the same distribution.
    n_cells = np.bincount(rows, minlength=k)  # (K,)
    cell_start = np.cumsum(n_cells) - n_cells  # (K,) where each class's cells start in (rows, cols, counts)
    by_cell = (fn > 0) & (_CELL_COST * n_cells < fn)
    for c in np.flatnonzero(by_cell):
        part = slice(cell_start[c], cell_start[c] + n_cells[c])
        placed[:, cols[part]] += rng.multinomial(errors[:, c], counts[part] / fn[c])  # (B, cells)
    errors = np.where(by_cell, 0, errors)  # (B, K) the rest, draw by draw
    wrong_pred = np.repeat(cols, counts)  # (E,) the predicted class of every misclassified row
    first = np.cumsum(fn) - fn  # (K,) where each class's misclassified rows start in wrong_pred
    flat = placed.reshape(-1)  # (B*K,) a view: counts per (resample, predicted class)
    step = max(1, _BATCH_DRAWS // max(1, int(errors.sum(axis=1).max())))
    for start in range(0, n_resamples, step):
        draws = errors[start:start + step].ravel()  # (b*K,) draws per (resample, true class)
        owner = np.repeat(np.arange(start * k, start * k + len(draws)), draws)  # (T,) flat (resample, class)
        true = owner % k
        pick = first[true] + (rng.random(len(owner)) * fn[true]).astype(np.int64)  # uniform row of that class
        flat += np.bincount((owner - true) + wrong_pred[pick], minlength=len(flat))
    return placed


def bootstrap_scores(cm, *, n_resamples=1000, seed=0) -> dict[str, np.ndarray]:
    """Accuracy, balanced accuracy, macro-/weighted-F1 (each (B,)) and per-class precision, recall and F1
    (each (B, K)) of `n_resamples` stratified bootstrap resamples of `cm` (see `bootstrap_confusion`).

    Examples
    --------
    >>> scores = bootstrap_scores([[40, 10], [5, 45]], n_resamples=200, seed=0)
    >>> scores["accuracy"].shape, scores["f1"].shape
    ((200,), (200, 2))
    >>> low, high = percentile_interval(scores["accuracy"])
    >>> bool(0.75 < low < 0.85 < high < 0.95)
    True
    """
    totals = bootstrap_confusion(cm, n_resamples=n_resamples, seed=seed)
    if not (totals.true_sum > 0).any():
        raise DataError("`cm` must hold at least one row; got an empty matrix.")
    return headline_scores(totals.tp, totals.pred_sum, totals.true_sum)  # (B, K); true_sum (K,) shared


def stratified_mean_interval(values, groups, *, n_resamples=1000, seed=0, confidence=0.95,
                             max_draws=MAX_DRAWS) -> tuple[float, float, str]:
    """Bootstrap interval of the mean of per-row `values`, resampling rows within each group (true class).

    Parameters
    ----------
    values : array-like of float, shape (n_samples,)
        Per-row values, e.g. the log-loss of each row.
    groups : array-like of int, shape (n_samples,)
        Stratum (true class code, >= 0) of each row.
    n_resamples, seed, confidence
        As in `bootstrap_confusion` and `percentile_interval`.
    max_draws : int, default=100_000_000
        Above ``n_resamples * n_samples`` index draws, the normal interval with the bootstrap's exact variance
        ``sum_c n_c s_c^2 / N^2`` (``s_c^2`` the within-class variance, ddof=0) is returned instead.

    Returns
    -------
    low, high : float
    method : {"bootstrap", "normal"}
    """
    confidence = check_confidence(confidence)
    n_resamples = _checks.check_positive_int(n_resamples, "n_resamples")
    values = np.asarray(values, dtype=np.float64)
    groups = np.asarray(groups)
    if values.ndim != 1 or len(values) == 0 or groups.shape != values.shape:
        raise DataError(f"`values` and `groups` must be 1-D of one non-zero length; got shapes {values.shape} "
                        f"and {groups.shape}.")
    order = np.argsort(groups, kind="stable")
    values = values[order]  # (N,) grouped by stratum
    sizes = np.bincount(groups[order])
    sizes = sizes[sizes > 0]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    n = len(values)
    if n_resamples * n > max_draws:
        variance = sum(size * values[a:b].var() for size, a, b in zip(sizes, bounds[:-1], bounds[1:])) / n**2
        half = z_quantile(confidence) * math.sqrt(variance)
        return float(values.mean() - half), float(values.mean() + half), "normal"
    rng = np.random.default_rng(seed)
    sums = np.zeros(n_resamples)
    for size, a, b in zip(sizes, bounds[:-1], bounds[1:]):
        step = max(1, _BATCH_DRAWS // size)
        for start in range(0, n_resamples, step):  # (step, size) index draws at a time
            rows = min(step, n_resamples - start)
            sums[start:start + rows] += values[a:b][rng.integers(0, size, size=(rows, size))].sum(axis=1)
    low, high = percentile_interval(sums / n, confidence=confidence)
    return float(low), float(high), "bootstrap"
