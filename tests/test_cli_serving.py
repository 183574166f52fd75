"""multiclass predict / export / serve (`multiclass.cli.serving`): predict reads a saved model without torch and
writes what the torch path writes; export writes a checked ONNX graph; serve answers over loopback with the numbers
of the runtime; the flags' defaults are the library's."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from multiclass.cli import main
from multiclass.cli.parser import RUNTIMES, build_parser
from multiclass.jobs.predict import RUNTIMES as JOB_RUNTIMES
from multiclass.runtime import load_runtime
from multiclass.runtime.inputs import record_columns
from multiclass.serve import ServeConfig
from tests.runtime_helpers import table_frame, train_table
from tests.serve_helpers import SRC, http, running_server

HEAVY = ("torch", "pandas", "sklearn", "scipy", "pyarrow")
PROBE = """
import contextlib, io, json, sys
from multiclass.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(%r))}))
""" % (HEAVY,)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return train_table(tmp_path_factory.mktemp("cli_serving"), n=300)


@pytest.fixture()
def rows(tmp_path):
    source = tmp_path / "new.csv"
    table_frame(40, seed=5).drop(columns=["label"]).to_csv(source, index=False)
    return source


def _probe(*argv):
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, argv)], capture_output=True, text=True,
                          timeout=120, check=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def test_predict_reads_a_saved_model_without_torch_pandas_or_sklearn(model, rows, tmp_path):
    assert _probe("predict", model, rows, "--out", tmp_path / "p.csv", "--top-k", "2") == {"code": 0, "loaded": []}
    ours = pd.read_csv(tmp_path / "p.csv")
    assert main(["predict", str(model), str(rows), "--out", str(tmp_path / "t.csv"), "--top-k", "2",
                 "--runtime", "torch"]) == 0
    theirs = pd.read_csv(tmp_path / "t.csv")
    assert list(ours.columns) == list(theirs.columns) and len(ours) == 40
    assert (ours["id"] == theirs["id"]).all() and (ours["predicted"] == theirs["predicted"]).all()
    probs = [c for c in ours.columns if c.startswith("p_")]
    np.testing.assert_allclose(ours[probs], theirs[probs], rtol=0, atol=1e-6)  # float32 sums in two orders


def test_predict_on_onnx_and_a_cost_matrix(model, rows, tmp_path):
    costs = tmp_path / "costs.json"
    classes = load_runtime(model).classes
    costs.write_text(json.dumps({t: {d: (0 if t == d else (50 if t == "high" else 1)) for d in classes}
                                 for t in classes}))
    for runtime in ("numpy", "onnx", "torch"):
        assert main(["predict", str(model), str(rows), "--out", str(tmp_path / f"{runtime}.csv"), "--runtime",
                     runtime, "--cost-matrix", str(costs)]) == 0
    frames = [pd.read_csv(tmp_path / f"{runtime}.csv") for runtime in ("numpy", "onnx", "torch")]
    plain = tmp_path / "plain.csv"
    assert main(["predict", str(model), str(rows), "--out", str(plain)]) == 0
    assert (frames[0]["predicted"] == frames[1]["predicted"]).all()
    assert (frames[0]["predicted"] == frames[2]["predicted"]).all()
    assert (frames[0]["predicted"] == "high").sum() >= (pd.read_csv(plain)["predicted"] == "high").sum()


def test_a_streamed_table_is_refused_on_numpy_and_predicted_on_torch(model, rows, tmp_path, capsys):
    assert main(["predict", str(model), str(rows), "--out", str(tmp_path / "a.csv"), "--stream",
                 "--runtime", "numpy"]) == 2
    assert "`--runtime` 'numpy' reads a table whole" in capsys.readouterr().err
    assert main(["predict", str(model), str(rows), "--out", str(tmp_path / "b.csv"), "--stream"]) == 0
    assert len(pd.read_csv(tmp_path / "b.csv")) == 40


def test_export_writes_a_checked_graph(model, tmp_path, capsys):
    onnx = pytest.importorskip("onnx")
    assert main(["export", str(model), "--out", str(tmp_path / "m.onnx")]) == 0
    assert "ONNX graph written to" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")), full_check=True)
    assert main(["export", str(model), "--out", str(tmp_path / "q.onnx"), "--quantize"]) == 0
    assert (tmp_path / "q.onnx").stat().st_size > 0


def test_export_without_the_onnx_extra_says_what_to_install(model, tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "onnx" or m.startswith(("onnx.", "multiclass.export"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    assert main(["export", str(model), "--out", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: exporting to ONNX needs the onnx and onnxruntime packages") and "[onnx]" in err
    assert not (tmp_path / "m.onnx").exists()


def test_export_of_a_missing_model_is_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing"), "--out", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_serve_answers_with_the_runtimes_numbers_and_stops_on_sigterm(model):
    record = {"age": 40.0, "income": 900.0, "constant": 1.0, "member": False, "city": "Quito"}
    expected = load_runtime(model).predict(record_columns([record], list(record)), strict=True).probs[0]
    with running_server(model, cli=True, max_batch=8, top_k=2) as (base, process):
        answer = http("POST", f"{base}/predict", json.dumps([record]).encode())
        assert answer.status == 200
        prediction = answer.json()["predictions"][0]
        classes = load_runtime(model).classes
        np.testing.assert_allclose([prediction["probabilities"][c] for c in classes], expected, rtol=0, atol=1e-12)
        assert len(prediction["top_k"]) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn ends by re-raising the signal


def test_the_flags_defaults_are_the_librarys():
    assert RUNTIMES == JOB_RUNTIMES
    args = build_parser().parse_args(["serve", "m"])
    defaults = {f.name: f.default for f in dataclasses.fields(ServeConfig)}
    for name in ("host", "port", "workers", "name", "max_batch", "max_queue", "max_rows", "deadline_ms", "top_k",
                 "access_log"):
        assert getattr(args, name) == defaults[name], name


@pytest.mark.parametrize("argv, message", [
    (["serve", "m", "--port", "70000"], "`--port` must be an integer in [0, 65,535]; got '70000'"),
    (["serve", "m", "--deadline-ms", "0"], "`--deadline-ms` must be a number in (0, 3.6e+06]; got '0'"),
    (["predict", "m", "d.csv", "--out", "p.csv", "--runtime", "tf"], "`--runtime`: invalid choice: 'tf'"),
])
def test_bad_flags_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("layout", ["headerless_whitespace", "semicolon_decimal_comma"])
def test_predict_reads_a_table_the_way_training_read_it(layout, tmp_path):
    """The numpy runtime sniffs the format as the training reader does (or hands the file to it): a headerless
    whitespace file and a ';' file with decimal commas give the torch path's predictions."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).round(2)
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    frame = pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2], "label": y})
    if layout == "headerless_whitespace":
        source, target = tmp_path / "train.data", "column_4"
        source.write_text("\n".join(" ".join(map(str, row)) for row in frame.itertuples(index=False)) + "\n")
    else:
        source, target = tmp_path / "train.csv", "label"
        frame.to_csv(source, sep=";", decimal=",", index=False)
    model = tmp_path / "model"
    assert main(["train", str(source), "--target", target, "--out", str(model), "--recipe", "seed",
                 "--epochs", "2"]) == 0
    for runtime in ("numpy", "torch"):
        assert main(["predict", str(model), str(source), "--out", str(tmp_path / f"{runtime}.csv"),
                     "--runtime", runtime]) == 0
    ours, theirs = (pd.read_csv(tmp_path / f"{runtime}.csv") for runtime in ("numpy", "torch"))
    assert len(ours) == 120 and (ours["predicted"] == theirs["predicted"]).all()
    np.testing.assert_allclose(ours["probability"], theirs["probability"], rtol=0, atol=1e-6)


def test_keep_columns_are_the_same_on_both_runtimes_and_feed_report(model, tmp_path, capsys):
    from multiclass.predictions import TRUE
    from multiclass.runtime.output import KEPT_LABELS

    assert KEPT_LABELS == TRUE
    source = tmp_path / "labelled.csv"
    table_frame(50, seed=8).to_csv(source, index=False)
    for runtime in ("numpy", "torch"):
        assert main(["predict", str(model), str(source), "--out", str(tmp_path / f"{runtime}.csv"), "--runtime",
                     runtime, "--keep-columns", "label,city"]) == 0
        assert "column y_true" in capsys.readouterr().out
    ours, theirs = (tmp_path / f"{runtime}.csv" for runtime in ("numpy", "torch"))
    assert ours.read_text().splitlines()[0] == theirs.read_text().splitlines()[0]
    assert ours.read_text().splitlines()[0].startswith("id,y_true,city,predicted,")
    frames = [pd.read_csv(path, keep_default_na=False) for path in (ours, theirs)]
    assert frames[0][["id", "y_true", "city", "predicted"]].equals(frames[1][["id", "y_true", "city", "predicted"]])
    assert main(["report", "--predictions", str(ours), "--bootstrap", "0"]) == 0
    assert main(["predict", str(model), str(source), "--out", str(tmp_path / "x.csv"), "--keep-columns", "nope"]) == 2
    assert "`--keep-columns` names column 'nope', which the data does not have" in capsys.readouterr().err
