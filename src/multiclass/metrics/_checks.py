"""Boundary checks for the metrics: turn user input into clean 1-D arrays, or raise a message that names the fix.

Every public metric calls these once, at its top; nothing below the boundary re-validates. Errors about the data
are `DataError`, errors about an option (``average``, ``zero_division``, ``k``, ...) are `ConfigError`; both
subclass `ValueError`, like scikit-learn's.
"""

from __future__ import annotations

import math
import sys
import warnings
from numbers import Integral, Real

import numpy as np

import multiclass.exceptions as exceptions
from multiclass.exceptions import ConfigError, DataError

AVERAGES = (None, "micro", "macro", "weighted")
_STRING_KINDS = "US"  # numpy kinds of str and bytes arrays
_NUMBER_KINDS = "biuf"  # bool, int, uint, float


def warn(message: str, category: type[Warning] | None = None) -> None:
    """Warn (default: `UndefinedMetricWarning`) with the location of the first caller outside this package, so
    the user sees their own line."""
    category = category or exceptions.UndefinedMetricWarning
    level, frame = 2, sys._getframe(1)  # stacklevel=2 is the caller of warn()
    while frame is not None and frame.f_globals.get("__name__", "").startswith("multiclass.metrics"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


# pandas' inferred kind of an object array -> the numpy type its labels become ("empty": an empty chunk)
_OBJECT_TARGETS = {"string": str, "bytes": str, "integer": np.int64, "boolean": bool, "floating": np.float64,
                   "mixed-integer-float": np.float64, "integer-na": np.float64, "empty": np.int64}


def _object_target(values, name: str) -> type:
    """The type the labels of an object array or list convert to; DataError on missing or mixed labels."""
    import pandas as pd  # lazy: only object arrays and lists of strings need it

    inferred = pd.api.types.infer_dtype(values, skipna=False)  # one C pass over the values
    if inferred in _OBJECT_TARGETS:
        return _OBJECT_TARGETS[inferred]
    values = np.asarray(values, dtype=object)
    missing = pd.isna(values)
    if missing.any():
        i = int(np.argmax(missing))
        raise DataError(f"`{name}` must contain no missing labels; got {values[i]!r} at index {i}.")
    raise DataError(f"`{name}` must hold labels of one kind (all strings or all numbers); got {inferred!r} values.")


def check_labels_1d(y, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return `y` as a 1-D numpy array of class labels (ints, bools, integral floats or strings).

    Raises DataError for 2-D input, an empty array, NaN/inf, non-integral floats and a mix of strings and numbers.
    """
    values = np.asarray(y)
    if isinstance(y, (list, tuple)) and values.dtype.kind == "U" and values.ndim == 1:
        _object_target(y, name)  # only to raise: numpy silently turns ['a', 1] into ['a', '1']
    if values.ndim != 1:
        raise DataError(f"`{name}` must be 1-D; got an array of shape {values.shape}.")
    if values.size == 0 and not allow_empty:
        raise DataError(f"`{name}` must contain at least one sample; got an empty array.")
    if values.dtype.kind == "O":
        values = values.astype(_object_target(values, name))
    if values.dtype.kind == "S":
        values = values.astype(str)
    kind = values.dtype.kind
    if kind not in _NUMBER_KINDS + "U":
        raise DataError(f"`{name}` must hold class labels (ints, bools or strings); got dtype {values.dtype}.")
    if kind == "f":
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"`{name}` must contain only finite labels; got {float(values[i])!r} at index {i}.")
        fractional = values != np.round(values)
        if fractional.any():
            i = int(np.argmax(fractional))
            raise DataError(
                f"`{name}` must hold class labels, not continuous values; got {float(values[i])!r} at index {i}."
            )
    return values


def label_kind(values: np.ndarray) -> str:
    """'string' or 'number': the two kinds of labels that may not be mixed (scikit-learn's rule)."""
    return "string" if values.dtype.kind in _STRING_KINDS else "number"


def check_same_kind(reference: np.ndarray, ref_name: str, other: np.ndarray, name: str) -> None:
    """DataError when `other` holds strings and `reference` numbers, or the reverse."""
    if other.size and reference.size and label_kind(reference) != label_kind(other):
        raise DataError(
            f"`{name}` must hold labels of the same kind as `{ref_name}`; "
            f"got {label_kind(other)}s and {label_kind(reference)}s."
        )


def check_same_length(reference: np.ndarray, ref_name: str, other, name: str) -> None:
    """DataError when `other` has a different number of samples than `reference`."""
    if len(other) != len(reference):
        raise DataError(
            f"`{name}` must have the same length as `{ref_name}`; got {len(other)} and {len(reference)}."
        )


def check_targets(y_true, y_pred, *, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of label vectors: both 1-D, same length, same kind of labels."""
    y_true = check_labels_1d(y_true, "y_true", allow_empty=allow_empty)
    y_pred = check_labels_1d(y_pred, "y_pred", allow_empty=allow_empty)
    check_same_length(y_true, "y_true", y_pred, "y_pred")
    check_same_kind(y_true, "y_true", y_pred, "y_pred")
    return y_true, y_pred


def check_label_set(labels, reference: np.ndarray, ref_name: str = "y_true") -> np.ndarray:
    """Validate an explicit `labels` argument: 1-D, non-empty, no duplicates, same kind as the data."""
    labels = check_labels_1d(labels, "labels")
    check_same_kind(reference, ref_name, labels, "labels")
    uniques = np.unique(labels)
    if len(uniques) != len(labels):
        raise DataError(f"`labels` must not contain duplicates; got {labels.tolist()!r}.")
    return labels


def check_sample_weight(sample_weight, y_true: np.ndarray, *, allow_all_zero: bool = False) -> np.ndarray | None:
    """Validate `sample_weight`: None, or a finite numeric 1-D array with one weight per sample, not all zero."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.ndim != 1:
        raise DataError(f"`sample_weight` must be 1-D; got an array of shape {weights.shape}.")
    check_same_length(y_true, "y_true", weights, "sample_weight")
    if weights.dtype.kind not in _NUMBER_KINDS:
        raise DataError(f"`sample_weight` must be numeric; got dtype {weights.dtype}.")
    if weights.dtype.kind == "f" and not np.isfinite(weights).all():
        i = int(np.argmax(~np.isfinite(weights)))
        raise DataError(f"`sample_weight` must be finite; got {float(weights[i])!r} at index {i}.")
    if not allow_all_zero and len(weights) and not weights.any():
        raise DataError("`sample_weight` must contain at least one non-zero weight; got all zeros.")
    return weights


def check_average(average) -> None:
    """ConfigError unless `average` is None, 'micro', 'macro' or 'weighted'."""
    if not (average is None or (isinstance(average, str) and average in AVERAGES)):
        raise ConfigError(f"`average` must be one of None, 'micro', 'macro', 'weighted'; got {average!r}.")


def check_zero_division(zero_division) -> str | float:
    """Return 'warn', 0.0, 1.0 or nan; ConfigError for anything else."""
    if isinstance(zero_division, str) and zero_division == "warn":
        return "warn"
    if isinstance(zero_division, Real) and (zero_division in (0, 1) or math.isnan(zero_division)):
        return float(zero_division)
    raise ConfigError(f"`zero_division` must be one of 'warn', 0, 1, np.nan; got {zero_division!r}.")


def check_beta(beta) -> float:
    """ConfigError unless `beta` is a real number >= 0 (inf allowed: F-inf is recall)."""
    if not isinstance(beta, Real) or isinstance(beta, bool) or not beta >= 0:
        raise ConfigError(f"`beta` must be a number >= 0; got {beta!r}.")
    return float(beta)


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """ConfigError unless `value` is an int (not a bool) >= `minimum`."""
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_bool(value, name: str) -> bool:
    """ConfigError unless `value` is a bool (numpy bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"`{name}` must be True or False; got {value!r}.")
    return bool(value)
