"""IDX files (the MNIST format) -> arrays, and an images + labels pair -> `Dataset`.

Format (http://yann.lecun.com/exdb/mnist/): a big-endian uint32 magic ``0x0000TTNN`` where ``TT`` is the dtype code
(0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double) and ``NN`` the number of dimensions, then
``NN`` big-endian uint32 sizes, then the values in C order, big-endian. Files may be gzipped; that is detected by
the gzip magic bytes ``1f 8b``, not by the extension.
"""

from __future__ import annotations

import gzip
import math
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from multiclass.atomic import write_bytes_atomic
from multiclass.exceptions import DataError
from multiclass.data.dataset import Dataset
from multiclass.data.labels import encode_labels, errors_about, fit_classes
from multiclass.data.preprocessing import Preprocessor, ScalePreprocessor, StandardizePreprocessor

__all__ = ["read_idx", "write_idx", "is_idx_file", "load_idx", "find_labels_file"]

GZIP_MAGIC = b"\x1f\x8b"
DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in DTYPES.items()}
PIXEL_MAX = 255.0  # 8-bit pixels: /255 maps them onto [0, 1]
_CHUNK_BYTES = 16 * 2**20  # read 16 MiB at a time (MNIST's training images are 47 MB)
_MAX_TRAILING_COUNT = 16 * 2**20  # trailing bytes are counted up to this, then reported as "more than"


def _open(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it starts with the gzip magic (whatever its name)."""
    if path.exists() and not path.is_file() and not path.is_dir():  # a FIFO, a device, a socket
        raise DataError(f"{path}: not a regular file (a pipe, a device or a socket); give a file.")
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_at_most(handle: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes, read in chunks: memory follows what the file holds, not what its header claims."""
    parts, total = [], 0
    while total < limit and (chunk := handle.read(min(_CHUNK_BYTES, limit - total))):
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _count_rest(handle: BinaryIO) -> int | None:
    """Bytes left in the stream, or None beyond `_MAX_TRAILING_COUNT` (a gzip bomb is not decompressed whole)."""
    total = 0
    while chunk := handle.read(_CHUNK_BYTES):
        total += len(chunk)
        if total > _MAX_TRAILING_COUNT:
            return None
    return total


def is_idx_file(path: str | Path) -> bool:
    """True if the (possibly gzipped) file starts with a valid IDX magic number."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
        if head[:2] == GZIP_MAGIC:
            with gzip.open(path, "rb") as handle:
                head = handle.read(4)
    except (OSError, EOFError, zlib.error):
        return False
    return len(head) == 4 and head[:2] == b"\0\0" and head[2] in DTYPES and head[3] > 0


# numpy refuses arrays of more than 2**63 bytes (even empty ones, whose other dimensions it multiplies out).
_MAX_ARRAY_BYTES = 2**62


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a native-endian array of its declared shape and dtype.

    The data are streamed after the header is checked, so memory is bounded by the declared size and by what the
    file really holds: a header declaring 2**32 rows in a small file is refused without allocating them.

    Raises
    ------
    DataError
        Bad magic number, unknown dtype code, truncated header or data, trailing bytes, or a corrupt gzip stream,
        e.g. ``"train-images-idx3-ubyte.gz: IDX data is truncated: expected 47040000 bytes, got 123"``.
    """
    path = Path(path)
    try:
        with _open(path) as handle:
            head = _read_at_most(handle, 4)
            if len(head) < 4:
                raise DataError(
                    f"{path}: not an IDX file: {len(head)} bytes is too short for the 4-byte magic number."
                )
            (magic,) = struct.unpack(">I", head)
            code, ndim = head[2], head[3]
            if head[:2] != b"\0\0":
                raise DataError(f"{path}: not an IDX file: magic number 0x{magic:08X} must start with two zero bytes.")
            if code not in DTYPES:
                known = ", ".join(f"0x{c:02X}" for c in DTYPES)
                raise DataError(f"{path}: unknown IDX data type code 0x{code:02X}; expected one of {known}.")
            if ndim == 0:
                raise DataError(f"{path}: IDX header declares 0 dimensions; expected at least 1.")
            sizes = _read_at_most(handle, 4 * ndim)
            if len(sizes) < 4 * ndim:
                raise DataError(
                    f"{path}: IDX header is truncated: expected {4 + 4 * ndim} bytes, got {4 + len(sizes)}."
                )
            shape = struct.unpack(f">{ndim}I", sizes)
            dtype = np.dtype(DTYPES[code])
            expected = math.prod(shape) * dtype.itemsize  # Python ints: 4 sizes of 2**32 - 1 do not wrap around
            if math.prod(size for size in shape if size) * dtype.itemsize > _MAX_ARRAY_BYTES:
                # an empty array of absurd other dimensions still overflows numpy's size arithmetic
                raise DataError(f"{path}: IDX header declares shape {shape}, beyond any array this machine can hold.")
            data = _read_at_most(handle, expected + 1)
            got = len(data)
            if got < expected:
                raise DataError(f"{path}: IDX data is truncated: expected {expected} bytes, got {got}.")
            if got > expected:
                rest = _count_rest(handle)
                extra = f"{got - expected + rest}" if rest is not None else f"more than {_MAX_TRAILING_COUNT}"
                raise DataError(f"{path}: IDX file has {extra} bytes after the declared {expected} bytes of data.")
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; a cut stream is an EOFError
        raise DataError(f"{path}: the gzip stream is corrupt or truncated ({exc}).") from None
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, gzipped when ``compress`` (default: when the name ends in ``.gz``).

    The file appears atomically (temporary file + ``os.replace``).

    Raises
    ------
    DataError
        If the dtype has no IDX code (uint8, int8, int16, int32, float32, float64) or the array is 0-d.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim == 0 or array.ndim > 255:
        raise DataError(
            f"`array` must be 1-255 dimensional uint8, int8, int16, int32, float32 or float64; "
            f"got {array.ndim}-d {array.dtype}."
        )
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.dtype(DTYPES[code])).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)  # mtime=0: the same array always gives the same bytes
    atomic_write(path, payload)
    return path


def atomic_write(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a temporary file next to ``path``, then rename it over ``path`` (never half-written;
    the file gets the umask's mode, as every output: `multiclass.atomic`)."""
    write_bytes_atomic(path, payload)


def find_labels_file(images_path: str | Path) -> Path | None:
    """The labels file that pairs with an images file by MNIST naming (``*-images-idx3-*`` -> ``*-labels-idx1-*``).

    Examples
    --------
    >>> find_labels_file("does/not/exist/train-images-idx3-ubyte.gz") is None
    True
    """
    images_path = Path(images_path)
    name = re.sub(r"idx[34]", "idx1", images_path.name.replace("images", "labels"))
    if name == images_path.name:
        return None
    base = name.removesuffix(".gz")
    for candidate in (name, base + ".gz", base):
        if (images_path.parent / candidate).is_file():
            return images_path.parent / candidate
    return None


def load_idx(
    images: str | Path,
    labels: str | Path | None = None,
    *,
    preprocessor: Preprocessor | None = None,
    classes: Sequence[str] = (),
    with_labels: bool = True,
    target_dtype: str = "str",
) -> Dataset:
    """Load an IDX images file (N, H, W) or (N, H, W, C) and its labels file (N,) as a `Dataset`.

    uint8 images are scaled by the fixed `ScalePreprocessor` (/255 -> [0, 1]); other dtypes are standardized.

    Parameters
    ----------
    images : str or Path
        The images file; (N, D) feature matrices are accepted too (then ``image_shape`` is None).
    labels : str or Path, optional
        The labels file; default found by MNIST naming (`find_labels_file`).
    preprocessor : Preprocessor, optional
        A fitted preprocessor: prediction mode (labels optional, encoded with ``classes``).
    classes, target_dtype
        The training classes and label dtype, used in prediction mode.

    Raises
    ------
    DataError
        Malformed files, a labels file of another length, or (training) no labels file.
    """
    images = Path(images)
    pixels = read_idx(images)
    labels_path = Path(labels) if labels is not None else find_labels_file(images)
    if preprocessor is None and labels_path is None:
        raise DataError(f"{images}: no labels file found next to it (expected MNIST naming); pass `labels=`.")
    y = None
    if labels_path is not None:
        label_values = read_idx(labels_path)
        if label_values.ndim != 1 or len(label_values) != len(pixels):
            raise DataError(
                f"{labels_path}: labels must have shape ({len(pixels)},) to match {images.name}; "
                f"got {label_values.shape}."
            )
        with errors_about(str(labels_path)):
            if preprocessor is None:
                classes, target_dtype, y = fit_classes(label_values)
            elif with_labels:
                y = encode_labels(label_values, classes)
    if pixels.ndim not in (2, 3, 4):
        raise DataError(f"{images}: IDX images must have 2 to 4 dimensions (N, H, W[, C]); got shape {pixels.shape}.")
    with errors_about(str(images)):
        if preprocessor is None:
            preprocessor = ScalePreprocessor(PIXEL_MAX) if pixels.dtype == np.uint8 else StandardizePreprocessor()
            preprocessor.fit(pixels)
        X = preprocessor.transform(pixels)  # (N, H*W*C)
    image_shape = None
    if pixels.ndim > 2:
        image_shape = (pixels.shape[1], pixels.shape[2], pixels.shape[3] if pixels.ndim == 4 else 1)
    return Dataset(
        X,
        y,
        tuple(classes),
        preprocessor.feature_names_,
        str(images),
        "idx",
        preprocessor,
        image_shape=image_shape,
        target_dtype=target_dtype,
    )
