"""Preprocessors: fitted maps from raw data to float32 features, saved as plain JSON values plus named arrays.

The model directory holds ``weights.safetensors`` + ``model.json`` and never a pickle, so every preprocessor can
describe itself completely as a *state*:

``state() -> (params, arrays)``
    ``params`` is a dict that ``json.dumps`` accepts (str keys; str, int, float, bool, None and lists/dicts of
    them). ``arrays`` maps plain identifiers (``"mean"``, ``"idf"``) to C-contiguous numeric numpy arrays
    (float64 or int64) that safetensors stores bit-exactly; the model file may prefix the names. Strings (column
    names, vocabularies) always live in ``params`` because safetensors holds numbers only.
``Cls.from_state(params, arrays)``
    Validates what it receives (missing or unexpected keys, wrong types, wrong array shapes ->
    `ModelFileError` naming the preprocessor and the key) and rebuilds a fitted preprocessor whose ``transform``
    gives byte-identical output.
``preprocessor_from_state(kind, params, arrays)``
    Rebuilds any registered preprocessor from its ``kind`` name, the way the model file does.

This module holds the base class, the registry and the two array preprocessors shared by several sources:
`ScalePreprocessor` (pixels / divisor) and `StandardizePreprocessor` (z-scores).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

import multiclass.exceptions as exceptions
from multiclass.exceptions import ConfigError, DataError, ModelFileError
from multiclass.savedstate import SavedState, is_name_list, is_positive_int  # noqa: F401 - re-exported

__all__ = [
    "Preprocessor",
    "ScalePreprocessor",
    "StandardizePreprocessor",
    "preprocessor_from_state",
    "register_preprocessor",
    "registered_kinds",
    "pixel_names",
]

_REGISTRY: dict[str, type[Preprocessor]] = {}


class Preprocessor(ABC):
    """A fitted transform from one source's raw data to features ``X`` (n_samples, n_features) float32.

    Subclasses set the class attribute ``kind`` (the registry name) and implement `fit`, `transform`,
    `state`, `from_state` and `feature_names_`. ``__init__`` only stores options; fitted state ends in ``_``.
    """

    kind: ClassVar[str]

    @abstractmethod
    def fit(self, raw: Any) -> Preprocessor:
        """Learn the parameters from training data and return ``self``."""

    @abstractmethod
    def transform(self, raw: Any) -> np.ndarray:
        """Map raw data to a float32 C-contiguous (n_samples, n_features) matrix."""

    def fit_transform(self, raw: Any) -> np.ndarray:
        """`fit` then `transform` the same data."""
        return self.fit(raw).transform(raw)

    @abstractmethod
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return ``(params, arrays)``: JSON-able values and named numeric arrays (see the module docstring)."""

    @classmethod
    @abstractmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Preprocessor:
        """Rebuild a fitted preprocessor from `state`'s output, validating it."""

    @property
    @abstractmethod
    def feature_names_(self) -> tuple[str, ...]:
        """Names of the output columns, in order."""

    def _check_fitted(self, attribute: str) -> None:
        if getattr(self, attribute, None) is None:
            raise exceptions.NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first.")


def register_preprocessor(cls: type[Preprocessor]) -> type[Preprocessor]:
    """Class decorator: make ``cls`` rebuildable by `preprocessor_from_state` under ``cls.kind``."""
    _REGISTRY[cls.kind] = cls
    return cls


def registered_kinds() -> tuple[str, ...]:
    """Names of every registered preprocessor kind, sorted."""
    importlib.import_module("multiclass.data.load")  # importing the readers registers every preprocessor
    return tuple(sorted(_REGISTRY))


def preprocessor_from_state(kind: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Preprocessor:
    """Rebuild a fitted preprocessor saved by ``state()``.

    Parameters
    ----------
    kind : str
        The preprocessor's ``kind`` (``"table"``, ``"tfidf"``, ``"image"``, ``"scale"``, ``"standardize"``).
    params : dict
        The JSON-able parameters.
    arrays : dict of str to ndarray
        The named arrays.

    Returns
    -------
    Preprocessor

    Raises
    ------
    ModelFileError
        If ``kind`` is unknown or the state is incomplete or malformed.
    """
    kinds = registered_kinds()
    if kind not in _REGISTRY:
        raise ModelFileError(f"unknown preprocessor kind {kind!r}; known kinds: {', '.join(kinds)}.")
    return _REGISTRY[kind].from_state(params, arrays)


def pixel_names(image_shape: tuple[int, int, int]) -> tuple[str, ...]:
    """Feature names of flattened (H, W, C) pixels in C order: ``pixel_<row>_<col>`` (+ ``_<channel>`` if C > 1).

    Examples
    --------
    >>> pixel_names((1, 2, 1))
    ('pixel_0_0', 'pixel_0_1')
    """
    height, width, channels = image_shape
    if channels == 1:
        return tuple(f"pixel_{r}_{c}" for r in range(height) for c in range(width))
    return tuple(f"pixel_{r}_{c}_{k}" for r in range(height) for c in range(width) for k in range(channels))


def as_numeric_matrix(raw: Any, n_features: int | None, what: str = "X") -> np.ndarray:
    """Flatten ``raw`` (N, ...) to a finite numeric (N, D) array; D must equal ``n_features`` when given."""
    array = np.asarray(raw)
    if array.dtype.kind not in "biuf":
        raise DataError(f"`{what}` must hold numbers; got dtype {array.dtype}.")
    if array.ndim < 2 or array.shape[0] == 0:
        raise DataError(f"`{what}` must have shape (n_samples, n_features) with n_samples >= 1; got {array.shape}.")
    matrix = array.reshape(array.shape[0], -1)  # (N, D)
    if n_features is not None and matrix.shape[1] != n_features:
        raise DataError(f"`{what}` must have {n_features} features per sample; got {matrix.shape[1]}.")
    if matrix.dtype.kind == "f" and not np.isfinite(matrix).all():
        row, col = np.argwhere(~np.isfinite(matrix))[0]
        raise DataError(f"`{what}` must be finite; got {float(matrix[row, col])!r} at row {row + 1}, column {col + 1}.")
    return matrix


@register_preprocessor
class ScalePreprocessor(Preprocessor):
    """Flatten image-like arrays and divide by a fixed constant (pixels / 255 -> [0, 1]); nothing is learned.

    Parameters
    ----------
    divisor : float, default=255.0
        Raw values are divided by this (255 for 8-bit pixels, 16 for scikit-learn's 4-bit digits).

    Examples
    --------
    >>> pre = ScalePreprocessor(255.0).fit(np.zeros((2, 2, 2), np.uint8))
    >>> pre.transform(np.full((1, 2, 2), 255, np.uint8))
    array([[1., 1., 1., 1.]], dtype=float32)
    """

    kind = "scale"

    def __init__(self, divisor: float = 255.0) -> None:
        self.divisor = divisor
        self.n_features_: int | None = None
        self.image_shape_: tuple[int, int, int] | None = None

    def fit(self, raw: Any) -> ScalePreprocessor:
        """Record the feature count and, for (N, H, W) or (N, H, W, C) input, the image shape."""
        if not (isinstance(self.divisor, (int, float)) and np.isfinite(self.divisor) and self.divisor > 0):
            raise ConfigError(f"`divisor` must be a finite number > 0; got {self.divisor!r}.")
        array = np.asarray(raw)
        self.n_features_ = as_numeric_matrix(array, None).shape[1]
        self.image_shape_ = (
            (*array.shape[1:3], array.shape[3] if array.ndim == 4 else 1) if array.ndim in (3, 4) else None
        )
        return self

    def transform(self, raw: Any) -> np.ndarray:
        """Return ``raw / divisor`` flattened to float32 (N, D), computed in float32."""
        self._check_fitted("n_features_")
        matrix = as_numeric_matrix(raw, self.n_features_)
        # float32 arithmetic: uint8 values are exact in float32 and one correctly rounded division per entry is
        # deterministic, so the output is byte-identical wherever it runs.
        return np.ascontiguousarray(matrix.astype(np.float32) / np.float32(self.divisor))

    @property
    def feature_names_(self) -> tuple[str, ...]:
        self._check_fitted("n_features_")
        if self.image_shape_ is not None:
            return pixel_names(self.image_shape_)
        return tuple(f"x{i}" for i in range(self.n_features_))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``params = {"divisor", "n_features", "image_shape"}``; no arrays."""
        self._check_fitted("n_features_")
        shape = list(self.image_shape_) if self.image_shape_ is not None else None
        return {"divisor": float(self.divisor), "n_features": self.n_features_, "image_shape": shape}, {}

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> ScalePreprocessor:
        saved = SavedState(cls.kind, params, arrays, param_names=("divisor", "n_features", "image_shape"))
        divisor = saved.param(
            "divisor",
            lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v > 0,
            "a finite number > 0",
        )
        n_features = saved.param("n_features", is_positive_int, "an int > 0")
        shape = saved.param(
            "image_shape",
            lambda v: (
                v is None
                or (
                    isinstance(v, list)
                    and len(v) == 3
                    and all(is_positive_int(s) for s in v)
                    and int(np.prod(v)) == n_features
                )
            ),
            f"null or [height, width, channels] with {n_features} pixels in all",
        )
        pre = cls(float(divisor))
        pre.n_features_, pre.image_shape_ = int(n_features), tuple(shape) if shape is not None else None
        return pre


@register_preprocessor
class StandardizePreprocessor(Preprocessor):
    """Z-scores per feature: ``(x - mean) / std`` with the training mean and population std (std 0 -> 1).

    Parameters
    ----------
    feature_names : sequence of str, optional
        Names of the input columns; default ``x0, x1, ...``.

    Examples
    --------
    >>> pre = StandardizePreprocessor().fit(np.array([[1.0], [3.0]]))
    >>> pre.transform(np.array([[1.0], [3.0]]))
    array([[-1.],
           [ 1.]], dtype=float32)
    """

    kind = "standardize"

    def __init__(self, feature_names: Sequence[str] | None = None) -> None:
        self.feature_names = feature_names
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, raw: Any) -> StandardizePreprocessor:
        """Learn per-column float64 mean and std (ddof=0, as scikit-learn's StandardScaler)."""
        matrix = as_numeric_matrix(raw, None).astype(np.float64)
        if self.feature_names is not None and len(self.feature_names) != matrix.shape[1]:
            raise DataError(
                f"`feature_names` must have one name per column ({matrix.shape[1]}); got {len(self.feature_names)}."
            )
        self.mean_ = matrix.mean(axis=0)
        std = matrix.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)  # a constant column becomes 0, not NaN
        return self

    def transform(self, raw: Any) -> np.ndarray:
        """Return float32 z-scores, computed in float64 then rounded once."""
        self._check_fitted("mean_")
        matrix = as_numeric_matrix(raw, self.mean_.shape[0]).astype(np.float64)
        return np.ascontiguousarray(((matrix - self.mean_) / self.scale_).astype(np.float32))

    @property
    def feature_names_(self) -> tuple[str, ...]:
        self._check_fitted("mean_")
        if self.feature_names is not None:
            return tuple(self.feature_names)
        return tuple(f"x{i}" for i in range(self.mean_.shape[0]))

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``params = {"n_features", "feature_names"}``, ``arrays = {"mean", "scale"}`` (float64, (n_features,))."""
        self._check_fitted("mean_")
        names = list(self.feature_names) if self.feature_names is not None else None
        params = {"n_features": int(self.mean_.shape[0]), "feature_names": names}
        return params, {"mean": self.mean_.copy(), "scale": self.scale_.copy()}

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> StandardizePreprocessor:
        saved = SavedState(
            cls.kind, params, arrays, param_names=("n_features", "feature_names"), array_names=("mean", "scale")
        )
        n = int(saved.param("n_features", is_positive_int, "an int > 0"))
        names = saved.param("feature_names", lambda v: v is None or is_name_list(v, n), f"null or {n} names")
        pre = cls(names)
        pre.mean_ = saved.array("mean", (n,))
        pre.scale_ = saved.array("scale", (n,))
        if not (pre.scale_ > 0).all():
            raise ModelFileError(f"preprocessor {cls.kind!r}: array 'scale' must be > 0 everywhere.")
        return pre
