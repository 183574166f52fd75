"""Reading a model directory without torch: ``model.json`` checked (schema, version, checksum) and the safetensors
weights checked against it before anything is allocated. The one reader of the format.

`multiclass.persistence.load_model` builds the torch model from what this module returns, and
`multiclass.runtime` builds a numpy predictor from it; both refuse exactly the same files with the same messages.
Writing stays in `multiclass.persistence` (it needs the torch model's state).
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors

from multiclass._version import __version__
from multiclass.exceptions import ModelFileError
from multiclass.modelschema import check_document, check_signature

__all__ = ["CONFIG_FILE", "FORMAT", "FORMAT_VERSION", "WEIGHTS_FILE", "canonical_json", "check_model_directory",
           "model_shapes", "read_document", "read_weights"]

FORMAT = "multiclass-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "model.json"
# Refuse absurd files before reading them: a model.json is kilobytes to a few MB (vocabularies); a header of
# a safetensors file is a few KB. Both bounds are far above anything this package writes.
MAX_JSON_BYTES = 256 * 2**20
MAX_HEADER_BYTES = 16 * 2**20
_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def canonical_json(document: dict) -> bytes:
    """The bytes the checksum of model.json is computed over: sorted keys, no spaces, no NaN."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def check_model_directory(path: str | Path) -> None:
    """Raise ModelFileError unless `path` is a folder holding both files of a model (their content is
    `read_document`'s to check)."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: not a model directory (expected a folder with {CONFIG_FILE} and {WEIGHTS_FILE}).")
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (path / name).is_file():
            raise ModelFileError(f"{path}: the model directory is missing {name}.")


def read_document(path: str | Path) -> dict:
    """The checked content of ``path/model.json`` (without its ``checksum`` entry).

    Raises
    ------
    ModelFileError
        Not a folder, a missing file, too large, not JSON, not this format or version, edited after it was
        written (checksum), or entries of the wrong type.
    """
    path = Path(path)
    config_path = path / CONFIG_FILE
    check_model_directory(path)
    if config_path.stat().st_size > MAX_JSON_BYTES:
        raise ModelFileError(f"{config_path}: file is larger than {MAX_JSON_BYTES} bytes; not a model.json.")
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
        actual = hashlib.sha256(canonical_json(document)).hexdigest()
    except ValueError:  # NaN or Infinity, which json.loads accepts and save_model never writes
        actual = None
    if actual is None or claimed != actual:
        raise ModelFileError(f"{config_path}: checksum mismatch, the file was modified after it was written.")
    check_document(document, config_path)  # the one schema: types, ranges, entries that must agree
    check_signature(document, config_path, canonical_json)
    return document


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)


def model_shapes(model_config: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """The shape of every network tensor (``model.linears.<i>.weight`` / ``.bias``) that `model_config` implies.

    Raises
    ------
    ModelFileError
        `n_features`, `n_classes` or `hidden` are not positive integers (a forged file; the torch model
        validates the rest of the config itself).
    """
    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1

    hidden = model_config.get("hidden", ())
    if not (count(model_config.get("n_features")) and count(model_config.get("n_classes"))
            and isinstance(hidden, (list, tuple)) and all(count(h) for h in hidden)):
        raise ModelFileError(f"model.json: malformed model file (bad model_config: {dict(model_config)!r:.200}).")
    widths = (model_config["n_features"], *hidden, model_config["n_classes"])
    shapes = {}
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        shapes[f"model.linears.{i}.weight"] = (fan_out, fan_in)
        shapes[f"model.linears.{i}.bias"] = (fan_out,)
    return shapes


def read_weights(path: str | Path, document: dict, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Every tensor of ``path/weights.safetensors``, after checking the file against `document` (its SHA-256 and
    tensor table) and the network tensors against `shapes` (see `model_shapes`), before safetensors allocates.

    Raises
    ------
    ModelFileError
        Replaced or damaged file, not safetensors, names or shapes that do not match, inconsistent offsets.
    """
    weights_path = Path(path) / WEIGHTS_FILE
    payload = weights_path.read_bytes()
    declared = document["weights"]
    if hashlib.sha256(payload).hexdigest() != declared.get("sha256"):
        raise ModelFileError(f"{weights_path}: SHA-256 does not match model.json; the weights were replaced or damaged.")
    if len(payload) < 8:
        raise ModelFileError(f"{weights_path}: not a safetensors file (shorter than its 8-byte header length).")
    (header_len,) = struct.unpack("<Q", payload[:8])
    if header_len > min(MAX_HEADER_BYTES, len(payload) - 8):
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
    if set(header) != set(tensors) or not set(shapes) <= set(header):
        raise ModelFileError(f"{weights_path}: tensor names do not match model.json and the model config.")
    body = len(payload) - 8 - header_len
    for name, entry in header.items():
        dtype = _DTYPES.get(entry.get("dtype"))
        shape = tuple(entry.get("shape", ()))
        begin, end = entry.get("data_offsets", (0, -1))
        expected = shapes.get(name, tuple(tensors[name]["shape"]))
        if dtype is None or shape != expected or tuple(tensors[name]["shape"]) != shape:
            raise ModelFileError(f"{weights_path}: tensor {name!r} has shape {shape}, the model needs {expected}.")
        if not 0 <= begin <= end <= body or end - begin != math.prod(shape) * np.dtype(dtype).itemsize:
            raise ModelFileError(f"{weights_path}: tensor {name!r} has inconsistent data offsets.")
    try:
        return load_safetensors(payload)
    except SafetensorError as error:
        raise ModelFileError(f"{weights_path}: not a valid safetensors file ({error}).") from None
