"""The model directory: ``weights.safetensors`` + ``model.json``. No pickle, no code, nothing outside the folder.

``model.json`` holds the format version, the package version, the model and training configs, the class
names, the preprocessing parameters (its arrays live in the safetensors file under ``preprocessor.``), the
training history and the validation metrics, the SHA-256 of the weights file, and a SHA-256 of its own
content so an edited file is refused. Loading checks everything before allocating anything: the JSON
schema, that the declared tensor shapes follow from the model config, and the safetensors header against both.
Saving writes a sibling temporary folder and renames it into place, so a crash never leaves a half-written
model and the previous model stays intact until the new one is complete.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from multiclass import __version__
from multiclass.exceptions import ConfigError, ModelFileError
from multiclass.models import MLP, ModelConfig
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load_model", "write_bytes_atomic"]

FORMAT = "multiclass-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "model.json"
# Refuse absurd files before reading them: a model.json is kilobytes to a few MB (vocabularies); a header of
# a safetensors file is a few KB. Both bounds are far above anything this package writes.
_MAX_JSON_BYTES = 256 * 2**20
_MAX_HEADER_BYTES = 16 * 2**20
_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


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


def _canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def _fsync_write(path: Path, payload: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def write_bytes_atomic(path: str | Path, payload: bytes) -> None:
    """Write `payload` to a temporary file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _fsync_write(Path(tmp), payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _tensors(trained: TrainedModel) -> tuple[dict[str, np.ndarray], dict | None]:
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
        "training": {"history": trained.history, "best_epoch": trained.best_epoch, "stop_reason": trained.stop_reason},
        "validation": trained.validation,
        "weights": {
            "file": WEIGHTS_FILE,
            "sha256": hashlib.sha256(weights).hexdigest(),
            "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in sorted(tensors.items())},
        },
    })
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        _fsync_write(staging / WEIGHTS_FILE, weights)
        _fsync_write(staging / CONFIG_FILE, json.dumps(document, indent=1, allow_nan=False).encode())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / "model")
            os.replace(staging, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def _read_document(path: Path) -> dict:
    config_path = path / CONFIG_FILE
    if not path.is_dir():
        raise ModelFileError(f"{path}: not a model directory (expected a folder with {CONFIG_FILE} and {WEIGHTS_FILE}).")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise ModelFileError(f"{path}: the model directory is missing {name}.")
    if config_path.stat().st_size > _MAX_JSON_BYTES:
        raise ModelFileError(f"{config_path}: file is larger than {_MAX_JSON_BYTES} bytes; not a model.json.")
    try:
        document = json.loads(config_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{config_path}: not valid JSON ({error}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{config_path}: not a multiclass model file (format is not {FORMAT!r}).")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path}: format_version {version!r} is not supported by multiclass {__version__} "
            f"(it reads version {FORMAT_VERSION})."
        )
    claimed = document.pop("checksum", None)
    if claimed != hashlib.sha256(_canonical(document)).hexdigest():
        raise ModelFileError(f"{config_path}: checksum mismatch, the file was modified after it was written.")
    return document


def _expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    widths = (config.n_features, *config.hidden, config.n_classes)
    shapes = {}
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        shapes[f"model.linears.{i}.weight"] = (fan_out, fan_in)
        shapes[f"model.linears.{i}.bias"] = (fan_out,)
    return shapes


def _read_weights(path: Path, document: dict, model_shapes: dict) -> dict[str, np.ndarray]:
    """Validate the safetensors header against model.json before letting safetensors allocate anything."""
    weights_path = path / WEIGHTS_FILE
    payload = weights_path.read_bytes()
    declared = document["weights"]
    if hashlib.sha256(payload).hexdigest() != declared.get("sha256"):
        raise ModelFileError(f"{weights_path}: SHA-256 does not match model.json; the weights were replaced or damaged.")
    if len(payload) < 8:
        raise ModelFileError(f"{weights_path}: not a safetensors file (shorter than its 8-byte header length).")
    (header_len,) = struct.unpack("<Q", payload[:8])
    if header_len > min(_MAX_HEADER_BYTES, len(payload) - 8):
        raise ModelFileError(f"{weights_path}: not a safetensors file (header length {header_len} is impossible).")
    try:
        header = json.loads(payload[8 : 8 + header_len])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{weights_path}: not a safetensors file (its header is not JSON).") from None
    header.pop("__metadata__", None)
    tensors = declared.get("tensors", {})
    if set(header) != set(tensors) or not set(model_shapes) <= set(header):
        raise ModelFileError(f"{weights_path}: tensor names do not match model.json and the model config.")
    body = len(payload) - 8 - header_len
    for name, entry in header.items():
        dtype = _DTYPES.get(entry.get("dtype"))
        shape = tuple(entry.get("shape", ()))
        begin, end = entry.get("data_offsets", (0, -1))
        expected = model_shapes.get(name, tuple(tensors[name]["shape"]))
        if dtype is None or shape != expected or tuple(tensors[name]["shape"]) != shape:
            raise ModelFileError(f"{weights_path}: tensor {name!r} has shape {shape}, the model needs {expected}.")
        if not 0 <= begin <= end <= body or end - begin != math.prod(shape) * np.dtype(dtype).itemsize:
            raise ModelFileError(f"{weights_path}: tensor {name!r} has inconsistent data offsets.")
    return load_safetensors(payload)


def load_model(path: str | Path) -> TrainedModel:
    """Read a model directory written by `save_model`, validating it completely.

    Raises
    ------
    ModelFileError
        Missing file, unknown format version, edited JSON, wrong tensor shapes, not safetensors, bad
        preprocessing state.
    """
    from multiclass.data import preprocessor_from_state  # the data package is heavy; import when needed

    path = Path(path)
    document = _read_document(path)
    try:
        config = ModelConfig(**document["model_config"])
        train_config = TrainConfig(**document["train_config"]) if document.get("train_config") else None
        classes = tuple(str(c) for c in document["classes"])
        if len(classes) != config.n_classes:
            raise ModelFileError(f"{path / CONFIG_FILE}: {len(classes)} class names for {config.n_classes} outputs.")
        arrays = _read_weights(path, document, _expected_shapes(config))
        preprocessor = None
        if document.get("preprocessor"):
            pre = document["preprocessor"]
            names = {name: arrays[f"preprocessor.{name}"] for name in pre["arrays"]}
            preprocessor = preprocessor_from_state(pre["kind"], pre["params"], names)
        training = document.get("training", {})
        model = MLP(config)
        model.load_state_dict({k[len("model.") :]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("model.")})
    except (KeyError, TypeError, ConfigError, ValueError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(f"{path / CONFIG_FILE}: malformed model file ({type(error).__name__}: {error}).") from None
    model.eval()
    return TrainedModel(
        model=model,
        classes=classes,
        preprocessor=preprocessor,
        train_config=train_config,
        history=training.get("history", []),
        best_epoch=training.get("best_epoch", 0),
        stop_reason=training.get("stop_reason", ""),
        data_info=document.get("data", {}),
        validation=document.get("validation", {}),
    )

