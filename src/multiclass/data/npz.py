"""NumPy ``.npz`` archives (arrays ``X``, ``y`` and optionally ``ids``) -> `Dataset`, standardized.

Archives are always opened with ``allow_pickle=False``: an ``.npz`` from elsewhere could otherwise run arbitrary
code when loaded, so an object array is refused with a `DataError` instead.
"""

from __future__ import annotations

import math
import struct
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from multiclass.data.dataset import Dataset
from multiclass.data.labels import encode_labels, errors_about, fit_classes
from multiclass.data.preprocessing import Preprocessor, StandardizePreprocessor
from multiclass.exceptions import DataError
from multiclass.membudget import check_allocation, human_bytes

__all__ = ["load_npz"]

ZIP_MAGIC = b"PK\x03\x04"
# What a damaged zip archive raises from the standard library: besides BadZipFile, a damaged header can claim an
# unsupported version or compression (NotImplementedError), encryption (RuntimeError) or an impossible size.
_ZIP_ERRORS = (OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, struct.error)


def _check_declared(path: Path, archive, name: str) -> None:
    """Refuse an array from its .npy header, before numpy allocates it: a shape larger than the bytes the archive
    holds for it (a forged header), or larger than the memory budget (a zip bomb inflating to gigabytes)."""
    member = archive.zip.getinfo(f"{name}.npy")
    with archive.zip.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(stream)
        header_bytes = stream.tell()
    declared = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if dtype.hasobject:
        return  # refused by np.load itself (allow_pickle=False), with its own message
    if math.prod(d for d in shape if d) * dtype.itemsize > np.iinfo(np.intp).max:  # even with a 0 dimension
        raise DataError(f"{path}: array {name!r} declares shape {tuple(shape)}, larger than any array can be.")
    if declared > member.file_size - header_bytes:
        raise DataError(f"{path}: array {name!r} declares shape {tuple(shape)} ({human_bytes(declared)}) but the "
                        f"archive holds {human_bytes(max(member.file_size - header_bytes, 0))} for it.")
    check_allocation(declared, f"{path}: array {name!r} of shape {tuple(shape)}")


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    if path.exists() and not path.is_file() and not path.is_dir():  # a FIFO, a device, a socket
        raise DataError(f"{path}: not a regular file (a pipe, a device or a socket); give a file.")
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    # np.load is given an open file (closed here on every path) because it leaks its own handle when the zip is bad
    with open(path, "rb") as handle:
        try:
            archive = np.load(handle, allow_pickle=False)
        except (ValueError, *_ZIP_ERRORS) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(f"{path}: not a readable .npz archive ({reason}).") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: is a single .npy array, not an .npz archive with arrays 'X' and 'y'.")
        arrays = {}
        with archive:
            for name in archive.files:
                if name not in ("X", "y", "ids"):
                    continue  # other arrays are allowed and not read
                try:
                    _check_declared(path, archive, name)
                except (ValueError, KeyError, *_ZIP_ERRORS) as exc:
                    if isinstance(exc, DataError):
                        raise
                    # a header numpy cannot read: np.load below says so in its own words
                try:
                    arrays[name] = archive[name]
                except ValueError as exc:
                    if "allow_pickle" in str(exc):
                        raise DataError(
                            f"{path}: array {name!r} holds Python objects, which are refused (loading them would "
                            "unpickle); save numbers or fixed-width strings."
                        ) from None
                    raise DataError(f"{path}: array {name!r} is corrupt ({exc}).") from None
                except _ZIP_ERRORS as exc:
                    raise DataError(f"{path}: array {name!r} is corrupt ({exc}).") from None
            present = archive.files
    if "X" not in arrays:
        raise DataError(f"{path}: no array 'X'; arrays present: {', '.join(map(repr, present)) or 'none'}.")
    return arrays


def load_npz(
    path: str | Path,
    *,
    preprocessor: Preprocessor | None = None,
    classes: Sequence[str] = (),
    with_labels: bool = True,
    target_dtype: str = "str",
) -> Dataset:
    """Load ``X`` (N, D) or image-like (N, H, W[, C]), ``y`` (N,) and optional ``ids`` (N,) from an ``.npz``.

    Parameters
    ----------
    path : str or Path
        The archive.
    preprocessor : Preprocessor, optional
        A fitted preprocessor: prediction mode (``y`` optional, encoded with ``classes``).
    classes, target_dtype
        The training classes and label dtype, used in prediction mode.

    Raises
    ------
    DataError
        Unreadable archive, object arrays, no ``X``, no ``y`` when training, mismatched lengths, non-finite ``X``.
    """
    path = Path(path)
    arrays = _read_arrays(path)
    X_raw = arrays["X"]
    if X_raw.ndim < 2 or X_raw.ndim > 4 or X_raw.dtype.kind not in "biuf":
        raise DataError(
            f"{path}: array 'X' must be numeric with shape (n_samples, n_features) or (n_samples, H, W[, C]); "
            f"got {X_raw.dtype} {X_raw.shape}."
        )
    n = X_raw.shape[0]
    for name in ("y", "ids"):
        if name in arrays and arrays[name].shape != (n,):
            raise DataError(f"{path}: array {name!r} must have shape ({n},) to match 'X'; got {arrays[name].shape}.")
    y = None
    with errors_about(str(path)):
        if preprocessor is None:
            if "y" not in arrays:
                raise DataError("no array 'y'; training needs labels (save them with np.savez(..., X=X, y=y)).")
            classes, target_dtype, y = fit_classes(arrays["y"], where="array 'y'")
            preprocessor = StandardizePreprocessor().fit(X_raw)
        elif "y" in arrays and with_labels:
            y = encode_labels(arrays["y"], classes, where="array 'y'")
        X = preprocessor.transform(X_raw)  # (N, D)
    image_shape = None
    if X_raw.ndim > 2:
        image_shape = (X_raw.shape[1], X_raw.shape[2], X_raw.shape[3] if X_raw.ndim == 4 else 1)
    return Dataset(
        X,
        y,
        tuple(classes),
        preprocessor.feature_names_,
        str(path),
        "npz",
        preprocessor,
        ids=arrays.get("ids"),
        image_shape=image_shape,
        target_dtype=target_dtype,
    )
