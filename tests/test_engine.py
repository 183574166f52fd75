"""Engines: the fused engine (compiled and Python) trains exactly like the eager autograd reference.

The oracle is `EagerEngine` (autograd + torch.optim.Adam): for a fixed seed and no dropout, every engine must
give the same per-epoch losses and final weights to float rounding, across every loss option and architecture.
With dropout the masks come from another random stream, so only the accuracy reached is compared. Early
stopping, best-weight restore, the LR schedule and Ctrl-C are the loop's and must work whatever the engine.
"""

import numpy as np
import pytest
import torch

import multiclass.engine.fused as fused_module
from multiclass.engine import (
    EagerEngine,
    FusedEngine,
    Objective,
    compiled,
    make_engine,
    resolve_engine,
)
from multiclass.exceptions import ConfigError
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train

# Three epochs of digits (51 steps each) at float32: the engines agree to ~3e-7 relative; 1e-4 leaves room
# for other BLAS builds while still catching any wrong term (a missing factor moves losses by >1e-2).
RTOL = 1e-4
ATOL_WEIGHTS = 1e-5

CASES = {
    "plain": ({}, {}),
    "l2": ({}, {"l2": 1e-3}),
    "balanced": ({}, {"class_weight": "balanced"}),
    "mapping_weights": ({}, {"class_weight": {0: 3.0, 7: 0.5}}),
    "smoothing": ({}, {"label_smoothing": 0.1}),
    "balanced_smoothing": ({}, {"class_weight": "balanced", "label_smoothing": 0.2}),
    "soft": ({"soft": True}, {}),
    "soft_balanced_smoothing": ({"soft": True}, {"class_weight": "balanced", "label_smoothing": 0.1}),
    "softmax_regression": ({"hidden": ()}, {}),
    "deeper": ({"hidden": (32, 16, 8)}, {"l2": 1e-4}),
    "tanh": ({"activation": "tanh"}, {}),
    "sigmoid": ({"activation": "sigmoid"}, {}),
    "gelu": ({"activation": "gelu"}, {}),
    "elu": ({"activation": "elu"}, {}),
    "batch_7": ({}, {"batch_size": 7}),  # odd batches: the BLAS and loop remainders
}


def _targets(y, soft: bool):
    if not soft:
        return y
    rows = np.eye(10, dtype=np.float32)[y] * 0.7 + 0.03  # soft rows; the 0.03s sum to 1 with the 0.7
    return rows


def _train(digits, engine, case, epochs=3, **extra):
    model_kw, config_kw = CASES[case]
    model_kw = dict(model_kw)
    X, y = digits
    y = _targets(y, model_kw.pop("soft", False))
    model = build_model(ModelConfig(64, 10, **model_kw), seed=0)
    config = TrainConfig(epochs=epochs, verbose=False, engine=engine, patience=None, **{**config_kw, **extra})
    return model, train(model, X, y, config)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread for the autograd reference: on a busy 2-core machine its OpenMP threads otherwise
    wait on each other (measured 10x slower), which would only make these tests slow."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def python_fused(monkeypatch):
    """Make the fused engine run its Python step (as when no C compiler is available)."""
    monkeypatch.setattr(fused_module.compiled, "load", lambda: None)


@pytest.fixture(scope="module")
def eager_runs(digits):
    return {case: _train(digits, "eager", case) for case in CASES}


def _assert_same_training(reference, other):
    (model_a, a), (model_b, b) = reference, other
    np.testing.assert_allclose([r["train_loss"] for r in b.history], [r["train_loss"] for r in a.history], rtol=RTOL)
    np.testing.assert_allclose([r["val_loss"] for r in b.history], [r["val_loss"] for r in a.history], rtol=RTOL)
    for wa, wb in zip(model_a.state_dict().values(), model_b.state_dict().values()):
        torch.testing.assert_close(wb, wa, rtol=RTOL, atol=ATOL_WEIGHTS)


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_fused_trains_like_eager(digits, eager_runs, case):
    run = _train(digits, "fused", case)
    assert run[1].engine == "fused (compiled)", compiled.status()
    _assert_same_training(eager_runs[case], run)


@pytest.mark.parametrize("case", list(CASES))
def test_python_fused_trains_like_eager(digits, eager_runs, case, python_fused):
    run = _train(digits, "fused", case)
    assert run[1].engine == "fused (python)"
    _assert_same_training(eager_runs[case], run)


def _run_epochs(engine_class, X, y, epochs=2, objective=None, hidden=(16,), batch=32, **engine_kw):
    """Train `epochs` epochs with an engine built directly (no loop); return (model, optimizer, losses)."""
    model = build_model(ModelConfig(X.shape[1], 10, hidden), seed=0).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, foreach=True)
    engine = engine_class(model, X, y, objective or Objective(), batch, optimizer, **engine_kw)
    generator = torch.Generator().manual_seed(0)
    losses = [engine.run_epoch(torch.randperm(len(X), generator=generator)) for _ in range(epochs)]
    return model, optimizer, losses


@pytest.mark.parametrize("compile", [True, False])
def test_fused_keeps_adams_state_like_torch(digits, compile):
    """The fused engines write torch.optim.Adam's own state (step, exp_avg, exp_avg_sq) for every parameter."""
    X, y = (torch.from_numpy(a) for a in digits)
    model_a, opt_a, losses_a = _run_epochs(EagerEngine, X, y)
    model_b, opt_b, losses_b = _run_epochs(FusedEngine, X, y, compile=compile)
    np.testing.assert_allclose(losses_b, losses_a, rtol=RTOL)
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        sa, sb = opt_a.state[pa], opt_b.state[pb]
        assert float(sb["step"]) == float(sa["step"]) == 2 * 57  # ceil(1797 / 32) steps per epoch
        torch.testing.assert_close(sb["exp_avg"], sa["exp_avg"], rtol=RTOL, atol=1e-6)
        torch.testing.assert_close(sb["exp_avg_sq"], sa["exp_avg_sq"], rtol=RTOL, atol=1e-9)


def test_switching_engines_mid_training_continues_the_same_run(digits):
    """Adam's state lives in the optimiser, so eager then fused = fused then eager = eager throughout."""
    X, y = (torch.from_numpy(a) for a in digits)
    model = build_model(ModelConfig(64, 10, (16,)), seed=0).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, foreach=True)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for engine_class in (EagerEngine, FusedEngine):
        engine = engine_class(model, X, y, Objective(), 32, optimizer)
        losses.append(engine.run_epoch(torch.randperm(len(X), generator=generator)))
    reference, _, expected = _run_epochs(EagerEngine, X, y)
    np.testing.assert_allclose(losses, expected, rtol=RTOL)
    for pa, pb in zip(reference.parameters(), model.parameters()):
        torch.testing.assert_close(pb, pa, rtol=RTOL, atol=ATOL_WEIGHTS)


@pytest.mark.parametrize("compile", [True, False])
def test_dropout_trains_to_a_similar_accuracy(digits, monkeypatch, compile):
    if not compile:
        monkeypatch.setattr(fused_module.compiled, "load", lambda: None)
    X, y = digits
    accuracy = {}
    for engine in ("eager", "fused"):
        model = build_model(ModelConfig(64, 10, (64,), dropout=0.3), seed=0)
        result = train(model, X, y, TrainConfig(epochs=12, lr=3e-3, patience=None, verbose=False, engine=engine))
        accuracy[engine] = result.history[-1]["val_accuracy"]
    assert accuracy["fused"] > 0.9 and abs(accuracy["fused"] - accuracy["eager"]) < 0.04


def test_fused_dropout_is_seeded(digits):
    def losses(seed):
        model = build_model(ModelConfig(64, 10, (32,), dropout=0.3), seed=0)
        result = train(model, *digits, TrainConfig(epochs=2, seed=seed, verbose=False, engine="fused"))
        return [r["train_loss"] for r in result.history]

    assert losses(0) == losses(0) and losses(0) != losses(1)


def test_fused_dropout_off_in_evaluation(digits):
    """Masks are the engine's business: the model itself still drops nothing in eval mode."""
    model = build_model(ModelConfig(64, 10, (32,), dropout=0.5), seed=0)
    train(model, *digits, TrainConfig(epochs=1, verbose=False, engine="fused"))
    x = torch.from_numpy(digits[0][:5])
    torch.testing.assert_close(model(x), model(x))


# ---------------------------------------------------------------------------------- the loop, unchanged
def _loop_case(digits, engine, **config):
    X, y = digits
    model = build_model(ModelConfig(64, 10, (64,)), seed=0)
    config = TrainConfig(verbose=False, engine=engine, **config)
    return model, train(model, X[:300], y[:300], config, X_val=X[300:], y_val=y[300:])


def _val_loss(model, digits):
    X, y = digits
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(model(torch.from_numpy(X[300:])), torch.from_numpy(y[300:])))


def test_fused_early_stopping_restores_the_best_epoch(digits):
    model, result = _loop_case(digits, "fused", epochs=200, lr=0.02, patience=3)
    assert result.stop_reason == "early_stopping" and result.best_epoch == result.n_epochs - 3
    best = result.history[result.best_epoch - 1]
    assert best["val_loss"] == min(r["val_loss"] for r in result.history) == result.best_score
    assert _val_loss(model, digits) == pytest.approx(best["val_loss"], rel=1e-5)


def test_fused_restores_the_best_weights_when_epochs_run_out(digits):
    model, result = _loop_case(digits, "fused", epochs=25, lr=0.02, patience=None)
    assert result.stop_reason == "max_epochs" and result.best_epoch < 25
    assert _val_loss(model, digits) == pytest.approx(result.best_score, rel=1e-5)


def test_fused_follows_the_learning_rate_schedule_like_eager(digits):
    runs = {e: _loop_case(digits, e, epochs=12, lr=0.02, patience=None, lr_patience=1, lr_factor=0.5)[1]
            for e in ("eager", "fused")}
    lrs = [r["lr"] for r in runs["fused"].history]
    assert lrs == [r["lr"] for r in runs["eager"].history] and lrs[-1] < 0.02
    np.testing.assert_allclose([r["train_loss"] for r in runs["fused"].history],
                               [r["train_loss"] for r in runs["eager"].history], rtol=RTOL)


def test_ctrl_c_during_a_fused_epoch_keeps_the_best_weights(digits, monkeypatch):
    calls = {"n": 0}
    original = FusedEngine.run_epoch

    def epoch_then_interrupt(self, order):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, order)

    monkeypatch.setattr(FusedEngine, "run_epoch", epoch_then_interrupt)
    model = build_model(ModelConfig(64, 10, (16,)), seed=0)
    result = train(model, *digits, TrainConfig(epochs=50, verbose=False, engine="fused"))
    assert result.stop_reason == "interrupted" and result.n_epochs == 3
    assert result.best_epoch == min(range(1, 4), key=lambda e: result.history[e - 1]["val_loss"])


def test_training_leaves_the_thread_count_alone(digits):
    torch.set_num_threads(2)  # the engine runs its epoch on one thread and must give the caller's setting back
    try:
        train(build_model(ModelConfig(64, 10, (8,))), *digits, TrainConfig(epochs=1, verbose=False, engine="fused"))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


# ---------------------------------------------------------------------------------- choosing an engine
def test_auto_picks_fused_on_cpu(digits):
    _, result = _train(digits, "auto", "plain", epochs=1)
    assert result.engine.startswith("fused (")
    _, result = _train(digits, "eager", "plain", epochs=1)
    assert result.engine == "eager (autograd)"


def test_auto_uses_eager_for_models_the_fused_step_does_not_know(digits):
    model = torch.nn.Sequential(torch.nn.Linear(64, 10))
    assert resolve_engine("auto", torch.device("cpu"), model) == "eager"
    with pytest.raises(ConfigError, match=r"`engine` 'fused' trains float32 MLPs with a known activation"):
        resolve_engine("fused", torch.device("cpu"), model)


def test_cuda_graph_engine_needs_cuda():
    model = build_model(ModelConfig(4, 3, (5,)))
    with pytest.raises(ConfigError, match=r"`engine` 'cuda_graph' needs a CUDA device; got device 'cpu'\. Use 'auto'\."):
        make_engine("cuda_graph", model, torch.zeros(4, 4), torch.zeros(4, dtype=torch.int64), Objective(), 2,
                    torch.optim.Adam(model.parameters()))


def test_engine_config_error_message():
    with pytest.raises(ConfigError, match=r"`engine` must be one of \['auto', 'eager', 'fused', 'cuda_graph'\]; "
                                          r"got 'turbo'\."):
        TrainConfig(engine="turbo")
    assert TrainConfig().engine == "auto" and TrainConfig().to_dict()["engine"] == "auto"
