"""The streaming validation split: stratified like the in-memory one, decided row by row with no communication.

Every class c with n_c rows sends exactly ``n_val_c = clip(round(f * n_c), 1, n_c - 1)`` rows to validation --
the counts of `multiclass.data.split.stratified_split` (one rule, `validation_counts`) -- chosen by
systematic sampling in file order. With i the row's index among the rows of its class in file order (0-based),

    H_c(i) = floor((i * n_val_c + s_c) / n_c),    s_c = floor(u_c * n_c),    u_c ~ U[0, 1) seeded per class,

counts the held-out rows among the first i, and the row is held out iff ``H_c(i + 1) - H_c(i) == 1``. Since
``0 <= s_c < n_c`` and ``n_val_c < n_c``, H_c(0) = 0 and H_c(n_c) = n_val_c exactly (integer arithmetic, no
rounding): one row in every ``n_c / n_val_c`` of the class, evenly through the file, shifted by the seed.

A row's within-class index is the rows of its class in the pieces before its own (from the scan's per-piece
class counts, `StreamSplit.offsets`) plus those before it in its piece, counted while reading it. So any rank
reading any piece in any order decides the same rows, with nothing exchanged beyond the scan's gather.

Memory: the per-piece class counts are kept sparse, one entry per (piece, class) pair that occurs -- a class
code (int32) and its offset (int64), 12 bytes -- so at most ``12 * min(n_pieces * n_classes, n_rows)`` bytes
(400 row groups x 10,000 classes all present in each: 48 MB; a table sorted by class: a few entries per piece),
plus ``8 * (n_pieces + 1)`` for the piece boundaries. A dense matrix would cost ``8 * n_pieces * n_classes``
bytes for the offsets whatever the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from multiclass.data.split import validation_counts

__all__ = ["StreamSplit", "fit_split", "held_before"]

# Second word of the seed of the per-class offsets u_c ("VAL" in ASCII). Not 0: SeedSequence pads with zeros, so
# [seed, 0] is default_rng(seed), the in-memory split's stream; `epoch_pieces` uses [seed, epoch], epoch >= 1.
_OFFSET_KEY = 0x56414C
# floor(sqrt(2**63 - 1)): below it, i * n_val_c < n_c**2 fits in int64; above it (3e9 rows of one class) the
# held counts are computed with Python integers, exactly, at Python speed.
_INT64_SQRT = 3_037_000_499


def held_before(index: np.ndarray, n_val: np.ndarray, n_rows: np.ndarray, start: np.ndarray) -> np.ndarray:
    """``H(i) = floor((i * n_val + start) / n_rows)``: held-out rows among the first `index` rows of a class.

    All arguments are int64 arrays of one shape (per row, or per (piece, class) entry), with
    ``0 <= index <= n_rows``, ``n_val < n_rows`` and ``0 <= start < n_rows``.
    """
    if len(n_rows) and int(n_rows.max()) > _INT64_SQRT:  # i * n_val could pass 2**63
        exact = (index.astype(object) * n_val.astype(object) + start.astype(object)) // n_rows.astype(object)
        return exact.astype(np.int64)
    return (index * n_val + start) // n_rows


@dataclass(frozen=True, eq=False)
class StreamSplit:
    """Which rows of a streamed table are held out for validation (see the module docstring).

    Attributes
    ----------
    n_rows, n_val, start : ndarray of int64, shape (n_classes,)
        Rows of each class, its validation rows, and ``s_c = floor(u_c * n_c)``.
    indptr : ndarray of int64, shape (n_pieces + 1,)
        Piece p's entries are ``codes[indptr[p]:indptr[p + 1]]`` (CSR by piece, classes ascending).
    codes : ndarray of int32, shape (n_entries,)
        The classes present in each piece.
    offsets : ndarray of int64, shape (n_entries,)
        Rows of that class in the pieces before (file order): the within-class index of its first row in the piece.
    """

    n_rows: np.ndarray
    n_val: np.ndarray
    start: np.ndarray
    indptr: np.ndarray
    codes: np.ndarray
    offsets: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.n_rows)

    def positions(self, piece: int) -> np.ndarray:
        """(n_classes,) int64: the within-class index of the next row of each class at the start of `piece`."""
        position = np.zeros(self.n_classes, np.int64)
        entries = slice(self.indptr[piece], self.indptr[piece + 1])
        position[self.codes[entries]] = self.offsets[entries]
        return position

    def held_out(self, codes: np.ndarray, position: np.ndarray) -> np.ndarray:
        """(n,) bool: which of these consecutive rows (class codes in file order) are held out.

        `position` (from `positions`, or zeros at the start of the table) is advanced past the rows, in place,
        so the next batch of the piece continues where this one ended.
        """
        codes = np.asarray(codes, dtype=np.int64)
        n = len(codes)
        order = np.argsort(codes, kind="stable")  # rows grouped by class, in file order within each
        grouped = codes[order]
        first = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]][:n])  # where each class's rows begin
        rank = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))  # index within its class in the batch
        index = np.empty(n, np.int64)
        index[order] = rank
        index += position[codes]  # (n,) within-class index in file order
        position += np.bincount(codes, minlength=self.n_classes)
        n_val, n_rows, start = self.n_val[codes], self.n_rows[codes], self.start[codes]
        return held_before(index + 1, n_val, n_rows, start) - held_before(index, n_val, n_rows, start) == 1

    def mask(self, codes: np.ndarray) -> np.ndarray:
        """(n_rows,) bool: the held-out rows of the whole table, given every row's class code in file order."""
        return self.held_out(codes, np.zeros(self.n_classes, np.int64))


def fit_split(piece: np.ndarray, code: np.ndarray, count: np.ndarray, *, n_pieces: int, class_counts: np.ndarray,
              fraction: float, seed: int, classes: Sequence | None = None) -> tuple[StreamSplit, np.ndarray]:
    """The split of a table from its per-piece class counts, and the held-out rows of each piece.

    Parameters
    ----------
    piece, code, count : ndarray of int, shape (n_entries,)
        Rows of class ``code`` in piece ``piece`` (pieces in `TableSource.pieces` order); a (piece, class)
        pair may repeat (two raw labels of one class): its counts are summed.
    n_pieces : int
    class_counts : ndarray of int64, shape (n_classes,)
        Rows of each class (the sums of `count` by class); every class has at least one.
    fraction : float in (0, 1)
    seed : int
    classes : sequence of str, optional
        Class names, for the error message.

    Returns
    -------
    split : StreamSplit
    piece_held : ndarray of int64, shape (n_pieces,)
        Held-out rows of each piece: ``sum_c H_c(offset + count) - H_c(offset)``, no reading needed.

    Raises
    ------
    DataError
        If no class has 2 rows, with the message of `stratified_split` (a class of 1 row stays in training,
        with the same `DataWarning`).
    """
    n_rows = np.asarray(class_counts, dtype=np.int64)
    n_val = validation_counts(n_rows, fraction, classes=classes)
    u = np.random.default_rng([int(seed), _OFFSET_KEY]).random(len(n_rows))  # (K,) in [0, 1)
    start = np.minimum(np.floor(u * n_rows), np.maximum(n_rows - 1, 0)).astype(np.int64)  # u*n may round up to n

    order = np.lexsort((code, piece))  # by piece, then class; sum repeated pairs
    piece, code, count = (np.asarray(a, dtype=np.int64)[order] for a in (piece, code, count))
    first = np.flatnonzero(np.r_[True, (piece[1:] != piece[:-1]) | (code[1:] != code[:-1])][:len(piece)])
    piece, code = piece[first], code[first]
    count = np.add.reduceat(count, first) if len(count) else count

    by_class = np.lexsort((piece, code))  # by class, then piece (file order)
    sorted_count = count[by_class]
    before = np.cumsum(sorted_count) - sorted_count  # rows of lower classes and of earlier pieces
    sorted_code = code[by_class]
    new_class = np.r_[True, sorted_code[1:] != sorted_code[:-1]][:len(code)]
    base = np.maximum.accumulate(np.where(new_class, before, 0))  # rows of lower classes (`before` never falls)
    offsets = np.empty_like(count)
    offsets[by_class] = before - base

    indptr = np.searchsorted(piece, np.arange(n_pieces + 1)).astype(np.int64)
    args = (n_val[code], n_rows[code], start[code])
    held = held_before(offsets + count, *args) - held_before(offsets, *args)  # (n_entries,)
    total = np.r_[0, np.cumsum(held)]
    piece_held = total[indptr[1:]] - total[indptr[:-1]]
    split = StreamSplit(n_rows, n_val, start, indptr, code.astype(np.int32), offsets)
    return split, piece_held.astype(np.int64)
