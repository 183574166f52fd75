"""Crash safety: a training run killed with SIGKILL resumes to the very model an uninterrupted run makes."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open

from multiclass.cli import main
from multiclass.exceptions import DataError
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train
from multiclass.training.checkpoint import checkpoint_path

EPOCHS = 1000  # long enough to be killed mid-run even on a loaded machine; each epoch is a few ms


def _write_data(path: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 20))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] ** 2 + rng.normal(scale=0.5, size=3000) > 0.5, "fault", "ok")
    pd.DataFrame(X, columns=[f"f{i}" for i in range(20)]).assign(state=y).to_csv(path, index=False)
    return path


def _train_args(data: Path, out: Path, seed: int) -> list[str]:
    return ["train", str(data), "--target", "state", "--out", str(out), "--epochs", str(EPOCHS), "--patience",
            "none", "--hidden", "32,16", "--dropout", "0.1", "--seed", str(seed), "--quiet"]


def _checkpoint_epoch(path: Path) -> int:
    try:
        with safe_open(str(path), "np") as handle:
            return json.loads(handle.metadata()["state"])["epoch"]
    except Exception:  # noqa: BLE001 - not written yet, or being replaced: try again
        return 0


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    data = _write_data(tmp_path / "data.csv")
    model = tmp_path / "model"
    assert main(_train_args(data, model, seed=1)[:4] + ["--out", str(model), "--epochs", "3", "--quiet"]) == 0
    good = _snapshot(model)  # the previous good model: it must survive the crash untouched

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "multiclass", *_train_args(data, model, seed=0)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checkpoint = checkpoint_path(model)
    deadline = time.monotonic() + 120
    while _checkpoint_epoch(checkpoint) < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = _checkpoint_epoch(checkpoint)
    assert process.returncode == -signal.SIGKILL, f"the run ended before it was killed: {process.stderr.read()[-500:]!r}"
    assert 5 <= killed_at < EPOCHS
    assert _snapshot(model) == good

    assert main(_train_args(data, model, seed=0)[:4] + _train_args(data, model, seed=0)[6:] + ["--resume", str(model)]) == 0
    assert not checkpoint.exists()
    # A kill can land mid-write, leaving a temporary file beside the real one; the next run clears it.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left behind"
    reference = tmp_path / "reference"
    assert main(_train_args(data, reference, seed=0)) == 0
    assert (model / "weights.safetensors").read_bytes() == (reference / "weights.safetensors").read_bytes()


def test_resume_refuses_other_data(tmp_path, digits):
    X, y = digits
    checkpoint = tmp_path / "run.checkpoint.safetensors"
    config = TrainConfig(epochs=2, verbose=False)
    train(build_model(ModelConfig(64, 10, (8,))), X, y, config, checkpoint=checkpoint)
    with pytest.raises(DataError, match=r"the checkpoint was made with other data or settings"):
        train(build_model(ModelConfig(64, 10, (8,))), X[:-1], y[:-1], config, checkpoint=checkpoint, resume=True)
    with pytest.raises(DataError, match=r"no checkpoint to resume from"):
        train(build_model(ModelConfig(64, 10, (8,))), X, y, config, checkpoint=tmp_path / "none", resume=True)


@pytest.mark.parametrize("engine", ["fused", "eager"])
def test_resume_in_process_is_bit_identical(tmp_path, digits, engine):
    X, y = digits
    config = TrainConfig(epochs=9, verbose=False, engine=engine, lr_patience=2, patience=None)
    reference = build_model(ModelConfig(64, 10, (16,), dropout=0.2))
    train(reference, X, y, config)
    checkpoint = tmp_path / "run.checkpoint.safetensors"
    train(build_model(ModelConfig(64, 10, (16,), dropout=0.2)), X, y, dataclasses.replace(config, epochs=4),
          checkpoint=checkpoint)
    resumed = build_model(ModelConfig(64, 10, (16,), dropout=0.2))
    result = train(resumed, X, y, config, checkpoint=checkpoint, resume=True)
    assert [r["epoch"] for r in result.history] == list(range(1, 10))
    for a, b in zip(reference.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


def test_ctrl_c_in_the_cli_keeps_the_best_model_and_says_where(tmp_path, capsys, monkeypatch):
    import multiclass.training.loop as loop

    data = _write_data(tmp_path / "data.csv")
    original = loop.check_loss  # called once an epoch by the one training loop (not by the search's candidates)
    calls = {"n": 0}

    def check_then_interrupt(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(loop, "check_loss", check_then_interrupt)
    model = tmp_path / "model"
    assert main(_train_args(data, model, seed=0)) == 130
    err = capsys.readouterr().err
    assert f"the best model so far (epoch " in err and f"was written to {model}" in err and "--resume" in err
    assert (model / "weights.safetensors").exists() and checkpoint_path(model).exists()


STREAM_EPOCHS = 150  # streamed epochs cost tens of ms each (reading, shuffling, autograd steps)


def test_streamed_sigkill_then_resume_equals_an_uninterrupted_streamed_run(tmp_path):
    """The one loop checkpoints streamed training too: its data order generator and dropout RNG are saved."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 6))
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(state=np.where(X[:, 0] > 0, "a", "b"))
    frame.to_parquet(tmp_path / "data.parquet")
    model, reference = tmp_path / "model", tmp_path / "reference"

    def args(out):
        return ["train", str(tmp_path / "data.parquet"), "--stream", "--target", "state", "--epochs",
                str(STREAM_EPOCHS), "--patience", "none", "--hidden", "8", "--dropout", "0.1", "--shuffle-buffer",
                "128", "--quiet", "--out", str(out)]

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "multiclass", *args(model)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checkpoint = checkpoint_path(model)
    deadline = time.monotonic() + 120
    while _checkpoint_epoch(checkpoint) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended before it was killed: {process.stderr.read()[-500:]!r}"
    assert 3 <= _checkpoint_epoch(checkpoint) < STREAM_EPOCHS and not model.exists()

    assert main(args(model)[:-2] + ["--resume", str(model)]) == 0
    assert not checkpoint.exists()
    assert main(args(reference)) == 0
    assert (model / "weights.safetensors").read_bytes() == (reference / "weights.safetensors").read_bytes()
    resumed = json.loads((model / "model.json").read_text())["training"]["history"]
    assert [r["epoch"] for r in resumed] == list(range(1, STREAM_EPOCHS + 1))


def test_resuming_with_another_number_of_ranks_is_refused(tmp_path):
    """A checkpoint holds one random state per rank: it continues only on as many ranks."""
    import dataclasses as dc

    from multiclass.training.checkpoint import load_checkpoint, save_checkpoint

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)).astype(np.float32), rng.integers(0, 2, 200)
    config = TrainConfig(epochs=2, verbose=False)
    checkpoint = tmp_path / "run.checkpoint.safetensors"
    train(build_model(ModelConfig(4, 2, (8,))), X, y, config, checkpoint=checkpoint)
    with safe_open(str(checkpoint), "np") as handle:
        run_id = json.loads(handle.metadata()["state"])["fingerprint"]
    state = load_checkpoint(checkpoint, run_id)
    save_checkpoint(checkpoint, dc.replace(state, generators=state.generators * 2, global_rngs=state.global_rngs * 2))
    with pytest.raises(DataError, match=r"the checkpoint was written by 2 rank\(s\); resume it with as many "
                                        r"\(this run has 1\)"):
        train(build_model(ModelConfig(4, 2, (8,))), X, y, TrainConfig(epochs=3, verbose=False),
              checkpoint=checkpoint, resume=True)
