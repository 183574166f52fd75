"""Label encoding: map label values (ints, strings, bools) to class indices 0..K-1, vectorised and O(n).

Small non-negative ints use bincounts and a lookup table; other labels a hash table (pandas.factorize) over the
samples and a sort over the few distinct values only.

With ``labels=None`` the classes are the sorted union of the values in y_true and y_pred (scikit-learn's
`unique_labels`). With explicit ``labels`` their order is kept, and a value outside them is encoded as K, the
"outside" index, so callers can drop it (confusion_matrix) or keep it in the column/row totals (precision and
recall count a prediction of class c for a sample whose true label is outside ``labels``, as scikit-learn does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Integer labels in [0, _DENSE_MAX] are encoded with a bincount of that length instead of a sort: 2**20 counts
# are 8 MiB, small next to the data sizes where the sort would matter.
_DENSE_MAX = 1 << 20


@dataclass(frozen=True)
class Encoded:
    """Class indices of a pair of label vectors."""

    true_idx: np.ndarray  # (N,) intp in [0, K]; K means "not one of `classes`"
    pred_idx: np.ndarray  # (N,) intp in [0, K]
    classes: np.ndarray  # (K,) the label value of each index
    n_outside: int  # samples whose y_true or y_pred is not in `classes` (unweighted count)


def _is_int(values: np.ndarray) -> bool:
    return values.dtype.kind in "iu"


def _present_ints(y_true: np.ndarray, y_pred: np.ndarray, high: int) -> np.ndarray:
    """(high+1,) bool: which of 0..high occur in y_true or y_pred (two bincounts, no sort)."""
    present = np.bincount(y_true, minlength=high + 1) > 0
    present |= np.bincount(y_pred, minlength=high + 1) > 0
    return present


def _encode_union(y_true: np.ndarray, y_pred: np.ndarray) -> Encoded:
    """Classes = sorted union of the values present; every sample is inside."""
    n = len(y_true)
    dtype = np.result_type(y_true, y_pred)
    if n and _is_int(y_true) and _is_int(y_pred):
        low = min(y_true.min(), y_pred.min())
        high = max(y_true.max(), y_pred.max())
        if low >= 0 and high <= max(_DENSE_MAX, n):
            present = _present_ints(y_true, y_pred, int(high))
            classes = np.flatnonzero(present).astype(dtype)
            if len(classes) == high + 1:  # labels are exactly 0..K-1: the values are the indices
                return Encoded(y_true.astype(np.intp, copy=False), y_pred.astype(np.intp, copy=False), classes, 0)
            lookup = np.cumsum(present) - 1  # (high+1,) value -> rank among present values
            return Encoded(lookup[y_true], lookup[y_pred], classes, 0)
    true_codes, true_uniques = _factorize(y_true)
    pred_codes, pred_uniques = _factorize(y_pred)
    classes = np.union1d(true_uniques, pred_uniques)  # (K,) sorted, like sklearn's unique_labels
    true_idx = np.searchsorted(classes, true_uniques)[true_codes]
    pred_idx = np.searchsorted(classes, pred_uniques)[pred_codes]
    return Encoded(true_idx.astype(np.intp, copy=False), pred_idx.astype(np.intp, copy=False), classes, 0)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes (N,), uniques (U,)) with ``uniques[codes] == values``: a hash table, O(N), where np.unique would
    sort (3x slower on 1e7 strings)."""
    import pandas as pd  # lazy: only labels that are not small non-negative ints get here

    if len(values) == 0:
        return np.zeros(0, dtype=np.intp), values
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques).astype(values.dtype)


def _positions(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(U,) the position of each value in `labels`, or len(labels) when it is not there (binary search)."""
    n_labels = len(labels)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.minimum(np.searchsorted(sorted_labels, values), n_labels - 1)
    return np.where(sorted_labels[pos] == values, order[pos], n_labels).astype(np.intp, copy=False)


def index_in(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N,) intp: the position of each value in `labels`, or len(labels) when it is not there."""
    n_labels = len(labels)
    if _is_int(values) and _is_int(labels) and np.array_equal(labels, np.arange(n_labels)):
        # fast path: labels are 0..K-1, the values are their own indices
        idx = values.astype(np.intp, copy=False)
        if len(values) and (values.min() < 0 or values.max() >= n_labels):
            idx = np.where((values < 0) | (values >= n_labels), n_labels, idx)
        return idx
    if len(values) <= 4 * n_labels:
        return _positions(values, labels)
    codes, uniques = _factorize(values)  # search the few distinct values, not every sample
    return _positions(uniques, labels)[codes]


def encode(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray | None = None) -> Encoded:
    """Encode validated label vectors against `labels` (None: the sorted union of the values present)."""
    if labels is None:
        return _encode_union(y_true, y_pred)
    true_idx = index_in(y_true, labels)
    pred_idx = index_in(y_pred, labels)
    n_labels = len(labels)
    n_outside = int(np.count_nonzero((true_idx == n_labels) | (pred_idx == n_labels)))
    return Encoded(true_idx, pred_idx, labels, n_outside)


