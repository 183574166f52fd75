"""multiclass.metrics by hand: a worked example, the report value, the matrix-level functions, label encoding."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

import multiclass.metrics as mm
from multiclass.exceptions import UndefinedMetricWarning

# A 3-class problem, 10 samples, worked out by hand.
#
#            predicted 0  1  2    support (row sum)
#   true 0          [ 2, 1, 0 ]   3
#   true 1          [ 0, 1, 1 ]   2
#   true 2          [ 1, 1, 3 ]   5
#   predicted (col sum) 3  3  4   n = 10, correct (trace) = 6 -> accuracy 6/10 = 0.6
#
#   precision = tp / col sum = 2/3, 1/3, 3/4
#   recall    = tp / row sum = 2/3, 1/2, 3/5
#   F1 = 2 tp / (row + col)  = 4/6, 2/5, 6/9 = 2/3, 0.4, 2/3
#   macro:    P = (2/3 + 1/3 + 3/4) / 3 = 7/12      R = (2/3 + 1/2 + 3/5) / 3 = 53/90   F1 = (2/3 + 2/5 + 2/3) / 3 = 26/45
#   weighted: P = (3*2/3 + 2*1/3 + 5*3/4) / 10 = 77/120   R = (2 + 1 + 3) / 10 = 0.6   F1 = (2 + 0.8 + 10/3) / 10 = 46/75
#   micro:    P = R = F1 = 6/10 (every sample is predicted once, so pooled tp / n = accuracy)
#   balanced accuracy = macro recall = 53/90; adjusted for chance 1/3: (53/90 - 1/3) / (2/3) = 23/60
Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2]
Y_PRED = [0, 1, 0, 1, 2, 2, 2, 0, 2, 1]


def test_worked_example_by_hand():
    cm = mm.confusion_matrix(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(cm, [[2, 1, 0], [0, 1, 1], [1, 1, 3]])
    assert mm.accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(0.6, abs=1e-15)
    assert mm.accuracy_score(Y_TRUE, Y_PRED, normalize=False) == 6.0
    p, r, f, s = mm.precision_recall_fscore_support(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(p, [2 / 3, 1 / 3, 3 / 4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(r, [2 / 3, 1 / 2, 3 / 5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(f, [2 / 3, 2 / 5, 2 / 3], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(s, [3, 2, 5])
    expected = {"macro": (7 / 12, 53 / 90, 26 / 45), "weighted": (77 / 120, 0.6, 46 / 75), "micro": (0.6, 0.6, 0.6)}
    for average, numbers in expected.items():
        got = mm.precision_recall_fscore_support(Y_TRUE, Y_PRED, average=average)
        np.testing.assert_allclose(got[:3], numbers, rtol=0, atol=1e-15)
        assert got[3] is None
    assert mm.balanced_accuracy_score(Y_TRUE, Y_PRED) == pytest.approx(53 / 90, abs=1e-15)
    assert mm.balanced_accuracy_score(Y_TRUE, Y_PRED, adjusted=True) == pytest.approx(23 / 60, abs=1e-15)
    assert str(mm.classification_report(Y_TRUE, Y_PRED)) == (
        "              precision    recall  f1-score   support\n"
        "\n"
        "           0       0.67      0.67      0.67         3\n"
        "           1       0.33      0.50      0.40         2\n"
        "           2       0.75      0.60      0.67         5\n"
        "\n"
        "    accuracy                           0.60        10\n"
        "   macro avg       0.58      0.59      0.58        10\n"
        "weighted avg       0.64      0.60      0.61        10\n"
    )


def test_worked_example_top_k_and_log_loss_by_hand():
    # row 0: true class 2 scores 0.3, one class (0.5) above -> miss at k=1, hit at k=2
    # row 1: true class 0 scores 0.4, tied with class 1, which ranks first (larger index, sklearn) -> same
    y_score = [[0.2, 0.5, 0.3], [0.4, 0.4, 0.2]]
    assert mm.top_k_accuracy_score([2, 0], y_score, k=1, labels=[0, 1, 2]) == 0.0
    assert mm.top_k_accuracy_score([2, 0], y_score, k=2, labels=[0, 1, 2]) == 1.0
    # log loss = mean(-ln 0.3, -ln 0.4) = (1.2039728 + 0.9162907) / 2
    expected = (-math.log(0.3) - math.log(0.4)) / 2
    assert mm.log_loss([2, 0], y_score, labels=[0, 1, 2]) == pytest.approx(expected, abs=1e-15)


def test_matrix_level_functions_equal_the_label_functions():
    cm = mm.confusion_matrix(Y_TRUE, Y_PRED)
    assert mm.accuracy_from_confusion(cm) == mm.accuracy_score(Y_TRUE, Y_PRED)
    assert mm.balanced_accuracy_from_confusion(cm) == mm.balanced_accuracy_score(Y_TRUE, Y_PRED)
    assert mm.balanced_accuracy_from_confusion(cm, True) == mm.balanced_accuracy_score(Y_TRUE, Y_PRED, adjusted=True)
    for average in (None, "micro", "macro", "weighted"):
        ours = mm.precision_recall_fscore_from_confusion(cm, beta=2.0, average=average)
        theirs = mm.precision_recall_fscore_support(Y_TRUE, Y_PRED, beta=2.0, average=average)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)
    report = mm.classification_report_from_confusion(cm, target_names=["0", "1", "2"])
    assert report == mm.classification_report(Y_TRUE, Y_PRED)


def test_distributed_sum_of_matrices_gives_the_same_report():
    halves = [mm.confusion_matrix(Y_TRUE[:5], Y_PRED[:5], labels=[0, 1, 2]),
              mm.confusion_matrix(Y_TRUE[5:], Y_PRED[5:], labels=[0, 1, 2])]
    assert mm.classification_report_from_confusion(sum(halves)).to_dict() == skm.classification_report(
        Y_TRUE, Y_PRED, output_dict=True)


def test_report_is_a_frozen_value_rendered_four_ways():
    report = mm.classification_report(["b", "a", "c", "a"], ["b", "a", "a", "a"], zero_division=np.nan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.digits = 3
    assert report.accuracy == 0.75
    assert [row.name for row in report.per_class] == ["a", "b", "c"]
    assert [row.name for row in report.averages] == ["accuracy", "macro avg", "weighted avg"]
    assert all(isinstance(row.support, int) for row in report.per_class)
    as_dict = report.to_dict()
    assert math.isnan(as_dict["c"]["precision"])  # class c never predicted, zero_division=nan
    assert json.loads(report.to_json())["c"]["precision"] is None  # strict JSON: NaN -> null
    assert json.loads(report.to_json(indent=2))["accuracy"] == 0.75
    frame = report.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["precision", "recall", "f1-score", "support"]
    assert list(frame.index) == ["a", "b", "c", "accuracy", "macro avg", "weighted avg"]
    assert frame.loc["accuracy", "f1-score"] == 0.75 and math.isnan(frame.loc["accuracy", "precision"])
    assert frame.loc["a", "support"] == 2
    assert report.to_text(digits=4).splitlines()[2].split() == ["a", "0.6667", "1.0000", "0.8000", "2"]
    assert str(report) == report.to_text()


def test_report_on_a_subset_of_labels_shows_micro_average_not_accuracy():
    report = mm.classification_report([1, 1, 1], [1, 1, 0], labels=[1, 2, 3], zero_division=0)
    assert report.accuracy is None
    assert [row.name for row in report.averages] == ["micro avg", "macro avg", "weighted avg"]
    assert report.to_dict() == skm.classification_report([1, 1, 1], [1, 1, 0], labels=[1, 2, 3], output_dict=True,
                                                         zero_division=0)


def test_weighted_report_prints_float_supports():
    report = mm.classification_report([1, 1, 2], [1, 2, 2], sample_weight=[1, 2, 0.5])
    assert str(report) == skm.classification_report([1, 1, 2], [1, 2, 2], sample_weight=[1, 2, 0.5])
    assert report.per_class[0].support == 3.0 and isinstance(report.per_class[0].support, float)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels"),
    [
        (np.array([10**9, 5, 10**9]), np.array([5, 5, 7]), None),  # beyond the dense bincount range
        (np.array([-3, 0, 2], dtype=np.int32), np.array([2, 2, -3], dtype=np.int64), None),  # negatives, mixed widths
        (np.array([0, 1, 2, 2], dtype=np.uint8), np.array([1, 1, 2, 0], dtype=np.uint8), [0, 1, 2]),  # fast path
        (np.array([0, 1, 5, 2]), np.array([1, 7, 2, 0]), [0, 1, 2]),  # fast path, values outside labels
        (np.array([True, False, True]), np.array([True, True, True]), None),
        (np.array([1.0, 2.0, 2.0]), np.array([2.0, 2.0, 1.0]), None),
        (["a", "bb", "ccc"], np.array(["bb", "bb", "a"], dtype="U2"), ["ccc", "a", "bb", "d"]),
        (pd.Series(["x", "y", "x"]), pd.Series(["y", "y", "x"], dtype="category"), None),
        (np.array(["x", "y"], dtype=object), np.array([b"x", b"x"]), None),
    ],
)
def test_label_encodings_match_sklearn(y_true, y_pred, labels):
    np.testing.assert_array_equal(mm.confusion_matrix(y_true, y_pred, labels=labels),
                                  skm.confusion_matrix(np.asarray(y_true), np.asarray(y_pred).astype(
                                      str if np.asarray(y_pred).dtype.kind == "S" else np.asarray(y_pred).dtype),
                                      labels=labels))
    assert mm.classification_report(y_true, y_pred, labels=labels, zero_division=0).to_dict() == (
        skm.classification_report(np.asarray(y_true), np.asarray(y_pred).astype(
            str if np.asarray(y_pred).dtype.kind == "S" else np.asarray(y_pred).dtype), labels=labels,
            zero_division=0, output_dict=True))


def test_zero_division_warns_only_for_the_metric_returned():
    y_true, y_pred = [0, 0, 1], [0, 0, 0]  # class 1 never predicted: precision undefined, recall 0
    with pytest.warns(UndefinedMetricWarning, match="^Precision is ill-defined and being set to 0.0 in labels"):
        mm.precision_score(y_true, y_pred)
    with pytest.warns(UndefinedMetricWarning, match="due to no predicted samples"):
        mm.precision_score(y_true, y_pred, labels=[1], average="micro")
    with warnings_as_errors():
        mm.recall_score(y_true, y_pred)  # recall is defined for both classes
        mm.f1_score(y_true, y_pred)  # F1 is defined where either sum is non-zero
        assert mm.precision_score(y_true, y_pred, zero_division=1) == pytest.approx((2 / 3 + 1) / 2)
        assert math.isnan(mm.precision_score(y_true, y_pred, labels=[1], zero_division=np.nan))
        assert mm.precision_score(y_true, y_pred, zero_division=np.nan) == 2 / 3  # NaN left out of the mean
    with pytest.warns(UndefinedMetricWarning, match="^F-score is ill-defined .* no true nor predicted samples"):
        mm.f1_score(y_true, y_pred, labels=[0, 1, 7], average=None)


def test_other_warnings():
    with pytest.warns(UndefinedMetricWarning, match=r"'k' \(3\) greater than or equal to 'n_classes' \(3\)"):
        mm.top_k_accuracy_score([0, 1, 2], np.eye(3), k=3)
    with pytest.warns(UserWarning, match="The y_prob values do not sum to one"):
        mm.log_loss([0, 1], [[0.5, 0.6], [0.5, 0.5]])
    with pytest.warns(UserWarning, match=r"Pass the ordered labels=\[0, 1\]"):
        mm.log_loss([0, 1], [[0.5, 0.5], [0.5, 0.5]], labels=[1, 0])
    with pytest.warns(UndefinedMetricWarning, match="y_pred contains classes not in y_true"):
        assert mm.balanced_accuracy_score([0, 0], [0, 1]) == 0.5
    with pytest.warns(UndefinedMetricWarning) as record:  # sklearn also gives -inf, with a numpy RuntimeWarning
        assert mm.balanced_accuracy_score([0, 0], [0, 1], adjusted=True) == -math.inf
    assert "Adjusted balanced accuracy is undefined with a single class in y_true." in [str(w.message) for w in record]
    with pytest.warns(UserWarning, match="A single label was found in 'y_true' and 'y_pred'"):
        mm.confusion_matrix([1, 1], [1, 1])


def warnings_as_errors():
    import warnings

    class _Context(warnings.catch_warnings):
        def __enter__(self):
            super().__enter__()
            warnings.simplefilter("error")

    return _Context()
