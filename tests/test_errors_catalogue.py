"""The bad-input catalogue: every case runs the CLI in-process and must end the same way.

Exit code 2; stderr is exactly one line, ``error: <message>``, the message matching the case's pattern (which names
the file, column, row or line and what is wrong); no traceback; and nothing on disk changed: every file under the
case's folder (and the output path, if it is outside) has the same bytes and mtime after the run as before, so no
output was written or half-written, no temporary file was left behind, and a previous model was not touched.

docs/errors.md lists the same cases with the messages they print (`test_docs_list_every_case` keeps it in step).
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import pickle
import re
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.numpy import save as save_safetensors

import multiclass.atomic
from multiclass.cli import main
from multiclass.data import write_idx
from multiclass.persistence import _canonical

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
QUIET = ["--epochs", "1", "--quiet"]


@dataclass(frozen=True)
class Case:
    name: str
    situation: str
    build: Callable[[Path, Path], tuple[list[str], str]]  # (folder, model dir) -> (argv, message pattern)
    patch: Callable[[pytest.MonkeyPatch, Path], None] | None = None


CASES: dict[str, Case] = {}


def case(situation: str, patch=None):
    """Register the decorated builder as a catalogue case."""

    def register(build):
        CASES[build.__name__] = Case(build.__name__, situation, build, patch)
        return build

    return register


def q(path: Path | str) -> str:
    return re.escape(str(path))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def train(data: Path, *extra: str, out: Path | None = None) -> list[str]:
    out = out if out is not None else data.parent / "out"
    return ["train", str(data), *extra, *QUIET, "--out", str(out)]


def train_table(data: Path, *extra: str, out: Path | None = None) -> list[str]:
    return train(data, "--target", "y", *extra, out=out)


GOOD = "a,b,y\n" + "".join(f"{2 * i},{i % 7},{'xyz'[i % 3]}\n" for i in range(30))  # a: not a row number


# --- tables ------------------------------------------------------------------------------------------------------


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
    return train(p), rf"^`target` must name the label column of {q(p)}; got None\. Available columns: 'a', 'b', 'y'\.$"


@case("target with a single class (K = 1)")
def single_class(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n2,x\n3,x\n")
    return train_table(p), rf"^{q(p)}: training needs at least 2 classes; got 1\.$"


@case("as many classes as rows (K = N): every class has one example")
def one_class_per_row(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,p\n2,q\n3,r\n")
    return train_table(p), (r"no class has 2 examples \(class 'p' has 1\); a stratified validation split needs at "
                            r"least 2 in some class \(add examples, pass validation data, or set val_split to 0\)\.$")


@case("missing (NaN) label")
def nan_label(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n2,NaN\n3,z\n")
    return train_table(p), rf"^{q(p)}: column 'y' row 2: the label is missing\.$"


@case("infinity in a numeric column")
def inf_in_numeric_column(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n2,x\ninf,z\n4,z\n")
    return train_table(p), rf"^{q(p)}: column 'a' row 3: value inf is not finite\.$"


@case("non-numeric garbage in a numeric column")
def garbage_in_numeric_column(tmp, model):
    rows = "".join(f"{i},{'xz'[i % 2]}\n" for i in range(1, 11))
    p = write(tmp / "data.csv", "a,y\n" + rows + "abc,z\n")
    return train_table(p), (rf"^{q(p)}: column 'a' row 11: value 'abc' is not numeric \(the other values are "
                            r"numbers; fix it, or name the column in `categorical` to treat it as categories\)\.$")


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


@case("non-UTF-8 bytes (Latin-1)")
def non_utf8(tmp, model):
    p = write(tmp / "data.csv", "a,c,y\n1,ok,x\n2,caf\xe9,x\n".encode("latin-1"))
    return train_table(p), rf"^{q(p)}: line 3 is not UTF-8 \(byte 0xE9\); save the file as UTF-8"


@case("UTF-16 file")
def utf16(tmp, model):
    p = write(tmp / "data.csv", "a,y\n1,x\n".encode("utf-16"))
    return train_table(p), rf"^{q(p)}: line 1 is not UTF-8 \(byte 0xFF\)"


@case("a binary file named .csv")
def binary_named_csv(tmp, model):
    p = write(tmp / "data.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return train_table(p), rf"^{q(p)}: line \d+ is not UTF-8 \(byte 0x[0-9A-F]{{2}}\)"


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
    return train(p), rf"^{q(p)}: cannot tell the format from the name or the first bytes; pass `kind` \("


# --- IDX ---------------------------------------------------------------------------------------------------------


def idx_pair(tmp: Path, images: bytes | None = None, n_labels: int = 20) -> tuple[Path, Path]:
    pixels = np.arange(20 * 4 * 4, dtype=np.uint8).reshape(20, 4, 4)
    image_path = write_idx(tmp / "train-images-idx3-ubyte", pixels)
    labels = write_idx(tmp / "train-labels-idx1-ubyte", np.arange(n_labels, dtype=np.uint8) % 2)
    if images is not None:
        image_path.write_bytes(images(image_path.read_bytes()) if callable(images) else images)
    return image_path, labels


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


# --- image folders -----------------------------------------------------------------------------------------------


def image(path: Path, size=(4, 4), mode="RGB", color=(200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color if mode in ("RGB", "RGBA") else color[0]).save(path)
    return path


def image_folder(root: Path) -> Path:
    for i in range(3):
        image(root / "cat" / f"{i}.png")
        image(root / "dog" / f"{i}.png", color=(20, 30, 200))
    return root


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


# --- NPZ ---------------------------------------------------------------------------------------------------------


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


# --- evaluate and predict ----------------------------------------------------------------------------------------


@case("labels at evaluate time that the model never saw")
def unseen_labels_at_evaluate(tmp, model):
    p = write(tmp / "new.csv", "a,b,y\n1,2,x\n3,4,w\n5,6,v\n")
    return (["evaluate", str(model), str(p)],
            rf"^{q(p)}: column 'y': labels never seen in training: 'v', 'w'; the model knows 'x', 'y', 'z'\.$")


@case("columns missing at predict time")
def missing_column_at_predict(tmp, model):
    p = write(tmp / "new.csv", "a,y\n1,x\n")
    return (["predict", str(model), str(p), "--out", str(tmp / "predictions.csv")],
            rf"^{q(p)}: missing column 'b' needed by the model; the data has columns: 'a', 'y'\.$")


@case("--top-k larger than the number of classes K")
def top_k_larger_than_k(tmp, model):
    p = write(tmp / "new.csv", "a,b\n1,2\n")
    return (["predict", str(model), str(p), "--top-k", "5", "--out", str(tmp / "predictions.csv")],
            r"^`top_k` must be an integer in \[1, 3\]; got 5\.$")


@case("data of another kind than the model's")
def kind_mismatch_at_predict(tmp, model):
    p = tmp / "new.npz"
    np.savez(p, X=np.eye(2))
    return (["predict", str(model), str(p), "--out", str(tmp / "predictions.csv")],
            rf"^{q(p)}: is npz data, but the model's preprocessor 'table' reads table data\.$")


# --- model directories -------------------------------------------------------------------------------------------


def forge(model: Path, weights: bytes | None = None, edit=None) -> None:
    """Change the model and fix both hashes, as a deliberate attacker would: the structural checks must catch it."""
    import json

    if weights is not None:
        (model / "weights.safetensors").write_bytes(weights)
    document = json.loads((model / "model.json").read_text())
    document.pop("checksum")
    document["weights"]["sha256"] = hashlib.sha256((model / "weights.safetensors").read_bytes()).hexdigest()
    if edit:
        edit(document)
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    (model / "model.json").write_text(json.dumps(document))


def predict_argv(tmp: Path, model: Path) -> list[str]:
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    return ["predict", str(model), str(data), "--out", str(tmp / "predictions.csv")]


@case("model directory does not exist")
def model_dir_missing(tmp, model):
    gone = tmp / "no_model"
    return predict_argv(tmp, gone), rf"^{q(gone)}: not a model directory \(expected a folder with model\.json and"


@case("model directory missing weights.safetensors")
def model_missing_weights(tmp, model):
    (model / "weights.safetensors").unlink()
    return predict_argv(tmp, model), rf"^{q(model)}: the model directory is missing weights\.safetensors\.$"


@case("model directory missing model.json")
def model_missing_json(tmp, model):
    (model / "model.json").unlink()
    return predict_argv(tmp, model), rf"^{q(model)}: the model directory is missing model\.json\.$"


@case("model.json of a wrong format version")
def model_wrong_format_version(tmp, model):
    forge(model, edit=lambda d: d.update(format_version=99))
    return (predict_argv(tmp, model),
            rf"^{q(model / 'model.json')}: format_version 99 is not supported by multiclass .* \(it reads version 1\)\.$")


@case("tampered model.json (a class renamed)")
def model_tampered_json(tmp, model):
    text = (model / "model.json").read_text()
    (model / "model.json").write_text(text.replace('"x"', '"evil"', 1))
    return (predict_argv(tmp, model),
            rf"^{q(model / 'model.json')}: checksum mismatch, the file was modified after it was written\.$")


@case("model.json that is not JSON")
def model_json_not_json(tmp, model):
    write(model / "model.json", "{not json")
    return predict_argv(tmp, model), rf"^{q(model / 'model.json')}: not valid JSON \("


@case("weights replaced by other weights (hash mismatch)")
def model_weights_replaced(tmp, model):
    write(model / "weights.safetensors", save_safetensors({"model.linears.0.weight": np.zeros((2, 2), np.float32)}))
    return (predict_argv(tmp, model),
            rf"^{q(model / 'weights.safetensors')}: SHA-256 does not match model\.json; the weights were replaced")


@case("weights of the wrong shape (hashes forged)")
def model_weights_wrong_shape(tmp, model):
    from safetensors.numpy import load

    tensors = load((model / "weights.safetensors").read_bytes())
    tensors["model.linears.0.weight"] = np.zeros((9, 2), np.float32)

    def declare(document):
        document["weights"]["tensors"]["model.linears.0.weight"]["shape"] = [9, 2]

    forge(model, save_safetensors(tensors), declare)
    message = (rf"^{q(model / 'weights.safetensors')}: tensor 'model\.linears\.0\.weight' has shape \(9, 2\), "
               r"the model needs \(4, 2\)\.$")
    return predict_argv(tmp, model), message


@case("weights file that is not safetensors: a .npy array (hashes forged)")
def model_weights_not_safetensors(tmp, model):
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 2), np.float32))
    forge(model, buffer.getvalue())  # its first 8 bytes, b"\x93NUMPY\x01\x00", read as a header length
    return (predict_argv(tmp, model),
            rf"^{q(model / 'weights.safetensors')}: not a safetensors file \(header length \d+ is impossible\)\.$")


class Payload:
    """Unpickling this creates the file `target`: the proof that nothing was unpickled is that it does not exist."""

    def __init__(self, target: Path):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@case("a pickle file offered as the model (never unpickled)")
def pickle_as_model(tmp, model):
    bad = write(tmp / "model.pkl", pickle.dumps(Payload(tmp / "PWNED")))
    return predict_argv(tmp, bad), rf"^{q(bad)}: not a model directory \(expected a folder with model\.json and"


@case("pickles in place of model.json and weights.safetensors (never unpickled)")
def pickles_in_model_dir(tmp, model):
    write(model / "model.json", pickle.dumps(Payload(tmp / "PWNED")))
    write(model / "weights.safetensors", pickle.dumps(Payload(tmp / "PWNED")))
    return predict_argv(tmp, model), rf"^{q(model / 'model.json')}: not valid JSON \('utf-8' codec can't decode"


@case("pickled weights with forged hashes (never unpickled)")
def pickled_weights_forged(tmp, model):
    forge(model, pickle.dumps(Payload(tmp / "PWNED")))
    return predict_argv(tmp, model), rf"^{q(model / 'weights.safetensors')}: not a safetensors file"


@case("--out names an existing folder that is not a model directory")
def out_is_not_a_model_dir(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    write(tmp / "thesis" / "chapter1.txt", "precious")
    return (train_table(data, out=tmp / "thesis"),
            rf"^{q(tmp / 'thesis')}: exists and is not a model directory; it would not be replaced\.$")


# --- hyperparameters ---------------------------------------------------------------------------------------------


def _option_case(flag: str, value: str, message: str):
    def build(tmp, model):
        data = write(tmp / "data.csv", GOOD)
        return ["train", str(data), "--target", "y", "--quiet", flag, value, "--out", str(tmp / "out")], message

    build.__name__ = f"option_{flag.strip('-').replace('-', '_')}_{value.replace('-', 'minus_').replace('.', '_')}"
    case(f"`{flag} {value}`")(build)


_option_case("--batch-size", "0", r"^`batch_size` must be an integer >= 1; got 0\.$")
_option_case("--batch-size", "-1", r"^`batch_size` must be an integer >= 1; got -1\.$")
_option_case("--epochs", "0", r"^`epochs` must be an integer >= 1; got 0\.$")
_option_case("--epochs", "-3", r"^`epochs` must be an integer >= 1; got -3\.$")
_option_case("--patience", "0", r"^`patience` must be an integer >= 1 or None; got 0\.$")
_option_case("--patience", "-2", r"^`patience` must be an integer >= 1 or None; got -2\.$")
_option_case("--lr", "nan", r"^`lr` must be a finite number > 0; got nan\.$")
_option_case("--lr", "inf", r"^`lr` must be a finite number > 0; got inf\.$")
_option_case("--lr", "-0.1", r"^`lr` must be a finite number > 0; got -0\.1\.$")
_option_case("--val-split", "1", r"^`val_split` must be in \[0, 1\); got 1\.0\.$")
_option_case("--dropout", "1.5", r"^`dropout` must be a float in \[0, 1\); got 1\.5\.$")
_option_case("--device", "tpu", r"^`device` must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got 'tpu'\.$")


def _no_gpu(monkeypatch, tmp):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@case("`--device cuda` with no GPU", patch=_no_gpu)
def device_cuda_without_gpu(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    return (["train", str(data), "--target", "y", "--device", "cuda", "--out", str(tmp / "out")],
            r"^`device` is 'cuda' but no CUDA GPU is available here; use 'cpu' or 'auto'\.$")


# --- outputs that cannot be written ------------------------------------------------------------------------------


@case("predictions into a missing directory")
def out_in_missing_directory(tmp, model):
    out = tmp / "missing" / "predictions.csv"
    argv = predict_argv(tmp, model)
    return argv[:-1] + [str(out)], rf"^{q(out)}: the directory {q(tmp / 'missing')} does not exist\.$"


@case("model into a missing directory")
def model_out_in_missing_directory(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    out = tmp / "missing" / "model"
    return train_table(data, out=out), rf"^{q(out)}: the directory {q(tmp / 'missing')} does not exist\.$"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
@case("predictions into /proc, where nothing can be created, even by root")
def out_under_proc(tmp, model):
    out = Path("/proc/predictions.csv")
    argv = predict_argv(tmp, model)
    return argv[:-1] + [str(out)], rf"^{q(out)}: cannot write into /proc \(No such file or directory\)\.$"


def _read_only(folder_name: str):
    """Creating anything in tmp/<folder_name> fails as in a read-only folder (root ignores chmod, so simulate)."""

    def patch(monkeypatch, tmp):
        real_mkstemp, real_mkdtemp = tempfile.mkstemp, tempfile.mkdtemp

        def refuse(real):
            def create(*args, dir=None, **kwargs):
                if dir is not None and Path(dir) == tmp / folder_name:
                    raise PermissionError(errno.EACCES, "Permission denied", str(dir))
                return real(*args, dir=dir, **kwargs)

            return create

        monkeypatch.setattr(tempfile, "mkstemp", refuse(real_mkstemp))
        monkeypatch.setattr(tempfile, "mkdtemp", refuse(real_mkdtemp))

    return patch


@case("predictions into a read-only folder", patch=_read_only("readonly"))
def out_in_read_only_folder(tmp, model):
    out = tmp / "readonly" / "predictions.csv"
    out.parent.mkdir()
    argv = predict_argv(tmp, model)
    return argv[:-1] + [str(out)], rf"^{q(out)}: cannot be written \(Permission denied\)\.$"


@case("model into a read-only folder, over a previous model (kept intact)", patch=_read_only("readonly"))
def model_out_in_read_only_folder(tmp, model):
    out = tmp / "readonly" / "model"
    out.parent.mkdir()
    shutil.copytree(model, out)
    data = write(tmp / "data.csv", GOOD)
    # The first write is the epoch-1 checkpoint beside the model: training stops there, not after the last epoch.
    checkpoint = out.with_name("model.checkpoint.safetensors")
    return train_table(data, "--hidden", "none", out=out), rf"^{q(checkpoint)}: cannot be written \(Permission denied\)\.$"


def _disk_full(monkeypatch, tmp):
    """The bytes go into the page cache, then flushing them to disk fails: the disk is full."""

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(multiclass.atomic.os, "fsync", full)


@case("streamed predictions, a value that is not a number (the batch and row named; previous predictions kept)")
def streamed_predict_bad_number(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n3,x\n")
    out = write(tmp / "predictions.csv", "previous,predictions\n")
    return (["predict", str(model), str(data), "--out", str(out), "--stream"],
            rf"^{q(data)} \(a batch starting at row 1\): column 'b' row 2: value 'x' is not numeric\.$")


@case("streamed evaluation of a table without the target column")
def streamed_evaluate_no_target(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    return (["evaluate", str(model), str(data), "--stream"],
            rf"^{q(data)}: evaluation needs labels \(column 'y'\); the data has none\.$")


@case("disk full while saving the model, over a previous model (kept intact, no temporary files)", patch=_disk_full)
def disk_full_during_save(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    message = rf"^{q(model)}: cannot be written \(No space left on device\)\.$"
    # No checkpoint within the run, so the first write is the model itself.
    return train_table(data, "--hidden", "none", "--checkpoint-every", "1000", out=model), message


@case("disk full while writing predictions, over previous predictions (kept intact)", patch=_disk_full)
def disk_full_during_predict(tmp, model):
    argv = predict_argv(tmp, model)
    write(Path(argv[-1]), "previous,predictions\n")
    return argv, rf"^{q(argv[-1])}: cannot be written \(No space left on device\)\.$"


# --- the test ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory) -> Path:
    """A 2-feature, 3-class table model with one hidden layer of 4 units, trained for one epoch."""
    root = tmp_path_factory.mktemp("catalogue")
    data = write(root / "train.csv", GOOD)
    model = root / "model"
    assert main(["train", str(data), "--target", "y", "--hidden", "4", *QUIET, "--out", str(model)]) == 0
    return model


def snapshot(*roots: Path) -> dict[str, tuple]:
    """path -> (size, mtime_ns, sha256 if under 1 MiB) of every file under `roots`, and every folder's presence."""
    state = {}
    for root in roots:
        paths = [root, *root.rglob("*")] if root.is_dir() else [root]
        for path in paths:
            if not os.path.lexists(path):
                continue
            if not path.is_file():  # a folder: its presence (its mtime moves when a temporary file comes and goes)
                state[str(path)] = ("folder",)
                continue
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 2**20 else None
            state[str(path)] = (info.st_size, info.st_mtime_ns, digest)
    return state


def _outputs(argv: list[str]) -> list[Path]:
    return [Path(argv[i + 1]) for i, flag in enumerate(argv[:-1]) if flag in ("--out", "--json")]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    entry = CASES[name]
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    argv, pattern = entry.build(tmp_path, model)
    if entry.patch:
        entry.patch(monkeypatch, tmp_path)
    watched = [tmp_path, *(p for p in _outputs(argv) if tmp_path not in p.parents)]
    before = snapshot(*watched)

    code = main(argv)

    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(pattern, lines[0].removeprefix("error: ")), f"{lines[0]!r} does not match {pattern!r}"
    assert code == 2
    assert snapshot(*watched) == before  # nothing written, half-written, left behind, or touched
    assert not (tmp_path / "PWNED").exists()


def test_the_pickle_payload_would_create_its_file(tmp_path):
    """The proof used by the pickle cases is sound: unpickling the payload does create the file."""
    pickle.loads(pickle.dumps(Payload(tmp_path / "PWNED"))).close()
    assert (tmp_path / "PWNED").exists()


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


def test_evaluate_with_fewer_rows_than_classes(trained_model, tmp_path, capsys):
    """Not an error: K = 3 classes and one labelled row; the absent classes get empty rows."""
    import json

    data = write(tmp_path / "one.csv", "a,b,y\n1,2,x\n")
    report = tmp_path / "evaluation.json"
    assert main(["evaluate", str(trained_model), str(data), "--json", str(report)]) == 0
    capsys.readouterr()
    assert json.loads(report.read_text())  # a complete JSON document (its layout belongs to the report's tests)


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


def test_docs_list_every_case():
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in CASES if f"`{name}`" not in text]
    assert not missing, f"docs/errors.md lacks {missing}"
    assert len(CASES) >= 40
