"""multiclass.data.idx: the IDX (MNIST) reader/writer, its error messages, and images + labels -> Dataset."""

import gzip
import struct

import numpy as np
import pytest

from multiclass.data import (
    load_dataset,
    load_for_prediction,
    load_idx,
    read_idx,
    write_idx,
)
from multiclass.data.idx import find_labels_file, is_idx_file
from multiclass.exceptions import DataError

from .data_helpers import (
    SHARED_MNIST,
    assert_dataset_invariants,
    assert_same_bytes,
    needs_shared_mnist,
    through_model_file,
)


@pytest.fixture
def mini_mnist(tmp_path):
    """12 random 28x28 uint8 images, labels 0..3, written gzipped with MNIST names."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = np.arange(12, dtype=np.uint8) % 4
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    return tmp_path, images, labels


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_write_then_read_every_dtype_gzipped_or_not(tmp_path, dtype, name):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = write_idx(tmp_path / name, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_gzip_is_detected_by_magic_bytes_not_extension(tmp_path):
    array = np.arange(6, dtype=np.uint8)
    raw_named_gz = write_idx(tmp_path / "raw.gz", array, compress=False)
    gz_named_raw = write_idx(tmp_path / "zipped.idx", array, compress=True)
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)
    assert is_idx_file(raw_named_gz) and is_idx_file(gz_named_raw)


def test_header_layout_is_big_endian(tmp_path):
    path = write_idx(tmp_path / "x.idx", np.array([[1, 2]], dtype=">i2"))
    assert path.read_bytes() == bytes([0, 0, 0x0B, 2]) + struct.pack(">II", 1, 2) + struct.pack(">hh", 1, 2)


def _raw(tmp_path, payload, name="file.idx"):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x00\x00", r"file\.idx: not an IDX file: 2 bytes is too short for the 4-byte magic number\.$"),
        (
            b"\x12\x34\x08\x01" + b"\0" * 8,
            r"file\.idx: not an IDX file: magic number 0x12340801 must start with two zero",
        ),
        (
            b"\x00\x00\x07\x01" + b"\0" * 8,
            (
                r"file\.idx: unknown IDX data type code 0x07; expected one of 0x08, 0x09, "
                r"0x0B, 0x0C, 0x0D, 0x0E\.$"
            ),
        ),
        (b"\x00\x00\x08\x00", r"file\.idx: IDX header declares 0 dimensions; expected at least 1\.$"),
        (b"\x00\x00\x08\x03\x00\x00", r"file\.idx: IDX header is truncated: expected 16 bytes, got 6\.$"),
        (
            b"\x00\x00\x08\x01\x00\x00\x00\x03" + b"\1\2\3\4",
            r"file\.idx: IDX file has 1 bytes after the declared 3 bytes",
        ),
    ],
)
def test_malformed_files_are_rejected_with_exact_messages(tmp_path, payload, message):
    with pytest.raises(DataError, match=message):
        read_idx(_raw(tmp_path, payload))


def test_truncated_gzipped_file_reports_expected_and_actual_bytes(tmp_path):
    header = bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 28, 28)
    path = _raw(tmp_path, gzip.compress(header + b"\0" * 123), name="file.gz")
    with pytest.raises(DataError, match=r"file\.gz: IDX data is truncated: expected 47040000 bytes, got 123\.$"):
        read_idx(path)


def test_cut_gzip_stream_and_missing_file(tmp_path):
    data = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]))
    with pytest.raises(DataError, match=r"cut\.gz: the gzip stream is corrupt or truncated"):
        read_idx(_raw(tmp_path, data[:-6], name="cut.gz"))
    with pytest.raises(DataError, match=r"absent\.idx: no such file\.$"):
        read_idx(tmp_path / "absent.idx")


def test_write_idx_rejects_dtypes_without_a_code(tmp_path):
    with pytest.raises(DataError, match=r"`array` must be 1-255 dimensional uint8, .*; got 2-d int64\."):
        write_idx(tmp_path / "x.idx", np.zeros((2, 2), np.int64))
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_pair_loads_as_scaled_images_and_round_trips(mini_mnist):
    folder, images, labels = mini_mnist
    ds = load_dataset(folder / "train-images-idx3-ubyte.gz")
    assert_dataset_invariants(ds)
    assert ds.kind == "idx" and ds.image_shape == (28, 28, 1) and ds.X.shape == (12, 784)
    assert ds.classes == ("0", "1", "2", "3") and ds.target_dtype == "int"
    np.testing.assert_array_equal(ds.y, labels)
    assert_same_bytes(ds.X, (images.reshape(12, -1).astype(np.float32) / np.float32(255)))
    assert ds.X.min() >= 0 and ds.X.max() <= 1
    again = load_for_prediction(
        folder / "train-images-idx3-ubyte.gz", through_model_file(ds.preprocessor), classes=ds.classes
    )
    assert_same_bytes(ds.X, again.X)
    np.testing.assert_array_equal(again.y, ds.y)


def test_labels_are_found_by_mnist_naming_or_required(tmp_path, mini_mnist):
    folder, *_ = mini_mnist
    assert find_labels_file(folder / "train-images-idx3-ubyte.gz") == folder / "train-labels-idx1-ubyte.gz"
    lonely = write_idx(tmp_path / "pixels.idx", np.zeros((2, 3, 3), np.uint8))
    with pytest.raises(
        DataError, match=r"pixels\.idx: no labels file found next to it \(expected MNIST naming\); pass"
    ):
        load_idx(lonely)


def test_labels_of_another_length_are_rejected(tmp_path):
    images = write_idx(tmp_path / "im.idx", np.zeros((3, 2, 2), np.uint8))
    labels = write_idx(tmp_path / "lab.idx", np.zeros(4, np.uint8))
    with pytest.raises(DataError, match=r"lab\.idx: labels must have shape \(3,\) to match im\.idx; got \(4,\)\.$"):
        load_idx(images, labels)


def test_non_uint8_images_are_standardized(tmp_path):
    images = write_idx(tmp_path / "im.idx", np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 2, 2))
    labels = write_idx(tmp_path / "lab.idx", np.array([0, 1, 0], np.uint8))
    ds = load_idx(images, labels)
    assert ds.preprocessor.kind == "standardize"
    np.testing.assert_allclose(ds.X.mean(axis=0), 0, atol=1e-6)


@needs_shared_mnist
@pytest.mark.needs_shared
def test_real_mnist_from_shared():
    images = read_idx(SHARED_MNIST / "train-images-idx3-ubyte.gz")
    labels = read_idx(SHARED_MNIST / "train-labels-idx1-ubyte.gz")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and set(np.unique(labels).tolist()) == set(range(10))
    ds = load_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz")
    assert ds.X.shape == (10000, 784) and ds.classes == tuple("0123456789")


def test_one_dimensional_images_file_is_rejected(tmp_path):
    images = write_idx(tmp_path / "flat.idx", np.zeros(3, np.uint8))
    labels = write_idx(tmp_path / "lab.idx", np.zeros(3, np.uint8))
    with pytest.raises(
        DataError,
        match=r"flat\.idx: IDX images must have 2 to 4 dimensions \(N, H, W\[, C\]\); got "
        r"shape \(3,\)\.$",
    ):
        load_idx(images, labels)
