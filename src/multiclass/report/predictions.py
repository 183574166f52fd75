"""Read a predictions file from any classifier: columns ``y_true`` and ``y_pred``, optional ``p_<class>``.

The file is a CSV (or TSV), or Parquet for a ``.parquet`` / ``.pq`` name (what `multiclass predict` writes for
such a name). Places are "line N" in a CSV (line 1 is the header) and "row N" in Parquet (from 1).

``y_pred`` may also be called ``predicted`` (the column `multiclass predict` writes, so its output plus a
``y_true`` column is a valid input). Labels are read as text, exactly as written. With probability columns, the
classes are their suffixes in file order; without, the labels found, sorted (numerically when all are integers).
Every problem is a `DataError` naming the file, and the column and row where it applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from multiclass.data.table_io import EXACT_FLOATS
from multiclass.exceptions import DataError
from multiclass.prediction_files import is_parquet

__all__ = ["Predictions", "read_predictions"]

TRUE, PRED, PRED_ALIAS, PROBA_PREFIX = "y_true", "y_pred", "predicted", "p_"
# Probability rows may be rounded when written by other tools: rows summing to 1 within this are accepted,
# rows further off are an error (they are not probabilities, or a class column is missing).
SUM_TOLERANCE = 0.01
# Rows off by more than this were rounded (or written in float32) and are renormalised; float64 softmax rows, as
# `multiclass predict` writes them, sum to 1 within ~1e-15 and are used as written.
ROUNDING = 1e-9


@dataclass(frozen=True)
class Predictions:
    """Labels and probabilities read from a predictions file, as class indices into `classes`."""

    y_true: np.ndarray  # (N,) intp
    y_pred: np.ndarray  # (N,) intp
    classes: tuple[str, ...]
    probs: np.ndarray | None  # (N, K) float64, rows summing to 1


def _row(position: int, path: Path) -> str:
    """A data row as the user sees it: in a CSV line 1 is the header, so row i (0-based) is line i + 2; in
    Parquet, row i + 1."""
    return f"row {position + 1}" if is_parquet(path) else f"line {position + 2}"


def _labels(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    missing = frame[column].isna().to_numpy()  # Parquet nulls (a CSV is read with no NA values)
    values = frame[column].to_numpy(dtype=str)
    empty = np.flatnonzero(missing | (np.char.str_len(np.char.strip(values)) == 0))
    if len(empty):
        raise DataError(f"{path}: column {column!r} has an empty label at {_row(empty[0], path)}.")
    return values


def _sorted_classes(labels: np.ndarray) -> tuple[str, ...]:
    uniques = np.unique(labels)
    try:
        order = np.argsort([int(label) for label in uniques], kind="stable")
    except ValueError:
        return tuple(uniques.tolist())
    return tuple(uniques[order].tolist())


def _encode(labels: np.ndarray, classes: tuple[str, ...], column: str, path: Path) -> np.ndarray:
    lookup = np.array(classes)
    order = np.argsort(lookup, kind="stable")
    position = np.searchsorted(lookup[order], labels).clip(max=len(lookup) - 1)
    found = lookup[order][position] == labels
    if not found.all():
        bad = int(np.argmax(~found))
        label = str(labels[bad])
        raise DataError(f"{path}: column {column!r} has label {label!r} at {_row(bad, path)}, which has no "
                        f"{PROBA_PREFIX}{label} probability column.")
    return order[position].astype(np.intp)


def _probabilities(path: Path, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    probs = np.empty((len(frame), len(columns)))
    for j, column in enumerate(columns):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values < 0) | (values > 1)
        if bad.any():
            i = int(np.argmax(bad))
            value = frame[column].iloc[i]
            value = value.item() if isinstance(value, np.generic) else value  # 1.5, not np.float64(1.5)
            raise DataError(f"{path}: column {column!r} must hold probabilities in [0, 1]; got {value!r} at "
                            f"{_row(i, path)}.")
        probs[:, j] = values
    totals = probs.sum(axis=1)  # (N,)
    off = np.abs(totals - 1) > SUM_TOLERANCE
    if off.any():
        i = int(np.argmax(off))
        raise DataError(f"{path}: the {PROBA_PREFIX}<class> columns must sum to 1 in every row; got "
                        f"{float(totals[i])!r} at {_row(i, path)}.")
    rounded = np.abs(totals - 1) > ROUNDING  # (N,) rows to renormalise; exact rows are kept bit for bit
    probs[rounded] /= totals[rounded, None]
    return probs


def _header(path: Path) -> list[str]:
    if is_parquet(path):
        try:
            return [str(name) for name in pq.ParquetFile(path).schema_arrow.names]
        except (OSError, pa.ArrowException) as error:
            raise DataError(f"{path}: cannot be read as a Parquet file: {str(error).splitlines()[0]}") from None
    try:
        return pd.read_csv(path, sep=_sep(path), nrows=0).columns.tolist()
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header with {TRUE} and {PRED}.") from None


def _sep(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def _read(path: Path, columns: list[str], text: dict) -> pd.DataFrame:
    """The `columns` of the file; labels (`text`) as text, as written (no NA values in a CSV)."""
    try:
        if is_parquet(path):
            return pd.read_parquet(path, columns=columns)
        return pd.read_csv(path, sep=_sep(path), usecols=columns, dtype=text, keep_default_na=False, **EXACT_FLOATS)
    except (pd.errors.ParserError, ValueError, OSError, pa.ArrowException) as error:
        raise DataError(f"{path}: cannot be read as a table: {str(error).splitlines()[0]}") from None


def read_predictions(path) -> Predictions:
    """Read a predictions CSV (or TSV, or Parquet for a ``.parquet`` / ``.pq`` name) for `multiclass report`.

    Parameters
    ----------
    path : str or Path
        Columns ``y_true`` and ``y_pred`` (or ``predicted``); optionally one ``p_<class>`` column per class.
        Other columns (ids, ``probability``, ``top2``...) are ignored.

    Returns
    -------
    Predictions

    Raises
    ------
    DataError
        A missing column, an empty label, a label without a probability column, probabilities outside [0, 1]
        or rows not summing to 1, no rows, or fewer than two classes.
    """
    path = Path(path)
    header = _header(path)
    pred_column = PRED if PRED in header else PRED_ALIAS if PRED_ALIAS in header else None
    for column, found in ((TRUE, TRUE in header), (PRED, pred_column is not None)):
        if not found:
            raise DataError(f"{path}: needs a {column!r} column; found columns {header[:12]!r}.")
    proba_columns = [c for c in header if c.startswith(PROBA_PREFIX) and len(c) > len(PROBA_PREFIX)]
    frame = _read(path, [TRUE, pred_column, *proba_columns], {TRUE: str, pred_column: str})
    if len(frame) == 0:
        raise DataError(f"{path}: has a header but no rows.")
    y_true, y_pred = _labels(frame, TRUE, path), _labels(frame, pred_column, path)
    if proba_columns:
        classes = tuple(c[len(PROBA_PREFIX):] for c in proba_columns)
    else:
        classes = _sorted_classes(np.concatenate([y_true, y_pred]))
    if len(classes) < 2:
        raise DataError(f"{path}: a report needs at least 2 classes; got {list(classes)!r}.")
    probs = _probabilities(path, frame, proba_columns) if proba_columns else None
    return Predictions(_encode(y_true, classes, TRUE, path), _encode(y_pred, classes, pred_column, path), classes,
                       probs)
