"""`predict_file`: the predictions file of a data file, on the runtime asked for (numpy by default, onnxruntime, or
the torch path of `multiclass.workflow`), with the same columns, ids, top-k and format whichever runs it.

On numpy, a small CSV/TSV table (up to `SMALL_TABLE_BYTES`) for a table or text model is read with the csv module,
so nothing heavier than numpy is imported; a larger or compressed table, or Parquet, is read by the CLI's reader
(`multiclass.data.table_io.read_table`, pandas) and featurized by the runtime; images, IDX, npz files and built-in
names are read and featurized by `multiclass.data` (no torch) exactly as `multiclass predict` reads them.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from multiclass.exceptions import ConfigError, DataError
from multiclass.runtime.inputs import csv_columns
from multiclass.runtime.model import RuntimeModel, load_runtime
from multiclass.runtime.output import prediction_columns, write_columns
from multiclass.runtime.policy import Policy
from multiclass.runtime.values import InputError

__all__ = ["RUNTIMES", "SMALL_TABLE_BYTES", "predict_file", "predictions_of"]

RUNTIMES = ("numpy", "onnx", "torch")
# Tables up to this size are parsed by the csv module (about 1 s per 4 MiB of cells on one core): below it,
# importing pandas and multiclass.data (~2.5 s of CPU) would cost more than it saves.
SMALL_TABLE_BYTES = 4 * 2**20
_DELIMITERS = {".csv": ",", ".tsv": "\t"}
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


def is_small_table(path: Path, kind: str | None, model: RuntimeModel) -> bool:
    """Whether `path` is a CSV/TSV/TXT table small enough for the csv module, for a table or text model."""
    return (kind in (None, "table", "text") and path.is_file() and path.suffix.lower() in _TEXT_TABLES
            and path.stat().st_size <= SMALL_TABLE_BYTES and model.features.kind in ("table", "tfidf"))


def _delimiter(path: Path, text: str) -> str:
    """The extension's delimiter if the header has it, else sniffed among , ; tab | (as `read_table`)."""
    default = _DELIMITERS.get(path.suffix.lower(), "")
    header = text.split("\n", 1)[0]
    if default and default in header:
        return default
    try:
        return csv.Sniffer().sniff(text[: 64 * 1024], delimiters=",;\t|").delimiter
    except csv.Error:
        return default or ","


def read_small_table(path: Path, model: RuntimeModel, features=None) -> tuple[Any, Any, str]:
    """``(features(columns), ids, id column name)`` of a small CSV/TSV table read by the csv module; `features`
    maps the columns (default the model's own features). Errors name the file, column and row."""
    options = (model.document.get("data") or {}).get("load_options") or {}
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 (byte {error.start}); save the file as UTF-8.") from None
    try:
        columns = csv_columns(text, delimiter=_delimiter(path, text))
        X = (features or model.features_of)(columns)
    except InputError as error:
        raise DataError(f"{path}: {str(error).replace('field ', 'column ', 1)}") from None
    id_column = options.get("id_column")
    ids = np.array(columns[id_column], dtype=object) if id_column and id_column in columns else None
    return X, ids, id_column or "id"


def _frame_columns(frame) -> dict[str, Any]:
    """Columns of a pandas DataFrame as the feature maps take them: numeric and bool columns as numpy arrays,
    others as object arrays (NaN where missing, as pandas gives them to `multiclass.data`'s preprocessors)."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        kind = series.dtype.kind
        columns[name] = series.to_numpy() if kind in "iufb" else series.to_numpy(dtype=object, na_value=np.nan)
    return columns


def _read_large_table(path, model: RuntimeModel) -> tuple[np.ndarray, Any, str]:
    """A table read by `multiclass.data.table_io.read_table` (pandas: the CLI's reader and checks), featurized here."""
    from multiclass.data.table_io import read_table

    options = (model.document.get("data") or {}).get("load_options") or {}
    id_column = options.get("id_column")
    text = [f.name for f in model.features.fields if f.type in ("category", "text")]
    frame = read_table(path, string_columns=text + ([id_column] if id_column else []))
    columns = _frame_columns(frame)
    try:
        X = model.features_of(columns)
    except InputError as error:
        raise DataError(f"{path}: {str(error).replace('field ', 'column ', 1)}") from None
    ids = columns[id_column] if id_column and id_column in columns else None
    return X, ids, id_column or "id"


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


def predictions_of(model: RuntimeModel, data: str | Path, *, top_k: int = 1, kind: str | None = None,
                   labels=None, data_dir=None) -> dict[str, np.ndarray]:
    """The predictions file's columns (see `multiclass.runtime.output.prediction_columns`) of `data` on numpy."""
    check_top_k(top_k, len(model.classes))
    path = Path(data)
    if is_small_table(path, kind, model) and labels is None and data_dir is None:
        X, ids, id_name = read_small_table(path, model)
    elif (model.features.kind in ("table", "tfidf") and kind in (None, "table", "text") and path.is_file()
          and labels is None and data_dir is None):
        X, ids, id_name = _read_large_table(path, model)
    else:
        X, ids, id_name = _read_with_data_package(data, model, kind, labels, data_dir)
    with one_blas_thread():
        prediction = model.predict_features(X)
    return prediction_columns(prediction, model.labels, model.classes, top_k=top_k, ids=ids, id_name=id_name)


def _with_cost_matrix(model: RuntimeModel, cost_matrix) -> RuntimeModel:
    from multiclass.decisions import cost_matrix_from  # reads the CSV/JSON file by class names (imports scipy)

    matrix = np.asarray(cost_matrix_from(cost_matrix, model.classes), dtype=np.float64)
    return dataclasses.replace(model, policy=Policy(model.policy.temperature, None, matrix))


def predict_file(model_dir: str | Path, data: str | Path, out: str | Path, *, top_k: int = 1,
                 runtime: str = "numpy", kind: str | None = None, labels=None, data_dir=None,
                 cost_matrix=None) -> int:
    """Predict every row of `data` with the model in `model_dir` and write the predictions file `out`.

    Parameters
    ----------
    model_dir : str or Path
    data : str or Path
        A table, text table, image folder, IDX, npz file or built-in name (as `multiclass predict`).
    out : str or Path
        CSV, or Parquet for a ``.parquet`` / ``.pq`` name; written atomically.
    top_k : int, default=1
        Also write the ``top_k`` most probable classes per row.
    runtime : {"numpy", "onnx", "torch"}, default="numpy"
        numpy: `multiclass.runtime` (no torch); onnx: the exported graph on onnxruntime (tables and text);
        torch: `multiclass.persistence.load_model` and `multiclass.workflow.predictions_frame`.
    kind, labels, data_dir
        Reader options, as `multiclass.workflow.load_for_model`.
    cost_matrix : str, Path, mapping or array, optional
        Decide by minimum expected cost with this matrix instead of the model's own rule (its temperature kept).

    Returns
    -------
    int
        The number of rows predicted.

    Raises
    ------
    ConfigError
        An unknown runtime, a bad `top_k`.
    DataError
        The data cannot be read or does not fit the model (naming the file, column and row); `out` is the input.
    ModelFileError
        The model directory is missing or damaged.
    """
    if runtime not in RUNTIMES:
        raise ConfigError(f"`runtime` must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    out, data_path = Path(out), Path(data)
    if data_path.exists() and out.exists() and out.resolve() == data_path.resolve():
        raise DataError(f"{out}: is also the input data; write the output to another file.")
    if runtime == "torch":
        return _predict_torch(model_dir, data, out, top_k=top_k, kind=kind, labels=labels, data_dir=data_dir,
                              cost_matrix=cost_matrix)
    model = load_runtime(model_dir)
    if cost_matrix is not None:
        model = _with_cost_matrix(model, cost_matrix)
    if runtime == "onnx":
        from multiclass.export.predict import onnx_predictions_of

        columns = onnx_predictions_of(model, data, top_k=top_k, kind=kind)
    else:
        columns = predictions_of(model, data, top_k=top_k, kind=kind, labels=labels, data_dir=data_dir)
    write_columns(out, columns)
    return len(next(iter(columns.values())))


def _predict_torch(model_dir, data, out, *, top_k, kind, labels, data_dir, cost_matrix) -> int:
    from multiclass.persistence import load_model
    from multiclass.prediction_files import write_predictions
    from multiclass.workflow import load_for_model, predictions_frame, with_cost_matrix

    trained = load_model(model_dir)
    if cost_matrix is not None:
        trained = with_cost_matrix(trained, cost_matrix)
    dataset = load_for_model(trained, data, kind=kind, with_labels=False, labels=labels, data_dir=data_dir)
    frame = predictions_frame(trained, dataset, top_k=top_k)
    write_predictions(out, frame)
    return len(frame)
