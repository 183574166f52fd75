"""`build_report`: predictions (and optionally probabilities, a training record and images) -> a `Report`.

Every number comes from `multiclass.metrics`: the confusion matrix first, the scores from it, the intervals from
its stratified bootstrap (`metrics.bootstrap_scores`) or Wilson's formula, calibration from the probabilities.
"""

from __future__ import annotations

import math

import numpy as np

import multiclass.metrics as metrics
from multiclass.exceptions import DataError
from multiclass.metrics.totals import headline_scores
from multiclass.report.value import (
    Calibration,
    ClassStats,
    ConfusedPair,
    Estimate,
    Mistakes,
    Notice,
    Report,
    ReportConfig,
    Training,
)

__all__ = ["build_report", "build_report_from_counts", "summary_scores"]

# Accuracy is "close to the majority baseline" when the model removes less than this share of the baseline's
# errors, (acc - base) / (1 - base) < 0.1, or when the accuracy interval reaches down to the baseline.
NEAR_BASELINE = 0.1
# Class names quoted in a warning; the JSON's per-class section has them all.
_NAMES_IN_NOTICE = 10
_CURVE_KEYS = ("epoch", "train_loss", "val_loss", "val_macro_f1")


def summary_scores(cm: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro- and weighted-F1 of a confusion matrix, averaged over the classes
    that occur in truth or prediction (scikit-learn's rule without `labels`), undefined scores counting 0.
    `cm` may be a `metrics.SparseConfusion` (many classes): the same numbers from its diagonal and margins."""
    return metrics.scores_from_totals(*metrics.confusion_totals(cm))


def _check_inputs(y_true, y_pred, classes, probs, images, image_shape):
    classes = tuple(str(name) for name in classes)
    k = len(classes)
    if k < 2 or len(set(classes)) != k:
        raise DataError(f"`classes` must hold at least 2 distinct names; got {list(classes)[:10]!r}.")
    arrays = []
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        values = np.asarray(values)
        if values.ndim != 1 or values.dtype.kind not in "iu" or len(values) == 0:
            raise DataError(f"`{name}` must be a non-empty 1-D array of class indices; got dtype {values.dtype} "
                            f"and shape {values.shape}.")
        if values.min() < 0 or values.max() >= k:
            bad = values.min() if values.min() < 0 else values.max()
            raise DataError(f"`{name}` must hold class indices in [0, {k}); got {int(bad)!r}.")
        arrays.append(values.astype(np.intp))
    n = len(arrays[0])
    if len(arrays[1]) != n:
        raise DataError(f"`y_pred` must have the length of `y_true` ({n}); got {len(arrays[1])}.")
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (n, k) or not np.isfinite(probs).all() or probs.min() < 0 or probs.max() > 1:
            raise DataError(f"`probs` must be finite probabilities of shape ({n}, {k}); got shape {probs.shape}.")
    if images is not None:
        images = np.asarray(images)
        if image_shape is None or images.shape != (n, math.prod(image_shape)):
            raise DataError(f"`images` must have shape ({n}, prod(image_shape)) with `image_shape` given; got "
                            f"{images.shape} and {image_shape!r}.")
    return arrays[0], arrays[1], classes, probs, images


def _headline(cm, log_loss: Estimate | None, config: ReportConfig, samples) -> dict[str, Estimate | None]:
    points = summary_scores(cm)
    headline = {}
    for name, value in points.items():
        if samples is None:
            headline[name] = Estimate(value)
        else:
            low, high = metrics.percentile_interval(samples[name], confidence=config.confidence)
            headline[name] = Estimate(value, float(low), float(high), "bootstrap")
    headline["log_loss"] = log_loss
    return headline


def _log_loss_of_rows(y_true, probs, counts: metrics.EvaluationCounts, config: ReportConfig) -> Estimate | None:
    """The mean log-loss with the stratified bootstrap of the per-row losses (normal beyond its draws)."""
    if probs is None:
        return None
    value = metrics.log_loss(y_true, probs, labels=np.arange(counts.n_classes))
    if not config.bootstrap:
        return Estimate(value)
    eps = np.finfo(np.float64).eps
    losses = -np.log(np.clip(probs[np.arange(len(y_true)), y_true], eps, 1 - eps))  # (N,) as log_loss
    low, high, method = metrics.stratified_mean_interval(
        losses, y_true, n_resamples=config.bootstrap, seed=config.seed, confidence=config.confidence)
    return Estimate(value, low, high, method)


def _log_loss_of_counts(counts: metrics.EvaluationCounts, config: ReportConfig) -> Estimate | None:
    """The mean log-loss with the normal interval of its stratified bootstrap (the rows are gone)."""
    if not counts.has_probs:
        return None
    if not config.bootstrap:
        return Estimate(counts.log_loss())
    low, high = counts.log_loss_interval(config.confidence)
    return Estimate(counts.log_loss(), low, high, "normal")


def _baselines(cm: np.ndarray) -> dict[str, dict]:
    support = cm.sum(axis=1)  # (K,)
    n = support.sum()
    if isinstance(cm, metrics.SparseConfusion):
        return _sparse_baselines(support)
    majority = np.zeros_like(cm)
    majority[:, np.argmax(support)] = support  # every row predicted as the most frequent class
    prior = np.outer(support, support / n)  # (K, K) expected counts when guessing at the class frequencies
    freq = support[support > 0] / n
    eps = np.finfo(np.float64).eps
    entropy = float(-(freq * np.log(np.clip(freq, eps, 1 - eps))).sum())  # log-loss of the frequencies
    return {"majority": {**summary_scores(majority), "log_loss": None},
            "prior": {**summary_scores(prior), "log_loss": entropy}}


def _sparse_baselines(support: np.ndarray) -> dict[str, dict]:
    """`_baselines` from the class supports alone (many classes: the baseline matrices would be K x K)."""
    n = support.sum()
    majority_tp, majority_pred = np.zeros(len(support)), np.zeros(len(support))
    majority_tp[np.argmax(support)], majority_pred[np.argmax(support)] = support.max(), n
    share = support / n  # (K,) the prior's matrix is n_i * share_j: diagonal n_i share_i, margins n_j and n_i
    freq = share[support > 0]
    eps = np.finfo(np.float64).eps
    entropy = float(-(freq * np.log(np.clip(freq, eps, 1 - eps))).sum())
    return {"majority": {**metrics.scores_from_totals(majority_tp, majority_pred, support), "log_loss": None},
            "prior": {**metrics.scores_from_totals(support * share, support.astype(np.float64), support),
                      "log_loss": entropy}}


def _proportions(k, n, samples, config: ReportConfig) -> list[Estimate]:
    """Per-class k / n (0 where n = 0) with Wilson intervals for small or extreme counts, else bootstrap."""
    values = np.divide(k, n, out=np.zeros(len(k)), where=n > 0)
    if samples is None:
        return [Estimate(float(v)) for v in values]
    boot_low, boot_high = metrics.percentile_interval(samples, confidence=config.confidence)
    with np.errstate(invalid="ignore"):
        wilson_low, wilson_high = metrics.wilson_interval(k, n, confidence=config.confidence)
    use_wilson = (n < config.small_count) | (k == 0) | (k == n)
    estimates = []
    for c, value in enumerate(values):
        if n[c] == 0:
            estimates.append(Estimate(float(value)))
        elif use_wilson[c]:
            estimates.append(Estimate(float(value), float(wilson_low[c]), float(wilson_high[c]), "wilson"))
        else:
            estimates.append(Estimate(float(value), float(boot_low[c]), float(boot_high[c]), "bootstrap"))
    return estimates


def _per_class(cm, config: ReportConfig, samples) -> tuple[ClassStats, ...]:
    tp, n_predicted, support = metrics.confusion_totals(cm)  # (K,) each: a dense or a sparse matrix
    f1 = headline_scores(tp, n_predicted, support)["f1"]  # (K,)
    precisions = _proportions(tp, n_predicted, None if samples is None else samples["precision"], config)
    recalls = _proportions(tp, support, None if samples is None else samples["recall"], config)
    if samples is not None:
        f1_low, f1_high = metrics.percentile_interval(samples["f1"], confidence=config.confidence)
    rows = []
    for c in range(len(cm)):
        defined = samples is not None and support[c] + n_predicted[c] > 0
        f1_estimate = (Estimate(float(f1[c]), float(f1_low[c]), float(f1_high[c]), "bootstrap") if defined
                       else Estimate(float(f1[c])))
        rows.append(ClassStats(c, int(support[c]), int(n_predicted[c]), precisions[c], recalls[c], f1_estimate))
    return tuple(rows)


def _most_confused(cm: np.ndarray, top_n: int) -> tuple[ConfusedPair, ...]:
    """The `top_n` largest off-diagonal cells, largest first, ties in row-major order (from the non-zero cells,
    so the same for a dense and a sparse matrix, and without a K x K sort)."""
    cells = cm if isinstance(cm, metrics.SparseConfusion) else metrics.SparseConfusion.from_dense(cm)
    support = cm.sum(axis=1)
    return tuple(ConfusedPair(i, j, count, float(count / support[i])) for i, j, count in cells.top_confused(top_n))


def _calibration(counts: metrics.EvaluationCounts) -> Calibration | None:
    if not counts.has_probs:
        return None
    bins = counts.reliability()
    return Calibration(ece_top_label=bins.ece, ece_classwise=counts.classwise_ece(), brier=counts.brier(), bins=bins)


def _training(history, best_epoch, stop_reason, recipe=None) -> Training | None:
    if not history:
        return None
    epochs = tuple({key: record.get(key) for key in _CURVE_KEYS} for record in history)
    return Training(epochs, int(best_epoch or len(epochs)), str(stop_reason or ""), recipe or None)


def _mistakes(y_true, y_pred, probs, images, image_shape, n_examples: int) -> Mistakes | None:
    wrong = np.flatnonzero(y_true != y_pred)
    if len(wrong) == 0 or n_examples == 0:
        return None
    confidence = probs[wrong, y_pred[wrong]]  # (W,) probability given to the wrong class
    rows = wrong[np.argsort(-confidence, kind="stable")[:n_examples]]
    pixels = np.clip(np.asarray(images[rows], dtype=np.float32), 0, 1).reshape(len(rows), *image_shape)
    return Mistakes(rows, y_true[rows], y_pred[rows], probs[rows, y_pred[rows]], pixels)


def _notices(report_parts: dict, cm: np.ndarray, classes, config: ReportConfig, has_probs: bool) -> tuple:
    notices = []
    support = cm.sum(axis=1)
    accuracy = report_parts["headline"]["accuracy"]
    base = report_parts["baselines"]["majority"]["accuracy"]
    if base < 1:
        near = (accuracy.value - base) / (1 - base) < NEAR_BASELINE
        if near or (accuracy.low is not None and accuracy.low <= base):
            notices.append(Notice("near_baseline", "warning", {
                "accuracy": accuracy.value, "baseline": base, "majority": classes[int(np.argmax(support))]}))
    small = np.flatnonzero((support > 0) & (support < config.small_count))
    if len(small):
        notices.append(Notice("small_classes", "warning", {
            "count": len(small), "threshold": config.small_count,
            "names": [classes[c] for c in small[np.argsort(support[small], kind="stable")][:_NAMES_IN_NOTICE]]}))
    absent = np.flatnonzero(support == 0)
    if len(absent):
        notices.append(Notice("absent_classes", "warning", {
            "count": len(absent), "names": [classes[c] for c in absent[:_NAMES_IN_NOTICE]]}))
    if not has_probs:
        notices.append(Notice("no_probabilities", "note"))
    return tuple(notices)


def build_report(y_true, y_pred, classes, *, probs=None, config: ReportConfig | None = None, history=None,
                 best_epoch=None, stop_reason="", recipe=None, images=None, image_shape=None, subject="",
                 source=None, decision=None) -> Report:
    """Compute every number of the evaluation report.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_samples,)
        Class indices into `classes`.
    classes : sequence of str
        The K >= 2 class names.
    probs : array-like of shape (n_samples, K), optional
        Predicted probabilities; they add log-loss, calibration and (with images) the confident mistakes.
    config : ReportConfig, optional
    history, best_epoch, stop_reason : optional
        A `TrainedModel`'s training record: the learning curves.
    recipe : dict, optional
        How the network was chosen (``TrainedModel.recipe``), shown with the training record.
    images : array-like of shape (n_samples, H*W*C), optional
        Pixels in [0, 1], in (H, W, C) order; needs `image_shape` and `probs`.
    image_shape : tuple of int (H, W, C), optional
    subject : str
        What was evaluated (named in the title).
    source : dict, optional
        Provenance for the JSON (``model``, ``data``, ``predictions``).
    decision : multiclass.report.value.Decision, optional
        The decision section (`multiclass.report.decision.build_decision`) when `y_pred` come from a policy.

    Returns
    -------
    Report

    Raises
    ------
    DataError
        Inputs of the wrong shape, indices out of range, fewer than two classes.
    """
    config = config or ReportConfig()
    y_true, y_pred, classes, probs, images = _check_inputs(y_true, y_pred, classes, probs, images, image_shape)
    counts = metrics.EvaluationCounts(len(classes), n_bins=config.n_bins,
                                      sparse=len(classes) > metrics.DENSE_MAX_CLASSES)
    counts.update(y_true, y_pred, probs)  # the dense matrix, or only its non-zero cells above DENSE_MAX_CLASSES
    show_images = images is not None and probs is not None
    return _assemble(counts, classes, config, log_loss=_log_loss_of_rows(y_true, probs, counts, config),
                     mistakes=(_mistakes(y_true, y_pred, probs, images, image_shape, config.n_examples)
                               if show_images else None),
                     training=_training(history, best_epoch, stop_reason, recipe), subject=subject, source=source,
                     decision=decision)


def build_report_from_counts(counts: metrics.EvaluationCounts, classes, *, config: ReportConfig | None = None,
                             history=None, best_epoch=None, stop_reason="", recipe=None, subject="", source=None,
                             decision=None) -> Report:
    """The report of predictions added up batch by batch (`metrics.EvaluationCounts`): data streamed past.

    Everything `build_report` gives except the confidently wrong images (the rows are gone); the log-loss
    interval is the normal approximation of its stratified bootstrap (exact variance). Other parameters as in
    `build_report`.

    Raises
    ------
    DataError
        No rows counted, counts for another number of classes, or other calibration bins than `config`'s.
    """
    config = config or ReportConfig()
    classes = tuple(str(name) for name in classes)
    if counts.n_classes != len(classes) or counts.n_bins != config.n_bins:
        raise DataError(f"`counts` must count {len(classes)} classes in {config.n_bins} bins; got "
                        f"{counts.n_classes} and {counts.n_bins}.")
    if counts.n_samples == 0:
        raise DataError("`counts` must hold at least one row; got none.")
    return _assemble(counts, classes, config, log_loss=_log_loss_of_counts(counts, config), mistakes=None,
                     training=_training(history, best_epoch, stop_reason, recipe), subject=subject, source=source,
                     decision=decision)


def _assemble(counts: metrics.EvaluationCounts, classes: tuple[str, ...], config: ReportConfig, *, log_loss,
              mistakes, training, subject, source, decision) -> Report:
    """Every number of the report from the counts, given what needs the rows (log-loss interval, mistakes)."""
    cm = counts.confusion  # (K, K) rows = true, or a SparseConfusion
    samples = None
    if config.bootstrap:
        samples = metrics.bootstrap_scores(cm, n_resamples=config.bootstrap, seed=config.seed)
    parts = {"headline": _headline(cm, log_loss, config, samples), "baselines": _baselines(cm)}
    per_class = _per_class(cm, config, samples)
    support = cm.sum(axis=1)
    occurring = np.flatnonzero(support > 0)
    f1 = np.array([row.f1.value for row in per_class])
    recall = np.array([row.recall.value for row in per_class])
    ranking = occurring[np.lexsort((occurring, recall[occurring], f1[occurring]))]  # weakest first
    return Report(
        subject=str(subject),
        source=dict(source or {}),
        config=config,
        classes=classes,
        confusion=cm,
        headline=parts["headline"],
        baselines=parts["baselines"],
        per_class=per_class,
        ranking=tuple(int(c) for c in ranking),
        most_confused=_most_confused(cm, config.top_n),
        calibration=_calibration(counts),
        training=training,
        mistakes=mistakes,
        notices=(_notices(parts, cm, classes, config, bool(counts.has_probs))
                 + (decision.notices if decision else ())),
        decision=decision,
    )
