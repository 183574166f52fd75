"""The `predict` verb: a model's predictions of new data, written to a CSV or Parquet file.

One verb, three runtimes, the same file (columns of `multiclass.predictions`, ids, top-k, decision rule):

- ``"numpy"`` (`multiclass.runtime`): a saved model read without torch -- what ``"auto"`` picks for a model
  directory, so ``multiclass predict`` on a few rows costs a fraction of a second instead of importing torch;
- ``"onnx"`` (`multiclass.export`): the exported graph on onnxruntime (CSV/TSV tables of table and text models);
- ``"torch"`` (`multiclass.jobs.predict_trained`): a `TrainedModel`, in memory or streamed batch by batch -- what
  ``"auto"`` picks for a model object and for a table too large for memory (or a folder of shards).

Columns of a table can be carried through to the predictions (``keep_columns``): the model's label column is
written as ``y_true``, so that ``multiclass report --predictions`` reads the file as it is; any other column under
its own name.

This module imports neither torch nor pandas at import time: the torch path is imported when it is taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from multiclass.data.stream.shards import DEFAULT_BATCH_ROWS
from multiclass.exceptions import ConfigError, MulticlassError
from multiclass.jobs.inputs import check_output_path, wants_stream
from multiclass.runtime.memory import small_pages
from multiclass.runtime.model import load_runtime
from multiclass.runtime.output import kept_names, write_columns
from multiclass.runtime.predict import predictions_of, with_cost_matrix
from multiclass.runtime.sets import add_alarm_column, add_set_columns, calibration_of, critical_names

if TYPE_CHECKING:
    from multiclass.trained import TrainedModel

__all__ = ["RUNTIMES", "label_column", "predict"]

RUNTIMES = ("auto", "numpy", "onnx", "torch")


def predict(model: TrainedModel | str | Path, data, out, *, top_k: int = 1, runtime: str = "auto",
            cost_matrix=None, kind: str | None = None, labels=None, data_dir=None, stream="auto",
            batch_rows: int = DEFAULT_BATCH_ROWS, keep_columns=(), sets: bool = False, critical=()) -> int:
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
    keep_columns : sequence of str, default=()
        Columns of a table written beside the predictions, as they are: the model's label column as ``y_true``
        (see `label_column`), the others under their own names.
    sets : bool, default=False
        Also write each row's conformal prediction set (`multiclass.runtime.sets`): a model saved with
        ``coverage``; the same sets on every runtime.
    critical : sequence of str, default=()
        Critical class names: also write an ``alarm`` column (`multiclass.runtime.sets.add_alarm_column`).

    Raises
    ------
    ConfigError
        An unknown runtime; "numpy"/"onnx" for a model in memory or a streamed table; `top_k` out of [1, K];
        `keep_columns` for other data than a table, naming a column twice or as an output column, or on onnx.
    DataError
        A missing feature column, a kept column the data lacks, or a bad value (named by file and row); `out` is
        the input data.
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
    on_torch = {"stream": stream, "batch_rows": batch_rows, "keep_columns": keep_columns, "sets": sets,
                "critical": critical, **reading}
    if not from_disk:
        if runtime in ("numpy", "onnx"):
            raise ConfigError(f"`runtime` {runtime!r} reads a saved model directory; save the model first, or "
                              "use runtime 'torch'.")
        return _on_torch(model, data, out, cost_matrix, **on_torch)
    if runtime == "torch":
        return _on_torch(_load(model), data, out, cost_matrix, **on_torch)
    saved = load_runtime(model)
    if sets:
        calibration_of(saved.document, saved.classes)  # a model without sets fails before the data is read
    critical = critical_names(critical, saved.classes)
    table_model = (saved.document.get("data") or {}).get("kind") == "table"
    if wants_stream(data, stream, options=options, table_model=table_model):
        if runtime != "auto":
            raise ConfigError(f"`runtime` {runtime!r} reads a table whole; a streamed table is predicted on torch "
                              "(runtime 'auto' or 'torch').")
        return _on_torch(_load(model), data, out, cost_matrix, **{**on_torch, "stream": True})
    kept = kept_names(saved.document.get("data") or {}, keep_columns)
    if cost_matrix is not None:
        saved = with_cost_matrix(saved, cost_matrix)
    if runtime == "onnx":
        if kept:
            raise ConfigError("`keep_columns` is not available on runtime 'onnx'; use runtime 'numpy'.")
        from multiclass.export.predict import onnx_predictions_of  # imports onnx and onnxruntime

        columns = onnx_predictions_of(saved, data, top_k=top_k, kind=kind)
        return _write(out, columns, saved, sets, critical)
    with small_pages():  # large tables: half the CPU time was the kernel zeroing huge pages
        return _write(out, predictions_of(saved, data, kept=kept, **reading), saved, sets, critical)


def _write(out, columns: dict, saved, sets: bool, critical) -> int:
    """Add the set and alarm columns asked for, write the predictions file; its number of rows."""
    if sets:
        add_set_columns(columns, calibration_of(saved.document, saved.classes), saved.classes, saved.labels)
    if critical:
        add_alarm_column(columns, critical, saved.classes, saved.labels)
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


def label_column(model: TrainedModel | str | Path, data) -> str | None:
    """The model's label column when `data` is a table file (or a folder of table shards) that has it, else None.

    Only the header is read (the csv module, or the Parquet schema), so ``multiclass predict`` can say whether the
    true labels could have been kept without reading the data again.
    """
    info = model.data_info if not isinstance(model, (str, Path)) else load_runtime(model).document.get("data") or {}
    target = (info.get("load_options") or {}).get("target")
    if target is None or info.get("kind") not in ("table", "text"):
        return None
    try:
        return target if target in _header(Path(data), info.get("load_options") or {}) else None
    except (MulticlassError, OSError, ValueError):
        return None


def _header(path: Path, options: dict) -> list[str]:
    """The column names of a table file, or of the first file of a folder of shards."""
    from multiclass.data.stream.shards import table_kind

    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and table_kind(p) is not None)
        if not files:
            return []
        path = files[0]
    if table_kind(path) == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    from multiclass.data.table_format import file_header, sniff_format

    fmt = sniff_format(path, sep=options.get("sep"), header=options.get("header"), names=options.get("names"))
    return list(fmt.names) if fmt.names is not None else (file_header(path, fmt) or [])
