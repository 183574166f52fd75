"""Which calibration score is the threshold: the split-conformal order statistic, its training-conditional (PAC)
version, and how many calibration rows a coverage needs.

With n exchangeable calibration scores and a new score from the same distribution, the new one is at most the
k-th smallest calibration score with probability at least k / (n + 1) (exactly k / (n + 1) when scores never
tie). So ``k = ceil((n + 1)(1 - alpha))`` gives coverage >= 1 - alpha on average over calibration sets, and
< 1 - alpha + 1 / (n + 1) when scores never tie (Vovk et al. 2005; Angelopoulos & Bates 2021, sec. 1). It exists
only when k <= n, i.e. n >= (1 - alpha) / alpha.

For one calibration set, the coverage of the k-th smallest score is a Beta(k, n + 1 - k) variable, so
``P(coverage < 1 - alpha) = P(Binomial(n, 1 - alpha) >= k)`` (Vovk 2012, "Conditional validity of inductive
conformal predictors"; Angelopoulos & Bates sec. 3.4). The smallest k with that tail <= delta gives coverage
>= 1 - alpha with confidence 1 - delta; it exists when even k = n does, ``(1 - alpha)^n <= delta``, i.e.
``n >= ln(delta) / ln(1 - alpha)`` (59 rows for 95 % coverage at 95 % confidence).
"""

from __future__ import annotations

import math

import numpy as np

from multiclass.exceptions import ConfigError

__all__ = ["check_level", "format_level", "order_index", "rows_needed", "threshold"]

# Float slack when turning (n + 1) * coverage into a count: 20 * 0.95 must give 19, not 19.000000000000004 -> 20.
_COUNT_SLACK = 1e-9


def check_level(value, name: str) -> float:
    """`value` as a float in (0, 1), or a ConfigError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < float(value) < 1:
        raise ConfigError(f"`{name}` must be a number in (0, 1); got {value!r}.")
    return float(value)


def format_level(value: float) -> str:
    """0.95 -> '95 %' (as the messages and the report write levels)."""
    return f"{100 * value:.10g} %"


def order_index(n: int, coverage: float, confidence: float | None = None) -> int | None:
    """The 1-based rank k of the calibration score used as threshold, or None when n rows cannot give it.

    Parameters
    ----------
    n : int
        Number of calibration scores.
    coverage : float
        1 - alpha, in (0, 1).
    confidence : float, optional
        1 - delta: ask coverage >= `coverage` with this probability over calibration sets (training-conditional);
        None asks it on average (the plain split-conformal rule).

    Examples
    --------
    >>> order_index(19, 0.95), order_index(18, 0.95)
    (19, None)
    >>> order_index(59, 0.95, confidence=0.95), order_index(58, 0.95, confidence=0.95)
    (59, None)
    """
    if n <= 0:
        return None
    if confidence is None:
        k = math.ceil((n + 1) * coverage - _COUNT_SLACK)
    else:
        # Smallest k with P(Binomial(n, coverage) >= k) <= 1 - confidence; ppf is the smallest x with
        # cdf(x) >= confidence, and sf(x) = 1 - cdf(x), so k = ppf + 1. Nudge for ppf's own float rounding.
        from scipy import stats  # only here: prediction sets and the numpy runtime never import scipy

        delta = 1 - confidence
        k = int(stats.binom.ppf(confidence, n, coverage)) + 1
        while k > 1 and stats.binom.sf(k - 2, n, coverage) <= delta:
            k -= 1
        while k <= n and stats.binom.sf(k - 1, n, coverage) > delta:
            k += 1
    return max(k, 1) if k <= n else None


def rows_needed(coverage: float, confidence: float | None = None) -> int:
    """The fewest calibration rows (of a class, for class-conditional sets) that can give `coverage`.

    Parameters
    ----------
    coverage : float
        1 - alpha, in (0, 1).
    confidence : float, optional
        1 - delta for the training-conditional guarantee; None for coverage on average.

    Returns
    -------
    int
        ``ceil((1 - alpha) / alpha)`` on average (the order statistic must exist); with a confidence,
        ``ceil(ln(delta) / ln(1 - alpha))``.

    Raises
    ------
    ConfigError
        A level outside (0, 1).

    Examples
    --------
    >>> rows_needed(0.9), rows_needed(0.95), rows_needed(0.95, confidence=0.95), rows_needed(0.9, confidence=0.9)
    (9, 19, 59, 22)
    """
    coverage = check_level(coverage, "coverage")
    if confidence is None:
        n = max(1, math.ceil(coverage / (1 - coverage) - _COUNT_SLACK))
    else:
        confidence = check_level(confidence, "confidence")
        n = max(1, math.ceil(math.log(1 - confidence) / math.log(coverage) - _COUNT_SLACK))
    while n > 1 and order_index(n - 1, coverage, confidence) is not None:  # the closed forms round; the rule decides
        n -= 1
    while order_index(n, coverage, confidence) is None:
        n += 1
    return n


def threshold(scores: np.ndarray, coverage: float, confidence: float | None = None) -> float | None:
    """The k-th smallest of `scores` (k from `order_index`), or None when there are too few scores."""
    k = order_index(len(scores), coverage, confidence)
    if k is None:
        return None
    return float(np.partition(np.asarray(scores, dtype=np.float64), k - 1)[k - 1])
