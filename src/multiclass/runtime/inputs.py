"""Raw inputs -> columns (field name -> N values), without pandas: records (a list of dicts), CSV text read with the
csv module, and Parquet/Arrow through pyarrow.

CSV cells mean what `multiclass.data.table.read_table` makes of them: pandas' missing-value words (`NA_STRINGS`)
and cells of whitespace are missing, blank lines are skipped, a UTF-8 byte-order mark is dropped, every other cell
stays text (typing is the feature map's job). Errors name the line (CSV, header = line 1) or the row (records,
1-based), never a value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from multiclass.data.missing import LABEL_NA_VALUES, NA_VALUES, is_blank
from multiclass.data.table_format import header_names
from multiclass.runtime.values import InputError

__all__ = ["NA_STRINGS", "arrow_columns", "columns_from_mapping", "csv_columns", "record_columns"]

# the texts every reader takes for a missing value (pandas' words and UCI's "?": multiclass.data.missing)
NA_STRINGS = frozenset(NA_VALUES)
LABEL_NA_STRINGS = frozenset(LABEL_NA_VALUES)  # in a label column "None" is a class (`multiclass.data.missing`)
_NAME_CHARS = 100  # a field name quoted in an error is cut to this many characters


def record_columns(records: Any, names: Sequence[str]) -> dict[str, list[Any]]:
    """Columns of `records` (a list of dicts holding exactly the fields `names`).

    Raises
    ------
    InputError
        Not a list of objects, a field missing from a row, or a field the model does not take.
    """
    if not isinstance(records, list):
        raise InputError("the records must be a list of objects.")
    expected = len(names)
    if len(records) == 1 and isinstance(records[0], dict) and len(records[0]) == expected:  # one row: the usual
        try:
            return {name: [records[0][name]] for name in names}
        except KeyError:
            pass  # named below
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for row, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError("must be an object of field values.", row=row)
        if len(record) != expected or any(name not in record for name in names):
            for name in names:
                if name not in record:
                    raise InputError("is required and missing.", field=name, row=row)
            extra = next(k for k in record if k not in columns)
            raise InputError("is not an input of this model.", field=str(extra)[:_NAME_CHARS], row=row)
        for name in names:
            columns[name].append(record[name])
    return columns


def csv_columns(text: str, *, delimiter: str = ",", na_values=None,
                label_column: str | None = None) -> dict[str, list[str | None]]:
    """Columns of CSV `text` with a header line; cells are str, or None for pandas' missing-value words (or for
    `na_values`, the model's own list, when it was trained with one) and for a cell of whitespace. In
    `label_column` (the model's target, kept as ``y_true``) the word ``None`` is a class, as the training readers
    read it.

    Raises
    ------
    InputError
        No header, a duplicated column name (an empty one is named as pandas names it), a record with more or
        fewer fields than the header, an unclosed quote, or no data rows.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    header: list[str] | None = None
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # pandas skips blank lines
            if header is None:
                header = header_names(record)  # an empty cell is 'Unnamed: <i>', as the training readers name it
                if len(set(header)) != len(header):
                    name = next(n for i, n in enumerate(header) if n in header[:i])
                    raise InputError(f"line {reader.line_num}: the column name appears twice.",
                                     field=name[:_NAME_CHARS])
            elif len(record) != len(header):
                raise InputError(f"line {reader.line_num}: {len(record)} fields, the header has {len(header)}.")
            else:
                rows.append(record)
    except csv.Error:
        raise InputError(f"line {reader.line_num}: not valid CSV (an unclosed quote or a stray character).") from None
    if header is None:
        raise InputError("the CSV has no header line.")
    if not rows:
        raise InputError("the CSV has no data rows.")
    missing = NA_STRINGS if na_values is None else frozenset(na_values)
    label_missing = LABEL_NA_STRINGS if na_values is None else missing
    return {name: [None if row[j] in (label_missing if name == label_column else missing) or is_blank(row[j])
                   else row[j] for row in rows] for j, name in enumerate(header)}


def arrow_columns(table: Any) -> dict[str, Any]:
    """Columns of a `pyarrow.Table`: numeric columns without nulls as numpy arrays, everything else as Python
    values (None where null), as pandas would hand them to the preprocessor."""
    import pyarrow as pa  # only for Parquet / Arrow inputs

    columns: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        plain = (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind))
        if plain and column.null_count == 0:
            columns[str(name)] = column.to_numpy()
        else:
            columns[str(name)] = column.to_pylist()
    return columns


def columns_from_mapping(columns: Mapping[str, Any]) -> dict[str, Any]:
    """A columnar JSON object (field -> list of values) checked to be lists."""
    out = {}
    for name, values in columns.items():
        if not isinstance(values, list):
            raise InputError("must be a list of values (columnar input).", field=str(name)[:_NAME_CHARS])
        out[name] = values
    return out
