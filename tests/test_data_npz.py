"""multiclass.data.npz: X/y archives, never unpickled, standardized, and rebuilt byte-identically."""

import numpy as np
import pytest

import multiclass.data.npz as npz_module
from multiclass.data import load_dataset, load_for_prediction, load_npz
from multiclass.exceptions import DataError

from .data_helpers import (
    assert_dataset_invariants,
    assert_same_bytes,
    through_model_file,
)


@pytest.fixture
def archive(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, size=(40, 6))
    y = np.array(["b", "a"] * 20)
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y, ids=np.arange(100, 140))
    return path, X, y


def test_x_y_load_standardized_and_round_trip(archive):
    path, X, _y = archive
    ds = load_dataset(path)
    assert_dataset_invariants(ds)
    assert ds.kind == "npz" and ds.preprocessor.kind == "standardize"
    assert ds.classes == ("a", "b") and ds.y.tolist()[:2] == [1, 0]
    np.testing.assert_allclose(ds.X, ((X - X.mean(0)) / X.std(0)).astype(np.float32), atol=1e-6)
    assert ds.ids.tolist()[:2] == [100, 101]
    again = load_for_prediction(path, through_model_file(ds.preprocessor), classes=ds.classes)
    assert_same_bytes(ds.X, again.X)
    np.testing.assert_array_equal(again.y, ds.y)


def test_image_like_x_keeps_its_shape_for_reports(tmp_path):
    path = tmp_path / "imgs.npz"
    np.savez(path, X=np.random.default_rng(0).integers(0, 255, (5, 4, 3), dtype=np.uint8), y=np.arange(5) % 2)
    ds = load_npz(path)
    assert ds.image_shape == (4, 3, 1) and ds.X.shape == (5, 12) and ds.target_dtype == "int"


def test_missing_y_is_an_error_for_training_but_fine_for_prediction(tmp_path, archive):
    path = tmp_path / "noy.npz"
    np.savez(path, X=np.ones((3, 6)))
    with pytest.raises(DataError, match=r"noy\.npz: no array 'y'; training needs labels \(save them with np\.savez"):
        load_npz(path)
    trained = load_npz(archive[0])
    ds = load_for_prediction(path, trained.preprocessor, classes=trained.classes)
    assert ds.y is None and ds.X.shape == (3, 6)


def test_object_arrays_are_refused_not_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, X=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(
        DataError,
        match=r"evil\.npz: array 'X' holds Python objects, which are refused \(loading them "
        r"would unpickle\); save numbers or fixed-width strings\.$",
    ):
        load_npz(path)


def test_np_load_is_always_called_with_allow_pickle_false(monkeypatch, archive):
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(npz_module.np, "load", spy)
    ds = load_npz(archive[0])
    load_npz(archive[0], preprocessor=ds.preprocessor, classes=ds.classes)
    assert calls and all(call.get("allow_pickle") is False for call in calls)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"features": np.ones((2, 2))}, r"bad\.npz: no array 'X'; arrays present: 'features'\.$"),
        (
            {"X": np.ones(3), "y": np.ones(3)},
            r"bad\.npz: array 'X' must be numeric with shape \(n_samples, n_features\)",
        ),
        (
            {"X": np.ones((3, 2)), "y": np.ones(2)},
            r"bad\.npz: array 'y' must have shape \(3,\) to match 'X'; got \(2,\)\.$",
        ),
        (
            {"X": np.array([[1.0], [np.nan]]), "y": np.arange(2)},
            r"bad\.npz: `X` must be finite; got nan at row 2, column 1\.$",
        ),
        (
            {"X": np.ones((2, 1)), "y": np.array([0.5, 1])},
            r"bad\.npz: array 'y' row 1: label 0\.5 is not a whole number",
        ),
    ],
)
def test_bad_archives(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_npz(path)


def test_not_an_archive(tmp_path):
    single = tmp_path / "one.npz"
    with open(single, "wb") as handle:
        np.save(handle, np.ones(3))
    with pytest.raises(DataError, match=r"one\.npz: is a single \.npy array, not an \.npz archive"):
        load_npz(single)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"junk\.npz: not a readable \.npz archive"):
        load_npz(junk)
