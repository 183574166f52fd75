"""Reading a table file (CSV, TSV, TXT, Parquet, compressed or not) into a DataFrame of raw values, with one-line
errors naming the file, the line and what is wrong. Typing and preprocessing are `multiclass.data.table`'s job."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from multiclass.exceptions import ConfigError, DataError, DataWarning
from multiclass.data.csv_checks import check_ragged, check_unique_names, scan_lines
from multiclass.data.missing import LABEL_NA_VALUES, NA_VALUES
from multiclass.data.table_format import TableFormat, file_header, sniff_format

__all__ = ["EXACT_FLOATS", "blanks_missing", "missing_value_options", "read_table"]


def _exact_float_options() -> dict[str, str]:
    """The `pandas.read_csv` options that read decimals correctly rounded with the pandas installed.

    Some pandas versions parse decimals with their own "high" converter by default, one unit in the last place
    off for some 17-digit values (0.33492598833985116 -> 0.3349259883398511); "round_trip" is correctly
    rounded, as pyarrow's CSV reader is. So a CSV loads to the same bits in memory and streamed, and a
    probability written as its repr reads back exactly. Asked of pandas itself, once: versions differ (pandas
    3.1 is exact by default and deprecates the option).
    """
    sample = "x\n0.33492598833985116\n"
    if pd.read_csv(io.StringIO(sample))["x"].iloc[0] == 0.33492598833985116:
        return {}
    return {"float_precision": "round_trip"}


EXACT_FLOATS: dict[str, str] = _exact_float_options()

_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")


def read_table(path: str | Path, *, string_columns: Sequence[str] = (), sep: str | None = None,
               header: bool | None = None, names: Sequence[str] | None = None,
               na_values: Sequence[str] | None = None, label_column: str | None = None) -> pd.DataFrame:
    """Read a delimited text table (CSV, TSV, ``.txt``, ``.data``, ..., compressed or not) or a Parquet file into a
    DataFrame with str column names.

    The delimiter, header line and decimal mark are those given, or read off the first lines
    (`multiclass.data.table_format.sniff_format`: the extension's delimiter when the first line has it, else one of
    ``, ; tab |``, else runs of blanks; a first line of numbers over numeric columns is data; ``12,5`` numbers in a
    ``;`` file use a decimal comma); what was used is in ``frame.attrs["format"]``. ``string_columns`` are read as
    text, so codes like ``007`` survive. Text files must be UTF-8 with lines of at most
    `csv_checks.MAX_LINE_BYTES` (16 MiB), unique column names and the same number of fields on every line (see
    `multiclass.data.csv_checks`). ``na_values``, when given, are the only texts read as a missing value (and the
    empty cell): a class literally named ``NA`` is then kept; by default `multiclass.data.missing.NA_VALUES` (pandas'
    list -- ``NA``, ``null``, ``NaN``... -- and UCI's ``?``), except in `label_column`, where ``None`` is a class.

    Raises
    ------
    DataError
        If the file is missing, unreadable, not UTF-8, has a line too long, duplicated column names, a row with
        more or fewer fields than the header, or no data rows; the message names the file and the line.
    ConfigError
        `sep`, `header` or `names` for a Parquet file, or malformed.
    """
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():  # a FIFO, a device, a socket
        raise DataError(f"{path}: not a regular file (a pipe, a device or a socket); give a file.")
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] in _COMPRESSION
    ext = suffixes[-2] if compressed and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    fmt = None
    try:
        if ext in (".parquet", ".pq"):
            if (sep, header, names) != (None, None, None):
                raise ConfigError(f"`sep`, `header` and `names` apply to delimited text files; {path} is Parquet.")
            frame = pd.read_parquet(path)
        else:
            frame, fmt = _read_delimited(path, string_columns, sep, header, names, na_values, label_column)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        if isinstance(exc, (DataError, ConfigError)):
            raise
        if isinstance(exc, pd.errors.EmptyDataError):
            raise DataError(f"{path}: the file is empty (no header line).") from None
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = reason.removeprefix("Error tokenizing data. C error: ")  # pandas' prefix says nothing more
        raise DataError(f"{path}: cannot read the table: {reason}") from None
    frame.columns = [str(c) for c in frame.columns]
    check_unique_names(path, list(frame.columns))
    if len(frame) == 0:
        raise DataError(f"{path}: the table has no data rows.")
    frame = frame.reset_index(drop=True)
    if fmt is not None:
        frame.attrs["format"] = fmt.note()
    return frame


def _read_delimited(path: Path, string_columns: Sequence[str], sep, header, names, na_values=None,
                    label_column: str | None = None) -> tuple[pd.DataFrame, TableFormat]:
    code = scan_lines(path)  # UTF-8 (or Windows-1252), bounded line length: before pandas allocates anything
    fmt = sniff_format(path, sep=sep, header=header, names=names, encoding=code.encoding)
    first = file_header(path, fmt) if fmt.header and fmt.names is None else None  # pandas' names
    check_unique_names(path, list(fmt.names) if fmt.names is not None else first or [])
    try:
        columns = list(fmt.names) if fmt.names is not None else first or []
        missing = missing_value_options(columns, na_values, label_column)
        frame = pd.read_csv(path, dtype={c: str for c in string_columns}, **fmt.pandas_options(), **missing,
                            **EXACT_FLOATS)
    except pd.errors.ParserError:
        check_ragged(path, fmt.sep, fmt.encoding)
        raise
    blanks_missing(frame, text_columns=string_columns)
    # A first data row longer than the header makes pandas take column 1 as the index; padded short rows show as
    # missing values. Only then is the file read a second time, field by field.
    inferred_index = not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0)
    if inferred_index or frame.isna().to_numpy().any():
        check_ragged(path, fmt.sep, fmt.encoding)
    if code.line:
        warnings.warn(code.warning(path), DataWarning, stacklevel=4)
    return frame, fmt


def missing_value_options(columns: list[str], na_values, label_column: str | None) -> dict:
    """The `pandas.read_csv` options that say which texts are missing values: `na_values` (and the empty cell) in
    every column when given; else `NA_VALUES`, `LABEL_NA_VALUES` in `label_column`."""
    if na_values is not None:
        return {"keep_default_na": False, "na_values": sorted({"", *na_values})}
    if label_column is None or label_column not in columns:
        return {"keep_default_na": False, "na_values": list(NA_VALUES)}
    return {"keep_default_na": False, "na_values": {
        column: list(LABEL_NA_VALUES if column == label_column else NA_VALUES) for column in columns}}


def blanks_missing(frame: pd.DataFrame, text_columns: Sequence[str] = ()) -> None:
    """Cells of text columns that hold only whitespace become missing, in place (`multiclass.data.missing.is_blank`);
    a column that then holds only numbers is typed as numbers, as `pandas.read_csv` types a column whose missing
    cells are empty (`text_columns`, asked for as text, stay text)."""
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_string_dtype(column):  # numbers, bools, a column with no value
            continue
        blank = column.str.isspace().fillna(False).to_numpy(dtype=bool)
        if not blank.any():
            continue
        column = column.mask(blank)
        if name not in text_columns:
            numbers = pd.to_numeric(column, errors="coerce")  # correctly rounded, as read_csv (`EXACT_FLOATS`)
            if numbers.notna().sum() == column.notna().sum():
                column = numbers
        frame[name] = column


# --- the preprocessor ---------------------------------------------------------------------------------------
