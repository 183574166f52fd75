"""The confusion matrix for many classes: only its non-zero cells, and every score from its diagonal and margins.

At K = 10,000 classes a dense int64 K x K matrix is 800 MB, while n predictions touch at most n cells (and
mostly the diagonal). `SparseConfusion` keeps the non-zero cells as COO triplets ``(true, pred, count)``,
sorted row-major (rows = true class, columns = predicted class, as everywhere in this package). It is built
with one ``bincount`` over the correct predictions (the diagonal) plus one ``np.unique(true * K + pred)`` over
the errors only, adds up across chunks or workers with `merge`, and gives per-class precision, recall and F1
from three K-vectors -- ``tp`` (the diagonal), ``pred_sum`` (column sums) and ``true_sum`` (row sums) -- with
exactly the formulas, and so the numbers, of the dense functions (`prf_from_totals`).

`DENSE_MAX_CLASSES` is where code that may meet large K (the evaluation report) switches from the dense matrix
to this one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks
from multiclass.metrics.totals import HEADLINE_SCORES, headline_scores

__all__ = [
    "DENSE_MAX_CLASSES",
    "SparseConfusion",
    "confusion_totals",
    "scores_from_totals",
    "sparse_confusion_matrix",
]

# Up to this many classes a dense (K, K) int64 matrix is at most 8 MiB and every view of it is cheap; beyond,
# code that does not need the full matrix keeps it sparse.
DENSE_MAX_CLASSES = 1024


@dataclass(frozen=True, eq=False)
class SparseConfusion:
    """A K x K confusion matrix stored as its non-zero cells (rows = true class, columns = predicted class).

    Build it with `sparse_confusion_matrix` or `SparseConfusion.from_dense`. The ndarray-like members
    (`shape`, ``len``, `sum`, `diagonal`, `toarray`) mirror numpy's and scipy.sparse's.

    Attributes
    ----------
    n_classes : int
    true, pred : ndarray of int64, shape (nnz,)
        Cell coordinates, sorted by ``true * K + pred``.
    counts : ndarray of int64, shape (nnz,)
        Samples in each cell (> 0).

    Examples
    --------
    >>> cm = sparse_confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], n_classes=3)
    >>> cm.nnz, int(cm.sum()), cm.diagonal().tolist()
    (4, 4, [1, 1, 1])
    >>> cm.toarray().tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """

    n_classes: int
    true: np.ndarray
    pred: np.ndarray
    counts: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_classes, self.n_classes)

    def __len__(self) -> int:
        """K, the number of rows (as ``len`` of a dense matrix)."""
        return self.n_classes

    @property
    def nnz(self) -> int:
        """Number of non-zero cells."""
        return len(self.counts)

    @classmethod
    def from_cells(cls, n_classes: int, cells: np.ndarray, counts: np.ndarray) -> SparseConfusion:
        """From flat cell indices ``true * K + pred`` (any order, repeats summed) and their counts."""
        cells = np.asarray(cells, dtype=np.int64)
        counts = np.asarray(counts, dtype=np.int64)
        unique, inverse = np.unique(cells, return_inverse=True)
        summed = np.bincount(inverse.reshape(-1), weights=counts, minlength=len(unique))  # float64: exact < 2**53
        keep = summed > 0
        unique, summed = unique[keep], np.rint(summed[keep]).astype(np.int64)
        return cls(int(n_classes), unique // n_classes, unique % n_classes, summed)

    @classmethod
    def from_dense(cls, cm) -> SparseConfusion:
        """The non-zero cells of a dense (K, K) count matrix."""
        cm = np.asarray(cm)
        true, pred = np.nonzero(cm)  # row-major: already sorted
        return cls(cm.shape[0], true.astype(np.int64), pred.astype(np.int64), cm[true, pred].astype(np.int64))

    def merge(self, other: SparseConfusion) -> SparseConfusion:
        """The cell-wise sum with another matrix of the same K (chunks, or another worker's counts)."""
        if not isinstance(other, SparseConfusion) or other.n_classes != self.n_classes:
            raise DataError(f"`other` must be a SparseConfusion with {self.n_classes} classes; got {other!r}.")
        k = self.n_classes
        cells = np.concatenate([self.true * k + self.pred, other.true * k + other.pred])
        return SparseConfusion.from_cells(k, cells, np.concatenate([self.counts, other.counts]))

    def sum(self, axis: int | None = None):
        """Total count (axis=None), column sums (axis=0: predicted per class) or row sums (axis=1: support)."""
        if axis is None:
            return np.int64(self.counts.sum())
        index = self.pred if axis == 0 else self.true
        return np.bincount(index, weights=self.counts, minlength=self.n_classes).astype(np.int64)  # (K,)

    def diagonal(self) -> np.ndarray:
        """(K,) correct predictions per class."""
        on = self.true == self.pred
        return np.bincount(self.true[on], weights=self.counts[on], minlength=self.n_classes).astype(np.int64)

    def off_diagonal(self) -> SparseConfusion:
        """The errors only (diagonal cells dropped)."""
        off = self.true != self.pred
        return SparseConfusion(self.n_classes, self.true[off], self.pred[off], self.counts[off])

    def top_confused(self, n: int) -> list[tuple[int, int, int]]:
        """The `n` largest off-diagonal cells as ``(true, pred, count)``: largest first, then row-major order."""
        off = self.off_diagonal()
        top = min(int(n), off.nnz)
        if top == 0:
            return []
        order = np.lexsort((off.true * self.n_classes + off.pred, -off.counts))[:top]
        return [(int(off.true[i]), int(off.pred[i]), int(off.counts[i])) for i in order]

    def toarray(self) -> np.ndarray:
        """The dense (K, K) int64 matrix (K x K x 8 bytes: only for small K)."""
        dense = np.zeros(self.shape, dtype=np.int64)
        dense[self.true, self.pred] = self.counts
        return dense

    def to_dict(self) -> dict:
        """JSON-able COO form: ``{"format": "coo", "shape", "true", "predicted", "count"}`` (class indices)."""
        return {"format": "coo", "shape": [self.n_classes, self.n_classes], "true": self.true.tolist(),
                "predicted": self.pred.tolist(), "count": self.counts.tolist()}

    def __repr__(self) -> str:
        return f"SparseConfusion(n_classes={self.n_classes}, nnz={self.nnz}, n_samples={int(self.counts.sum())})"


def check_codes(y_true, y_pred, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """`y_true` and `y_pred` as int64 arrays of class indices in ``[0, n_classes)`` of one length.

    Raises
    ------
    DataError
        Not 1-D integer arrays, of different lengths, or with an index out of range.
    """
    arrays = []
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        values = np.asarray(values)
        if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
            raise DataError(f"`{name}` must be a 1-D array of class indices; got dtype {values.dtype} and shape "
                            f"{values.shape}.")
        if values.size and (values.min() < 0 or values.max() >= n_classes):
            bad = values.min() if values.min() < 0 else values.max()
            raise DataError(f"`{name}` must hold class indices in [0, {n_classes}); got {int(bad)!r}.")
        arrays.append(values.astype(np.int64, copy=False))
    if len(arrays[0]) != len(arrays[1]):
        raise DataError(f"`y_pred` must have the length of `y_true` ({len(arrays[0])}); got {len(arrays[1])}.")
    return arrays[0], arrays[1]


def sparse_confusion_matrix(y_true, y_pred, *, n_classes: int) -> SparseConfusion:
    """Count (true, predicted) class indices into a `SparseConfusion` without any K x K array.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    n_classes : int
        K.

    Returns
    -------
    SparseConfusion

    Raises
    ------
    DataError
        Inputs that are not 1-D integer arrays of one length, or indices outside ``[0, n_classes)``.
    """
    n_classes = _checks.check_positive_int(n_classes, "n_classes")
    y_true, y_pred = check_codes(y_true, y_pred, n_classes)
    right = y_true == y_pred
    diagonal = np.bincount(y_true[right], minlength=n_classes)  # (K,) the usually dominant cells, in O(n)
    wrong = y_true[~right] * n_classes + y_pred[~right]  # (errors,)
    cells, counts = np.unique(wrong, return_counts=True)  # the sort touches only the errors
    on = np.flatnonzero(diagonal)
    cells = np.concatenate([cells, on * (n_classes + 1)])
    counts = np.concatenate([counts, diagonal[on]])
    order = np.argsort(cells, kind="stable")
    cells, counts = cells[order], counts[order].astype(np.int64)
    return SparseConfusion(n_classes, cells // n_classes, cells % n_classes, counts)


def confusion_totals(cm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(tp, pred_sum, true_sum)``, each (K,), of a dense matrix or a `SparseConfusion`: all P/R/F1 need."""
    if isinstance(cm, SparseConfusion):
        return cm.diagonal(), cm.sum(axis=0), cm.sum(axis=1)
    cm = np.asarray(cm)
    return np.diagonal(cm), cm.sum(axis=0), cm.sum(axis=1)


def scores_from_totals(tp, pred_sum, true_sum) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro- and weighted-F1 from per-class totals, averaged over the classes that
    occur in truth or prediction and with undefined scores counting 0 -- the evaluation report's headline
    (`multiclass.metrics.headline_scores`), to the bit, without the matrix.

    Examples
    --------
    >>> scores = scores_from_totals(np.array([2, 1]), np.array([3, 1]), np.array([2, 2]))
    >>> scores["accuracy"], scores["balanced_accuracy"], round(scores["macro_f1"], 4)
    (0.75, 0.75, 0.7333)
    """
    scores = headline_scores(tp, pred_sum, true_sum)
    return {name: float(scores[name]) for name in HEADLINE_SCORES}
