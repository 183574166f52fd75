"""`build_decision`: what a model's decision policy does on labelled rows, for the report's "decision" section.

It compares the policy's decisions with the plain argmax on the same rows: calibration before and after the
temperature, the cost actually incurred under a cost matrix (with a paired interval of the difference), each
recall target met or missed (Wilson interval), and the price in every class's precision and recall.
"""

from __future__ import annotations

import numpy as np

from multiclass import metrics
from multiclass.decisions import DecisionPolicy, apply_temperature, decide
from multiclass.report.model import (
    ClassChange,
    Decision,
    Estimate,
    Notice,
    ReportConfig,
    TargetCheck,
)

__all__ = ["build_decision"]

# A recall equal to its target within float rounding counts as met (19 / 20 against 0.95).
_MET_SLACK = 1e-12


def _calibration(y_true, log_probs, temperature: float, n_bins: int) -> dict:
    labels = np.arange(log_probs.shape[1])
    out = {}
    for when, values in (("before", log_probs), ("after", apply_temperature(log_probs, temperature))):
        probs = np.exp(values)  # (N, K)
        out[when] = {
            "ece_top_label": metrics.expected_calibration_error(y_true, probs, labels=labels, n_bins=n_bins),
            "ece_classwise": metrics.classwise_calibration_error(y_true, probs, labels=labels, n_bins=n_bins),
            "brier": metrics.brier_score_loss(y_true, probs, labels=labels, scale_by_half=False),
            "log_loss": metrics.log_loss(y_true, probs, labels=labels),
        }
    return out


def _mean(values, y_true, config: ReportConfig) -> Estimate:
    if not config.bootstrap:
        return Estimate(float(np.mean(values)))
    low, high, method = metrics.stratified_mean_interval(values, y_true, n_resamples=config.bootstrap,
                                                         seed=config.seed, confidence=config.confidence)
    return Estimate(float(np.mean(values)), low, high, method)


def _cost(y_true, y_argmax, y_policy, cost: np.ndarray, config: ReportConfig) -> dict:
    paid, paid_argmax = cost[y_true, y_policy], cost[y_true, y_argmax]  # (N,) per-row cost of each rule
    return {"policy": _mean(paid, y_true, config), "argmax": _mean(paid_argmax, y_true, config),
            "difference": _mean(paid - paid_argmax, y_true, config)}


def _proportions(k: np.ndarray, n: np.ndarray, config: ReportConfig) -> list[Estimate]:
    """k / n per class with Wilson intervals (None where n = 0: undefined, e.g. a class never decided)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = metrics.wilson_interval(k, n, confidence=config.confidence)
    out = []
    for c in range(len(k)):
        if n[c] == 0:
            out.append(Estimate(None))
        elif config.bootstrap:
            out.append(Estimate(float(k[c] / n[c]), float(low[c]), float(high[c]), "wilson"))
        else:
            out.append(Estimate(float(k[c] / n[c])))
    return out


def _totals(y_true, y_pred, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tp, predicted, support), each (K,): the confusion matrix's diagonal and margins without a K x K array."""
    return (np.bincount(y_true[y_true == y_pred], minlength=k), np.bincount(y_pred, minlength=k),
            np.bincount(y_true, minlength=k))


def _scores(tp, predicted, support) -> dict[str, float]:
    """The headline scores as `report.build.summary_scores` defines them: averages over the classes present in
    truth or prediction, balanced accuracy over those in truth, undefined scores counting 0."""
    present, in_truth = (predicted > 0) | (support > 0), support > 0
    recall = np.divide(tp, support, out=np.zeros(len(tp)), where=in_truth)
    f1 = np.divide(2 * tp, predicted + support, out=np.zeros(len(tp)), where=present)
    return {"accuracy": float(tp.sum() / support.sum()), "balanced_accuracy": float(recall[in_truth].mean()),
            "macro_f1": float(f1[present].mean()), "weighted_f1": float((f1 * support).sum() / support.sum())}


def build_decision(y_true, log_probs, policy: DecisionPolicy, *, classes, config: ReportConfig | None = None,
                   tuned_here: bool = False) -> Decision:
    """The decision section of the report.

    Parameters
    ----------
    y_true : ndarray of int, shape (n_samples,)
        True class codes.
    log_probs : ndarray of shape (n_samples, K)
        The network's uncalibrated log-probabilities (`TrainedModel.predict_log_proba(X, calibrated=False)`).
    policy : DecisionPolicy
    classes : sequence of str
        Class names, for the notices.
    config : ReportConfig, optional
        Intervals (``bootstrap`` 0 turns them off), confidence, bins.
    tuned_here : bool, default=False
        These are the rows the policy was fitted on (its validation rows).
    """
    config = config or ReportConfig()
    y_true = np.asarray(y_true, dtype=np.intp)
    k = log_probs.shape[1]
    y_argmax, y_policy = decide(log_probs), decide(log_probs, policy)  # (N,) each
    totals = {"argmax": _totals(y_true, y_argmax, k), "policy": _totals(y_true, y_policy, k)}
    (tp_a, predicted_a, support), (tp_p, predicted_p, _) = totals["argmax"], totals["policy"]
    precision_a, recall_a = _proportions(tp_a, predicted_a, config), _proportions(tp_a, support, config)
    precision_p, recall_p = _proportions(tp_p, predicted_p, config), _proportions(tp_p, support, config)
    changes = tuple(ClassChange(c, precision_a[c], precision_p[c], recall_a[c], recall_p[c]) for c in range(k))
    targets, notices = [], []
    for c, target in policy.target_recall:
        recall = recall_p[c]
        met = None if recall.value is None else recall.value >= target - _MET_SLACK
        targets.append(TargetCheck(c, target, recall, met))
        if met is False and not tuned_here:
            notices.append(Notice("target_missed", "warning",
                                  {"name": classes[c], "recall": recall.value, "target": target}))
    if targets and tuned_here:
        notices.append(Notice("targets_tuned_here", "note"))
    scores = {name: _scores(*counts) for name, counts in totals.items()}
    return Decision(
        rule=policy.rule,
        temperature=policy.temperature,
        calibration=None if policy.temperature == 1.0 else _calibration(y_true, log_probs, policy.temperature,
                                                                        config.n_bins),
        cost=None if policy.cost_matrix is None else _cost(y_true, y_argmax, y_policy,
                                                           np.asarray(policy.cost_matrix), config),
        targets=tuple(targets),
        changes=changes,
        scores=scores,
        n_changed=int(np.count_nonzero(y_argmax != y_policy)),
        tuned_here=bool(tuned_here),
        notices=tuple(notices),
    )
