"""Predictions on onnxruntime: the exported graph of a model (built in memory) run on a table or text table, for
`multiclass.jobs.predict.predict` with ``runtime="onnx"``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from multiclass.exceptions import ConfigError
from multiclass.export.inputs import onnx_inputs
from multiclass.export.onnx import build_onnx
from multiclass.runtime import Prediction, RuntimeModel
from multiclass.runtime.output import prediction_columns
from multiclass.runtime.predict import check_top_k, is_small_table, read_small_table

__all__ = ["onnx_predictions_of", "onnx_session"]


def onnx_session(model: RuntimeModel):
    """An onnxruntime session of the model's exported graph (CPU)."""
    import onnxruntime

    return onnxruntime.InferenceSession(build_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])


def onnx_predictions_of(model: RuntimeModel, data, *, top_k: int = 1, kind: str | None = None) -> dict:
    """The predictions file's columns of a CSV/TSV table (up to `multiclass.runtime.predict.SMALL_TABLE_BYTES`) on
    onnxruntime; probabilities are the graph's float32 ones.

    Raises
    ------
    ConfigError
        Data other than a small table for a table or text model (use the numpy runtime).
    """
    check_top_k(top_k, len(model.classes))
    path = Path(data)
    if not is_small_table(path, kind, model):
        raise ConfigError(f"`runtime` 'onnx' reads CSV/TSV tables up to a few MB for table and text models; got "
                          f"{str(data)!r}. Use runtime 'numpy'.")
    feed, ids, id_name, _ = read_small_table(path, model, features=lambda columns: onnx_inputs(model, columns))
    probs, labels = onnx_session(model).run(None, feed)
    codes = {label: code for code, label in enumerate(model.labels(np.arange(len(model.classes))).tolist())}
    with np.errstate(divide="ignore"):  # a float32 probability may underflow to 0
        log_probs = np.log(probs.astype(np.float64))
    prediction = Prediction(log_probs, probs.astype(np.float64),
                            np.array([codes[label] for label in labels.tolist()], dtype=np.int64))
    return prediction_columns(prediction, model.labels, model.classes, top_k=top_k, ids=ids, id_name=id_name)
