"""How a delimited text table is written -- delimiter, header line, decimal mark -- given or read off its first lines.

`sniff_format` decides once per file, from its first `SNIFF_BYTES`, and both readers (in memory,
`multiclass.data.table_io.read_table`, and streamed, `multiclass.data.stream.source.TableSource`) then read with
the same `TableFormat`:

- *delimiter*: the extension's (``.csv`` comma, ``.tsv`` tab) when the first line has it; else the one of
  ``, ; tab |`` that `csv.Sniffer` finds; else *whitespace* (runs of spaces or tabs, as UCI's ``.data`` files and
  R's ``write.table`` output) when every sampled line splits into the same number (2+) of fields; else comma.
- *header*: the first line is data, not names (``header=False``), when some column holds only numbers below it,
  every such column has a number in the first line too, and those numbers are not the run 0, 1, 2, ... or 1, 2,
  3, ... (``pandas.DataFrame.to_csv`` of an unnamed frame writes column names 0, 1, 2, ...). A headerless file's
  columns are named ``column_1``, ``column_2``, ... unless `names` are given.
- *decimal mark*: a comma when the delimiter is not a comma and the sampled numbers are written ``12,5`` and never
  ``12.5`` (the European ``;``-separated CSV).
- *a blank after every delimiter* (``a, b, c``, on every sampled line): skipped in names and values, as pandas'
  ``skipinitialspace`` (`TableFormat.blank_after_sep`).
- *an empty header cell* is named ``Unnamed: <position>``, as pandas names it, by every reader (`header_names`).
- *encoding*: UTF-8, or Windows-1252 (Latin-1) for a file that is ASCII up to a byte that is not UTF-8 (Excel's CSV
  on Windows; `multiclass.data.csv_checks.TextCode`); the in-memory reader decides on every byte (`scan_lines`),
  the others on the first `SNIFF_BYTES`.

Passing ``sep``, ``header`` or ``names`` overrides the guess (`names` alone replace the header line if there is
one, by the rule above, or name the columns of a headerless file) (``sep="whitespace"`` or ``r"\\s+"`` for runs of
blanks). What was used is kept in ``Dataset.notes["format"]``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from multiclass.exceptions import ConfigError
from multiclass.data.csv_checks import UTF8, header_fields, text_head

__all__ = ["FORMAT_OPTIONS", "SNIFF_BYTES", "TABLE_EXTENSIONS", "WHITESPACE", "TableFormat", "extension_sep",
           "file_header", "format_load_options", "given_formats", "has_table_extension", "header_names",
           "looks_like_table", "sniff_format", "split_fields"]

TABLE_EXTENSIONS = frozenset({".csv", ".tsv", ".txt", ".parquet", ".pq"})  # a table by its name alone
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
_EXTENSION_SEPS = {".csv": ",", ".tsv": "\t"}  # the delimiter a file's extension names
SNIFF_BYTES = 64 * 1024  # enough lines for csv.Sniffer to see the pattern, small enough to read instantly
SNIFF_LINES = 200  # lines of the sample parsed for the header and decimal-mark decisions
WHITESPACE = "whitespace"  # the `sep` of a table whose fields are separated by runs of spaces or tabs
# How a delimited file is written, as a user may say it (`sniff_format` reads what is not said off the file).
FORMAT_OPTIONS = ("sep", "header", "names")


def given_formats(options) -> dict:
    """The `FORMAT_OPTIONS` given in the mapping `options` (None: read off the file)."""
    return {name: options[name] for name in FORMAT_OPTIONS if options.get(name) is not None}


def format_load_options(formats) -> dict:
    """`formats` as a model's load options keep them, for `evaluate` and `predict` (JSON: the names a list)."""
    return {name: list(value) if name == "names" else value for name, value in formats.items()}
_CANDIDATES = ",;\t|"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")


@dataclass(frozen=True)
class TableFormat:
    """How to read one delimited text table.

    Attributes
    ----------
    sep : str
        One character, or `WHITESPACE` (runs of spaces and tabs).
    header : bool
        Whether the first line holds the column names.
    names : tuple of str or None
        The column names to use (given, or ``column_1``, ... for a headerless file); None: the header's.
    decimal : {".", ","}
    blank_after_sep : bool
        Every delimiter is followed by a blank (``a, b, c``: a hand-written file, R's ``write.table(sep=", ")``):
        the blanks are skipped, in names and values, as pandas' ``skipinitialspace`` does.
    encoding : str
        ``"utf-8"``, or ``"cp1252"`` / ``"latin-1"`` for a file in a single-byte code (a Python codec name).
    """

    sep: str
    header: bool = True
    names: tuple[str, ...] | None = None
    decimal: str = "."
    blank_after_sep: bool = False
    encoding: str = UTF8

    def pandas_options(self) -> dict:
        """The `pandas.read_csv` options that read the table this way."""
        options = {"sep": r"\s+" if self.sep == WHITESPACE else self.sep, "decimal": self.decimal}
        if not self.header:
            options["header"] = None
        if self.names is not None:
            options["names"] = list(self.names)
            if self.header:
                options["header"] = 0  # the file's names are replaced
        if self.blank_after_sep:
            options["skipinitialspace"] = True
        if self.encoding != UTF8:
            options["encoding"] = self.encoding
        return options

    def note(self) -> dict:
        """What `Dataset.notes["format"]` records (JSON-able): the delimiter as written (``", "`` when a blank
        follows it), the header line, the decimal mark (and the encoding when it is not UTF-8)."""
        note = {"sep": self.sep + " " if self.blank_after_sep else self.sep, "header": self.header,
                "decimal": self.decimal}
        return note if self.encoding == UTF8 else {**note, "encoding": self.encoding}


def file_header(path: str | Path, fmt: TableFormat) -> list[str] | None:
    """The column names of the header line of `path`, read as `fmt` says (the blank after each delimiter skipped,
    an empty cell named as pandas names it: `header_names`); None for a zip or zst file."""
    fields = header_fields(path, fmt.sep, fmt.encoding)
    if fields is None:
        return None
    if fmt.blank_after_sep:
        fields = fields[:1] + [field.lstrip(" ") for field in fields[1:]]
    return header_names(fields)


def header_names(fields: Sequence[str]) -> list[str]:
    """The column names of a header line's `fields`: an empty cell is named ``Unnamed: <position from 0>``, as
    pandas names it, so the in-memory, streamed and torch-free readers give a column one name (a model trained on
    an R or pandas CSV, whose first column is the row index under an empty header, reads the same file back)."""
    return [field if field != "" else f"Unnamed: {position}" for position, field in enumerate(fields)]


def split_fields(line: str, sep: str) -> list[str]:
    """The fields of one line (quotes honoured for a one-character delimiter)."""
    if sep == WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep), [])


def _check_options(sep, header, names) -> None:
    if sep is not None and not (sep in (WHITESPACE, r"\s+") or (isinstance(sep, str) and len(sep) == 1)):
        raise ConfigError(f"`sep` must be one character or 'whitespace'; got {sep!r}.")
    if header is not None and not isinstance(header, bool):
        raise ConfigError(f"`header` must be True, False or None (detect); got {header!r}.")
    if names is not None and not (isinstance(names, (list, tuple)) and names and all(isinstance(n, str) for n in names)):
        raise ConfigError(f"`names` must be a non-empty list of column names; got {names!r}.")


def _guess_sep(lines: list[str], default: str) -> str:
    if not lines:
        return default or ","
    if default and default in lines[0]:
        return default  # the extension's delimiter is there: trust it
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_CANDIDATES).delimiter
    except csv.Error:
        pass
    counts = {len(line.split()) for line in lines}
    if len(counts) == 1 and counts.pop() >= 2:
        return WHITESPACE
    return default or ","


def _blank_after_sep(rows: list[list[str]]) -> bool:
    """Whether every non-empty field but a line's first starts with a blank, on 2+ lines (``a, b, c``)."""
    later = [field for row in rows for field in row[1:] if field != ""]
    return len(rows) >= 2 and bool(later) and all(field.startswith(" ") for field in later)


def _is_number(field: str) -> bool:
    return bool(_NUMBER.match(field.strip()))


def _is_index_run(values: list[str]) -> bool:
    numbers = [float(v) for v in values]
    return len(numbers) > 0 and any(numbers == list(range(start, start + len(numbers))) for start in (0, 1))


def _guess_header(rows: list[list[str]], decimal: str) -> bool:
    if len(rows) < 2:
        return True
    first, body = rows[0], rows[1:]
    width = len(first)
    numeric = []
    for column in range(width):
        values = [row[column].strip() for row in body if column < len(row) and row[column].strip()]
        if values and all(_is_number(_dot(v, decimal)) for v in values):
            numeric.append(column)
    if not numeric:
        return True  # no column tells (all text): names are the safer reading
    heads = [first[c].strip() for c in numeric if c < width]
    if not all(_is_number(_dot(v, decimal)) for v in heads):
        return True
    return _is_index_run(heads) and len(heads) == width  # 0, 1, 2, ... over every column: names after all


def _dot(value: str, decimal: str) -> str:
    return value.replace(",", ".") if decimal == "," else value


def _guess_decimal(rows: list[list[str]], sep: str) -> str:
    if sep == ",":
        return "."
    fields = [f.strip() for row in rows for f in row]
    comma = sum(bool(_COMMA_DECIMAL.match(f)) for f in fields)
    dot = sum(bool(_DOT_DECIMAL.match(f)) for f in fields)
    return "," if comma and not dot else "."


def _sample_lines(path: Path) -> tuple[list[str], str]:
    """The first non-blank lines of the file (at most `SNIFF_LINES` of its first `SNIFF_BYTES`) and the encoding
    they are in."""
    head, code = text_head(path, SNIFF_BYTES)
    lines = [line for line in head.splitlines() if line.strip()]
    if len(head) >= SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut short
    return lines[:SNIFF_LINES], code.encoding


def looks_like_table(path: str | Path) -> bool:
    """Whether a text file of unknown extension (UCI's ``.data``, ``.dat``, none) is a delimited table: 2+ lines of
    printable text that split, by the delimiter `sniff_format` would choose, into one same number (2+) of fields.
    A file in Windows-1252 (Latin-1) can be a table too."""
    lines, _ = _sample_lines(Path(path))
    text = "".join(lines)
    if len(lines) < 2 or any(ord(c) < 32 and c != "\t" for c in text):
        return False  # a header and a row at least, printable text only
    sep = _guess_sep(lines, "")
    widths = {len(split_fields(line, sep)) for line in lines}
    return len(widths) == 1 and widths.pop() >= 2


def extension_sep(path: str | Path) -> str:
    """The delimiter the file's extension names (``.csv`` comma, ``.tsv`` tab, compressed or not: ``a.tsv.gz``);
    "" for any other."""
    suffixes = [s.lower() for s in Path(path).suffixes if s.lower() not in _COMPRESSIONS]
    return _EXTENSION_SEPS.get(suffixes[-1], "") if suffixes else ""


def sniff_format(path: str | Path, *, default_sep: str | None = None, sep: str | None = None,
                 header: bool | None = None, names: Sequence[str] | None = None,
                 encoding: str | None = None) -> TableFormat:
    """The `TableFormat` of a delimited text file: `sep`, `header` and `names` as given, the rest read off its
    first lines (see the module docstring); `encoding` as `multiclass.data.csv_checks.scan_lines` found it on every
    byte, else read off the first lines too.

    Raises
    ------
    ConfigError
        A `sep` that is not one character or ``"whitespace"``, a `header` that is not a bool, bad `names`.
    """
    _check_options(sep, header, names)
    lines, head_encoding = _sample_lines(Path(path))
    default_sep = extension_sep(path) if default_sep is None else default_sep
    sep = WHITESPACE if sep == r"\s+" else (sep or _guess_sep(lines, default_sep))
    rows = [split_fields(line, sep) for line in lines]
    decimal = _guess_decimal(rows, sep)
    if header is None:  # also with `names`: they replace a header line, or name a headerless file's columns
        header = _guess_header(rows, decimal)
    if names is None and not header:
        width = max((len(row) for row in rows), default=1)
        names = [f"column_{i + 1}" for i in range(width)]
    return TableFormat(sep, header, tuple(names) if names is not None else None, decimal,
                       sep != WHITESPACE and _blank_after_sep(rows), encoding or head_encoding)


def has_table_extension(path: Path) -> bool:
    """Whether the name of `path` says it is a table (`TABLE_EXTENSIONS`, compressed or not: ``a.csv.gz``)."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in _COMPRESSIONS]
    return bool(suffixes) and suffixes[-1] in TABLE_EXTENSIONS
