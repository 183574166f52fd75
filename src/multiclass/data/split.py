"""The stratified validation split: how many rows of each class are held out, and which.

`validation_counts` is the one rule behind the in-memory split (`stratified_split`) and the streamed split
(`multiclass.data.stream.split`), so both hold out the same number of rows of every class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from multiclass.exceptions import DataError

__all__ = ["stratified_split", "validation_counts"]


def _name(classes: Sequence | None, code: int):
    return classes[code] if classes is not None else code


def validation_counts(counts: np.ndarray, val_fraction: float, *, classes: Sequence | None = None) -> np.ndarray:
    """Validation rows of each class in a stratified split: ``clip(round(val_fraction * n_c), 1, n_c - 1)``.

    The one rule behind `stratified_split` and the streamed split (`multiclass.data.stream.split`), so both hold
    out the same number of rows of every class. ``round`` is Python's (half to even), as ``np.round``.

    Parameters
    ----------
    counts : ndarray of int, shape (n_classes,)
        Rows of each class; a class with 0 rows gets 0.
    val_fraction : float in (0, 1)
    classes : sequence, optional
        Class names, used in error messages.

    Returns
    -------
    n_val : ndarray of int64, shape (n_classes,)

    Raises
    ------
    DataError
        If a class has exactly 1 row (it cannot appear on both sides).

    Examples
    --------
    >>> validation_counts(np.array([4, 2, 0, 10]), 0.25)
    array([1, 1, 0, 2])
    """
    counts = np.asarray(counts, dtype=np.int64)
    too_small = np.flatnonzero(counts == 1)
    if len(too_small):
        raise DataError(
            f"class {_name(classes, int(too_small[0]))!r} has 1 example; a stratified validation split needs at "
            "least 2 per class (add examples, pass validation data, or set val_split to 0)."
        )
    n_val = np.clip(np.round(val_fraction * counts.astype(np.float64)), 1, np.maximum(counts - 1, 1))
    return np.where(counts > 0, n_val, 0).astype(np.int64)


def stratified_split(
    labels: np.ndarray, val_fraction: float, *, seed: int = 0, classes: Sequence | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices so every class keeps its share in both parts.

    Each class ``c`` with ``n_c`` rows sends ``round(val_fraction * n_c)`` of them, clipped to
    ``[1, n_c - 1]``, to validation, so every class is seen on both sides.

    Parameters
    ----------
    labels : ndarray of shape (n_samples,)
        Integer class codes.
    val_fraction : float in (0, 1)
    seed : int, default=0
    classes : sequence, optional
        Class names, used in error messages.

    Returns
    -------
    train_idx, val_idx : sorted int64 index arrays.

    Raises
    ------
    DataError
        If a class has fewer than 2 rows (it cannot appear on both sides).

    Examples
    --------
    >>> train_idx, val_idx = stratified_split(np.array([0, 0, 0, 0, 1, 1]), 0.25)
    >>> len(train_idx), len(val_idx)
    (4, 2)
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels)
    n_val = validation_counts(counts, val_fraction, classes=classes)
    val_parts = []
    for code in np.flatnonzero(counts):
        members = np.flatnonzero(labels == code)
        val_parts.append(rng.choice(members, size=int(n_val[code]), replace=False))
    val_idx = np.sort(np.concatenate(val_parts))
    train_mask = np.ones(len(labels), dtype=bool)
    train_mask[val_idx] = False
    return np.flatnonzero(train_mask), val_idx
