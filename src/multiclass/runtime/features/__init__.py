"""Feature maps: a saved preprocessor state -> a function from input columns to float32 features, on numpy alone.

Each kind of `multiclass.data` preprocessor has its map here, built from the same ``(params, arrays)`` the model
directory stores and giving byte-identical features (tested against the preprocessors themselves):

- ``table`` (`TableFeatures`): imputation, standardization, booleans, one-hot with ``<missing>``/``<unknown>``;
- ``tfidf`` (`TfidfFeatures`): the same tokens, n-grams, idf and L2 norm;
- ``image`` (`ImageFeatures`): encoded image bytes -> the saved size and mode -> pixels / 255 (Pillow);
- ``scale`` / ``standardize`` (`ScaleFeatures`, `StandardizeFeatures`): a numeric tensor per row.

A map has ``fields`` (the input schema, `multiclass.runtime.schema.Field`), ``n_features`` and
``transform(columns, *, strict=False) -> (N, n_features) float32`` where ``columns`` maps each field name to N
values. `build_features` picks the map of a model document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError
from multiclass.runtime.features.arrays import ScaleFeatures, StandardizeFeatures
from multiclass.runtime.features.base import FeatureMap
from multiclass.runtime.features.table import TableFeatures
from multiclass.runtime.features.text import TfidfFeatures

__all__ = ["FeatureMap", "ImageFeatures", "ScaleFeatures", "StandardizeFeatures", "TableFeatures", "TfidfFeatures",
           "build_features"]


def __getattr__(name: str) -> Any:
    if name == "ImageFeatures":  # Pillow is imported only for image models
        from multiclass.runtime.features.image import ImageFeatures

        return ImageFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_features(document: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> FeatureMap:
    """The feature map of a checked model document and its weight file's arrays.

    A model without a preprocessor (trained on ready features) takes one tensor field of ``n_features`` numbers.

    Raises
    ------
    ModelFileError
        An unknown preprocessor kind, or a state that does not describe a fitted preprocessor.
    """
    pre = document.get("preprocessor")
    data = document.get("data") or {}
    n_features = document["model_config"]["n_features"]
    if not pre:
        return ScaleFeatures({"divisor": 1.0, "n_features": n_features, "image_shape": None}, {}, data)
    if not (isinstance(pre.get("params"), dict) and isinstance(pre.get("arrays"), list)):
        raise ModelFileError("model.json: malformed model file (bad preprocessor).")
    try:
        own = {name: arrays[f"preprocessor.{name}"] for name in pre["arrays"]}
    except (KeyError, TypeError):
        raise ModelFileError("model.json: malformed model file (preprocessor arrays missing from the weights).") from None
    kinds = {"table": TableFeatures, "tfidf": TfidfFeatures, "scale": ScaleFeatures,
             "standardize": StandardizeFeatures}
    if pre.get("kind") == "image":
        from multiclass.runtime.features.image import ImageFeatures

        kinds["image"] = ImageFeatures
    if pre.get("kind") not in kinds:
        raise ModelFileError(f"unknown preprocessor kind {pre.get('kind')!r}; known kinds: "
                             f"{', '.join(sorted({*kinds, 'image'}))}.")
    features = kinds[pre["kind"]](pre["params"], own, data)
    if features.n_features != n_features:
        raise ModelFileError(f"model.json: the preprocessor gives {features.n_features} features; the network takes "
                             f"{n_features}.")
    return features
