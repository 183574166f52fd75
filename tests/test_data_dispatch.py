"""multiclass.data.load_dataset / load_for_prediction: choosing the reader, checking options, matching the model."""

import numpy as np
import pandas as pd
import pytest

from multiclass.data import detect_kind, load_dataset, load_for_prediction, write_idx
from multiclass.exceptions import ConfigError, DataError

from .data_helpers import make_image_folder, write_text


@pytest.fixture
def files(tmp_path):
    write_text(tmp_path / "t.csv", "a,label\n1,x\n2,y\n")
    np.savez(tmp_path / "a.npz", X=np.ones((2, 3)), y=np.array([0, 1]))
    np.savez(tmp_path / "npz_without_extension", X=np.ones((2, 3)), y=np.array([0, 1]))
    (tmp_path / "npz_without_extension.npz").rename(tmp_path / "blob")
    pd.DataFrame({"a": [1.0], "label": ["x"]}).to_parquet(tmp_path / "pq_no_ext")
    write_idx(tmp_path / "pixels", np.zeros((2, 2, 2), np.uint8), compress=True)
    (tmp_path / "mystery.bin").write_bytes(b"\x01\x02\x03\x04")
    make_image_folder(tmp_path / "pets")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("t.csv", "table"),
        ("a.npz", "npz"),
        ("blob", "npz"),
        ("pq_no_ext", "table"),
        ("pixels", "idx"),
        ("pets", "images"),
    ],
)
def test_detect_kind_by_extension_then_magic_bytes(files, name, kind):
    assert detect_kind(files / name) == kind


def test_detect_kind_builtin_names_and_unknown_files(files):
    assert detect_kind("iris") == "builtin"
    with pytest.raises(
        DataError,
        match=r"mystery\.bin: cannot tell the format from the name or the first bytes; pass "
        r"`kind` \(table, text, idx, npz, images, builtin\)\.$",
    ):
        detect_kind(files / "mystery.bin")


def test_options_that_do_not_apply_are_config_errors(files):
    with pytest.raises(
        ConfigError, match=r"`target` does not apply to npz data \(.*a\.npz\); options for npz data: none\.$"
    ):
        load_dataset(files / "a.npz", target="y")
    with pytest.raises(
        ConfigError,
        match=r"`split` does not apply to table data \(.*\); options for table data: target, "
        r"id_column, ignore, categorical, max_categories, sep, header, names, na_values\.$",
    ):
        load_dataset(files / "t.csv", target="label", split="test")
    with pytest.raises(
        ConfigError, match=r"`kind` must be one of table, text, idx, npz, images, builtin; got 'xlsx'\.$"
    ):
        load_dataset(files / "t.csv", kind="xlsx")


def test_explicit_kind_reads_a_csv_as_text(files):
    ds = load_dataset(files / "t.csv", kind="text", text_column="a", target="label")
    assert ds.kind == "text" and ds.feature_names == ("1", "2")


def test_prediction_data_must_suit_the_models_preprocessor(files):
    table_model = load_dataset(files / "t.csv", target="label")
    with pytest.raises(
        DataError, match=r"a\.npz: is npz data, but the model's preprocessor 'table' reads table data\.$"
    ):
        load_for_prediction(files / "a.npz", table_model.preprocessor)
    npz_model = load_dataset(files / "a.npz")
    with pytest.raises(
        DataError,
        match=r"pets: is images data, but the model's preprocessor 'standardize' reads idx or "
        r"npz or builtin data\.$",
    ):
        load_for_prediction(files / "pets", npz_model.preprocessor)
    with pytest.raises(
        ConfigError,
        match=r"`ignore` does not apply to table data .*; options for table data: target, "
        r"id_column, sep, header, names, na_values\.$",
    ):
        load_for_prediction(files / "t.csv", table_model.preprocessor, ignore=["a"])
    with pytest.raises(ConfigError, match=r"`preprocessor` must be a fitted Preprocessor; got dict\.$"):
        load_for_prediction(files / "t.csv", {})


def test_a_model_trained_on_a_builtin_predicts_an_idx_file(files):
    digits = load_dataset("digits")
    write_idx(files / "eight.idx", np.full((3, 8, 8), 16, np.uint8))
    ds = load_for_prediction(files / "eight.idx", digits.preprocessor, classes=digits.classes)
    assert ds.y is None and ds.X.shape == (3, 64) and (ds.X == 1).all()
