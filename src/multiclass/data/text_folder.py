"""A folder of class sub-folders of text files (``root/<class>/<doc>.txt``) -> documents and their labels.

The layout of an image folder, told apart by content: the files are text (UTF-8, no NUL byte in their first
`SNIFF_BYTES`), not images, and not table shards (no ``.csv``/``.tsv``/``.parquet``/``.pq`` file, compressed or
not, which a folder of shards is made of). Any extension, or none, is a document: ``.txt``, ``.md``, a
newsgroup post named by its number. Reading (`read_text_folder`) then decodes each whole file as UTF-8 and names
the first that is not.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from multiclass.exceptions import DataError
from multiclass.data.images import list_image_folder

__all__ = ["is_text_file", "is_text_folder", "read_text_folder", "SNIFF_BYTES"]

SNIFF_BYTES = 8192  # a file's first 8 KiB decide whether it is text: images have NUL bytes in their headers
SAMPLED_FILES = 32  # files looked at to tell a text folder from an image folder (evenly spread, in sorted order)
_TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".pq"}
_COMPRESSION = {".gz", ".bz2", ".xz", ".zip", ".zst"}


def _is_table_file(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in _COMPRESSION]
    return bool(suffixes) and suffixes[-1] in _TABLE_SUFFIXES


def is_text_file(path: Path) -> bool:
    """Whether the file's first `SNIFF_BYTES` are UTF-8 text without NUL bytes (an empty file is text)."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return False
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

    Raises
    ------
    DataError
        No such folder, an empty class folder, a stray file beside the class folders, a file that is not UTF-8
        text (named, with the byte offset).
    """
    paths, labels = list_image_folder(root, what="text files")
    texts = []
    for path in paths:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")  # a byte-order mark is dropped, as the table reader drops it
        except UnicodeDecodeError as error:
            raise DataError(f"{path}: not UTF-8 text (byte {error.start}); a text folder holds UTF-8 files.") from None
        if "\x00" in text:
            raise DataError(f"{path}: holds a NUL byte, so it is not a text file; a text folder holds UTF-8 files.")
        texts.append(text)
    return texts, labels, paths
