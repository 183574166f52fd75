"""Predictions -> the rows of a predictions file, and the file itself (CSV or Parquet), without pandas.

The columns are those of `multiclass.predictions.prediction_rows`: the ids (if any), the input columns asked to be
kept (`kept_names`: the label column as ``y_true``), ``predicted`` (the decision under
the saved policy), ``probability`` (its calibrated probability), ``top2``/``top2_probability``... when ``top_k > 1``,
and ``p_<class>`` for every class. The CSV text is byte for byte what pandas' ``DataFrame.to_csv`` writes
(`multiclass.runtime.csvtext`), the Parquet file has the same column types as
`multiclass.predictions.write_predictions` (tested); both are written atomically (`multiclass.atomic`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from multiclass.atomic import open_atomic
from multiclass.exceptions import ConfigError
from multiclass.runtime.csvtext import csv_chunks
from multiclass.runtime.model import Prediction
from multiclass.safetext import csv_columns

__all__ = ["KEPT_LABELS", "PARQUET_SUFFIXES", "kept_names", "prediction_columns", "write_columns"]

PARQUET_SUFFIXES = (".parquet", ".pq")
KEPT_LABELS = "y_true"  # = multiclass.predictions.TRUE: what `multiclass report --predictions` reads (tested)
_TABLE_KINDS = ("table", "text")  # models that read a table file, whose columns can be carried through


def kept_names(data_info: dict, keep_columns) -> dict[str, str]:
    """Input column -> predictions column of `keep_columns`, for a model whose training data is `data_info`
    (model.json's ``data``): the model's label column becomes ``y_true``.

    Raises
    ------
    ConfigError
        A column asked of a model that does not read tables, or twice.
    """
    keep_columns = tuple(keep_columns or ())
    if not keep_columns:
        return {}
    kind = data_info.get("kind")
    if kind not in _TABLE_KINDS:
        raise ConfigError(f"`keep_columns` applies to tables; this model reads {kind} data.")
    if len(set(keep_columns)) < len(keep_columns):
        raise ConfigError(f"`keep_columns` must name each column once; got {list(keep_columns)!r}.")
    target = (data_info.get("load_options") or {}).get("target")
    return {name: KEPT_LABELS if name == target else name for name in keep_columns}


def prediction_columns(prediction: Prediction, labels: Any, classes: Sequence[str], *, top_k: int = 1, ids=None,
                       id_name: str = "id", kept: dict | None = None) -> dict[str, np.ndarray]:
    """The predictions file's columns, in order.

    Parameters
    ----------
    prediction : Prediction
    labels : callable
        Class codes -> labels (`RuntimeModel.labels`).
    classes : sequence of str
    top_k : int, default=1
    ids : array-like or None
        One id per row; the column is named `id_name` (``id`` if a prediction column has that name).
    kept : dict of str to array-like, optional
        Input columns carried through, written after the ids under these names (``y_true`` for the labels).

    Raises
    ------
    ConfigError
        A kept column whose name is one of the predictions' own columns.
    """
    probs, codes = prediction.probs, prediction.codes  # (N, K), (N,)
    rows = np.arange(len(probs))
    columns: dict[str, np.ndarray] = {"predicted": labels(codes), "probability": probs[rows, codes]}
    order = prediction.top_k(top_k) if top_k > 1 else None  # (N, top_k); the first is `codes`' own column
    for rank in range(1, top_k):
        columns[f"top{rank + 1}"] = labels(order[:, rank])
        columns[f"top{rank + 1}_probability"] = probs[rows, order[:, rank]]
    for code, name in enumerate(classes):
        columns[f"p_{name}"] = probs[:, code]
    clash = [name for name in kept or {} if name in columns]
    if clash:
        raise ConfigError(f"`keep_columns` must not name a column the predictions have themselves; got {clash[0]!r}.")
    front = {} if ids is None else {(id_name if id_name not in columns else "id"): np.asarray(ids)}
    front.update({name: np.asarray(values, dtype=object) for name, values in (kept or {}).items()
                  if name not in front})
    return {**front, **columns}


def _arrow_array(values: np.ndarray):
    import pyarrow as pa

    if values.dtype == object:  # labels and ids: text as pandas 3 stores it (large_string), None as null
        cells = [None if v is None or (isinstance(v, float) and v != v) else v for v in values.tolist()]
        return pa.array(cells, type=pa.large_string() if all(v is None or isinstance(v, str) for v in cells) else None)
    return pa.array(values)


def write_parquet(handle, columns: dict[str, np.ndarray]) -> None:
    """A Parquet file of `columns` into a binary handle."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: _arrow_array(values) for name, values in columns.items()})
    pq.write_table(table, handle)


def write_columns(path: str | Path, columns: dict[str, np.ndarray]) -> None:
    """Write the predictions `columns` to `path` atomically: Parquet for a .parquet/.pq name, else CSV."""
    parquet = Path(path).suffix.lower() in PARQUET_SUFFIXES
    with open_atomic(path) as handle:
        if parquet:
            write_parquet(handle, columns)
        else:
            for chunk in csv_chunks(csv_columns(columns)):  # cells that would run as formulas: prefixed
                handle.write(chunk)
