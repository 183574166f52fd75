"""Predictions of a `TrainedModel` (torch), written to a CSV or Parquet file: the path of
`multiclass.jobs.predict.predict` for a model in memory, a streamed table, or ``runtime="torch"``.

In memory, the data is read through the model's preprocessing and predicted in one pass. Streamed (a table
larger than memory, a folder of shards, ``stream=True``), each record batch is read, predicted and appended to
the output in input order -- cut into chunks of at most `evaluate.CHUNK_ENTRIES` probabilities when K is large --
so memory is bounded by a batch whatever the file size. Either way the file is written through
`atomic.open_atomic` (a temporary renamed at the end: an error or Ctrl-C leaves the previous file, never half a
file) and has the columns of `multiclass.predictions`.

Columns of a table can be carried through to the predictions (``keep_columns``): the model's label column is
written as ``y_true``, so that ``multiclass report --predictions`` reads the file as it is; any other column under
its own name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from multiclass.atomic import open_atomic
from multiclass.conformal.stored import NO_SETS
from multiclass.data.labels import decode_labels
from multiclass.data.stream.shards import DEFAULT_BATCH_ROWS
from multiclass.data.column_names import columns_listing
from multiclass.data.table_io import read_table
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs.evaluate import row_chunks
from multiclass.jobs.inputs import load_for_model, model_scan, model_source, wants_stream
from multiclass.predictions import (
    PredictionWriter,
    is_parquet,
    prediction_rows,
    write_predictions,
)
from multiclass.runtime.output import kept_names
from multiclass.runtime.sets import add_alarm_column, add_set_columns, critical_names
from multiclass.trained import TrainedModel

__all__ = ["check_top_k", "predict_trained", "predictions_frame"]


def check_top_k(trained: TrainedModel, top_k) -> None:
    """`top_k` must be an integer in [1, K] (checked before any data is read)."""
    n_classes = len(trained.classes)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= n_classes:
        raise ConfigError(f"`top_k` must be an integer in [1, {n_classes}]; got {top_k!r}.")


def _kept_frame(frame: pd.DataFrame, kept: dict[str, str], where) -> dict:
    missing = [name for name in kept if name not in frame.columns]
    if missing:
        raise DataError(f"{where}: `keep_columns` names column {missing[0]!r}, which the data does not have; it "
                        f"has columns: {columns_listing(frame.columns)}.")
    return {kept[name]: frame[name].to_numpy() for name in kept}


def predict_trained(trained: TrainedModel, data, out, *, top_k: int = 1, kind: str | None = None, labels=None,
            data_dir=None, stream="auto", batch_rows: int = DEFAULT_BATCH_ROWS, keep_columns=(),
            sets: bool = False, critical=()) -> int:
    """Write the predictions of `trained` for `data` to `out` (CSV, or Parquet for a ``.parquet`` / ``.pq``
    name); return the number of rows written.

    Parameters
    ----------
    trained : TrainedModel
    data : str or Path
        A file, a folder (of images, or of table shards) or a built-in name.
    out : str or Path
    top_k : int, default=1
        Also write the k most probable classes per row.
    kind, labels, data_dir : optional
        Reader options (see `multiclass.data.load_dataset`).
    stream : bool or "auto", default="auto"
        As in `multiclass.jobs.evaluate`.
    batch_rows : int, default=65536
    keep_columns : sequence of str, default=()
        Columns of a table written beside the predictions, as they are: the model's label column as ``y_true``
        (see `multiclass.jobs.predict.label_column`), the others under their own names.
    sets : bool, default=False
        Also write the conformal prediction sets (`multiclass.runtime.sets`; a model with ``conformal``).
    critical : sequence of str, default=()
        Critical class names: also write the ``alarm`` column.

    Raises
    ------
    ConfigError
        `top_k` out of [1, K]; streaming asked for a model not trained on a table; `keep_columns` for other data
        than a table, or naming a column twice or as an output column.
    DataError
        A missing feature column, a kept column the data lacks, or a bad value (named by file and row).
    OSError
        `out` cannot be written (nothing is left behind).
    """
    check_top_k(trained, top_k)
    kept = kept_names(trained.data_info, keep_columns)
    if sets and trained.conformal is None:
        raise ConfigError(NO_SETS)
    calibration = trained.conformal if sets else None
    critical = critical_names(critical, trained.classes)
    options = {"kind": kind, "labels": labels, "data_dir": data_dir}
    if wants_stream(data, stream, options=options, table_model=trained.data_info.get("kind") == "table"):
        return _predict_stream(trained, data, out, top_k=top_k, batch_rows=batch_rows, kept=kept,
                               calibration=calibration, critical=critical)
    dataset = load_for_model(trained, data, kind=kind, with_labels=False, labels=labels, data_dir=data_dir)
    # the kept columns, read as text exactly as written (one more read of the table, only when asked)
    options = trained.data_info.get("load_options") or {}  # the model's missing texts; its label's "None" a class
    columns = _kept_frame(read_table(data, string_columns=list(kept), na_values=options.get("na_values"),
                                     label_column=options.get("target")), kept, data) if kept \
        else None
    frame = predictions_frame(trained, dataset, top_k=top_k, kept=columns)
    if calibration is not None:
        add_set_columns(frame, calibration, trained.classes, dataset.decode)
    if critical:
        add_alarm_column(frame, critical, trained.classes, dataset.decode)
    write_predictions(out, frame)
    return len(frame)


def predictions_frame(trained: TrainedModel, dataset, *, top_k: int = 1, kept: dict | None = None) -> pd.DataFrame:
    """One row per input row, in input order, with the columns of `multiclass.predictions` (and `kept`: output
    column -> values, written after the ids).

    The ids column keeps the name of the input's id column (``id_column``), so predictions join back onto the
    input; it is ``path`` for image folders and ``id`` otherwise (or when that name is taken).
    """
    check_top_k(trained, top_k)
    id_name = dataset.load_options.get("id_column") or ("path" if dataset.kind == "images" else "id")
    _, probs, decided = trained.outputs(dataset.X)
    return prediction_rows(probs, decided, trained.classes, dataset.decode, top_k=top_k, ids=dataset.ids,
                           id_name=id_name, kept=kept)


def _predict_stream(trained: TrainedModel, path, out, *, top_k: int, batch_rows: int, kept: dict,
                    calibration=None, critical=()) -> int:
    """Predict a table batch by batch into `out`; the target column is read only when it is kept."""
    source = model_source(trained, path, batch_rows=batch_rows)
    scan = model_scan(trained, source, with_labels=False)
    specs = trained.preprocessor.specs_
    id_column = scan.id_column if scan.id_column in source.columns else None
    _kept_frame(pd.DataFrame(columns=list(source.columns)), kept, source.path)  # every kept column is there
    features = [s["name"] for s in specs]
    columns = ([id_column] if id_column else []) + features
    columns += [name for name in kept if name not in columns]
    numeric = [s["name"] for s in specs if s["type"] == "numeric"]
    k = len(trained.classes)

    def decode(codes):
        return decode_labels(codes, trained.classes, scan.target_dtype)

    def rows(X, ids, extra=None):
        _, probs, decided = trained.outputs(X)
        frame = prediction_rows(probs, decided, trained.classes, decode, top_k=top_k, ids=ids,
                                id_name=id_column or "id", kept=extra)
        if calibration is not None:
            add_set_columns(frame, calibration, trained.classes, decode)
        return add_alarm_column(frame, critical, trained.classes, decode) if critical else frame

    with open_atomic(out) as handle:
        writer = PredictionWriter(handle, parquet=is_parquet(out))
        for piece in source.pieces:
            start = piece.first_row
            for frame in source.frames(piece, columns, numeric=numeric):
                try:
                    X_batch = trained.preprocessor.transform(frame)  # (n, F)
                except DataError as error:
                    raise DataError(f"{source.shards[piece.shard]} (a batch starting at row {start + 1}): {error}"
                                    ) from None
                ids = None if id_column is None else frame[id_column].to_numpy()
                extra = _kept_frame(frame, kept, source.path)
                for part in row_chunks(len(frame), k):
                    writer.write(rows(X_batch[part], None if ids is None else ids[part],
                                      {name: values[part] for name, values in extra.items()}))
                start += len(frame)
        if writer.rows == 0:  # an empty table: the header (CSV) or the schema (Parquet) alone
            writer.write(rows(np.zeros((0, trained.n_features), np.float32),
                              None if id_column is None else np.array([]), {name: np.array([]) for name in
                                                                            kept.values()}))
        writer.close()
    return writer.rows
