"""The stratified validation split: how many rows of each class are held out, and which.

`validation_counts` is the one rule behind the in-memory split (`stratified_split`) and the streamed split
(`multiclass.data.stream.split`), so both hold out the same number of rows of every class.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from multiclass.exceptions import DataError, DataWarning

__all__ = ["stratified_split", "validation_counts"]

_NAMED = 10  # classes named in a warning; the rest are counted


def _name(classes: Sequence | None, code: int):
    return classes[code] if classes is not None else code


def validation_counts(counts: np.ndarray, val_fraction: float, *, classes: Sequence | None = None) -> np.ndarray:
    """Validation rows of each class in a stratified split: ``clip(round(val_fraction * n_c), 1, n_c - 1)``.

    The one rule behind `stratified_split` and the streamed split (`multiclass.data.stream.split`), so both hold
    out the same number of rows of every class. ``round`` is Python's (half to even), as ``np.round``. A class
    with a single row cannot be on both sides: it stays in training (0 validation rows) and a `DataWarning`
    names it, as scikit-learn's imputer names the columns it skips.

    Parameters
    ----------
    counts : ndarray of int, shape (n_classes,)
        Rows of each class; a class with 0 rows gets 0.
    val_fraction : float in (0, 1)
    classes : sequence, optional
        Class names, used in warnings and error messages.

    Returns
    -------
    n_val : ndarray of int64, shape (n_classes,)

    Raises
    ------
    DataError
        If no class has 2 rows (the validation split would be empty).

    Warns
    -----
    DataWarning
        Naming the classes of 1 row, which are not validated.

    Examples
    --------
    >>> validation_counts(np.array([4, 2, 0, 10]), 0.25)
    array([1, 1, 0, 2])
    """
    counts = np.asarray(counts, dtype=np.int64)
    single = np.flatnonzero(counts == 1)
    if len(single) and not (counts >= 2).any():
        raise DataError(
            f"no class has 2 examples (class {_name(classes, int(single[0]))!r} has 1); a stratified validation "
            "split needs at least 2 in some class (add examples, pass validation data (`val_data`), or set `val_split` "
            "to 0)."
        )
    if len(single):
        names = [repr(_name(classes, int(code))) for code in single]
        shown = ", ".join(names[:_NAMED]) + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
        subject = f"class {shown} has" if len(names) == 1 else f"classes {shown} have"
        warnings.warn(
            f"{subject} 1 example: kept in training, not in the validation split (its validation scores are "
            "undefined).",
            DataWarning,
            stacklevel=2,
        )
    n_val = np.clip(np.round(val_fraction * counts.astype(np.float64)), 1, np.maximum(counts - 1, 1))
    return np.where(counts > 1, n_val, 0).astype(np.int64)


def stratified_split(
    labels: np.ndarray, val_fraction: float, *, seed: int = 0, classes: Sequence | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split row indices so every class keeps its share in both parts.

    Each class ``c`` with ``n_c`` rows sends ``round(val_fraction * n_c)`` of them, clipped to
    ``[1, n_c - 1]``, to validation, so every class of 2+ rows is seen on both sides.

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
        If no class has 2 rows (see `validation_counts`; a class of 1 row stays in training, with a warning).

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
    for code in np.flatnonzero(n_val):  # a class of 1 row draws nothing (and consumes no randomness)
        members = np.flatnonzero(labels == code)
        val_parts.append(rng.choice(members, size=int(n_val[code]), replace=False))
    val_idx = np.sort(np.concatenate(val_parts))
    train_mask = np.ones(len(labels), dtype=bool)
    train_mask[val_idx] = False
    return np.flatnonzero(train_mask), val_idx
