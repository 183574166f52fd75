"""Metrics computed from a confusion matrix alone: accuracy, balanced accuracy, precision/recall/F-beta.

Code that already holds a matrix (a `ConfusionMatrix` fed in chunks, a sum of matrices from several workers)
gets every number from these functions; the label-based functions of `classification` call them too, so both
routes give the same numbers. Rows are true classes, columns predicted classes. For class c:
``tp = cm[c, c]``, ``pred_sum = cm[:, c].sum()`` (predicted as c), ``true_sum = cm[c, :].sum()`` (support).
"""

from __future__ import annotations

import math

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks


def check_confusion(cm) -> np.ndarray:
    """Validate a confusion matrix: 2-D, square, non-empty, finite numbers. Returns it as an ndarray."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise DataError(f"`cm` must be a non-empty square 2-D matrix; got an array of shape {cm.shape}.")
    if cm.dtype.kind not in "biuf":
        raise DataError(f"`cm` must hold numbers; got dtype {cm.dtype}.")
    if cm.dtype.kind == "f" and not np.isfinite(cm).all():
        raise DataError("`cm` must be finite; got a NaN or infinite entry.")
    if cm.dtype.kind == "f":
        with np.errstate(over="ignore"):
            # Every score sums a row, a column or twice the diagonal: refuse counts whose sums leave float64.
            total = 2 * np.abs(cm).sum()
        if not np.isfinite(total):
            raise DataError(f"`cm` entries must sum to a finite total; got a total above {np.finfo(np.float64).max:.3g}.")
    return cm


def _positive_total(cm: np.ndarray) -> float:
    total = cm.sum()
    if total == 0:
        raise DataError(f"`cm` must hold a positive total weight; got {total.item()!r}.")
    return total


def accuracy_from_confusion(cm) -> float:
    """Fraction of samples on the diagonal: ``trace(cm) / cm.sum()``.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Confusion matrix, rows = true class, columns = predicted class.

    Returns
    -------
    accuracy : float

    Raises
    ------
    DataError
        `cm` is not a square matrix of finite numbers, or sums to zero.

    Examples
    --------
    >>> accuracy_from_confusion([[2, 0], [1, 1]])
    0.75
    """
    cm = check_confusion(cm)
    return float(np.trace(cm) / _positive_total(cm))


def balanced_accuracy_from_confusion(cm, adjusted=False) -> float:
    """Mean recall over the classes that occur in y_true (rows with a non-zero sum).

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Confusion matrix, rows = true class, columns = predicted class.
    adjusted : bool, default=False
        Rescale so that chance (1/K with K classes in y_true) scores 0 and perfect scores 1.

    Returns
    -------
    balanced_accuracy : float
        Classes with no true sample are left out of the mean, with a warning (scikit-learn's rule).
        With ``adjusted=True`` and a single class in y_true the chance level is 1 and the score is
        -inf (or nan for a perfect recall), as in scikit-learn, with a warning.

    Raises
    ------
    DataError
        `cm` is not a square matrix of finite numbers, or sums to zero.

    Warns
    -----
    UndefinedMetricWarning
        A class has predictions but no true sample ("y_pred contains classes not in y_true").

    Examples
    --------
    >>> balanced_accuracy_from_confusion([[3, 1], [0, 2]])
    0.875
    """
    cm = check_confusion(cm)
    adjusted = _checks.check_bool(adjusted, "adjusted")
    _positive_total(cm)
    true_sum = cm.sum(axis=1)  # (K,)
    seen = true_sum != 0
    if not seen.all():
        _checks.warn("y_pred contains classes not in y_true")
    recall = np.diagonal(cm)[seen] / true_sum[seen]  # (K_seen,)
    score = float(np.mean(recall))
    if adjusted:
        chance = 1 / len(recall)
        if chance == 1:
            _checks.warn("Adjusted balanced accuracy is undefined with a single class in y_true.")
            return -math.inf if score < 1 else math.nan
        score = (score - chance) / (1 - chance)
    return score


def nanaverage(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Average ignoring NaN (scikit-learn's `_nanaverage`): all NaN gives NaN; weights summing to 0 are dropped."""
    keep = ~np.isnan(values)
    if not keep.any():
        return math.nan
    values = values[keep]
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)[keep]
        total = weights.sum()
        if total != 0:
            return float(np.sum(values * weights) / total)
    return float(values.mean())


_FIX = "Use `zero_division` parameter to control this behavior."


def _divide(numerator, denominator, metric: str, modifier: str, warn: bool, zero_division) -> np.ndarray:
    """numerator / denominator as float64, with `zero_division` where the denominator is 0 (and a warning)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    undefined = denominator == 0
    result = numerator / np.where(undefined, 1.0, denominator)
    if not undefined.any():
        return result
    result[undefined] = 0.0 if zero_division == "warn" else zero_division
    if zero_division == "warn" and warn:
        where = "due to" if result.shape[0] == 1 else "in labels with"
        _checks.warn(f"{metric} is ill-defined and being set to 0.0 {where} no {modifier} samples. {_FIX}")
    return result


def prf_from_totals(tp, pred_sum, true_sum, *, beta=1.0, average=None, zero_division="warn",
                    warn_for=("precision", "recall", "f-score")):
    """Precision, recall, F-beta and support from per-class totals (validated options; the core of P/R/F).

    ``tp``, ``pred_sum`` and ``true_sum`` are (K,) arrays for the K classes reported; they may count samples
    of other classes (a prediction of c for a true label outside the report is a false positive of c).
    """
    if average == "micro":
        tp, pred_sum, true_sum = (np.sum(a, keepdims=True) for a in (tp, pred_sum, true_sum))  # (1,)
    precision = _divide(tp, pred_sum, "Precision", "predicted", "precision" in warn_for, zero_division)
    recall = _divide(tp, true_sum, "Recall", "true", "recall" in warn_for, zero_division)
    if math.isinf(beta):
        f_score = recall
    elif beta == 0:
        f_score = precision
    else:
        # F = (1 + b^2) P R / (b^2 P + R) = (1 + b^2) tp / (b^2 true_sum + pred_sum): defined unless both are 0
        beta2 = beta * beta
        denominator = beta2 * np.asarray(true_sum, np.float64) + np.asarray(pred_sum, np.float64)
        f_score = _divide((1 + beta2) * np.asarray(tp, np.float64), denominator, "F-score", "true nor predicted",
                          "f-score" in warn_for, zero_division)
    if average is None:
        return precision, recall, f_score, true_sum
    weights = true_sum if average == "weighted" else None
    return nanaverage(precision, weights), nanaverage(recall, weights), nanaverage(f_score, weights), None


def precision_recall_fscore_from_confusion(cm, *, beta=1.0, average=None, zero_division="warn"):
    """Precision, recall, F-beta and support of every class of a confusion matrix, or their average.

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes)
        Confusion matrix, rows = true class, columns = predicted class.
    beta : float, default=1.0
        Weight of recall relative to precision (0 gives precision, inf gives recall).
    average : {None, 'micro', 'macro', 'weighted'}, default=None
        None returns per-class arrays; 'micro' pools the counts of all classes; 'macro' is the plain mean of the
        per-class scores; 'weighted' weights them by support. NaN scores (``zero_division=np.nan``) are left
        out of macro/weighted means.
    zero_division : {"warn", 0, 1, np.nan}, default="warn"
        Value of a score whose denominator is 0; "warn" gives 0 and an UndefinedMetricWarning.

    Returns
    -------
    precision, recall, fbeta : ndarray of shape (n_classes,) or float
    support : ndarray of shape (n_classes,) or None
        Row sums (true samples per class); None when averaged.

    Raises
    ------
    DataError
        `cm` is not a square matrix of finite numbers.
    ConfigError
        `beta`, `average` or `zero_division` is invalid.

    Examples
    --------
    >>> p, r, f, s = precision_recall_fscore_from_confusion([[2, 0], [1, 1]])
    >>> p.round(3).tolist(), r.tolist(), f.round(3).tolist(), s.tolist()
    ([0.667, 1.0], [1.0, 0.5], [0.8, 0.667], [2, 2])
    >>> round(precision_recall_fscore_from_confusion([[2, 0], [1, 1]], average="macro")[2], 4)
    0.7333
    """
    cm = check_confusion(cm)
    beta = _checks.check_beta(beta)
    _checks.check_average(average)
    zero_division = _checks.check_zero_division(zero_division)
    return prf_from_totals(np.diagonal(cm), cm.sum(axis=0), cm.sum(axis=1), beta=beta, average=average,
                           zero_division=zero_division)
