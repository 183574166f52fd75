"""Fuzzing the metrics: any label arrays (ints, floats with NaN and inf, strings, bools, objects, None, 2-D,
empty, of different lengths), any weights and any probability matrices give a number or a `MulticlassError`.

A RuntimeWarning raised inside the package (a division by zero, an invalid value) is an error here too
(pyproject's ``filterwarnings``); `UndefinedMetricWarning` is the documented `zero_division` behaviour.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from multiclass import metrics
from multiclass.exceptions import MulticlassError, UndefinedMetricWarning

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = st.one_of(
    st.integers(-3, 3),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.booleans(),
    st.sampled_from(["a", "b", "", "é", "1"]),
    st.none(),
)


def _arrays():
    """Label-like inputs: numpy arrays of every kind, lists of mixed Python values, 2-D and empty ones."""
    lengths = st.integers(0, 6)
    numeric = hnp.arrays(
        st.sampled_from([np.int64, np.int8, np.uint64, np.float64, np.float32, np.bool_]),
        st.one_of(lengths, st.tuples(lengths, st.integers(0, 3))),
        elements=None,
    )
    strings = hnp.arrays(hnp.unicode_string_dtypes(max_len=3), lengths)
    mixed = st.lists(SCALARS, max_size=6)
    same_kind = st.lists(st.sampled_from([0, 1, 2]), max_size=6)
    return st.one_of(numeric, strings, mixed, same_kind, same_kind.map(np.array))


LABEL_METRICS = [
    lambda t, p, kw: metrics.accuracy_score(t, p, **kw),
    lambda t, p, kw: metrics.balanced_accuracy_score(t, p, **kw),
    lambda t, p, kw: metrics.confusion_matrix(t, p, **kw),
    lambda t, p, kw: metrics.precision_recall_fscore_support(t, p, **kw),
    lambda t, p, kw: metrics.f1_score(t, p, **kw),
    lambda t, p, kw: metrics.precision_score(t, p, average="weighted", **kw),
    lambda t, p, kw: metrics.recall_score(t, p, average="micro", **kw),
    lambda t, p, kw: metrics.classification_report(t, p, **kw),
]


def _call(function, *args) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", UserWarning)  # e.g. "a single label was found": advice, not a failure
        try:
            function(*args)
        except MulticlassError:
            pass


@FUZZ
@given(
    which=st.integers(0, len(LABEL_METRICS) - 1),
    y_true=_arrays(),
    y_pred=_arrays(),
    weights=st.one_of(st.none(), _arrays()),
    labels=st.one_of(st.none(), _arrays()),
)
def test_label_metrics_return_or_raise_multiclass_error(which, y_true, y_pred, weights, labels):
    options = {"sample_weight": weights}
    if which >= 2:  # the metrics that take `labels`
        options["labels"] = labels
    _call(LABEL_METRICS[which], y_true, y_pred, options)


@st.composite
def probability_inputs(draw):
    n, k = draw(st.integers(0, 5)), draw(st.integers(1, 4))
    y_true = draw(st.one_of(_arrays(), hnp.arrays(np.int64, n, elements=st.integers(-1, k))))
    y_proba = draw(
        st.one_of(
            hnp.arrays(np.float64, st.tuples(st.just(n), st.just(k)), elements=st.floats(-1, 2)),
            hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)),  # any floats, any shape
            _arrays(),
        ).filter(lambda a: not _no_columns(a))  # see test_probabilities_with_no_columns
    )
    return y_true, y_proba


def _no_columns(array) -> bool:
    return isinstance(array, np.ndarray) and array.ndim == 2 and array.shape[1] == 0


PROBA_METRICS = [
    lambda t, p: metrics.log_loss(t, p),
    lambda t, p: metrics.top_k_accuracy_score(t, p, k=2),
    lambda t, p: metrics.brier_score_loss(t, p),
    lambda t, p: metrics.expected_calibration_error(t, p),
    lambda t, p: metrics.classwise_calibration_error(t, p, n_bins=3),
]


@FUZZ
@given(which=st.integers(0, len(PROBA_METRICS) - 1), inputs=probability_inputs())
def test_probability_metrics_return_or_raise_multiclass_error(which, inputs):
    _call(PROBA_METRICS[which], *inputs)


@pytest.mark.parametrize(
    "function", [metrics.log_loss, metrics.brier_score_loss, metrics.expected_calibration_error,
                 metrics.classwise_calibration_error],
)
def test_probabilities_with_no_columns(function):
    _call(function, np.array([0, 0]), np.empty((2, 0)))


@FUZZ
@given(cm=st.one_of(_arrays(), hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))))
@pytest.mark.parametrize(
    "function",
    [
        metrics.accuracy_from_confusion,
        metrics.balanced_accuracy_from_confusion,
        lambda cm: metrics.precision_recall_fscore_from_confusion(cm, average="macro"),
        metrics.classification_report_from_confusion,
    ],
)
def test_confusion_metrics_return_or_raise_multiclass_error(function, cm):
    _call(function, cm)
