"""The CUDA-graph engine's step passed through ``torch.compile`` (``compile_step``): the same training as the
plain step, a warned fallback when compiling fails, and "auto" compiling long runs only. The compiled step is
tested on the CPU too (Inductor's C++ backend; graphs off); the tests that capture it need a GPU."""

import shutil

import numpy as np
import pytest
import torch

from multiclass.engine import CudaGraphEngine, EagerEngine, Objective
from multiclass.exceptions import EngineFallbackWarning
from multiclass.engine import cuda_graph as cuda_graph_module
from multiclass.exceptions import ConfigError
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train
from multiclass.training import sources as loop_module

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
RTOL = 1e-4  # as tests/test_engine_cuda.py


def _losses(engine_class, X, y, *, device="cpu", epochs=3, **kw):
    model = build_model(ModelConfig(X.shape[1], 10, (25, 15)), seed=0).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, foreach=True)
    engine = engine_class(model, X, y, Objective(l2=1e-4), 32, optimizer, **kw)
    generator = torch.Generator(device=device).manual_seed(0)
    losses = [engine.run_epoch(torch.randperm(len(X), generator=generator, device=device)) for _ in range(epochs)]
    return losses, model, engine


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="Inductor's CPU backend needs a C compiler")
def test_compiled_step_trains_like_the_plain_step_on_cpu(digits):
    """Compiling on a CPU (~20 s): graphs are off there, so this checks what the compiled step computes."""
    torch.set_num_threads(1)
    X, y = (torch.from_numpy(a) for a in digits)
    plain, model_a, _ = _losses(CudaGraphEngine, X, y, use_graphs=False)
    compiled, model_b, engine = _losses(CudaGraphEngine, X, y, use_graphs=False, compile_step=True)
    assert engine.backend == "eager, compiled"
    np.testing.assert_allclose(compiled, plain, rtol=RTOL)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pb, pa, rtol=RTOL, atol=1e-5)


def test_compile_failure_warns_and_trains_with_the_plain_step(digits, monkeypatch):
    def broken_compile(fn, **kwargs):
        def run():
            raise RuntimeError("simulated: no working C compiler")
        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    monkeypatch.setattr(cuda_graph_module, "_warned", False)
    X, y = (torch.from_numpy(a) for a in digits)
    with pytest.warns(EngineFallbackWarning, match=r"torch.compile could not compile .*\(RuntimeError: simulated"):
        fallback, _, engine = _losses(CudaGraphEngine, X, y, use_graphs=False, compile_step=True)
    assert engine.backend == "eager"
    reference, _, _ = _losses(EagerEngine, X, y)
    np.testing.assert_allclose(fallback, reference, rtol=RTOL)  # the failed attempt changed nothing


def test_auto_compiles_runs_of_enough_steps(digits, monkeypatch):
    asked = []

    def spy(*args, compile_step, **kwargs):
        asked.append(compile_step)
        return make_engine(*args, compile_step=compile_step, **kwargs)

    make_engine = loop_module.make_engine
    monkeypatch.setattr(loop_module, "make_engine", spy)
    X, y = digits[0][:320], digits[1][:320]  # 288 training rows: 9 batches per epoch
    monkeypatch.setattr(cuda_graph_module, "COMPILE_MIN_STEPS", 18)
    for epochs, mode in ((1, "auto"), (2, "auto"), (1, "always"), (2, "never")):
        train(build_model(ModelConfig(64, 10, (8,)), seed=0), X, y,
              TrainConfig(epochs=epochs, compile_step=mode, verbose=False, engine="eager"))
    assert asked == [False, True, True, False]
    assert cuda_graph_module.compile_pays_off(18) and not cuda_graph_module.compile_pays_off(17)


def test_compile_step_is_validated():
    with pytest.raises(ConfigError, match=r"`compile_step` must be one of \['auto', 'always', 'never'\]; got 'yes'"):
        TrainConfig(compile_step="yes")


@needs_cuda
def test_compiled_graphs_train_like_eager_on_the_gpu(digits):
    X, y = (torch.from_numpy(a).cuda() for a in digits)
    reference, model_a, _ = _losses(EagerEngine, X, y, device="cuda")
    compiled, model_b, engine = _losses(CudaGraphEngine, X, y, device="cuda", compile_step=True)
    assert engine.backend == "cuda graphs, compiled"
    np.testing.assert_allclose(compiled, reference, rtol=RTOL)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pb, pa, rtol=RTOL, atol=1e-5)


@needs_cuda
def test_compiled_graph_dropout_is_seeded(digits):
    def fit(seed):
        model = build_model(ModelConfig(64, 10, (64,), dropout=0.3), seed=0)
        config = TrainConfig(epochs=8, lr=3e-3, seed=seed, verbose=False, device="cuda", engine="cuda_graph",
                             compile_step="always")
        return train(model, *digits, config)

    a, b, c = fit(0), fit(0), fit(1)
    assert a.engine == "cuda_graph (cuda graphs, compiled)"
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]
    assert [r["train_loss"] for r in a.history] != [r["train_loss"] for r in c.history]
    assert a.history[-1]["val_accuracy"] > 0.9

