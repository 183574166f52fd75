"""Bounded selection: per group, the entries of largest key (ties: the earlier row), fed batch by batch.

The pruning rules keep, per class or per pair of classes, a known number of rows with the largest key (a margin,
or a low probability negated). A `TopPool` holds only candidates that can still make the cut: once a group is
full, its cut is the key of its last kept entry, and a later row enters only with a strictly larger key (rows
arrive in increasing order, so an equal key loses the tie). Candidates are buffered and the pool compacted with
one ``lexsort`` when the buffer outgrows what is kept, so the work is amortised over the stream.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TopPool", "top_per_group"]

# Buffered candidates before a compaction is worth its sort: 65,536 entries (~3 MB).
_MIN_COMPACT = 2**16


def top_per_group(group: np.ndarray, key: np.ndarray, row: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Mask of the entries kept: per group, the ``capacity[group]`` of largest key, ties by smaller row.

    Examples
    --------
    >>> top_per_group(np.array([0, 0, 0, 1]), np.array([0.5, 0.9, 0.5, 0.1]), np.arange(4), np.array([2, 0]))
    array([ True,  True, False, False])
    """
    order = np.lexsort((row, -key, group))  # by group, then key descending, then row ascending
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]]) if len(order) else np.zeros(0, int)
    sizes = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, sizes)  # position within its group
    keep = np.zeros(len(order), dtype=bool)
    keep[order[rank < capacity[sorted_group]]] = True
    return keep


class TopPool:
    """Per group g, the ``capacity[g]`` entries of largest key seen so far, with their payload columns.

    Parameters
    ----------
    capacity : ndarray of int, shape (G,)
        Entries to keep per group (0: the group takes nothing).
    payload : dict of str -> dtype
        The extra columns every `add` passes, and their types.
    """

    def __init__(self, capacity: np.ndarray, payload: dict[str, type]):
        self.capacity = np.asarray(capacity, dtype=np.int64)
        self.cut = np.where(self.capacity > 0, -np.inf, np.inf)  # (G,) a candidate's key must exceed its cut
        columns = {"group": np.int64, "key": np.float64, "row": np.int64, **payload}
        self.kept = {name: np.zeros(0, dtype) for name, dtype in columns.items()}
        self.pending: list[dict[str, np.ndarray]] = []
        self.n_pending = 0

    def add(self, group: np.ndarray, key: np.ndarray, row: np.ndarray, **payload: np.ndarray) -> None:
        """Offer entries (all arrays of one length); those below their group's cut are dropped at once."""
        admit = key > self.cut[group]
        if not admit.any():
            return
        entry = {"group": group[admit], "key": key[admit], "row": row[admit]}
        entry.update({name: values[admit] for name, values in payload.items()})
        self.pending.append(entry)
        self.n_pending += int(admit.sum())
        if self.n_pending > max(len(self.kept["row"]), _MIN_COMPACT):
            self._compact()

    def _compact(self) -> None:
        if not self.pending:
            return
        parts = [self.kept, *self.pending]
        merged = {name: np.concatenate([part[name] for part in parts]) for name in self.kept}
        keep = top_per_group(merged["group"], merged["key"], merged["row"], self.capacity)
        self.kept = {name: values[keep] for name, values in merged.items()}
        self.pending, self.n_pending = [], 0
        group, key = self.kept["group"], self.kept["key"]
        lowest = np.full(len(self.capacity), np.inf)
        np.minimum.at(lowest, group, key)
        full = np.bincount(group, minlength=len(self.capacity)) >= self.capacity
        self.cut = np.where(full & (self.capacity > 0), lowest, self.cut)

    def result(self) -> dict[str, np.ndarray]:
        """The kept entries (columns group, key, row and the payload), in no particular order."""
        self._compact()
        return self.kept
