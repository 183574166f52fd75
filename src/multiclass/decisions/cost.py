"""Cost-sensitive decisions: a K x K cost matrix and the Bayes decision that minimises the expected cost.

``cost[i, j]`` is what deciding class j costs when the true class is i: rows = true class, columns = decided
class, the orientation of the confusion matrix. Given probabilities p (one row), deciding j costs
``sum_i p_i cost[i, j]`` on average, and the Bayes decision is the j with the smallest expected cost
(Duda, Hart & Stork, "Pattern Classification", section 2.2). The 0-1 cost (0 on the diagonal, 1 elsewhere)
gives ``1 - p_j``, so its decision is the argmax.
"""

from __future__ import annotations

import numpy as np

from multiclass.exceptions import ConfigError, DataError

__all__ = ["bayes_decision", "check_cost_matrix", "expected_cost", "zero_one_cost"]


def zero_one_cost(n_classes: int) -> np.ndarray:
    """The (K, K) cost of counting errors: 0 on the diagonal, 1 elsewhere."""
    return 1.0 - np.eye(n_classes)


def check_cost_matrix(cost, n_classes: int | None = None) -> np.ndarray:
    """(K, K) float64 from a square, finite matrix with K >= 2 (and K = `n_classes` when given).

    Raises
    ------
    ConfigError
        Not square, not finite, or the wrong number of classes.
    """
    try:
        matrix = np.asarray(cost, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"`cost_matrix` must be a square matrix of numbers; got {cost!r}.") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ConfigError(f"`cost_matrix` must be a square matrix (K, K) with K >= 2; got shape {matrix.shape}.")
    if n_classes is not None and matrix.shape[0] != n_classes:
        raise ConfigError(f"`cost_matrix` must be ({n_classes}, {n_classes}), one row and column per class; got "
                          f"shape {matrix.shape}.")
    if not np.isfinite(matrix).all():
        raise ConfigError("`cost_matrix` must hold finite numbers; got NaN or infinity.")
    return matrix


def _check_probs(probs, n_classes: int) -> np.ndarray:
    values = np.asarray(probs, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != n_classes:
        raise DataError(f"`probs` must have shape (n_samples, {n_classes}); got {values.shape}.")
    if not np.isfinite(values).all() or (values < 0).any():
        raise DataError("`probs` must hold finite probabilities >= 0; got NaN, infinity or a negative value.")
    return values


def bayes_decision(probs, cost) -> np.ndarray:
    """The class codes (N,) that minimise the expected cost ``probs @ cost`` row by row.

    Parameters
    ----------
    probs : array-like of shape (n_samples, n_classes)
        Class probabilities (calibrated ones: the decision is only as good as they are).
    cost : array-like of shape (n_classes, n_classes)
        Rows = true class, columns = decided class.

    Returns
    -------
    decisions : ndarray of int64, shape (n_samples,)
        Ties go to the lowest class code, as with argmax.

    Examples
    --------
    >>> probs = [[0.7, 0.3], [0.9, 0.1]]
    >>> bayes_decision(probs, [[0, 1], [1, 0]]).tolist()  # 0-1 cost: the argmax
    [0, 0]
    >>> bayes_decision(probs, [[0, 1], [5, 0]]).tolist()  # missing class 1 costs 5: 0.3 * 5 > 0.7 * 1
    [1, 0]
    """
    matrix = check_cost_matrix(cost)
    values = _check_probs(probs, len(matrix))
    risk = values @ matrix  # (N, K) expected cost of each decision
    return risk.argmin(axis=1).astype(np.int64)


def expected_cost(probs_or_y_true, decisions, cost) -> float:
    """Mean cost per row of `decisions`; lower is better.

    Parameters
    ----------
    probs_or_y_true : array-like of shape (n_samples, n_classes) or (n_samples,)
        Probabilities: the cost expected under them, ``mean_n sum_i p_ni cost[i, d_n]``. True class codes: the
        cost actually incurred, ``mean_n cost[y_n, d_n]``.
    decisions : array-like of int, shape (n_samples,)
        Decided class codes.
    cost : array-like of shape (n_classes, n_classes)

    Returns
    -------
    float

    Examples
    --------
    >>> cost = [[0, 1], [5, 0]]
    >>> expected_cost([0, 1, 1], [0, 0, 1], cost)  # one missed class-1 row: 5 / 3
    1.666...
    >>> expected_cost([[0.7, 0.3]], [0], cost)
    1.5
    """
    matrix = check_cost_matrix(cost)
    k = len(matrix)
    chosen = np.asarray(decisions)
    if chosen.ndim != 1 or chosen.dtype.kind not in "iu" or len(chosen) == 0:
        raise DataError(f"`decisions` must be a non-empty 1-D array of class codes; got dtype {chosen.dtype} and "
                        f"shape {chosen.shape}.")
    if chosen.min() < 0 or chosen.max() >= k:
        raise DataError(f"`decisions` must hold class codes in [0, {k}); got {int(chosen.max())!r}.")
    given = np.asarray(probs_or_y_true)
    if given.ndim == 1:
        if given.shape != chosen.shape or given.dtype.kind not in "iu":
            raise DataError(f"`probs_or_y_true` as true labels must be {len(chosen)} integer class codes; got "
                            f"dtype {given.dtype} and shape {given.shape}.")
        if given.min() < 0 or given.max() >= k:
            raise DataError(f"`probs_or_y_true` must hold class codes in [0, {k}); got {int(given.max())!r}.")
        return float(matrix[given, chosen].mean())
    values = _check_probs(given, k)
    if len(values) != len(chosen):
        raise DataError(f"`decisions` must have one entry per row of `probs` ({len(values)}); got {len(chosen)}.")
    return float(np.einsum("ni,ni->", values, matrix[:, chosen].T) / len(chosen))
