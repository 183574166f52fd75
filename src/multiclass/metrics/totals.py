"""The headline scores, defined once: from per-class totals to accuracy, balanced accuracy, macro- and weighted-F1.

Every score the package reports about a set of decisions is a function of three per-class totals -- the
confusion matrix's diagonal ``tp``, its column sums ``pred_sum`` (rows decided as the class) and its row sums
``true_sum`` (the support) -- and every caller computes them here: the evaluation report and its decision
section, the bootstrap resamples (B, K), the paired comparison of two models, training validation, the M models
of a sweep (M, K) and the recall-offset search (J, K). Like torchmetrics' ``multidim_average``, the functions
work over any leading axes, so one call scores one evaluation ``(K,)`` or a stack of them ``(..., K)``.

Definitions (scikit-learn's, without ``labels`` and with ``zero_division=0``):

- ``precision_c = tp_c / pred_sum_c`` and ``recall_c = tp_c / true_sum_c``, 0 where the denominator is 0;
- ``f1_c = 2 tp_c / (pred_sum_c + true_sum_c)`` (= 2PR / (P + R)), 0 for a class neither true nor decided;
- accuracy ``sum tp / sum true_sum``;
- balanced accuracy: the mean recall over the classes present in truth;
- macro-F1: the mean F1 over the classes present in truth or decisions (scikit-learn's classes when
  ``labels=None``); weighted-F1: F1 weighted by support.

>>> scores = headline_scores(np.array([2, 1]), np.array([3, 1]), np.array([2, 2]))
>>> float(scores["accuracy"]), float(scores["balanced_accuracy"]), round(float(scores["macro_f1"]), 4)
(0.75, 0.75, 0.7333)
"""

from __future__ import annotations

import numpy as np

from multiclass.exceptions import DataError

__all__ = ["HEADLINE_SCORES", "class_totals", "headline_scores"]

# The scores `headline_scores` returns for each leading index, in the order reports show them.
HEADLINE_SCORES = ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1")


def class_totals(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``[tp, pred_sum, true_sum]`` (3, K) of integer codes: the confusion matrix's diagonal and margins, without
    the K x K matrix (three bincounts).

    Examples
    --------
    >>> class_totals(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3).tolist()
    [[1, 1, 0], [1, 3, 0], [2, 1, 1]]
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.stack([np.bincount(y_true[y_true == y_pred], minlength=n_classes),
                     np.bincount(y_pred, minlength=n_classes),
                     np.bincount(y_true, minlength=n_classes)])


def headline_scores(tp, pred_sum, true_sum) -> dict[str, np.ndarray]:
    """Accuracy, balanced accuracy, macro-F1 and weighted-F1 (each ``(...)``) and per-class precision, recall and
    F1 (each ``(..., K)``) from per-class totals of shape ``(..., K)`` (see the module docstring).

    Parameters
    ----------
    tp, pred_sum : array-like of shape (..., K)
        Correct decisions and decisions per class (counts, or sums of sample weights).
    true_sum : array-like of shape (..., K), or (K,) shared by every leading index
        Rows of each true class (bootstrap resamples that keep each class's size share one).

    Returns
    -------
    dict of str to ndarray
        ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``weighted_f1`` of shape ``(...)``; ``precision``,
        ``recall``, ``f1`` of shape ``(..., K)``. A 1-D input gives 0-d arrays (``float(scores["accuracy"])``).

    Raises
    ------
    DataError
        When some leading index has no rows at all (``true_sum`` sums to 0), where no score is defined.
    """
    tp = np.asarray(tp, dtype=np.float64)
    pred_sum = np.asarray(pred_sum, dtype=np.float64)
    true_sum = np.asarray(true_sum, dtype=np.float64)
    total = true_sum.sum(axis=-1)  # (...) rows scored
    if np.any(total <= 0):
        raise DataError(f"`true_sum` must hold a positive total for every evaluation; got {float(np.min(total))!r}.")
    present = (pred_sum > 0) | (true_sum > 0)  # (..., K) scikit-learn's classes without `labels`
    in_truth = true_sum > 0
    with np.errstate(over="ignore", invalid="ignore"):  # sums of sample weights near the float limit stay defined
        precision = np.divide(tp, pred_sum, out=np.zeros_like(tp), where=pred_sum > 0)
        recall = np.divide(tp, true_sum, out=np.zeros(np.broadcast(tp, true_sum).shape), where=in_truth)
        f1 = np.divide(tp + tp, pred_sum + true_sum, out=np.zeros_like(tp), where=present)
        return {
            "accuracy": tp.sum(axis=-1) / total,
            "balanced_accuracy": (recall * in_truth).sum(axis=-1) / in_truth.sum(axis=-1),
            "macro_f1": (f1 * present).sum(axis=-1) / present.sum(axis=-1),
            "weighted_f1": (f1 * true_sum).sum(axis=-1) / total,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
