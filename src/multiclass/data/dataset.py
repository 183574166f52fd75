"""`Dataset`: the one value every data source returns: features ready for the network plus what describes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from multiclass.exceptions import DataError
from multiclass.data.labels import decode_labels
from multiclass.data.preprocessing import Preprocessor

__all__ = ["Dataset", "KINDS"]

KINDS = ("table", "text", "idx", "npz", "images", "builtin")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, labels and the fitted preprocessing of one data source.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
        Finite features, C-contiguous (other numeric dtypes are converted once, here).
    y : ndarray of shape (n_samples,), int64, or None
        Codes into ``classes``; None for unlabelled data (prediction input).
    classes : tuple of str
        Class names in code order (integer labels are sorted numerically, then ``str()``'d).
    feature_names : tuple of str
        One name per column of ``X``.
    source : str
        The file or folder path, or the built-in dataset's name.
    kind : {"table", "text", "idx", "npz", "images", "builtin"}
        Which reader produced it.
    preprocessor : Preprocessor
        The fitted preprocessing; ``preprocessor.state()`` is what the model file stores.
    ids : ndarray of shape (n_samples,), optional
        Row identifiers carried through to predictions (an id column, image file names).
    image_shape : tuple of int (height, width, channels), optional
        Set for image-like data, so a report can draw rows of ``X`` as images.
    target_dtype : {"str", "int"}, default="str"
        ``"int"`` when the labels were integers, so predictions can be written back as ints (see `decode`).
    load_options : dict, default={}
        JSON-able reader options needed again at prediction time (``target``, ``id_column``, ``text_column``);
        pass them back to `load_for_prediction`.
    notes : dict, default={}
        JSON-able record of what the loader decided on its own, for `summarize_dataset` and the user: ``left_out``
        (column -> why it is not a feature), ``format`` (the delimiter, header and decimal mark it read a
        delimited file with), ``pixels`` (a table of pixel columns scaled as images), ``text`` (the TF-IDF
        settings and vocabulary size). Empty when nothing was decided.

    Notes
    -----
    ``X`` may be a ``scipy.sparse.csr_matrix`` (float32, finite) when a loader is asked for sparse output
    (``load_text(..., sparse=True)``): TF-IDF rows are mostly zeros, and a dense 20,000-term matrix costs 80 KB a
    row. Code that reads ``X`` must then accept CSR input.
    """

    X: np.ndarray
    y: np.ndarray | None
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    source: str
    kind: str
    preprocessor: Preprocessor
    ids: np.ndarray | None = None
    image_shape: tuple[int, int, int] | None = None
    target_dtype: str = "str"
    load_options: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        X = _checked_sparse(self.X, self.source) if sp.issparse(self.X) else self._checked_dense()
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        n_samples, n_features = X.shape
        if not all(isinstance(c, str) for c in self.classes) or len(set(self.classes)) != len(self.classes):
            raise DataError(f"`classes` must be distinct strings; got {self.classes!r}.")
        if len(self.feature_names) != n_features:
            raise DataError(
                f"`feature_names` must have {n_features} names (one per column); got {len(self.feature_names)}."
            )
        if self.y is not None:
            y = np.asarray(self.y)
            if y.dtype.kind not in "iu" or y.shape != (n_samples,):
                raise DataError(f"`y` must be integer codes of shape ({n_samples},); got {y.dtype} {y.shape}.")
            if y.size and (y.min() < 0 or y.max() >= len(self.classes)):
                raise DataError(
                    f"`y` must hold codes in [0, {len(self.classes)}); got values in [{y.min()}, {y.max()}]."
                )
            object.__setattr__(self, "y", np.ascontiguousarray(y, dtype=np.int64))
        if self.ids is not None:
            ids = np.asarray(self.ids)
            if ids.shape != (n_samples,):
                raise DataError(f"`ids` must have shape ({n_samples},); got {ids.shape}.")
            object.__setattr__(self, "ids", ids)
        if self.image_shape is not None:
            shape = tuple(int(s) for s in self.image_shape)
            if len(shape) != 3 or min(shape) < 1 or int(np.prod(shape)) != n_features:
                raise DataError(
                    f"`image_shape` must be (height, width, channels) with {n_features} pixels in all; "
                    f"got {self.image_shape!r}."
                )
            object.__setattr__(self, "image_shape", shape)
        if not isinstance(self.preprocessor, Preprocessor):
            raise DataError(f"`preprocessor` must be a Preprocessor; got {type(self.preprocessor).__name__}.")
        if self.kind not in KINDS:
            raise DataError(f"`kind` must be one of {', '.join(KINDS)}; got {self.kind!r}.")
        if self.target_dtype not in ("str", "int"):
            raise DataError(f"`target_dtype` must be 'str' or 'int'; got {self.target_dtype!r}.")
        if self.target_dtype == "int" and not all(_is_int_string(c) for c in self.classes):
            raise DataError(
                f"`classes` must be integers written as strings when target_dtype='int'; got {self.classes!r}."
            )

    def _checked_dense(self) -> np.ndarray:
        X = np.asarray(self.X)
        if X.dtype.kind not in "biuf":
            raise DataError(f"`X` must hold numbers; got dtype {X.dtype}.")
        if X.ndim != 2:
            raise DataError(f"`X` must have shape (n_samples, n_features); got {X.shape}.")
        _check_has_features(X.shape, self.source)
        X = np.ascontiguousarray(X, dtype=np.float32)
        if not np.isfinite(X).all():
            row, col = np.argwhere(~np.isfinite(X))[0]
            raise DataError(f"`X` must be finite; got {float(X[row, col])!r} at row {row + 1}, column {col + 1}.")
        return X

    @property
    def is_sparse(self) -> bool:
        """Whether ``X`` is a scipy.sparse CSR matrix."""
        return sp.issparse(self.X)

    @property
    def n_samples(self) -> int:
        """Number of rows of ``X``."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns of ``X``."""
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        """Number of classes (``len(classes)``)."""
        return len(self.classes)

    def decode(self, codes: Any) -> np.ndarray:
        """Class labels for ``codes`` (e.g. predictions): int64 if the targets were integers, else str objects."""
        return decode_labels(codes, self.classes, self.target_dtype)

    def __repr__(self) -> str:
        labelled = f"{self.n_classes} classes" if self.y is not None else "unlabelled"
        return (
            f"Dataset(kind={self.kind!r}, source={self.source!r}, n_samples={self.n_samples}, "
            f"n_features={self.n_features}, {labelled}, preprocessor={self.preprocessor.kind!r})"
        )


def _check_has_features(shape: tuple[int, ...], source: str) -> None:
    if shape[1] == 0:  # a network needs at least one input; say so here, naming the source
        raise DataError(f"{source}: there are no features (`X` has shape {shape}).")


def _checked_sparse(X: Any, source: str) -> sp.csr_matrix:
    """A CSR float32 copy-if-needed of sparse `X`, with sorted indices and finite stored values."""
    if X.dtype.kind not in "biuf":
        raise DataError(f"`X` must hold numbers; got dtype {X.dtype}.")
    _check_has_features(X.shape, source)
    X = sp.csr_matrix(X, dtype=np.float32)
    X.sort_indices()
    if not np.isfinite(X.data).all():
        bad = int(np.flatnonzero(~np.isfinite(X.data))[0])
        row = int(np.searchsorted(X.indptr, bad, side="right")) - 1
        raise DataError(f"`X` must be finite; got {float(X.data[bad])!r} at row {row + 1}, column {X.indices[bad] + 1}.")
    return X


def _is_int_string(text: str) -> bool:
    try:
        return str(int(text)) == text
    except ValueError:
        return False
