"""Predictions -> response bodies: /predict's rows and the Open Inference Protocol's output tensors; the model
metadata; the warm-up input. Each row carries the decision under the saved policy (``label``), its calibrated
probability, the ``top_k`` most probable classes and every class's probability; a model with a ``conformal``
entry in model.json (``--coverage`` at train) adds its prediction ``set`` and ``abstain`` flag (`conformal_sets`)."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from multiclass._version import __version__
from multiclass.conformal.sets import predict_sets
from multiclass.runtime import Prediction, RuntimeModel
from multiclass.runtime.sets import calibration_of

__all__ = ["conformal_sets", "model_metadata", "oip_outputs", "prediction_rows", "warmup_columns"]

_OIP_DATATYPES = {"number": "FP64", "boolean": "BOOL", "category": "BYTES", "text": "BYTES", "image": "BYTES",
                  "tensor": "FP32"}


def conformal_sets(model: RuntimeModel, probs: np.ndarray) -> tuple[list[list[int]], np.ndarray] | None:
    """(class codes in each row's prediction set, abstain flags) when model.json has a ``conformal`` entry (a
    model trained with ``--coverage``), else None: the sets of `multiclass.runtime.sets`, those ``multiclass
    predict --sets`` writes; the model abstains when the set is not exactly one class."""
    if not model.document.get("conformal"):
        return None
    members = predict_sets(np.ascontiguousarray(probs, dtype=np.float64),
                           calibration_of(model.document, model.classes))  # (N, K) bool
    return [np.flatnonzero(row).tolist() for row in members], members.sum(axis=1) != 1


def prediction_rows(model: RuntimeModel, prediction: Prediction, top_k: int) -> list[dict[str, Any]]:
    """One JSON object per row."""
    probs, codes = prediction.probs, prediction.codes  # (N, K), (N,)
    names = model.labels(np.arange(len(model.classes))).tolist()  # class labels as the training data had them
    order = prediction.top_k(top_k).tolist()
    rows = []
    for i, (row, code) in enumerate(zip(probs.tolist(), codes.tolist())):
        rows.append({
            "label": names[code],
            "probability": row[code],
            "top_k": [{"label": names[k], "probability": row[k]} for k in order[i]],
            "probabilities": dict(zip(model.classes, row)),
        })
    sets = conformal_sets(model, probs)
    if sets is not None:
        for row, members, abstain in zip(rows, sets[0], sets[1].tolist()):
            row["set"], row["abstain"] = [names[k] for k in members], abstain
    return rows


def oip_outputs(model: RuntimeModel, prediction: Prediction, wanted: list[str] | None) -> list[dict[str, Any]]:
    """The output tensors: ``label`` (BYTES or INT64, [N]) and ``probabilities`` (FP64, [N, K], classes in
    model order)."""
    n, k = prediction.probs.shape
    labels = model.labels(prediction.codes).tolist()
    outputs = {
        "label": {"name": "label", "shape": [n], "datatype": "INT64" if model.target_dtype == "int" else "BYTES",
                  "data": labels},
        "probabilities": {"name": "probabilities", "shape": [n, k], "datatype": "FP64",
                          "data": prediction.probs.reshape(-1).tolist()},
    }
    return [outputs[name] for name in (wanted or outputs)]


def model_metadata(model: RuntimeModel, name: str) -> dict[str, Any]:
    """The OIP model metadata, plus the request schema (``parameters.fields``) and the classes."""
    inputs = []
    for field in model.features.fields:
        shape = [-1, *(field.shape or ())] if field.type == "tensor" else [-1]
        inputs.append({"name": field.name, "datatype": _OIP_DATATYPES[field.type], "shape": shape})
    return {
        "name": name,
        "versions": [model.version],
        "platform": f"multiclass-{__version__}-numpy",
        "inputs": inputs,
        "outputs": [{"name": "label", "datatype": "INT64" if model.target_dtype == "int" else "BYTES", "shape": [-1]},
                    {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(model.classes)]}],
        "parameters": {"classes": list(model.classes), "fields": [f.to_dict() for f in model.features.fields],
                       "decision_rule": model.policy.rule, "temperature": model.policy.temperature},
    }


def _blank_image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (255, 255, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def warmup_columns(model: RuntimeModel) -> dict[str, list[Any]]:
    """One valid row of JSON-typed values for every field: what the server predicts before it says it is ready."""
    values = {"number": 0.0, "boolean": False, "text": "warm up", "category": None}
    columns = {}
    for field in model.features.fields:
        if field.type == "tensor":
            columns[field.name] = [np.zeros(field.shape).tolist()]
        elif field.type == "image":
            columns[field.name] = [base64.b64encode(_blank_image()).decode()]
        elif field.type == "category":
            columns[field.name] = [field.categories[0] if field.categories else None]
        else:
            columns[field.name] = [values[field.type]]
    return columns
