"""`load_runtime`: a model directory -> a `RuntimeModel` that predicts on numpy alone (no torch, pandas, sklearn,
scipy): the checked model file (`multiclass.modelfile`), the feature map of its preprocessor, the network, the
temperature and the decision policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError
from multiclass.modelfile import CONFIG_FILE, canonical_json, model_shapes, read_document, read_weights
from multiclass.runtime.features import FeatureMap, build_features
from multiclass.runtime.network import ACTIVATIONS, Network
from multiclass.runtime.policy import Policy
from multiclass.runtime.values import InputError

__all__ = ["Prediction", "RuntimeModel", "load_runtime", "read_network"]


@dataclass(frozen=True)
class Prediction:
    """What a model says about N rows.

    Attributes
    ----------
    log_probs : ndarray (N, K) float64
        The network's own log-probabilities (uncalibrated), the input of the decision rule.
    probs : ndarray (N, K) float64
        Calibrated probabilities (the saved temperature applied).
    codes : ndarray (N,) int64
        The decided class codes under the saved policy.
    """

    log_probs: np.ndarray
    probs: np.ndarray
    codes: np.ndarray

    def top_k(self, k: int) -> np.ndarray:
        """(N, k) class codes by decreasing probability (ties: the lower code first)."""
        return np.argsort(-self.probs, axis=1, kind="stable")[:, :k]


@dataclass(frozen=True)
class RuntimeModel:
    """A loaded model: features -> network -> policy. Immutable, so a server can swap it atomically.

    Attributes
    ----------
    path : Path
    classes : tuple of str
    features : FeatureMap
        ``features.fields`` is the input schema.
    network : Network
    policy : Policy
    document : dict
        The checked model.json (``data``, ``validation``, ``training``...).
    preprocessor_arrays : dict of str to ndarray
        The preprocessor's saved arrays (to rebuild the `multiclass.data` preprocessor for large inputs).
    version : str
        The first 12 hex digits of model.json's checksum (which covers the weights' SHA-256): changes whenever
        the model does.
    """

    path: Path
    classes: tuple[str, ...]
    features: FeatureMap
    network: Network
    policy: Policy
    document: dict = field(repr=False)
    preprocessor_arrays: dict = field(repr=False)
    version: str

    @property
    def target_dtype(self) -> str:
        return (self.document.get("data") or {}).get("target_dtype", "str")

    def features_of(self, columns: Mapping[str, Sequence[Any]], *, strict: bool = False,
                    allow_extra: bool = True) -> np.ndarray:
        """Float32 features (N, n_features) of raw input columns (field name -> N values)."""
        X = self.features.transform(columns, strict=strict, allow_extra=allow_extra)
        if len(X) == 0:
            raise InputError("the input has no rows.")
        return X

    def predict_features(self, X: np.ndarray) -> Prediction:
        """The `Prediction` of ready float32 features X (N, n_features)."""
        log_probs = self.network.log_proba(np.asarray(X, dtype=np.float32))  # (N, K)
        calibrated = self.policy.calibrated(log_probs)
        return Prediction(log_probs, np.exp(calibrated), self.policy.decide(log_probs, calibrated))

    def predict(self, columns: Mapping[str, Sequence[Any]], *, strict: bool = False,
                allow_extra: bool = True) -> Prediction:
        """The `Prediction` of raw input columns (see `features_of`)."""
        return self.predict_features(self.features_of(columns, strict=strict, allow_extra=allow_extra))

    def labels(self, codes: np.ndarray) -> np.ndarray:
        """Class labels of codes: int64 when the training labels were integers, else str objects."""
        if self.target_dtype == "int":
            return np.array([int(c) for c in self.classes], dtype=np.int64)[codes]
        return np.array(self.classes, dtype=object)[codes]


def read_network(path: Path, document: dict) -> tuple[Network, dict]:
    """The numpy network of a model directory whose checked model.json is `document`, and every saved array.

    Raises
    ------
    ModelFileError
        An unknown activation, as many class names as outputs not, arrays of the wrong shapes.
    """
    config = document["model_config"]
    shapes = model_shapes(config)
    if config.get("activation", "relu") not in ACTIVATIONS:
        raise ModelFileError(f"{path / CONFIG_FILE}: malformed model file (unknown activation "
                             f"{config.get('activation')!r:.50}).")
    if len(document["classes"]) != config["n_classes"]:
        raise ModelFileError(f"{path / CONFIG_FILE}: {len(document['classes'])} class names for "
                             f"{config['n_classes']} outputs.")
    arrays = read_weights(path, document, shapes)
    n_layers = len(shapes) // 2
    network = Network([arrays[f"model.linears.{i}.weight"] for i in range(n_layers)],
                      [arrays[f"model.linears.{i}.bias"] for i in range(n_layers)], config.get("activation", "relu"))
    return network, arrays


def load_runtime(path: str | Path) -> RuntimeModel:
    """Read and check a model directory (the checks of `multiclass.persistence.load_model`) for numpy inference.

    Raises
    ------
    ModelFileError
        Missing or damaged files, a forged config, an unknown activation or preprocessor.
    """
    path = Path(path)
    document = read_document(path)
    classes = tuple(document["classes"])
    network, arrays = read_network(path, document)
    features = build_features(document, arrays)
    policy = Policy.from_document(document.get("decision"), len(classes))
    version = hashlib.sha256(canonical_json(document)).hexdigest()[:12]  # = model.json's checked checksum
    pre = document.get("preprocessor") or {}
    own = {name: arrays[f"preprocessor.{name}"] for name in pre.get("arrays", [])}  # checked by build_features
    return RuntimeModel(path, classes, features, network, policy, document, own, version)
