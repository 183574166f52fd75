"""Properties of multiclass.metrics that hold for every input (hypothesis), and the streaming ConfusionMatrix."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multiclass.metrics as mm

from .strategies import chunk_bounds, label_pairs

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)
AVERAGES = ("micro", "macro", "weighted")


def quiet(fn, *args, **kwargs):
    """Call without the UndefinedMetricWarnings that zero_division='warn' raises on degenerate draws."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def summary(y_true, y_pred, weights, zero_division=0, labels=None):
    """Per-class P/R/F/support and the three averages."""
    per_class = quiet(mm.precision_recall_fscore_support, y_true, y_pred, labels=labels, sample_weight=weights,
                      zero_division=zero_division)
    averages = {
        average: quiet(mm.precision_recall_fscore_support, y_true, y_pred, labels=labels, average=average,
                       sample_weight=weights, zero_division=zero_division)[:3]
        for average in AVERAGES
    }
    return per_class, averages


@PROPERTY_SETTINGS
@given(label_pairs(), st.randoms(use_true_random=False))
def test_permuting_samples_changes_nothing(pair, random):
    y_true, y_pred, weights = pair
    order = np.array(random.sample(range(len(y_true)), len(y_true)))
    w_perm = None if weights is None else weights[order]
    np.testing.assert_array_equal(quiet(mm.confusion_matrix, y_true, y_pred, sample_weight=weights),
                                  quiet(mm.confusion_matrix, y_true[order], y_pred[order], sample_weight=w_perm))
    before, after = summary(y_true, y_pred, weights), summary(y_true[order], y_pred[order], w_perm)
    for a, b in zip(before[0], after[0]):
        np.testing.assert_array_equal(a, b)
    assert before[1] == after[1]
    report = quiet(mm.classification_report, y_true, y_pred, sample_weight=weights)
    assert report == quiet(mm.classification_report, y_true[order], y_pred[order], sample_weight=w_perm)


@PROPERTY_SETTINGS
@given(label_pairs(), st.randoms(use_true_random=False), st.sampled_from(["int", "str"]))
def test_relabelling_classes_permutes_per_class_results_and_keeps_averages(pair, random, target):
    y_true, y_pred, weights = pair
    k = int(max(y_true.max(), y_pred.max())) + 1
    # a bijection on label values: a shuffled int code, or a string name whose sort order is scrambled too
    codes = np.array(random.sample(range(100, 100 + 3 * k), k))
    new_values = codes if target == "int" else np.array([f"class-{c * 7919 % 1009}" for c in codes])
    labels = np.arange(k)
    new_labels = new_values[labels]
    old_per_class, old_averages = summary(y_true, y_pred, weights, labels=labels)
    new_per_class, new_averages = summary(new_values[y_true], new_values[y_pred], weights, labels=new_labels)
    for old, new in zip(old_per_class, new_per_class):
        np.testing.assert_allclose(old, new, rtol=0, atol=1e-12)  # same classes, same order -> same numbers
    for average in AVERAGES:
        np.testing.assert_allclose(old_averages[average], new_averages[average], rtol=0, atol=1e-12)
    # with labels=None the classes come out in the new sorted order: per-class rows follow the bijection
    present = np.unique(np.concatenate([y_true, y_pred]))
    per_class_default = summary(new_values[y_true], new_values[y_pred], weights)[0]
    order = np.argsort(new_values[present])  # position of each present old class in the new sorted order
    old_default = summary(y_true, y_pred, weights)[0]
    for old, new in zip(old_default, per_class_default):
        np.testing.assert_allclose(np.asarray(old)[order], new, rtol=0, atol=1e-12)
    assert mm.f1_score(y_true, y_pred, sample_weight=weights, zero_division=0) == pytest.approx(
        mm.f1_score(new_values[y_true], new_values[y_pred], sample_weight=weights, zero_division=0), abs=1e-12)


@PROPERTY_SETTINGS
@given(label_pairs())
def test_confusion_matrix_sums_to_the_number_of_samples(pair):
    y_true, y_pred, weights = pair
    cm = quiet(mm.confusion_matrix, y_true, y_pred)
    assert cm.sum() == len(y_true)
    np.testing.assert_array_equal(cm.sum(axis=1), [np.sum(y_true == c) for c in np.unique([*y_true, *y_pred])])
    if weights is not None:
        assert quiet(mm.confusion_matrix, y_true, y_pred, sample_weight=weights).sum() == weights.sum()  # 1/4s: exact


@PROPERTY_SETTINGS
@given(label_pairs(), st.sampled_from(["warn", 0, 1]), st.sampled_from([0.0, 0.5, 1.0, 2.0, np.inf]))
def test_every_score_lies_in_zero_one(pair, zero_division, beta):
    y_true, y_pred, weights = pair
    scores = [mm.accuracy_score(y_true, y_pred, sample_weight=weights),
              quiet(mm.balanced_accuracy_score, y_true, y_pred, sample_weight=weights)]
    for average in (None, *AVERAGES):
        p, r, f, _ = quiet(mm.precision_recall_fscore_support, y_true, y_pred, beta=beta, average=average,
                           sample_weight=weights, zero_division=zero_division)
        scores += [*np.atleast_1d(p), *np.atleast_1d(r), *np.atleast_1d(f)]
    scores = np.array(scores)
    assert np.all((scores >= 0) & (scores <= 1))


@PROPERTY_SETTINGS
@given(label_pairs(max_rows=60, max_classes=8), st.data())
def test_streaming_in_chunks_equals_one_call(pair, data):
    y_true, y_pred, weights = pair
    cuts = data.draw(chunk_bounds(len(y_true)))
    names = np.array([f"c{i}" for i in range(8)])[::-1]  # strings: new labels arrive out of sorted order
    stream = mm.ConfusionMatrix()
    for lo, hi in itertools.pairwise(cuts):
        stream.update(names[y_true[lo:hi]], names[y_pred[lo:hi]],
                      sample_weight=None if weights is None else weights[lo:hi])
    expected = quiet(mm.confusion_matrix, names[y_true], names[y_pred], sample_weight=weights)
    np.testing.assert_array_equal(stream.compute(), expected)
    np.testing.assert_array_equal(stream.classes_, np.unique(names[np.concatenate([y_true, y_pred])]))
    assert stream.compute().dtype == expected.dtype


@PROPERTY_SETTINGS
@given(label_pairs(max_rows=60, max_classes=8, weighted=False), st.data())
def test_merging_matrices_from_workers_equals_one_call(pair, data):
    y_true, y_pred, _ = pair
    cut = data.draw(st.integers(0, len(y_true)))
    left = mm.ConfusionMatrix().update(y_true[:cut], y_pred[:cut])
    right = mm.ConfusionMatrix().update(y_true[cut:], y_pred[cut:])
    merged = left.merge(right)
    np.testing.assert_array_equal(merged.compute(), quiet(mm.confusion_matrix, y_true, y_pred))
    p, r, f, s = mm.precision_recall_fscore_from_confusion(merged.compute(), zero_division=0)
    expected = mm.precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    for a, b in zip((p, r, f, s), expected):
        np.testing.assert_array_equal(a, b)


def test_streaming_with_fixed_labels_ignores_outside_labels_like_confusion_matrix():
    y_true, y_pred = np.array([0, 1, 2, 5, 1]), np.array([0, 2, 2, 1, 9])
    stream = mm.ConfusionMatrix(labels=[2, 1, 0])
    stream.update(y_true[:2], y_pred[:2]).update(y_true[2:], y_pred[2:]).update([], [])
    np.testing.assert_array_equal(stream.compute(), mm.confusion_matrix(y_true, y_pred, labels=[2, 1, 0]))
    np.testing.assert_array_equal(stream.classes_, [2, 1, 0])
    assert stream.reset().compute().sum() == 0 and stream.compute().shape == (3, 3)


def test_streaming_weighted_chunks_promote_counts_to_float():
    stream = mm.ConfusionMatrix().update([0, 1], [0, 0])
    assert stream.compute().dtype == np.int64
    stream.update([2], [1], sample_weight=[0.5])
    np.testing.assert_array_equal(stream.compute(), [[1, 0, 0], [1, 0, 0], [0, 0.5, 0]])
    assert stream.compute().dtype == np.float64


def test_streaming_large_integer_stream_matches_one_call():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 1000, 20_000), rng.integers(0, 1000, 20_000)
    stream = mm.ConfusionMatrix()
    for chunk in np.array_split(np.arange(20_000), 7):
        stream.update(y_true[chunk], y_pred[chunk])
    np.testing.assert_array_equal(stream.compute(), mm.confusion_matrix(y_true, y_pred))
    report = mm.classification_report_from_confusion(stream.compute(), target_names=stream.classes_)
    assert report == mm.classification_report(y_true, y_pred)
