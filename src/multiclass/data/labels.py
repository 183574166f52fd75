"""Class labels: pick the class list from training labels, encode labels as int64 codes, decode codes back.

Rules (shared by every source):
- integer labels (ints, or floats that are whole numbers) give classes sorted *numerically* then ``str()``'d, and
  ``target_dtype="int"`` so predictions can be written back as integers: ``[10, 2, 1] -> ("1", "2", "10")``;
- any other labels are compared as strings and sorted as strings (``target_dtype="str"``); booleans become
  ``"False"``/``"True"``;
- integers outside int64 (a uint64 such as 2**64 - 1) and whole floats beyond 2**53 (1e20, no longer an exact
  integer) are never wrapped or rounded: the labels are then text (``"18446744073709551615"``, ``"1e+20"``);
- a missing label (None, NaN, pandas' NA) in training data, or a non-integer float label, is a `DataError` naming
  the row (1-based, header not counted).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from multiclass.exceptions import DataError, DataWarning

__all__ = ["check_label_values", "fit_classes", "encode_labels", "decode_labels", "errors_about", "labelled_rows"]

_SHOWN = 10  # how many offending labels an error message lists before "..."
_INT64_MAX = 2**63 - 1
_EXACT_FLOAT = 2**53  # floats above it are whole numbers, but no longer exact integers: labels as text


@contextmanager
def errors_about(prefix: str) -> Iterator[None]:
    """Re-raise any `DataError` inside the block as ``"<prefix>: <message>"`` (e.g. the file name)."""
    try:
        yield
    except DataError as exc:
        raise DataError(f"{prefix}: {exc}") from None


def _where(where: str | None, row: int | None = None) -> str:
    parts = ([where] if where else []) + ([f"row {row}"] if row is not None else [])
    return " ".join(parts) + ": " if parts else ""


def listing(values: Sequence[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:_SHOWN])
    return shown + (", ..." if len(values) > _SHOWN else "")


def _normalize(values: Any, where: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return labels as an object array of str and, when every label is an integer, the int64 values too."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise DataError(f"{_where(where)}labels must be one-dimensional; got shape {array.shape}.")
    if array.dtype.kind in "iu":
        if array.size and array.dtype.kind == "u" and int(array.max()) > _INT64_MAX:  # kept exact, as text
            return array.astype(str).astype(object), None
        ints = array.astype(np.int64)
        return ints.astype(str).astype(object), ints
    if array.dtype.kind == "b":
        return np.where(array, "True", "False").astype(object), None
    if array.dtype.kind in "US":
        return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in array], dtype=object), None
    if array.dtype.kind not in "fO":
        raise DataError(f"{_where(where)}labels must be integers or strings; got dtype {array.dtype}.")
    ints: list[int] = []
    strings: list[str] = []
    all_int = True
    for i, value in enumerate(array.tolist()):
        if _is_missing(value):
            raise DataError(f"{_where(where, i + 1)}the label is missing.")
        if isinstance(value, bool):
            all_int = False
            strings.append(str(value))
        elif isinstance(value, int):
            all_int = all_int and abs(value) <= _INT64_MAX  # a larger one is kept exact, as text
            ints.append(value)
            strings.append(str(value))
        elif isinstance(value, float) and abs(value) > _EXACT_FLOAT:  # a whole float, but not an exact integer
            all_int = False
            strings.append(repr(value))
        elif isinstance(value, float):
            if not value.is_integer():
                raise DataError(
                    f"{_where(where, i + 1)}label {value!r} is not a whole number; class labels must be "
                    "integers or strings."
                )
            ints.append(int(value))
            strings.append(str(int(value)))
        else:
            all_int = False
            strings.append(value.decode() if isinstance(value, bytes) else str(value))
    return np.array(strings, dtype=object), (np.array(ints, dtype=np.int64) if all_int and array.size else None)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType"


def labelled_rows(labels: Any, *, source: str, column: str, purpose: str) -> np.ndarray | None:
    """Where a file's labels are given: None when all are (or none is, outside training), else a boolean mask of
    the labelled rows, and one `DataWarning` saying how many rows are left out of `purpose` ("training", "the
    evaluation") and naming the first (rows counted from 1, as every error counts them).

    A row without a label cannot be learnt from or scored: R's and pandas' data sets mark an unknown answer ``NA``
    (carData's Chile: 168 of 2,700 voters), and one such row stopped training. The estimator's `y` stays strict
    (`check_label_values`), as scikit-learn's is.

    Raises
    ------
    DataError
        Every label is missing and `purpose` is "training".
    """
    missing = np.array([_is_missing(value) for value in np.asarray(labels, dtype=object).tolist()], dtype=bool)
    if missing.size and missing.all() and purpose == "training":
        raise DataError(f"column {column!r}: every label is missing; training needs labelled rows.")
    if not missing.any() or missing.all():
        return None
    first = int(np.flatnonzero(missing)[0]) + 1
    warnings.warn(f"{source}: {int(missing.sum()):,} of {len(missing):,} rows have no label in column {column!r} "
                  f"(the first: row {first}); they are left out of {purpose}.", DataWarning, stacklevel=3)
    return ~missing


def check_label_values(values: Any, *, name: str = "y") -> None:
    """Refuse labels that are missing (None, NaN, pandas' NA) or mix numbers and text, naming the row (from 1).

    For the estimator's `y`, before scikit-learn's checks (which would fail deep inside with a TypeError).

    Raises
    ------
    DataError
        ```<name>` row <i>: the label is missing.`` or `` `<name>` mixes numbers and text ...``.
    """
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if array.dtype.kind in "iub" or array.dtype.kind in "US":
        return
    if array.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(array.ravel()))
        if missing.size:
            raise DataError(f"`{name}` row {missing[0] + 1}: the label is missing.")
        return
    first: dict[str, tuple[int, Any]] = {}
    for i, value in enumerate(array.ravel().tolist()):
        if _is_missing(value):
            raise DataError(f"`{name}` row {i + 1}: the label is missing.")
        kind = "text" if isinstance(value, (str, bytes)) else "number" if isinstance(value, (int, float)) else None
        if kind is not None and not isinstance(value, bool):
            first.setdefault(kind, (i + 1, value))
    if len(first) == 2:
        (row_a, a), (row_b, b) = sorted(first.values(), key=lambda pair: pair[0])
        raise DataError(f"`{name}` mixes numbers and text (row {row_a}: {a!r}, row {row_b}: {b!r}); give every "
                        "label the same type.")


def fit_classes(values: Any, *, where: str | None = None) -> tuple[tuple[str, ...], str, np.ndarray]:
    """Choose the classes from training labels and encode them.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        Training labels: ints, whole floats, strings or bools.
    where : str, optional
        What holds the labels, for error messages (``"column 'label'"``, ``"array 'y'"``).

    Returns
    -------
    classes : tuple of str
        Class names in code order.
    target_dtype : {"int", "str"}
        ``"int"`` when every label is an integer.
    y : ndarray of shape (n_samples,), int64
        Codes into ``classes``.

    Examples
    --------
    >>> fit_classes([10, 2, 2, 1])
    (('1', '2', '10'), 'int', array([2, 1, 1, 0]))
    >>> fit_classes(["b", "a"])[:2]
    (('a', 'b'), 'str')
    """
    strings, ints = _normalize(values, where)
    if strings.size == 0:
        raise DataError(f"{_where(where)}there are no labels; training needs at least one labelled sample.")
    if ints is not None:
        uniques, codes = np.unique(ints, return_inverse=True)
        return tuple(str(v) for v in uniques.tolist()), "int", codes.astype(np.int64)
    uniques, codes = np.unique(strings, return_inverse=True)  # str comparison sort
    return tuple(uniques.tolist()), "str", codes.astype(np.int64)


def encode_labels(values: Any, classes: Sequence[str], *, where: str | None = None) -> np.ndarray:
    """Encode labels as int64 codes into ``classes``; labels never seen in training are a `DataError`.

    Examples
    --------
    >>> encode_labels([2.0, 1], ("1", "2"))
    array([1, 0])
    """
    strings, _ = _normalize(values, where)
    index = {name: code for code, name in enumerate(classes)}
    uniques, inverse = np.unique(strings, return_inverse=True)
    unseen = [u for u in uniques.tolist() if u not in index]
    if unseen:
        raise DataError(
            f"{_where(where)}labels never seen in training: {listing(unseen)}; the model knows "
            f"{listing(list(classes))}."
        )
    lookup = np.array([index[u] for u in uniques.tolist()], dtype=np.int64)
    return lookup[inverse.reshape(-1)] if strings.size else np.zeros(0, np.int64)


def decode_labels(codes: Any, classes: Sequence[str], target_dtype: str) -> np.ndarray:
    """Map codes back to labels: int64 values when ``target_dtype == "int"``, else an object array of str.

    Examples
    --------
    >>> decode_labels([1, 0], ("1", "10"), "int")
    array([10,  1])
    """
    codes = np.asarray(codes, dtype=np.int64)
    if target_dtype == "int":
        return np.array([int(c) for c in classes], dtype=np.int64)[codes]
    return np.array(list(classes), dtype=object)[codes]
