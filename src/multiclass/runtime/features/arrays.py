"""``scale`` and ``standardize`` states -> features: one numeric tensor per row (pixels of an IDX/npz image, or
ready features), divided by a constant in float32 or standardized in float64, as
`multiclass.data.preprocessing.ScalePreprocessor` / `StandardizePreprocessor`. A model saved without a
preprocessor is a ``scale`` map with divisor 1 (its features are used as given).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError
from multiclass.runtime.features.base import FeatureMap
from multiclass.savedstate import is_positive_int
from multiclass.runtime.schema import Field
from multiclass.runtime.values import InputError

__all__ = ["ScaleFeatures", "StandardizeFeatures", "numeric_rows"]

FIELD = "input"


def numeric_rows(column: Any, n_features: int, *, strict: bool) -> np.ndarray:
    """(N, n_features) finite numbers, flattened per row, of the dtype given (uint8 pixels stay uint8).

    Raises
    ------
    InputError
        A row that is not numbers, has the wrong number of them, or holds NaN or an infinity.
    """
    kinds = "iuf" if strict else "biuf"  # JSON true/false are not numbers
    try:
        array = np.asarray(column)
    except ValueError:  # ragged rows
        array = None
    if array is None or array.dtype.kind not in kinds or array.ndim < 1:
        for i, row in enumerate(column):  # find the row to name
            values = np.asarray(row, dtype=object).reshape(-1)
            if len(values) != n_features or not all(
                isinstance(v, (int, float, np.integer, np.floating)) and (not strict or not isinstance(v, bool))
                for v in values
            ):
                raise InputError(f"must be {n_features} numbers.", field=FIELD, row=i + 1)
        raise InputError(f"must be {n_features} numbers per row.", field=FIELD)
    matrix = array.reshape(len(array), -1)  # (N, D)
    if matrix.shape[1] != n_features:
        raise InputError(f"must be {n_features} numbers per row; got {matrix.shape[1]}.", field=FIELD, row=1)
    if matrix.dtype.kind == "f":
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            raise InputError("must be finite numbers (no NaN or infinity).", field=FIELD,
                             row=int(np.flatnonzero(~finite)[0]) + 1)
    return matrix


class ScaleFeatures(FeatureMap):
    """A numeric tensor per row, flattened and divided by a constant (pixels / 255)."""

    kind = "scale"
    params_names = ("divisor", "n_features", "image_shape")

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], data: Mapping) -> None:
        super().__init__(params, arrays)
        self.divisor = float(self.param("divisor", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                                        and np.isfinite(v) and v > 0, "a finite number > 0"))
        self.n_features = self.param("n_features", is_positive_int, "an int > 0")
        shape = self.param("image_shape", lambda v: v is None or (isinstance(v, list) and len(v) == 3 and all(
            is_positive_int(s) for s in v) and int(np.prod(v)) == self.n_features), "null or [height, width, channels]")
        self.fields = (Field(FIELD, "tensor", nullable=False, shape=tuple(shape) if shape else (self.n_features,)),)

    def transform(self, columns, *, strict: bool = False, allow_extra: bool = True) -> np.ndarray:
        (column,), _ = self.columns(columns, allow_extra=allow_extra)
        matrix = numeric_rows(column, self.n_features, strict=strict)
        # float32 arithmetic, one correctly rounded division per entry, as the preprocessor
        return np.ascontiguousarray(matrix.astype(np.float32) / np.float32(self.divisor))


class StandardizeFeatures(FeatureMap):
    """A numeric tensor per row, flattened and z-scored with the training mean and std (float64, rounded once)."""

    kind = "standardize"
    params_names = ("n_features", "feature_names")
    array_names = ("mean", "scale")

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], data: Mapping) -> None:
        super().__init__(params, arrays)
        self.n_features = self.param("n_features", is_positive_int, "an int > 0")
        self.param("feature_names", lambda v: v is None or (isinstance(v, list) and len(v) == self.n_features
                                                            and all(isinstance(s, str) for s in v)),
                   f"null or {self.n_features} names")
        self.mean = self.array("mean", (self.n_features,))
        self.scale = self.array("scale", (self.n_features,))
        if not (self.scale > 0).all():
            raise ModelFileError(f"{self._where}: array 'scale' must be > 0 everywhere.")
        self.fields = (Field(FIELD, "tensor", nullable=False, shape=(self.n_features,)),)

    def transform(self, columns, *, strict: bool = False, allow_extra: bool = True) -> np.ndarray:
        (column,), _ = self.columns(columns, allow_extra=allow_extra)
        matrix = numeric_rows(column, self.n_features, strict=strict).astype(np.float64)
        return np.ascontiguousarray(((matrix - self.mean) / self.scale).astype(np.float32))
