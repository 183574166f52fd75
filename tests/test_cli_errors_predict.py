"""The bad-input catalogue of `multiclass predict`: forged and broken model directories, data the model cannot
read, outputs that cannot be written (tests/catalogue.py holds the machinery)."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save as save_safetensors

from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    Payload,
    _disk_full,
    _read_only,
    case,
    cases_of,
    check_case,
    forge,
    predict_argv,
    q,
    trained_model,
    write,
)


@case("columns missing at predict time")
def missing_column_at_predict(tmp, model):
    p = write(tmp / "new.csv", "a,y\n1,x\n")
    return (["predict", str(model), str(p), "--out", str(tmp / "predictions.csv")],
            rf"^{q(p)}: missing column 'b' needed by the model; the data has columns: 'a', 'y'\.$")


@case("--top-k larger than the number of classes K")
def top_k_larger_than_k(tmp, model):
    p = write(tmp / "new.csv", "a,b\n1,2\n")
    return (["predict", str(model), str(p), "--top-k", "5", "--out", str(tmp / "predictions.csv")],
            r"^`--top-k` must be an integer in \[1, 3\]; got 5\.$")


@case("data of another kind than the model's")
def kind_mismatch_at_predict(tmp, model):
    p = tmp / "new.npz"
    np.savez(p, X=np.eye(2))
    return (["predict", str(model), str(p), "--out", str(tmp / "predictions.csv")],
            rf"^{q(p)}: is npz data, but the model's preprocessor 'table' reads table data\.$")


@case("model directory does not exist")
def model_dir_missing(tmp, model):
    gone = tmp / "no_model"
    return predict_argv(tmp, gone), rf"^{q(gone)}: not a model directory \(expected a folder with model\.json and"


@case("model directory missing weights.safetensors")
def model_missing_weights(tmp, model):
    (model / "weights.safetensors").unlink()
    return predict_argv(tmp, model), rf"^{q(model)}: the model directory is missing weights\.safetensors\.$"


@case("model directory missing model.json")
def model_missing_json(tmp, model):
    (model / "model.json").unlink()
    return predict_argv(tmp, model), rf"^{q(model)}: the model directory is missing model\.json\.$"


@case("model.json of a wrong format version")
def model_wrong_format_version(tmp, model):
    forge(model, edit=lambda d: d.update(format_version=99))
    return (predict_argv(tmp, model),
            rf"^{q(model / 'model.json')}: format_version 99 is not supported by multiclass .* \(it reads version 1\)\.$")


@case("tampered model.json (a class renamed)")
def model_tampered_json(tmp, model):
    text = (model / "model.json").read_text()
    (model / "model.json").write_text(text.replace('"x"', '"evil"', 1))
    return (predict_argv(tmp, model),
            rf"^{q(model / 'model.json')}: checksum mismatch, the file was modified after it was written\.$")


@case("model.json that is not JSON")
def model_json_not_json(tmp, model):
    write(model / "model.json", "{not json")
    return predict_argv(tmp, model), rf"^{q(model / 'model.json')}: not valid JSON \("


@case("weights replaced by other weights (hash mismatch)")
def model_weights_replaced(tmp, model):
    write(model / "weights.safetensors", save_safetensors({"model.linears.0.weight": np.zeros((2, 2), np.float32)}))
    return (predict_argv(tmp, model),
            rf"^{q(model / 'weights.safetensors')}: SHA-256 does not match model\.json; the weights were replaced")


@case("weights of the wrong shape (hashes forged)")
def model_weights_wrong_shape(tmp, model):
    from safetensors.numpy import load

    tensors = load((model / "weights.safetensors").read_bytes())
    tensors["model.linears.0.weight"] = np.zeros((9, 2), np.float32)

    def declare(document):
        document["weights"]["tensors"]["model.linears.0.weight"]["shape"] = [9, 2]

    forge(model, save_safetensors(tensors), declare)
    message = (rf"^{q(model / 'weights.safetensors')}: tensor 'model\.linears\.0\.weight' has shape \(9, 2\), "
               r"the model needs \(4, 2\)\.$")
    return predict_argv(tmp, model), message


@case("weights file that is not safetensors: a .npy array (hashes forged)")
def model_weights_not_safetensors(tmp, model):
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 2), np.float32))
    forge(model, buffer.getvalue())  # its first 8 bytes, b"\x93NUMPY\x01\x00", read as a header length
    return (predict_argv(tmp, model),
            rf"^{q(model / 'weights.safetensors')}: not a safetensors file \(header length \d+ is impossible\)\.$")


@case("a pickle file offered as the model (never unpickled)")
def pickle_as_model(tmp, model):
    bad = write(tmp / "model.pkl", pickle.dumps(Payload(tmp / "PWNED")))
    return predict_argv(tmp, bad), rf"^{q(bad)}: not a model directory \(expected a folder with model\.json and"


@case("pickles in place of model.json and weights.safetensors (never unpickled)")
def pickles_in_model_dir(tmp, model):
    write(model / "model.json", pickle.dumps(Payload(tmp / "PWNED")))
    write(model / "weights.safetensors", pickle.dumps(Payload(tmp / "PWNED")))
    return predict_argv(tmp, model), rf"^{q(model / 'model.json')}: not valid JSON \('utf-8' codec can't decode"


@case("pickled weights with forged hashes (never unpickled)")
def pickled_weights_forged(tmp, model):
    forge(model, pickle.dumps(Payload(tmp / "PWNED")))
    return predict_argv(tmp, model), rf"^{q(model / 'weights.safetensors')}: not a safetensors file"


@case("predictions into a missing directory")
def out_in_missing_directory(tmp, model):
    out = tmp / "missing" / "predictions.csv"
    argv = predict_argv(tmp, model)
    return argv[:-1] + [str(out)], rf"^{q(out)}: the directory {q(tmp / 'missing')} does not exist\.$"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
@case("predictions into /proc, where nothing can be created, even by root")
def out_under_proc(tmp, model):
    out = Path("/proc/predictions.csv")
    argv = predict_argv(tmp, model)
    return argv[:-1] + [str(out)], rf"^{q(out)}: cannot write into /proc \(No such file or directory\)\.$"


@case("predictions into a read-only folder", patch=_read_only("readonly"))
def out_in_read_only_folder(tmp, model):
    out = tmp / "readonly" / "predictions.csv"
    out.parent.mkdir()
    argv = predict_argv(tmp, model)
    return argv[:-1] + [str(out)], rf"^{q(out)}: cannot be written \(Permission denied\)\.$"


@case("streamed predictions, a value that is not a number (the batch and row named; previous predictions kept)")
def streamed_predict_bad_number(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n3,x\n")
    out = write(tmp / "predictions.csv", "previous,predictions\n")
    return (["predict", str(model), str(data), "--out", str(out), "--stream"],
            rf"^{q(data)} \(a batch starting at row 1\): column 'b' row 2: value 'x' is not numeric\.$")


@case("disk full while writing predictions, over previous predictions (kept intact)", patch=_disk_full)
def disk_full_during_predict(tmp, model):
    argv = predict_argv(tmp, model)
    write(Path(argv[-1]), "previous,predictions\n")
    return argv, rf"^{q(argv[-1])}: cannot be written \(No space left on device\)\.$"


def test_the_pickle_payload_would_create_its_file(tmp_path):
    """The proof used by the pickle cases is sound: unpickling the payload does create the file."""
    pickle.loads(pickle.dumps(Payload(tmp_path / "PWNED"))).close()
    assert (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    """The same case with MULTICLASS_LANG=es: the one line is the Spanish translation of the English message."""
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")
