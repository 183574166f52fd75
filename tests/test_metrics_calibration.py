"""Calibration metrics (`multiclass.metrics.calibration`): ECE against a plain loop, Brier against scikit-learn,
worked examples, and the properties a calibration error must have."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from multiclass import metrics
from multiclass.exceptions import ConfigError, DataError
from multiclass.metrics import calibration


def _bin(value: float, n_bins: int) -> int:
    """The oracle's bin: b such that b/n < value <= (b+1)/n, computed with exact fractions of the edges."""
    for b in range(n_bins):
        if value <= (b + 1) / n_bins:
            return b
    return n_bins - 1


def _ece_loop(y, probs, n_bins):
    """Guo et al.'s top-label ECE, row by row."""
    sums = {}
    for label, row in zip(y, probs):
        predicted = int(np.argmax(row))
        b = _bin(row[predicted], n_bins)
        count, conf, hits = sums.get(b, (0, 0.0, 0))
        sums[b] = (count + 1, conf + row[predicted], hits + (predicted == label))
    return sum(abs(hits - conf) for count, conf, hits in sums.values()) / len(y)


def _classwise_loop(y, probs, n_bins):
    """Kull et al.'s class-wise ECE, class by class and row by row."""
    n, k = probs.shape
    total = 0.0
    for c in range(k):
        sums = {}
        for label, row in zip(y, probs):
            b = _bin(row[c], n_bins)
            mass, hits = sums.get(b, (0.0, 0))
            sums[b] = (mass + row[c], hits + (label == c))
        total += sum(abs(hits - mass) for mass, hits in sums.values()) / n
    return total / k


@st.composite
def probabilities(draw, max_rows=40, max_classes=6):
    n = draw(st.integers(1, max_rows))
    k = draw(st.integers(2, max_classes))
    raw = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0, 10, allow_nan=False)))
    raw[:, 0] += 1e-3  # rows never all zero
    probs = raw / raw.sum(axis=1, keepdims=True)
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    return y, probs, draw(st.integers(1, 20))


@settings(max_examples=150, deadline=None)
@given(probabilities())
def test_ece_equals_a_row_by_row_loop(case):
    y, probs, n_bins = case
    labels = np.arange(probs.shape[1])
    assert metrics.expected_calibration_error(y, probs, labels=labels, n_bins=n_bins) == pytest.approx(
        _ece_loop(y, probs, n_bins), abs=1e-12)
    classwise = metrics.classwise_calibration_error(y, probs, labels=labels, n_bins=n_bins)
    assert classwise == pytest.approx(_classwise_loop(y, probs, n_bins), abs=1e-12)
    assert 0 <= metrics.expected_calibration_error(y, probs, labels=labels, n_bins=n_bins) <= 1
    bins = metrics.reliability_bins(y, probs, labels=labels, n_bins=n_bins)
    assert bins.count.sum() == len(y)


@settings(max_examples=100, deadline=None)
@given(probabilities())
def test_brier_equals_sklearn(case):
    y, probs, _ = case
    labels = np.arange(probs.shape[1])
    expected = skm.brier_score_loss(y, probs, labels=labels)  # halved for 2 classes, like ours by default
    assert metrics.brier_score_loss(y, probs, labels=labels) == pytest.approx(expected, abs=1e-12)
    unscaled = skm.brier_score_loss(y, probs, labels=labels, scale_by_half=False)
    assert metrics.brier_score_loss(y, probs, labels=labels, scale_by_half=False) == pytest.approx(unscaled, abs=1e-12)


def test_worked_example():
    # rows (true, probs): confidences 0.9 (right), 0.8 (right), 0.6 (right), 0.7 (wrong) in 5 bins of 0.2:
    # bin (0.4, 0.6]: |1 - 0.6| * 1; bin (0.6, 0.8]: |0.5 - 0.75| * 2; bin (0.8, 1]: |1 - 0.9| * 1 -> 1.0 / 4
    y = [0, 1, 1, 0]
    probs = [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]]
    assert metrics.expected_calibration_error(y, probs, n_bins=5) == pytest.approx(0.25, abs=1e-15)
    bins = metrics.reliability_bins(y, probs, n_bins=5)
    assert bins.count.tolist() == [0, 0, 1, 2, 1]
    assert np.isnan(bins.confidence[0]) and bins.confidence[3] == pytest.approx(0.75)
    # Brier: (0.01 + 0.01) + (0.04 + 0.04) + (0.16 + 0.16) + (0.49 + 0.49) = 1.4 over 4 rows, halved for 2 classes
    assert metrics.brier_score_loss(y, probs) == pytest.approx(0.175, abs=1e-15)
    assert metrics.brier_score_loss(y, probs, scale_by_half=False) == pytest.approx(0.35, abs=1e-15)


def test_bins_are_closed_on_the_right():
    y = [0, 0, 0]
    probs = [[0.2, 0.8], [0.6, 0.4], [1.0, 0.0]]  # confidences 0.8, 0.6, 1.0 in 5 bins of 0.2
    assert metrics.reliability_bins(y, probs, labels=[0, 1], n_bins=5).count.tolist() == [0, 0, 1, 1, 1]


def test_perfect_predictions_and_calibrated_probabilities():
    y = np.array([0, 1, 2, 1])
    one_hot = np.eye(3)[y]
    assert metrics.expected_calibration_error(y, one_hot) == 0
    assert metrics.classwise_calibration_error(y, one_hot) == 0
    assert metrics.brier_score_loss(y, one_hot) == 0
    rng = np.random.default_rng(0)  # labels drawn from the probabilities themselves: calibrated by construction
    probs = rng.dirichlet([1, 1, 1], size=50_000)
    y = (rng.random((50_000, 1)) > probs.cumsum(axis=1)).sum(axis=1)
    assert metrics.expected_calibration_error(y, probs) < 0.01
    assert metrics.classwise_calibration_error(y, probs) < 0.01
    overconfident = probs**3 / (probs**3).sum(axis=1, keepdims=True)
    assert metrics.expected_calibration_error(y, overconfident) > 0.05


def test_blocks_do_not_change_the_numbers(monkeypatch):
    rng = np.random.default_rng(1)
    probs = rng.dirichlet([1] * 7, size=1000)
    y = rng.integers(0, 7, 1000)
    whole = (metrics.classwise_calibration_error(y, probs), metrics.brier_score_loss(y, probs))
    monkeypatch.setattr(calibration, "_BLOCK_ENTRIES", 50)  # 7 rows per block
    blocked = (metrics.classwise_calibration_error(y, probs), metrics.brier_score_loss(y, probs))
    assert blocked == pytest.approx(whole, abs=1e-13)


def test_string_labels_and_binary_vectors():
    y = ["spam", "ham", "ham", "spam"]
    p_spam = np.array([0.9, 0.2, 0.4, 0.7])  # 1-D: probability of the second class in sorted order, "spam"
    two = np.stack([1 - p_spam, p_spam], axis=1)
    assert metrics.expected_calibration_error(y, p_spam) == metrics.expected_calibration_error(y, two)
    assert metrics.brier_score_loss(y, p_spam) == pytest.approx(skm.brier_score_loss(y, p_spam, pos_label="spam"))


@pytest.mark.parametrize(("function", "args", "kwargs", "error", "message"), [
    ("expected_calibration_error", ([0, 1], [[0.5, 0.6], [1.2, -0.2]]), {}, DataError,
     r"`y_proba` must hold probabilities in \[0, 1\]; got 1\.2\."),
    ("classwise_calibration_error", ([0, 1], [[0.5, 0.3, 0.2]] * 2), {}, DataError,
     r"`y_proba` must have one column per class \(2 in `y_true`\); got 3 columns\. Pass all classes"),
    ("brier_score_loss", ([0, 5], [[0.5, 0.5]] * 2), {"labels": [0, 1]}, DataError,
     r"`y_true` must only contain labels listed in `labels`; got 5\."),
    ("reliability_bins", ([0, 1], [[0.5, 0.5]] * 2), {"n_bins": 0}, ConfigError,
     r"`n_bins` must be an integer >= 1; got 0\."),
    ("brier_score_loss", ([0, 1], [[0.5, 0.5]] * 2), {"scale_by_half": "yes"}, ConfigError,
     r"`scale_by_half` must be True or False; got 'yes'\."),
])
def test_errors(function, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        getattr(metrics, function)(*args, **kwargs)
