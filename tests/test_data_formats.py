"""Issue 14's table frictions: headerless, whitespace and `;`-with-decimal-comma files, UCI `.data` files read by
content, all read alike in memory and streamed; the format decisions themselves (`multiclass.data.table_format`)."""

import numpy as np
import pandas as pd
import pytest

from multiclass.data import detect_kind, load_dataset, load_table, read_table
from multiclass.data.stream import TableSource, scan_table
from multiclass.data.stream.batches import iter_encoded
from multiclass.data.table_format import WHITESPACE, TableFormat, looks_like_table, sniff_format
from multiclass.exceptions import ConfigError

from .data_helpers import write_text

ROWS = 30  # a table of this many rows, 3 numeric columns and a 3-class label, in each format below


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    label = np.array(["setosa", "versicolor", "virginica"])[np.arange(ROWS) % 3]
    return pd.DataFrame({
        "sepal": np.round(rng.uniform(4, 8, ROWS), 1),
        "petal": np.round(rng.uniform(1, 7, ROWS), 2),
        "count": rng.integers(0, 9, ROWS),
        "label": label,
    })


def _lines(frame: pd.DataFrame, sep: str, decimal: str = ".", header: bool = True) -> str:
    def cell(v):
        text = str(v)
        return text.replace(".", ",") if decimal == "," and isinstance(v, float) else text

    rows = [sep.join(cell(v) for v in row) for row in frame.itertuples(index=False)]
    return "\n".join(([sep.join(frame.columns)] if header else []) + rows) + "\n"


FORMATS = {
    "headerless.data": (",", ".", False),  # UCI's iris.data: no header, an extension pandas does not know
    "spaces.txt": ("   ", ".", True),  # runs of blanks, as R's write.table or fixed-width dumps
    "european.csv": (";", ",", True),  # Excel in a comma-decimal locale
    "tabs.data": ("\t", ".", False),
}


@pytest.fixture(params=sorted(FORMATS))
def written(request, tmp_path):
    sep, decimal, header = FORMATS[request.param]
    return request.param, write_text(tmp_path / request.param, _lines(_frame(), sep, decimal, header))


def test_each_format_is_sniffed(written):
    name, path = written
    fmt = sniff_format(path)
    expected_sep = {"headerless.data": ",", "spaces.txt": WHITESPACE, "european.csv": ";", "tabs.data": "\t"}[name]
    assert (fmt.sep, fmt.header, fmt.decimal) == (expected_sep, FORMATS[name][2], FORMATS[name][1])
    assert fmt.names == (None if fmt.header else ("column_1", "column_2", "column_3", "column_4"))
    assert detect_kind(path) == "table"


def test_each_format_reads_the_same_numbers(written):
    name, path = written
    frame = read_table(path)
    expected = _frame()
    if not FORMATS[name][2]:
        expected.columns = ["column_1", "column_2", "column_3", "column_4"]
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert frame.attrs["format"]["decimal"] == FORMATS[name][1]
    target = expected.columns[-1]
    ds = load_table(path, target=target)
    assert ds.notes["format"] == frame.attrs["format"] and ds.n_features == 3 and ds.classes[0] == "setosa"


def test_streamed_reading_equals_in_memory(written):
    name, path = written
    target = "label" if FORMATS[name][2] else "column_4"
    expected = load_table(path, target=target)
    table = TableSource(path)
    found = scan_table(table, target=target)
    assert found.preprocessor.state()[0] == expected.preprocessor.state()[0]
    X, y = (np.concatenate(parts) for parts in zip(*iter_encoded(table, found, range(len(table.pieces)))))
    assert X.tobytes() == expected.X.tobytes()
    np.testing.assert_array_equal(y, expected.y)


def test_given_options_win_over_the_guess(tmp_path):
    path = write_text(tmp_path / "t.csv", "1,2,a\n3,4,b\n5,6,a\n")
    assert sniff_format(path).header is False  # numbers over numeric columns: data
    named = read_table(path, names=["x", "y", "label"])
    assert list(named.columns) == ["x", "y", "label"] and len(named) == 3
    as_header = read_table(path, header=True)  # told otherwise: the first line is names
    assert list(as_header.columns) == ["1", "2", "a"] and len(as_header) == 2
    replaced = read_table(write_text(tmp_path / "h.csv", "p,q,r\n1,2,a\n"), names=["x", "y", "label"])
    assert list(replaced.columns) == ["x", "y", "label"] and len(replaced) == 1  # names replace a header line
    semi = read_table(write_text(tmp_path / "s.txt", "a;b\n1,5;2\n"), sep=";", header=True)
    assert semi["a"].tolist() == [1.5]
    ds = load_dataset(path, names=["x", "y", "label"], target="label")
    assert ds.feature_names == ("x", "y")


def test_a_header_of_column_numbers_is_a_header(tmp_path):
    path = write_text(tmp_path / "frame.csv", "0,1,2\n5.1,3.5,1\n4.9,3.0,0\n")  # DataFrame(array).to_csv()
    assert sniff_format(path).header is True
    text_only = write_text(tmp_path / "text.csv", "spam,ham\nbuy now,ok\nfree,fine\n")
    assert sniff_format(text_only).header is True  # nothing tells: names


def test_a_file_that_is_not_a_table_is_not_detected_as_one(tmp_path):
    prose = write_text(tmp_path / "notes.data", "This is a note.\nIt has sentences of different lengths here.\n")
    assert not looks_like_table(prose)
    with pytest.raises(Exception, match=r"cannot tell the format"):
        detect_kind(prose)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sep": "::"}, r"`sep` must be one character or 'whitespace'; got '::'\."),
        ({"header": "yes"}, r"`header` must be True, False or None \(detect\); got 'yes'\."),
        ({"names": []}, r"`names` must be a non-empty list of column names; got \[\]\."),
    ],
)
def test_format_option_errors(tmp_path, options, message):
    path = write_text(tmp_path / "t.csv", "a,b\n1,2\n")
    with pytest.raises(ConfigError, match=message):
        read_table(path, **options)


def test_format_options_are_refused_for_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    _frame().to_parquet(path)
    with pytest.raises(ConfigError, match=r"`sep`, `header` and `names` apply to delimited text files; .*Parquet"):
        read_table(path, sep=";")


def test_pandas_options_of_a_format():
    assert TableFormat(WHITESPACE, False, ("a", "b")).pandas_options() == {
        "sep": r"\s+", "decimal": ".", "header": None, "names": ["a", "b"]}


# --- a table of pixels ---------------------------------------------------------------------------------------


def _pixel_table(tmp_path, side=8, scale=255, name="pixels.csv"):
    rng = np.random.default_rng(1)
    n = 40
    pixels = rng.integers(0, 256, (n, side * side)) if scale == 255 else np.round(rng.random((n, side * side)), 3)
    frame = pd.DataFrame(pixels, columns=[f"pixel{i + 1}" for i in range(side * side)])
    frame.insert(0, "label", np.arange(n) % 2)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, pixels


@pytest.mark.parametrize("scale", [255, 1])
def test_a_pixel_csv_is_scaled_as_images_in_memory_and_streamed(tmp_path, scale):
    path, pixels = _pixel_table(tmp_path, scale=scale)
    ds = load_table(path, target="label")
    np.testing.assert_array_equal(ds.X, (pixels / scale).astype(np.float32))  # not standardised per column
    assert ds.notes["pixels"] == {"columns": 64, "divisor": float(scale), "image_shape": [8, 8, 1]}
    assert ds.image_shape == (8, 8, 1)
    found = scan_table(TableSource(path), target="label")
    assert found.notes == ds.notes and found.preprocessor.state()[0] == ds.preprocessor.state()[0]
    assert found.preprocessor.scale_.tobytes() == ds.preprocessor.scale_.tobytes()


def test_a_table_that_is_not_pixels_is_standardised(tmp_path):
    path, _ = _pixel_table(tmp_path, side=7)  # 49 columns: too few to be an image
    assert "pixels" not in load_table(path, target="label").notes
    rng = np.random.default_rng(2)
    digits = pd.DataFrame(rng.integers(0, 17, (30, 64)), columns=[f"p{i}" for i in range(64)])  # 4-bit levels
    digits["label"] = np.arange(30) % 3
    digits.to_csv(tmp_path / "digits.csv", index=False)
    assert "pixels" not in load_table(tmp_path / "digits.csv", target="label").notes
