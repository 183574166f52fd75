"""`multiclass sweep` in-process: a CSV in, the leaderboard printed, its JSON and the best model written."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import torch
from rich.console import Console

from multiclass.cli.commands import sweep as run_sweep
from multiclass.cli.parser import build_parser
from multiclass.exceptions import ConfigError
from multiclass.persistence import load_model
from multiclass.jobs import load_for_model

QUICK = ["--hidden", "8", "--epochs", "3", "--batch-size", "16", "--quiet"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread (as tests/test_engine.py): on a busy 2-core machine OpenMP threads otherwise wait on
    each other (measured 10x slower for the stacked and the eager loop alike), which only makes tests slow."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """120 rows: two numeric features, a categorical one and the string target `kind` (3 classes)."""
    rng = np.random.default_rng(0)
    kind = rng.permutation(np.repeat(["ant", "bee", "cow"], 40))
    code = np.searchsorted(["ant", "bee", "cow"], kind)
    frame = pd.DataFrame({"length": code * 2.0 + rng.normal(0, 0.7, 120), "legs": code + rng.normal(0, 0.5, 120),
                          "colour": rng.choice(["red", "blue"], 120), "kind": kind})
    path = tmp_path_factory.mktemp("sweep") / "animals.csv"
    frame.to_csv(path, index=False)
    return path


def _run(argv: list[str]) -> tuple[int, str]:
    console = Console(file=io.StringIO(), width=100)
    code = run_sweep(build_parser().parse_args(["sweep", *argv]), console)
    return code, console.file.getvalue()


def test_sweep_prints_the_leaderboard_and_writes_json_and_the_best_model(table, tmp_path):
    board_file, model_dir = tmp_path / "board.json", tmp_path / "best"
    code, out = _run([str(table), "--target", "kind", "--grid", "lr=1e-2,5e-2", "--grid", "seed=0,1", "--top", "3",
                      "--json", str(board_file), "--out", str(model_dir), *QUICK])
    assert code == 0
    assert "leaderboard: 3 of 4 configurations by validation macro-F1" in out
    assert "best: lr=" in out and "4 configurations trained" in out and f"best model written to {model_dir}" in out
    document = json.loads(board_file.read_text())
    rows = document["leaderboard"]
    assert document["n_configurations"] == 4 and [row["rank"] for row in rows] == [1, 2, 3, 4]
    assert [row["val_macro_f1"] for row in rows] == sorted((row["val_macro_f1"] for row in rows), reverse=True)
    assert {tuple(sorted(row["params"])) for row in rows} == {("lr", "seed")}
    trained = load_model(model_dir)
    assert trained.classes == ("ant", "bee", "cow") and trained.train_config.lr == rows[0]["params"]["lr"]
    assert trained.validation["macro_f1"] == pytest.approx(rows[0]["val_macro_f1"])
    dataset = load_for_model(trained, table)  # the saved model reads the raw CSV, categorical column included
    assert trained.predict_proba(dataset.X).shape == (120, 3)


def test_one_grid_string_is_the_same_as_repeated_flags(table, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _run([str(table), "--target", "kind", "--grid", "lr=1e-2,5e-2;l2=0,1e-3", "--json", str(a), *QUICK])
    _run([str(table), "--target", "kind", "--grid", "lr=1e-2,5e-2", "--grid", "l2=0,1e-3", "--json", str(b), *QUICK])
    assert json.loads(a.read_text())["leaderboard"] == json.loads(b.read_text())["leaderboard"]


def test_a_bad_grid_fails_before_the_data_is_read(tmp_path):
    with pytest.raises(ConfigError, match=r"grid key `dropout`: `dropout` must be a float in \[0, 1\); got 1\.5\."):
        _run([str(tmp_path / "missing.csv"), "--target", "kind", "--grid", "dropout=0,1.5"])
    with pytest.raises(ConfigError, match=r"`grid` key must be one of .*; got 'momentum'\."):
        _run([str(tmp_path / "missing.csv"), "--grid", "momentum=0.9"])


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        _run(["data.csv", "--top", "0"])
    assert stop.value.code == 2
    assert "error: `--top` must be an integer in [1, 1,000,000]; got '0'" in capsys.readouterr().err
