"""Training progress: a line per epoch (flushed) when stderr is a file, the live bar on a terminal completed when
training stops early, ETA, seconds per epoch, the best epoch and the patience left, in English or Spanish; and
the final line of `train`, which says why training stopped and which epoch's weights the model has."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import multiclass
from multiclass.cli import main
from multiclass.language import speaking
from multiclass.training.progress import Display, make_progress

SOURCE = str(Path(multiclass.__file__).resolve().parents[1])


def _record(epoch: int) -> dict:
    return {"epoch": epoch, "train_loss": 1 / epoch, "val_loss": 1.5 / epoch, "val_macro_f1": 0.5 + epoch / 100}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_per_epoch_in_a_log_with_eta_speed_best_epoch_and_patience():
    stream = io.StringIO()
    with Display(10, patience=4, stream=stream) as display:
        for epoch in range(1, 4):
            display.epoch_done(_record(epoch), best_epoch=1, epochs_since_best=epoch - 1)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert re.fullmatch(r"train epoch 3/10  loss 0\.3333  val_loss 0\.5000  val_macro_f1 0\.5300  best epoch 1  "
                        r"patience 2/4  [\d.]+ s/epoch  at most \d+ (s|min) left", lines[2]), lines[2]


def test_log_every_writes_every_nth_epoch_and_always_the_last():
    stream = io.StringIO()
    with make_progress(True, 100, stream=stream, log_every=5) as display:
        for epoch in range(1, 13):  # early stopping at epoch 12
            display.epoch_done(_record(epoch), best_epoch=epoch)
    epochs = [int(re.match(r"train epoch (\d+)/100", line)[1]) for line in stream.getvalue().splitlines()]
    assert epochs == [5, 10, 12]


def test_min_interval_writes_a_line_once_that_many_seconds_passed_and_always_the_last(monkeypatch):
    """The search's stacks in a log (`log_policy`): a line when 10 s have passed since the last one, and the last."""
    import multiclass.training.progress as progress

    clock = iter([0.0, 3.0, 7.0, 11.0, 12.0, 19.0, 22.0, 23.0])  # the start, then each epoch's end
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    stream = io.StringIO()
    with make_progress(True, 100, stream=stream, log_every=1, min_interval=10.0, label="search") as display:
        for epoch in range(1, 8):  # every candidate stopped at epoch 7
            display.advance(f"{epoch}/3 training")
    epochs = [int(re.match(r"search epoch (\d+)/100", line)[1]) for line in stream.getvalue().splitlines()]
    assert epochs == [3, 6, 7]  # at 11 s, at 22 s (11 s after), and the last
    assert progress.log_policy("search", io.StringIO()) == (1, progress.SEARCH_LOG_SECONDS)
    assert progress.log_policy("search", _Terminal()) == (None, 0.0)  # the live bar
    assert progress.log_policy("sweep", io.StringIO()) == (None, 0.0)  # a line an epoch


def test_progress_speaks_spanish():
    stream = io.StringIO()
    with speaking("es"), Display(3, patience=2, stream=stream) as display:
        display.epoch_done(_record(1), best_epoch=1)
    line = stream.getvalue()
    assert line.startswith("entrenamiento época 1/3  pérdida 1,0000  pérdida_val 1,5000  f1_macro_val 0,5100  "
                           "mejor época 1  paciencia 2/2  ") and "s/época" in line and "restantes" in line


def test_the_bar_is_completed_where_training_stopped():
    stream = _Terminal()
    with Display(10, patience=2, stream=stream) as display:
        for epoch in range(1, 7):
            display.epoch_done(_record(epoch), best_epoch=4, epochs_since_best=epoch - 4)
    screen = stream.getvalue()
    assert "6/6" in screen and "ended at epoch 6 of 10" in screen
    assert "epoch 6/10" not in screen  # no log lines on a terminal


def test_train_with_stderr_in_a_file_writes_a_line_per_epoch_while_it_runs(tmp_path):
    """CI logs, nohup, `2> train.log`: the lines are in the file while training runs, not only at its end."""
    log = tmp_path / "train.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-m", "multiclass", "train", "digits", "--recipe", "seed", "--epochs", "100000",
            "--patience", "none", "--batch-size", "1", "--out", str(tmp_path / "model")]
    with open(log, "w") as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        deadline, lines = time.monotonic() + 180, []
        while len(lines) < 3 and time.monotonic() < deadline:
            assert process.poll() is None, f"training ended before writing its progress: {log.read_text()}"
            time.sleep(0.2)
            lines = [line for line in log.read_text().splitlines() if line.startswith("train epoch")]
        assert process.poll() is None  # still running: the lines were written while it ran
        assert [line.split("  ")[0] for line in lines[:3]] == [f"train epoch {e}/100000" for e in (1, 2, 3)]
        assert all("s/epoch" in line and "left" in line for line in lines[:3])
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize(("argv", "english", "spanish"), [
    (["--epochs", "300", "--patience", "2", "--lr", "0.05"],
     r"training stopped early after epoch (\d+) of 300: val_loss had not improved for 2 epochs; the weights of "
     r"epoch (\d+) were restored \(the best val_loss: \d\.\d{4}\)\.",
     r"el entrenamiento se detuvo antes de tiempo tras la época (\d+) de 300: val_loss no mejoraba desde hacía 2 "
     r"épocas; se restauraron los pesos de la época (\d+) \(el mejor val_loss: \d,\d{4}\)\."),
    (["--epochs", "3"],
     r"training ran all 3 epochs; the weights of epoch (\d+) were restored \(the best val_loss: \d\.\d{4}\)\.",
     r"el entrenamiento completó las 3 épocas; se restauraron los pesos de la época (\d+) \(el mejor val_loss: "
     r"\d,\d{4}\)\."),
])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_final_line_says_why_training_stopped(tmp_path, capsys, argv, english, spanish, lang):
    assert main(["train", "iris", *argv, "--quiet", "--lang", lang, "--out", str(tmp_path / "m")]) == 0
    out = re.sub(r"\s+", " ", capsys.readouterr().out)  # sentences wrap at the width
    found = re.search(english if lang == "en" else spanish, out)
    assert found, out
    if "early" in english:
        assert int(found[1]) - int(found[2]) == 2  # stopped `patience` epochs after the restored best


def test_the_stop_line_says_when_the_loss_had_converged():
    """A loss that still fell, by less than `LOSS_TOLERANCE`, after the last epoch that kept the run going: the
    best epoch is then fewer than `patience` epochs back, and "had not improved for 10 epochs" would be false."""
    from types import SimpleNamespace

    from multiclass.cli.summary import stop_line
    from multiclass.training import TrainConfig

    history = [{"epoch": e, "val_score": 0.5 - 1e-6 * e} for e in range(1, 29)]
    trained = SimpleNamespace(train_config=TrainConfig(epochs=500, patience=10), history=history, best_epoch=25,
                              stop_reason="early_stopping", recipe={})
    assert stop_line(trained, "en") == ("training stopped after epoch 28 of 500: val_loss had fallen by less than "
                                        "0.0001 in 10 epochs (converged); the weights of epoch 25 were restored "
                                        "(the best val_loss: 0.5000).")
    assert stop_line(trained, "es").startswith("el entrenamiento se detuvo tras la época 28 de 500: val_loss había "
                                               "bajado menos de 0,0001 en 10 épocas (convergió)")
    trained.best_epoch = 18  # the best epoch 10 back: the plain words
    assert "val_loss had not improved for 10 epochs; the weights of epoch 18" in stop_line(trained, "en")
