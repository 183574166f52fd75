"""A folder of class sub-folders of text files (``root/<class>/<doc>.txt``) -> documents and their labels.

The layout of an image folder, told apart by content: the files are text (no NUL byte in their first
`SNIFF_BYTES`, and UTF-8 or else almost no control bytes), not images, and not table shards (no
``.csv``/``.tsv``/``.parquet``/``.pq`` file, compressed or not, which a folder of shards is made of). Any
extension, or none, is a document: ``.txt``, ``.md``, a newsgroup post named by its number.

Reading (`read_text_folder`) decodes each whole file as UTF-8; a file that is not UTF-8 is read as Windows-1252
(Latin-1 for the five bytes that code leaves undefined), as the text of old mail, news and Windows editors is
written -- the classic 20 Newsgroups folders hold such posts, and scikit-learn's loader reads them all as Latin-1 --
and one `DataWarning` counts them and names the first. A file holding a NUL byte is not text: an error names it.
"""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path

from multiclass.exceptions import DataError, DataWarning
from multiclass.data.images import list_image_folder

__all__ = ["decode_document", "is_text_file", "is_text_folder", "read_text_folder", "SNIFF_BYTES"]

SNIFF_BYTES = 8192  # a file's first 8 KiB decide whether it is text: images have NUL bytes in their headers
# A file that is not UTF-8 is still text in a single-byte code when at most this share of its first bytes are
# control characters other than tab, line feed, vertical tab, form feed, carriage return and escape.
MAX_CONTROL_SHARE = 0.01
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
SAMPLED_FILES = 32  # files looked at to tell a text folder from an image folder (evenly spread, in sorted order)
_TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".pq"}
_COMPRESSION = {".gz", ".bz2", ".xz", ".zip", ".zst"}


def _is_table_file(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in _COMPRESSION]
    return bool(suffixes) and suffixes[-1] in _TABLE_SUFFIXES


def decode_document(raw: bytes) -> tuple[str, bool]:
    r"""``(text, single_byte)``: `raw` decoded as UTF-8 (a byte-order mark dropped), or when it is not UTF-8 as
    Windows-1252 with Latin-1 for the bytes that code leaves undefined (``single_byte`` True).

    Examples
    --------
    >>> decode_document("café".encode("utf-8"))
    ('café', False)
    >>> decode_document("café".encode("latin-1"))
    ('café', True)
    >>> decode_document(b"\x93quoted\x94 \x81")
    ('“quoted” \x81', True)
    """
    try:
        return raw.decode("utf-8-sig"), False  # a byte-order mark is dropped, as the table reader drops it
    except UnicodeDecodeError:
        return "".join(_windows_1252(raw)), True


def _windows_1252(raw: bytes):
    text = raw.decode("cp1252", errors="replace")  # 0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined there
    if "\ufffd" not in text:
        yield text
        return
    for byte in raw:  # rare: decode byte by byte, the undefined ones as Latin-1 (their code point is the byte)
        yield bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)


def is_text_file(path: Path) -> bool:
    """Whether the file's first `SNIFF_BYTES` are text: no NUL byte, and UTF-8 or else at most `MAX_CONTROL_SHARE`
    control bytes (text in a single-byte code such as Latin-1 or Windows-1252). An empty file is text."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        controls = len(head) - len(head.translate(None, _CONTROL))
        return controls <= MAX_CONTROL_SHARE * len(head)
    return True


def _visible_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def is_text_folder(path: str | Path) -> bool:
    """True for a folder whose files (flat, or in class sub-folders) are text documents: see the module docstring.

    Only `SAMPLED_FILES` files are opened, so a large folder is told apart at once; a binary file among the
    others is reported when the folder is read.
    """
    root = Path(path)
    if not root.is_dir():
        return False
    files = _visible_files(root)
    if not files or any(_is_table_file(p) for p in files):
        return False
    step = max(1, len(files) // SAMPLED_FILES)
    return all(is_text_file(p) for p in files[::step][:SAMPLED_FILES])


def read_text_folder(root: str | Path) -> tuple[list[str], list[str] | None, list[Path]]:
    """``(texts, labels, paths)`` of a text folder; labels are the class sub-folder names (None if flat).

    A file that is not UTF-8 is read as Windows-1252 (`decode_document`); one `DataWarning` counts such files and
    names the first.

    Raises
    ------
    DataError
        No such folder, an empty class folder, a stray file beside the class folders, a file holding a NUL byte
        (named: a binary file, not text).
    """
    paths, labels = list_image_folder(root, what="text files")
    texts, single_byte = [], []
    for path in paths:
        text, not_utf8 = decode_document(path.read_bytes())
        if "\x00" in text:
            raise DataError(f"{path}: holds a NUL byte, so it is not a text file; a text folder holds text files.")
        if not_utf8:
            single_byte.append(path)
        texts.append(text)
    if single_byte:
        warnings.warn(f"{root}: {len(single_byte):,} of {len(paths):,} files are not UTF-8 and were read as "
                      f"Windows-1252 (Latin-1), as old mail and news posts are written; the first: "
                      f"{single_byte[0].relative_to(root).as_posix()}.", DataWarning, stacklevel=2)
    return texts, labels, paths
