"""The bad-input catalogue of `multiclass train`: every source's broken files, every option out of range, the
model directory that cannot be written (tests/catalogue.py holds the machinery and what each case must show)."""

from __future__ import annotations

import gzip
import os
import shutil
import struct

import numpy as np
import pytest

from multiclass.cli import main
from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    Case,
    GOOD,
    _disk_full,
    _no_gpu,
    _option_case,
    _read_only,
    case,
    cases_of,
    check_case,
    idx_pair,
    image,
    image_folder,
    q,
    train,
    train_table,
    trained_model,
    write,
)


@case("empty file")
def empty_file(tmp, model):
    p = write(tmp / "data.csv", "")
    return train_table(p), rf"^{q(p)}: the file is empty \(no header line\)\.$"


@case("only blank lines")
def blank_lines_only(tmp, model):
    p = write(tmp / "data.csv", "\n\n  \n")
    return train_table(p), rf"^{q(p)}: the file is empty \(no header line\)\.$"


@case("header only, no data rows")
def header_only(tmp, model):
    p = write(tmp / "data.csv", "a,b,y\n")
    return train_table(p), rf"^{q(p)}: the table has no data rows\.$"


@case("target column missing (the message lists the columns)")
def missing_target_column(tmp, model):
    p = write(tmp / "data.csv", GOOD)
    return (train(p, "--target", "label"),
            rf"^{q(p)}: target column 'label' not found; available columns: 'a', 'b', 'y'\.$")


@case("no --target for a table")
def no_target_option(tmp, model):
    p = write(tmp / "data.csv", GOOD)
    return train(p), rf"^`--target` must name the label column of {q(p)}; got None\. Available columns: 'a', 'b', 'y'\.$"


@case("target with a single class (K = 1)")
def single_class(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n2,x\n3,x\n")
    return train_table(p), rf"^{q(p)}: training needs at least 2 classes; got 1\.$"


@case("as many classes as rows (K = N): every class has one example")
def one_class_per_row(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,p\n2,q\n3,r\n")
    return train_table(p), (r"no class has 2 examples \(class 'p' has 1\); a stratified validation split needs at "
                            r"least 2 in some class \(add examples, pass validation data \(`--val-data`\), or set `--val-split` "
                            r"to 0\)\.$")


@case("every label missing (NaN); a row without a label is left out with a warning")
def nan_label(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,NaN\n2,\n3,NA\n")
    return train_table(p), rf"^{q(p)}: column 'y': every label is missing; training needs labelled rows\.$"


@case("infinity in a numeric column")
def inf_in_numeric_column(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n2,x\ninf,z\n4,z\n")
    return train_table(p), rf"^{q(p)}: column 'a' row 3: value inf is not finite\.$"


@case("non-numeric garbage in a numeric column")
def garbage_in_numeric_column(tmp, model):
    rows = "".join(f"{i},{'xz'[i % 2]}\n" for i in range(1, 11))
    p = write(tmp / "data.csv", "a,y\n" + rows + "abc,z\n")
    return train_table(p), (rf"^{q(p)}: column 'a' row 11: value 'abc' is not numeric \(the other values are "
                            r"numbers; fix it, or name the column in `--categorical` to treat it as categories\)\.$")


@case("the only feature column is entirely NaN (such a column is left out, and nothing is left)")
def all_nan_column(tmp, model):
    p = write(tmp / "data.csv", "a,y\nnan,x\nNaN,x\n,z\n,z\n")
    return train_table(p), (rf"^{q(p)}: there are no feature columns left to learn from \(left out: 'a': every value is "
                            r"missing\)\.$")


@case("ragged CSV: a row with more fields than the header")
def ragged_long_row(tmp, model):
    p = write(tmp / "data.csv", "a,b,y\n1,2,x\n3,4,5,x\n5,6,z\n")
    return train_table(p), rf"^{q(p)}: line 3 has 4 fields but the header has 3 \(delimiter ','\); every row"


@case("ragged CSV: a row with fewer fields than the header (pandas would pad it)")
def ragged_short_row(tmp, model):
    p = write(tmp / "data.csv", "a,b,y\n1,2,x\n3,x\n5,6,z\n")
    return train_table(p), rf"^{q(p)}: line 3 has 2 fields but the header has 3 \(delimiter ','\)"


@case("ragged CSV: every data row one field longer (pandas would take column 1 as the index)")
def ragged_shifted_rows(tmp, model):
    p = write(tmp / "data.csv", "a,b,y\n0,1,2,x\n0,3,4,x\n0,5,6,z\n0,7,8,z\n")
    return train_table(p), rf"^{q(p)}: line 2 has 4 fields but the header has 3"


@case("unclosed quote")
def unclosed_quote(tmp, model):
    p = write(tmp / "data.csv", 'a,y\n"1,x\n2,x\n')
    return train_table(p), rf"^{q(p)}: cannot read the table: EOF inside string starting at row 1$"


@case("wrong delimiter (none of , ; tab |): the file reads as one column")
def wrong_delimiter(tmp, model):
    p = write(tmp / "data.csv", "a:b:y\n1:2:x\n3:4:z\n")
    return train_table(p), (rf"^{q(p)}: target column 'y' not found; available columns: 'a:b:y' \(the file was "
                            r"read as one column: is its delimiter one of , ; tab \|\?\)\.$")


@case("UTF-8 then a byte that is not (a damaged file; Windows-1252 alone is read: tests/test_data_encoding.py)")
def non_utf8(tmp, model):
    p = write(tmp / "data.csv", "a,c,y\n1,thé,x\n".encode() + "2,caf\xe9,x\n".encode("latin-1"))
    return train_table(p), rf"^{q(p)}: line 3 is not UTF-8 \(byte 0xE9\); save the file as UTF-8"


@case("UTF-16 file")
def utf16(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n".encode("utf-16"))
    return train_table(p), rf"^{q(p)}: line 1 is not UTF-8 \(byte 0xFF\)"


@case("a binary file named .csv")
def binary_named_csv(tmp, model):
    p = write(tmp / "data.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return train_table(p), rf"^{q(p)}: line \d+ is not UTF-8 \(byte 0x[0-9A-F]{{2}}\)"


@case("an Excel workbook (.xlsx: a zip file, once taken for an npz)")
def spreadsheet(tmp, model):
    p = write(tmp / "data.xlsx", b"PK\x03\x04" + bytes(60))
    return train_table(p), (rf"^{q(p)}: multiclass does not read \.xlsx files \(spreadsheets, JSON, pickles\.\.\.\); "
                            r"save the data as CSV \(or Parquet\) and pass that file\.$")


@case("duplicated column names")
def duplicated_columns(tmp, model):
    p = write(tmp / "data.csv", "a,b,a,y\n1,2,3,x\n4,5,6,z\n")
    return (train_table(p),
            rf"^{q(p)}: duplicated column name 'a' \(columns 1 and 3\); every column needs its own name\.$")


@case("a 2 GB line (sparse file): longer than the 16 MiB maximum line length")
def two_gigabyte_line(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,")
    os.truncate(p, 2 * 2**30)  # sparse: no disk used; the reader stops after 16 MiB of it
    return train_table(p), (rf"^{q(p)}: line 2 is longer than 16777216 bytes, the maximum line length of a "
                            r"table; it is not a delimited text table \(or it is damaged\)\.$")


@case("text column all empty")
def text_column_all_empty(tmp, model):
    p = write(tmp / "data.csv", 'text,y\n"",x\n"  ",x\n!!,z\n')
    return (train(p, "--text-column", "text", "--target", "y"),
            rf"^{q(p)}: column 'text': every text is empty \(no word characters\); there is nothing to learn from\.$")


@case("text column missing")
def text_column_missing(tmp, model):
    p = write(tmp / "data.csv", "body,y\nhello,x\n")
    return (train(p, "--text-column", "text", "--target", "y"),
            rf"^{q(p)}: text column 'text' not found; available columns: 'body', 'y'\.$")


@case("data file does not exist")
def missing_data_file(tmp, model):
    p = tmp / "nope.csv"
    return train_table(p), rf"^{q(p)}: no such file or folder, and not a built-in dataset \("


@case("format not recognisable (no extension, unknown bytes)")
def unknown_format(tmp, model):
    p = write(tmp / "data", b"\x07\x07\x07\x07 hello")
    return train(p), rf"^{q(p)}: cannot tell the format from the name or the first bytes; pass `--kind` \("


@case("IDX: wrong magic number")
def idx_wrong_magic(tmp, model):
    images, _ = idx_pair(tmp, lambda data: b"\x01\x02" + data[2:])
    return (train(images, "--kind", "idx"),
            rf"^{q(images)}: not an IDX file: magic number 0x01020803 must start with two zero bytes\.$")


@case("IDX: unknown data type code")
def idx_unknown_dtype(tmp, model):
    images, _ = idx_pair(tmp, lambda data: data[:2] + b"\x07" + data[3:])
    return train(images, "--kind", "idx"), rf"^{q(images)}: unknown IDX data type code 0x07; expected one of"


@case("IDX: truncated data (wrong size)")
def idx_truncated(tmp, model):
    images, _ = idx_pair(tmp, lambda data: data[:-5])
    return train(images), rf"^{q(images)}: IDX data is truncated: expected 320 bytes, got 315\.$"


@case("IDX: bytes after the declared data (wrong size)")
def idx_trailing_bytes(tmp, model):
    images, _ = idx_pair(tmp, lambda data: data + b"xx")
    return train(images), rf"^{q(images)}: IDX file has 2 bytes after the declared 320 bytes of data\.$"


@case("IDX: header declares 2**31 images in a 336-byte file")
def idx_huge_declared_size(tmp, model):
    images, _ = idx_pair(tmp, lambda data: data[:4] + struct.pack(">I", 2**31) + data[8:])
    return train(images), rf"^{q(images)}: IDX data is truncated: expected 34359738368 bytes, got 320\.$"


@case("IDX: gzip stream cut short")
def idx_gzip_truncated(tmp, model):
    images, _ = idx_pair(tmp)
    gz = write(tmp / "train-images-idx3-ubyte.gz", gzip.compress(images.read_bytes())[:-12])
    images.unlink()
    return train(gz), rf"^{q(gz)}: the gzip stream is corrupt or truncated \("


@case("IDX: labels file of another length")
def idx_label_count(tmp, model):
    images, labels = idx_pair(tmp, n_labels=5)
    return (train(images),
            rf"^{q(labels)}: labels must have shape \(20,\) to match train-images-idx3-ubyte; got \(5,\)\.$")


@case("image folder with a non-image file")
def non_image_file(tmp, model):
    root = image_folder(tmp / "images")
    bad = write(root / "cat" / "notes.txt", "not a picture")
    return train(root), rf"^{q(bad)}: not an image Pillow can read\.$"


@case("image folder with a truncated PNG")
def truncated_png(tmp, model):
    root = image_folder(tmp / "images")
    bad = write(root / "dog" / "cut.png", (root / "dog" / "0.png").read_bytes()[:30])
    return train(root), rf"^{q(bad)}: "


@case("image folder with an empty class folder")
def empty_class_folder(tmp, model):
    root = image_folder(tmp / "images")
    (root / "bird").mkdir()
    return train(root), rf"^{q(root / 'bird')}: class folder 'bird' holds no images\.$"


@case("image folder with one class folder (K = 1)")
def single_class_folder(tmp, model):
    root = tmp / "images"
    for i in range(3):
        image(root / "cat" / f"{i}.png")
    return train(root), rf"^{q(root)}: training needs at least 2 classes; got 1\.$"


@case("image folder without class folders")
def flat_image_folder(tmp, model):
    root = tmp / "images"
    image(root / "a.png")
    return train(root), rf"^{q(root)}: no class sub-folders; training needs one folder of images per class\.$"


@case("NPZ without `y`")
def npz_without_y(tmp, model):
    p = tmp / "data.npz"
    np.savez(p, X=np.eye(4))
    return train(p), rf"^{q(p)}: no array 'y'; training needs labels \(save them with np\.savez\(\.\.\., X=X, y=y\)\)\.$"


@case("NPZ holding a pickled object array")
def npz_object_array(tmp, model):
    p = tmp / "data.npz"
    np.savez(p, X=np.eye(4), y=np.array(["a", 1, None, 2.5], dtype=object))
    return train(p), rf"^{q(p)}: array 'y' holds Python objects, which are refused \(loading them would unpickle\)"


@case("NPZ with NaN in X")
def npz_nan_in_x(tmp, model):
    p = tmp / "data.npz"
    np.savez(p, X=np.array([[1.0, 2.0], [np.nan, 1.0], [1.0, 1.0], [2.0, 2.0]]), y=np.array([0, 0, 1, 1]))
    return train(p), rf"^{q(p)}: `X` must be finite; got nan at row 2, column 1\.$"


@case("NPZ with zero feature columns")
def npz_zero_features(tmp, model):
    p = tmp / "data.npz"
    np.savez(p, X=np.zeros((4, 0)), y=np.array([0, 0, 1, 1]))
    return train(p), rf"^{q(p)}: there are no features \(`X` has shape \(4, 0\)\)\.$"


@case("NPZ that is not a zip archive")
def npz_corrupt(tmp, model):
    p = write(tmp / "data.npz", b"PK\x03\x04 then garbage")
    return train(p), rf"^{q(p)}: not a readable \.npz archive \("


@case("--out names an existing folder that is not a model directory")
def out_is_not_a_model_dir(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    write(tmp / "thesis" / "chapter1.txt", "precious")
    return (train_table(data, out=tmp / "thesis"),
            rf"^{q(tmp / 'thesis')}: exists and is not a model directory; it would not be replaced\.$")


_option_case("--batch-size", "0", r"^`--batch-size` must be an integer in \[1, 16,777,216\]; got '0'$")


_option_case("--batch-size", "-1", r"^`--batch-size` must be an integer in \[1, 16,777,216\]; got '-1'$")


_option_case("--epochs", "0", r"^`--epochs` must be an integer in \[1, 1,000,000\]; got '0'$")


_option_case("--epochs", "-3", r"^`--epochs` must be an integer in \[1, 1,000,000\]; got '-3'$")


_option_case("--patience", "0", r"^`--patience` must be an integer in \[1, 1,000,000\] or 'none'; got '0'$")


_option_case("--patience", "-2", r"^`--patience` must be an integer in \[1, 1,000,000\] or 'none'; got '-2'$")


_option_case("--lr", "nan", r"^`--lr` must be a number in \(0, 10\]; got 'nan'$")


_option_case("--lr", "inf", r"^`--lr` must be a number in \(0, 10\]; got 'inf'$")


_option_case("--lr", "-0.1", r"^`--lr` must be a number in \(0, 10\]; got '-0\.1'$")


_option_case("--val-split", "1", r"^`--val-split` must be a number in \[0, 1\); got '1'$")


_option_case("--dropout", "1.5", r"^`--dropout` must be a number in \[0, 1\); got '1\.5'$")


_option_case("--device", "tpu", r"^`--device` must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got 'tpu'\.$")


@case("`--device cuda` with no GPU", patch=_no_gpu)
def device_cuda_without_gpu(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    return (["train", str(data), "--target", "y", "--device", "cuda", "--out", str(tmp / "out")],
            r"^`--device` is 'cuda' but no CUDA GPU is available here; use 'cpu' or 'auto'\.$")


@case("model into a missing directory")
def model_out_in_missing_directory(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    out = tmp / "missing" / "model"
    return train_table(data, out=out), rf"^{q(out)}: the directory {q(tmp / 'missing')} does not exist\.$"


@case("model into a read-only folder, over a previous model (kept intact)", patch=_read_only("readonly"))
def model_out_in_read_only_folder(tmp, model):
    out = tmp / "readonly" / "model"
    out.parent.mkdir()
    shutil.copytree(model, out)
    data = write(tmp / "data.csv", GOOD)
    # The first write is the epoch-1 checkpoint beside the model: training stops there, not after the last epoch.
    checkpoint = out.with_name("model.checkpoint.safetensors")
    return train_table(data, "--hidden", "none", out=out), rf"^{q(checkpoint)}: cannot be written \(Permission denied\)\.$"


@case("disk full while saving the model, over a previous model (kept intact, no temporary files)", patch=_disk_full)
def disk_full_during_save(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    message = rf"^{q(model)}: cannot be written \(No space left on device\)\.$"
    # No checkpoint within the run, so the first write is the model itself.
    return train_table(data, "--hidden", "none", "--checkpoint-every", "1000", out=model), message


_option_case("--precision-floor", "0", r"^`--precision-floor` must be a number in \(0, 1\]; got '0'$")


_option_case("--precision-floor", "1.5", r"^`--precision-floor` must be a number in \(0, 1\]; got '1\.5'$")


def _flags_case(name: str, situation: str, flags: tuple, message: str) -> None:
    """A case of `train` on the good table (10 rows per class) with `flags`, refused as `message` says."""
    def build(tmp, model):
        return train_table(write(tmp / "data.csv", GOOD), *flags), message

    build.__name__ = name
    case(situation)(build)


_flags_case("monitor_val_cost_without_costs", "`--monitor val_cost` without `--cost-matrix`", ("--monitor", "val_cost"),
            r"^`--monitor` 'val_cost' prices the validation decisions with a cost matrix; give one with "
            r"`--cost-matrix`\.$")


_flags_case("set_groups_critical_without_critical", "`--set-groups critical` without `--critical`",
            ("--coverage", "0.9", "--set-groups", "critical"),
            r"^`--set-groups` 'critical' calibrates each critical class alone, and none is named; name them with "
            r"`--critical` or choose 'all' or 'marginal'\.$")


_flags_case("set_groups_without_coverage", "`--set-groups` without `--coverage`", ("--set-groups", "all"),
            r"^`--set-groups` shapes the prediction sets of `--coverage`; set `--coverage` too\.$")


_flags_case("set_calibration_without_coverage", "`--set-calibration` without `--coverage`",
            ("--set-calibration", "cross"),
            r"^`--set-calibration` shapes the prediction sets of `--coverage`; set `--coverage` too\.$")


# 95 % coverage needs 19 rows in each group; every row calibrates, 10 per class
_flags_case("cross_sets_too_few_rows",
            "`--set-calibration cross`: a class with too few rows for `--coverage` (refused before any model trains)",
            ("--coverage", "0.95", "--set-calibration", "cross", "--set-groups", "all"),
            r"^class 'x' has 10 calibration rows; 95 % coverage needs at least 19\. Give more rows, lower "
            r"`--coverage` or pool the classes \(`--set-groups` 'marginal'\)\.$")


def test_mixed_image_sizes_and_modes_are_resized_and_converted(tmp_path, capsys):
    """Not an error: odd sizes and modes (L, RGB, RGBA, P) are resized and converted, in training and prediction."""
    import json

    root = tmp_path / "images"
    for i, (size, mode) in enumerate([((4, 4), "RGB"), ((4, 4), "L"), ((7, 3), "RGBA"), ((4, 4), "P")]):
        image(root / "cat" / f"{i}.png", size=size, mode=mode)
        image(root / "dog" / f"{i}.png", size=(4, 4) if i != 1 else (9, 9), mode=mode, color=(20, 30, 200))
    model = tmp_path / "model"
    assert main(train(root, "--val-split", "0", out=model)) == 0
    info = json.loads((model / "model.json").read_text())
    assert info["data"]["image_shape"] == [4, 4, 3]  # the most common size; RGB, as most images are in colour
    new = tmp_path / "new"
    image(new / "big_grey.png", size=(30, 20), mode="L")
    image(new / "tiny_rgba.png", size=(2, 2), mode="RGBA")
    assert main(["predict", str(model), str(new), "--out", str(tmp_path / "p.csv")]) == 0
    capsys.readouterr()
    assert (tmp_path / "p.csv").read_text().count("\n") == 3  # header + two rows


def test_two_gigabyte_line_reads_only_about_16_mib(tmp_path, monkeypatch):
    """Memory stays bounded: the scanner gives up after MAX_LINE_BYTES of one line, whatever the file's size."""
    from multiclass.data import csv_checks, load_dataset
    from multiclass.exceptions import DataError

    read = []
    real_open = csv_checks._OPENERS[""]

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def read(self, n):
            data = self.handle.read(n)
            read.append(len(data))
            return data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setitem(csv_checks._OPENERS, "", lambda path, mode: Counting(real_open(path, mode)))
    path = write(tmp_path / "big.csv", "a,y\n1,")
    os.truncate(path, 2 * 2**30)
    with pytest.raises(DataError, match=r"line 2 is longer than 16777216 bytes"):
        load_dataset(path, target="y")
    assert sum(read) <= csv_checks.MAX_LINE_BYTES + 2 * 2**20


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    """The same case with MULTICLASS_LANG=es: the one line is the Spanish translation of the English message."""
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")
