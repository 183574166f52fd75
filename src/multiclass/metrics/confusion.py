"""The confusion matrix: one ``bincount(true * K + pred)``, rows = true class, columns = predicted class.

Every other metric in this package is derived from this matrix. `confusion_matrix` is the one-shot function with
scikit-learn's signature; `ConfusionMatrix` accumulates the same matrix over chunks of predictions (streaming
evaluation, or a sum over workers) and gives the same result as one call on the concatenated data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multiclass.exceptions import ConfigError, DataError
from multiclass.metrics import _checks
from multiclass.metrics._encode import encode

_NORMALIZE = (None, "true", "pred", "all")


def confusion_counts(true_idx, pred_idx, n_classes: int, sample_weight=None) -> np.ndarray:
    """Count (true, predicted) index pairs into a (K, K) matrix with one bincount.

    Parameters
    ----------
    true_idx, pred_idx : ndarray of int of shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    n_classes : int
        K, the size of the matrix.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weight of each sample. Integer or bool weights give an int64 matrix (exact), float weights a float64 one.

    Returns
    -------
    cm : ndarray of shape (n_classes, n_classes)
        ``cm[i, j]`` is the (weighted) number of samples of true class i predicted as class j.

    Examples
    --------
    >>> import numpy as np
    >>> confusion_counts(np.array([0, 1, 1]), np.array([0, 0, 1]), 2)
    array([[1, 0],
           [1, 1]])
    """
    flat = np.asarray(true_idx, dtype=np.intp) * n_classes  # (N,) one temporary, then in place
    flat += np.asarray(pred_idx, dtype=np.intp)
    if sample_weight is None:
        counts = np.bincount(flat, minlength=n_classes * n_classes)
    else:
        counts = np.bincount(flat, weights=sample_weight, minlength=n_classes * n_classes)
        if np.asarray(sample_weight).dtype.kind in "biu":
            counts = np.rint(counts).astype(np.int64)  # bincount sums in float64: exact below 2**53
    return counts.reshape(n_classes, n_classes)  # (K, K)


@dataclass(frozen=True)
class _Counts:
    """The confusion matrix of a call, with one extra row/column for labels outside ``labels`` when needed."""

    cm: np.ndarray  # (K, K), or (K+1, K+1) when n_outside > 0: the last row/column holds "any other label"
    classes: np.ndarray  # (K,)
    n_outside: int  # samples with y_true or y_pred outside `classes` (unweighted)
    weighted: bool  # sample_weight was given
    true_inside: bool  # some y_true is one of `classes`

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def inside(self) -> np.ndarray:
        """(K, K): the matrix restricted to `classes` (what confusion_matrix returns)."""
        k = self.n_classes
        return self.cm if self.cm.shape[0] == k else np.ascontiguousarray(self.cm[:k, :k])


# With labels=None and non-negative int labels up to H, counting straight into an (H+1, H+1) matrix and dropping
# the empty classes afterwards skips the encoding pass; worth it up to 2**22 cells (32 MiB of int64).
_DENSE_CELLS = 1 << 22


def _count_dense(y_true: np.ndarray, y_pred: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray] | None:
    """(cm, classes) for small non-negative int labels with labels=None, or None when that does not apply."""
    if not (len(y_true) and y_true.dtype.kind in "iu" and y_pred.dtype.kind in "iu"):
        return None
    if min(y_true.min(), y_pred.min()) < 0:
        return None
    size = int(max(y_true.max(), y_pred.max())) + 1
    if size * size > _DENSE_CELLS:
        return None
    cm = confusion_counts(y_true, y_pred, size, weights)  # (H+1, H+1)
    if weights is None:
        present = (cm.sum(axis=0) > 0) | (cm.sum(axis=1) > 0)
    else:  # a zero weight still makes its label present, as in sklearn
        present = (np.bincount(y_true, minlength=size) > 0) | (np.bincount(y_pred, minlength=size) > 0)
    classes = np.flatnonzero(present)
    if len(classes) < size:
        cm = np.ascontiguousarray(cm[np.ix_(classes, classes)])  # (K, K)
    return cm, classes.astype(np.result_type(y_true, y_pred))


def count_confusion(y_true, y_pred, labels=None, sample_weight=None) -> _Counts:
    """Validate the inputs of a label metric and build its confusion matrix (the shared front half)."""
    y_true, y_pred = _checks.check_targets(y_true, y_pred)
    weights = _checks.check_sample_weight(sample_weight, y_true)
    if labels is None:
        dense = _count_dense(y_true, y_pred, weights)
        if dense is not None:
            return _Counts(*dense, 0, weights is not None, True)
    else:
        labels = _checks.check_label_set(labels, y_true)
    enc = encode(y_true, y_pred, labels)
    size = len(enc.classes) + (enc.n_outside > 0)
    cm = confusion_counts(enc.true_idx, enc.pred_idx, size, weights)
    true_inside = not enc.n_outside or bool((enc.true_idx < len(enc.classes)).any())
    return _Counts(cm, enc.classes, enc.n_outside, weights is not None, true_inside)


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None) -> np.ndarray:
    """Compute the confusion matrix (rows = true class, columns = predicted class).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    labels : array-like of shape (n_classes,), default=None
        Classes that index the matrix, in this order. None: the sorted union of the labels in y_true and
        y_pred. Samples whose true or predicted label is not in `labels` are ignored.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    normalize : {'true', 'pred', 'all'}, default=None
        Divide by the row sums ('true'), the column sums ('pred') or the total ('all'); 0/0 gives 0.

    Returns
    -------
    cm : ndarray of shape (n_classes, n_classes)
        int64 counts, or float64 when weighted by floats or normalized.

    Raises
    ------
    DataError
        Bad labels (see the package docstring), or no label of `labels` in `y_true`.
    ConfigError
        `normalize` not in {None, 'true', 'pred', 'all'}.

    Examples
    --------
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    >>> confusion_matrix(["cat", "ant", "cat"], ["ant", "ant", "cat"], labels=["cat", "ant", "bird"])
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 0]])
    """
    if not (normalize is None or (isinstance(normalize, str) and normalize in _NORMALIZE)):
        raise ConfigError(f"`normalize` must be one of None, 'true', 'pred', 'all'; got {normalize!r}.")
    counts = count_confusion(y_true, y_pred, labels, sample_weight)
    if not counts.true_inside:
        raise DataError(f"`labels` must include at least one label present in `y_true`; got {counts.classes.tolist()!r}.")
    cm = counts.inside()
    if normalize is not None:
        cm = normalize_confusion(cm, normalize)
    if cm.shape == (1, 1):
        _checks.warn(
            "A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to have the correct "
            "shape, use the 'labels' parameter to pass all known labels.",
            UserWarning,
        )
    return cm


def normalize_confusion(cm: np.ndarray, normalize: str) -> np.ndarray:
    """Divide `cm` by its row sums ('true'), column sums ('pred') or total ('all'); 0/0 gives 0 (sklearn)."""
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    totals = cm.sum(axis=axis, keepdims=axis is not None)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(cm / totals)


class ConfusionMatrix:
    """Streaming confusion matrix: ``update`` with chunks of labels, ``compute`` the (K, K) matrix.

    With ``labels=None`` the classes grow as new labels appear and the matrix is re-indexed, so the result is
    identical to one `confusion_matrix` call on all chunks together. With fixed ``labels``, samples whose true
    or predicted label is outside them are ignored (as in `confusion_matrix`).

    Parameters
    ----------
    labels : array-like of shape (n_classes,), default=None
        Fixed classes and their order; None learns them from the data (sorted).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The label of each row/column so far.
    confmat_ : ndarray of shape (n_classes, n_classes)
        The counts so far (rows = true, columns = predicted).

    Examples
    --------
    >>> cm = ConfusionMatrix()
    >>> cm.update(["b", "a"], ["b", "b"]).update(["c"], ["a"]).compute()
    array([[0, 1, 0],
           [0, 1, 0],
           [1, 0, 0]])
    >>> cm.classes_.tolist()
    ['a', 'b', 'c']
    """

    def __init__(self, labels=None):
        self.labels = labels
        self.reset()

    def reset(self) -> ConfusionMatrix:
        """Forget every update."""
        self._fixed = self.labels is not None
        self.classes_ = _checks.check_labels_1d(self.labels, "labels") if self._fixed else np.array([])
        if self._fixed and len(np.unique(self.classes_)) != len(self.classes_):
            raise DataError(f"`labels` must not contain duplicates; got {self.classes_.tolist()!r}.")
        self.confmat_ = np.zeros((len(self.classes_),) * 2, dtype=np.int64)
        return self

    def update(self, y_true, y_pred, sample_weight=None) -> ConfusionMatrix:
        """Add a chunk of (true, predicted) labels; an empty chunk is allowed. Returns self."""
        y_true, y_pred = _checks.check_targets(y_true, y_pred, allow_empty=True)
        weights = _checks.check_sample_weight(sample_weight, y_true, allow_all_zero=True)
        if self._fixed:
            _checks.check_same_kind(self.classes_, "labels", y_true, "y_true")
            enc = encode(y_true, y_pred, self.classes_)
            k = len(self.classes_)
            cm = confusion_counts(enc.true_idx, enc.pred_idx, k + 1, weights)[:k, :k]  # drop "outside"
            self.confmat_ = self.confmat_ + cm
        else:
            dense = _count_dense(y_true, y_pred, weights)
            if dense is None:
                enc = encode(y_true, y_pred)
                dense = confusion_counts(enc.true_idx, enc.pred_idx, len(enc.classes), weights), enc.classes
            self._add(dense[1], dense[0])
        return self

    def merge(self, other: ConfusionMatrix) -> ConfusionMatrix:
        """Add the counts of another ConfusionMatrix (e.g. from another worker) in place. Returns self."""
        if not isinstance(other, ConfusionMatrix):
            raise TypeError(f"`other` must be a ConfusionMatrix; got {type(other).__name__}.")
        if self._fixed:
            if not (len(other.classes_) == len(self.classes_) and np.all(other.classes_ == self.classes_)):
                raise DataError(
                    f"`other` must have the same labels as this matrix; got {other.classes_.tolist()!r} "
                    f"and {self.classes_.tolist()!r}."
                )
            self.confmat_ = self.confmat_ + other.confmat_
        else:
            self._add(other.classes_, other.confmat_)
        return self

    def compute(self) -> np.ndarray:
        """The (K, K) matrix so far (a copy): rows = true class, columns = predicted class."""
        return self.confmat_.copy()

    def _add(self, classes: np.ndarray, cm: np.ndarray) -> None:
        """Add `cm` indexed by `classes` into the running matrix, growing the class set if needed."""
        if len(classes) == 0:
            return
        if len(self.classes_) == 0:
            self.classes_, self.confmat_ = classes, cm.astype(np.result_type(cm, np.int64))
            return
        _checks.check_same_kind(self.classes_, "the labels seen so far", classes, "y_true")
        union = np.union1d(self.classes_, classes)  # sorted, like one call on all the data
        dtype = np.result_type(self.confmat_, cm)
        if len(union) != len(self.classes_):
            grown = np.zeros((len(union),) * 2, dtype=dtype)
            old = np.searchsorted(union, self.classes_)
            grown[np.ix_(old, old)] = self.confmat_
            self.classes_, self.confmat_ = union, grown
        elif dtype != self.confmat_.dtype:
            self.confmat_ = self.confmat_.astype(dtype)
        new = np.searchsorted(self.classes_, classes)
        self.confmat_[np.ix_(new, new)] += cm

    def __repr__(self) -> str:
        return f"ConfusionMatrix(labels={self.labels!r})"
