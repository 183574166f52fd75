"""The one schema of ``model.json``: the type and range of every entry, and the entries that must agree with each
other, checked when a model directory is read (`multiclass.modelfile.read_document`); and its optional signature.

The checksum in model.json and the weights' SHA-256 detect corruption (a truncated copy, a flipped bit), not
tampering: anyone who edits the file can recompute them. A forged file must therefore still be refused cleanly: every
entry is checked here for its type and range (a count is an int >= 1, a class name is text, a training record
is a table of numbers...) and for its agreement with the others (as many class names as the network has outputs, an
image size x channels equal to the network's input width), and the first problem found is one `ModelFileError`
naming the file and the entry (``model.json: entry model_config.hidden[1] must be an int >= 1; got -3.``).

Signing (`sign`, `check_signature`): when ``MULTICLASS_MODEL_KEY`` is set, a model written by this package carries a
``signature``, an HMAC-SHA256 of its model.json under that key (which covers the weights' SHA-256), and a model read
while it is set must carry a valid one. That is tamper evidence for whoever holds the key.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from multiclass.exceptions import ModelFileError

__all__ = ["KEY_VARIABLE", "check_document", "check_signature", "sign"]

KEY_VARIABLE = "MULTICLASS_MODEL_KEY"
_IMAGE_CHANNELS = {"L": 1, "RGB": 3}


class _Spec:
    """What an entry must be: ``check(value, where) -> problem or None``, and its description."""

    def __init__(self, what: str, test: Callable[[Any], bool]):
        self.what, self.test = what, test

    def problems(self, value: Any, where: str):
        if not self.test(value):
            yield where, self.what, value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return (_int(value) or isinstance(value, float)) and math.isfinite(value)


ANY = _Spec("anything", lambda v: True)
STR = _Spec("text", lambda v: isinstance(v, str))
BOOL = _Spec("true or false", lambda v: isinstance(v, bool))
INT = _Spec("an int >= 0", lambda v: _int(v) and v >= 0)
COUNT = _Spec("an int >= 1", lambda v: _int(v) and v >= 1)
NUMBER = _Spec("a finite number", _number)
DICT = _Spec("an object", lambda v: isinstance(v, dict))
SCALAR = _Spec("a number, text, true/false or null", lambda v: v is None or isinstance(v, (str, bool)) or _number(v))


class _Optional(_Spec):
    def __init__(self, spec: _Spec):
        super().__init__(f"{spec.what} or null", lambda v: True)
        self.spec = spec

    def problems(self, value, where):
        if value is not None:
            yield from self.spec.problems(value, where)


class _ListOf(_Spec):
    def __init__(self, spec: _Spec):
        super().__init__(f"a list of {spec.what}", lambda v: isinstance(v, list))
        self.spec = spec

    def problems(self, value, where):
        if not isinstance(value, list):
            yield where, self.what, value
            return
        for i, item in enumerate(value):
            yield from self.spec.problems(item, f"{where}[{i}]")


class _Object(_Spec):
    def __init__(self, fields: Mapping[str, _Spec], *, required=(), rest: _Spec | None = ANY):
        super().__init__("an object", lambda v: isinstance(v, dict))
        self.fields, self.required, self.rest = dict(fields), tuple(required), rest

    def problems(self, value, where):
        if not isinstance(value, dict):
            yield where, self.what, value
            return
        for key in self.required:
            if key not in value:
                yield f"{where}.{key}".lstrip("."), "present", "nothing"
        for key, item in value.items():
            spec = self.fields.get(key, self.rest)
            if spec is None:
                yield f"{where}.{key}".lstrip("."), "absent (an unknown entry)", item
            else:
                yield from spec.problems(item, f"{where}.{key}".lstrip("."))


def _one_of(*values) -> _Spec:
    return _Spec(" or ".join(repr(v) for v in values), lambda v: isinstance(v, str) and v in values)


def _either(*specs: _Spec) -> _Spec:
    return _Spec(" or ".join(s.what for s in specs), lambda v: any(not list(s.problems(v, "")) for s in specs))


_TENSOR = _Object({"dtype": STR, "shape": _ListOf(INT)}, required=("shape",))
SCHEMA = _Object({
    "format": STR,
    "format_version": INT,
    "package_version": _Optional(STR),
    "model_config": _Object({"n_features": COUNT, "n_classes": COUNT, "hidden": _ListOf(COUNT), "activation": STR,
                             "dropout": NUMBER}, required=("n_features", "n_classes")),
    "train_config": _Optional(DICT),  # `TrainConfig.from_dict` checks its own fields
    "classes": _ListOf(STR),
    "preprocessor": _Optional(_Object({"kind": STR, "params": DICT, "arrays": _ListOf(STR)},
                                      required=("kind", "params", "arrays"))),
    "data": _Optional(_Object({"kind": _Optional(STR), "source": _Optional(STR), "n_samples": _Optional(INT),
                               "feature_names": _Optional(_ListOf(STR)), "target_dtype": _one_of("str", "int"),
                               "image_shape": _Optional(_ListOf(COUNT)),
                               "load_options": _Object({}, rest=_Optional(_either(STR, BOOL, _ListOf(STR))))})),
    "training": _Optional(_Object({"history": _ListOf(_Object({}, rest=SCALAR)), "best_epoch": INT,
                                   "stop_reason": STR, "recipe": _Optional(DICT)})),
    "validation": _Optional(DICT),
    "decision": _Optional(DICT),
    "weights": _Object({"file": STR, "sha256": STR, "tensors": _Object({}, rest=_TENSOR)},
                       required=("sha256", "tensors")),
    "signature": STR,
}, required=("format", "format_version", "model_config", "classes", "weights"))


def check_document(document: dict, config_path: str | Path) -> None:
    """Check `document` (model.json without its checksum) against the schema and its entries against each other.

    Raises
    ------
    ModelFileError
        ``<config_path>: entry <path> must be <what>; got <value>.`` for the first entry that is not, or a
        disagreement between entries (class names and outputs, image size and input width).
    """
    for where, what, value in SCHEMA.problems(document, ""):
        shown = value if value == "nothing" else repr(value)
        raise ModelFileError(f"{config_path}: entry {where} must be {what}; got {shown:.80}.")
    config = document["model_config"]
    classes = document["classes"]
    if len(classes) != config["n_classes"]:
        raise ModelFileError(f"{config_path}: entry classes names {len(classes)} classes, but model_config.n_classes "
                             f"is {config['n_classes']}.")
    if len(set(classes)) != len(classes):
        raise ModelFileError(f"{config_path}: entry classes names a class twice.")
    pre = document.get("preprocessor") or {}
    params = pre.get("params") or {}
    if pre.get("kind") == "image" and all(_int(params.get(k)) and params[k] >= 1 for k in ("height", "width")) \
            and params.get("mode") in _IMAGE_CHANNELS:
        width = params["height"] * params["width"] * _IMAGE_CHANNELS[params["mode"]]
        if width != config["n_features"]:
            raise ModelFileError(f"{config_path}: entry preprocessor.params: images of {params['height']} x "
                                 f"{params['width']} x {_IMAGE_CHANNELS[params['mode']]} give {width} features, but "
                                 f"model_config.n_features is {config['n_features']}.")


def _key() -> bytes | None:
    key = os.environ.get(KEY_VARIABLE)
    return key.encode() if key else None


def _mac(key: bytes, canonical: bytes) -> str:
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def sign(document: dict, canonical: Callable[[dict], bytes]) -> None:
    """Add ``signature`` to `document` (before its checksum) when ``MULTICLASS_MODEL_KEY`` is set."""
    key = _key()
    document.pop("signature", None)
    if key is not None:
        document["signature"] = _mac(key, canonical(document))


def check_signature(document: dict, config_path: str | Path, canonical: Callable[[dict], bytes]) -> None:
    """With ``MULTICLASS_MODEL_KEY`` set, refuse a model.json that is unsigned or signed under another key.

    Raises
    ------
    ModelFileError
        ``<config_path>: not signed, and MULTICLASS_MODEL_KEY is set ...`` or ``... signature does not match``.
    """
    key = _key()
    if key is None:
        return
    claimed = document.get("signature")
    if claimed is None:
        raise ModelFileError(f"{config_path}: not signed, and {KEY_VARIABLE} is set (only signed models are read).")
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    if not hmac.compare_digest(str(claimed), _mac(key, canonical(unsigned))):
        raise ModelFileError(f"{config_path}: the signature does not match {KEY_VARIABLE}; the model was changed or "
                             "signed with another key.")
