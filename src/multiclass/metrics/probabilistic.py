"""Metrics on scores and probabilities (N, K): top-k accuracy and log loss, with scikit-learn's numbers.

Column j of ``y_score`` / ``y_proba`` belongs to the j-th class in sorted order: the sorted unique labels of
y_true, or `labels` (which must then be sorted for top-k, as in scikit-learn).
"""

from __future__ import annotations

import math

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks
from multiclass.metrics._encode import index_in

# top-k compares each row with its true-class score in blocks of at most this many matrix entries (8 bytes each,
# so ~32 MiB of temporaries), to bound memory at large N*K.
_BLOCK_ENTRIES = 1 << 22


def check_scores(values, name: str, n_samples: int) -> np.ndarray:
    """A finite float array of 1 or 2 dimensions with one row per sample."""
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise DataError(f"`{name}` must hold numbers; got dtype {values.dtype}.")
    if values.ndim not in (1, 2):
        raise DataError(f"`{name}` must be 1-D or 2-D (n_samples, n_classes); got shape {values.shape}.")
    if values.ndim == 2 and values.shape[1] == 0:
        raise DataError(f"`{name}` must have at least one column (one per class); got shape {values.shape}.")
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise DataError(f"`{name}` must be finite; got a NaN or infinite value.")
    if len(values) != n_samples:
        raise DataError(f"`{name}` must have the same length as `y_true`; got {len(values)} and {n_samples}.")
    return values


def score_classes(y_true: np.ndarray, labels) -> np.ndarray:
    """The classes of the columns: the sorted unique labels of y_true, or the validated `labels`."""
    if labels is None:
        return np.unique(y_true)
    return _checks.check_label_set(labels, y_true)


def _mean(values: np.ndarray, weights: np.ndarray | None, normalize: bool) -> float:
    """(Weighted) mean or sum of per-sample values with numpy's `average`/`dot`, as scikit-learn does (same dtype
    promotion and summation order, so float32 losses give the same last bits)."""
    if weights is None:
        return float(values.mean() if normalize else values.sum())
    if not normalize:
        return float(np.dot(values, weights))
    try:
        return float(np.average(values, weights=weights))
    except ZeroDivisionError:
        raise DataError(f"`sample_weight` must not sum to zero; got a total of {weights.sum().item()!r}.") from None


def top_k_accuracy_score(y_true, y_score, *, k=2, labels=None, sample_weight=None, normalize=True) -> float:
    """Fraction of samples whose true class is among the `k` highest scores.

    Ties are broken as in scikit-learn (a stable ascending sort, reversed): among equal scores the class with
    the larger index ranks first. The rank is computed without sorting, in O(N K).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_score : array-like of shape (n_samples, n_classes) or (n_samples,)
        Scores (probabilities, logits, ...) of each class, columns in sorted class order. A 1-D array holds the
        score of the second class of a binary problem (k=1 then predicts it when the score exceeds 0.5 for
        values in [0, 1], 0 otherwise).
    k : int, default=2
        Number of top classes that count as correct.
    labels : array-like of shape (n_classes,), default=None
        All classes, sorted, one per column of `y_score`. None: the unique labels of y_true.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    normalize : bool, default=True
        True: the fraction of hits; False: their (weighted) number.

    Returns
    -------
    score : float

    Raises
    ------
    DataError
        Bad `y_true`, `y_score` or `labels` (unsorted, duplicated, not matching the columns, missing a label of
        y_true).
    ConfigError
        `k` < 1.

    Warns
    -----
    UndefinedMetricWarning
        ``k >= n_classes``: every sample is a hit.

    Examples
    --------
    >>> y_score = [[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]]
    >>> top_k_accuracy_score([0, 1, 2, 2], y_score, k=2)
    0.75
    >>> top_k_accuracy_score([0, 1, 2, 2], y_score, k=1, normalize=False)
    2.0
    """
    k = _checks.check_positive_int(k, "k")
    normalize = _checks.check_bool(normalize, "normalize")
    y_true = _checks.check_labels_1d(y_true, "y_true")
    y_score = check_scores(y_score, "y_score", len(y_true))
    weights = _checks.check_sample_weight(sample_weight, y_true)
    classes = score_classes(y_true, labels)
    n_classes = len(classes)
    if labels is not None and not np.array_equal(np.sort(classes), classes):
        raise DataError(f"`labels` must be sorted (the order of the columns of `y_score`); got {classes.tolist()!r}.")
    width = 2 if y_score.ndim == 1 else y_score.shape[1]
    if n_classes != width:
        source = "labels" if labels is not None else "y_true"
        raise DataError(
            f"`y_score` must have one column per class ({n_classes} in `{source}`); got {width} columns."
            + (" Pass all classes through `labels`." if labels is None else "")
        )
    true_idx = index_in(y_true, classes)
    if (true_idx == n_classes).any():
        missing = y_true[true_idx == n_classes][0]
        raise DataError(f"`y_true` must only contain labels listed in `labels`; got {missing.item()!r}.")
    if k >= n_classes:
        _checks.warn(
            f"'k' ({k}) greater than or equal to 'n_classes' ({n_classes}) will result in a perfect score and is "
            "therefore meaningless."
        )
    if y_score.ndim == 1:  # binary: the score of the second class
        if k > 1:
            hits = np.ones(len(y_true), dtype=bool)
        else:
            threshold = 0.5 if y_score.min() >= 0 and y_score.max() <= 1 else 0
            hits = (y_score > threshold) == true_idx.astype(bool)
    else:
        hits = _in_top_k(y_score, true_idx, k)
    return _mean(hits, weights, normalize)


def _in_top_k(y_score: np.ndarray, true_idx: np.ndarray, k: int) -> np.ndarray:
    """(N,) bool: fewer than k classes rank above the true class (higher score, or equal score and larger index)."""
    n, n_classes = y_score.shape
    columns = np.arange(n_classes)  # (K,)
    hits = np.empty(n, dtype=bool)
    block = max(1, _BLOCK_ENTRIES // n_classes)
    for start in range(0, n, block):  # blocks of rows, not samples: bounds memory at ~32 MiB
        scores = y_score[start:start + block]  # (B, K)
        target = true_idx[start:start + block]  # (B,)
        true_score = scores[np.arange(len(target)), target][:, None]  # (B, 1)
        above = (scores > true_score) | ((scores == true_score) & (columns > target[:, None]))  # (B, K)
        hits[start:start + block] = above.sum(axis=1) < k
    return hits


def log_loss(y_true, y_proba, *, labels=None, sample_weight=None, normalize=True) -> float:
    """Cross-entropy ``-log p[true class]`` of predicted probabilities, averaged (or summed) over samples.

    Matches scikit-learn 1.9: probabilities are clipped to ``[eps, 1 - eps]`` with eps the machine epsilon of
    their float dtype (float16/32/64 kept, other dtypes become float64), and rows that do not sum to 1 (within
    ``sqrt(eps)``) give a warning, not an error.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in sorted class order. A 1-D array is the probability of the second
        class of a binary problem. (scikit-learn 1.9 renamed this argument from `y_pred` to `y_proba`.)
    labels : array-like, default=None
        All classes (at least two); they are sorted to match the columns, with a warning if they were not.
        None: the unique labels of y_true.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    normalize : bool, default=True
        True: the mean loss per sample; False: the sum.

    Returns
    -------
    loss : float

    Raises
    ------
    DataError
        Values outside [0, 1] or not finite, a width that does not match the classes, fewer than two classes,
        or a label of y_true missing from `labels`.

    Warns
    -----
    UserWarning
        Rows do not sum to one, or `labels` is not sorted.

    Examples
    --------
    >>> round(log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]), 5)
    0.21616
    """
    normalize = _checks.check_bool(normalize, "normalize")
    y_true = _checks.check_labels_1d(y_true, "y_true")
    y_proba = check_scores(y_proba, "y_proba", len(y_true))
    if y_proba.dtype not in (np.float64, np.float32, np.float16):
        y_proba = y_proba.astype(np.float64)
    if y_proba.max() > 1 or y_proba.min() < 0:
        bad = y_proba.max() if y_proba.max() > 1 else y_proba.min()
        raise DataError(f"`y_proba` must hold probabilities in [0, 1]; got {float(bad)!r}.")
    weights = _checks.check_sample_weight(sample_weight, y_true)
    classes = score_classes(y_true, labels)
    if labels is not None and not np.array_equal(np.sort(classes), classes):
        _checks.warn(
            f"Labels passed were {classes.tolist()}. But this function assumes labels are ordered "
            f"lexicographically. Pass the ordered labels={np.sort(classes).tolist()} and ensure that the "
            "columns of y_prob correspond to this ordering.",
            UserWarning,
        )
    classes = np.sort(classes)
    n_classes = len(classes)
    true_idx = index_in(y_true, classes)
    if labels is not None and (true_idx == n_classes).any():
        missing = y_true[true_idx == n_classes][0]
        raise DataError(f"`y_true` must only contain labels listed in `labels`; got {missing.item()!r}.")
    if n_classes < 2:
        raise DataError(
            f"`{'labels' if labels is not None else 'y_true'}` must contain at least two classes; got "
            f"{classes.tolist()!r}. Pass all classes through `labels`."
        )
    if y_proba.ndim == 1 or y_proba.shape[1] == 1:  # probability of the second class
        positive = y_proba.reshape(-1, 1)
        y_proba = np.concatenate([1 - positive, positive], axis=1)  # (N, 2)
    eps = np.finfo(y_proba.dtype).eps
    if not np.allclose(y_proba.sum(axis=1), 1, rtol=math.sqrt(eps), atol=1e-8):  # xpx.isclose defaults
        _checks.warn("The y_prob values do not sum to one. Make sure to pass probabilities.", UserWarning)
    if y_proba.shape[1] != n_classes:
        source = "labels" if labels is not None else "y_true"
        raise DataError(
            f"`y_proba` must have one column per class ({n_classes} in `{source}`); got {y_proba.shape[1]} columns."
            + (" Pass all classes through `labels`." if labels is None else "")
        )
    proba = np.clip(y_proba[np.arange(len(y_true)), true_idx], eps, 1 - eps)  # (N,) p of the true class
    return _mean(-np.log(proba), weights, normalize)
