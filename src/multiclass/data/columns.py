"""One table column -> its type (numeric, bool, categorical) and its values, with errors naming column and row.

Rows in messages are 1-based data rows (a header line is not counted).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from multiclass.exceptions import DataError, DataWarning

__all__ = ["NUMERIC_TYPO_FRACTION", "infer_column_type", "is_code", "kept_categories", "numeric_values", "bool_values",
           "category_values", "text_among_numbers", "warn_code", "warn_codes"]

# A text column whose non-missing values are at least 90% numbers is a numeric column with typos, not categories;
# loading it as categorical would hide the typo. `categorical=` overrides. Unless it is a code: a column of at
# most CODE_VALUES distinct values, each seen CODE_REPEATS times on average (cars93's cylinders: 3, 4, 5, 6, 8 and
# 'rotary' in 93 rows), is read as categories with a warning (`text_among_numbers` finds the value to name), as
# scikit-learn's one-hot pipeline would read it; a run of distinct numbers with a word among them stays a typo.
NUMERIC_TYPO_FRACTION = 0.9
CODE_VALUES = 12
CODE_REPEATS = 4


def is_code(n_distinct: int, n_present: int) -> bool:
    """Whether a column of numbers and some text, with these counts, is a code read as categories."""
    return n_distinct <= CODE_VALUES and n_distinct * CODE_REPEATS <= n_present


# A category seen once in a wide column (more than WIDE_CATEGORIES distinct values in training: street names, plots,
# subjects) gets no one-hot column of its own: its weight would be learned from one row. It shares `<unknown>`
# with the categories never seen, which so learns what a rare value means -- and the layer is narrower (VIM's
# collisions: 1,305 street names, 694 seen once). A narrow column keeps every category, as scikit-learn's encoder.
WIDE_CATEGORIES = 30
RARE_CATEGORY_ROWS = 1


def kept_categories(counts: Mapping[str, int], max_categories: int) -> list[str]:
    """The categories of a column given a one-hot column each, sorted: the `max_categories` most frequent (ties by
    name), and in a wide column only those seen more than `RARE_CATEGORY_ROWS` times; the rest share
    ``<unknown>``."""
    kept = sorted(counts, key=lambda c: (-counts[c], c))[:max_categories]
    if len(counts) > WIDE_CATEGORIES:
        kept = [c for c in kept if counts[c] > RARE_CATEGORY_ROWS]
    return sorted(kept)


_BOOL_WORDS = {"true": 1.0, "false": 0.0}
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def numeric_values(series: pd.Series, name: str) -> np.ndarray:
    """Float64 values, NaN where missing; text that is not a number, or an infinity, is a `DataError`."""
    if pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64)
    elif pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(values) & ~series.isna().to_numpy()
        if bad.any():
            i = _first_bad(bad)
            raise DataError(f"column {name!r} row {i + 1}: value {series.iloc[i]!r} is not numeric.")
    if np.isinf(values).any():
        i = _first_bad(np.isinf(values))
        raise DataError(f"column {name!r} row {i + 1}: value {float(values[i])!r} is not finite.")
    huge = np.abs(values) > FLOAT32_MAX  # (NaN compares False) the network computes in float32
    if huge.any():
        i = _first_bad(huge)
        raise DataError(f"column {name!r} row {i + 1}: value {float(values[i])!r} is too large; the network "
                        f"computes in float32, whose numbers reach {FLOAT32_MAX:.4g} (rescale the column).")
    return values


def _bool_value(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, str):
        return _BOOL_WORDS.get(value.strip().lower())
    return None


def bool_values(series: pd.Series, name: str) -> np.ndarray:
    """0.0/1.0 for False/True (bools or the words, any case), NaN where missing; anything else is a `DataError`."""
    missing = series.isna().to_numpy()
    values = np.full(len(series), np.nan)
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if not missing[i]:
            parsed = _bool_value(value)
            if parsed is None:
                raise DataError(f"column {name!r} row {i + 1}: value {value!r} is not a boolean (True/False).")
            values[i] = parsed
    return values


def category_values(series: pd.Series) -> list[str | None]:
    """Each value as its category string (whole floats lose '.0', so 3 and 3.0 match), None when missing."""
    missing = series.isna().to_numpy()
    out: list[str | None] = []
    for value, is_missing in zip(series.to_numpy(dtype=object).tolist(), missing):
        if is_missing:
            out.append(None)
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value))
    return out


def infer_column_type(series: pd.Series, name: str) -> str:
    """``"bool"``, ``"numeric"`` or ``"categorical"`` from the training values (see `NUMERIC_TYPO_FRACTION`)."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    present = series.dropna()
    if len(present) and all(_bool_value(v) is not None for v in present.tolist()):
        return "bool"
    if len(present) == 0:
        return "categorical"  # text with no values at all: a single <missing> category
    parsed = pd.to_numeric(present, errors="coerce").notna().to_numpy()
    if parsed.all():
        return "numeric"
    if parsed.mean() >= NUMERIC_TYPO_FRACTION and not is_code(len(set(category_values(present))), len(present)):
        row, value = _first_text(series, parsed)
        raise DataError(
            f"column {name!r} row {row}: value {value!r} is not numeric (the other values are numbers; "
            "fix it, or name the column in `categorical` to treat it as categories)."
        )
    return "categorical"


def _first_text(series: pd.Series, parsed: np.ndarray) -> tuple[int, Any]:
    """(1-based row, value) of the first present value that `parsed` (one flag per present value) says is text."""
    i = int(np.flatnonzero(series.notna().to_numpy())[_first_bad(~parsed)])  # position, whatever the index
    return i + 1, series.iloc[i]


def text_among_numbers(series: pd.Series) -> tuple[int, Any] | None:
    """(1-based row, value) of the first text value of a column whose values are mostly (`NUMERIC_TYPO_FRACTION`)
    but not all numbers -- one `infer_column_type` read as a code's categories --, else None."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    present = series.dropna()
    parsed = pd.to_numeric(present, errors="coerce").notna().to_numpy()
    if not len(present) or parsed.all() or parsed.mean() < NUMERIC_TYPO_FRACTION:
        return None
    return _first_text(series, parsed)


def warn_codes(where: str, frame: pd.DataFrame, specs, forced) -> None:
    """One `DataWarning` per categorical column of `specs` (a preprocessor's) not in `forced` (``categorical``)
    that holds numbers and text: a code read as categories (`CODE_VALUES`), which may instead hide a typo."""
    for spec in specs:
        if spec["type"] != "categorical" or spec["name"] in forced or not _mixed(spec["categories"]):
            continue  # (only a column whose few categories mix numbers and words is read row by row)
        found = text_among_numbers(frame[spec["name"]])
        if found is not None:
            warn_code(where, spec["name"], *found, len(spec["categories"]))


def _mixed(categories) -> bool:
    """Whether a code's categories (at most `CODE_VALUES`) hold both numbers and words."""
    if len(categories) > CODE_VALUES:
        return False
    numbers = pd.to_numeric(pd.Series(categories, dtype=object), errors="coerce").notna()
    return bool(numbers.any() and not numbers.all())


def warn_code(where: str, name: str, row: int, value, n_categories: int) -> None:
    """The warning of a column of numbers and text read as categories (`warn_codes`; the streamed scan)."""
    warnings.warn(f"{where}: column {name!r} holds numbers and text (row {row}: {value!r}): read as {n_categories} "
                  "categories; name it in `categorical` to say so, or fix the value.", DataWarning, stacklevel=3)
