"""The whole confusion matrix at a glance, for any number of classes: an order of the classes that puts classes
confused with each other side by side, and the matrix of error shares in that order (blocks of classes when K is
large).

The order is a greedy path cover of the confusion graph (the seriation heuristic of a nearest-neighbour chain):
take the class pairs from the most confused down, weighing a pair by the shares of each class sent to the other
(``c_ij / n_i + c_ji / n_j``, so a small class's confusions count as much as a large one's), and join the two
classes whenever both still have a free side and are not already on one path. Each path is a chain of
confusions; paths are laid out from the most confused, then the classes that are never confused, in class order.
It uses only the non-zero cells, so it costs O(nnz log nnz) whether K is 10 or 100,000 (a dense matrix or a
`metrics.SparseConfusion`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Overview", "confusion_overview"]

MAX_CELLS = 200  # cells per side of the drawn matrix: beyond, consecutive classes of the order share a cell


@dataclass(frozen=True)
class Overview:
    """The ordered matrix and what its data table lists.

    Attributes
    ----------
    order : ndarray of int, shape (K,)
        Class indices, in display order.
    shares : ndarray of float, shape (B, B)
        Share of the rows of block a's true classes predicted as block b's classes, errors only (a class's own
        correct rows are left out); NaN on the diagonal when blocks are single classes. B = ceil(K / block).
    block : int
        Classes per cell (1 up to `MAX_CELLS` classes).
    error_share : ndarray of float, shape (K,)
        Per class (class order): the share of its rows predicted as another class (0 for an absent class).
    partner : ndarray of int, shape (K,)
        Per class: the class it is most often mistaken for (-1 when it never is).
    partner_share : ndarray of float, shape (K,)
    """

    order: np.ndarray
    shares: np.ndarray
    block: int
    error_share: np.ndarray
    partner: np.ndarray
    partner_share: np.ndarray


def _cells(confusion) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(true, pred, count) of the off-diagonal non-zero cells, and the (K,) support."""
    support = np.asarray(confusion.sum(axis=1), dtype=np.int64).ravel()
    if isinstance(confusion, np.ndarray):
        true, pred = np.nonzero(confusion)
        counts = confusion[true, pred]
    else:  # metrics.SparseConfusion: its non-zero cells
        true, pred, counts = confusion.true, confusion.pred, confusion.counts
    off = true != pred
    return (np.asarray(true[off], np.int64), np.asarray(pred[off], np.int64),
            np.asarray(counts[off], np.float64), support)


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _order(k: int, true, pred, counts, support) -> np.ndarray:
    rate = counts / np.maximum(support[true], 1)  # share of the true class sent to the predicted one
    low, high = np.minimum(true, pred), np.maximum(true, pred)
    pairs, where = np.unique(low * k + high, return_inverse=True)
    weight = np.bincount(where, weights=rate)  # c_ij / n_i + c_ji / n_j per unordered pair
    parent, degree = np.arange(k), np.zeros(k, np.int64)
    neighbours: list[list[int]] = [[] for _ in range(k)]
    strength = np.zeros(k)
    for p in np.lexsort((pairs, -weight)):  # heaviest first; ties by class index, so the order is reproducible
        i, j = divmod(int(pairs[p]), k)
        if degree[i] < 2 and degree[j] < 2 and _find(parent, i) != _find(parent, j):
            parent[_find(parent, i)] = _find(parent, j)
            degree[i] += 1
            degree[j] += 1
            neighbours[i].append(j)
            neighbours[j].append(i)
            strength[i] += weight[p]
            strength[j] += weight[p]
    visited, paths = np.zeros(k, bool), []
    for start in range(k):  # each path (no cycles: see the union-find) walked from its lower-numbered end
        if degree[start] != 1 or visited[start]:
            continue
        path, previous, here = [start], -1, start
        visited[start] = True
        while step := [n for n in neighbours[here] if n != previous]:
            previous, here = here, step[0]
            path.append(here)
            visited[here] = True
        paths.append(path)
    paths.sort(key=lambda path: -strength[path].sum())
    joined = [c for path in paths for c in path]
    alone = [c for c in range(k) if degree[c] == 0]
    return np.array(joined + alone, dtype=np.int64)


def confusion_overview(confusion, max_cells: int = MAX_CELLS) -> Overview:
    """The ordered error-share matrix of `confusion` (K x K, rows = true class), in at most `max_cells` cells a side."""
    k = confusion.shape[0]
    true, pred, counts, support = _cells(confusion)
    order = _order(k, true, pred, counts, support)
    position = np.empty(k, np.int64)
    position[order] = np.arange(k)
    block = -(-k // max_cells)
    n_blocks = -(-k // block)
    totals = np.zeros((n_blocks, n_blocks))
    np.add.at(totals, (position[true] // block, position[pred] // block), counts)
    rows = np.bincount(position // block, weights=support, minlength=n_blocks)  # (B,) true rows per block
    shares = totals / np.maximum(rows, 1)[:, None]
    if block == 1:
        np.fill_diagonal(shares, np.nan)
    errors = np.bincount(true, weights=counts, minlength=k)
    error_share = errors / np.maximum(support, 1)
    partner, partner_share = np.full(k, -1, np.int64), np.zeros(k)
    if len(counts):
        best = np.lexsort((pred, -counts, true))  # per true class: its largest cell first
        first = best[np.r_[True, true[best][1:] != true[best][:-1]]]
        partner[true[first]] = pred[first]
        partner_share[true[first]] = counts[first] / np.maximum(support[true[first]], 1)
    return Overview(order, shares, block, error_share, partner, partner_share)
