"""The compiled CPU epoch: built once per machine, cached, safe under concurrent first use, and when it cannot be
built the fused engine falls back to the Python step, logging why and giving the same numbers."""

import logging
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import multiclass.engine.fused as fused_module
import multiclass.native as native
from multiclass.engine import FusedEngine, Objective, compiled
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train

BUILD_BUDGET_S = 60  # the brief's ceiling for a first build; gcc takes about a second


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # see tests/test_engine.py: keeps the autograd reference fast on a busy machine
    yield
    torch.set_num_threads(before)


@pytest.fixture
def fresh_build(monkeypatch, tmp_path):
    """An empty cache directory and a module that has not tried to build yet (restored afterwards)."""
    monkeypatch.setenv("MULTICLASS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MULTICLASS_NO_COMPILE", raising=False)
    for name, value in {"_LIB": None, "_SGEMM": None, "_STATUS": "not built yet", "_TRIED": False}.items():
        monkeypatch.setattr(compiled, name, value)
    return tmp_path


def _fit(digits, **config):
    model = build_model(ModelConfig(64, 10, (16,)), seed=0)
    result = train(model, *digits, TrainConfig(epochs=2, verbose=False, engine="fused", **config))
    return [r["train_loss"] for r in result.history], torch.cat([p.detach().flatten() for p in model.parameters()]), result


def test_first_use_builds_into_the_cache_then_reuses_it(fresh_build, monkeypatch):
    tic = time.perf_counter()
    assert compiled.load() is not None
    assert time.perf_counter() - tic < BUILD_BUDGET_S
    assert compiled.status().startswith("compiled")
    built = list((fresh_build / "multiclass" / "engine").glob("fused-*.so"))
    assert len(built) == 1
    # A second process (here: a fresh module state) finds the library and never runs the compiler.
    monkeypatch.setattr(compiled, "_TRIED", False)
    monkeypatch.setattr(native.subprocess, "run", lambda *a, **k: pytest.fail("rebuilt a cached library"))
    assert compiled.load() is not None


def test_concurrent_first_builds_build_once(fresh_build):
    """Two processes starting on an empty cache: the file lock makes one build and the other reuse it."""
    script = textwrap.dedent("""
        import logging, sys
        logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
        from multiclass.engine import compiled
        assert compiled.load() is not None, compiled.status()
    """)
    env = {**os.environ, "MULTICLASS_CACHE_DIR": str(fresh_build)}
    processes = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=BUILD_BUDGET_S * 2) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert sum(out.count("compiling the fused CPU engine") for out, _ in outputs) == 1, outputs
    assert len(list((fresh_build / "multiclass" / "engine").glob("fused-*.so"))) == 1
    assert not list((fresh_build / "multiclass" / "engine").glob("tmp*"))  # no half-written leftovers


def test_failed_build_falls_back_to_the_python_step_with_the_same_numbers(fresh_build, monkeypatch, digits, caplog):
    def broken_compiler(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, stdout="", stderr="fused.c:1: error: simulated failure")

    monkeypatch.setattr(native.subprocess, "run", broken_compiler)
    with caplog.at_level(logging.INFO, logger="multiclass.engine"):
        losses, weights, result = _fit(digits)
    assert result.engine == "fused (python)"
    assert compiled.status().startswith("unavailable: RuntimeError:") and "simulated failure" in compiled.status()
    assert "using the Python step" in caplog.text
    # The reference: the Python step chosen on purpose.
    monkeypatch.setattr(fused_module.compiled, "load", lambda: None)
    expected_losses, expected_weights, _ = _fit(digits)
    assert losses == expected_losses and torch.equal(weights, expected_weights)


def test_no_compiler_or_opt_out_means_python(fresh_build, monkeypatch, digits):
    monkeypatch.setattr(native, "find_compiler", lambda: None)
    assert compiled.load() is None and "no C compiler found" in compiled.status()
    monkeypatch.setattr(compiled, "_TRIED", False)
    monkeypatch.setenv("MULTICLASS_NO_COMPILE", "1")
    assert compiled.load() is None and "MULTICLASS_NO_COMPILE is set" in compiled.status()
    assert _fit(digits)[2].engine == "fused (python)"


def test_compiled_and_python_steps_agree(digits, monkeypatch):
    compiled_run = _fit(digits, l2=1e-3, label_smoothing=0.1, class_weight="balanced")
    assert compiled_run[2].engine == "fused (compiled)", compiled.status()
    monkeypatch.setattr(fused_module.compiled, "load", lambda: None)
    python_run = _fit(digits, l2=1e-3, label_smoothing=0.1, class_weight="balanced")
    np.testing.assert_allclose(compiled_run[0], python_run[0], rtol=1e-5)
    torch.testing.assert_close(compiled_run[1], python_run[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("hidden", [(), (5,), (13, 6)])
def test_built_in_loops_agree_with_blas(digits, hidden):
    """Without a BLAS ``sgemm_`` (e.g. a torch build that does not export one) the C loops do the products."""
    if compiled.load() is None or compiled._SGEMM is None:
        pytest.skip(f"needs the compiled engine with BLAS: {compiled.status()}")
    X, y = (torch.from_numpy(a[:203]) for a in digits)  # 203 rows, batch 9: remainders everywhere
    runs = []
    for sgemm in (compiled._SGEMM, None):
        model = build_model(ModelConfig(64, 10, hidden), seed=0)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        engine = FusedEngine(model, X, y, Objective(l2=1e-3), 9, optimizer)
        engine.runner.args.sgemm = sgemm
        losses = [engine.run_epoch(torch.randperm(len(X), generator=torch.Generator().manual_seed(e))) for e in range(3)]
        runs.append((losses, torch.cat([p.detach().flatten() for p in model.parameters()])))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-5)
    torch.testing.assert_close(runs[1][1], runs[0][1], rtol=1e-4, atol=1e-5)


def test_python_fallback_is_silent_by_default(fresh_build, monkeypatch, digits, recwarn):
    """Falling back is logged, not warned: a user without a compiler trains (more slowly) without noise."""
    monkeypatch.setattr(native, "find_compiler", lambda: None)
    _fit(digits)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_an_epoch_cut_into_several_calls_is_the_same_epoch(digits, monkeypatch):
    """Long epochs run as several compiled calls (so Ctrl-C is seen); the cut must not change a single bit."""
    runs = []
    for steps_per_call in (10_000, 7):
        monkeypatch.setattr(fused_module, "STEPS_PER_CALL", steps_per_call)
        runs.append(_fit(digits, l2=1e-3))
    assert runs[0][2].engine == "fused (compiled)", compiled.status()
    assert torch.equal(runs[0][1], runs[1][1])
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-12)  # the loss sum is added up in another order
