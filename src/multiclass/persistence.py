"""The model directory: ``weights.safetensors`` + ``model.json``. No pickle, no code, nothing outside the folder.

``model.json`` holds the format version, the package version, the model and training configs, the class
names, the preprocessing parameters (its arrays live in the safetensors file under ``preprocessor.``), the
training history, the validation metrics, the decision policy, the SHA-256 of the weights file, and a SHA-256
of its own content so an edited file is refused. Loading checks everything before allocating anything: the JSON
schema, that the declared tensor shapes follow from the model config, and the safetensors header against both
(`multiclass.modelfile`, the torch-free reader shared with `multiclass.runtime`).
Saving writes a sibling temporary folder and renames it into place, so a crash never leaves a half-written
model and the previous model stays intact until the new one is complete.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save as save_safetensors

from multiclass._version import __version__
from multiclass.atomic import (  # re-exported: the atomic writes were born here
    cannot_write,
    fsync_dir,
    fsync_write,
    open_atomic,
    output_mode,
    remove_stale_temporaries,
    write_bytes_atomic,
)
from multiclass.conformal.stored import critical_entries, read_critical_entries
from multiclass.decisions import DecisionPolicy
from multiclass.exceptions import ConfigError, ModelFileError
from multiclass.modelfile import CONFIG_FILE, FORMAT, FORMAT_VERSION, WEIGHTS_FILE, model_shapes, read_document
from multiclass.modelfile import canonical_json as _canonical
from multiclass.modelschema import sign
from multiclass.modelfile import read_weights
from multiclass.runtime.model import read_network
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "open_atomic", "remove_stale_temporaries", "save_model",
           "write_bytes_atomic"]


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, tuples to lists, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _tensors(trained: TrainedModel) -> tuple[dict[str, np.ndarray], dict | None]:
    if trained.on_numpy:
        raise ConfigError("a model read with `network='numpy'` cannot be saved: read it with the torch network "
                          "(the default) to save it.")
    tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in trained.model.state_dict().items()}
    pre = None
    if trained.preprocessor is not None:
        params, arrays = trained.preprocessor.state()
        for name, array in arrays.items():
            tensors[f"preprocessor.{name}"] = np.ascontiguousarray(array)
        pre = {"kind": trained.preprocessor.kind, "params": params, "arrays": sorted(arrays)}
    return tensors, pre


def save_model(trained: TrainedModel, path: str | Path) -> Path:
    """Write `trained` as a model directory at `path`, atomically replacing an earlier model there.

    Raises
    ------
    ModelFileError
        If `path` exists and is not a model directory (it is never overwritten), or its parent is missing.
    OSError
        Writing failed (read-only folder, disk full...): ``filename`` is `path`, no temporary folder is left and
        a previous model at `path` is intact.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ModelFileError(f"{path}: the parent directory {path.parent} does not exist.")
    if path.exists() and not (path.is_dir() and (path / CONFIG_FILE).is_file()):
        if not (path.is_dir() and not any(path.iterdir())):
            raise ModelFileError(f"{path}: refusing to replace it, it is not a multiclass model directory.")
    tensors, pre = _tensors(trained)
    weights = save_safetensors(tensors)
    document = _jsonable({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "model_config": trained.model.config.to_dict(),
        "train_config": trained.train_config.to_dict() if trained.train_config else None,
        "classes": list(trained.classes),
        "preprocessor": pre,
        "data": trained.data_info,
        "training": {"history": trained.history, "best_epoch": trained.best_epoch, "stop_reason": trained.stop_reason,
                     "recipe": trained.recipe},
        "validation": trained.validation,
        "decision": trained.decision.to_dict() if trained.decision is not None else None,
        **critical_entries(trained),
        "weights": {
            "file": WEIGHTS_FILE,
            "sha256": hashlib.sha256(weights).hexdigest(),
            "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in sorted(tensors.items())},
        },
    })
    sign(document, _canonical)  # when MULTICLASS_MODEL_KEY is set (multiclass.modelschema)
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        os.chmod(staging, output_mode(folder=True))  # mkdtemp's 0700 would become the model directory's mode
    except OSError as error:
        raise cannot_write(path, error) from error
    old = None
    try:
        fsync_write(staging / WEIGHTS_FILE, weights)
        fsync_write(staging / CONFIG_FILE, json.dumps(document, indent=1, allow_nan=False).encode())
        if path.exists():
            # Two renames, so the previous model is only moved aside once the new one is complete, and is moved
            # back if the second rename fails.
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / "model")
            try:
                os.replace(staging, path)
            except BaseException:
                os.replace(old / "model", path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None and not (old / "model").exists():
            shutil.rmtree(old, ignore_errors=True)
        if isinstance(error, OSError):
            raise cannot_write(path, error) from error
        raise
    fsync_dir(path.parent)
    return path


def load_model(path: str | Path, *, network: str = "torch") -> TrainedModel:
    """Read a model directory written by `save_model`, validating it completely.

    Parameters
    ----------
    path : str or Path
    network : {"torch", "numpy"}, default="torch"
        "numpy": the network is `multiclass.runtime.network.Network` (what ``multiclass predict`` runs): the model
        predicts and is evaluated without importing torch -- ``multiclass evaluate`` starts in half the time --
        but cannot be trained further or saved.

    Raises
    ------
    ModelFileError
        Missing file, unknown format version, edited JSON, wrong tensor shapes, not safetensors, bad
        preprocessing state.
    """
    from multiclass.data import preprocessor_from_state  # the data package is heavy; import when needed

    if network not in ("torch", "numpy"):
        raise ValueError(f"`network` must be 'torch' or 'numpy'; got {network!r}.")
    path = Path(path)
    document = read_document(path)
    try:
        train_config = TrainConfig(**document["train_config"]) if document.get("train_config") else None
        classes = tuple(str(c) for c in document["classes"])
        if network == "numpy":
            model, arrays = read_network(path, document)
        else:
            model, arrays = _torch_network(path, document, classes)
        preprocessor = None
        if document.get("preprocessor"):
            pre = document["preprocessor"]
            names = {name: arrays[f"preprocessor.{name}"] for name in pre["arrays"]}
            preprocessor = preprocessor_from_state(pre["kind"], pre["params"], names)
        training = document.get("training") or {}
        decision = document.get("decision")
        decision = DecisionPolicy.from_dict(decision).check(len(classes)) if decision else None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RuntimeError) as error:
        if isinstance(error, ModelFileError):
            raise
        # A forged config or preprocessor state (ConfigError and DataError are ValueErrors) is a bad model file.
        raise ModelFileError(f"{path / CONFIG_FILE}: malformed model file ({type(error).__name__}: {error}).") from None
    return TrainedModel(
        model=model,
        classes=classes,
        preprocessor=preprocessor,
        train_config=train_config,
        history=training.get("history", []),
        best_epoch=training.get("best_epoch", 0),
        stop_reason=training.get("stop_reason", ""),
        data_info=document.get("data") or {},
        validation=document.get("validation") or {},
        decision=decision,
        recipe=training.get("recipe"),
        **read_critical_entries(document, classes),
    )


def _torch_network(path: Path, document: dict, classes: tuple[str, ...]):
    """The `MLP` of a model directory (in eval mode) and every saved array."""
    import torch

    from multiclass.models import MLP, ModelConfig

    config = ModelConfig(**document["model_config"])
    if len(classes) != config.n_classes:
        raise ModelFileError(f"{path / CONFIG_FILE}: {len(classes)} class names for {config.n_classes} outputs.")
    arrays = read_weights(path, document, model_shapes(config.to_dict()))
    model = MLP(config)
    model.load_state_dict({k[len("model."):]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("model.")})
    model.eval()
    return model, arrays
