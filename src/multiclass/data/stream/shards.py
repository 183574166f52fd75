"""Which table files and folders are streamed: light checks (no pandas, no pyarrow), so `multiclass predict` can
choose its reader before importing one."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["COMPRESSION", "CSV_EXTENSIONS", "DEFAULT_BATCH_ROWS", "PARQUET_EXTENSIONS", "STREAM_MEMORY_FRACTION",
           "is_table_shards", "should_stream", "table_kind"]

PARQUET_EXTENSIONS = (".parquet", ".pq")
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
COMPRESSION = (".gz", ".bz2")  # what pyarrow's input streams decompress on the fly
# Rows per record batch: 65,536 rows x 100 float64 columns is 50 MB of pandas frame, a few ms of work per batch.
DEFAULT_BATCH_ROWS = 65_536


def table_kind(path: Path) -> str | None:
    """"parquet", "csv" or None, from the name (a .gz / .bz2 suffix is looked through)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in PARQUET_EXTENSIONS:
        return "parquet"
    if suffixes and suffixes[-1] in CSV_EXTENSIONS:
        return "csv"
    return None


def is_table_shards(path: str | Path) -> bool:
    """True for a folder whose every (visible) file is a Parquet or CSV table: a dataset in shards. A folder that
    holds anything else (images in class sub-folders, with or without a stray .txt) is not one, nor is a text
    folder in class sub-folders (`multiclass.data.text_folder`: documents, even named .txt; a flat folder of .txt
    files stays shards)."""
    path = Path(path)
    if not path.is_dir():
        return False
    from multiclass.data.text_folder import is_text_folder  # imports PIL and scipy: only for a folder

    if is_text_folder(path) and any(p.is_dir() for p in path.iterdir()):  # class sub-folders of documents
        return False
    files = [p for p in path.rglob("*") if p.is_file()
             and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)]
    return bool(files) and all(table_kind(p) is not None for p in files)


# A table file is streamed rather than loaded when it is larger than this fraction of the machine's memory:
# pandas holds a CSV as ~3-10x its size on disk, and training copies the feature matrix twice more.
STREAM_MEMORY_FRACTION = 1 / 8


def should_stream(path: str | Path, memory_bytes: int | None = None) -> bool:
    """True for a folder of table shards, or a table file larger than `STREAM_MEMORY_FRACTION` of the memory."""
    path = Path(path)
    if is_table_shards(path):
        return True
    if not (path.is_file() and table_kind(path) is not None):
        return False
    if memory_bytes is None:
        try:
            memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return False  # unknown memory: load as before; --stream asks for streaming explicitly
    return path.stat().st_size > STREAM_MEMORY_FRACTION * memory_bytes
