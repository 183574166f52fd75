"""The `predict` verb: a model's predictions of new data, written to a CSV or Parquet file.

One verb, three runtimes, the same file (columns of `multiclass.predictions`, ids, top-k, decision rule):

- ``"numpy"`` (`multiclass.runtime`): a saved model read without torch -- what ``"auto"`` picks for a model
  directory, so ``multiclass predict`` on a few rows costs a fraction of a second instead of importing torch;
- ``"onnx"`` (`multiclass.export`): the exported graph on onnxruntime (CSV/TSV tables of table and text models);
- ``"torch"`` (`multiclass.jobs.predict_trained`): a `TrainedModel`, in memory or streamed batch by batch -- what
  ``"auto"`` picks for a model object and for a table too large for memory (or a folder of shards).

This module imports neither torch nor pandas at import time: the torch path is imported when it is taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from multiclass.data.stream.shards import DEFAULT_BATCH_ROWS
from multiclass.exceptions import ConfigError
from multiclass.jobs.inputs import check_output_path, wants_stream
from multiclass.runtime.model import load_runtime
from multiclass.runtime.output import write_columns
from multiclass.runtime.predict import predictions_of, with_cost_matrix

if TYPE_CHECKING:
    from multiclass.trained import TrainedModel

__all__ = ["RUNTIMES", "predict"]

RUNTIMES = ("auto", "numpy", "onnx", "torch")


def predict(model: TrainedModel | str | Path, data, out, *, top_k: int = 1, runtime: str = "auto",
            cost_matrix=None, kind: str | None = None, labels=None, data_dir=None, stream="auto",
            batch_rows: int = DEFAULT_BATCH_ROWS) -> int:
    """Write the predictions of `model` for `data` to `out` (CSV, or Parquet for a ``.parquet`` / ``.pq``
    name); return the number of rows written.

    Parameters
    ----------
    model : TrainedModel, str or Path
        A model in memory, or a saved model directory.
    data : str or Path
        A file, a folder (of images, or of table shards) or a built-in name.
    out : str or Path
        Written atomically: an error or Ctrl-C leaves the previous file, never half a file.
    top_k : int, default=1
        Also write the k most probable classes per row.
    runtime : {"auto", "numpy", "onnx", "torch"}, default="auto"
        See the module's docstring; "numpy" and "onnx" read a saved model directory.
    cost_matrix : str, Path, mapping or array, optional
        Decide by minimum expected cost with this matrix instead of the model's own rule (temperature kept).
    kind, labels, data_dir : optional
        Reader options (see `multiclass.data.load_dataset`).
    stream : bool or "auto", default="auto"
        As in `multiclass.jobs.evaluate` (streaming runs on torch).
    batch_rows : int, default=65536
        Rows per record batch when streaming.

    Raises
    ------
    ConfigError
        An unknown runtime; "numpy"/"onnx" for a model in memory or a streamed table; `top_k` out of [1, K].
    DataError
        A missing feature column or a bad value (named by file and row); `out` is the input data.
    ModelFileError
        The model directory is missing or damaged.
    OSError
        `out` cannot be written (nothing is left behind).
    """
    if runtime not in RUNTIMES:
        raise ConfigError(f"`runtime` must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    from_disk = isinstance(model, (str, Path))
    check_output_path(out, inputs=(data, model) if from_disk else (data,))
    options = {"kind": kind, "labels": labels, "data_dir": data_dir}
    reading = {"top_k": top_k, "kind": kind, "labels": labels, "data_dir": data_dir}
    if not from_disk:
        if runtime in ("numpy", "onnx"):
            raise ConfigError(f"`runtime` {runtime!r} reads a saved model directory; save the model first, or "
                              "use runtime 'torch'.")
        return _on_torch(model, data, out, cost_matrix, stream=stream, batch_rows=batch_rows, **reading)
    if runtime == "torch":
        return _on_torch(_load(model), data, out, cost_matrix, stream=stream, batch_rows=batch_rows, **reading)
    saved = load_runtime(model)
    table_model = (saved.document.get("data") or {}).get("kind") == "table"
    if wants_stream(data, stream, options=options, table_model=table_model):
        if runtime != "auto":
            raise ConfigError(f"`runtime` {runtime!r} reads a table whole; a streamed table is predicted on torch "
                              "(runtime 'auto' or 'torch').")
        return _on_torch(_load(model), data, out, cost_matrix, stream=True, batch_rows=batch_rows, **reading)
    if cost_matrix is not None:
        saved = with_cost_matrix(saved, cost_matrix)
    if runtime == "onnx":
        from multiclass.export.predict import onnx_predictions_of  # imports onnx and onnxruntime

        columns = onnx_predictions_of(saved, data, top_k=top_k, kind=kind)
    else:
        columns = predictions_of(saved, data, **reading)
    write_columns(out, columns)
    return len(next(iter(columns.values())))


def _load(model_dir) -> TrainedModel:
    from multiclass.persistence import load_model  # imports torch

    return load_model(model_dir)


def _on_torch(trained: TrainedModel, data, out, cost_matrix, **options) -> int:
    from multiclass.jobs.predict_trained import predict_trained  # imports torch and pandas

    if cost_matrix is not None:
        trained = trained.with_cost_matrix(cost_matrix)
    return predict_trained(trained, data, out, **options)
