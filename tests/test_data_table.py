"""multiclass.data.table: CSV/TSV/Parquet -> typed, standardized, one-hot features that survive the model file."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from multiclass.data import (
    ScalePreprocessor,
    TablePreprocessor,
    load_dataset,
    load_for_prediction,
    load_table,
    read_table,
)
from multiclass.exceptions import ConfigError, DataError, DataWarning, ModelFileError

from .data_helpers import (
    assert_dataset_invariants,
    assert_same_bytes,
    through_model_file,
    write_text,
)
from .strategies import table_frames

TRAIN = """id,age,color,member,label
p1,30,red,True,yes
p2,40,blue,False,no
p3,,red,True,yes
p4,50,green,,no
p5,60,,False,yes
"""


@pytest.fixture
def train_csv(tmp_path):
    return write_text(tmp_path / "train.csv", TRAIN)


@pytest.fixture
def trained(train_csv):
    return load_table(train_csv, target="label", id_column="id")


def test_columns_are_typed_standardized_one_hot_and_imputed(trained):
    ds = trained
    assert_dataset_invariants(ds)
    assert ds.feature_names == (
        "age",
        "age=<missing>",
        "color=blue",
        "color=green",
        "color=red",
        "color=<missing>",
        "color=<unknown>",
        "member",
        "member=<missing>",
    )
    ages = np.array([30, 40, 50, 60.0])
    z = (np.array([30, 40, np.nan, 50, 60.0]) - ages.mean()) / ages.std()
    np.testing.assert_allclose(ds.X[:, 0], np.nan_to_num(z, nan=0.0).astype(np.float32))  # missing -> mean -> 0
    np.testing.assert_array_equal(ds.X[:, 1], [0, 0, 1, 0, 0])  # indicator
    np.testing.assert_array_equal(ds.X[:, 2:7].argmax(axis=1), [2, 0, 2, 1, 3])  # color one-hot, row 5 <missing>
    np.testing.assert_allclose(ds.X[:, 7], [1, 0, 1, 0.5, 0])  # bool 0/1, missing -> training mean
    np.testing.assert_array_equal(ds.X[:, 8], [0, 0, 0, 1, 0])
    assert ds.classes == ("no", "yes") and ds.target_dtype == "str"
    np.testing.assert_array_equal(ds.y, [1, 0, 1, 0, 1])
    assert ds.ids.tolist() == ["p1", "p2", "p3", "p4", "p5"]
    assert ds.load_options == {"target": "label", "id_column": "id"}


def test_state_round_trip_is_byte_identical(trained, train_csv):
    rebuilt = through_model_file(trained.preprocessor)
    again = load_for_prediction(train_csv, rebuilt, classes=trained.classes, **trained.load_options)
    assert_same_bytes(trained.X, again.X)
    np.testing.assert_array_equal(again.y, trained.y)


def test_prediction_file_may_reorder_add_columns_and_bring_new_categories(trained, tmp_path):
    new = write_text(tmp_path / "new.csv", "extra,member,color,age,id\n1,False,purple,45,q1\n2,True,red,,q2\n")
    ds = load_for_prediction(new, trained.preprocessor, classes=trained.classes, **trained.load_options)
    assert ds.y is None  # no label column: unlabelled
    names = list(ds.feature_names)
    assert ds.X[0, names.index("color=<unknown>")] == 1 and ds.X[0, names.index("color=red")] == 0
    assert ds.X[1, names.index("age=<missing>")] == 1 and ds.X[1, names.index("age")] == 0
    reordered = write_text(tmp_path / "same.csv", "label,member,color,age,id\nyes,True,red,30,p1\n")
    row = load_for_prediction(reordered, trained.preprocessor, classes=trained.classes, **trained.load_options)
    assert_same_bytes(row.X, trained.X[:1])
    assert row.y.tolist() == [1]


def test_missing_required_column_is_named_with_what_the_file_has(trained, tmp_path):
    new = write_text(tmp_path / "new.csv", "id,color,member\nq,red,True\n")
    with pytest.raises(
        DataError,
        match=r"new\.csv: missing column 'age' needed by the model; the data has columns: "
        r"'id', 'color', 'member'\.$",
    ):
        load_for_prediction(new, trained.preprocessor, classes=trained.classes, **trained.load_options)


def test_unseen_label_at_prediction_is_named(trained, tmp_path):
    new = write_text(tmp_path / "new.csv", "age,color,member,label\n1,red,True,maybe\n")
    with pytest.raises(
        DataError,
        match=r"new\.csv: column 'label': labels never seen in training: 'maybe'; "
        r"the model knows 'no', 'yes'\.",
    ):
        load_for_prediction(new, trained.preprocessor, classes=trained.classes, target="label")


def test_non_numeric_value_names_file_column_and_row(trained, tmp_path):
    new = write_text(tmp_path / "data.csv", "age,color,member\n1,red,True\nabc,red,True\n")
    with pytest.raises(DataError, match=r"data\.csv: column 'age' row 2: value 'abc' is not numeric\.$"):
        load_for_prediction(new, trained.preprocessor)


def test_numeric_typo_in_training_data_is_reported_not_turned_into_categories(tmp_path):
    rows = "\n".join(f"{v},{i % 2}" for i, v in enumerate([*range(16), "1O", 17, 18, 19]))
    path = write_text(tmp_path / "data.csv", "age,label\n" + rows + "\n")
    with pytest.raises(DataError, match=r"data\.csv: column 'age' row 17: value '1O' is not numeric \(the other"):
        load_table(path, target="label")
    forced = load_table(path, target="label", categorical=["age"])
    assert "age=1O" in forced.feature_names


def test_a_code_of_numbers_and_text_is_read_as_categories_with_a_warning(tmp_path):
    values = [3, 4, 6, 8] * 5
    values[9] = "rotary"  # 95 % numbers but 5 distinct values: a code (cars93's cylinders), not a typo
    rows = "\n".join(f"{v},{i % 2}" for i, v in enumerate(values))
    path = write_text(tmp_path / "cars.csv", "cylinders,label\n" + rows + "\n")
    with pytest.warns(DataWarning, match=r"cars\.csv: column 'cylinders' holds numbers and text \(row 10: "
                                         r"'rotary'\): read as 5 categories; name it in `categorical`"):
        ds = load_table(path, target="label")
    assert [n for n in ds.feature_names if n.startswith("cylinders=")][:5] == [
        "cylinders=3", "cylinders=4", "cylinders=6", "cylinders=8", "cylinders=rotary"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named categorical: what the user said, no warning
        load_table(path, target="label", categorical=["cylinders"])


def test_integer_targets_sort_numerically_and_categorical_codes_keep_zeros(tmp_path):
    path = write_text(tmp_path / "d.tsv", "zip\tx\ty\n007\t1.5\t10\n8\t2.5\t2\n007\t3.5\t2\n")
    ds = load_table(path, target="y", categorical=["zip"])
    assert ds.classes == ("2", "10") and ds.target_dtype == "int"
    np.testing.assert_array_equal(ds.decode(ds.y), [10, 2, 2])
    assert ds.feature_names[:2] == ("zip=007", "zip=8")


def test_parquet_and_sniffed_txt_give_the_same_features(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": ["x", "y", "x"], "label": [0, 1, 0]})
    frame.to_parquet(tmp_path / "t.parquet")
    write_text(tmp_path / "t.txt", "a;b;label\n1;x;0\n2;y;1\n4;x;0\n")
    from_parquet = load_dataset(tmp_path / "t.parquet", target="label")
    from_txt = load_dataset(tmp_path / "t.txt", target="label")
    assert from_parquet.kind == from_txt.kind == "table"
    assert_same_bytes(from_parquet.X, from_txt.X)
    assert from_parquet.classes == from_txt.classes == ("0", "1")


def test_csv_decimals_are_read_correctly_rounded(tmp_path):
    """17-digit decimals (a probability written as its repr) read back to the same double, as pyarrow reads
    them when streaming; pandas 2's default converter is one ulp off for these."""
    texts = ["0.33492598833985116", "0.34460852830123534", "0.22921307389243684", "0.31192249478215883"]
    write_text(tmp_path / "t.csv", "x\n" + "\n".join(texts) + "\n")
    read = read_table(tmp_path / "t.csv")["x"].to_numpy()
    assert read.tobytes() == np.array([float(t) for t in texts]).tobytes()


def test_csv_with_semicolons_is_sniffed_and_constant_column_becomes_zero(tmp_path):
    path = write_text(tmp_path / "euro.csv", "a;k;label\n1;5;x\n2;5;y\n")
    ds = load_table(path, target="label")
    assert ds.feature_names == ("a", "k")
    assert (ds.X[:, 1] == 0).all()


def test_max_categories_sends_rare_categories_to_unknown(tmp_path):
    path = write_text(tmp_path / "d.csv", "c,label\na,0\na,1\nb,0\nb,1\nc,0\n")
    ds = load_table(path, target="label", max_categories=2)
    assert ds.feature_names == ("c=a", "c=b", "c=<unknown>")
    assert ds.X[4].tolist() == [0, 0, 1]


def test_a_wide_column_sends_its_categories_seen_once_to_unknown_a_narrow_one_keeps_them(tmp_path):
    """A category seen once gets no weight of its own in a column of more than `WIDE_CATEGORIES` values (street
    names): it shares ``<unknown>`` with the ones never seen, which so learns from real rows. A column at the
    threshold keeps every category, as scikit-learn's encoder does."""
    from multiclass.data.columns import WIDE_CATEGORIES

    twice = [f"s{i:02d}" for i in range(WIDE_CATEGORIES)]
    once = ["o1", "o2", "o3"]
    wide = twice * 2 + once  # 33 distinct: wide
    narrow = (twice[: WIDE_CATEGORIES - 3] * 2 + once)  # 30 distinct: kept whole
    narrow += narrow[: len(wide) - len(narrow)]
    frame = pd.DataFrame({"wide": wide, "narrow": narrow, "label": ["a", "b"] * (len(wide) // 2) + ["a"]})
    path = tmp_path / "streets.csv"
    frame.to_csv(path, index=False)
    ds = load_table(path, target="label")
    names = list(ds.feature_names)
    assert [n for n in names if n.startswith("wide=")] == [f"wide={c}" for c in twice] + ["wide=<unknown>"]
    assert {f"narrow={c}" for c in once} <= set(names)  # 30 distinct: singletons kept
    row = wide.index("o2")
    assert ds.X[row, names.index("wide=<unknown>")] == 1 and ds.X[row, names.index("wide=s00")] == 0
    assert ds.X[:, names.index("wide=<unknown>")].sum() == len(once)  # the rare rows train the <unknown> weight


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"target": "labl"},
            DataError,
            (
                r"train\.csv: target column 'labl' not found; available columns: 'id', 'age', "
                r"'color', 'member', 'label' \(did you mean 'label'\?\)\.$"
            ),
        ),
        ({}, ConfigError, r"`target` must name the label column of .*train\.csv; got None\. Available columns: 'id'"),
        (
            {"target": "label", "ignore": ["nope"]},
            ConfigError,
            r"`ignore` must name columns of .*train\.csv; got 'nope'\.",
        ),
        ({"target": "label", "categorical": ["nope"]}, ConfigError, r"`categorical` must name columns of"),
        ({"target": "label", "id_column": "ident"}, DataError, r"train\.csv: id column 'ident' not found; available"),
        (
            {"target": "label", "ignore": ["id", "age", "color", "member"]},
            DataError,
            r"train\.csv: there are no feature columns left to learn from\.$",
        ),
        ({"target": "label", "max_categories": 0}, ConfigError, r"`max_categories` must be an int >= 1; got 0\."),
    ],
)
def test_option_errors(train_csv, kwargs, error, message):
    with pytest.raises(error, match=message):
        load_table(train_csv, **kwargs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,label\n1,\n2,\n", r"bad\.csv: column 'label': every label is missing; training needs labelled rows\.$"),
        ("a,label\n1,x\ninf,y\n", r"bad\.csv: column 'a' row 2: value inf is not finite\.$"),
        ("a,label\n,x\n,y\n", r"bad\.csv: there are no feature columns left to learn from \(left out: 'a': every value "
                               r"is missing\)\.$"),
        ("a,label\n", r"bad\.csv: the table has no data rows\.$"),
        ("", r"bad\.csv: the file is empty \(no header line\)\.$"),
    ],
)
def test_bad_training_tables(tmp_path, text, message):
    path = write_text(tmp_path / "bad.csv", text)
    with pytest.raises(DataError, match=message):
        load_table(path, target="label")


def test_bool_column_rejects_other_values_at_prediction(trained, tmp_path):
    new = write_text(tmp_path / "new.csv", "age,color,member\n1,red,maybe\n")
    with pytest.raises(
        DataError, match=r"new\.csv: column 'member' row 1: value 'maybe' is not a boolean \(True/False\)\."
    ):
        load_for_prediction(new, trained.preprocessor)


def test_read_table_missing_file_and_training_only_options(trained, tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file\.$"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match=r"`ignore` and `categorical` apply only when fitting"):
        load_table(tmp_path / "x.csv", preprocessor=trained.preprocessor, ignore=["a"])


def test_table_from_state_rejects_bad_column_specs(trained):
    params, arrays = trained.preprocessor.state()
    params["columns"][0]["type"] = "date"
    with pytest.raises(
        ModelFileError, match=r"preprocessor 'table': column spec must be \{name, type, missing_indicator"
    ):
        TablePreprocessor.from_state(params, arrays)
    params, arrays = trained.preprocessor.state()
    arrays["mean"] = np.zeros(2)
    with pytest.raises(
        ModelFileError, match=r"array 'mean' must have shape \(1,\) and dtype float64; got shape \(2,\)"
    ):
        TablePreprocessor.from_state(params, arrays)


def test_a_preprocessor_of_another_kind_is_refused(train_csv):
    with pytest.raises(ConfigError, match=r"`preprocessor` must be a TablePreprocessor; got ScalePreprocessor\.$"):
        load_table(train_csv, preprocessor=ScalePreprocessor())


@settings(max_examples=30, deadline=None)
@given(frames=table_frames())
def test_any_frame_round_trips_and_ignores_column_order(frames):
    frame, shuffled = frames
    pre = TablePreprocessor().fit(frame)
    X = pre.transform(frame)
    assert X.shape == (len(frame), len(pre.feature_names_)) and np.isfinite(X).all()
    assert_same_bytes(through_model_file(pre).transform(shuffled), X)


def test_rows_without_a_label_are_left_out_of_training_and_evaluation_with_one_warning(tmp_path):
    """carData's Chile: an unknown vote is NA. Training and evaluation leave such rows out (one warning, the first
    row named); prediction reads no label; the same rule for a text table."""
    from multiclass.data import load_text

    votes = ["Y", "N", None, "A", "Y", None, "N", "A"] * 5
    frame = pd.DataFrame({"age": np.arange(40) % 9, "vote": votes})
    path = tmp_path / "chile.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(DataWarning) as caught:
        ds = load_table(path, target="vote")
    assert [str(w.message) for w in caught] == [
        f"{path}: 10 of 40 rows have no label in column 'vote' (the first: row 3); they are left out of training."]
    labelled = frame[frame["vote"].notna()]
    assert ds.n_samples == 30 and ds.classes == ("A", "N", "Y")
    np.testing.assert_array_equal(np.array(ds.classes)[ds.y], labelled["vote"].to_numpy())
    np.testing.assert_allclose(ds.preprocessor.mean_[0], labelled["age"].mean())  # fitted on those rows alone
    with pytest.warns(DataWarning, match=r"10 of 40 rows .* left out of the evaluation\.$"):
        again = load_for_prediction(path, ds.preprocessor, classes=ds.classes, target="vote")
    np.testing.assert_array_equal(again.y, ds.y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_for_prediction(path, ds.preprocessor, classes=ds.classes, target="vote",
                                   with_labels=False).n_samples == 40
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"text": [f"word{i % 4} other" for i in range(40)], "vote": votes}).to_csv(texts, index=False)
    with pytest.warns(DataWarning, match=r"10 of 40 rows have no label in column 'vote' \(the first: row 3\)"):
        assert load_text(texts, target="vote").n_samples == 30
