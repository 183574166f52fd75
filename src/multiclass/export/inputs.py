"""Raw input columns -> the inputs of the exported ONNX graph (`multiclass.export.onnx`), with the runtime's
meaning of every value (`multiclass.runtime.values`): what a caller of the graph must do outside ONNX.

Numbers and booleans become float64 (N, 1) with NaN where missing; categories strings (N, 1) with "" where missing
(so a category spelled "" is read as missing by the graph); texts their tokens (lowercased as the model was
trained, NFC, ``\\w+`` runs) as strings (N, T) padded with ""; images their decoded uint8 pixels (N, H, W, C) in
the saved size and mode; tensors float32 (``scale``) or float64 (``standardize``) (N, D).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from multiclass.runtime import RuntimeModel
from multiclass.runtime.features.arrays import numeric_rows
from multiclass.runtime.features.text import tokens
from multiclass.runtime.values import bool_column, category_column, numeric_column

__all__ = ["onnx_inputs"]


def onnx_inputs(model: RuntimeModel, columns: dict[str, Any], *, strict: bool = False,
                allow_extra: bool = True) -> dict[str, np.ndarray]:
    """The feed of the model's ONNX graph for raw `columns` (field name -> N values).

    Raises
    ------
    multiclass.runtime.InputError
        As `RuntimeModel.features_of` for the same columns.
    """
    features = model.features
    if features.kind == "table":
        values, _ = features.columns(columns, allow_extra=allow_extra)
        feed = {}
        for spec, column in zip(features.specs, values):
            name = spec["name"]
            if spec["type"] == "categorical":
                cells = ["" if v is None else v for v in category_column(column, name, strict=strict)]
                feed[name] = np.array(cells, dtype=object).reshape(-1, 1)
            else:
                parse = numeric_column if spec["type"] == "numeric" else bool_column
                feed[name] = parse(column, name, strict=strict).reshape(-1, 1)
        return feed
    if features.kind == "tfidf":
        texts = features.texts(columns, strict=strict, allow_extra=allow_extra)
        words = [tokens(text, features.lowercase) for text in texts]
        width = max(1, max((len(w) for w in words), default=1))
        return {features.fields[0].name: np.array([w + [""] * (width - len(w)) for w in words], dtype=object)}
    (column,), n = features.columns(columns, allow_extra=allow_extra)
    if features.kind == "image":
        return {"image": np.stack([features.pixels(source, i + 1, strict=strict) for i, source in enumerate(column)])}
    matrix = numeric_rows(column, features.n_features, strict=strict)
    return {"input": matrix.astype(np.float32 if features.kind == "scale" else np.float64)}
