"""One input column -> numbers, booleans or category strings, with the table reader's meaning of every value, and
errors that name the field and the row but never repeat the value (a server must not echo what it was sent).

Two modes. *Lenient* values (what a CSV reader or a Python caller gives) mean what they mean in a DataFrame given
to `multiclass.data.table.TablePreprocessor`: None and NaN are missing, strings are parsed as numbers with pandas'
syntax (`parse_number`) or as the words true/false in any case. (Missing-value words such as "NA" are the CSV
reader's business: `multiclass.runtime.inputs` turns them into None, as pandas' reader does.) *Strict* values
(JSON) must already have the right JSON type: a number for a numeric field, true/false for a boolean one, a string
or a number for a category; null is missing. Rows are 1-based.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from multiclass.exceptions import DataError

__all__ = ["InputError", "bool_column", "category_column", "numeric_column", "parse_number"]

# What pandas takes as a number (its CSV reader and `pd.to_numeric`): ASCII digits, an optional exponent,
# inf/infinity in any case, spaces or tabs around; not 'nan', '1_000', '0x10', '1,5' or other scripts' digits,
# which Python's float() would take.
_NUMBER = re.compile(r"[ \t]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?)[ \t]*",
                     re.ASCII | re.IGNORECASE)
_BOOL_WORDS = {"true": 1.0, "false": 0.0}


class InputError(DataError):
    """A value or a field of the input is wrong: `field` and 1-based `row` (None when it is the whole input)."""

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None) -> None:
        where = " ".join(p for p in (f"field {field!r}" if field is not None else "",
                                     f"row {row}" if row is not None else "") if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.field, self.row = field, row


def parse_number(text: str) -> float | None:
    """The float of a number written as pandas' CSV reader accepts it, None if it is not one.

    Examples
    --------
    >>> parse_number(" 1.5e3"), parse_number("1_000"), parse_number("-Infinity")
    (1500.0, None, -inf)
    """
    return float(text) if _NUMBER.fullmatch(text) else None


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_missing(value: Any, strict: bool) -> bool:
    if value is None:
        return True
    return not strict and isinstance(value, float) and math.isnan(value)  # JSON has no NaN; pandas' missing value


def _plain(values: Sequence[Any] | np.ndarray) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def numeric_column(values, name: str, *, strict: bool = False) -> np.ndarray:
    """Float64 (N,) with NaN where missing.

    Raises
    ------
    InputError
        A value that is not a number (strict: not a JSON number), or an infinity.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in ("iuf" if strict else "iufb"):
        out = np.asarray(values, dtype=np.float64)  # no copy of float64; a pandas bool column counts as 0/1
    else:
        out = np.empty(len(values))
        for i, value in enumerate(_plain(values)):
            if _is_missing(value, strict):
                out[i] = np.nan
            elif _is_real(value):
                out[i] = float(value)
            elif not strict and isinstance(value, str) and (number := parse_number(value)) is not None:
                out[i] = number
            else:
                raise InputError("must be a number" + (" or null." if strict else "."), field=name, row=i + 1)
    bad = np.isinf(out)
    if bad.any():
        raise InputError("must be finite.", field=name, row=int(np.flatnonzero(bad)[0]) + 1)
    return out


def bool_column(values, name: str, *, strict: bool = False) -> np.ndarray:
    """0.0/1.0 (N,) for false/true (bools, or in text mode the words in any case), NaN where missing."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "b":
        return values.astype(np.float64)
    out = np.empty(len(values))
    for i, value in enumerate(_plain(values)):
        if _is_missing(value, strict):
            out[i] = np.nan
        elif isinstance(value, (bool, np.bool_)):
            out[i] = float(value)
        elif not strict and isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            out[i] = _BOOL_WORDS[value.strip().lower()]
        else:
            raise InputError("must be true or false" + (" or null." if strict else "."), field=name, row=i + 1)
    return out


def category_column(values, name: str, *, strict: bool = False) -> list[str | None]:
    """Each value's category string, None when missing; a whole float loses its '.0' (3.0 and 3 are one category),
    as `multiclass.data.columns.category_values`."""
    out: list[str | None] = []
    for i, value in enumerate(_plain(values)):
        if _is_missing(value, strict):
            out.append(None)
        elif isinstance(value, str):
            out.append(value)
        elif _is_real(value) and math.isfinite(value):
            out.append(str(int(value)) if isinstance(value, float) and value.is_integer() else str(value))
        elif not strict and not isinstance(value, (list, dict, bytes)):
            out.append(str(value))
        else:
            raise InputError("must be a string, a number or null.", field=name, row=i + 1)
    return out
