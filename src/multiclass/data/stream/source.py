"""Where a streamed table lives -- a Parquet file, a CSV/TSV file, or a folder of such shards -- read in record batches.

A *piece* is the unit of shuffling and of sharding across ranks: one row group of a Parquet file, or one whole
CSV file (a CSV cannot be entered in the middle without parsing everything before it). Pieces are read with
pyarrow (`pyarrow.parquet.ParquetFile.iter_batches`, `pyarrow.csv.open_csv`), one record batch at a time, so
the memory held is one batch whatever the file size.

Frames come out typed the way the in-memory reader (`multiclass.data.table.read_table`) types them, so the
same column functions (`multiclass.data.columns`) and the same `TablePreprocessor.transform` apply:

- Parquet batches are converted by ``RecordBatch.to_pandas`` (what ``pandas.read_parquet`` does per table);
- CSV fields are read as text (pyarrow's streaming reader infers types from its first block only, and a later
  block that disagrees would fail), missing by pandas' own list of NA strings, and a column the caller names
  numeric is cast to float64 by pyarrow -- whose parser gives the same doubles as pandas' -- falling back to
  the text when a value does not parse, so the column functions report it with its row.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from multiclass.exceptions import DataError, DataWarning
from multiclass.data.csv_checks import UTF8, check_unique_names, not_utf8_error, scan_lines, text_head
from multiclass.data.missing import LABEL_NA_VALUES, NA_VALUES
from multiclass.data.table_format import (SNIFF_BYTES, WHITESPACE, TableFormat, header_names, looks_like_table,
                                          sniff_format)
from multiclass.data.stream.shards import DEFAULT_BATCH_ROWS, is_table_shards, should_stream, table_kind

__all__ = ["DEFAULT_BATCH_ROWS", "Piece", "TableSource", "is_table_shards", "should_stream"]

# Bytes per CSV block: pyarrow parses a block at a time; 8 MiB holds ~100k short rows, and bounds a batch's size.
_CSV_BLOCK_BYTES = 8 * 2**20


@dataclass(frozen=True)
class Piece:
    """One unit of reading: a Parquet row group, or a whole CSV file.

    Attributes
    ----------
    shard : int
        Index of its file in `TableSource.shards`.
    row_group : int or None
        The Parquet row group; None for a CSV file.
    first_row : int
        Row of the shard where the piece starts (0-based; 0 for a CSV).
    n_rows : int or None
        Rows in the piece; None for a CSV until it has been read once.
    """

    shard: int
    row_group: int | None
    first_row: int
    n_rows: int | None


def _shard_files(folder: Path) -> list[Path]:
    """Table files under `folder`, sorted by path; hidden and ``_``-prefixed entries (``_SUCCESS``, ``_metadata``)
    are skipped, as `pyarrow.dataset` skips them."""
    files = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(p.startswith((".", "_")) for p in parts) and table_kind(path) is not None:
            files.append(path)
    return files


class TableSource:
    """A table on disk, read piece by piece in record batches.

    Parameters
    ----------
    path : str or Path
        A Parquet file (its row groups are the pieces), a CSV/TSV/TXT file (optionally .gz/.bz2; one piece), or a
        folder of such files, all of one format (each file a shard; Parquet files contribute their row groups).
    batch_rows : int, default=65536
        Rows per Parquet record batch (CSV batches are blocks of 8 MiB).
    sep, header, names : optional
        How the CSV shards are written, as in `multiclass.data.table_io.read_table`; what is not given is read
        off each shard's first lines by the same `multiclass.data.table_format.sniff_format`.

    Raises
    ------
    DataError
        A missing path, an unknown extension, a folder with no table file or with mixed formats, shards that
        lack a column of the first one, duplicated column names.
    """

    def __init__(self, path: str | Path, *, batch_rows: int = DEFAULT_BATCH_ROWS, sep: str | None = None,
                 header: bool | None = None, names: Sequence[str] | None = None, label_column: str | None = None):
        self.path = Path(path)
        self.label_column = label_column  # its CSV texts are missing by LABEL_NA_VALUES ("None" is a class)
        self._format_options = {"sep": sep, "header": header, "names": names}
        self.batch_rows = int(batch_rows)
        if self.batch_rows < 1:
            raise DataError(f"`batch_rows` must be an integer >= 1; got {batch_rows!r}.")
        if self.path.is_dir():
            shards = _shard_files(self.path)
            if not shards:
                raise DataError(f"{self.path}: the folder holds no .parquet, .pq, .csv, .tsv or .txt file.")
        elif self.path.is_file():
            shards = [self.path]
        else:
            raise DataError(f"{self.path}: no such file or folder.")
        # a single file of another extension (UCI's .data) is streamed when its content is a table
        kinds = {table_kind(p) or ("csv" if self.path.is_file() and looks_like_table(p) else None) for p in shards}
        if kinds == {None}:
            raise DataError(f"{self.path}: cannot stream this file; give a .parquet, .pq, .csv, .tsv or .txt table.")
        if len(kinds) != 1:
            raise DataError(f"{self.path}: the folder mixes Parquet and CSV files; keep one format per dataset.")
        self.format = kinds.pop()
        self.shards = tuple(shards)
        self.pieces: tuple[Piece, ...] = ()
        self.columns: tuple[str, ...] = ()
        self.formats: dict[int, TableFormat] = {}  # per CSV shard
        self._open()

    # --- layout -------------------------------------------------------------------------------------------
    def _open(self) -> None:
        pieces: list[Piece] = []
        for index, shard in enumerate(self.shards):
            if self.format == "parquet":
                names = self._parquet_layout(index, shard, pieces)
            else:
                names = self._csv_header(index)
                pieces.append(Piece(index, None, 0, None))  # a whole file; its rows are counted when first read
            check_unique_names(shard, names)
            if index == 0:
                self.columns = tuple(names)
            else:
                lacking = [c for c in self.columns if c not in names]
                if lacking:
                    raise DataError(f"{shard}: lacks column {lacking[0]!r} that {self.shards[0]} has; every shard "
                                    "needs the same columns.")
        self.pieces = tuple(pieces)

    def _parquet_layout(self, index: int, shard: Path, pieces: list[Piece]) -> list[str]:
        try:
            meta = pq.ParquetFile(shard).metadata
        except (OSError, pa.ArrowException) as error:
            raise DataError(f"{shard}: cannot read the Parquet file: {_reason(error)}") from None
        first = 0
        for group in range(meta.num_row_groups):
            n = meta.row_group(group).num_rows
            pieces.append(Piece(index, group, first, n))
            first += n
        schema = meta.schema.to_arrow_schema()
        hidden = set()
        if schema.pandas_metadata:  # a stored pandas index is not a column of the table (read_table drops it)
            hidden = {c for c in schema.pandas_metadata.get("index_columns", []) if isinstance(c, str)}
        return [str(n) for n in schema.names if n not in hidden]

    def _csv_header(self, index: int) -> list[str]:
        shard = self.shards[index]
        self.formats[index] = fmt = sniff_format(shard, **self._format_options)
        if fmt.encoding != UTF8:  # read off the first lines (a streamed file is not scanned whole)
            warnings.warn(text_head(shard, SNIFF_BYTES)[1].warning(shard), DataWarning, stacklevel=2)
        if fmt.names is not None:
            return list(fmt.names)
        if _pandas_reads(fmt):
            return pd.read_csv(shard, nrows=0, **fmt.pandas_options()).columns.astype(str).tolist()
        try:
            with pa_csv.open_csv(pa.input_stream(shard, compression="detect"), **self._csv_options(index, None)) as r:
                names = list(r.schema.names)
        except (OSError, pa.ArrowException) as error:
            if "Empty CSV file" in str(error):
                raise DataError(f"{shard}: the file is empty (no header line).") from None
            raise DataError(f"{shard}: cannot read the table: {_reason(error)}") from None
        if "" in names:  # named as pandas names them, and read by those names from here on
            names = header_names(names)
            self.formats[index] = replace(fmt, names=tuple(names))
        return names

    def _csv_options(self, index: int, columns: Sequence[str] | None) -> dict:
        fmt = self.formats[index]
        types = {name: pa.string() for name in (columns if columns is not None else [])}
        # "None" is read as text here; `_csv_frame` makes it missing again outside the label column
        convert = pa_csv.ConvertOptions(column_types=types, null_values=list(LABEL_NA_VALUES),
                                        strings_can_be_null=True, quoted_strings_can_be_null=True,
                                        include_columns=list(columns) if columns is not None else None)
        names = list(fmt.names) if fmt.names is not None else None
        read = pa_csv.ReadOptions(block_size=_CSV_BLOCK_BYTES, column_names=names,
                                  skip_rows=1 if fmt.header and names is not None else 0, encoding=fmt.encoding)
        return {"read_options": read,
                "parse_options": pa_csv.ParseOptions(delimiter=fmt.sep, newlines_in_values=True),
                "convert_options": convert}

    def _pandas_batches(self, index: int, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """Record batches of text from a shard pyarrow does not split as pandas does (`_pandas_reads`): pandas'
        chunked reader, with every field read as text and its NA strings as missing."""
        fmt = self.formats[index]
        options = {**fmt.pandas_options(), "dtype": str, "usecols": list(columns), "chunksize": self.batch_rows,
                   "keep_default_na": False, "na_values": list(LABEL_NA_VALUES)}
        options.pop("decimal")  # fields stay text here; `_csv_frame` reads the numbers
        with pd.read_csv(self.shards[index], **options) as chunks:
            for chunk in chunks:
                yield pa.RecordBatch.from_pandas(chunk[list(columns)], preserve_index=False)

    # --- reading ------------------------------------------------------------------------------------------
    def frames(self, piece: Piece, columns: Sequence[str], numeric: Sequence[str] = ()) -> Iterator[pd.DataFrame]:
        """Yield the piece's rows as DataFrames of `columns`, one record batch each, typed as `read_table` would.

        `numeric` names CSV columns to cast to float64 (when every value of the batch parses as a number).
        """
        shard = self.shards[piece.shard]
        try:
            if self.format == "parquet":
                batches = pq.ParquetFile(shard).iter_batches(batch_size=self.batch_rows, row_groups=[piece.row_group],
                                                            columns=list(columns), use_pandas_metadata=False)
                for batch in batches:
                    yield batch.to_pandas()
                return
            decimal = self.formats[piece.shard].decimal
            if _pandas_reads(self.formats[piece.shard]):
                for batch in self._pandas_batches(piece.shard, columns):
                    yield _csv_frame(batch, numeric, decimal, self.label_column)
                return
            stream = pa.input_stream(shard, compression="detect")
            with pa_csv.open_csv(stream, **self._csv_options(piece.shard, columns)) as reader:
                for batch in reader:
                    yield _csv_frame(batch, numeric, decimal, self.label_column)
        except (OSError, pa.ArrowException) as error:
            if "invalid UTF8" in str(error):  # its first lines were UTF-8 (or ASCII): say where it stops being so
                _refuse_late_code(shard)
            raise DataError(f"{shard}: cannot read the table: {_reason(error)}") from None


def _pandas_reads(fmt: TableFormat) -> bool:
    """Whether a CSV shard is read by pandas' chunked reader rather than pyarrow's, which splits at one character
    and keeps the blank after it: runs of blanks as the delimiter, or a blank after every delimiter."""
    return fmt.sep == WHITESPACE or fmt.blank_after_sep


# What a CSV batch reads as text that is missing outside the label column.
_TEXT_NA = pa.array(sorted(set(NA_VALUES) - set(LABEL_NA_VALUES)), pa.string())


def _csv_frame(batch: pa.RecordBatch, numeric: Sequence[str], decimal: str = ".",
               label_column: str | None = None) -> pd.DataFrame:
    """A batch of CSV text as a DataFrame; `numeric` columns cast to int64 where every value is a whole number
    (as `pandas.read_csv` types them), else to float64 where every value parses (``12,5`` too with a decimal
    comma, as ``read_csv(decimal=",")``). The texts of `NA_VALUES` the batch was read with as text (``None``) are
    missing outside `label_column`, and cells of whitespace everywhere, as `multiclass.data.table_io.read_table`
    reads them."""
    arrays = {}
    for name, column in zip(batch.schema.names, batch.columns):
        if pa.types.is_string(column.type):  # a cell of whitespace is missing (`multiclass.data.missing.is_blank`)
            column = pc.if_else(pc.utf8_is_space(column), pa.scalar(None, pa.string()), column)
        if name != label_column and pa.types.is_string(column.type):
            column = pc.if_else(pc.is_in(column, value_set=_TEXT_NA), pa.scalar(None, pa.string()), column)
        if name in numeric:
            text = pc.replace_substring(column, ",", ".") if decimal == "," else column
            for numbers in (pa.int64(), pa.float64()):
                try:
                    column = pc.cast(text, numbers)
                    break
                except pa.ArrowInvalid:
                    pass  # keep the text: the column functions parse what pandas parses and name the bad row
        arrays[name] = column
    return pa.RecordBatch.from_pydict(arrays).to_pandas()  # float64 nulls come back as NaN, as read_csv gives


def _refuse_late_code(shard: Path) -> None:
    """A streamed file's code is read off its first lines (it is not scanned whole first); when a later line is not
    UTF-8, name it as the in-memory reader would (`scan_lines`: a damaged file, or one in Windows-1252 from there)."""
    code = scan_lines(shard)  # raises itself for a damaged file
    if code.line:
        raise not_utf8_error(shard, code.line, code.byte) from None


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text
