"""Is model B better than model A on the same rows? A paired bootstrap of the score differences and McNemar's test.

Both look at the two models' decisions row by row, so what the rows have in common (easy or hard examples)
cancels out, which makes the comparison far sharper than two separate intervals.

- **Paired bootstrap** (Efron & Tibshirani 1993; Koehn 2004 for classifiers): resample the rows with replacement,
  score both models on each resample, and take percentile intervals of ``score_B - score_A``. All resamples are
  scored at once from `np.bincount` counts (B, K), a block of resamples at a time.
- **McNemar's test** (McNemar 1947; Dietterich 1998): of the rows where exactly one model is right, ``n_ab`` are
  right by A only and ``n_ba`` by B only; under "equally accurate" each is Binomial(n_ab + n_ba, 1/2). Exact
  two-sided binomial p-value when ``n_ab + n_ba < 25`` (Dietterich's threshold, where the chi-square
  approximation is poor), else the chi-square statistic with Edwards' continuity correction
  ``max(|n_ab - n_ba| - 1, 0)^2 / (n_ab + n_ba)`` on 1 degree of freedom.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics.intervals import percentile_interval
from multiclass.metrics.totals import headline_scores

__all__ = ["McNemarResult", "PairedComparison", "check_pair", "compare_predictions", "mcnemar_test",
           "paired_bootstrap", "resample_blocks"]

# Below this many discordant rows McNemar's chi-square is a poor approximation: use the exact binomial.
EXACT_BELOW = 25
# The scores compared (`compare --metric` may name any of them).
HEADLINE = ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1")
# Index draws per block of resamples (8 bytes each): about 64 MB of temporaries at a time.
_BLOCK_DRAWS = 1 << 23


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test of equal accuracy. `n_ab`: rows right by A only; `n_ba`: right by B only."""

    n_ab: int
    n_ba: int
    statistic: float | None  # the chi-square statistic; None for the exact test
    pvalue: float
    method: str  # "exact" or "chi2"


def check_pair(y_true, pred_a, pred_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The truth and two models' decisions as int64 arrays of one length; DataError otherwise."""
    arrays = []
    for name, values in (("y_true", y_true), ("pred_a", pred_a), ("pred_b", pred_b)):
        values = np.asarray(values)
        if values.ndim != 1 or values.dtype.kind not in "iu" or len(values) == 0:
            raise DataError(f"`{name}` must be a non-empty 1-D array of class codes; got dtype {values.dtype} and "
                            f"shape {values.shape}.")
        if values.min() < 0:
            raise DataError(f"`{name}` must hold class codes >= 0; got {int(values.min())!r}.")
        arrays.append(values.astype(np.int64))
    if not len(arrays[0]) == len(arrays[1]) == len(arrays[2]):
        raise DataError(f"`y_true`, `pred_a` and `pred_b` must have one length; got {[len(a) for a in arrays]}.")
    return arrays[0], arrays[1], arrays[2]


def _exact_pvalue(k: int, n: int) -> float:
    """Two-sided p-value of k successes in n fair coin flips: twice the smaller tail, at most 1."""
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1))  # exact integers
    return min(1.0, 2 * tail / 2**n)


def mcnemar_test(y_true, pred_a, pred_b, *, exact_below: int = EXACT_BELOW) -> McNemarResult:
    """McNemar's test that models A and B are equally accurate on paired rows.

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like of int, shape (n_samples,)
    exact_below : int, default=25
        Use the exact binomial test when fewer rows than this are discordant.

    Returns
    -------
    McNemarResult

    Examples
    --------
    >>> y = np.zeros(12, dtype=int)
    >>> pred_a, pred_b = np.repeat([0, 1], [2, 10]), np.repeat([0, 1], [10, 2])  # 2 rows right, and 10
    >>> result = mcnemar_test(y, pred_a, pred_b)
    >>> result.n_ab, result.n_ba, result.method, round(result.pvalue, 4)
    (0, 8, 'exact', 0.0078)
    """
    y_true, pred_a, pred_b = check_pair(y_true, pred_a, pred_b)
    right_a, right_b = pred_a == y_true, pred_b == y_true
    n_ab = int(np.count_nonzero(right_a & ~right_b))
    n_ba = int(np.count_nonzero(right_b & ~right_a))
    n = n_ab + n_ba
    if n < exact_below:
        return McNemarResult(n_ab, n_ba, None, _exact_pvalue(n_ab, n) if n else 1.0, "exact")
    statistic = max(abs(n_ab - n_ba) - 1, 0) ** 2 / n  # the correction never pushes past a perfect tie
    # The chi-square survival function with 1 degree of freedom is erfc(sqrt(x / 2)) (scipy.stats.chi2.sf(x, 1);
    # math's erfc spares every CLI call the 0.7 s import of scipy.stats).
    return McNemarResult(n_ab, n_ba, float(statistic), math.erfc(math.sqrt(statistic / 2)), "chi2")


def _scores(y_true, pred, draws, k: int) -> dict[str, np.ndarray]:
    """The headline scores (each (B,)) and per-class ones (each (B, K)) of `pred` on each resample of rows
    `draws` (B, N), from the resamples' class totals."""
    b = len(draws)
    offset = (np.arange(b) * k)[:, None]  # (B, 1) each resample's block of K counts
    truth, chosen = y_true[draws], pred[draws]  # (B, N)
    true_sum = np.bincount((offset + truth).ravel(), minlength=b * k).reshape(b, k)
    pred_sum = np.bincount((offset + chosen).ravel(), minlength=b * k).reshape(b, k)
    tp = np.bincount((offset + truth).ravel(), weights=(truth == chosen).ravel(), minlength=b * k).reshape(b, k)
    return headline_scores(tp, pred_sum, true_sum)


def paired_bootstrap(y_true, pred_a, pred_b, *, n_resamples: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Accuracy, balanced accuracy, macro-F1 and weighted-F1 differences B - A on `n_resamples` paired bootstrap
    resamples of the rows.

    Returns
    -------
    dict
        ``{"accuracy": (B,), "balanced_accuracy": (B,), "macro_f1": (B,), "weighted_f1": (B,)}``: score of B minus
        score of A on each resample.
    """
    y_true, pred_a, pred_b = check_pair(y_true, pred_a, pred_b)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise DataError(f"`n_resamples` must be an integer >= 1; got {n_resamples!r}.")
    k = int(max(y_true.max(), pred_a.max(), pred_b.max())) + 1
    out = {name: np.empty(n_resamples) for name in HEADLINE}
    for start, draws in resample_blocks(len(y_true), n_resamples, seed):
        a, b = _scores(y_true, pred_a, draws, k), _scores(y_true, pred_b, draws, k)
        for name, values in out.items():
            values[start:start + len(draws)] = b[name] - a[name]
    return out


def resample_blocks(n: int, n_resamples: int, seed: int):
    """The paired bootstrap's resamples of `n` rows, a block at a time: ``(start, draws)`` with `draws` (b, n) row
    indices of resamples ``start .. start + b``. Every paired metric draws these same rows for the same seed."""
    rng = np.random.default_rng(seed)
    step = max(1, _BLOCK_DRAWS // n)
    for start in range(0, n_resamples, step):
        yield start, rng.integers(0, n, size=(min(step, n_resamples - start), n))  # (b, N) row indices


@dataclass(frozen=True)
class PairedComparison:
    """Scores of A and B on the same rows, their difference B - A with an interval, and McNemar's test.

    `share_b_better` is the fraction of bootstrap resamples where B scores higher than A.
    """

    n_samples: int
    scores_a: dict
    scores_b: dict
    difference: dict  # name -> {"value", "low", "high", "share_b_better"}
    mcnemar: McNemarResult
    n_resamples: int
    seed: int
    confidence: float

    def to_dict(self) -> dict:
        return asdict(self)


def compare_predictions(y_true, pred_a, pred_b, *, n_resamples: int = 1000, seed: int = 0,
                        confidence: float = 0.95) -> PairedComparison:
    """Compare two models' decisions on the same labelled rows (see the module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 400)
    >>> a = np.where(rng.random(400) < 0.7, y, (y + 1) % 3)  # about 70% right
    >>> b = np.where(rng.random(400) < 0.9, y, (y + 1) % 3)  # about 90% right
    >>> result = compare_predictions(y, a, b, n_resamples=500)
    >>> bool(result.difference["accuracy"]["low"] > 0), result.mcnemar.pvalue < 1e-6
    (True, True)
    """
    y_true, pred_a, pred_b = check_pair(y_true, pred_a, pred_b)
    everything = np.arange(len(y_true))[None, :]  # (1, N): the data itself as one "resample"
    k = int(max(y_true.max(), pred_a.max(), pred_b.max())) + 1
    point_a, point_b = _scores(y_true, pred_a, everything, k), _scores(y_true, pred_b, everything, k)
    samples = paired_bootstrap(y_true, pred_a, pred_b, n_resamples=n_resamples, seed=seed)
    difference = {}
    for name, values in samples.items():
        low, high = percentile_interval(values, confidence=confidence)
        difference[name] = {"value": float(point_b[name][0] - point_a[name][0]), "low": float(low),
                            "high": float(high), "share_b_better": float(np.mean(values > 0))}
    return PairedComparison(
        n_samples=len(y_true), scores_a={name: float(point_a[name][0]) for name in samples},
        scores_b={name: float(point_b[name][0]) for name in samples}, difference=difference,
        mcnemar=mcnemar_test(y_true, pred_a, pred_b), n_resamples=int(n_resamples), seed=int(seed),
        confidence=float(confidence))
