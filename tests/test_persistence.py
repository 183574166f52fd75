"""The model directory: exact round trip, atomic replacement, and refusal of damaged or foreign files."""

import hashlib
import json
import pickle
import struct

import numpy as np
import pytest
from safetensors.numpy import save, save_file

from multiclass.data.preprocessing import StandardizePreprocessor
from multiclass.exceptions import ModelFileError
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import _canonical, load_model, save_model
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig, train


@pytest.fixture(scope="module")
def trained(blobs):
    X, y = blobs
    pre = StandardizePreprocessor().fit(X)
    model = build_model(ModelConfig(4, 3, (8,)))
    config = TrainConfig(epochs=3, verbose=False)
    result = train(model, pre.transform(X), y, config)
    return TrainedModel(
        model=model, classes=("a", "b", "c"), preprocessor=pre, train_config=config, history=result.history,
        best_epoch=result.best_epoch, stop_reason=result.stop_reason, data_info={"kind": "npz"},
        validation={"accuracy": 1.0},
    )


def test_round_trip_gives_byte_identical_probabilities(trained, blobs, tmp_path):
    X, _ = blobs
    save_model(trained, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    before = trained.predict_proba(trained.preprocessor.transform(X))
    after = loaded.predict_proba(loaded.preprocessor.transform(X))
    assert before.tobytes() == after.tobytes()
    assert loaded.classes == trained.classes and loaded.train_config == trained.train_config
    assert loaded.history == json.loads(json.dumps(trained.history)) and loaded.best_epoch == trained.best_epoch
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.json", "weights.safetensors"]


def test_saving_again_replaces_the_model_and_leaves_no_temporary_files(trained, tmp_path):
    save_model(trained, tmp_path / "m")
    save_model(trained, tmp_path / "m")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_refuses_to_replace_something_that_is_not_a_model(trained, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("precious")
    with pytest.raises(ModelFileError, match=r"refusing to replace it, it is not a multiclass model directory"):
        save_model(trained, tmp_path / "notes")
    assert (tmp_path / "notes" / "thesis.txt").read_text() == "precious"
    with pytest.raises(ModelFileError, match=r"the parent directory .*missing.* does not exist"):
        save_model(trained, tmp_path / "missing" / "m")


@pytest.fixture
def saved(trained, tmp_path):
    return save_model(trained, tmp_path / "m")


def _edit_json(path, edit):
    document = json.loads((path / "model.json").read_text())
    edit(document)
    (path / "model.json").write_text(json.dumps(document))


def test_missing_file(saved):
    (saved / "weights.safetensors").unlink()
    with pytest.raises(ModelFileError, match=r"the model directory is missing weights.safetensors"):
        load_model(saved)


def test_not_a_directory(tmp_path):
    with pytest.raises(ModelFileError, match=r"not a model directory"):
        load_model(tmp_path / "nothing")


def test_wrong_format_version(saved):
    _edit_json(saved, lambda d: d.update(format_version=99))
    with pytest.raises(ModelFileError, match=r"format_version 99 is not supported by multiclass"):
        load_model(saved)


def test_tampered_json_is_refused(saved):
    _edit_json(saved, lambda d: d["classes"].__setitem__(0, "evil"))
    with pytest.raises(ModelFileError, match=r"checksum mismatch, the file was modified after it was written"):
        load_model(saved)


def test_invalid_json(saved):
    (saved / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match=r"model.json: not valid JSON"):
        load_model(saved)


def test_weights_replaced_by_other_weights(saved):
    save_file({"model.linears.0.weight": np.zeros((8, 4), np.float32)}, saved / "weights.safetensors")
    with pytest.raises(ModelFileError, match=r"SHA-256 does not match model.json"):
        load_model(saved)


def test_pickle_offered_as_weights_is_never_unpickled(saved, tmp_path):
    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    (saved / "weights.safetensors").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError):
        load_model(saved)
    assert not (tmp_path / "pwned").exists()


def _forge(path, payload: bytes, tensors: dict | None = None):
    """Replace the weights and fix every hash, as a deliberate attacker would: the structural checks must
    still catch what is wrong."""
    (path / "weights.safetensors").write_bytes(payload)
    document = json.loads((path / "model.json").read_text())
    document.pop("checksum")
    document["weights"]["sha256"] = hashlib.sha256(payload).hexdigest()
    if tensors is not None:
        document["weights"]["tensors"] = {k: {"dtype": "float32", "shape": list(v.shape)} for k, v in tensors.items()}
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    (path / "model.json").write_text(json.dumps(document))


def test_weights_of_the_wrong_shape(saved, trained):
    weights = {f"model.{k}": v.numpy() for k, v in trained.model.state_dict().items()}
    weights["model.linears.0.weight"] = np.zeros((9, 4), np.float32)
    _forge(saved, save(weights), weights)
    with pytest.raises(ModelFileError, match=r"tensor 'model.linears.0.weight' has shape \(9, 4\), the model needs \(8, 4\)"):
        load_model(saved)


def test_huge_declared_header_is_refused_before_allocation(saved):
    _forge(saved, struct.pack("<Q", 2**60) + b"{}")
    with pytest.raises(ModelFileError, match=r"not a safetensors file \(header length 1152921504606846976 is impossible\)"):
        load_model(saved)


def test_pickle_with_matching_hashes_is_still_not_safetensors(saved):
    _forge(saved, pickle.dumps({"a": 1}))
    with pytest.raises(ModelFileError, match=r"not a safetensors file"):
        load_model(saved)


def test_stale_temporaries_of_a_killed_writer_are_removed(trained, tmp_path):
    from multiclass.persistence import remove_stale_temporaries

    save_model(trained, tmp_path / "m")
    (tmp_path / ".m.abc123.tmp").mkdir()  # a staging folder a SIGKILL left behind
    (tmp_path / ".m.checkpoint.safetensors.x1.tmp").write_bytes(b"half")
    (tmp_path / ".other.x.tmp").write_bytes(b"not ours")
    removed = remove_stale_temporaries(tmp_path / "m")  # the model's and its checkpoint's leftovers
    assert sorted(p.name for p in removed) == [".m.abc123.tmp", ".m.checkpoint.safetensors.x1.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.x.tmp", "m"]
