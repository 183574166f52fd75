"""Labels of a streamed table: rows per distinct raw value, then the classes `labels.fit_classes` would choose.

The raw values are kept as read (CSV fields are text), and typed at the end as pandas would type the whole
column: numbers when every label parses as one (then whole floats are integers), pandas' bool words, or text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from multiclass.exceptions import DataError
from multiclass.data.labels import fit_classes
from multiclass.data.stream.source import TableSource

__all__ = ["LabelScan", "fit_labels", "located"]

_PANDAS_TRUE, _PANDAS_FALSE = {"True", "TRUE", "true"}, {"False", "FALSE", "false"}  # pandas.read_csv's bool words
Location = tuple[int, int]  # (shard, row of the shard), both 0-based


@dataclass
class LabelScan:
    """Rows per distinct raw label, the first bad rows and, with `by_piece`, the rows of each label in each piece.

    The per-piece counts (for the stratified validation split, `multiclass.data.stream.split`) are kept by raw
    label, since the class codes are only known once every label has been seen: per piece, arrays of label ids
    (`raws` numbers the raw labels) and rows, 12 bytes per (piece, label) pair present.
    """

    counts: Counter = field(default_factory=Counter)
    first_row: dict = field(default_factory=dict)  # raw label -> location of its first row
    first_missing: Location | None = None
    by_piece: bool = False
    raws: dict = field(default_factory=dict)  # raw label -> its id in `pieces`
    pieces: dict = field(default_factory=dict)  # piece index -> ((n,) int32 label ids, (n,) int64 rows)
    _piece: Counter = field(default_factory=Counter)  # the piece being read

    def update(self, series: pd.Series, shard: int, first_row: int) -> None:
        missing = series.isna().to_numpy()
        if missing.any():
            where = (shard, first_row + int(np.flatnonzero(missing)[0]))
            self.first_missing = where if self.first_missing is None else min(self.first_missing, where)
        present = series[~missing]
        counts = present.value_counts(sort=False).to_dict()
        self.counts.update(counts)
        if self.by_piece:
            self._piece.update(counts)
        firsts = present.drop_duplicates()
        for raw, row in zip(firsts.tolist(), firsts.index.tolist()):
            where = (shard, first_row + int(row))
            if raw not in self.first_row or where < self.first_row[raw]:
                self.first_row[raw] = where

    def end_piece(self, index: int) -> None:
        """Store the rows of each label of the piece just read (with `by_piece`) under its index."""
        if self.by_piece:
            ids = np.array([self.raws.setdefault(raw, len(self.raws)) for raw in self._piece], dtype=np.int32)
            self.pieces[index] = (ids, np.array(list(self._piece.values()), dtype=np.int64))
        self._piece = Counter()

    def merge(self, other: LabelScan) -> None:
        self.counts.update(other.counts)
        for raw, where in other.first_row.items():
            if raw not in self.first_row or where < self.first_row[raw]:
                self.first_row[raw] = where
        if other.first_missing is not None:
            self.first_missing = min(filter(None, (self.first_missing, other.first_missing)))
        if other.pieces:  # the other rank numbered its labels in its own order
            ids = np.array([self.raws.setdefault(raw, len(self.raws)) for raw in other.raws], dtype=np.int32)
            self.pieces.update({index: (ids[raw_ids], rows) for index, (raw_ids, rows) in other.pieces.items()})

    def piece_counts(self, label_codes: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(piece, code, rows)`` entries, (n_entries,) int64 each: rows of each class in each piece."""
        code_of = np.array([label_codes[raw] for raw in self.raws], dtype=np.int64)  # label id -> class code
        pieces = sorted(self.pieces)
        piece = np.repeat(np.array(pieces, dtype=np.int64), [len(self.pieces[i][0]) for i in pieces])
        code = np.concatenate([code_of[self.pieces[i][0]] for i in pieces]) if pieces else np.zeros(0, np.int64)
        rows = np.concatenate([self.pieces[i][1] for i in pieces]) if pieces else np.zeros(0, np.int64)
        return piece, code, rows


def located(source: TableSource, shard: int) -> str:
    return str(source.shards[shard])


def fit_labels(source: TableSource, target: str, labels: LabelScan):
    """`labels.fit_classes` on the distinct labels, typed as pandas would type the whole column."""
    where = f"column {target!r}"
    if labels.first_missing is not None and not labels.counts:  # the in-memory reader's words
        raise DataError(f"{source.path}: {where}: every label is missing; training needs labelled rows.")
    if labels.first_missing is not None:
        shard, row = labels.first_missing
        raise DataError(f"{located(source, shard)}: {where} row {row + 1}: the label is missing.")
    raws = list(labels.counts)
    if not raws:
        raise DataError(f"{source.path}: {where}: there are no labels; training needs at least one labelled sample.")
    values: list = raws
    if source.format == "csv":  # text: numbers if pandas would parse every label as one, pandas' bool words
        numbers = pd.to_numeric(pd.Series(raws, dtype=object), errors="coerce")
        if numbers.notna().all():
            values = numbers.tolist()
        elif set(raws) <= _PANDAS_TRUE | _PANDAS_FALSE:
            values = [raw in _PANDAS_TRUE for raw in raws]
    bad = [(labels.first_row[raw], value) for raw, value in zip(raws, values)
           if isinstance(value, float) and not value.is_integer()]
    if bad:
        (shard, row), value = min(bad)
        raise DataError(f"{located(source, shard)}: {where} row {row + 1}: label {value!r} is not a whole number; "
                        "class labels must be integers or strings.")
    array = np.array(values, dtype=object)
    if all(isinstance(v, float) for v in values):
        array = np.array(values, dtype=np.float64)
    classes, target_dtype, codes = fit_classes(array, where=where)
    label_codes = dict(zip(raws, codes.tolist()))
    counts = np.zeros(len(classes), np.int64)
    for raw, code in label_codes.items():
        counts[code] += labels.counts[raw]
    return classes, target_dtype, label_codes, counts
