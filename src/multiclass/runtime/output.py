"""Predictions -> the rows of a predictions file, and the file itself (CSV or Parquet), without pandas.

The columns are those of `multiclass.predictions.prediction_rows`: the ids (if any), ``predicted`` (the decision under
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
from multiclass.runtime.csvtext import csv_chunks
from multiclass.runtime.model import Prediction

__all__ = ["PARQUET_SUFFIXES", "prediction_columns", "write_columns"]

PARQUET_SUFFIXES = (".parquet", ".pq")


def prediction_columns(prediction: Prediction, labels: Any, classes: Sequence[str], *, top_k: int = 1, ids=None,
                       id_name: str = "id") -> dict[str, np.ndarray]:
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
    """
    probs, codes = prediction.probs, prediction.codes  # (N, K), (N,)
    rows = np.arange(len(probs))
    columns: dict[str, np.ndarray] = {"predicted": labels(codes), "probability": probs[rows, codes]}
    order = prediction.top_k(top_k)  # (N, top_k)
    for rank in range(1, top_k):
        columns[f"top{rank + 1}"] = labels(order[:, rank])
        columns[f"top{rank + 1}_probability"] = probs[rows, order[:, rank]]
    for code, name in enumerate(classes):
        columns[f"p_{name}"] = probs[:, code]
    if ids is not None:
        columns = {(id_name if id_name not in columns else "id"): np.asarray(ids), **columns}
    return columns


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
            for chunk in csv_chunks(columns):
                handle.write(chunk)
