"""The model directory: ``weights.safetensors`` + ``model.json``. No pickle, no code, nothing outside the folder.

``model.json`` holds the format version, the package version, the model and training configs, the class
names, the preprocessing parameters (its arrays live in the safetensors file under ``preprocessor.``), the
training history, the validation metrics, the decision policy, the SHA-256 of the weights file, and a SHA-256
of its own content so an edited file is refused. Loading checks everything before allocating anything: the JSON
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
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
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
from multiclass.decisions import DecisionPolicy
from multiclass.exceptions import ModelFileError
from multiclass.models import MLP, ModelConfig
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "open_atomic", "remove_stale_temporaries", "save_model",
           "write_bytes_atomic"]

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
        "weights": {
            "file": WEIGHTS_FILE,
            "sha256": hashlib.sha256(weights).hexdigest(),
            "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in sorted(tensors.items())},
        },
    })
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
    except RecursionError:  # thousands of nested brackets
        raise ModelFileError(f"{config_path}: not valid JSON (nested too deeply).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{config_path}: not a multiclass model file (format is not {FORMAT!r}).")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path}: format_version {version!r} is not supported by multiclass {__version__} "
            f"(it reads version {FORMAT_VERSION})."
        )
    claimed = document.pop("checksum", None)
    try:
        actual = hashlib.sha256(_canonical(document)).hexdigest()
    except ValueError:  # NaN or Infinity, which json.loads accepts and save_model never writes
        actual = None
    if actual is None or claimed != actual:
        raise ModelFileError(f"{config_path}: checksum mismatch, the file was modified after it was written.")
    _check_structure(document, config_path)
    return document


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)


def _check_structure(document: dict, config_path: Path) -> None:
    """The types of model.json's entries (behind the checksum, so only a forged file gets here wrong)."""
    optional = {"train_config": dict, "preprocessor": dict, "data": dict, "training": dict, "validation": dict,
                "decision": dict}
    problems = [key for key in ("model_config", "weights") if not isinstance(document.get(key), dict)]
    problems += [key for key, kind in optional.items() if not isinstance(document.get(key) or {}, kind)]
    if not (isinstance(document.get("classes"), list) and all(isinstance(c, str) for c in document["classes"])):
        problems.append("classes")
    training, data = document.get("training") or {}, document.get("data") or {}
    if not (isinstance(training, dict) and isinstance(training.get("history", []), list)
            and isinstance(training.get("best_epoch", 0), int) and isinstance(training.get("stop_reason", ""), str)):
        problems.append("training")
    options = data.get("load_options", {}) if isinstance(data, dict) else None
    if not (isinstance(options, dict) and all(
        v is None or isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
        for v in options.values()
    ) and data.get("target_dtype", "str") in ("str", "int")):
        problems.append("data")
    weights = document.get("weights")
    tensors = weights.get("tensors") if isinstance(weights, dict) else None
    if not (isinstance(tensors, dict) and isinstance(weights.get("sha256"), str) and all(
        isinstance(t, dict) and _is_shape(t.get("shape")) for t in tensors.values()
    )):
        problems.append("weights")
    if problems:
        raise ModelFileError(f"{config_path}: malformed model file (bad {', '.join(dict.fromkeys(problems))}).")


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
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ModelFileError(f"{weights_path}: not a safetensors file (its header is not JSON).") from None
    if not isinstance(header, dict) or not all(
        isinstance(entry, dict) and _is_shape(entry.get("shape")) and _is_shape(entry.get("data_offsets"))
        and len(entry["data_offsets"]) == 2
        for name, entry in header.items() if name != "__metadata__"
    ):
        raise ModelFileError(f"{weights_path}: not a safetensors file (its header is not a table of tensors).")
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
    try:
        return load_safetensors(payload)
    except SafetensorError as error:
        raise ModelFileError(f"{weights_path}: not a valid safetensors file ({error}).") from None


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
        training = document.get("training") or {}
        decision = document.get("decision")
        decision = DecisionPolicy.from_dict(decision).check(config.n_classes) if decision else None
        model = MLP(config)
        model.load_state_dict({k[len("model.") :]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("model.")})
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RuntimeError) as error:
        if isinstance(error, ModelFileError):
            raise
        # A forged config or preprocessor state (ConfigError and DataError are ValueErrors) is a bad model file.
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
        data_info=document.get("data") or {},
        validation=document.get("validation") or {},
        decision=decision,
        recipe=training.get("recipe"),
    )

