"""What every feature map shares: the checked reading of a saved ``(params, arrays)`` state, and the columns check."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from multiclass.runtime.schema import Field
from multiclass.savedstate import SavedState
from multiclass.runtime.values import InputError

__all__ = ["FeatureMap"]


class FeatureMap:
    """Base of the feature maps: ``fields``, ``n_features`` and ``transform``; subclasses read their state in
    ``__init__(params, arrays, data)`` through `param` and `array` (a one-line `ModelFileError` otherwise)."""

    kind: ClassVar[str]
    params_names: ClassVar[tuple[str, ...]]
    array_names: ClassVar[tuple[str, ...]] = ()
    fields: tuple[Field, ...]
    n_features: int

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        self._saved = SavedState(self.kind, params, arrays, param_names=self.params_names,
                                 array_names=self.array_names)

    @property
    def _where(self) -> str:
        return self._saved.where

    def param(self, name: str, check: Callable[[Any], bool], constraint: str) -> Any:
        """``params[name]`` if `check` accepts it."""
        return self._saved.param(name, check, constraint)

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """``arrays[name]``: float64 of `shape`, finite."""
        return self._saved.array(name, shape)

    @property
    def names(self) -> list[str]:
        """The field names, in order."""
        if "_names" not in self.__dict__:
            self._names = [f.name for f in self.fields]
            self.name_set = frozenset(self._names)
        return self._names

    def columns(self, columns: Mapping[str, Any], *, allow_extra: bool = True) -> tuple[list[Any], int]:
        """The value sequences of `fields` in order and their common length N; other columns are ignored unless
        `allow_extra` is False (a file may hold ids and labels; a request must hold the inputs only).

        Raises
        ------
        InputError
            A field is missing, an unknown field is given (`allow_extra` False), or the lengths differ.
        """
        names = self.names
        for name in names:
            if name not in columns:
                raise InputError("is required and missing.", field=name)
        if not allow_extra and len(columns) != len(names):
            extra = next(name for name in columns if name not in self.name_set)
            raise InputError("is not an input of this model.", field=str(extra)[:100])
        values = [columns[name] for name in names]
        lengths = {len(v) for v in values}
        if len(lengths) != 1:
            raise InputError(f"every field must have the same number of rows; got {sorted(lengths)[:5]}.")
        return values, lengths.pop()

    def transform(self, columns: Mapping[str, Sequence[Any]], *, strict: bool = False,
                  allow_extra: bool = True) -> np.ndarray:
        """Float32 (N, n_features) C-contiguous features of `columns` (field name -> N values); `strict` for JSON
        values (see `multiclass.runtime.values`)."""
        raise NotImplementedError
