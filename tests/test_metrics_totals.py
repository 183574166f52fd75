"""multiclass.metrics.totals: one definition of the headline scores, and every caller gets the very same numbers.

Random confusion counts are fed to each place that reports a score -- the evaluation report (in memory and from
streamed counts), training validation, the sweep's stacked validation, the paired comparison, the decision section,
the streamed-counts summary and the bootstrap -- and each must give bit-identical numbers, which scikit-learn
confirms to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass import metrics
from multiclass.decisions import DecisionPolicy
from multiclass.exceptions import DataError
from multiclass.metrics.compare import compare_predictions
from multiclass.metrics.totals import class_totals, headline_scores
from multiclass.report import ReportConfig, build_report
from multiclass.report.build import build_report_from_counts
from multiclass.report.decision import DecisionCounts, build_decision_from_counts
from multiclass.training.validation import validation_scores

NAMES = ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1")


@st.composite
def confusions(draw):
    """A K x K matrix of small counts with at least one row, K in [2, 6] (classes may be absent or never decided)."""
    k = draw(st.integers(2, 6))
    cells = draw(st.lists(st.integers(0, 6), min_size=k * k, max_size=k * k))
    cm = np.array(cells, dtype=np.int64).reshape(k, k)
    if cm.sum() == 0:
        cm[0, 0] = 1
    return cm


def rows_of(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) codes whose confusion matrix is `cm`, in a shuffled order."""
    k = len(cm)
    true, pred = np.divmod(np.repeat(np.arange(k * k), cm.ravel()), k)
    order = np.random.default_rng(0).permutation(len(true))
    return true[order], pred[order]


@settings(max_examples=60, deadline=None)
@given(confusions())
def test_every_caller_reports_the_same_headline(cm):
    y_true, y_pred = rows_of(cm)
    k = len(cm)
    classes = [f"c{i}" for i in range(k)]
    expected = headline_scores(*class_totals(y_true, y_pred, k))

    report = build_report(y_true, y_pred, classes, config=ReportConfig(bootstrap=0))
    counts = metrics.EvaluationCounts(k)
    counts.update(y_true, y_pred)
    streamed = build_report_from_counts(counts, classes, config=ReportConfig(bootstrap=0))
    validation = validation_scores(*class_totals(y_true, y_pred, k), loss_sum=0.0, weight_sum=1.0)
    stacked = validation_scores(*np.stack([class_totals(y_true, y_pred, k)] * 3, axis=1), loss_sum=np.zeros(3),
                                weight_sum=1.0)  # the sweep: (M, K) totals of M = 3 models
    compared = compare_predictions(y_true, y_pred, y_pred, n_resamples=2)
    log_probs = np.log(np.eye(k)[y_pred] * 0.9 + 0.1 / k)  # argmax = y_pred
    decision = DecisionCounts(DecisionPolicy(), k)
    decision.update(y_true, log_probs)
    section = build_decision_from_counts(decision, classes=classes, config=ReportConfig(bootstrap=0))
    summary = metrics.scores_from_totals(*metrics.confusion_totals(cm))

    for name in NAMES:
        value = float(expected[name])
        assert report.headline[name].value == value, name
        assert streamed.headline[name].value == value, name
        assert section.scores["argmax"][name] == value, name
        assert summary[name] == value, name
    for name, key in (("accuracy", "val_accuracy"), ("macro_f1", "val_macro_f1")):
        assert validation[key] == float(expected[name])
        assert np.all(stacked[key] == float(expected[name]))
        assert compared.scores_a[name] == compared.scores_b[name] == float(expected[name])

    present = np.union1d(y_true, y_pred)  # scikit-learn's classes without `labels`
    assert float(expected["macro_f1"]) == pytest.approx(
        skm.f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0), abs=1e-12)
    assert float(expected["weighted_f1"]) == pytest.approx(
        skm.f1_score(y_true, y_pred, labels=present, average="weighted", zero_division=0), abs=1e-12)
    assert float(expected["accuracy"]) == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(confusions())
def test_bootstrap_resamples_use_the_same_definition(cm):
    """A matrix with one non-zero cell per row: every stratified resample is the matrix itself, so each resample's
    scores are the point scores, to the bit."""
    k = len(cm)
    one_cell = np.zeros_like(cm)
    one_cell[np.arange(k), np.argmax(cm, axis=1)] = cm.sum(axis=1)
    samples = metrics.bootstrap_scores(one_cell, n_resamples=5, seed=0)
    point = headline_scores(*metrics.confusion_totals(one_cell))
    for name in NAMES:
        assert np.all(samples[name] == point[name]), name


def test_leading_axes_score_each_evaluation_alone():
    rng = np.random.default_rng(3)
    totals = [class_totals(rng.integers(0, 4, 50), rng.integers(0, 4, 50), 4) for _ in range(5)]
    stacked = headline_scores(*np.stack(totals, axis=1))  # (5, K) each
    for i, one in enumerate(totals):
        alone = headline_scores(*one)
        for name in NAMES:
            assert stacked[name][i] == alone[name]


def test_no_rows_is_an_error():
    with pytest.raises(DataError, match=r"`true_sum` must hold a positive total for every evaluation; got 0\.0"):
        headline_scores(np.zeros(3), np.zeros(3), np.zeros(3))
