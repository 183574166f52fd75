"""`multiclass evaluate` on the numpy network (`load_model(path, network="numpy")`): no torch imported, and the
report of the torch network -- the same decisions, the probabilities to float32 rounding."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from multiclass.exceptions import ConfigError
from multiclass.jobs.evaluate import evaluate
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import load_model, save_model
from multiclass.report import report_to_json
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig, train
from tests.runtime_helpers import table_frame, train_table

PROBE = """
import contextlib, io, json, sys
from multiclass.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"torch", "sklearn"})}))
"""


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate_numpy")
    model = train_table(folder, n=300, hidden=(8, 4), activation="gelu")
    data = folder / "test.csv"
    table_frame(200, seed=7).to_csv(data, index=False)
    return model, data


def test_evaluate_imports_no_torch(saved, tmp_path):
    model, data = saved
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-c", PROBE, "evaluate", str(model), str(data), "--json", str(out)],
                          capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == {"code": 0, "loaded": []}
    assert json.loads(out.read_text())["summary"]["n_samples"] == 200


def test_the_numpy_network_reports_what_the_torch_network_does(saved):
    model, data = saved
    on_torch, on_numpy = (evaluate(load_model(model, network=network), data) for network in ("torch", "numpy"))
    mine, theirs = json.loads(report_to_json(on_numpy, "en")), json.loads(report_to_json(on_torch, "en"))
    assert mine["confusion_matrix"] == theirs["confusion_matrix"] and mine["per_class"] == theirs["per_class"]
    for name, value in theirs["summary"].items():  # the same decisions; the log-loss to float32 rounding
        assert mine["summary"][name] == (pytest.approx(value, rel=1e-5) if name == "log_loss" else value), name
    for name in ("ece_top_label", "brier"):
        assert mine["calibration"][name] == pytest.approx(theirs["calibration"][name], abs=1e-6), name


def test_the_numpy_network_predicts_as_the_torch_one_and_is_not_saved(saved, tmp_path):
    model, _ = saved
    torch_model, numpy_model = load_model(model), load_model(model, network="numpy")
    X = torch_model.preprocessor.transform(table_frame(50, seed=3))
    np.testing.assert_allclose(numpy_model.predict_log_proba(X), torch_model.predict_log_proba(X), rtol=0, atol=1e-5)
    np.testing.assert_array_equal(numpy_model.predict_codes(X), torch_model.predict_codes(X))
    assert numpy_model.n_features == torch_model.n_features
    with pytest.raises(ConfigError, match=r"a model read with `network='numpy'` cannot be saved"):
        save_model(numpy_model, tmp_path / "again")
    with pytest.raises(ValueError, match=r"`network` must be 'torch' or 'numpy'; got 'jax'"):
        load_model(model, network="jax")


def test_sparse_rows_through_the_numpy_network(text_like, tmp_path):
    X, y = text_like
    network = build_model(ModelConfig(400, 3, (8,)), seed=0)
    train(network, X, y, TrainConfig(epochs=2, verbose=False))
    path = save_model(TrainedModel(model=network, classes=("a", "b", "c")), tmp_path / "m")
    on_numpy, on_torch = load_model(path, network="numpy"), load_model(path)
    assert sp.issparse(X)
    np.testing.assert_allclose(on_numpy.predict_log_proba(X), on_torch.predict_log_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(on_numpy.predict_codes(X), on_torch.predict_codes(X))
