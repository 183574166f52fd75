"""Free text in a table: a column of sentences is text data, not categories.

One-hot encoding a column of titles, reviews or tweets matches only the values seen in training (a new sentence is
all zeros), or, with a distinct value on most rows, leaves it out as a row identifier. A table whose only feature is
such a column is read as text (TF-IDF, `multiclass.data.text`) unless the user said otherwise; a free-text column
among other features is named in a warning with the option that reads it as text.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from multiclass.data.screening import column_facts, left_out_reason
from multiclass.data.table_format import FORMAT_OPTIONS, TableFormat, given_formats, sniff_format
from multiclass.data.table_io import missing_value_options
from multiclass.exceptions import ConfigError, DataError, DataWarning

__all__ = ["FREE_TEXT_MIN_WORDS", "free_text_columns", "read_free_text"]

# A column is free text when its values have a median of this many words or more ...
FREE_TEXT_MIN_WORDS = 4
# ... and at least this share of them are distinct (a category of long names repeats).
FREE_TEXT_MIN_DISTINCT = 0.5
# Fewest values to tell from, the rows read to tell, and the rows that tell numeric columns apart first.
FREE_TEXT_MIN_VALUES = 10
PEEK_ROWS = 2_000
HEAD_ROWS = 50
# The options a table read as text still takes (`multiclass.data.text.load_text`).
TEXT_OPTIONS = ("target", "id_column", *FORMAT_OPTIONS)


def free_text_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The `columns` of `frame` that hold free text (see the module docstring), in order."""
    found = []
    for name in columns:
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        present = series.dropna().astype(str)
        if len(present) < FREE_TEXT_MIN_VALUES:
            continue
        words = present.str.split().str.len()
        if words.median() >= FREE_TEXT_MIN_WORDS and present.nunique() >= FREE_TEXT_MIN_DISTINCT * len(present):
            found.append(name)
    return found


def _format(path: Path, formats: dict) -> TableFormat | None:
    """How the table at `path` is written (`formats` given, the rest read off it), or None when that cannot be told
    (the table's reader then says why)."""
    try:
        return sniff_format(path, **formats)
    except (OSError, ValueError, DataError, ConfigError):
        return None


def _peek(path: Path, fmt: TableFormat, rows: int, columns: Sequence[str] | None = None,
          as_text: bool = False) -> pd.DataFrame | None:
    """The first `rows` rows (of `columns`) of the table at `path` written as `fmt`, or None when they cannot be
    read (the table's reader then says why)."""
    try:
        return pd.read_csv(path, nrows=rows, usecols=columns, dtype=str if as_text else None,
                           **fmt.pandas_options(), **missing_value_options([], None, None))
    except (OSError, ValueError):  # pandas' parser and empty-data errors are ValueErrors
        return None


def _features_besides(head: pd.DataFrame, excluded: set, texts: list[str]) -> list[str]:
    """The columns of `head` the table reader would keep as features besides `texts`: not excluded, not left out
    as missing or as a row identifier (`multiclass.data.screening`)."""
    kept = []
    for name in head.columns:
        if name in excluded or name in texts:
            continue
        try:
            if left_out_reason(column_facts(head[name], name)) is None:
                kept.append(name)
        except DataError:  # a typo in a column of numbers: a feature, and the table reader reports it
            kept.append(name)
    return kept


def read_free_text(path: str | Path, options: dict) -> tuple[str, dict]:
    """(kind, reader options) for a table at `path` with its free text seen to: "text" with its ``text_column``
    when that column is the table's only feature and the `options` given all apply to text; else "table", a
    free-text column among other features left out (``ignore``). Warns of either."""
    path = Path(path)
    target = options.get("target")
    if target is None or not path.is_file() or path.suffix.lower() in (".parquet", ".pq"):  # a FIFO is read once
        return "table", options
    fmt = _format(path, given_formats(options))
    head = None if fmt is None else _peek(path, fmt, HEAD_ROWS)  # numeric columns are told apart on a few rows
    if head is None or target not in head.columns:
        return "table", options
    excluded = {target, options.get("id_column"), *(options.get("ignore") or ())}
    words = [c for c in head.columns if c not in excluded and c not in (options.get("categorical") or ())
             and not pd.api.types.is_numeric_dtype(head[c]) and not pd.api.types.is_bool_dtype(head[c])]
    frame = _peek(path, fmt, PEEK_ROWS, words, as_text=True) if words else None
    texts = [] if frame is None else free_text_columns(frame, words)
    if not texts:
        return "table", options
    if _features_besides(head, excluded, texts) == [] and len(texts) == 1 and set(options) <= set(TEXT_OPTIONS):
        warnings.warn(f"{path}: column {texts[0]!r} is free text, so the table is read as text (TF-IDF), as "
                      f"`text_column` {texts[0]!r} asks; name it in `categorical` to one-hot encode it instead.",
                      DataWarning, stacklevel=3)
        return "text", {**options, "text_column": texts[0]}
    for name in texts:
        warnings.warn(f"{path}: column {name!r} is left out: it looks like free text, and one-hot encoded its "
                      f"sentences would match only those seen in training; `text_column` {name!r} reads the table "
                      "as text (its other columns are then left out), `categorical` keeps it as categories.",
                      DataWarning, stacklevel=3)
    return "table", {**options, "ignore": (*(options.get("ignore") or ()), *texts)}
