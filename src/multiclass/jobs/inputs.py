"""What every verb does with its inputs before any work: read new data the way a model read its training data,
decide whether to stream a table, and check that each output can be written.

The choice between reading a table whole and streaming it is made here and nowhere else (`wants_stream`): asked
for, a folder of shards, a table file larger than 1/8 of the machine's memory, or one rank of several under
torchrun.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import multiclass.data as data
import multiclass.data.stream as stream_
from multiclass.data.stream.shards import is_table_shards, should_stream
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs.outputs import check_output_path
from multiclass.launch import distributed_env

if TYPE_CHECKING:  # annotations only: this module is imported by `multiclass predict` before torch is
    from multiclass.data.stream import TableScan, TableSource
    from multiclass.trained import TrainedModel

__all__ = ["check_output_path", "load_for_model", "model_scan", "model_source", "wants_stream"]

# Reader options that do not apply to a streamed table (other kinds of data).
_NOT_STREAMED = ("text_column", "labels", "split", "data_dir", "na_values")


def wants_stream(path, stream, *, options: dict | None = None, table_model: bool = True) -> bool:
    """Whether a verb reads `path` batch by batch: ``stream=True``; or ``stream="auto"`` and `path` is a folder of
    table shards, a table too large to load, or this process is one rank of several (training).

    Parameters
    ----------
    path : str or Path
    stream : bool or "auto"
    options : dict, optional
        The reader options given (``kind``, ``labels``...): those of other kinds of data are refused when streaming.
    table_model : bool, default=True
        False for a model trained on other data than a table: "auto" then never streams (nor for options of other
        kinds of data, such as a text column).
    """
    if stream not in (True, False, "auto"):
        raise ConfigError(f"`stream` must be True, False or 'auto'; got {stream!r}.")
    options = options or {}
    other_data = options.get("kind") not in (None, "table") or any(options.get(name) for name in _NOT_STREAMED)
    # A folder of shards can only be streamed; a large file could be loaded, so options of other data read it whole.
    automatic = stream == "auto" and table_model and (is_table_shards(path) or (
        not other_data and (distributed_env() or should_stream(path))))
    chosen = stream is True or automatic
    if chosen:
        for name in _NOT_STREAMED:
            if options.get(name):
                raise ConfigError(f"`{name}` does not apply to a streamed table; streaming reads Parquet or CSV "
                                  "tables.")
        if options.get("kind") not in (None, "table"):
            raise ConfigError(f"`kind` must be 'table' when streaming; got {options['kind']!r}.")
    return chosen


def load_for_model(trained: TrainedModel, path_or_name, *, kind: str | None = None, with_labels: bool = True,
                   **options) -> data.Dataset:
    """Read new data the way `trained` read its training data (same columns, preprocessing and label coding).

    Parameters
    ----------
    trained : TrainedModel
    path_or_name : str or Path
        A file, folder or built-in name.
    kind : str, optional
        Skip format detection.
    with_labels : bool, default=True
        False for prediction: a table's target column is then not read, so missing or never-seen labels in it
        are no error (only the features matter).
    **options
        Reader options given now (``labels``, ``data_dir``, ``split``); None values are ignored. They override
        the training ``load_options`` (``target``, ``id_column``, ``text_column``).
    """
    saved = dict(trained.data_info.get("load_options", {}))
    saved.update({k: v for k, v in options.items() if v is not None})
    return data.load_for_prediction(path_or_name, trained.preprocessor, kind=kind, classes=trained.classes,
                                    target_dtype=trained.data_info.get("target_dtype", "str"),
                                    with_labels=with_labels, **saved)


def model_source(trained: TrainedModel, path, *, batch_rows: int) -> TableSource:
    """A `TableSource` of `path` that reads its CSV files the way `trained` read its training table (the delimiter,
    header line and column names it was given, its label column's missing texts)."""
    options = trained.data_info.get("load_options", {})
    return stream_.TableSource(path, batch_rows=batch_rows, sep=options.get("sep"), header=options.get("header"),
                               names=options.get("names"), label_column=options.get("target"))


def model_scan(trained: TrainedModel, source: TableSource, *, with_labels: bool) -> TableScan:
    """The `TableScan` that reads `source` the way `trained` read its training table (nothing is scanned)."""
    kind = trained.data_info.get("kind")
    if kind != "table" or getattr(trained.preprocessor, "kind", None) != "table":
        raise ConfigError(f"{source.path}: streaming reads Parquet or CSV tables; this model was trained on "
                          f"{kind or 'other'} data (leave out --stream).")
    options = trained.data_info.get("load_options", {})
    target, target_dtype = options.get("target"), trained.data_info.get("target_dtype", "str")
    needed = [spec["name"] for spec in trained.preprocessor.specs_]
    if with_labels:
        if target is None or target not in source.columns:
            where = f" (column {target!r})" if target else ""
            raise DataError(f"{source.path}: evaluation needs labels{where}; the data has none.")
        needed = [target, *needed]
    missing = [name for name in needed if name not in source.columns]
    if missing:
        raise DataError(f"{source.path}: missing column {missing[0]!r} needed by the model; the data has columns: "
                        f"{data.columns_listing(source.columns)}.")
    codes = {name: code for code, name in enumerate(trained.classes)}  # CSV labels are read as text
    if target_dtype == "int":  # Parquet integer labels come as numbers
        codes.update({int(name): code for code, name in enumerate(trained.classes)})
    k = len(trained.classes)
    return stream_.TableScan(preprocessor=trained.preprocessor, classes=tuple(trained.classes), target_dtype=target_dtype,
                     label_codes=codes, class_counts=np.zeros(k, np.int64), train_class_counts=np.zeros(k, np.int64),
                     piece_rows=(), piece_train_rows=(), target=target, id_column=options.get("id_column"),
                     val_fraction=0.0, seed=0)
