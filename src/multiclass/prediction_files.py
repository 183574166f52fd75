"""Predictions files, written piece by piece: CSV (the default) or Parquet (a ``.parquet`` / ``.pq`` path).

CSV is pandas' text (``DataFrame.to_csv``), readable anywhere. Parquet keeps the columns typed (probabilities as
float64, exactly) and is several times faster to write at scale: formatting floats as text is most of what a
large CSV prediction costs. Both are written through `atomic.open_atomic`, so an error or Ctrl-C half way
leaves the previous file (or none), never half a file. `multiclass report --predictions` reads both.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from multiclass.atomic import open_atomic

__all__ = ["PARQUET_SUFFIXES", "PredictionWriter", "is_parquet", "write_predictions"]

PARQUET_SUFFIXES = (".parquet", ".pq")
# Cells (rows x columns) gathered into one Parquet row group: 2**22 keeps a row group near 32 MB of float64
# whatever the number of classes (65,536 rows at K = 60; 419 rows at K = 10,000).
_ROW_GROUP_CELLS = 1 << 22


def is_parquet(path: str | Path) -> bool:
    """Whether `path` names a Parquet predictions file (by its extension)."""
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


class PredictionWriter:
    """Append frames of predictions (same columns each time) to a binary `handle` as CSV or Parquet.

    Parameters
    ----------
    handle : binary file
        Usually from `atomic.open_atomic`.
    parquet : bool
        Write Parquet (typed columns, row groups of about `_ROW_GROUP_CELLS` cells) instead of CSV.
    """

    def __init__(self, handle: BinaryIO, *, parquet: bool):
        self.handle, self.parquet = handle, parquet
        self.rows = 0
        self._schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []

    def write(self, frame: pd.DataFrame) -> None:
        if not self.parquet:
            self.handle.write(frame.to_csv(index=False, header=self.rows == 0).encode())
        else:
            table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
            if self._schema is None:
                self._schema = table.schema
            self._pending.append(table)
            if sum(t.num_rows for t in self._pending) * len(self._schema) >= _ROW_GROUP_CELLS:
                self._flush()
        self.rows += len(frame)

    def _flush(self) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.handle, self._schema)
        self._writer.write_table(pa.concat_tables(self._pending))
        self._pending = []

    def close(self) -> None:
        """Finish the file (Parquet: the last row group and the footer). Call before the handle is closed."""
        if self.parquet and self._schema is not None:
            if self._pending or self._writer is None:
                self._flush()
            self._writer.close()


def write_predictions(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a whole predictions frame to `path` (CSV, or Parquet by extension), atomically."""
    with open_atomic(path) as handle:
        writer = PredictionWriter(handle, parquet=is_parquet(path))
        writer.write(frame)
        writer.close()
