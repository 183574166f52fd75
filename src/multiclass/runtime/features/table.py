"""``table`` state -> features: the arithmetic of `multiclass.data.table.TablePreprocessor.transform`, column by
column into one preallocated matrix (numeric: standardized -- a ``log`` column's ``sign(x) ln(1 + |x|)`` --,
missing -> 0 = the mean; bool: 0/1, missing -> the training mean; a 0/1 indicator where training had missing
values; categorical: one-hot over the training categories, then ``<missing>`` when training had missing values,
then ``<unknown>``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError
from multiclass.runtime.features.base import FeatureMap
from multiclass.savedstate import is_positive_int, is_table_column_spec
from multiclass.skew import signed_log
from multiclass.runtime.schema import Field
from multiclass.runtime.values import bool_column, category_column, numeric_column

__all__ = ["TableFeatures", "MISSING", "UNKNOWN"]

MISSING, UNKNOWN = "<missing>", "<unknown>"
_FIELD_TYPES = {"numeric": "number", "bool": "boolean", "categorical": "category"}
_CHUNK_ROWS = 8192  # rows filled at a time: a chunk of 100 features is 3 MB, within the CPU caches


class TableFeatures(FeatureMap):
    """Typed table columns -> standardized numbers, 0/1 booleans, one-hot categories, missing indicators."""

    kind = "table"
    params_names = ("columns", "max_categories")
    array_names = ("mean", "scale", "bool_fill")

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], data: Mapping) -> None:
        super().__init__(params, arrays)
        self.param("max_categories", is_positive_int, "an int >= 1")
        specs = self.param("columns", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list of column specs")
        for spec in specs:
            if not is_table_column_spec(spec):
                raise ModelFileError("preprocessor 'table': column spec must be {name, type, missing_indicator"
                                     f"[, categories][, log]}}; got {spec!r:.200}.")
        self.specs = [dict(s) for s in specs]
        self.mean = self.array("mean", (sum(s["type"] == "numeric" for s in specs),))
        self.scale = self.array("scale", self.mean.shape)
        self.bool_fill = self.array("bool_fill", (sum(s["type"] == "bool" for s in specs),))
        self.fields = tuple(
            Field(s["name"], _FIELD_TYPES[s["type"]],
                  categories=tuple(s["categories"]) if s["type"] == "categorical" else None)
            for s in self.specs
        )
        self.index = [  # categorical columns: category -> its one-hot column
            {c: i for i, c in enumerate([*s["categories"], *([MISSING] if s["missing_indicator"] else [])])}
            if s["type"] == "categorical" else None
            for s in self.specs
        ]
        self.widths = [len(i) + 1 if i is not None else 1 + s["missing_indicator"] for s, i in zip(self.specs, self.index)]
        self.n_features = sum(self.widths)
        self._layout()

    def _layout(self) -> None:
        """Where each kind of column goes in X."""
        starts = np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(int).tolist()
        self.numeric_at = [at for at, s in zip(starts, self.specs) if s["type"] == "numeric"]
        self.numeric_flagged = [i for i, s in enumerate(s for s in self.specs if s["type"] == "numeric")
                                if s["missing_indicator"]]
        self.bool_at = [at for at, s in zip(starts, self.specs) if s["type"] == "bool"]
        self.bool_flagged = [i for i, s in enumerate(s for s in self.specs if s["type"] == "bool")
                             if s["missing_indicator"]]
        self.numeric_fields = [i for i, s in enumerate(self.specs) if s["type"] == "numeric"]
        self.numeric_logged = np.array([j for j, i in enumerate(self.numeric_fields) if self.specs[i].get("log")],
                                       dtype=np.intp)  # heavy-tailed: on a log scale first
        self.bool_fields = [i for i, s in enumerate(self.specs) if s["type"] == "bool"]
        # index arrays for the writes (a list would be converted on every call)
        self.numeric_index = _index(self.numeric_at)
        self.numeric_flag_index = _index([self.numeric_at[i] + 1 for i in self.numeric_flagged])
        self.bool_index = _index(self.bool_at)
        self.bool_flag_index = _index([self.bool_at[i] + 1 for i in self.bool_flagged])
        self.starts = starts

    def transform(self, columns, *, strict: bool = False, allow_extra: bool = True) -> np.ndarray:
        values, n = self.columns(columns, allow_extra=allow_extra)
        numeric = _numbers_at_once([values[i] for i in self.numeric_fields], strict)  # (N, n) or None
        if numeric is None:  # one float64 array per column, stacked a chunk of rows at a time below
            numeric = [numeric_column(values[i], self.specs[i]["name"], strict=strict) for i in self.numeric_fields]
        boolean = [bool_column(values[i], self.specs[i]["name"], strict=strict) for i in self.bool_fields]
        onehot = []
        for at, spec, index, column in zip(self.starts, self.specs, self.index, values):
            if index is not None:
                codes = [index.get(MISSING if v is None else v, len(index))  # unknown: the block's last column
                         for v in category_column(column, spec["name"], strict=strict)]
                onehot.append(at + np.array(codes, dtype=np.intp))
        X = np.zeros((n, self.n_features), dtype=np.float32)  # float64 values rounded once as they are stored
        for begin in range(0, n, _CHUNK_ROWS):  # a chunk of rows at a time: cache-friendly column writes
            rows = slice(begin, begin + _CHUNK_ROWS)
            block = X[rows]
            if self.numeric_at:
                raw = numeric[rows] if isinstance(numeric, np.ndarray) else _rows(numeric, rows)  # (rows, n)
                if self.numeric_logged.size:
                    raw = raw.copy() if raw.base is not None else raw
                    raw[:, self.numeric_logged] = signed_log(raw[:, self.numeric_logged])
                standardized = np.subtract(raw, self.mean, out=raw if raw.base is None else None)
                _fill(block, np.divide(standardized, self.scale, out=standardized), 0.0, self.numeric_index,
                      self.numeric_flagged, self.numeric_flag_index)
            if self.bool_at:
                _fill(block, _rows(boolean, rows), self.bool_fill, self.bool_index, self.bool_flagged,
                      self.bool_flag_index)
            for columns_hot in onehot:
                block[np.arange(len(block)), columns_hot[rows]] = 1.0
        return X


def _index(columns: list[int]) -> np.ndarray | slice:
    """Where a kind of column goes in X: a slice when the columns are adjacent (a plain strided copy, several times
    faster than writing through an index array), else an index array."""
    if columns and columns == list(range(columns[0], columns[0] + len(columns))):
        return slice(columns[0], columns[0] + len(columns))
    return np.array(columns, dtype=np.intp)


def _rows(columns: list[np.ndarray], rows: slice) -> np.ndarray:
    """(rows, n) float64 of a chunk of rows of n column arrays: stacked per chunk, within the CPU caches (stacking
    whole columns of a million rows at once costs several times more)."""
    return np.stack([column[rows] for column in columns], axis=1)


def _fill(block: np.ndarray, values: np.ndarray, fill, at: np.ndarray | slice, flagged: list[int],
          flag_at: np.ndarray | slice) -> None:
    """Columns `at` of a chunk: `values` (rows, n) float64 with missing ones replaced by `fill`, and the missing
    indicators of the `flagged` ones in columns `flag_at`."""
    missing = np.isnan(values)
    block[:, at] = np.where(missing, fill, values) if missing.any() else values
    if flagged:
        block[:, flag_at] = missing[:, flagged]


def _numbers_at_once(columns: list, strict: bool) -> np.ndarray | None:
    """(N, n) float64 of numeric columns that are lists of plain JSON numbers (a request's usual case), converted
    in one numpy call; None when any value needs `numeric_column` (missing, text, booleans, infinities), which
    then reads them one by one and names the bad one."""
    if not columns or not all(isinstance(c, list) for c in columns):
        return None
    if not {value.__class__ for column in columns for value in column} <= {float, int}:  # bool is not int here
        return None
    matrix = np.array(columns, dtype=np.float64).T  # (N, n)
    return None if np.isinf(matrix).any() else matrix
