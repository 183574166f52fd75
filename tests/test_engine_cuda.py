"""The CUDA-graph engine. Its step logic (device-side batch selection, device-scalar Adam) is tested here on the
CPU with graphs off; the tests that capture graphs need a GPU and are skipped without one."""

import contextlib
import warnings

import numpy as np
import pytest
import torch

from multiclass.engine import (
    CudaGraphEngine,
    EagerEngine,
    FusedEngine,
    Objective,
)
from multiclass.exceptions import EngineFallbackWarning
from multiclass.engine import cuda_graph as cuda_graph_module
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
RTOL = 1e-4  # as tests/test_engine.py: three epochs of digits agree to ~1e-7 relative on the CPU
ATOL_WEIGHTS = 1e-5


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # see tests/test_engine.py: keeps the autograd reference fast on a busy machine
    yield
    torch.set_num_threads(before)


def _objective(kind: str, device="cpu") -> tuple[Objective, bool]:
    """(objective, soft targets?) for a named case."""
    weight = torch.linspace(0.5, 2.0, 10, device=device)
    return {
        "plain": (Objective(), False),
        "l2_smoothing": (Objective(l2=1e-3, label_smoothing=0.1), False),
        "weighted_smoothing": (Objective(class_weight=weight, label_smoothing=0.2), False),
        "soft_weighted": (Objective(class_weight=weight, label_smoothing=0.1), True),
    }[kind]


def _epochs(engine_class, X, y, objective, *, device="cpu", hidden=(16,), epochs=3, batch=32, dropout=0.0, **kw):
    model = build_model(ModelConfig(X.shape[1], 10, hidden, dropout=dropout), seed=0).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, foreach=True)
    engine = engine_class(model, X, y, objective, batch, optimizer, **kw)
    generator = torch.Generator(device=device).manual_seed(0)
    losses = [engine.run_epoch(torch.randperm(len(X), generator=generator, device=device)) for _ in range(epochs)]
    return model, optimizer, losses, engine


def _data(digits, soft: bool, device="cpu"):
    X, y = (torch.from_numpy(a).to(device) for a in digits)
    if soft:
        y = torch.eye(10, device=device)[y] * 0.7 + 0.03
    return X, y


@pytest.mark.parametrize("kind", ["plain", "l2_smoothing", "weighted_smoothing", "soft_weighted"])
def test_graph_step_run_eagerly_on_cpu_equals_the_eager_engine(digits, kind):
    """Batches picked on the device by a cursor, Adam with device-tensor scalars: same training as autograd.
    1,797 rows / 32 = 56 full batches + a 5-row tail."""
    objective, soft = _objective(kind)
    X, y = _data(digits, soft)
    model_a, opt_a, losses_a, _ = _epochs(EagerEngine, X, y, objective)
    model_b, opt_b, losses_b, engine = _epochs(CudaGraphEngine, X, y, objective, use_graphs=False)
    assert engine.backend == "eager"
    np.testing.assert_allclose(losses_b, losses_a, rtol=RTOL)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pb, pa, rtol=RTOL, atol=ATOL_WEIGHTS)
        assert float(opt_b.state[pb]["step"]) == float(opt_a.state[pa]["step"]) == 3 * 57


def test_graph_step_follows_lr_changes_between_epochs(digits):
    """lr is a device tensor refilled from the param group each epoch, so schedulers keep working."""
    X, y = _data(digits, False)
    results = []
    for engine_class, kw in ((EagerEngine, {}), (CudaGraphEngine, {"use_graphs": False})):
        model = build_model(ModelConfig(64, 10, (16,)), seed=0).train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, foreach=True)
        engine = engine_class(model, X, y, Objective(), 32, optimizer, **kw)
        generator = torch.Generator().manual_seed(0)
        losses = []
        for lr in (1e-2, 2e-3, 5e-4):
            optimizer.param_groups[0]["lr"] = lr
            losses.append(engine.run_epoch(torch.randperm(len(X), generator=generator)))
        results.append(losses)
    np.testing.assert_allclose(results[1], results[0], rtol=RTOL)


def test_fewer_rows_than_a_batch_runs_only_the_tail(digits):
    X, y = _data(digits, False)
    X, y = X[:20], y[:20]
    _, _, losses_a, _ = _epochs(EagerEngine, X, y, Objective())
    _, _, losses_b, engine = _epochs(CudaGraphEngine, X, y, Objective(), use_graphs=True)
    assert engine.n_full == 0 and not engine.use_graphs
    np.testing.assert_allclose(losses_b, losses_a, rtol=RTOL)


def test_steps_run_under_state_restored_leave_no_trace(digits):
    """Capture's warm-up steps change the weights, Adam's moments and the device counters; all are put back
    (the weights are leaves that require grad: restoring them must happen outside autograd)."""
    X, y = _data(digits, False)
    _, _, _, engine = _epochs(CudaGraphEngine, X, y, Objective(), epochs=1, use_graphs=False)
    before = [t.clone() for t in engine._state()]
    with engine._state_restored():
        engine.cursor.zero_()
        engine._batch_step()
        changed = [not torch.equal(t, b) for t, b in zip(engine._state(), before)]
        assert engine.cursor.item() == 1
    assert all(changed[: 3 * len(engine.adam.params)])  # the step did change the weights and both moments
    for tensor, value in zip(engine._state(), before):
        assert torch.equal(tensor, value)
    assert all(p.requires_grad for p in engine.adam.params)


# ------------------------------------------------------------------------------------------- on a GPU
@needs_cuda
@pytest.mark.parametrize("kind", ["plain", "l2_smoothing", "weighted_smoothing", "soft_weighted"])
def test_cuda_graphs_train_like_eager_on_the_gpu(digits, kind):
    objective, soft = _objective(kind, "cuda")
    X, y = _data(digits, soft, "cuda")
    model_a, _, losses_a, _ = _epochs(EagerEngine, X, y, objective, device="cuda")
    model_b, _, losses_b, engine = _epochs(CudaGraphEngine, X, y, objective, device="cuda")
    assert engine.backend == "cuda graphs" and engine.graphs is not None
    np.testing.assert_allclose(losses_b, losses_a, rtol=RTOL)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pb, pa, rtol=RTOL, atol=ATOL_WEIGHTS)


@needs_cuda
def test_auto_on_cuda_trains_with_graphs_like_eager(digits):
    runs = {}
    for engine in ("eager", "auto"):
        model = build_model(ModelConfig(64, 10, (16,)), seed=0)
        config = TrainConfig(epochs=3, verbose=False, device="cuda", engine=engine, patience=None)
        runs[engine] = train(model, *digits, config)
    assert runs["auto"].engine == "cuda_graph (cuda graphs)"
    np.testing.assert_allclose([r["train_loss"] for r in runs["auto"].history],
                               [r["train_loss"] for r in runs["eager"].history], rtol=RTOL)
    assert [r["val_accuracy"] for r in runs["auto"].history] == pytest.approx(
        [r["val_accuracy"] for r in runs["eager"].history], abs=0.012)  # 180 rows: two flips at most


@needs_cuda
def test_failed_capture_warns_once_and_trains_eagerly_with_the_same_numbers(digits, monkeypatch):
    @contextlib.contextmanager
    def broken_graph(*args, **kwargs):
        raise RuntimeError("simulated: operation not permitted when stream is capturing")
        yield

    monkeypatch.setattr(torch.cuda, "graph", broken_graph)
    monkeypatch.setattr(cuda_graph_module, "_warned", False)
    X, y = _data(digits, False, "cuda")
    with pytest.warns(EngineFallbackWarning, match=r"CUDA graph capture failed \(RuntimeError: simulated"):
        _, _, losses_b, engine = _epochs(CudaGraphEngine, X, y, Objective(), device="cuda")
    assert engine.backend == "eager"
    _, _, losses_a, _ = _epochs(EagerEngine, X, y, Objective(), device="cuda")
    np.testing.assert_allclose(losses_b, losses_a, rtol=RTOL)  # the warm-up steps were undone
    with warnings.catch_warnings():
        warnings.simplefilter("error", EngineFallbackWarning)  # once per process
        _epochs(CudaGraphEngine, X, y, Objective(), device="cuda", epochs=1)


@needs_cuda
def test_cuda_graph_dropout_is_seeded_and_trains(digits):
    def fit(seed):
        model = build_model(ModelConfig(64, 10, (64,), dropout=0.3), seed=0)
        config = TrainConfig(epochs=12, lr=3e-3, seed=seed, verbose=False, device="cuda", engine="cuda_graph")
        return train(model, *digits, config)

    a, b, c = fit(0), fit(0), fit(1)
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]
    assert [r["train_loss"] for r in a.history] != [r["train_loss"] for r in c.history]
    assert a.history[-1]["val_accuracy"] > 0.9


def _cuda_loop(digits, engine, **config):
    X, y = digits
    model = build_model(ModelConfig(64, 10, (64,)), seed=0)
    config = TrainConfig(verbose=False, device="cuda", engine=engine, **config)
    return model, train(model, X[:300], y[:300], config, X_val=X[300:], y_val=y[300:])


@needs_cuda
def test_cuda_graph_early_stopping_restores_the_best_epoch(digits):
    model, result = _cuda_loop(digits, "cuda_graph", epochs=200, lr=0.02, patience=3)
    assert result.stop_reason == "early_stopping" and result.best_epoch == result.n_epochs - 3
    X, y = digits
    with torch.no_grad():
        logits = model(torch.from_numpy(X[300:]).cuda())
        val_loss = float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(y[300:]).cuda()))
    assert val_loss == pytest.approx(result.best_score, rel=1e-5)


@needs_cuda
def test_cuda_graph_follows_the_learning_rate_schedule(digits):
    runs = {e: _cuda_loop(digits, e, epochs=12, lr=0.02, patience=None, lr_patience=1, lr_factor=0.5)[1]
            for e in ("eager", "cuda_graph")}
    lrs = [r["lr"] for r in runs["cuda_graph"].history]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < 0.02
    if lrs == [r["lr"] for r in runs["eager"].history]:  # same plateaus: then the same training
        np.testing.assert_allclose([r["train_loss"] for r in runs["cuda_graph"].history],
                                   [r["train_loss"] for r in runs["eager"].history], rtol=RTOL)


@needs_cuda
def test_fused_python_step_runs_on_the_gpu(digits):
    _, _, losses_a, _ = _epochs(EagerEngine, *_data(digits, False, "cuda"), Objective(), device="cuda")
    _, _, losses_b, engine = _epochs(FusedEngine, *_data(digits, False, "cuda"), Objective(), device="cuda")
    assert engine.backend == "python"
    np.testing.assert_allclose(losses_b, losses_a, rtol=RTOL)
