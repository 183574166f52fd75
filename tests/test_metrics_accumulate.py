"""`metrics.EvaluationCounts` and `report.build_report_from_counts`: an evaluation added up batch by batch gives the
numbers of the in-memory functions (and of scikit-learn) on the same rows, whatever the batches."""

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass import metrics
from multiclass.decisions import DecisionPolicy
from multiclass.exceptions import DataError
from multiclass.report import ReportConfig, build_report, report_to_dict
from multiclass.report.build import build_report_from_counts
from multiclass.report.decision import DecisionCounts, build_decision, build_decision_from_counts


def rows(n, k, seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    logits = rng.standard_normal((n, k)) * 2
    logits[np.arange(n), y_true] += 1.5
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return y_true, probs.argmax(axis=1), probs


def counted(y_true, y_pred, probs, cuts, k, **kw):
    counts = metrics.EvaluationCounts(k, **kw)
    for a, b in zip([0, *cuts], [*cuts, len(y_true)]):
        counts.update(y_true[a:b], y_pred[a:b], None if probs is None else probs[a:b])
    return counts


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), k=st.integers(2, 7), seed=st.integers(0, 10_000), data=st.data())
def test_counts_in_any_batches_equal_the_whole_rows(n, k, seed, data):
    y_true, y_pred, probs = rows(n, k, seed)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=6)))
    counts = counted(y_true, y_pred, probs, cuts, k, n_bins=10)
    labels = np.arange(k)
    np.testing.assert_array_equal(counts.confusion, skm.confusion_matrix(y_true, y_pred, labels=labels))
    assert counts.log_loss() == pytest.approx(skm.log_loss(y_true, probs, labels=labels), rel=1e-12, abs=1e-15)
    assert counts.brier() == pytest.approx(metrics.brier_score_loss(y_true, probs, labels=labels,
                                                                    scale_by_half=False), rel=1e-12, abs=1e-15)
    whole = metrics.reliability_bins(y_true, probs, labels=labels, n_bins=10)
    np.testing.assert_array_equal(counts.reliability().count, whole.count)
    np.testing.assert_allclose(counts.reliability().accuracy, whole.accuracy, rtol=1e-12)
    np.testing.assert_allclose(counts.reliability().confidence, whole.confidence, rtol=1e-12)
    assert counts.reliability().ece == pytest.approx(whole.ece, rel=1e-12, abs=1e-15)
    assert counts.classwise_ece() == pytest.approx(
        metrics.classwise_calibration_error(y_true, probs, labels=labels, n_bins=10), rel=1e-12, abs=1e-15)


def test_the_log_loss_interval_is_the_stratified_bootstraps_normal_interval():
    y_true, y_pred, probs = rows(5000, 4, 1)
    counts = counted(y_true, y_pred, probs, [700, 2500, 2501], 4)
    losses = -np.log(np.clip(probs[np.arange(5000), y_true], 1e-16, 1))
    low, high, method = metrics.stratified_mean_interval(losses, y_true, max_draws=0)  # the normal branch
    assert method == "normal"
    assert counts.log_loss_interval() == pytest.approx((low, high), rel=1e-12)
    boot_low, boot_high, _ = metrics.stratified_mean_interval(losses, y_true, n_resamples=2000, seed=3)
    assert counts.log_loss_interval() == pytest.approx((boot_low, boot_high), abs=0.01)  # agrees with resampling


def test_class_moments_merge_to_the_per_class_mean_and_variance():
    rng = np.random.default_rng(2)
    groups, values = rng.integers(0, 5, 1000), rng.standard_normal(1000) * 3 + 7
    moments = metrics.ClassMoments.empty(6)  # class 5 never occurs
    for part in np.array_split(np.arange(1000), 7):
        moments.add(values[part], groups[part])
    for c in range(5):
        mine = values[groups == c]
        assert moments.n[c] == len(mine)
        assert moments.mean[c] == pytest.approx(mine.mean(), rel=1e-12)
        assert moments.m2[c] == pytest.approx(((mine - mine.mean()) ** 2).sum(), rel=1e-10)
    assert moments.n[5] == 0 and moments.overall_mean() == pytest.approx(values.mean(), rel=1e-12)


def test_merged_counts_equal_counts_of_all_rows_dense_and_sparse():
    y_true, y_pred, probs = rows(3000, 6, 4)
    for sparse in (False, True):
        first = counted(y_true[:1000], y_pred[:1000], probs[:1000], [500], 6, sparse=sparse)
        second = counted(y_true[1000:], y_pred[1000:], probs[1000:], [10], 6, sparse=sparse)
        merged = first.merge(second)
        whole = counted(y_true, y_pred, probs, [], 6, sparse=sparse)
        dense = merged.confusion.toarray() if sparse else merged.confusion
        np.testing.assert_array_equal(dense, skm.confusion_matrix(y_true, y_pred))
        assert merged.log_loss() == pytest.approx(whole.log_loss(), rel=1e-12)
        assert merged.brier() == pytest.approx(whole.brier(), rel=1e-12)


def test_many_small_sparse_batches_merge_into_one_matrix():
    rng = np.random.default_rng(5)
    k, n = 3000, 200_000
    y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
    counts = counted(y_true, y_pred, None, list(range(1000, n, 1000)), k)
    assert counts.sparse and not counts.has_probs
    expected = metrics.sparse_confusion_matrix(y_true, y_pred, n_classes=k)
    got = counts.confusion
    np.testing.assert_array_equal(got.true, expected.true)
    np.testing.assert_array_equal(got.counts, expected.counts)


@pytest.mark.parametrize("call, message", [
    (lambda c: c.update([0, 3], [0, 1]), r"`y_true` must hold class indices in \[0, 3\); got 3"),
    (lambda c: c.update([0, 1], [0]), r"`y_pred` must have the length of `y_true` \(2\); got 1"),
    (lambda c: c.update([0], [0], probs=[[0.5, 0.5]]), r"`probs` must be finite probabilities of shape \(1, 3\)"),
    (lambda c: c.log_loss(), r"these counts hold no probabilities"),
    (lambda c: c.merge(metrics.EvaluationCounts(4)), r"`other` must count 3 classes in 15 bins"),
])
def test_counts_errors_name_the_problem(call, message):
    with pytest.raises(DataError, match=message):
        call(metrics.EvaluationCounts(3))


def test_a_mix_of_batches_with_and_without_probabilities_is_refused():
    counts = metrics.EvaluationCounts(2)
    counts.update([0], [0], probs=[[0.9, 0.1]])
    with pytest.raises(DataError, match="every batch must come with probabilities, or none; got a mix"):
        counts.update([1], [1])


def test_a_report_from_counts_has_the_in_memory_reports_numbers():
    y_true, y_pred, probs = rows(4000, 5, 6)
    classes = list("abcde")
    config = ReportConfig(bootstrap=200)
    in_memory = build_report(y_true, y_pred, classes, probs=probs, config=config)
    streamed = build_report_from_counts(counted(y_true, y_pred, probs, [1000, 1234, 3999], 5), classes,
                                        config=config)
    for name in ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1"):
        assert streamed.headline[name] == in_memory.headline[name]  # intervals too: bootstrap of the matrix
    loss, expected = streamed.headline["log_loss"], in_memory.headline["log_loss"]
    assert loss.value == pytest.approx(expected.value, rel=1e-12) and loss.method == "normal"
    assert loss.low == pytest.approx(expected.low, abs=0.01) and loss.high == pytest.approx(expected.high, abs=0.01)
    assert streamed.per_class == in_memory.per_class and streamed.most_confused == in_memory.most_confused
    assert streamed.notices == in_memory.notices
    for name in ("ece_top_label", "ece_classwise", "brier"):
        assert getattr(streamed.calibration, name) == pytest.approx(getattr(in_memory.calibration, name), rel=1e-12)


def test_a_report_from_counts_refuses_counts_that_do_not_fit():
    with pytest.raises(DataError, match=r"`counts` must count 3 classes in 15 bins; got 2 and 15"):
        build_report_from_counts(metrics.EvaluationCounts(2), ["a", "b", "c"])
    with pytest.raises(DataError, match="`counts` must hold at least one row; got none"):
        build_report_from_counts(metrics.EvaluationCounts(2), ["a", "b"])


def test_the_decision_section_from_counts_matches_the_in_memory_one():
    y_true, _, probs = rows(3000, 3, 7)
    log_probs = np.log(probs)
    cost = np.array([[0, 1, 1], [10, 0, 1], [1, 1, 0]], dtype=float)
    policy = DecisionPolicy(temperature=1.7, cost_matrix=cost)
    config = ReportConfig(bootstrap=300)
    in_memory = build_decision(y_true, log_probs, policy, classes=["a", "b", "c"], config=config)
    counts = DecisionCounts(policy, 3)
    for part in np.array_split(np.arange(3000), 4):
        counts.update(y_true[part], log_probs[part])
    streamed = build_decision_from_counts(counts, classes=["a", "b", "c"], config=config)
    assert streamed.changes == in_memory.changes and streamed.scores == in_memory.scores
    assert streamed.n_changed == in_memory.n_changed > 0
    for when in ("before", "after"):
        for name, value in in_memory.calibration[when].items():
            assert streamed.calibration[when][name] == pytest.approx(value, rel=1e-12)
    for name, estimate in in_memory.cost.items():
        assert streamed.cost[name].value == pytest.approx(estimate.value, rel=1e-12, abs=1e-15)
        assert streamed.cost[name].method == "normal"
        assert streamed.cost[name].low == pytest.approx(estimate.low, abs=0.02)


def test_a_report_keeps_many_classes_sparse():
    rng = np.random.default_rng(8)
    k, n = 1500, 5000
    y_true = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k) * 0.05, n)
    names = [f"c{i}" for i in range(k)]
    report = build_report(y_true, probs.argmax(axis=1), names, probs=probs, config=ReportConfig(bootstrap=0))
    assert isinstance(report.confusion, metrics.SparseConfusion)
    assert report.headline["accuracy"].value == pytest.approx(skm.accuracy_score(y_true, probs.argmax(axis=1)))
    assert report.headline["macro_f1"].value == pytest.approx(skm.f1_score(y_true, probs.argmax(axis=1),
                                                                          average="macro"), rel=1e-12)
    document = report_to_dict(report)
    assert document["confusion_matrix"]["format"] == "coo" and sum(document["confusion_matrix"]["count"]) == n
    expected = skm.classification_report(y_true, probs.argmax(axis=1), labels=np.arange(k), target_names=names,
                                         output_dict=True, zero_division=0.0)
    assert document["per_class"]["c7"]["f1"] == pytest.approx(expected["c7"]["f1-score"], rel=1e-12)
    assert document["per_class"]["c7"]["support"] == expected["c7"]["support"]
