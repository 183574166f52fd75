"""``table`` state -> features: the arithmetic of `multiclass.data.table.TablePreprocessor.transform`, column by
column into one preallocated matrix (numeric: standardized, missing -> 0 = the mean; bool: 0/1, missing -> the
training mean; a 0/1 indicator where training had missing values; categorical: one-hot over the training
categories, then ``<missing>`` when training had missing values, then ``<unknown>``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError
from multiclass.runtime.features.base import FeatureMap, is_count
from multiclass.runtime.schema import Field
from multiclass.runtime.values import bool_column, category_column, numeric_column

__all__ = ["TableFeatures", "MISSING", "UNKNOWN"]

MISSING, UNKNOWN = "<missing>", "<unknown>"
_FIELD_TYPES = {"numeric": "number", "bool": "boolean", "categorical": "category"}
_CHUNK_ROWS = 8192  # rows filled at a time: a chunk of 100 features is 3 MB, within the CPU caches


def _valid_spec(spec: Any) -> bool:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return False
    keys = {"name", "type", "missing_indicator"} | ({"categories"} if spec.get("type") == "categorical" else set())
    categories = spec.get("categories", [])
    return (set(spec) == keys and spec["type"] in _FIELD_TYPES and isinstance(spec["missing_indicator"], bool)
            and isinstance(categories, list) and all(isinstance(c, str) for c in categories))


class TableFeatures(FeatureMap):
    """Typed table columns -> standardized numbers, 0/1 booleans, one-hot categories, missing indicators."""

    kind = "table"
    params_names = ("columns", "max_categories")
    array_names = ("mean", "scale", "bool_fill")

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], data: Mapping) -> None:
        super().__init__(params, arrays)
        self.param("max_categories", is_count, "an int >= 1")
        specs = self.param("columns", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list of column specs")
        for spec in specs:
            if not _valid_spec(spec):
                raise ModelFileError("preprocessor 'table': column spec must be {name, type, missing_indicator"
                                     f"[, categories]}}; got {spec!r:.200}.")
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

    def transform(self, columns, *, strict: bool = False, allow_extra: bool = True) -> np.ndarray:
        values, n = self.columns(columns, allow_extra=allow_extra)
        numeric, boolean, onehot = [], [], []  # (column index in X, values, spec) of each kind
        start = 0
        for spec, index, width, column in zip(self.specs, self.index, self.widths, values):
            name = spec["name"]
            if index is not None:
                codes = [index.get(MISSING if v is None else v, len(index))  # unknown: the block's last column
                         for v in category_column(column, name, strict=strict)]
                onehot.append(start + np.array(codes, dtype=np.intp))
            elif spec["type"] == "numeric":
                numeric.append((start, numeric_column(column, name, strict=strict), spec))
            else:
                boolean.append((start, bool_column(column, name, strict=strict), spec))
            start += width
        X = np.zeros((n, self.n_features), dtype=np.float32)  # float64 values rounded once as they are stored
        for begin in range(0, n, _CHUNK_ROWS):  # a chunk of rows at a time: cache-friendly column writes
            block, rows = X[begin : begin + _CHUNK_ROWS], slice(begin, begin + _CHUNK_ROWS)
            self._fill(block, numeric, rows, (self.mean, self.scale), standardize=True)
            self._fill(block, boolean, rows, (self.bool_fill, None), standardize=False)
            for columns_hot in onehot:
                block[np.arange(len(block)), columns_hot[rows]] = 1.0
        return X

    @staticmethod
    def _fill(block: np.ndarray, parts: list, rows: slice, stats: tuple, *, standardize: bool) -> None:
        """Numeric (standardized, missing -> 0, the mean) or bool (missing -> the training mean) columns of a chunk,
        with their missing indicators."""
        if not parts:
            return
        raw = np.stack([values[rows] for _, values, _ in parts], axis=1)  # (rows, columns) float64
        if standardize:
            raw = (raw - stats[0]) / stats[1]
            fill = 0.0
        else:
            fill = stats[0]
        missing = np.isnan(raw)
        block[:, [at for at, _, _ in parts]] = np.where(missing, fill, raw)
        flagged = [i for i, (_, _, spec) in enumerate(parts) if spec["missing_indicator"]]
        if flagged:
            block[:, [parts[i][0] + 1 for i in flagged]] = missing[:, flagged]
