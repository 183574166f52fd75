"""Stacked networks: forward equals each `MLP`, the hand-written gradients equal autograd's, Adam equals torch's."""

import pytest
import torch
import torch.nn.functional as F

from multiclass.models import ACTIVATIONS, ModelConfig, build_model
from multiclass.sweep.stacked import StackedAdam, StackedMLP, cross_entropy_and_grad

M, B, N_FEATURES, N_CLASSES = 3, 5, 6, 4


def _stack(hidden=(7, 5), activation="relu", dtype=torch.float64):
    config = ModelConfig(N_FEATURES, N_CLASSES, hidden, activation)
    models = [build_model(config, seed=seed).to(dtype) for seed in range(M)]
    return models, StackedMLP.from_models(models)


@pytest.mark.parametrize("smoothing", [None, [0.0, 0.1, 0.3]])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_and_grad_equal_torch(smoothing, weighted):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(M, B, N_CLASSES, generator=generator, dtype=torch.float64) * 3
    labels = torch.randint(0, N_CLASSES, (M, B), generator=generator)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64) if weighted else None
    eps = torch.tensor(smoothing, dtype=torch.float64).view(-1, 1, 1) if smoothing else None
    loss, grad = cross_entropy_and_grad(logits, labels, smoothing=eps, class_weight=weight)
    reference = logits.clone().requires_grad_()
    expected = torch.stack([
        F.cross_entropy(reference[m], labels[m], weight=weight, label_smoothing=smoothing[m] if smoothing else 0.0)
        for m in range(M)
    ])
    expected.sum().backward()
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad, reference.grad, rtol=1e-12, atol=1e-12)


def test_stack_round_trips_every_models_state_and_forward():
    models, stack = _stack()
    x = torch.randn(M, B, N_FEATURES, dtype=torch.float64)
    logits, _ = stack.forward(x)
    for m, model in enumerate(models):
        for name, value in model.state_dict().items():
            torch.testing.assert_close(stack.state_dict(m)[name], value, rtol=0, atol=0)
        torch.testing.assert_close(logits[m], model(x[m]), rtol=1e-12, atol=1e-12)
    shared = stack.logits_shared(x[0])  # every model on the same rows
    for m, model in enumerate(models):
        torch.testing.assert_close(shared[m], model(x[0]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("hidden", [(7, 5), ()])
def test_backward_equals_autograd_with_l2_dropout_and_smoothing(activation, hidden):
    """The hand-written gradient of each model's (smoothed, weighted) loss + l2 * sum(W^2), through its dropout
    masks, against autograd on the same stacked parameters."""
    _, stack = _stack(hidden, activation)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(M, B, N_FEATURES, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, N_CLASSES, (M, B), generator=generator)
    keep = torch.tensor([1.0, 0.7, 0.5], dtype=torch.float64).view(-1, 1, 1)
    eps = torch.tensor([0.0, 0.1, 0.2], dtype=torch.float64).view(-1, 1, 1)
    l2 = torch.tensor([0.0, 1e-2, 1e-1], dtype=torch.float64)
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64)
    logits, cache = stack.forward(x, keep, torch.Generator().manual_seed(2))
    loss, grad_logits = cross_entropy_and_grad(logits, labels, smoothing=eps, class_weight=weight)
    stack.backward(cache, grad_logits, (2 * l2).view(-1, 1, 1))

    theta = stack.theta.clone().requires_grad_()
    h, masks = x, cache[3]
    layers = stack.views(theta)
    for i, (w, b) in enumerate(layers):
        h = torch.baddbmm(b, h, w.transpose(1, 2))
        if i < len(layers) - 1:
            h = getattr(F, activation)(h) * masks[i]
    total = sum(
        F.cross_entropy(h[m], labels[m], weight=weight, label_smoothing=float(eps[m]))
        + l2[m] * sum(w[m].pow(2).sum() for w, _ in layers)
        for m in range(M)
    )
    total.backward()
    torch.testing.assert_close(stack.grad, theta.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(loss.sum() + stack.penalty(l2).sum(), total.detach(), rtol=1e-12, atol=1e-12)
    assert len(masks) == len(hidden)
    if hidden:
        assert torch.all(masks[0][0] == 1)  # keep = 1: the model without dropout is untouched


def test_dropout_masks_keep_about_the_keep_fraction_and_rescale():
    _, stack = _stack(hidden=(400,), dtype=torch.float32)
    keep = torch.tensor([1.0, 0.8, 0.5]).view(-1, 1, 1)
    _, cache = stack.forward(torch.randn(M, 50, N_FEATURES), keep, torch.Generator().manual_seed(0))
    mask = cache[3][0]  # (M, 50, 400)
    for m, k in enumerate([1.0, 0.8, 0.5]):
        assert set(mask[m].unique().tolist()) <= {0.0, 1 / k}
        assert abs(float((mask[m] > 0).float().mean()) - k) < 0.02


@pytest.mark.parametrize("lrs", [[1e-2, 1e-2, 1e-2], [1e-3, 1e-2, 3e-2]])
def test_adam_equals_torch_adam_per_model_and_after_dropping_models(lrs):
    models, stack = _stack(dtype=torch.float32)
    optimizer = StackedAdam(stack, lrs)
    references = [torch.optim.Adam(model.parameters(), lr=lr) for model, lr in zip(models, lrs)]
    generator = torch.Generator().manual_seed(3)
    rows = torch.tensor([0, 2])
    for step in range(6):
        if step == 3:  # model 1 stops: the stack and the optimizer keep rows 0 and 2
            new = stack.select(rows)
            optimizer = optimizer.select(stack, new, rows)
            stack, models, references = new, [models[0], models[2]], [references[0], references[2]]
        stack.grad.copy_(torch.randn(stack.grad.shape, generator=generator))
        for m, (model, reference) in enumerate(zip(models, references)):
            state = {name: g for name, g in StackedMLP(stack.config, stack.grad, stack.n_models).state_dict(m).items()}
            for name, parameter in model.named_parameters():
                parameter.grad = state[name].clone()
            reference.step()
        optimizer.step(stack.theta)
        for m, model in enumerate(models):
            for name, value in model.state_dict().items():
                torch.testing.assert_close(stack.state_dict(m)[name], value, rtol=1e-6, atol=1e-7)
