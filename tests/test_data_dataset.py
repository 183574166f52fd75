"""multiclass.data core: the Dataset value, class labels, the array preprocessors and the preprocessor registry."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from sklearn.preprocessing import StandardScaler

from multiclass.data import (
    Dataset,
    ScalePreprocessor,
    StandardizePreprocessor,
    decode_labels,
    encode_labels,
    fit_classes,
    preprocessor_from_state,
    registered_kinds,
)
from multiclass.exceptions import ConfigError, DataError, ModelFileError, NotFittedError

from .data_helpers import assert_same_bytes, through_model_file
from .strategies import class_labels


def _dataset(**changes):
    pre = StandardizePreprocessor().fit(np.zeros((3, 2)))
    fields = {
        "X": np.zeros((3, 2), np.float32),
        "y": np.array([0, 1, 1]),
        "classes": ("a", "b"),
        "feature_names": ("x0", "x1"),
        "source": "mem",
        "kind": "npz",
        "preprocessor": pre,
    }
    fields.update(changes)
    return Dataset(**fields)


# --- Dataset ---------------------------------------------------------------------------------------------------


def test_dataset_normalises_dtypes_and_reports_sizes():
    ds = _dataset(X=np.asfortranarray(np.ones((3, 2))), y=np.array([0, 1, 1], np.int32))
    assert ds.X.dtype == np.float32 and ds.X.flags.c_contiguous
    assert ds.y.dtype == np.int64
    assert (ds.n_samples, ds.n_features, ds.n_classes) == (3, 2, 2)
    assert "n_samples=3" in repr(ds)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"X": np.zeros(3)}, r"`X` must have shape \(n_samples, n_features\); got \(3,\)\."),
        ({"X": np.array([[0, np.nan]] * 3)}, r"`X` must be finite; got nan at row 1, column 2\."),
        ({"X": np.array([["a", "b"]] * 3)}, r"`X` must hold numbers; got dtype <U1\."),
        ({"y": np.array([0, 1])}, r"`y` must be integer codes of shape \(3,\); got int64 \(2,\)\."),
        ({"y": np.array([0, 1, 2])}, r"`y` must hold codes in \[0, 2\); got values in \[0, 2\]\."),
        ({"classes": ("a", "a")}, r"`classes` must be distinct strings; got \('a', 'a'\)\."),
        ({"feature_names": ("x0",)}, r"`feature_names` must have 2 names \(one per column\); got 1\."),
        ({"ids": np.arange(4)}, r"`ids` must have shape \(3,\); got \(4,\)\."),
        ({"image_shape": (2, 2, 1)}, r"`image_shape` must be \(height, width, channels\) with 2 pixels in all"),
        ({"kind": "excel"}, r"`kind` must be one of table, text, idx, npz, images, builtin; got 'excel'\."),
        ({"target_dtype": "float"}, r"`target_dtype` must be 'str' or 'int'; got 'float'\."),
        ({"target_dtype": "int"}, r"`classes` must be integers written as strings when target_dtype='int'"),
        ({"preprocessor": "scaler"}, r"`preprocessor` must be a Preprocessor; got str\."),
    ],
)
def test_dataset_rejects_inconsistent_fields(changes, message):
    with pytest.raises(DataError, match=message):
        _dataset(**changes)


def test_dataset_decode_writes_integer_targets_back_as_ints():
    ds = _dataset(classes=("2", "10"), target_dtype="int")
    np.testing.assert_array_equal(ds.decode([1, 0]), [10, 2])
    assert ds.decode([1, 0]).dtype == np.int64
    assert _dataset().decode([1]).tolist() == ["b"]


# --- labels ----------------------------------------------------------------------------------------------------


def test_integer_labels_sort_numerically_then_become_strings():
    classes, dtype, y = fit_classes(np.array([10, 2, 1, 2]))
    assert classes == ("1", "2", "10") and dtype == "int"
    np.testing.assert_array_equal(y, [2, 1, 0, 1])


def test_whole_float_labels_are_integers_and_strings_sort_as_strings():
    assert fit_classes(np.array([3.0, 1.0]))[:2] == (("1", "3"), "int")
    assert fit_classes(np.array(["b", "a", "c"], dtype=object))[:2] == (("a", "b", "c"), "str")
    assert fit_classes(np.array([True, False]))[:2] == (("False", "True"), "str")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.array(["a", None], dtype=object), r"^column 'y' row 2: the label is missing\.$"),
        (np.array([1.0, np.nan]), r"^column 'y' row 2: the label is missing\.$"),
        (np.array([1.0, 0.5]), r"^column 'y' row 2: label 0\.5 is not a whole number; class labels must be"),
        (np.array([], dtype=np.int64), r"^column 'y': there are no labels"),
        (np.zeros((2, 2), np.int64), r"^column 'y': labels must be one-dimensional; got shape \(2, 2\)\.$"),
    ],
)
def test_bad_training_labels_are_named_by_row(values, message):
    with pytest.raises(DataError, match=message):
        fit_classes(values, where="column 'y'")


def test_unseen_labels_are_listed():
    with pytest.raises(
        DataError, match=r"labels never seen in training: 'frog', 'newt'; the model knows 'cat', 'dog'\."
    ):
        encode_labels(["cat", "newt", "frog"], ("cat", "dog"))


@settings(max_examples=40, deadline=None)
@given(class_labels())
def test_labels_survive_fit_encode_decode(labels):
    classes, dtype, y = fit_classes(labels)
    np.testing.assert_array_equal(encode_labels(labels, classes), y)
    decoded = decode_labels(y, classes, dtype)
    assert [str(v) for v in decoded] == [str(v) for v in np.asarray(labels).tolist()]
    assert list(classes) == sorted(classes, key=int if dtype == "int" else str)


# --- array preprocessors -----------------------------------------------------------------------------------------


def test_standardize_matches_sklearn_standard_scaler():
    rng = np.random.default_rng(0)
    raw = rng.normal(3.0, 2.0, size=(50, 4))
    raw[:, 2] = 7.0  # constant column: std 0 -> scale 1, as StandardScaler
    X = StandardizePreprocessor().fit_transform(raw)
    expected = StandardScaler().fit_transform(raw)
    np.testing.assert_allclose(X, expected.astype(np.float32), rtol=0, atol=1e-6)
    assert (X[:, 2] == 0).all()


def _standardize_case(rng):
    return StandardizePreprocessor(["a", "b", "c"]).fit(rng.normal(size=(20, 3))), rng.normal(size=(7, 3))


def _pixels_case(rng):
    return ScalePreprocessor(255.0).fit(np.zeros((2, 3, 4), np.uint8)), rng.integers(0, 256, (7, 3, 4), dtype=np.uint8)


def _digits_case(rng):
    return ScalePreprocessor(16.0).fit(np.zeros((2, 5))), rng.integers(0, 17, (7, 5)).astype(np.float64)


@pytest.mark.parametrize("case", [_standardize_case, _pixels_case, _digits_case])
def test_array_preprocessors_round_trip_byte_identical(case):
    pre, raw = case(np.random.default_rng(1))
    rebuilt = through_model_file(pre)
    assert_same_bytes(pre.transform(raw), rebuilt.transform(raw))
    assert rebuilt.feature_names_ == pre.feature_names_
    assert json.loads(json.dumps(pre.state()[0])) == pre.state()[0]


def test_scale_names_pixels_by_row_and_column():
    pre = ScalePreprocessor(255.0).fit(np.zeros((1, 2, 2, 3), np.uint8))
    assert pre.image_shape_ == (2, 2, 3)
    assert pre.feature_names_[:2] == ("pixel_0_0_0", "pixel_0_0_1")


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (np.zeros((2, 5)), DataError, r"`X` must have 4 features per sample; got 5\."),
        (np.array([[0, 0, 0, np.inf]]), DataError, r"`X` must be finite; got inf at row 1, column 4\."),
        (np.array([["a"] * 4]), DataError, r"`X` must hold numbers; got dtype <U1\."),
    ],
)
def test_array_preprocessors_reject_bad_input(raw, error, message):
    pre = StandardizePreprocessor().fit(np.zeros((2, 4)))
    with pytest.raises(error, match=message):
        pre.transform(raw)


def test_unfitted_preprocessor_and_bad_divisor():
    with pytest.raises(NotFittedError, match=r"this StandardizePreprocessor is not fitted yet; call fit\(\) first\."):
        StandardizePreprocessor().transform(np.zeros((1, 1)))
    with pytest.raises(ConfigError, match=r"`divisor` must be a finite number > 0; got 0\."):
        ScalePreprocessor(0).fit(np.zeros((1, 1)))


# --- registry and from_state validation ------------------------------------------------------------------------


def test_registry_knows_every_source():
    assert registered_kinds() == ("image", "scale", "standardize", "table", "tfidf")
    with pytest.raises(ModelFileError, match=r"unknown preprocessor kind 'pickle'; known kinds: image, scale,"):
        preprocessor_from_state("pickle", {}, {})


@pytest.mark.parametrize(
    ("params", "arrays", "message"),
    [
        ({"n_features": 2}, {}, r"preprocessor 'standardize': saved state lacks parameter 'feature_names'\."),
        ({"n_features": 2, "feature_names": None, "extra": 1}, {}, r"saved state has unexpected parameter 'extra'\."),
        ({"n_features": 2, "feature_names": None}, {"mean": np.zeros(2)}, r"saved state lacks array 'scale'\."),
        (
            {"n_features": "2", "feature_names": None},
            {"mean": np.zeros(2), "scale": np.ones(2)},
            r"parameter 'n_features' must be an int > 0; got '2'\.",
        ),
        (
            {"n_features": 2, "feature_names": ["a"]},
            {"mean": np.zeros(2), "scale": np.ones(2)},
            r"parameter 'feature_names' must be null or 2 names; got \['a'\]\.",
        ),
        (
            {"n_features": 2, "feature_names": None},
            {"mean": np.zeros(3), "scale": np.ones(2)},
            r"array 'mean' must have shape \(2,\) and dtype float64; got shape \(3,\) and dtype float64\.",
        ),
        (
            {"n_features": 2, "feature_names": None},
            {"mean": np.zeros(2, np.float32), "scale": np.ones(2)},
            r"array 'mean' must have shape \(2,\) and dtype float64; got shape \(2,\) and dtype float32\.",
        ),
        (
            {"n_features": 2, "feature_names": None},
            {"mean": np.array([0, np.nan]), "scale": np.ones(2)},
            r"array 'mean' holds NaN or infinite values\.",
        ),
        (
            {"n_features": 2, "feature_names": None},
            {"mean": np.zeros(2), "scale": np.zeros(2)},
            r"array 'scale' must be > 0 everywhere\.",
        ),
        ([], {}, r"preprocessor 'standardize': params must be a dict; got list\."),
    ],
)
def test_from_state_names_what_is_wrong(params, arrays, message):
    with pytest.raises(ModelFileError, match=message):
        preprocessor_from_state("standardize", params, arrays)


def test_scale_from_state_checks_image_shape():
    with pytest.raises(
        ModelFileError, match=r"parameter 'image_shape' must be null or \[height, width, channels\] with 4"
    ):
        preprocessor_from_state("scale", {"divisor": 255.0, "n_features": 4, "image_shape": [3, 3, 1]}, {})
