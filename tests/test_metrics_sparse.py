"""multiclass.metrics.sparse and the report for many classes: the dense numbers, without a K x K array."""

import json

import numpy as np
import pytest
from sklearn import metrics as skm

import multiclass.metrics as mm
from multiclass.exceptions import DataError
from multiclass.report import ReportConfig, build_report, report_to_json


def predictions(k: int, n: int, seed: int = 0, accuracy: float = 0.6):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < accuracy, y_true, rng.integers(0, k, n))
    return y_true, y_pred


@pytest.mark.parametrize("k, n", [(2, 50), (7, 1000), (300, 5000)])
def test_sparse_confusion_is_the_dense_matrix(k, n):
    y_true, y_pred = predictions(k, n)
    cm = mm.sparse_confusion_matrix(y_true, y_pred, n_classes=k)
    dense = skm.confusion_matrix(y_true, y_pred, labels=np.arange(k))
    np.testing.assert_array_equal(cm.toarray(), dense)
    assert cm.nnz == np.count_nonzero(dense) and int(cm.sum()) == n
    np.testing.assert_array_equal(cm.sum(axis=0), dense.sum(axis=0))
    np.testing.assert_array_equal(cm.sum(axis=1), dense.sum(axis=1))
    np.testing.assert_array_equal(cm.diagonal(), np.diagonal(dense))
    keys = cm.true * k + cm.pred
    assert (np.diff(keys) > 0).all()  # row-major, no repeated cell


def test_merging_chunks_gives_the_matrix_of_all_rows():
    y_true, y_pred = predictions(50, 3000)
    parts = [mm.sparse_confusion_matrix(y_true[s:s + 700], y_pred[s:s + 700], n_classes=50)
             for s in range(0, 3000, 700)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    np.testing.assert_array_equal(merged.toarray(), mm.sparse_confusion_matrix(y_true, y_pred, n_classes=50).toarray())
    np.testing.assert_array_equal(mm.SparseConfusion.from_dense(merged.toarray()).counts, merged.counts)


def test_scores_from_totals_are_the_reports_headline_and_sklearns():
    y_true, y_pred = predictions(40, 4000)
    y_pred[y_pred == 3] = 4  # class 3 never predicted: precision undefined, counted 0
    scores = mm.scores_from_totals(*mm.confusion_totals(mm.sparse_confusion_matrix(y_true, y_pred, n_classes=40)))
    assert scores["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-15)
    assert scores["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred), abs=1e-15)
    assert scores["macro_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro", zero_division=0),
                                               abs=1e-15)
    assert scores["weighted_f1"] == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted", zero_division=0),
                                                  abs=1e-15)


def test_top_confused_is_largest_first_then_row_major():
    cm = mm.SparseConfusion.from_dense(np.array([[5, 2, 2], [3, 0, 1], [2, 0, 9]]))
    assert cm.top_confused(3) == [(1, 0, 3), (0, 1, 2), (0, 2, 2)]
    assert cm.top_confused(10)[-1] == (1, 2, 1) and len(cm.top_confused(10)) == 5


def test_messages():
    with pytest.raises(DataError, match=r"`y_true` must hold class indices in \[0, 3\); got 3"):
        mm.sparse_confusion_matrix([0, 3], [0, 1], n_classes=3)
    with pytest.raises(DataError, match=r"`y_pred` must have the length of `y_true` \(2\); got 1"):
        mm.sparse_confusion_matrix([0, 1], [0], n_classes=3)
    with pytest.raises(DataError, match=r"`y_pred` must be a 1-D array of class indices; got dtype float64"):
        mm.sparse_confusion_matrix([0, 1], [0.5, 1.0], n_classes=3)
    with pytest.raises(DataError, match=r"`other` must be a SparseConfusion with 3 classes"):
        mm.sparse_confusion_matrix([0], [0], n_classes=3).merge(mm.sparse_confusion_matrix([0], [0], n_classes=4))


def test_the_sparse_bootstrap_draws_what_the_dense_one_draws():
    y_true, y_pred = predictions(30, 2000)
    dense = mm.confusion_matrix(y_true, y_pred, labels=np.arange(30))
    a = mm.bootstrap_confusion(dense, n_resamples=40, seed=7)
    b = mm.bootstrap_confusion(mm.SparseConfusion.from_dense(dense), n_resamples=40, seed=7)
    np.testing.assert_array_equal(a.tp, b.tp)
    np.testing.assert_array_equal(a.pred_sum, b.pred_sum)


def test_the_report_for_many_classes_has_the_dense_reports_numbers(monkeypatch):
    k = 60
    y_true, y_pred = predictions(k, 6000, seed=3)
    classes = [f"c{i}" for i in range(k)]
    config = ReportConfig(bootstrap=50)
    dense = build_report(y_true, y_pred, classes, config=config)
    monkeypatch.setattr(mm, "DENSE_MAX_CLASSES", 10)  # take the many-classes path at K = 60
    sparse = build_report(y_true, y_pred, classes, config=config)
    assert isinstance(sparse.confusion, mm.SparseConfusion) and isinstance(dense.confusion, np.ndarray)
    assert sparse.headline == dense.headline
    assert sparse.per_class == dense.per_class
    assert sparse.most_confused == dense.most_confused and sparse.ranking == dense.ranking
    assert sparse.notices == dense.notices and sparse.n_samples == dense.n_samples
    for kind in ("majority", "prior"):
        for name, value in dense.baselines[kind].items():
            assert sparse.baselines[kind][name] == (None if value is None else pytest.approx(value, rel=1e-12))
    document = json.loads(report_to_json(sparse))
    coo = document["confusion_matrix"]
    assert coo["format"] == "coo" and coo["shape"] == [k, k]
    rebuilt = np.zeros((k, k), dtype=np.int64)
    rebuilt[coo["true"], coo["predicted"]] = coo["count"]
    np.testing.assert_array_equal(rebuilt, dense.confusion)
    assert document["per_class"] == json.loads(report_to_json(dense))["per_class"]
