"""The predictions file's columns of a data file on numpy (`predictions_of`), without torch: what
`multiclass.jobs.predict.predict` runs for a saved model unless asked otherwise.

A small CSV/TSV table (up to `SMALL_TABLE_BYTES`) for a table or text model is read with the csv module, so
nothing heavier than numpy is imported; a larger or compressed table, or Parquet, is read by the CLI's reader
(`multiclass.data.table_io.read_table`, pandas) and featurized by the runtime; images, IDX, npz files and built-in
names are read and featurized by `multiclass.data` (no torch) exactly as `multiclass predict` reads them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from multiclass.data.column_names import columns_listing
from multiclass.data.csv_checks import text_code
from multiclass.data.table_format import FORMAT_OPTIONS
from multiclass.exceptions import ConfigError, DataError, DataWarning
from multiclass.runtime.inputs import csv_columns
from multiclass.runtime.model import RuntimeModel
from multiclass.runtime.output import prediction_columns
from multiclass.runtime.policy import Policy
from multiclass.runtime.values import InputError

__all__ = ["SMALL_TABLE_BYTES", "check_top_k", "is_small_table", "predictions_of", "read_small_table",
           "with_cost_matrix"]

# Tables up to this size are parsed by the csv module (about 1 s per 4 MiB of cells on one core): below it,
# importing pandas and multiclass.data (~2.5 s of CPU) would cost more than it saves.
SMALL_TABLE_BYTES = 4 * 2**20
_TEXT_TABLES = (".csv", ".tsv", ".txt")


def check_top_k(top_k: Any, n_classes: int) -> None:
    """`top_k` must be an integer in [1, K]."""
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= n_classes:
        raise ConfigError(f"`top_k` must be an integer in [1, {n_classes}]; got {top_k!r}.")


def one_blas_thread():
    """A context in which BLAS runs on one thread (threadpoolctl, when installed; it comes with scikit-learn).

    The network's products are tall and thin ((N, 54) @ (54, 25)): memory-bound, so a second BLAS thread saves
    little, and on a loaded machine its spinning costs 2-3x the CPU time (measured: 0.09 s vs 0.22 s of CPU for
    1,000,000 rows of the 54-feature model).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency of scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _format_options(model: RuntimeModel) -> dict[str, Any]:
    """The table format options the model's training data was read with (``sep``, ``header``, ``names``)."""
    options = (model.document.get("data") or {}).get("load_options") or {}
    return {name: options.get(name) for name in FORMAT_OPTIONS}


def _simple_format(path: Path, model: RuntimeModel):
    """The file's `TableFormat`, read off its first lines as the training reader reads it, when the csv module
    reads it alike (one delimiter character and no blank after it, a header line, a decimal point); else None."""
    from multiclass.data.table_format import WHITESPACE, sniff_format

    fmt = sniff_format(path, **_format_options(model))
    simple = (fmt.sep != WHITESPACE and fmt.header and fmt.names is None and fmt.decimal == "."
              and not fmt.blank_after_sep)
    return fmt if simple else None


def is_small_table(path: Path, kind: str | None, model: RuntimeModel) -> bool:
    """Whether `path` is a CSV/TSV/TXT table for a table or text model that the csv module reads: small enough,
    and in a format it reads as the training reader does (else pandas reads it: `read_table`)."""
    return (kind in (None, "table", "text") and path.is_file() and path.suffix.lower() in _TEXT_TABLES
            and path.stat().st_size <= SMALL_TABLE_BYTES and model.features.kind in ("table", "tfidf")
            and _simple_format(path, model) is not None)


def read_small_table(path: Path, model: RuntimeModel, features=None) -> tuple[Any, Any, str, dict]:
    """``(features(columns), ids, id column name, columns)`` of a small CSV/TSV table read by the csv module;
    `features` maps the columns (default the model's own features). Errors name the file, column and row."""
    options = (model.document.get("data") or {}).get("load_options") or {}
    raw = path.read_bytes()
    code = text_code(raw, path)  # UTF-8, or Windows-1252 as the table reader reads it (else DataError)
    text = raw.decode(code.encoding)
    if code.line:
        warnings.warn(code.warning(path), DataWarning, stacklevel=2)
    fmt = _simple_format(path, model)
    try:
        columns = csv_columns(text, delimiter=fmt.sep if fmt else ",", na_values=options.get("na_values"),
                              label_column=options.get("target"))
    except InputError as error:
        raise _data_error(path, error, None) from None
    try:
        X = (features or model.features_of)(columns)
    except InputError as error:
        raise _data_error(path, error, columns) from None
    id_column = options.get("id_column")
    ids = np.array(columns[id_column], dtype=object) if id_column and id_column in columns else None
    return X, ids, id_column or "id", columns


def _data_error(path: Path, error: InputError, columns) -> DataError:
    """The input error as the data readers word it: naming the file, and for a missing column the columns there."""
    if error.row is None and error.field is not None and str(error).endswith("is required and missing.") and columns:
        return DataError(f"{path}: missing column {error.field!r} needed by the model; the data has columns: "
                         f"{columns_listing(columns)}.")
    return DataError(f"{path}: {str(error).replace('field ', 'column ', 1)}")


def _frame_columns(frame) -> dict[str, Any]:
    """Columns of a pandas DataFrame as the feature maps take them: numeric and bool columns as numpy arrays,
    others as object arrays (NaN where missing, as pandas gives them to `multiclass.data`'s preprocessors)."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        kind = series.dtype.kind
        columns[name] = series.to_numpy() if kind in "iufb" else series.to_numpy(dtype=object, na_value=np.nan)
    return columns


def _read_large_table(path, model: RuntimeModel, kept=()) -> tuple[np.ndarray, Any, str, dict]:
    """A table read by `multiclass.data.table_io.read_table` (pandas: the CLI's reader and checks), featurized here;
    the `kept` columns are read as text."""
    from multiclass.data.table_io import read_table

    options = (model.document.get("data") or {}).get("load_options") or {}
    id_column = options.get("id_column")
    text = [f.name for f in model.features.fields if f.type in ("category", "text")]
    frame = read_table(path, string_columns=text + ([id_column] if id_column else []) + list(kept),
                       label_column=options.get("target"), **_format_options(model))
    columns = _frame_columns(frame)
    try:
        X = model.features_of(columns)
    except InputError as error:
        raise _data_error(path, error, columns) from None
    ids = columns[id_column] if id_column and id_column in columns else None
    return X, ids, id_column or "id", columns


def _read_with_data_package(path, model: RuntimeModel, kind, labels, data_dir) -> tuple[np.ndarray, Any, str]:
    from multiclass.data import load_for_prediction, preprocessor_from_state

    pre = model.document.get("preprocessor")
    if not pre:
        raise DataError(f"{path}: the model was trained on ready features; predict with its numpy arrays "
                        "(RuntimeModel.predict_features).")
    preprocessor = preprocessor_from_state(pre["kind"], pre["params"], model.preprocessor_arrays)
    data = model.document.get("data") or {}
    options = dict(data.get("load_options") or {})
    options.update({k: v for k, v in (("labels", labels), ("data_dir", data_dir)) if v is not None})
    dataset = load_for_prediction(path, preprocessor, kind=kind, classes=model.classes,
                                  target_dtype=data.get("target_dtype", "str"), with_labels=False, **options)
    id_name = dataset.load_options.get("id_column") or ("path" if dataset.kind == "images" else "id")
    return dataset.X, dataset.ids, id_name


def _is_table_file(path: Path) -> bool:
    """A delimited text or Parquet table, as `multiclass.data.detect_kind` tells (else its reader names what the file
    is); a table's name alone says so without importing `multiclass.data`'s readers (scipy, the built-in sets)."""
    from multiclass.data.table_format import has_table_extension

    if has_table_extension(path):
        return True
    from multiclass.data import detect_kind  # imports pandas and every reader

    return detect_kind(path) == "table"


def predictions_of(model: RuntimeModel, data: str | Path, *, top_k: int = 1, kind: str | None = None,
                   labels=None, data_dir=None, kept: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """The predictions file's columns (see `multiclass.runtime.output.prediction_columns`) of `data` on numpy;
    `kept` (input column -> output column, `multiclass.runtime.output.kept_names`) carries table columns through."""
    check_top_k(top_k, len(model.classes))
    path, kept = Path(data), kept or {}
    columns = None
    if is_small_table(path, kind, model) and labels is None and data_dir is None:
        X, ids, id_name, columns = read_small_table(path, model)
    elif (model.features.kind in ("table", "tfidf") and kind in (None, "table", "text") and path.is_file()
          and labels is None and data_dir is None and _is_table_file(path)):
        X, ids, id_name, columns = _read_large_table(path, model, kept)
    else:
        X, ids, id_name = _read_with_data_package(data, model, kind, labels, data_dir)
    carried = _kept_columns(path, columns, kept)
    with one_blas_thread():
        prediction = model.predict_features(X)
    return prediction_columns(prediction, model.labels, model.classes, top_k=top_k, ids=ids, id_name=id_name,
                              kept=carried)


def _kept_columns(path: Path, columns: dict | None, kept: dict[str, str]) -> dict[str, Any]:
    """Output column -> the values of the kept input columns (as written)."""
    if not kept:
        return {}
    if columns is None:
        raise ConfigError(f"`keep_columns` applies to a table file; {path} is not one.")
    missing = [name for name in kept if name not in columns]
    if missing:
        listing = ", ".join(repr(str(name)) for name in columns)
        raise DataError(f"{path}: `keep_columns` names column {missing[0]!r}, which the data does not have; it has "
                        f"columns: {listing}.")
    return {kept[name]: columns[name] for name in kept}


def with_cost_matrix(model: RuntimeModel, cost_matrix) -> RuntimeModel:
    """A copy of `model` deciding by minimum expected cost (its temperature kept), as `TrainedModel.with_cost_matrix`."""
    from multiclass.decisions import cost_matrix_from  # reads the CSV/JSON file by class names (imports scipy)

    matrix = np.asarray(cost_matrix_from(cost_matrix, model.classes), dtype=np.float64)
    return dataclasses.replace(model, policy=Policy(model.policy.temperature, None, matrix))

