"""Fuzzing the model loader: a damaged, forged or foreign model directory gives `ModelFileError`, nothing else.

Three kinds of damage: arbitrary bytes in place of either file; a valid file with bytes flipped, cut or appended
(caught by the checksums); and a *forged* model.json, whose values are replaced by arbitrary JSON and whose
checksums are then recomputed, as a deliberate attacker would do, so the structural checks behind the hashes are
fuzzed too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multiclass.data.preprocessing import StandardizePreprocessor
from multiclass.exceptions import ModelFileError, MulticlassError
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import CONFIG_FILE, WEIGHTS_FILE, _canonical, load_model, save_model
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def model_dir():
    """One small saved model (4 features, hidden 3, 3 classes, standardized inputs) and a scratch folder."""
    X = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)
    model = build_model(ModelConfig(4, 3, (3,)))
    trained = TrainedModel(model=model, classes=("a", "b", "c"), preprocessor=StandardizePreprocessor().fit(X),
                           train_config=TrainConfig(epochs=1, verbose=False), data_info={"kind": "npz"})
    with tempfile.TemporaryDirectory(prefix="fuzz-model-") as folder:
        original = save_model(trained, Path(folder) / "original")
        yield original, Path(folder) / "damaged"


def _copy(original: Path, damaged: Path) -> Path:
    shutil.rmtree(damaged, ignore_errors=True)
    shutil.copytree(original, damaged)
    return damaged


def _load_or_refuse(path: Path) -> None:
    try:
        trained = load_model(path)
    except ModelFileError:
        return
    except MulticlassError as error:  # any other of the package's errors would still be one line, but say so
        pytest.fail(f"load_model raised {type(error).__name__}, not ModelFileError: {error}")
    assert isinstance(trained, TrainedModel)


@FUZZ
@given(name=st.sampled_from([CONFIG_FILE, WEIGHTS_FILE]), payload=st.binary(max_size=400))
def test_arbitrary_bytes_in_either_file(model_dir, name, payload):
    damaged = _copy(*model_dir)
    (damaged / name).write_bytes(payload)
    _load_or_refuse(damaged)


@FUZZ
@given(name=st.sampled_from([CONFIG_FILE, WEIGHTS_FILE]), data=st.data())
def test_mutated_valid_files(model_dir, name, data):
    damaged = _copy(*model_dir)
    payload = bytearray((damaged / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(payload)))
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip" and at < len(payload):
            payload[at] ^= data.draw(st.integers(1, 255))
        elif how == "cut":
            del payload[at:]
        else:
            payload[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    (damaged / name).write_bytes(bytes(payload))
    _load_or_refuse(damaged)


def _paths(value, prefix=()):
    """Every (key path) inside a JSON document, so one can be replaced."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _forge(path: Path, document: dict) -> None:
    """Write `document` with its own checksum recomputed (the weights hash is left as the document says)."""
    document.pop("checksum", None)
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    (path / CONFIG_FILE).write_text(json.dumps(document))


@FUZZ
@given(data=st.data())
def test_forged_model_json(model_dir, data):
    """Replace 1-3 values anywhere in model.json by arbitrary JSON and re-sign it."""
    damaged = _copy(*model_dir)
    document = json.loads((damaged / CONFIG_FILE).read_text())
    document.pop("checksum")
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(document) if p]
        where = data.draw(st.sampled_from(paths))
        parent = document
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = data.draw(JSON_VALUES)
    try:
        _forge(damaged, document)
    except ValueError:  # a float the canonical JSON refuses; not a model file anyone could have written
        return
    _load_or_refuse(damaged)


@FUZZ
@given(data=st.data())
def test_forged_weights(model_dir, data):
    """Arbitrary bytes as weights with both hashes fixed: the safetensors header checks must catch it."""
    damaged = _copy(*model_dir)
    original = (damaged / WEIGHTS_FILE).read_bytes()
    header_len = int.from_bytes(original[:8], "little")
    header = json.loads(original[8 : 8 + header_len])
    if data.draw(st.booleans()):  # a plausible header with a damaged entry
        name = data.draw(st.sampled_from(sorted(header)))
        header[name] = data.draw(JSON_VALUES)
        text = json.dumps(header).encode()
        payload = len(text).to_bytes(8, "little") + text + original[8 + header_len :]
    else:
        payload = data.draw(st.binary(max_size=300))
    (damaged / WEIGHTS_FILE).write_bytes(payload)
    document = json.loads((damaged / CONFIG_FILE).read_text())
    document["weights"]["sha256"] = hashlib.sha256(payload).hexdigest()
    _forge(damaged, document)
    _load_or_refuse(damaged)
