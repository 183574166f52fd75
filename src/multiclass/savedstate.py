"""Checked reading of a saved preprocessor state ``(params, arrays)``: every missing, unexpected or malformed entry
is a one-line `ModelFileError` naming the preprocessor and the key. Shared by the preprocessors of `multiclass.data`
and the torch-free feature maps of `multiclass.runtime`, which read the same states (numpy only: no pandas here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError

__all__ = ["SavedState", "is_name_list", "is_positive_int", "is_table_column_spec"]


class SavedState:
    """Checked access to a saved ``(params, arrays)`` pair; every problem is a one-line `ModelFileError`."""

    def __init__(
        self,
        kind: str,
        params: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        *,
        param_names: Sequence[str],
        array_names: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.where = f"preprocessor {kind!r}"
        if not isinstance(params, Mapping):
            raise ModelFileError(f"{self.where}: params must be a dict; got {type(params).__name__}.")
        if not isinstance(arrays, Mapping):
            raise ModelFileError(f"{self.where}: arrays must be a dict; got {type(arrays).__name__}.")
        self._check_keys("parameter", params, param_names)
        self._check_keys("array", arrays, array_names)
        self.params, self.arrays = params, arrays

    def _check_keys(self, what: str, given: Mapping[str, Any], expected: Sequence[str]) -> None:
        missing = [k for k in expected if k not in given]
        if missing:
            raise ModelFileError(f"{self.where}: saved state lacks {what} {missing[0]!r}.")
        extra = sorted(set(given) - set(expected))
        if extra:
            raise ModelFileError(f"{self.where}: saved state has unexpected {what} {extra[0]!r}.")

    def param(self, name: str, check: Callable[[Any], bool], constraint: str) -> Any:
        """Return ``params[name]`` if ``check`` accepts it, else raise naming ``constraint``."""
        value = self.params[name]
        if not check(value):
            raise ModelFileError(f"{self.where}: parameter {name!r} must be {constraint}; got {value!r}.")
        return value

    def array(self, name: str, shape: tuple[int, ...], dtype: str = "float64") -> np.ndarray:
        """Return ``arrays[name]`` as a fresh C-contiguous array after checking its shape, dtype and finiteness."""
        value = self.arrays[name]
        if not isinstance(value, np.ndarray) or value.shape != shape or value.dtype != np.dtype(dtype):
            got = f"shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray) else repr(value)
            raise ModelFileError(f"{self.where}: array {name!r} must have shape {shape} and dtype {dtype}; got {got}.")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise ModelFileError(f"{self.where}: array {name!r} holds NaN or infinite values.")
        return np.array(value, order="C", copy=True)


def is_positive_int(value: Any) -> bool:
    """True for a Python/numpy int > 0 that is not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def is_name_list(value: Any, n: int | None = None) -> bool:
    """True for a list of str (of length ``n`` when given)."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value) and (n is None or len(value) == n)


def is_table_column_spec(spec: Any) -> bool:
    """True for one column of a ``table`` preprocessor's state: ``{name, type, missing_indicator[, categories]
    [, log]}``, ``categories`` (a list of str) on a categorical column alone, ``log: true`` on a numeric one alone
    (the torch reader and the torch-free runtime check it alike)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return False
    kind = spec.get("type")
    keys = {"name", "type", "missing_indicator"} | ({"categories"} if kind == "categorical" else set())
    if "log" in spec and (spec["log"] is not True or kind != "numeric"):
        return False
    categories = spec.get("categories", [])
    return (set(spec) - {"log"} == keys and kind in ("numeric", "bool", "categorical")
            and isinstance(spec["missing_indicator"], bool) and is_name_list(categories))
