"""Checks on a delimited text file that pandas does not make: encoding, line length, duplicated and ragged columns.

pandas' CSV reader has no maximum line length (a 2 GB line is read into memory whole), renames duplicated column
names (``a``, ``a.1``), pads short rows with missing values, and, when the first data row has more fields than
the header, silently takes the first column as the index and shifts every other one. So a table file is checked:

- before pandas, by `scan_lines`: the bytes are streamed once, 1 MiB at a time, and every line must be at most
  `MAX_LINE_BYTES` long and UTF-8 -- or, in a file that is ASCII up to its first byte that is not UTF-8, Windows-1252
  (`SINGLE_BYTE`: what Excel on Windows saves as "CSV"; Latin-1 where the file holds a byte Windows-1252 leaves
  undefined), which the readers then read it as (`TextCode`); memory stays bounded by the chunk size whatever the
  file holds;
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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from multiclass.exceptions import DataError

__all__ = [
    "MAX_LINE_BYTES",
    "SINGLE_BYTE",
    "UTF8",
    "TextCode",
    "check_ragged",
    "check_unique_names",
    "first_ragged_line",
    "head_code",
    "header_fields",
    "not_utf8_error",
    "scan_lines",
    "text_code",
    "text_head",
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


UTF8 = "utf-8"
# The code of a table that is not UTF-8: Windows-1252, the superset of Latin-1 that Excel on Windows writes; a file
# holding one of the bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) is read as Latin-1 instead.
SINGLE_BYTE = "cp1252"
_UNDEFINED_1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
_NAMES = {UTF8: "UTF-8", SINGLE_BYTE: "Windows-1252", "latin-1": "Latin-1"}
# Bytes of text that is ASCII: printable, blanks and line ends (a control byte before the first byte that is not
# UTF-8 says binary, not Windows-1252: a zip or gzip file named .csv) ...
_TEXT_ASCII = bytes(range(32, 127)) + b"\t\n\r\x0c"
# ... and of text in a single-byte code: those, and every byte from 0x80 (no control byte: UTF-16's NULs, a PNG's)
_TEXT_SINGLE_BYTE = _TEXT_ASCII + bytes(range(128, 256))


def _ascii_text(data: bytes) -> bool:
    return not data.translate(None, _TEXT_ASCII)


def _single_byte_text(data: bytes) -> bool:
    return not data.translate(None, _TEXT_SINGLE_BYTE)


def not_utf8_error(path, line: int, byte: int) -> DataError:
    """The error of a file whose `line` holds `byte`, not UTF-8, and that cannot be read in a single-byte code."""
    return DataError(f"{path}: line {line} is not UTF-8 (byte 0x{byte:02X}); save the file as UTF-8 (it may be "
                     "Latin-1 or Windows-1252).")


@dataclass(frozen=True)
class TextCode:
    """How a table file's bytes are text.

    Attributes
    ----------
    encoding : str
        `UTF8`, `SINGLE_BYTE` or ``"latin-1"`` (a Python codec name, as pandas and pyarrow take it).
    line, byte : int
        Where the file first stops being UTF-8 (a file line from 1, the byte's value); 0 for a UTF-8 file.
    """

    encoding: str = UTF8
    line: int = 0
    byte: int = 0

    @property
    def name(self) -> str:
        """The code as people name it (``"Windows-1252"``)."""
        return _NAMES[self.encoding]

    def warning(self, path) -> str:
        """What a reader says when the file is not UTF-8 (a `DataWarning`)."""
        return (f"{path}: line {self.line} is not UTF-8 (byte 0x{self.byte:02X}); the file was read as {self.name}, "
                "as Excel on Windows saves a CSV; save it as UTF-8 to be sure of its accented letters.")


class _Scanner:
    """A file's `TextCode` from its bytes, fed chunk by chunk: UTF-8 while it is; at its first byte that is not,
    `SINGLE_BYTE` (Latin-1 once a byte Windows-1252 leaves undefined is seen) when every byte before it was ASCII.
    A UTF-8 letter before a byte that is not UTF-8 is a damaged file: `strict` refuses it, naming the line (the
    readers' check), else the code stays UTF-8 (a sniffed head: the reader then says what is wrong)."""

    def __init__(self, path, *, strict: bool = True):
        self.path, self.strict = path, strict
        self.decoder = codecs.getincrementaldecoder(UTF8)()
        self.line, self.ascii, self.undefined = 1, True, False
        self.code = TextCode()
        self.damaged = self.gzip = False

    def feed(self, chunk: bytes) -> None:
        if self.code.encoding != UTF8:
            self._single_byte(chunk)
        elif not self.damaged:
            self.gzip = self.line == 1 and self.ascii and chunk.startswith(_GZIP_MAGIC)  # the file's first bytes
            pending = self.decoder.getstate()[0]  # bytes of a character split across two chunks
            try:
                self.decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = max(exc.start - len(pending), 0)  # offset in this chunk
                byte = (pending + chunk)[exc.start]
                self._not_utf8(self.line + chunk.count(b"\n", 0, bad), byte, _ascii_text(chunk[:bad]),
                               (pending + chunk)[exc.start :])
            else:
                left = len(self.decoder.getstate()[0])  # a character cut at the chunk's end: not seen yet
                self.ascii = self.ascii and _ascii_text(chunk[: len(chunk) - left])
        self.line += chunk.count(b"\n")

    def finish(self) -> TextCode:
        """The code, once every byte was fed."""
        if self.code.encoding == UTF8 and not self.damaged:
            pending = self.decoder.getstate()[0]
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                if self.ascii:
                    self._not_utf8(self.line, pending[0], True, pending)
                else:
                    self._refuse(f"{self.path}: line {self.line} is not UTF-8 (the file ends inside a character).")
        return self.current()

    def current(self) -> TextCode:
        """The code of the bytes fed so far (Latin-1 once a byte Windows-1252 leaves undefined was seen)."""
        if self.code.encoding == SINGLE_BYTE and self.undefined:
            return TextCode("latin-1", self.code.line, self.code.byte)
        return self.code

    def _not_utf8(self, line: int, byte: int, ascii_before: bool, rest: bytes) -> None:
        """The first byte that is not UTF-8, `byte` on `line`, and the bytes from it on of its chunk (`rest`)."""
        if self.gzip:
            self._refuse(f"{self.path}: is gzip-compressed (it starts with gzip's bytes 1F 8B) but its name does not "
                         "say so; name it .gz (data.csv.gz) or decompress it.")
        elif self.ascii and ascii_before:
            self.code = TextCode(SINGLE_BYTE, line, byte)
            self._single_byte(rest)
        else:
            self._refuse_line(line, byte)

    def _single_byte(self, chunk: bytes) -> None:
        if not _single_byte_text(chunk):  # control bytes: binary (UTF-16, an image), not Windows-1252 text
            self._refuse_line(self.code.line, self.code.byte)
        self.undefined = self.undefined or not _UNDEFINED_1252.isdisjoint(chunk)

    def _refuse_line(self, line: int, byte: int) -> None:
        self._refuse(str(not_utf8_error(self.path, line, byte)))

    def _refuse(self, message: str) -> None:
        if self.strict:
            raise DataError(message)
        self.damaged = True
        self.code = TextCode()


def text_code(data: bytes, path) -> TextCode:
    """The `TextCode` of a whole file's bytes `data` (see `scan_lines`); a damaged file raises DataError naming
    `path` and the line."""
    scanner = _Scanner(path)
    scanner.feed(data)
    return scanner.finish()


def head_code(head: bytes) -> TextCode:
    """The `TextCode` the first bytes of a file say (a character cut at the end is fine): UTF-8, or `SINGLE_BYTE`
    (``"latin-1"``) for ASCII followed by a byte that is not UTF-8; UTF-8 for a damaged head (the reader then
    says what is wrong)."""
    scanner = _Scanner("", strict=False)
    scanner.feed(head)
    return scanner.current()


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


def text_head(path: Path, n_bytes: int) -> tuple[str, TextCode]:
    """``(text, code)``: the first `n_bytes` of the (decompressed) file as text ("" for a compression left to
    pandas), in the code they say (`head_code`); a byte sequence cut at the end, or invalid, becomes U+FFFD (the
    full check is `scan_lines`')."""
    try:
        with _open_binary(Path(path)) as handle:
            head = handle.read(n_bytes) if handle is not None else b""
    except _DECOMPRESSION_ERRORS:
        return "", TextCode()  # the reader names the damaged file
    code = head_code(head)
    return head.decode("utf-8-sig" if code.encoding == UTF8 else code.encoding, errors="replace"), code


def scan_lines(path: str | Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> TextCode:
    """Stream the file once: every line must be at most `max_line_bytes` long, and the file UTF-8 or else ASCII up
    to a Windows-1252 (Latin-1) letter; return how it is text.

    Raises
    ------
    DataError
        ``"<path>: line 3 is not UTF-8 (byte 0xE9 ...)"`` (a UTF-8 letter before it: damaged), ``"<path>: line 1
        is longer than ... bytes ..."``, or a corrupt gzip/bz2/xz stream.
    """
    path = Path(path)
    chunk_bytes = min(_CHUNK_BYTES, max_line_bytes)  # a line inside one chunk is then never too long
    scanner = _Scanner(path)  # it counts the lines too
    run = 0  # how many bytes of the current line were seen so far
    try:
        with _open_binary(path) as handle:
            if handle is None:
                return TextCode()
            while chunk := handle.read(chunk_bytes):
                line = scanner.line  # where the chunk starts
                scanner.feed(chunk)
                first = chunk.find(b"\n")
                if first == -1:
                    run += len(chunk)
                else:
                    _check_length(path, line, run + first, max_line_bytes)
                    run = len(chunk) - chunk.rfind(b"\n") - 1
                _check_length(path, scanner.line, run, max_line_bytes)
            return scanner.finish()
    except _DECOMPRESSION_ERRORS as exc:
        raise DataError(f"{path}: the compressed stream is corrupt or truncated ({exc}).") from None


def _check_length(path: Path, line: int, length: int, max_line_bytes: int) -> None:
    if length > max_line_bytes:
        raise DataError(
            f"{path}: line {line} is longer than {max_line_bytes} bytes, the maximum line length of a table; "
            "it is not a delimited text table (or it is damaged)."
        )


def _records(path: Path, delimiter: str, encoding: str = UTF8) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record ends, fields) of every non-blank record, as pandas' C parser splits them;
    delimiter ``"whitespace"`` splits at runs of blanks (pandas' ``sep=r"\\s+"``)."""
    with _open_binary(path) as handle:
        if handle is None:
            return
        text = io.TextIOWrapper(handle, encoding="utf-8-sig" if encoding == UTF8 else encoding, newline="")
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


def header_fields(path: str | Path, delimiter: str, encoding: str = UTF8) -> list[str] | None:
    """The header row as written (pandas renames duplicates); None when the file is compressed as zip/zst."""
    with closing(_records(Path(path), delimiter, encoding)) as records:
        for _, row in records:
            return row
    return None


def first_ragged_line(path: str | Path, delimiter: str, encoding: str = UTF8) -> tuple[int, int, int] | None:
    """``(line, n_fields, n_header_fields)`` of the first record whose field count is not the header's, or None."""
    expected = None
    with closing(_records(Path(path), delimiter, encoding)) as records:
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


def check_ragged(path: Path, delimiter: str, encoding: str = UTF8) -> None:
    """Refuse the first record whose field count differs from the header's, naming its line."""
    ragged = first_ragged_line(path, delimiter, encoding)
    if ragged is not None:
        line, n_fields, expected = ragged
        raise DataError(
            f"{path}: line {line} has {n_fields} fields but the header has {expected} (delimiter {delimiter!r}); "
            "every row needs one value per column (quote values that contain the delimiter)."
        )
