"""Mixed precision (`TrainConfig(precision="bfloat16")`): bfloat16 matrix products, float32 everything else.

The hand-written step's bfloat16 gradients are checked against autograd through the same casts (an exact
oracle: same kernels, same roundings); training in bfloat16 is checked to reach the float32 accuracy on digits,
on the eager engine (torch.autocast) and on the CUDA-graph step (run eagerly on the CPU; captured on a GPU).
"""

import numpy as np
import pytest
import torch

from multiclass.engine import AdamState, CudaGraphEngine, FusedStep, Objective, resolve_engine
from multiclass.exceptions import ConfigError
from multiclass.models import ModelConfig, build_model
from multiclass.jobs.sweep import sweep
from multiclass.training import TrainConfig, train

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def reference_grads(model, x, y, l2):
    """Autograd through the casts the bfloat16 step makes: products of bfloat16 operands, float32 elsewhere."""
    h = x
    for i, linear in enumerate(model.linears):
        z = torch.mm(h.bfloat16(), linear.weight.bfloat16().t()).float() + linear.bias
        h = torch.relu(z) if i < len(model.linears) - 1 else z
    loss = torch.nn.functional.cross_entropy(h, y)
    loss = loss + l2 * sum((w ** 2).sum() for w in model.weight_matrices())
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return loss.detach(), grads


@pytest.mark.parametrize("l2", [0.0, 1e-3])
def test_the_bfloat16_step_has_autograds_gradients_through_the_same_casts(digits, l2):
    X, y = digits
    model = build_model(ModelConfig(64, 10, (32, 16)), seed=1)
    x, target = torch.tensor(X[:64]), torch.tensor(y[:64])
    optimizer = torch.optim.Adam(model.parameters())
    step = FusedStep(model, Objective(l2=l2), AdamState(optimizer, list(model.parameters())),
                     compute_dtype=torch.bfloat16)
    with torch.no_grad():
        loss, grads = step.forward_backward(x, target)
    expected_loss, expected = reference_grads(model, x, target, l2)
    assert float(loss) == pytest.approx(float(expected_loss), rel=1e-6)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    with torch.no_grad():  # and it is not the float32 step: the products were rounded
        fp32_step = FusedStep(model, Objective(l2=l2), AdamState(optimizer, list(model.parameters())))
        _, fp32_grads = fp32_step.forward_backward(x, target)
    assert max(float((a - b).abs().max()) for a, b in zip(grads, fp32_grads)) > 1e-6


def fit(digits, precision, engine="auto", epochs=8, device="cpu"):
    X, y = digits
    model = build_model(ModelConfig(64, 10, (32,)), seed=0)
    config = TrainConfig(epochs=epochs, val_split=0.2, patience=None, precision=precision, engine=engine,
                         verbose=False, device=device)
    result = train(model, X, y, config)
    accuracy = result.history[-1]["val_accuracy"]
    return result, accuracy


def test_bfloat16_autocast_on_the_eager_engine_trains_like_float32(digits):
    fp32, fp32_accuracy = fit(digits, "float32", engine="eager")
    bf16, bf16_accuracy = fit(digits, "bfloat16")  # auto on a CPU: eager with autocast
    assert bf16.engine == "eager (autograd, bfloat16 autocast)"
    assert abs(bf16_accuracy - fp32_accuracy) <= 0.02 and bf16_accuracy > 0.9
    losses = np.array([r["train_loss"] for r in bf16.history])
    np.testing.assert_allclose(losses, [r["train_loss"] for r in fp32.history], rtol=0.05)


def test_the_cuda_graph_step_in_bfloat16_trains_like_float32_on_the_cpu(digits):
    X, y = digits
    runs = {}
    for precision in ("float32", "bfloat16"):
        model = build_model(ModelConfig(64, 10, (32,)), seed=0)
        optimizer = torch.optim.Adam(model.parameters())
        engine = CudaGraphEngine(model, torch.tensor(X), torch.tensor(y), Objective(), 32, optimizer,
                                 precision=precision)  # graphs need CUDA: the same step, eagerly
        generator = torch.Generator().manual_seed(0)
        runs[precision] = [engine.run_epoch(torch.randperm(len(X), generator=generator)) / len(X) for _ in range(5)]
        with torch.no_grad():
            runs[precision + " accuracy"] = float((model(torch.tensor(X)).argmax(1) == torch.tensor(y)).float().mean())
    assert engine.backend == "eager, bfloat16"
    np.testing.assert_allclose(runs["bfloat16"], runs["float32"], rtol=0.05)
    assert abs(runs["bfloat16 accuracy"] - runs["float32 accuracy"]) <= 0.02


def test_precision_choices_and_the_engines_that_take_them(digits):
    model = build_model(ModelConfig(64, 10, (8,)), seed=0)
    with pytest.raises(ConfigError, match=r"`precision` must be one of \['float32', 'bfloat16'\]; got 'float16'"):
        TrainConfig(precision="float16")
    with pytest.raises(ConfigError, match=r"`engine` 'fused' trains in float32; with `precision` 'bfloat16' use"):
        TrainConfig(precision="bfloat16", engine="fused")
    with pytest.raises(ConfigError, match=r"`engine` 'fused' trains in float32"):
        resolve_engine("fused", torch.device("cpu"), model, "bfloat16")
    assert resolve_engine("auto", torch.device("cpu"), model, "bfloat16") == "eager"
    assert resolve_engine("auto", torch.device("cpu"), model, "float32") == "fused"
    assert resolve_engine("auto", torch.device("cuda"), model, "bfloat16") == "cuda_graph"
    X, y = digits
    with pytest.raises(ConfigError, match=r"`precision` 'bfloat16' is not supported by sweep"):
        sweep(X, y, grid={"lr": [1e-3]}, config=TrainConfig(precision="bfloat16", epochs=1, verbose=False))


@pytest.mark.parametrize(("flag", "key", "value"), [("--precision", "precision", "bfloat16"),
                                                     ("--compile-step", "compile_step", "never")])
def test_the_cli_passes_the_engine_settings_and_saves_them(tmp_path, digits, flag, key, value):
    import json

    from multiclass.cli import main

    X, y = digits
    np.savez(tmp_path / "d.npz", X=X[:400], y=y[:400])
    assert main(["train", str(tmp_path / "d.npz"), flag, value, "--hidden", "16", "--epochs", "2",
                 "--quiet", "--out", str(tmp_path / "m")]) == 0
    document = json.loads((tmp_path / "m" / "model.json").read_text())
    assert document["train_config"][key] == value
    assert main(["train", str(tmp_path / "d.npz"), flag, "sometimes"]) == 2


@needs_cuda
def test_cuda_graphs_in_bfloat16_replay_the_eager_bfloat16_step(digits):
    X, y = digits
    losses = {}
    for use_graphs in (False, True):
        model = build_model(ModelConfig(64, 10, (32,)), seed=0).cuda()
        optimizer = torch.optim.Adam(model.parameters())
        engine = CudaGraphEngine(model, torch.tensor(X).cuda(), torch.tensor(y).cuda(), Objective(), 32, optimizer,
                                 use_graphs=use_graphs, precision="bfloat16")
        generator = torch.Generator().manual_seed(0)
        losses[use_graphs] = [engine.run_epoch(torch.randperm(len(X), generator=generator).cuda())
                              for _ in range(3)]
    assert engine.backend == "cuda graphs, bfloat16"
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-5)


def test_streamed_training_in_bfloat16_learns_like_float32(tmp_path, digits):
    import pandas as pd

    from multiclass.jobs import fit_stream

    X, y = digits
    frame = pd.DataFrame(X[:1200], columns=[f"f{i}" for i in range(64)]).assign(label=y[:1200])
    frame.to_parquet(tmp_path / "d.parquet")
    accuracy = {}
    for precision in ("float32", "bfloat16"):
        config = TrainConfig(epochs=6, precision=precision, patience=None, verbose=False, val_split=0.2)
        trained = fit_stream(tmp_path / "d.parquet", target="label", hidden=(32,), config=config).trained
        accuracy[precision] = trained.validation["accuracy"]
    assert trained.history[-1]["epoch"] == 6 and accuracy["bfloat16"] > 0.85
    assert abs(accuracy["bfloat16"] - accuracy["float32"]) <= 0.03
