"""Training arrays checked once at the boundary, and the validation rows held out of them."""

from __future__ import annotations

import numpy as np

from multiclass.data.split import stratified_split
from multiclass.exceptions import DataError
from multiclass.training.config import TrainConfig

__all__ = ["check_training_data", "dense_rows", "is_sparse", "labels_of", "split_training_data"]


def is_sparse(X) -> bool:
    """Whether `X` is a scipy sparse matrix (told apart without importing scipy, 0.4 s, on the dense path)."""
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def _check_sparse(X, n_features: int, name: str):
    """A float32 CSR copy of a scipy sparse `X`, checked as dense input is (shape, finite values)."""
    X = X.tocsr().astype(np.float32)
    if X.shape[1] != n_features:
        raise DataError(f"`{name}` must have {n_features} features (the model's input width); got {X.shape[1]}.")
    bad = np.flatnonzero(~np.isfinite(X.data))
    if len(bad):
        row = int(np.searchsorted(X.indptr, bad[0], side="right") - 1)
        raise DataError(f"`{name}` must be finite; got {X.data[bad[0]]} at row {row}, column {X.indices[bad[0]]}.")
    return X


def check_training_data(X, y, n_features: int, n_classes: int, name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    """Validate features and targets; return float32 X (N, F) -- dense, or CSR for scipy sparse input such as
    TF-IDF rows -- and targets: int64 (N,) or float32 (N, K)."""
    if is_sparse(X):
        X = _check_sparse(X, n_features, name)
        return X, _check_targets(y, X.shape[0], n_classes, name)
    X = np.asarray(X)
    if X.ndim != 2:
        raise DataError(f"`{name}` must be 2-D (n_samples, n_features); got shape {X.shape}.")
    if not np.issubdtype(X.dtype, np.number) and X.dtype != bool:
        raise DataError(f"`{name}` must be numeric; got dtype {X.dtype}.")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not X.flags.writeable:  # torch.from_numpy refuses read-only memory (e.g. a memmap) without a copy
        X = X.copy()
    if X.shape[1] != n_features:
        raise DataError(f"`{name}` must have {n_features} features (the model's input width); got {X.shape[1]}.")
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"`{name}` must be finite; got {X[row, col]} at row {row}, column {col}.")
    return X, _check_targets(y, len(X), n_classes, name)


def _check_targets(y, n_rows: int, n_classes: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    y_name = "y" if name == "X" else name.replace("X", "y")
    if len(y) != n_rows:
        raise DataError(f"`{y_name}` must have one entry per row of `{name}` ({n_rows}); got {len(y)}.")
    if n_rows == 0:
        raise DataError(f"`{name}` must have at least one row; got 0.")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"`{y_name}` must hold integer class codes in [0, {n_classes}); got dtype {y.dtype}.")
        if y.min() < 0 or y.max() >= n_classes:
            raise DataError(f"`{y_name}` codes must be in [0, {n_classes}); got values in [{y.min()}, {y.max()}].")
        return y.astype(np.int64)
    if y.ndim == 2 and y.shape[1] == n_classes:
        y = y.astype(np.float32)
        if not np.isfinite(y).all() or (y < 0).any():
            raise DataError(f"`{y_name}` target rows must be finite and non-negative.")
        return y
    raise DataError(f"`{y_name}` must be 1-D class codes or 2-D (n_samples, {n_classes}) rows; got shape {y.shape}.")


def dense_rows(X, rows) -> np.ndarray:
    """Rows of `X` (an index array or a slice) as a dense float32 array (n, F): sparse input is densified a batch
    at a time, never whole."""
    part = X[rows]
    return part.toarray() if is_sparse(part) else part


def labels_of(targets: np.ndarray) -> np.ndarray:
    """Class codes of targets: the codes themselves, or the argmax of one-hot / soft rows."""
    return targets if targets.ndim == 1 else targets.argmax(axis=1)


def split_training_data(X, targets, config: TrainConfig, X_val, y_val, classes, n_features: int, n_classes: int):
    """Return (X_train, y_train, X_val, y_val): explicit validation data, a stratified ``config.val_split`` of the
    rows, or no validation (arrays None)."""
    if X_val is not None or y_val is not None:
        if X_val is None or y_val is None:
            raise DataError("`X_val` and `y_val` must be given together.")
        X_val, y_val = check_training_data(X_val, y_val, n_features, n_classes, name="X_val")
        return X, targets, X_val, y_val
    if config.val_split == 0:
        return X, targets, None, None
    train_idx, val_idx = stratified_split(labels_of(targets), config.val_split, seed=config.seed, classes=classes)
    return X[train_idx], targets[train_idx], X[val_idx], targets[val_idx]
