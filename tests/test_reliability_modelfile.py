"""Issue 15, class 7: a forged or damaged model directory or checkpoint is refused by one schema, naming the file and
the entry; optional signing under MULTICLASS_MODEL_KEY gives tamper evidence (the checksums do not)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multiclass.cli import main
from multiclass.exceptions import ModelFileError
from multiclass.modelfile import read_document
from multiclass.modelschema import KEY_VARIABLE
from multiclass.persistence import load_model
from multiclass.runtime import load_runtime
from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    GOOD,
    QUIET,
    case,
    cases_of,
    check_case,
    forge,
    image_folder,
    q,
    trained_model,
    write,
)


def _evaluate(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    return ["evaluate", str(model), str(data)]


@case("forged model.json: a training record that is not an object")
def forged_history_entry(tmp, model):
    forge(model, edit=lambda d: d["training"]["history"].__setitem__(0, "x"))
    return (_evaluate(tmp, model),
            rf"^{q(model / 'model.json')}: entry training\.history\[0\] must be an object; got 'x'\.$")


@case("forged model.json: an activation that is a list")
def forged_activation_type(tmp, model):
    forge(model, edit=lambda d: d["model_config"].update(activation=[]))
    return (_evaluate(tmp, model), rf"^{q(model / 'model.json')}: entry model_config\.activation must be text; got "
                                   r"\[\]\.$")


@case("forged model.json: a negative hidden width")
def forged_hidden_width(tmp, model):
    forge(model, edit=lambda d: d["model_config"].update(hidden=[-3]))
    return (_evaluate(tmp, model),
            rf"^{q(model / 'model.json')}: entry model_config\.hidden\[0\] must be an int >= 1; got -3\.$")


@case("forged model.json: more class names than outputs")
def forged_class_count(tmp, model):
    forge(model, edit=lambda d: d["classes"].append("w"))
    return (_evaluate(tmp, model), rf"^{q(model / 'model.json')}: entry classes names 4 classes, but "
                                   r"model_config\.n_classes is 3\.$")


@case("forged model.json: a required entry missing")
def forged_missing_entry(tmp, model):
    forge(model, edit=lambda d: d.pop("classes"))
    return _evaluate(tmp, model), rf"^{q(model / 'model.json')}: entry classes must be present; got nothing\.$"


@case("MULTICLASS_MODEL_KEY set, and the model is not signed", patch=lambda mp, tmp: mp.setenv(KEY_VARIABLE, "k"))
def unsigned_model_with_key(tmp, model):
    return (_evaluate(tmp, model), rf"^{q(model / 'model.json')}: not signed, and MULTICLASS_MODEL_KEY is set "
                                   r"\(only signed models are read\)\.$")


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False,
                     allow_infinity=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                     max_leaves=6)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):
            yield from _paths(item, (*prefix, i))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_forged_entry_is_refused_by_both_readers_or_read(trained_model, tmp_path_factory, data):
    """Replace any entry by any JSON (checksums fixed): both readers load it or raise ModelFileError; no other
    error escapes, and `evaluate` / `predict` exit 0 or 2."""
    model = tmp_path_factory.mktemp("forged") / "model"
    shutil.copytree(trained_model, model)
    document = json.loads((model / "model.json").read_text())
    where = data.draw(st.sampled_from([p for p in _paths(document) if p and p[0] not in ("checksum", "weights")]))
    value = data.draw(_JSON)

    def edit(doc):
        parent = doc
        for key in where[:-1]:
            parent = parent[key]
        parent[where[-1]] = value

    forge(model, edit=edit)
    for reader in (load_runtime, load_model):
        try:
            reader(model)
        except ModelFileError:
            pass
    csv = write(model.parent / "data.csv", GOOD)
    assert main(["evaluate", str(model), str(csv)]) in (0, 2)
    assert main(["predict", str(model), str(csv), "--out", str(model.parent / "p.csv")]) in (0, 2)


def test_image_size_must_match_the_network(tmp_path):
    folder = image_folder(tmp_path / "photos")
    model = tmp_path / "model"
    assert main(["train", str(folder), "--hidden", "none", *QUIET, "--out", str(model)]) == 0
    forge(model, edit=lambda d: d["preprocessor"]["params"].update(height=100000, width=100000))
    for reader in (read_document, load_runtime, load_model):
        with pytest.raises(ModelFileError, match=rf"^{q(model / 'model.json')}: entry preprocessor\.params: images "
                                                 r"of 100000 x 100000 x 3 give 30000000000 features, but "
                                                 r"model_config\.n_features is 48\.$"):
            reader(model)


# --- signing ---------------------------------------------------------------------------------------------------


def test_signed_models_are_read_with_their_key_only(tmp_path, monkeypatch):
    data = write(tmp_path / "data.csv", GOOD)
    model = tmp_path / "model"
    monkeypatch.setenv(KEY_VARIABLE, "secret one")
    assert main(["train", str(data), "--target", "y", "--hidden", "none", *QUIET, "--out", str(model)]) == 0
    assert len(json.loads((model / "model.json").read_text())["signature"]) == 64
    load_runtime(model)
    load_model(model)
    monkeypatch.setenv(KEY_VARIABLE, "another")
    with pytest.raises(ModelFileError, match=r"the signature does not match MULTICLASS_MODEL_KEY"):
        load_model(model)
    monkeypatch.delenv(KEY_VARIABLE)
    load_model(model)  # without a key, a signed model is read as any other


def test_a_tampered_signed_model_is_refused_though_its_checksums_are_fixed(tmp_path, monkeypatch):
    data = write(tmp_path / "data.csv", GOOD)
    model = tmp_path / "model"
    monkeypatch.setenv(KEY_VARIABLE, "secret")
    assert main(["train", str(data), "--target", "y", "--hidden", "none", *QUIET, "--out", str(model)]) == 0
    forge(model, edit=lambda d: d["classes"].reverse())  # an attacker recomputes both hashes
    for reader in (load_runtime, load_model):
        with pytest.raises(ModelFileError, match=r"the signature does not match"):
            reader(model)


# --- checkpoints ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["drop stopper.best_score", "drop best.linears.0.weight",
                                    "reshape model.linears.0.bias", "reshape rng.generator.0"])
def test_a_damaged_checkpoint_is_refused_on_resume(tmp_path, damage):
    from safetensors.numpy import load, save

    from multiclass.models import MLP, ModelConfig
    from multiclass.training import TrainConfig, train

    X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    y = np.arange(60) % 3
    config = TrainConfig(epochs=2, verbose=False, checkpoint_every=1)
    checkpoint = tmp_path / "ck.safetensors"
    train(MLP(ModelConfig(3, 3, (4,))), X, y, config, checkpoint=checkpoint)
    raw = checkpoint.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    document, arrays = json.loads(header["__metadata__"]["state"]), load(raw)
    verb, name = damage.split()
    if name.startswith("stopper."):
        document["stopper"].pop(name.split(".")[1])
    elif verb == "drop":
        arrays.pop(name)
    else:
        arrays[name] = np.zeros(7, np.float32)
    checkpoint.write_bytes(save(arrays, metadata={"state": json.dumps(document)}))
    with pytest.raises(ModelFileError, match=rf"^{q(checkpoint)}: the checkpoint is incomplete or damaged \(.+\); "
                                             r"train from scratch without --resume\.$"):
        train(MLP(ModelConfig(3, 3, (4,))), X, y, config, checkpoint=checkpoint, resume=True)


def test_docs_say_what_the_checksums_promise():
    text = (Path(__file__).resolve().parents[1] / "docs" / "security.md").read_text(encoding="utf-8")
    assert "corruption" in text and KEY_VARIABLE in text and "formula" in text and "control character" in text
