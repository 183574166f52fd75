"""The predictions file, in one place: its columns, writing it (CSV or Parquet, piece by piece, atomically) and
reading one back, from `multiclass predict` or from any other classifier.

Columns written by `multiclass predict`: the id column (the model's id column, ``path`` for image folders, else
``id``) when the input has ids, the input columns asked to be kept (the label column as ``y_true``), ``predicted`` (the decision under the model's policy), ``probability`` (its
probability), ``top2``, ``top2_probability``... for ``top_k > 1``, and one ``p_<class>`` probability per class.

CSV is pandas' text (``DataFrame.to_csv``), readable anywhere. Parquet (a ``.parquet`` / ``.pq`` name) keeps the
columns typed (probabilities as float64, exactly) and is several times faster to write at scale: formatting
floats as text is most of what a large CSV prediction costs. Both are written through `atomic.open_atomic`, so an
error or Ctrl-C half way leaves the previous file (or none), never half a file.

Reading (`read_predictions`, for ``multiclass report --predictions``): columns ``y_true`` and ``y_pred``, optional
``p_<class>``. ``y_pred`` may also be called ``predicted`` (so `multiclass predict`'s output plus a ``y_true``
column is a valid input). Labels are read as text, exactly as written. With probability columns, the classes are
their suffixes in file order; without, the labels found, sorted (numerically when all are integers). Places are
"line N" in a CSV (line 1 is the header) and "row N" in Parquet (from 1). Every problem is a `DataError` naming
the file, and the column and row where it applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from multiclass.atomic import open_atomic
from multiclass.data.table_io import EXACT_FLOATS
from multiclass.exceptions import ConfigError, DataError
from multiclass.safetext import csv_columns, csv_uncell

__all__ = ["PARQUET_SUFFIXES", "PredictionWriter", "Predictions", "is_parquet", "prediction_rows", "read_predictions",
           "write_predictions"]

PARQUET_SUFFIXES = (".parquet", ".pq")
# Cells (rows x columns) gathered into one Parquet row group: 2**22 keeps a row group near 32 MB of float64
# whatever the number of classes (65,536 rows at K = 60; 419 rows at K = 10,000).
_ROW_GROUP_CELLS = 1 << 22


def is_parquet(path: str | Path) -> bool:
    """Whether `path` names a Parquet predictions file (by its extension)."""
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


class PredictionWriter:
    """Append frames of predictions (same columns each time) to a binary `handle` as CSV or Parquet.

    Parameters
    ----------
    handle : binary file
        Usually from `atomic.open_atomic`.
    parquet : bool
        Write Parquet (typed columns, row groups of about `_ROW_GROUP_CELLS` cells) instead of CSV.
    """

    def __init__(self, handle: BinaryIO, *, parquet: bool):
        self.handle, self.parquet = handle, parquet
        self.rows = 0
        self._schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []

    def write(self, frame: pd.DataFrame) -> None:
        if not self.parquet:  # cells that would run as formulas in a spreadsheet: prefixed, as on numpy
            frame = pd.DataFrame(csv_columns({name: frame[name].to_numpy() for name in frame.columns}))
            self.handle.write(frame.to_csv(index=False, header=self.rows == 0).encode())
        else:
            table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
            if self._schema is None:
                self._schema = table.schema
            self._pending.append(table)
            if sum(t.num_rows for t in self._pending) * len(self._schema) >= _ROW_GROUP_CELLS:
                self._flush()
        self.rows += len(frame)

    def _flush(self) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.handle, self._schema)
        self._writer.write_table(pa.concat_tables(self._pending))
        self._pending = []

    def close(self) -> None:
        """Finish the file (Parquet: the last row group and the footer). Call before the handle is closed."""
        if self.parquet and self._schema is not None:
            if self._pending or self._writer is None:
                self._flush()
            self._writer.close()


def write_predictions(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a whole predictions frame to `path` (CSV, or Parquet by extension), atomically."""
    with open_atomic(path) as handle:
        writer = PredictionWriter(handle, parquet=is_parquet(path))
        writer.write(frame)
        writer.close()


def prediction_rows(probs: np.ndarray, decided: np.ndarray, classes, decode: Callable, *, top_k: int = 1, ids=None,
                    id_name: str = "id", kept=None) -> pd.DataFrame:
    """The predictions of N rows as a frame with the columns of the module docstring.

    Parameters
    ----------
    probs : ndarray of shape (N, K)
        Calibrated probabilities (`TrainedModel.outputs`).
    decided : ndarray of shape (N,)
        Class codes under the model's decision policy (which may pick a class that is not the most probable;
        ``top2``... rank the classes by probability).
    classes : sequence of K str
    decode : callable
        Class codes -> labels as the training labels were typed.
    top_k : int, default=1
    ids : array-like of shape (N,), optional
        Row ids, written first under `id_name` (``id`` if that name is taken).
    kept : dict of str to array-like of shape (N,), optional
        Input columns carried through, written after the ids under these names (``y_true`` for the labels).

    Raises
    ------
    ConfigError
        A kept column whose name is one of the predictions' own columns.
    """
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]  # (N, top_k)
    rows = np.arange(len(probs))
    columns = {"predicted": decode(decided), "probability": probs[rows, decided]}
    for rank in range(1, top_k):
        columns[f"top{rank + 1}"] = decode(order[:, rank])
        columns[f"top{rank + 1}_probability"] = probs[rows, order[:, rank]]
    for code, name in enumerate(classes):
        columns[f"p_{name}"] = probs[:, code]
    clash = [name for name in kept or {} if name in columns]
    if clash:
        raise ConfigError(f"`keep_columns` must not name a column the predictions have themselves; got {clash[0]!r}.")
    front = {} if ids is None else {(id_name if id_name not in columns else "id"): ids}
    front.update({name: values for name, values in (kept or {}).items() if name not in front})
    return pd.DataFrame({**front, **columns})


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
    guarded = np.flatnonzero(np.char.startswith(values, "'")) if not is_parquet(path) else []
    values[guarded] = [csv_uncell(v) for v in values[guarded].tolist()]  # as `csv_cell` was given them
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
            hint = (" (predictions of `multiclass predict`: write the true labels with --keep-columns "
                    "LABEL_COLUMN)" if column == TRUE and PRED_ALIAS in header else "")
            raise DataError(f"{path}: needs a {column!r} column; found columns {header[:12]!r}{hint}.")
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
