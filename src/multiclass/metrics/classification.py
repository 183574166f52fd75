"""Label metrics with scikit-learn's signatures: accuracy, balanced accuracy, precision, recall, F-beta.

Each validates its inputs, builds the confusion matrix once (`confusion.count_confusion`) and hands it to the
matrix-level functions of `from_confusion`. With an explicit ``labels`` that leaves some labels out, the matrix
keeps one extra row/column for "any other label", so precision counts a prediction of class c for a sample of
an unlisted class as a false positive of c (scikit-learn's rule), while `confusion_matrix` drops such samples.
"""

from __future__ import annotations

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks
from multiclass.metrics.confusion import count_confusion
from multiclass.metrics.from_confusion import (
    accuracy_from_confusion,
    balanced_accuracy_from_confusion,
    prf_from_totals,
)

_ALL = ("precision", "recall", "f-score")


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None) -> float:
    """Fraction (or number) of correctly classified samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    normalize : bool, default=True
        True: the fraction of correct samples; False: their (weighted) number, as a float.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float

    Raises
    ------
    DataError
        Bad labels or weights (see the package docstring), or weights summing to zero with ``normalize=True``.

    Examples
    --------
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
    0.5
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3], normalize=False)
    2.0
    """
    normalize = _checks.check_bool(normalize, "normalize")
    counts = count_confusion(y_true, y_pred, sample_weight=sample_weight)
    if not normalize:
        return float(np.trace(counts.cm))
    _check_total(counts.cm)
    return accuracy_from_confusion(counts.cm)


def _check_total(cm: np.ndarray) -> None:
    """A score normalised by the total weight needs a non-zero total (scikit-learn raises ZeroDivisionError)."""
    if cm.sum() == 0:
        raise DataError(f"`sample_weight` must not sum to zero; got a total of {cm.sum().item()!r}.")


def balanced_accuracy_score(y_true, y_pred, *, sample_weight=None, adjusted=False) -> float:
    """Mean recall over the classes present in y_true.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    adjusted : bool, default=False
        Rescale so that chance scores 0 and perfect scores 1.

    Returns
    -------
    balanced_accuracy : float

    Warns
    -----
    UndefinedMetricWarning
        y_pred holds a class that y_true does not (it is left out of the mean).

    Examples
    --------
    >>> balanced_accuracy_score([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])
    0.625
    """
    adjusted = _checks.check_bool(adjusted, "adjusted")
    counts = count_confusion(y_true, y_pred, sample_weight=sample_weight)
    _check_total(counts.cm)
    return balanced_accuracy_from_confusion(counts.cm, adjusted)


def _prf(y_true, y_pred, *, beta, labels, average, sample_weight, zero_division, warn_for):
    """Validate, count once, and compute P/R/F/support for the classes in `labels` (all classes by default)."""
    beta = _checks.check_beta(beta)
    _checks.check_average(average)
    zero_division = _checks.check_zero_division(zero_division)
    counts = count_confusion(y_true, y_pred, labels, sample_weight)
    k, cm = counts.n_classes, counts.cm
    tp, pred_sum, true_sum = np.diagonal(cm)[:k], cm.sum(axis=0)[:k], cm.sum(axis=1)[:k]  # (K,) each
    if counts.weighted:
        true_sum = true_sum.astype(np.float64)  # weighted supports are floats, even for integer weights (sklearn)
    return prf_from_totals(tp, pred_sum, true_sum, beta=beta, average=average, zero_division=zero_division,
                           warn_for=warn_for)


def precision_recall_fscore_support(y_true, y_pred, *, beta=1.0, labels=None, average=None, sample_weight=None,
                                    zero_division="warn"):
    """Precision, recall, F-beta score and support of each class, or their average.

    Precision is ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, F-beta
    ``(1 + beta**2) tp / ((1 + beta**2) tp + beta**2 fn + fp)``; support is the number of true samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    beta : float, default=1.0
        Weight of recall relative to precision.
    labels : array-like, default=None
        Classes to report, in this order; labels absent from the data get zero counts. None: all labels in
        y_true and y_pred, sorted.
    average : {None, 'micro', 'macro', 'weighted'}, default=None
        None returns per-class arrays; see the package docstring for the averages.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    zero_division : {"warn", 0, 1, np.nan}, default="warn"
        Value of a score whose denominator is 0; "warn" gives 0 and an UndefinedMetricWarning.

    Returns
    -------
    precision, recall, fbeta_score : ndarray of shape (n_labels,) or float
    support : ndarray of shape (n_labels,) or None
        None when averaged.

    Raises
    ------
    DataError
        Bad labels or weights (see the package docstring).
    ConfigError
        Bad `beta`, `average` or `zero_division`.

    Examples
    --------
    >>> y_true = ["cat", "dog", "pig", "cat", "dog", "pig"]
    >>> y_pred = ["cat", "pig", "dog", "cat", "cat", "dog"]
    >>> p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    >>> p.round(3).tolist(), r.tolist(), f.tolist(), s.tolist()
    ([0.667, 0.0, 0.0], [1.0, 0.0, 0.0], [0.8, 0.0, 0.0], [2, 2, 2])
    >>> precision_recall_fscore_support(y_true, y_pred, average="micro")
    (0.3333333333333333, 0.3333333333333333, 0.3333333333333333, None)
    """
    return _prf(y_true, y_pred, beta=beta, labels=labels, average=average, sample_weight=sample_weight,
                zero_division=zero_division, warn_for=_ALL)


def precision_score(y_true, y_pred, *, labels=None, average="macro", sample_weight=None, zero_division="warn"):
    """Precision ``tp / (tp + fp)``: of the samples predicted as a class, the fraction that belong to it.

    Parameters
    ----------
    y_true, y_pred, labels, sample_weight, zero_division
        As in `precision_recall_fscore_support`.
    average : {None, 'micro', 'macro', 'weighted'}, default='macro'
        None returns one score per class. (scikit-learn defaults to 'binary', which does not apply to K classes.)

    Returns
    -------
    precision : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> precision_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average=None).tolist()
    [0.6666666666666666, 0.0, 0.0]
    """
    return _prf(y_true, y_pred, beta=1.0, labels=labels, average=average, sample_weight=sample_weight,
                zero_division=zero_division, warn_for=("precision",))[0]


def recall_score(y_true, y_pred, *, labels=None, average="macro", sample_weight=None, zero_division="warn"):
    """Recall ``tp / (tp + fn)``: of the samples of a class, the fraction predicted as it.

    Parameters
    ----------
    y_true, y_pred, labels, sample_weight, zero_division
        As in `precision_recall_fscore_support`.
    average : {None, 'micro', 'macro', 'weighted'}, default='macro'
        None returns one score per class.

    Returns
    -------
    recall : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> recall_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1])
    0.3333333333333333
    """
    return _prf(y_true, y_pred, beta=1.0, labels=labels, average=average, sample_weight=sample_weight,
                zero_division=zero_division, warn_for=("recall",))[1]


def fbeta_score(y_true, y_pred, *, beta, labels=None, average="macro", sample_weight=None, zero_division="warn"):
    """F-beta score, the weighted harmonic mean of precision and recall (recall counts beta times as much).

    Parameters
    ----------
    y_true, y_pred, labels, sample_weight, zero_division
        As in `precision_recall_fscore_support`.
    beta : float
        Weight of recall relative to precision (required, as in scikit-learn).
    average : {None, 'micro', 'macro', 'weighted'}, default='macro'
        None returns one score per class.

    Returns
    -------
    fbeta_score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> fbeta_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], beta=0.5, average=None).round(3).tolist()
    [0.714, 0.0, 0.0]
    """
    return _prf(y_true, y_pred, beta=beta, labels=labels, average=average, sample_weight=sample_weight,
                zero_division=zero_division, warn_for=("f-score",))[2]


def f1_score(y_true, y_pred, *, labels=None, average="macro", sample_weight=None, zero_division="warn"):
    """F1 score, the harmonic mean of precision and recall: ``2 tp / (2 tp + fp + fn)``.

    Parameters
    ----------
    y_true, y_pred, labels, sample_weight, zero_division
        As in `precision_recall_fscore_support`.
    average : {None, 'micro', 'macro', 'weighted'}, default='macro'
        None returns one score per class.

    Returns
    -------
    f1_score : float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> round(f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]), 4)
    0.2667
    >>> f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average="micro")
    0.3333333333333333
    """
    return fbeta_score(y_true, y_pred, beta=1.0, labels=labels, average=average, sample_weight=sample_weight,
                       zero_division=zero_division)
