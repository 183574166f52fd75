"""CLI commands beyond the per-source round trip: datasets (+ download, never over the network), demo, the
training flags that name classes, top-k, the JSON evaluation, byte-identical reloads, MNIST, and one real
`python -m multiclass` subprocess."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, recall_score

from multiclass.cli import main
from multiclass.data import builtin, load_dataset, write_idx
from multiclass.persistence import load_model, save_model
from multiclass.training import TrainConfig
from multiclass.jobs import fit_dataset, load_for_model, predictions_frame

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared/datasets/mnist"
CLASSES = ("bird", "cat", "dog")
QUICK = ["--hidden", "none", "--lr", "0.1", "--epochs", "3", "--quiet"]


@pytest.fixture(scope="module")
def animals(tmp_path_factory) -> Path:
    """A CSV of 90 rows: ids, a numeric and a categorical feature, the string target `animal`."""
    rng = np.random.default_rng(0)
    animal = rng.permutation(np.repeat(CLASSES, 30))
    code = np.searchsorted(CLASSES, animal)
    frame = pd.DataFrame({
        "row_id": np.arange(len(animal)) * 7,
        "size": code * 2.0 + rng.normal(0, 1.0, len(animal)),
        "colour": np.where(rng.random(len(animal)) < 0.7, np.array(["blue", "grey", "brown"])[code], "green"),
        "animal": animal,
    })
    path = tmp_path_factory.mktemp("animals") / "animals.csv"
    frame.to_csv(path, index=False)
    return path


# --- datasets ---------------------------------------------------------------------------------------------


def _fail_fetch(url):
    raise AssertionError(f"tests must never use the network; tried {url}")


def test_datasets_lists_the_five_builtins_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(builtin, "_fetch", _fail_fetch)
    monkeypatch.delenv("MULTICLASS_DATA_DIR", raising=False)
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("iris", "wine", "digits", "mnist", "fashion-mnist"):
        assert re.search(rf"│ {re.escape(name)}\s+│", out), name
    assert re.search(r"│ digits\s+│ 1,797\s+│ 64\s+│ 10\s+│ yes", out)
    assert re.search(r"│ mnist\s+│ 70,000\s+│ 784\s+│ 10\s+│ no", out)
    assert "not on disk: mnist, fashion-mnist" in out and "--download NAME" in out


def _fake_mnist(tmp_path: Path) -> dict[str, bytes]:
    """The four MNIST file names with tiny valid IDX payloads (20 train, 10 test images of 28x28)."""
    rng = np.random.default_rng(0)
    payloads = {}
    for split, n in (("train", 20), ("t10k", 10)):
        labels = np.arange(n, dtype=np.uint8) % 10
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte.gz"
            payloads[name] = write_idx(tmp_path / name, array).read_bytes()
    return payloads


def test_datasets_download_fetches_checks_and_lists(tmp_path, monkeypatch, capsys):
    payloads = _fake_mnist(tmp_path)
    md5 = {name: hashlib.md5(data).hexdigest() for name, data in payloads.items()}
    monkeypatch.setitem(builtin._IDX_SETS, "mnist", dataclasses.replace(builtin._IDX_SETS["mnist"], md5=md5))
    requested = []

    def fetch(url):
        requested.append(url)
        return payloads[url.rsplit("/", 1)[1]]

    monkeypatch.setattr(builtin, "_fetch", fetch)
    data_dir = tmp_path / "data"
    assert main(["datasets", "--download", "mnist", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert f"mnist: IDX files checked against the published MD5 in {data_dir / 'mnist'}" in out
    assert re.search(r"│ mnist\s+│.*│ yes", out)
    assert sorted(url.rsplit("/", 1)[1] for url in requested) == sorted(payloads)
    assert all(url.startswith(builtin._IDX_SETS["mnist"].mirrors[0]) for url in requested)
    for name, data in payloads.items():
        assert (data_dir / "mnist" / name).read_bytes() == data
    # the downloaded folder is usable as is: a second download fetches nothing, and training reads it
    assert main(["datasets", "--download", "mnist", "--data-dir", str(data_dir)]) == 0
    assert len(requested) == 4
    model = tmp_path / "model"
    assert main(["train", "mnist", "--data-dir", str(data_dir), "--val-split", "0", *QUICK, "--out", str(model)]) == 0
    assert json.loads((model / "model.json").read_text())["data"]["n_samples"] == 20


def test_datasets_download_with_bad_checksum_is_exit_2(tmp_path, monkeypatch, capsys):
    requested = []

    def fetch(url):
        requested.append(url)
        return b"<html>not the file</html>"

    monkeypatch.setattr(builtin, "_fetch", fetch)
    assert main(["datasets", "--download", "mnist", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: mnist: could not download train-images-idx3-ubyte.gz") and "does not match" in err
    assert len(err.splitlines()) == 1
    assert len(requested) == len(builtin._IDX_SETS["mnist"].mirrors)  # every mirror tried once
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing half-written


def test_datasets_download_of_a_bundled_set_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(builtin, "_fetch", _fail_fetch)
    assert main(["datasets", "--download", "iris", "--data-dir", str(tmp_path)]) == 2
    assert "`name` must be one of mnist, fashion-mnist (the others are bundled); got 'iris'." in capsys.readouterr().err


# --- demo -------------------------------------------------------------------------------------------------


def test_demo_is_the_readme_main_job(capsys):
    assert main(["demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "digits: 1,352 training rows, 64 features, 10 classes" in out
    assert re.search(r"^network 64-[\d-]+-10, dropout [\d.]+, l2 [\de.-]+, lr [\de.-]+, batch \d+, classes weighted by the "
                     r"square root of balanced \(recipe auto: the best of \d+ candidates on the validation rows\)$", out,
                     re.MULTILINE), out
    match = re.search(r"^test accuracy (\d\.\d{3}) \(macro-F1 \d\.\d{3}, 445 rows\)$", out, re.MULTILINE)
    assert match, out
    assert float(match.group(1)) >= 0.97  # the seed's 25-15 network gave 0.964


# --- training flags that name classes ---------------------------------------------------------------------


def _per_class_recall(out: str, title: str, name: str) -> float:
    """The recall printed for class `name` in the per-class table that follows `title`."""
    section = out[out.index(title):]
    row = re.search(rf"│ {name}\s+│\s+[\d.]+ │\s+([\d.]+) │", section)
    return float(row.group(1))


def test_monitor_recall_of_a_class(animals, tmp_path, capsys):
    model = tmp_path / "model"
    argv = ["train", str(animals), "--target", "animal", "--monitor", "val_recall:cat", "--val-split", "0.3",
            *QUICK, "--out", str(model)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    document = json.loads((model / "model.json").read_text())
    assert document["train_config"]["monitor"] == "val_recall:cat"
    best = document["training"]["best_epoch"]
    scores = [record["val_score"] for record in document["training"]["history"]]
    assert scores[best - 1] == max(scores)  # recall: larger is better
    # the monitored value is the recall of 'cat' that the validation report prints at the best epoch
    assert scores[best - 1] == pytest.approx(_per_class_recall(out, "validation", "cat"), abs=5e-4)


def test_monitor_recall_of_an_unknown_class_is_exit_2(animals, tmp_path, capsys):
    argv = ["train", str(animals), "--target", "animal", "--monitor", "val_recall:horse", *QUICK,
            "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()  # after the warning that row_id (0, 7, 14, ...) is left out
    assert err[-1].startswith("error: ") and "'horse'" in err[-1] and "'cat'" in err[-1]


def test_class_weight_by_name(animals, tmp_path, capsys):
    """Weight 0 on 'cat' and 'dog': only 'bird' rows teach the model, so it predicts 'bird' more often."""
    counts = {}
    for label, weights in (("plain", []), ("weighted", ["--class-weight", "bird=1,cat=0,dog=0"])):
        model, preds = tmp_path / label, tmp_path / f"{label}.csv"
        assert main(["train", str(animals), "--target", "animal", *weights, *QUICK, "--out", str(model)]) == 0
        assert main(["predict", str(model), str(animals), "--out", str(preds)]) == 0
        counts[label] = int((pd.read_csv(preds)["predicted"] == "bird").sum())
    capsys.readouterr()
    config = json.loads((tmp_path / "weighted" / "model.json").read_text())["train_config"]
    assert config["class_weight"] == {"bird": 1.0, "cat": 0.0, "dog": 0.0}
    assert counts["weighted"] > counts["plain"]


def test_patience_none_never_stops_early(animals, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["train", str(animals), "--target", "animal", "--patience", "none", *QUICK, "--out", str(model)]) == 0
    document = json.loads((model / "model.json").read_text())
    assert document["train_config"]["patience"] is None
    assert len(document["training"]["history"]) == 3 and document["training"]["stop_reason"] == "max_epochs"


def test_class_weight_naming_an_unknown_class_is_exit_2(animals, tmp_path, capsys):
    argv = ["train", str(animals), "--target", "animal", "--class-weight", "horse=2", *QUICK,
            "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    assert "`--class-weight` names class 'horse'" in capsys.readouterr().err


# --- predict --top-k and evaluate --json ------------------------------------------------------------------


@pytest.fixture(scope="module")
def animal_model(animals, tmp_path_factory) -> Path:
    model = tmp_path_factory.mktemp("animal_model") / "model"
    argv = ["train", str(animals), "--target", "animal", "--id-column", "row_id", *QUICK, "--out", str(model)]
    assert main(argv) == 0
    return model


def test_predict_top_k(animals, animal_model, tmp_path, capsys):
    out = tmp_path / "top.csv"
    assert main(["predict", str(animal_model), str(animals), "--top-k", "3", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["row_id", "predicted", "probability", "top2", "top2_probability", "top3",
                                   "top3_probability", "p_bird", "p_cat", "p_dog"]
    probs = frame[["p_bird", "p_cat", "p_dog"]].to_numpy()  # (N, 3)
    ranked = -np.sort(-probs, axis=1)
    np.testing.assert_array_equal(frame[["probability", "top2_probability", "top3_probability"]].to_numpy(), ranked)
    for row in frame.itertuples():  # the three names are the three classes, best first
        assert sorted([row.predicted, row.top2, row.top3]) == list(CLASSES)
        assert getattr(row, f"p_{row.top2}") == row.top2_probability
    assert frame["row_id"].tolist() == pd.read_csv(animals)["row_id"].tolist()


def test_evaluate_json_matches_sklearn_on_the_predictions(animals, animal_model, tmp_path, capsys):
    report, preds = tmp_path / "evaluation.json", tmp_path / "p.csv"
    assert main(["evaluate", str(animal_model), str(animals), "--json", str(report)]) == 0
    assert main(["predict", str(animal_model), str(animals), "--out", str(preds)]) == 0
    assert f"evaluation written to {report}" in capsys.readouterr().out
    document = json.loads(report.read_text())
    assert {"summary", "classes", "confusion_matrix", "per_class"} <= set(document)  # the report keeps these keys
    y_true, y_pred = pd.read_csv(animals)["animal"], pd.read_csv(preds)["predicted"]
    assert document["classes"] == list(CLASSES)
    assert document["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=list(CLASSES)).tolist()
    assert document["summary"]["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    recalls = recall_score(y_true, y_pred, labels=list(CLASSES), average=None, zero_division=0)
    for name, recall in zip(CLASSES, recalls):
        assert document["per_class"][name]["recall"] == pytest.approx(recall, abs=1e-12)


# --- byte-identical probabilities after a reload ----------------------------------------------------------


def test_reloaded_model_gives_byte_identical_probabilities(animals, tmp_path, capsys):
    dataset = load_dataset(animals, target="animal", id_column="row_id")
    config = TrainConfig(lr=0.05, epochs=3, seed=3, verbose=False)
    trained = fit_dataset(dataset, hidden=(8,), config=config).trained
    model = save_model(trained, tmp_path / "model")
    loaded = load_model(model)
    columns = [f"p_{c}" for c in CLASSES]
    in_memory = predictions_frame(trained, load_for_model(trained, animals), top_k=2)
    reloaded = predictions_frame(loaded, load_for_model(loaded, animals), top_k=2)
    assert in_memory[columns].to_numpy().tobytes() == reloaded[columns].to_numpy().tobytes()
    pd.testing.assert_frame_equal(in_memory, reloaded, check_exact=True)
    # and the CSV written by the command on torch holds exactly those numbers (repr of a float64 round-trips);
    # the default numpy runtime sums in another order: within float32's precision, the same decisions
    for runtime, exact in (("torch", True), ("auto", False)):
        out = tmp_path / f"p_{runtime}.csv"
        assert main(["predict", str(model), str(animals), "--top-k", "2", "--out", str(out), "--runtime", runtime]) == 0
        with open(out, newline="") as handle:
            rows = list(csv.DictReader(handle))
        written = np.array([[float(row[c]) for c in columns] for row in rows])  # (N, K)
        if exact:
            assert written.tobytes() == in_memory[columns].to_numpy().tobytes()
        else:
            np.testing.assert_allclose(written, in_memory[columns].to_numpy(), rtol=0, atol=1e-6)
            assert [row["predicted"] for row in rows] == in_memory["predicted"].astype(str).tolist()


# --- MNIST from ../shared ---------------------------------------------------------------------------------


@pytest.mark.needs_shared
@pytest.mark.skipif(not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
                    reason=f"needs the MNIST IDX files in {MNIST_DIR} (../shared beside the repository)")
def test_mnist_train_evaluate_predict(tmp_path, capsys):
    model, report, preds = tmp_path / "model", tmp_path / "evaluation.json", tmp_path / "p.csv"
    # One epoch of a 784-16-10 network at batch 128: about 5 s on 2 cores, and already above 0.9.
    argv = ["train", "mnist", "--data-dir", str(MNIST_DIR), "--hidden", "16", "--epochs", "1", "--batch-size", "128",
            "--quiet", "--out", str(model)]
    assert main(argv) == 0
    assert main(["evaluate", str(model), "mnist", "--data-dir", str(MNIST_DIR), "--json", str(report)]) == 0
    summary = json.loads(report.read_text())["summary"]
    assert summary["n_samples"] == 10_000 and summary["accuracy"] > 0.85
    # the same model predicts the test IDX file directly (labels found by MNIST naming, and not needed)
    images = MNIST_DIR / "t10k-images-idx3-ubyte.gz"
    assert main(["predict", str(model), str(images), "--out", str(preds)]) == 0
    frame = pd.read_csv(preds)
    assert list(frame.columns) == ["predicted", "probability", *(f"p_{d}" for d in range(10))]
    labels = builtin.read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert frame["predicted"].dtype.kind == "i"
    assert accuracy_score(labels, frame["predicted"]) == pytest.approx(summary["accuracy"], abs=1e-12)
    capsys.readouterr()


# --- one real subprocess ------------------------------------------------------------------------------------


def test_python_dash_m_multiclass_train_then_predict(animals, tmp_path):
    model, preds = tmp_path / "model", tmp_path / "p.csv"
    run = [sys.executable, "-m", "multiclass"]
    trained = subprocess.run([*run, "train", str(animals), "--target", "animal", *QUICK, "--out", str(model)],
                             capture_output=True, text=True, timeout=120, check=False)
    assert trained.returncode == 0, trained.stderr
    assert f"model written to {model}" in trained.stdout
    predicted = subprocess.run([*run, "predict", str(model), str(animals), "--out", str(preds)],
                               capture_output=True, text=True, timeout=120, check=False)
    assert predicted.returncode == 0, predicted.stderr
    assert len(pd.read_csv(preds)) == 90
