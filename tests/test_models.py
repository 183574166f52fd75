"""The MLP: architecture, initialisation, configuration checks."""

import math

import numpy as np
import pytest
import torch

from multiclass.exceptions import ConfigError
from multiclass.models import ModelConfig, build_model


def test_default_model_is_the_seed_recipe():
    model = build_model(ModelConfig(n_features=784, n_classes=10))
    shapes = [tuple(linear.weight.shape) for linear in model.linears]
    assert shapes == [(25, 784), (15, 25), (10, 15)]  # Dense 25 relu -> Dense 15 relu -> 10 linear
    assert isinstance(model.act, torch.nn.ReLU)


def test_no_hidden_layer_is_softmax_regression():
    model = build_model(ModelConfig(n_features=4, n_classes=3, hidden=()))
    assert len(model.linears) == 1 and tuple(model.linears[0].weight.shape) == (3, 4)
    x = torch.randn(5, 4)
    torch.testing.assert_close(model(x), x @ model.linears[0].weight.T + model.linears[0].bias)


def test_model_returns_logits_not_probabilities():
    model = build_model(ModelConfig(n_features=3, n_classes=4, hidden=(8,)))
    logits = model(torch.randn(50, 3) * 10)
    assert logits.shape == (50, 4)
    assert not torch.allclose(logits.sum(dim=1), torch.ones(50))


def test_glorot_initialisation_and_zero_biases_are_seeded():
    a = build_model(ModelConfig(20, 5), seed=1)
    b = build_model(ModelConfig(20, 5), seed=1)
    c = build_model(ModelConfig(20, 5), seed=2)
    for la, lb, lc in zip(a.linears, b.linears, c.linears):
        fan_out, fan_in = la.weight.shape
        assert la.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))
        assert torch.equal(la.weight, lb.weight) and not torch.equal(la.weight, lc.weight)
        assert torch.count_nonzero(la.bias) == 0


def test_dropout_is_active_only_in_training_mode():
    model = build_model(ModelConfig(10, 3, hidden=(64,), dropout=0.5))
    x = torch.randn(4, 10)
    model.eval()
    torch.testing.assert_close(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_config_round_trips_through_a_dict():
    config = ModelConfig(7, 3, hidden=[16, 8], activation="tanh", dropout=0.25)
    assert config.hidden == (16, 8)
    assert ModelConfig(**config.to_dict()) == config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_features": 0}, r"`n_features` must be a positive integer; got 0\."),
        ({"n_classes": 1}, r"`n_classes` must be an integer >= 2 \(a classifier needs two classes\); got 1\."),
        ({"hidden": (25, 0)}, r"`hidden` sizes must all be positive integers; got \(25, 0\)\."),
        ({"activation": "swish"}, r"`activation` must be one of \[.*'relu'.*\]; got 'swish'\."),
        ({"dropout": 1.0}, r"`dropout` must be a float in \[0, 1\); got 1\.0\."),
    ],
)
def test_model_config_error_messages(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**{"n_features": 4, "n_classes": 3, **kwargs})


def test_predictions_of_a_wide_network_come_in_bounded_chunks_with_the_same_values():
    from multiclass.models import chunk_rows, predict_log_proba

    wide = build_model(ModelConfig(6, 5000, ()), seed=0)
    assert chunk_rows(wide) == (1 << 22) // 5000 == 838  # (rows x K) within 2**22 float32 entries
    assert chunk_rows(build_model(ModelConfig(784, 10, (25, 15)))) == 65536  # narrow: the row cap
    X = np.random.default_rng(0).standard_normal((2000, 6)).astype(np.float32)  # three chunks
    with torch.no_grad():
        expected = torch.log_softmax(wide(torch.tensor(X)).double(), dim=1).numpy()
    np.testing.assert_allclose(predict_log_proba(wide, X), expected, rtol=1e-6, atol=1e-6)
