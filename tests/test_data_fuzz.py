"""Fuzzing the readers: whatever bytes a file holds, a reader returns a result or raises `MulticlassError`.

Anything else (a pandas ParserError, an IndexError, a MemoryError from a header that declares 2**32 rows, a
RuntimeWarning, which pytest turns into an error for this package) would reach the user as a traceback.
"""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multiclass.data import Dataset, load_dataset, read_idx, write_idx
from multiclass.exceptions import MulticlassError

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        yield Path(folder)


def _load_or_refuse(path: Path, **options) -> None:
    try:
        dataset = load_dataset(path, **options)
    except MulticlassError:
        return
    assert isinstance(dataset, Dataset)
    assert np.isfinite(dataset.X).all() and dataset.X.shape[0] == len(dataset.y)


# --- tables ------------------------------------------------------------------------------------------------------

# Cells that stress the CSV reader: numbers, missing-value words, infinities, quotes, delimiters, non-ASCII text,
# and bytes that are not UTF-8.
CELLS = st.sampled_from(
    ["1", "-2.5", "1e308", "1e309", "nan", "NaN", "NA", "", "inf", "-inf", "True", "false", "x", "y", "é",
     '"', '"a,b"', ",", ";", "\t", "|", "\n", "\r\n", "0x1F", "007", " ", "\x00", "\ufeff", "ñandú"]
)


@st.composite
def csv_bytes(draw) -> bytes:
    """A table with a header naming a `y` column, rows of random cells and random delimiters: mostly almost valid."""
    n_cols = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(["a", "b", "y", "a", "", "ü"]), min_size=n_cols, max_size=n_cols))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=n_cols + 1), max_size=12))
    lines = [delimiter.join(names)] + [delimiter.join(row) for row in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(payload=st.one_of(st.binary(max_size=300), csv_bytes()), suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_table_loader_returns_a_dataset_or_a_multiclass_error(scratch, payload, suffix):
    path = scratch / f"table{suffix}"
    path.write_bytes(payload)
    _load_or_refuse(path, target="y")


@FUZZ
@given(payload=csv_bytes())
def test_text_loader_returns_a_dataset_or_a_multiclass_error(scratch, payload):
    path = scratch / "texts.csv"
    path.write_bytes(payload)
    _load_or_refuse(path, target="y", text_column="a")


@FUZZ
@given(payload=st.binary(max_size=300))
def test_gzipped_table_returns_a_dataset_or_a_multiclass_error(scratch, payload):
    path = scratch / "table.csv.gz"
    path.write_bytes(gzip.compress(payload) if payload[:1] != b"!" else payload)  # "!...": not gzip at all
    _load_or_refuse(path, target="y")


# --- IDX ---------------------------------------------------------------------------------------------------------


@st.composite
def idx_bytes(draw) -> bytes:
    """A valid IDX file, then damaged: header bytes replaced, cut short, bytes appended, sizes made huge."""
    dtype = draw(st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=4)))
    path = Path(tempfile.mkdtemp()) / "a.idx"
    write_idx(path, np.zeros(shape, dtype=dtype))
    data = bytearray(path.read_bytes())
    path.unlink()
    path.parent.rmdir()
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["byte", "cut", "append", "size"]))
        if how == "byte" and data:
            data[draw(st.integers(0, min(len(data), 12) - 1))] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[draw(st.integers(0, len(data))):]
        elif how == "append":
            data += draw(st.binary(min_size=1, max_size=8))
        elif how == "size" and len(data) >= 8:
            data[4:8] = struct.pack(">I", draw(st.sampled_from([0, 1, 2**16, 2**31, 2**32 - 1])))
    if draw(st.booleans()):
        return gzip.compress(bytes(data))[: draw(st.integers(0, 200))] if draw(st.booleans()) else gzip.compress(bytes(data))
    return bytes(data)


@FUZZ
@given(payload=st.one_of(st.binary(max_size=64), idx_bytes()))
def test_idx_reader_returns_an_array_or_a_multiclass_error(scratch, payload):
    path = scratch / "fuzz-idx1-ubyte"
    path.write_bytes(payload)
    try:
        array = read_idx(path)
    except MulticlassError:
        return
    assert isinstance(array, np.ndarray) and array.dtype.isnative


def test_idx_header_whose_sizes_overflow_int64_is_refused(scratch):
    """Four dimensions of 2**32 - 1 declare 2**128 values: int64 arithmetic would wrap around to a small number."""
    path = scratch / "overflow-idx4-ubyte"
    path.write_bytes(struct.pack(">BBBB4I", 0, 0, 0x08, 4, *[2**32 - 1] * 4))
    with pytest.raises(MulticlassError, match=r"IDX header declares shape \(4294967295, 4294967295, 4294967295, 4294967295\), beyond any array"):
        read_idx(path)


# --- NPZ ---------------------------------------------------------------------------------------------------------


@FUZZ
@given(payload=st.binary(max_size=300), keep=st.integers(0, 10_000))
def test_npz_loader_returns_a_dataset_or_a_multiclass_error(scratch, payload, keep):
    path = scratch / "arrays.npz"
    if keep % 2:  # half the time: a real archive, cut short or with its bytes overwritten
        np.savez(path, X=np.arange(12.0).reshape(4, 3), y=np.array([0, 1, 0, 1]))
        real = bytearray(path.read_bytes())
        cut = keep % len(real)
        real[cut : cut + len(payload)] = payload
        path.write_bytes(bytes(real))
    else:
        path.write_bytes(payload)
    _load_or_refuse(path)
