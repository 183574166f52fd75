"""`build_decision`: what a model's decision policy does on labelled rows, for the report's "decision" section.

It compares the policy's decisions with the plain argmax on the same rows: calibration before and after the
temperature, the cost actually incurred under a cost matrix (with a paired interval of the difference), each
recall target met or missed (Wilson interval), and the price in every class's precision and recall.
"""

from __future__ import annotations

import numpy as np

import multiclass.metrics as metrics
from multiclass.metrics.sparse import scores_from_totals
from multiclass.metrics.totals import class_totals
from multiclass.decisions import DecisionPolicy, apply_temperature, decide
from multiclass.report.value import (
    ClassChange,
    Decision,
    Estimate,
    Notice,
    ReportConfig,
    TargetCheck,
)

__all__ = ["DecisionCounts", "build_decision", "build_decision_from_counts"]

# A recall equal to its target within float rounding counts as met (19 / 20 against 0.95).
_MET_SLACK = 1e-12


class DecisionCounts:
    """What the decision section needs from labelled rows, added up batch by batch (streamed data).

    Per class, the diagonal and margins of the argmax's and the policy's confusion matrices; the rows whose
    decision the policy changed; with a temperature, the calibration counts (`metrics.EvaluationCounts`) before
    and after it; with a cost matrix, per-class moments of each row's cost under both rules and of their
    difference (the normal interval of the stratified bootstrap of a mean, as for the log-loss).
    """

    def __init__(self, policy: DecisionPolicy, n_classes: int, *, n_bins: int = 15):
        self.policy, self.n_classes = policy, int(n_classes)
        k = self.n_classes
        self.totals = {"argmax": np.zeros((3, k), np.int64), "policy": np.zeros((3, k), np.int64)}
        self.n_changed = 0
        self.calibration = None
        if policy.temperature != 1.0:  # sparse: only the calibration sums are read, never the matrix
            self.calibration = {when: metrics.EvaluationCounts(k, n_bins=n_bins, sparse=True)
                                for when in ("before", "after")}
        self.cost = None
        if policy.cost_matrix is not None:
            self.cost = {name: metrics.ClassMoments.empty(k) for name in ("policy", "argmax", "difference")}

    def update(self, y_true, log_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add rows: true class codes (n,) and the network's uncalibrated log-probabilities (n, K).
        Returns the argmax's and the policy's decisions (n,) each."""
        y_true = np.asarray(y_true, dtype=np.intp)
        y_argmax, y_policy = decide(log_probs), decide(log_probs, self.policy)  # (n,) each
        for name, y_pred in (("argmax", y_argmax), ("policy", y_policy)):
            self.totals[name] += class_totals(y_true, y_pred, self.n_classes)
        self.n_changed += int(np.count_nonzero(y_argmax != y_policy))
        if self.calibration is not None:
            after = apply_temperature(log_probs, self.policy.temperature)
            for when, values in (("before", log_probs), ("after", after)):
                probs = np.exp(values)  # (n, K)
                self.calibration[when].update(y_true, probs.argmax(axis=1), probs)
        if self.cost is not None:
            paid, paid_argmax = _costs(self.policy, y_true, y_policy, y_argmax)
            for name, values in (("policy", paid), ("argmax", paid_argmax), ("difference", paid - paid_argmax)):
                self.cost[name].add(values, y_true)
        return y_argmax, y_policy


def _costs(policy: DecisionPolicy, y_true, y_policy, y_argmax) -> tuple[np.ndarray, np.ndarray]:
    """(n,) each: every row's cost under the policy's decision and under the argmax."""
    cost = np.asarray(policy.cost_matrix, dtype=np.float64)
    return cost[y_true, y_policy], cost[y_true, y_argmax]


def _calibration_of(counts: DecisionCounts) -> dict | None:
    if counts.calibration is None:
        return None
    return {when: {"ece_top_label": c.reliability().ece, "ece_classwise": c.classwise_ece(), "brier": c.brier(),
                   "log_loss": c.log_loss()} for when, c in counts.calibration.items()}


def _mean_of_rows(values, y_true, config: ReportConfig) -> Estimate:
    if not config.bootstrap:
        return Estimate(float(np.mean(values)))
    low, high, method = metrics.stratified_mean_interval(values, y_true, n_resamples=config.bootstrap,
                                                         seed=config.seed, confidence=config.confidence)
    return Estimate(float(np.mean(values)), low, high, method)


def _mean_of_moments(moments: metrics.ClassMoments, config: ReportConfig) -> Estimate:
    if not config.bootstrap:
        return Estimate(moments.overall_mean())
    low, high = moments.normal_interval(config.confidence)
    return Estimate(moments.overall_mean(), low, high, "normal")


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
    counts = DecisionCounts(policy, log_probs.shape[1], n_bins=config.n_bins)
    y_argmax, y_policy = counts.update(y_true, log_probs)
    cost = None
    if policy.cost_matrix is not None:  # the rows are at hand: the bootstrap of the mean costs
        paid, paid_argmax = _costs(policy, y_true, y_policy, y_argmax)
        cost = {"policy": _mean_of_rows(paid, y_true, config), "argmax": _mean_of_rows(paid_argmax, y_true, config),
                "difference": _mean_of_rows(paid - paid_argmax, y_true, config)}
    return _assemble(counts, classes, config, tuned_here, cost)


def build_decision_from_counts(counts: DecisionCounts, *, classes, config: ReportConfig | None = None,
                               tuned_here: bool = False) -> Decision:
    """The decision section from `DecisionCounts` added up over streamed rows (normal intervals for the mean
    costs); parameters as in `build_decision`."""
    config = config or ReportConfig()
    cost = None if counts.cost is None else {name: _mean_of_moments(m, config) for name, m in counts.cost.items()}
    return _assemble(counts, classes, config, tuned_here, cost)


def _assemble(counts: DecisionCounts, classes, config: ReportConfig, tuned_here: bool, cost) -> Decision:
    policy, k = counts.policy, counts.n_classes
    (tp_a, predicted_a, support), (tp_p, predicted_p, _) = counts.totals["argmax"], counts.totals["policy"]
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
    scores = {name: scores_from_totals(*totals) for name, totals in counts.totals.items()}
    return Decision(
        rule=policy.rule,
        temperature=policy.temperature,
        calibration=_calibration_of(counts),
        cost=cost,
        targets=tuple(targets),
        changes=changes,
        scores=scores,
        n_changed=counts.n_changed,
        tuned_here=bool(tuned_here),
        notices=tuple(notices),
    )
