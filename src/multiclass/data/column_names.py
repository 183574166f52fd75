"""A table file's column names, read with the standard library alone, and the listing that errors give of them.

`file_column_names` reads the names the table readers will give a delimited text file (its sniffed format, an
empty header cell named as pandas names it) from its first line, so that the command line says a mistyped
`--target` before it imports pandas or torch -- at once, not four seconds later -- in the readers' own words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from multiclass.exceptions import ConfigError, DataError
from multiclass.data.table_format import file_header, has_table_extension, sniff_format

__all__ = ["LISTED_COLUMNS", "available_columns", "check_listed", "check_named_columns", "columns_listing", "file_column_names"]

_HEADERLESS_NAME = re.compile(r"column_\d+")  # multiclass.data.table_format's names of a headerless file's columns
_PARQUET = (".parquet", ".pq")


# Columns an error lists in full; of a wider table (a CSV of pixels, a word-count matrix) the first and last few,
# in no language's words (the listing is carried into every translation as it is).
LISTED_COLUMNS, FIRST_LISTED, LAST_LISTED = 40, 30, 5


def columns_listing(columns: Sequence[Any]) -> str:
    """``'a', 'b', 'c'``; past `LISTED_COLUMNS` names, the first `FIRST_LISTED`, ``...`` and the last `LAST_LISTED`
    (where a label column often is)."""
    names = [repr(str(c)) for c in columns]
    if len(names) <= LISTED_COLUMNS:
        return ", ".join(names)
    return ", ".join([*names[:FIRST_LISTED], "...", *names[-LAST_LISTED:]])


def available_columns(columns: Sequence[Any], wanted: str | None = None) -> str:
    """``"available columns: 'a', 'b'"``, with a hint when the file was read as a single column, when `wanted`
    is a headerless file's column name (``column_2``) and the first line was read as names, when `wanted` is a
    column's number (``5``) and the file had no header line (its columns are ``column_1``, ``column_2``, ...), or
    when a column is `wanted` but for its case or a slip of spelling (``species``, ``Specis``: did you mean
    'Species'?)."""
    listing = f"available columns: {columns_listing(columns)}"
    counted = f"column_{int(wanted)}" if wanted is not None and str(wanted).isdigit() else None
    if len(columns) == 1:
        listing += " (the file was read as one column: is its delimiter one of , ; tab |?)"
    elif counted in columns and all(_HEADERLESS_NAME.fullmatch(str(c)) for c in columns):
        listing += (" (the file has no header line, so its columns are named column_1, column_2, ...: column "
                    f"{int(wanted)} is {counted!r})")
    elif wanted is not None and _HEADERLESS_NAME.fullmatch(str(wanted)) and not any(
            _HEADERLESS_NAME.fullmatch(str(c)) for c in columns):
        listing += (" (the first line was read as the column names: if it is data, `header` names the columns "
                    "column_1, column_2, ...)")
    elif wanted is not None and (close := _closest(columns, str(wanted))) is not None:
        listing += f" (did you mean {close!r}?)"
    return listing


def _closest(columns: Sequence[Any], wanted: str) -> str | None:
    """The column `wanted` was most likely meant to name: the one that is it but for its case and surrounding
    blanks (``species`` -> ``Species``), else the one closest in spelling (``labl`` -> ``label``: difflib's ratio
    0.8 or more), else None."""
    folded = wanted.strip().casefold()
    matches = [str(c) for c in columns if str(c).strip().casefold() == folded]
    if len(matches) == 1:
        return matches[0]
    close = difflib.get_close_matches(wanted, [str(c) for c in columns], n=1, cutoff=0.8)
    return close[0] if close else None


def file_column_names(path: str | Path, *, sep: str | None = None, header: bool | None = None,
                      names: Sequence[str] | None = None) -> list[str] | None:
    """The column names the table readers give the delimited text file `path` (its extension says it is a table),
    or None where they cannot be told without them: Parquet, a zip or zst file, a damaged file (not UTF-8 nor
    Windows-1252) or not valid CSV, a first line with control characters (the reader then says what is wrong)."""
    path = Path(path)
    if not (path.is_file() and has_table_extension(path)):
        return None
    if any(suffix.lower() in _PARQUET for suffix in path.suffixes):
        return None
    try:
        fmt = sniff_format(path, sep=sep, header=header, names=names)
        if fmt.names is not None:
            return list(fmt.names)
        fields = file_header(path, fmt)
    except (OSError, ValueError, DataError):  # UnicodeDecodeError is a ValueError; a bad option: the reader says
        return None
    if not fields or any((ord(ch) < 32 and ch != "\t") or ch == "\ufffd" for field in fields for ch in field):
        return None  # no header, or bytes that are no text (or not UTF-8 nor Windows-1252): the reader says so
    return fields


def check_named_columns(path: str | Path, target: str | None, *, ignore: Sequence[str] = (),
                        categorical: Sequence[str] = (), **formats) -> None:
    """Raise as the table reader does (`multiclass.data.table.load_table`), in its order and words, when the
    delimited text file `path` has no column `target` (DataError) or no column named in `ignore` or `categorical`
    (ConfigError); `formats`: ``sep``, ``header``, ``names``. Say nothing when its names cannot be told
    (`file_column_names`)."""
    columns = file_column_names(path, **formats)
    if columns is None:
        return
    if target is not None and target not in columns:
        raise DataError(f"{path}: target column {target!r} not found; {available_columns(columns, target)}.")
    check_listed("ignore", ignore, columns, path)
    check_listed("categorical", categorical, columns, path)


def check_listed(option: str, names: Sequence[str], columns: Sequence[Any], path: str | Path) -> None:
    """Raise ConfigError naming the first of `names` (the option `option`'s) that is not one of `columns`."""
    unknown = [name for name in names or () if name not in columns]
    if unknown:
        raise ConfigError(f"`{option}` must name columns of {path}; got {unknown[0]!r}. Available columns: "
                          f"{columns_listing(columns)}.")
