"""Every error message of multiclass.metrics, matched in full (the form is "`param` must be ...; got value.")."""

from __future__ import annotations

import re

import numpy as np
import pytest

import multiclass.metrics as mm
from multiclass.exceptions import ConfigError, DataError


def raises(error, message):
    return pytest.raises(error, match="^" + re.escape(message) + "$")


@pytest.mark.parametrize(
    "fn",
    [mm.confusion_matrix, mm.accuracy_score, mm.balanced_accuracy_score, mm.precision_recall_fscore_support,
     mm.precision_score, mm.recall_score, mm.f1_score, mm.classification_report],
)
def test_every_label_metric_validates_its_labels(fn):
    with raises(DataError, "`y_pred` must have the same length as `y_true`; got 3 and 4."):
        fn([0, 1, 1, 0], [0, 1, 1])
    with raises(DataError, "`y_true` must contain at least one sample; got an empty array."):
        fn([], [])
    with raises(DataError, "`y_true` must be 1-D; got an array of shape (2, 2)."):
        fn([[0, 1], [1, 0]], [0, 1])
    with raises(DataError, "`y_pred` must be 1-D; got an array of shape ()."):
        fn([0], 0)
    with raises(DataError, "`y_pred` must contain only finite labels; got nan at index 1."):
        fn([0.0, 1.0], [0.0, np.nan])
    with raises(DataError, "`y_true` must contain only finite labels; got inf at index 0."):
        fn([np.inf, 1.0], [0.0, 1.0])
    with raises(DataError, "`y_true` must hold class labels, not continuous values; got 0.5 at index 0."):
        fn([0.5, 1.0], [0, 1])
    with raises(DataError, "`y_true` must hold labels of one kind (all strings or all numbers); got 'mixed-integer' "
                           "values."):
        fn(["a", 1], ["a", "a"])
    with raises(DataError, "`y_true` must contain no missing labels; got None at index 1."):
        fn(np.array(["a", None], dtype=object), ["a", "b"])
    with raises(DataError, "`y_pred` must hold labels of the same kind as `y_true`; got strings and numbers."):
        fn([0, 1], ["0", "1"])
    with raises(DataError, "`y_true` must hold class labels (ints, bools or strings); got dtype complex128."):
        fn(np.array([1j, 2j]), [0, 1])
    with raises(DataError, "`sample_weight` must have the same length as `y_true`; got 2 and 3."):
        fn([0, 1, 1], [0, 1, 0], sample_weight=[1.0, 2.0])
    with raises(DataError, "`sample_weight` must be 1-D; got an array of shape (3, 1)."):
        fn([0, 1, 1], [0, 1, 0], sample_weight=[[1.0], [2.0], [1.0]])
    with raises(DataError, "`sample_weight` must be finite; got nan at index 2."):
        fn([0, 1, 1], [0, 1, 0], sample_weight=[1.0, 2.0, np.nan])
    with raises(DataError, "`sample_weight` must be numeric; got dtype <U1."):
        fn([0, 1, 1], [0, 1, 0], sample_weight=["a", "b", "c"])
    with raises(DataError, "`sample_weight` must contain at least one non-zero weight; got all zeros."):
        fn([0, 1, 1], [0, 1, 0], sample_weight=[0, 0, 0])


@pytest.mark.parametrize(
    "fn", [mm.confusion_matrix, mm.precision_recall_fscore_support, mm.f1_score, mm.classification_report]
)
def test_explicit_labels_are_validated(fn):
    with raises(DataError, "`labels` must not contain duplicates; got [1, 0, 1]."):
        fn([0, 1], [0, 1], labels=[1, 0, 1])
    with raises(DataError, "`labels` must hold labels of the same kind as `y_true`; got strings and numbers."):
        fn([0, 1], [0, 1], labels=["0", "1"])
    with raises(DataError, "`labels` must contain at least one sample; got an empty array."):
        fn([0, 1], [0, 1], labels=[])
    with raises(DataError, "`labels` must contain only finite labels; got nan at index 1."):
        fn([0, 1], [0, 1], labels=[0, np.nan])


def test_confusion_matrix_options():
    with raises(DataError, "`labels` must include at least one label present in `y_true`; got [7, 8]."):
        mm.confusion_matrix([0, 1], [7, 1], labels=[7, 8])
    with raises(ConfigError, "`normalize` must be one of None, 'true', 'pred', 'all'; got 'rows'."):
        mm.confusion_matrix([0, 1], [0, 1], normalize="rows")


@pytest.mark.parametrize("fn", [mm.precision_recall_fscore_support, mm.precision_score, mm.recall_score,
                                mm.f1_score])
def test_average_and_zero_division_options(fn):
    with raises(ConfigError, "`average` must be one of None, 'micro', 'macro', 'weighted'; got 'binary'."):
        fn([0, 1], [0, 1], average="binary")
    with raises(ConfigError, "`average` must be one of None, 'micro', 'macro', 'weighted'; got 'samples'."):
        fn([0, 1], [0, 1], average="samples")
    with raises(ConfigError, "`zero_division` must be one of 'warn', 0, 1, np.nan; got 2."):
        fn([0, 1], [0, 1], zero_division=2)
    with raises(ConfigError, "`zero_division` must be one of 'warn', 0, 1, np.nan; got 'nan'."):
        fn([0, 1], [0, 1], zero_division="nan")


def test_beta_normalize_adjusted_and_digits():
    with raises(ConfigError, "`beta` must be a number >= 0; got -1."):
        mm.fbeta_score([0, 1], [0, 1], beta=-1)
    with raises(ConfigError, "`beta` must be a number >= 0; got nan."):
        mm.precision_recall_fscore_support([0, 1], [0, 1], beta=float("nan"))
    with raises(ConfigError, "`normalize` must be True or False; got 'yes'."):
        mm.accuracy_score([0, 1], [0, 1], normalize="yes")
    with raises(ConfigError, "`adjusted` must be True or False; got 1."):
        mm.balanced_accuracy_score([0, 1], [0, 1], adjusted=1)
    with raises(ConfigError, "`digits` must be an integer >= 0; got -1."):
        mm.classification_report([0, 1], [0, 1], digits=-1)
    with raises(ConfigError, "`digits` must be an integer >= 0; got 2.5."):
        mm.classification_report([0, 1], [0, 1]).to_text(digits=2.5)


def test_weights_that_sum_to_zero():
    with raises(DataError, "`sample_weight` must not sum to zero; got a total of 0.0."):
        mm.accuracy_score([0, 1], [0, 1], sample_weight=[1.0, -1.0])
    with raises(DataError, "`sample_weight` must not sum to zero; got a total of 0.0."):
        mm.log_loss([0, 1], [[0.5, 0.5], [0.5, 0.5]], sample_weight=[1.0, -1.0])


def test_classification_report_target_names():
    with raises(DataError, "`target_names` must have one name per class (2 found in the data); got 3 names. "
                           "Pass `labels` to choose the classes."):
        mm.classification_report([0, 1], [0, 1], target_names=["a", "b", "c"])
    with raises(DataError, "`target_names` must be 1-D; got an array of shape (1, 2)."):
        mm.classification_report([0, 1], [0, 1], target_names=[["a", "b"]])
    with raises(DataError, "`target_names` must have one name per class (2); got 1 names."):
        mm.classification_report_from_confusion([[1, 0], [0, 1]], target_names=["a"])


def test_top_k_accuracy_score_messages():
    y_score = np.full((3, 3), 1 / 3)
    with raises(ConfigError, "`k` must be an integer >= 1; got 0."):
        mm.top_k_accuracy_score([0, 1, 2], y_score, k=0)
    with raises(ConfigError, "`k` must be an integer >= 1; got 1.5."):
        mm.top_k_accuracy_score([0, 1, 2], y_score, k=1.5)
    with raises(DataError, "`y_score` must have one column per class (2 in `y_true`); got 3 columns. "
                           "Pass all classes through `labels`."):
        mm.top_k_accuracy_score([0, 1, 1], y_score)
    with raises(DataError, "`y_score` must have one column per class (4 in `labels`); got 3 columns."):
        mm.top_k_accuracy_score([0, 1, 1], y_score, labels=[0, 1, 2, 3])
    with raises(DataError, "`labels` must be sorted (the order of the columns of `y_score`); got [2, 1, 0]."):
        mm.top_k_accuracy_score([0, 1, 1], y_score, labels=[2, 1, 0])
    with raises(DataError, "`y_true` must only contain labels listed in `labels`; got 5."):
        mm.top_k_accuracy_score([0, 1, 5], y_score, labels=[0, 1, 2])
    with raises(DataError, "`y_score` must have the same length as `y_true`; got 3 and 2."):
        mm.top_k_accuracy_score([0, 1], y_score)
    with raises(DataError, "`y_score` must be finite; got a NaN or infinite value."):
        mm.top_k_accuracy_score([0, 1, 2], np.where(np.eye(3) > 0, np.nan, 0.1))
    with raises(DataError, "`y_score` must be 1-D or 2-D (n_samples, n_classes); got shape (3, 3, 1)."):
        mm.top_k_accuracy_score([0, 1, 2], y_score[..., None])
    with raises(DataError, "`y_score` must hold numbers; got dtype <U1."):
        mm.top_k_accuracy_score([0, 1, 2], [["a"] * 3] * 3)


def test_log_loss_messages():
    y_proba = np.full((3, 3), 1 / 3)
    with raises(DataError, "`y_proba` must have one column per class (2 in `y_true`); got 3 columns. "
                           "Pass all classes through `labels`."):
        mm.log_loss([0, 1, 1], y_proba)
    with raises(DataError, "`y_proba` must have one column per class (4 in `labels`); got 3 columns."):
        mm.log_loss([0, 1, 1], y_proba, labels=[0, 1, 2, 3])
    with raises(DataError, "`y_proba` must hold probabilities in [0, 1]; got 1.5."):
        mm.log_loss([0, 1], [[1.5, -0.5], [0.5, 0.5]])
    with raises(DataError, "`y_proba` must hold probabilities in [0, 1]; got -0.5."):
        mm.log_loss([0, 1], [[0.5, 0.5], [1.0, -0.5]])
    with raises(DataError, "`y_true` must contain at least two classes; got [1]. Pass all classes through "
                           "`labels`."):
        mm.log_loss([1, 1], [[0.5, 0.5], [0.5, 0.5]])
    with raises(DataError, "`labels` must contain at least two classes; got [1]. Pass all classes through "
                           "`labels`."):
        mm.log_loss([1, 1], [[0.5, 0.5], [0.5, 0.5]], labels=[1])
    with raises(DataError, "`y_true` must only contain labels listed in `labels`; got 'c'."):
        mm.log_loss(["a", "c"], [[0.5, 0.5], [0.5, 0.5]], labels=["a", "b"])
    with raises(DataError, "`y_proba` must be finite; got a NaN or infinite value."):
        mm.log_loss([0, 1], [[np.nan, 0.5], [0.5, 0.5]])
    with raises(DataError, "`y_proba` must have the same length as `y_true`; got 1 and 2."):
        mm.log_loss([0, 1], [[0.5, 0.5]])


def test_confusion_matrix_level_messages():
    for fn in (mm.accuracy_from_confusion, mm.balanced_accuracy_from_confusion,
               mm.precision_recall_fscore_from_confusion, mm.classification_report_from_confusion):
        with raises(DataError, "`cm` must be a non-empty square 2-D matrix; got an array of shape (2, 3)."):
            fn(np.zeros((2, 3)))
        with raises(DataError, "`cm` must be finite; got a NaN or infinite entry."):
            fn([[1.0, np.nan], [0.0, 1.0]])
        with raises(DataError, "`cm` must hold numbers; got dtype <U1."):
            fn([["a", "b"], ["c", "d"]])
    with raises(DataError, "`cm` must hold a positive total weight; got 0."):
        mm.accuracy_from_confusion([[0, 0], [0, 0]])
    with raises(ConfigError, "`average` must be one of None, 'micro', 'macro', 'weighted'; got 'mean'."):
        mm.precision_recall_fscore_from_confusion([[1, 0], [0, 1]], average="mean")


def test_streaming_confusion_matrix_messages():
    with raises(DataError, "`other` must have the same labels as this matrix; got [0, 1] and [1, 0]."):
        mm.ConfusionMatrix(labels=[1, 0]).merge(mm.ConfusionMatrix(labels=[0, 1]))
    with pytest.raises(TypeError, match=re.escape("`other` must be a ConfusionMatrix; got ndarray.")):
        mm.ConfusionMatrix().merge(np.eye(2))
    with raises(DataError, "`y_true` must hold labels of the same kind as `labels`; got strings and numbers."):
        mm.ConfusionMatrix(labels=[0, 1]).update(["a"], ["b"])
    stream = mm.ConfusionMatrix().update([0, 1], [1, 1])
    with raises(DataError, "`y_true` must hold labels of the same kind as `the labels seen so far`; got strings "
                           "and numbers."):
        stream.update(["a"], ["b"])
    with raises(DataError, "`labels` must not contain duplicates; got [1, 1]."):
        mm.ConfusionMatrix(labels=[1, 1])
