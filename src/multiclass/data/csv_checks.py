"""Checks on a delimited text file that pandas does not make: encoding, line length, duplicated and ragged columns.

pandas' CSV reader has no maximum line length (a 2 GB line is read into memory whole), renames duplicated column
names (``a``, ``a.1``), pads short rows with missing values, and, when the first data row has more fields than
the header, silently takes the first column as the index and shifts every other one. So a table file is checked:

- before pandas, by `scan_lines`: the bytes are streamed once, 1 MiB at a time, and every line must be UTF-8 and
  at most `MAX_LINE_BYTES` long; memory stays bounded by the chunk size whatever the file holds;
- before pandas, by `header_fields`: the header as written, so duplicated names can be refused;
- after pandas, by `first_ragged_line`: the first record whose field count differs from the header's, run only
  when pandas' output shows the signs of a ragged file (a tokenizing error, an inferred index, missing values).

Lines in messages are file lines counted from 1, the header included (rows, elsewhere, count data rows only).
Files compressed as ``.zip``, ``.zst`` or ``.tar`` are left to pandas: only gzip, bz2 and xz are streamed here.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import zlib
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import BinaryIO

from multiclass.exceptions import DataError

__all__ = [
    "MAX_LINE_BYTES",
    "check_ragged",
    "check_unique_names",
    "first_ragged_line",
    "header_fields",
    "open_text_head",
    "scan_lines",
]

# The documented maximum line length of a table file. 16 MiB is ~5000x a 785-column MNIST CSV row and ~100x a
# long document in a text column; a longer "line" is a binary or damaged file, and refusing it keeps the memory
# bounded (pandas would hold the whole line, and a 2 GB one, at once).
MAX_LINE_BYTES = 16 * 2**20
_CHUNK_BYTES = 2**20  # streamed 1 MiB at a time
_GZIP_MAGIC = b"\x1f\x8b"
_OPENERS = {"": open, ".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")
_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


@contextmanager
def _open_binary(path: Path) -> Iterator[BinaryIO | None]:
    """The file's (decompressed) bytes, or None for a compression left to pandas."""
    suffix = path.suffix.lower()
    opener = _OPENERS.get(suffix if suffix in _COMPRESSED else "")
    if opener is None:
        yield None
        return
    with opener(path, "rb") as handle:
        yield handle


def open_text_head(path: Path, n_bytes: int) -> str:
    """The first `n_bytes` of the (decompressed) file as text ("" for a compression left to pandas); a byte
    sequence cut at the end, or invalid, becomes U+FFFD (the full check is `scan_lines`')."""
    try:
        with _open_binary(path) as handle:
            head = handle.read(n_bytes) if handle is not None else b""
    except _DECOMPRESSION_ERRORS:
        return ""  # the reader names the damaged file
    return head.decode("utf-8-sig", errors="replace")


def scan_lines(path: str | Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
    """Stream the file once: every line must be valid UTF-8 and at most `max_line_bytes` long.

    Raises
    ------
    DataError
        ``"<path>: line 3 is not UTF-8 (byte 0xE9 ...)"``, ``"<path>: line 1 is longer than ... bytes ..."``, or a
        corrupt gzip/bz2/xz stream.
    """
    path = Path(path)
    chunk_bytes = min(_CHUNK_BYTES, max_line_bytes)  # a line inside one chunk is then never too long
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, run = 1, 0  # the current line number and how many of its bytes were seen so far
    try:
        with _open_binary(path) as handle:
            if handle is None:
                return
            while chunk := handle.read(chunk_bytes):
                pending = decoder.getstate()[0]  # bytes of a character split across two chunks
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = max(exc.start - len(pending), 0)  # offset in this chunk
                    where, byte = line + chunk.count(b"\n", 0, bad), (pending + chunk)[exc.start]
                    if line == 1 and chunk.startswith(_GZIP_MAGIC):
                        raise DataError(f"{path}: is gzip-compressed (it starts with gzip's bytes 1F 8B) but its "
                                        "name does not say so; name it .gz (data.csv.gz) or decompress it.")
                    raise DataError(
                        f"{path}: line {where} is not UTF-8 (byte 0x{byte:02X}); "
                        "save the file as UTF-8 (it may be Latin-1 or Windows-1252)."
                    ) from None
                first = chunk.find(b"\n")
                if first == -1:
                    run += len(chunk)
                else:
                    _check_length(path, line, run + first, max_line_bytes)
                    line += chunk.count(b"\n")
                    run = len(chunk) - chunk.rfind(b"\n") - 1
                _check_length(path, line, run, max_line_bytes)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise DataError(f"{path}: line {line} is not UTF-8 (the file ends inside a character).") from None
    except _DECOMPRESSION_ERRORS as exc:
        raise DataError(f"{path}: the compressed stream is corrupt or truncated ({exc}).") from None


def _check_length(path: Path, line: int, length: int, max_line_bytes: int) -> None:
    if length > max_line_bytes:
        raise DataError(
            f"{path}: line {line} is longer than {max_line_bytes} bytes, the maximum line length of a table; "
            "it is not a delimited text table (or it is damaged)."
        )


def _records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record ends, fields) of every non-blank record, as pandas' C parser splits them;
    delimiter ``"whitespace"`` splits at runs of blanks (pandas' ``sep=r"\\s+"``)."""
    with _open_binary(path) as handle:
        if handle is None:
            return
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        if delimiter == "whitespace":
            for number, line in enumerate(text, start=1):
                if line.strip():
                    yield number, line.split()
            return
        reader = csv.reader(text, delimiter=delimiter, strict=True)  # strict: a quote still open at the end stops
        try:
            for row in reader:
                if row and not (len(row) == 1 and not row[0].strip()):  # pandas skips blank lines
                    yield reader.line_num, row
        except csv.Error:
            return  # an unclosed quote, a field over csv's size limit: left to pandas' own message


def header_fields(path: str | Path, delimiter: str) -> list[str] | None:
    """The header row as written (pandas renames duplicates); None when the file is compressed as zip/zst."""
    with closing(_records(Path(path), delimiter)) as records:
        for _, row in records:
            return row
    return None


def first_ragged_line(path: str | Path, delimiter: str) -> tuple[int, int, int] | None:
    """``(line, n_fields, n_header_fields)`` of the first record whose field count is not the header's, or None."""
    expected = None
    with closing(_records(Path(path), delimiter)) as records:
        for line, row in records:
            if expected is None:
                expected = len(row)
            elif len(row) != expected:
                return line, len(row), expected
    return None


def check_unique_names(path: Path, names: Sequence[str]) -> None:
    """Refuse a repeated (non-empty) column name, naming both positions (1-based)."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen and name.strip():
            raise DataError(
                f"{path}: duplicated column name {name!r} (columns {seen[name]} and {position}); "
                "every column needs its own name."
            )
        seen.setdefault(name, position)


def check_ragged(path: Path, delimiter: str) -> None:
    """Refuse the first record whose field count differs from the header's, naming its line."""
    ragged = first_ragged_line(path, delimiter)
    if ragged is not None:
        line, n_fields, expected = ragged
        raise DataError(
            f"{path}: line {line} has {n_fields} fields but the header has {expected} (delimiter {delimiter!r}); "
            "every row needs one value per column (quote values that contain the delimiter)."
        )
