"""The classification report: one value (`ClassificationReport`) rendered as a dict, JSON, text or a DataFrame.

`classification_report` has scikit-learn's signature and numbers, but builds the confusion matrix once and
derives every row from it (scikit-learn re-reads the labels four times), and returns a value instead of a
string-or-dict. ``report.to_dict()`` equals ``sklearn.metrics.classification_report(..., output_dict=True)``
and ``str(report)`` its text. `classification_report_from_confusion` builds the same report from a matrix.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks
from multiclass.metrics.confusion import count_confusion
from multiclass.metrics.from_confusion import check_confusion, prf_from_totals
from multiclass.metrics.sparse import SparseConfusion, confusion_totals

HEADERS = ("precision", "recall", "f1-score", "support")
_WIDEST_HEADING = "weighted avg"  # the first column is at least this wide (sklearn's layout)


@dataclass(frozen=True)
class ReportRow:
    """One line of the report: a class, or an average ('accuracy', 'micro avg', 'macro avg', 'weighted avg')."""

    name: str
    precision: float
    recall: float
    f1_score: float
    support: int | float  # int for counts, float when sample weights are used


@dataclass(frozen=True)
class ClassificationReport:
    """Per-class precision, recall, F1 and support, and their averages.

    The 'accuracy' line replaces 'micro avg' when every label in the data is reported, because micro-averaged
    precision, recall and F1 then all equal the accuracy. Build it with `classification_report`.
    """

    per_class: tuple[ReportRow, ...]
    averages: tuple[ReportRow, ...]  # ('accuracy' | 'micro avg', 'macro avg', 'weighted avg')
    digits: int = 2

    @property
    def accuracy(self) -> float | None:
        """The accuracy, or None when the report covers a subset of the labels (then 'micro avg' is shown)."""
        return next((row.precision for row in self.averages if row.name == "accuracy"), None)

    def to_dict(self) -> dict:
        """The structure of ``sklearn.metrics.classification_report(..., output_dict=True)``."""
        out = {}
        for row in self.per_class + self.averages:
            out[row.name] = dict(zip(HEADERS, (row.precision, row.recall, row.f1_score, float(row.support))))
        if "accuracy" in out:
            out["accuracy"] = out["accuracy"]["precision"]
        return out

    def to_json(self, indent: int | None = None) -> str:
        """`to_dict` as strict JSON: NaN scores (``zero_division=np.nan``) become null."""

        def clean(value):
            if isinstance(value, dict):
                return {key: clean(item) for key, item in value.items()}
            return None if isinstance(value, float) and math.isnan(value) else value

        return json.dumps(clean(self.to_dict()), indent=indent, allow_nan=False)

    def to_text(self, digits: int | None = None) -> str:
        """The text table of ``sklearn.metrics.classification_report``, with `digits` decimals."""
        digits = self.digits if digits is None else _checks.check_positive_int(digits, "digits", minimum=0)
        width = max(max((len(row.name) for row in self.per_class), default=0), len(_WIDEST_HEADING), digits)
        text = ("{:>{width}s} " + " {:>9}" * len(HEADERS)).format("", *HEADERS, width=width) + "\n\n"
        row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
        accuracy_fmt = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
        for row in self.per_class:
            text += row_fmt.format(row.name, row.precision, row.recall, row.f1_score, row.support,
                                   width=width, digits=digits)
        text += "\n"
        for row in self.averages:
            if row.name == "accuracy":  # one number: precision = recall = F1 = accuracy
                text += accuracy_fmt.format(row.name, "", "", row.f1_score, row.support, width=width, digits=digits)
            else:
                text += row_fmt.format(row.name, row.precision, row.recall, row.f1_score, row.support,
                                       width=width, digits=digits)
        return text

    def to_frame(self):
        """A pandas DataFrame, one row per line of the text; the accuracy row has NaN precision and recall."""
        import pandas as pd  # lazy: only this method needs pandas

        rows = [
            (math.nan, math.nan, row.f1_score, row.support) if row.name == "accuracy"
            else (row.precision, row.recall, row.f1_score, row.support)
            for row in self.per_class + self.averages
        ]
        return pd.DataFrame(rows, index=[row.name for row in self.per_class + self.averages], columns=HEADERS)

    def __str__(self) -> str:
        return self.to_text()


def _build(cm, n_classes, names, *, micro_is_accuracy, float_support, digits, zero_division) -> ClassificationReport:
    """The report of the first `n_classes` rows/columns of `cm` (a last extra row/column holds other labels)."""
    tp, pred_sum, true_sum = (totals[:n_classes] for totals in confusion_totals(cm))
    if float_support:
        true_sum = true_sum.astype(np.float64)
    precision, recall, f1, support = prf_from_totals(tp, pred_sum, true_sum, average=None,
                                                     zero_division=zero_division)
    per_class = tuple(
        ReportRow(name, float(p), float(r), float(f), s.item())
        for name, p, r, f, s in zip(names, precision, recall, f1, support)
    )
    total = np.sum(support).item()
    averages = []
    for average in ("micro", "macro", "weighted"):  # warnings as sklearn, which calls its P/R/F once per average
        p, r, f, _ = prf_from_totals(tp, pred_sum, true_sum, average=average, zero_division=zero_division)
        name = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        averages.append(ReportRow(name, p, r, f, total))
    return ClassificationReport(per_class, tuple(averages), digits)


def _names(target_names) -> list[str]:
    names = np.asarray(target_names, dtype=object)
    if names.ndim != 1:
        raise DataError(f"`target_names` must be 1-D; got an array of shape {names.shape}.")
    return [str(name) for name in names]


def classification_report(y_true, y_pred, *, labels=None, target_names=None, sample_weight=None, digits=2,
                          zero_division="warn") -> ClassificationReport:
    """Build the report of precision, recall, F1 and support per class, with micro/macro/weighted averages.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like of shape (n_labels,), default=None
        Classes to report, in this order. None: all labels in y_true and y_pred, sorted. When some label of the
        data is left out, the report shows 'micro avg' instead of 'accuracy'.
    target_names : array-like of shape (n_labels,), default=None
        Display names of the reported classes, in the same order.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights (supports become weighted sums, printed as floats).
    digits : int, default=2
        Decimals of the text rendering (the dict and JSON keep full precision).
    zero_division : {"warn", 0, 1, np.nan}, default="warn"
        Value of a score whose denominator is 0; "warn" gives 0 and an UndefinedMetricWarning.

    Returns
    -------
    report : ClassificationReport
        ``.to_dict()``, ``.to_json()``, ``.to_text()`` / ``str()``, ``.to_frame()``.

    Raises
    ------
    DataError
        Bad labels or weights, or `target_names` of the wrong length when `labels` is None.
    ConfigError
        Bad `digits` or `zero_division`.

    Examples
    --------
    >>> report = classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], target_names=["ant", "bee", "cat"])
    >>> print(report)
                  precision    recall  f1-score   support
    <BLANKLINE>
             ant       0.50      1.00      0.67         1
             bee       0.00      0.00      0.00         1
             cat       1.00      0.67      0.80         3
    <BLANKLINE>
        accuracy                           0.60         5
       macro avg       0.50      0.56      0.49         5
    weighted avg       0.70      0.60      0.61         5
    <BLANKLINE>
    >>> report.to_dict()["cat"]["f1-score"]
    0.8
    """
    digits = _checks.check_positive_int(digits, "digits", minimum=0)
    zero_division = _checks.check_zero_division(zero_division)
    counts = count_confusion(y_true, y_pred, labels, sample_weight)
    if target_names is None:
        names = [str(label) for label in counts.classes]
    else:
        names = _names(target_names)
        if len(names) != counts.n_classes:
            if labels is None:
                raise DataError(
                    f"`target_names` must have one name per class ({counts.n_classes} found in the data); "
                    f"got {len(names)} names. Pass `labels` to choose the classes."
                )
            _checks.warn(f"labels size, {counts.n_classes}, does not match size of target_names, {len(names)}",
                         UserWarning)
    return _build(counts.cm, counts.n_classes, names, micro_is_accuracy=counts.n_outside == 0,
                  float_support=counts.weighted, digits=digits, zero_division=zero_division)


def classification_report_from_confusion(cm, *, target_names=None, digits=2,
                                         zero_division="warn") -> ClassificationReport:
    """Build the classification report from a confusion matrix (rows = true, columns = predicted).

    Parameters
    ----------
    cm : array-like of shape (n_classes, n_classes), or SparseConfusion
        Confusion matrix, e.g. ``ConfusionMatrix.compute()`` or a sum of matrices from several workers; a
        `SparseConfusion` (many classes) gives the same report from its diagonal and margins.
    target_names : array-like of shape (n_classes,), default=None
        Display names of the classes (e.g. ``ConfusionMatrix.classes_``); None: "0", "1", ...
    digits : int, default=2
        Decimals of the text rendering.
    zero_division : {"warn", 0, 1, np.nan}, default="warn"
        Value of a score whose denominator is 0; "warn" gives 0 and an UndefinedMetricWarning.

    Returns
    -------
    report : ClassificationReport
        Supports are ints for an integer matrix, floats for a weighted (float) one.

    Examples
    --------
    >>> report = classification_report_from_confusion([[2, 0], [1, 1]], target_names=["no", "yes"])
    >>> report.accuracy, report.to_dict()["yes"]["recall"]
    (0.75, 0.5)
    """
    if not isinstance(cm, SparseConfusion):
        cm = check_confusion(cm)
    digits = _checks.check_positive_int(digits, "digits", minimum=0)
    zero_division = _checks.check_zero_division(zero_division)
    n_classes = cm.shape[0]
    names = [str(i) for i in range(n_classes)] if target_names is None else _names(target_names)
    if len(names) != n_classes:
        raise DataError(f"`target_names` must have one name per class ({n_classes}); got {len(names)} names.")
    float_support = not isinstance(cm, SparseConfusion) and cm.dtype.kind == "f"
    return _build(cm, n_classes, names, micro_is_accuracy=True, float_support=float_support,
                  digits=digits, zero_division=zero_division)
