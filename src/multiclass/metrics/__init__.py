"""Classification metrics, all derived from one confusion matrix, with scikit-learn's signatures and numbers.

The confusion matrix
--------------------
``cm[i, j]`` is the (weighted) number of samples whose **true** class is ``i`` and whose **predicted** class is
``j``: rows = true class, columns = predicted class (scikit-learn's orientation). It is built in one pass with
``np.bincount(true_idx * K + pred_idx, weights=sample_weight, minlength=K * K)``. For class c, ``tp = cm[c, c]``,
the column sum ``cm[:, c].sum()`` counts the samples predicted as c (tp + fp) and the row sum ``cm[c, :].sum()``
the true samples of c (tp + fn, the support).

Labels
------
``labels=None`` means the sorted union of the labels in y_true and y_pred. An explicit ``labels`` fixes the
classes and their order; classes absent from the data get zero rows and columns. Samples with a label outside
``labels`` are ignored by `confusion_matrix`, but still count as false positives/negatives of the listed classes
in precision and recall (scikit-learn's rule). Labels may be ints, bools, integral floats or strings (numpy
arrays, lists, pandas Series); a `DataError` (a `ValueError`) is raised for 2-D or empty input, inputs of
different lengths, NaN or missing labels, non-integral floats, and a mix of strings and numbers.

Averages
--------
``average=None`` returns one score per class; ``'micro'`` pools tp, fp and fn over the classes (it equals the
accuracy when every label is reported); ``'macro'`` is the plain mean of the per-class scores; ``'weighted'``
weights them by support. A bad ``average`` raises `ConfigError`.

``zero_division``
-----------------
A score is undefined when its denominator is 0: precision for a class never predicted, recall for a class with
no true sample, F-beta when both. ``zero_division`` decides its value:

- ``"warn"`` (default): the score is 0.0 **and** an `UndefinedMetricWarning` names the metric, e.g.
  "Precision is ill-defined and being set to 0.0 in labels with no predicted samples." (a function warns only
  for the metric it returns: `f1_score` about F-score, `precision_score` about precision);
- ``0`` or ``1``: that value, silently;
- ``np.nan``: NaN, silently; NaN scores are left out of the macro and weighted averages (an average of only
  NaN is NaN).

Deviations from scikit-learn: only K-class averages (no ``'binary'``/``'samples'`` and no ``pos_label``; the
``*_score`` functions default to ``average='macro'``), no multilabel input, ``classification_report`` returns a
`ClassificationReport` value instead of a str or dict, duplicated ``labels`` are an error, and ``log_loss`` takes
probabilities as `y_proba` (scikit-learn 1.9's name).

Calibration (`expected_calibration_error`, `classwise_calibration_error`, `reliability_bins`,
`brier_score_loss`) and intervals (`wilson_interval`, the stratified bootstrap `bootstrap_scores`) have their
definitions in their modules' docstrings. For many classes, `SparseConfusion` (`sparse_confusion_matrix`) keeps
only the non-zero cells and `confusion_totals` / `scores_from_totals` give the scores without a K x K array.
`EvaluationCounts` adds up, batch by batch, everything the evaluation report needs from data streamed past.
"""

from multiclass.metrics.accumulate import ClassMoments, EvaluationCounts
from multiclass.metrics.calibration import (
    ReliabilityBins,
    brier_score_loss,
    classwise_calibration_error,
    expected_calibration_error,
    reliability_bins,
)
from multiclass.metrics.classification import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    fbeta_score,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)
from multiclass.metrics.compare import (
    McNemarResult,
    PairedComparison,
    compare_predictions,
    mcnemar_test,
    paired_bootstrap,
)
from multiclass.metrics.confusion import (
    ConfusionMatrix,
    confusion_counts,
    confusion_matrix,
    normalize_confusion,
)
from multiclass.metrics.from_confusion import (
    accuracy_from_confusion,
    balanced_accuracy_from_confusion,
    precision_recall_fscore_from_confusion,
)
from multiclass.metrics.intervals import (
    ResampledTotals,
    bootstrap_confusion,
    bootstrap_scores,
    percentile_interval,
    stratified_mean_interval,
    wilson_interval,
)
from multiclass.metrics.probabilistic import log_loss, top_k_accuracy_score
from multiclass.metrics.classification_report import (
    ClassificationReport,
    ReportRow,
    classification_report,
    classification_report_from_confusion,
)
from multiclass.metrics.sparse import (
    DENSE_MAX_CLASSES,
    SparseConfusion,
    confusion_totals,
    scores_from_totals,
    sparse_confusion_matrix,
)

from multiclass.metrics.totals import HEADLINE_SCORES, class_totals, headline_scores

__all__ = [
    "DENSE_MAX_CLASSES",
    "HEADLINE_SCORES",
    "McNemarResult",
    "PairedComparison",
    "ClassificationReport",
    "ClassMoments",
    "ConfusionMatrix",
    "EvaluationCounts",
    "ReliabilityBins",
    "ReportRow",
    "ResampledTotals",
    "SparseConfusion",
    "accuracy_from_confusion",
    "accuracy_score",
    "balanced_accuracy_from_confusion",
    "balanced_accuracy_score",
    "bootstrap_confusion",
    "bootstrap_scores",
    "brier_score_loss",
    "class_totals",
    "classification_report",
    "classification_report_from_confusion",
    "classwise_calibration_error",
    "confusion_counts",
    "confusion_matrix",
    "confusion_totals",
    "expected_calibration_error",
    "compare_predictions",
    "f1_score",
    "headline_scores",
    "fbeta_score",
    "log_loss",
    "mcnemar_test",
    "normalize_confusion",
    "paired_bootstrap",
    "percentile_interval",
    "precision_recall_fscore_from_confusion",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "reliability_bins",
    "scores_from_totals",
    "sparse_confusion_matrix",
    "stratified_mean_interval",
    "top_k_accuracy_score",
    "wilson_interval",
]
