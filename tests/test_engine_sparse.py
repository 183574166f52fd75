"""multiclass.engine.sparse: the step on each batch's terms is the densified reference step where every term is in
every batch, lazy Adam (absent terms' columns and moments untouched) where not, and a resumed run is bit-identical."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.engine.adam import make_optimizer
from multiclass.engine.sparse import SparseEngine, batch_terms
from multiclass.engine.step import Objective
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train


def weights(model) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


@given(st.integers(1, 12), st.integers(1, 30), st.floats(0.0, 1.0), st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_batch_terms_are_the_used_columns_densified(rows, vocabulary, density, seed):
    X = sp.random(rows, vocabulary, density=density, format="csr", random_state=seed, dtype=np.float32)
    terms, block = batch_terms(X)
    np.testing.assert_array_equal(terms, np.unique(X.indices))
    np.testing.assert_array_equal(block, X.toarray()[:, terms])


@pytest.mark.parametrize("hidden, options", [((), {}), ((8, 5), {"l2": 1e-3, "class_weight": "balanced",
                                                                  "label_smoothing": 0.1})])
def test_every_term_in_every_batch_trains_as_the_densified_reference(hidden, options):
    """No zero in the rows: each batch uses every term, so lazy Adam is Adam and the two engines agree."""
    rng = np.random.default_rng(2)
    dense = rng.uniform(0.1, 1.0, size=(300, 12)).astype(np.float32)
    y = np.argmax(dense @ rng.normal(size=(12, 3)), axis=1)
    config = TrainConfig(epochs=3, lr=1e-2, val_split=0.2, verbose=False, **options)
    lazy, reference = (build_model(ModelConfig(12, 3, hidden), seed=3) for _ in range(2))
    found = train(lazy, sp.csr_matrix(dense), y, config)
    expected = train(reference, sp.csr_matrix(dense), y, dataclasses.replace(config, engine="eager"))
    assert found.engine.startswith("sparse (lazy Adam") and expected.engine.startswith("stream (autograd")
    np.testing.assert_allclose(weights(lazy), weights(reference), rtol=0, atol=2e-6)
    for mine, theirs in zip(found.history, expected.history, strict=True):
        for key in ("train_loss", "val_loss", "val_accuracy", "val_macro_f1"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-5), key


def test_a_step_moves_only_the_columns_of_the_batch_terms_as_adam_on_those_columns_alone():
    """The oracle: torch.optim.Adam (the eager engine's) on a network whose first layer holds only the batch's
    terms, initialised with the same columns."""
    rng = np.random.default_rng(4)
    X = sp.random(16, 50, density=0.05, format="csr", random_state=5, dtype=np.float32)
    y = rng.integers(0, 3, size=16)
    terms = np.unique(X.indices)
    model = build_model(ModelConfig(50, 3, (6,)), seed=1)
    small = build_model(ModelConfig(len(terms), 3, (6,)), seed=1)
    with torch.no_grad():
        small.linears[0].weight.copy_(model.linears[0].weight[:, terms])
        for mine, theirs in zip(list(model.parameters())[1:], list(small.parameters())[1:]):
            theirs.copy_(mine)
    before = model.linears[0].weight.detach().clone()
    objective = Objective(l2=1e-3)
    optimizer = make_optimizer("stream", model.parameters(), 1e-2)
    SparseEngine(model, objective, optimizer, torch.device("cpu")).run_epoch([(X, y, 16)])
    reference = torch.optim.Adam(small.parameters(), lr=1e-2)
    logits = small(torch.from_numpy(X.toarray()[:, terms]))
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)) + 1e-3 * sum(
        (w**2).sum() for w in small.weight_matrices())
    loss.backward()
    reference.step()
    after = model.linears[0].weight.detach()
    absent = np.setdiff1d(np.arange(50), terms)
    assert torch.equal(after[:, absent], before[:, absent])
    state = optimizer.state[model.linears[0].weight]
    assert not state["exp_avg"][:, absent].any() and not state["exp_avg_sq"][:, absent].any()
    torch.testing.assert_close(after[:, terms], small.linears[0].weight.detach(), rtol=0, atol=1e-6)
    for mine, theirs in zip(list(model.parameters())[1:], list(small.parameters())[1:]):
        torch.testing.assert_close(mine.detach(), theirs.detach(), rtol=0, atol=1e-6)


def test_text_trains_on_the_sparse_engine_by_default_and_the_reference_on_request(text_like):
    X, y = text_like
    found = train(build_model(ModelConfig(400, 3, (8,))), X, y, TrainConfig(epochs=2, verbose=False))
    assert found.engine == "sparse (lazy Adam on each batch's terms, sparse rows)"
    reference = train(build_model(ModelConfig(400, 3, (8,))), X, y, TrainConfig(epochs=2, verbose=False,
                                                                                  engine="eager"))
    assert reference.engine == "stream (autograd, sparse rows)"


def test_a_resumed_sparse_run_is_bit_identical(tmp_path, text_like):
    X, y = text_like
    config = TrainConfig(epochs=6, verbose=False, lr_patience=2, patience=None, l2=1e-4)
    reference = build_model(ModelConfig(400, 3, (16,), dropout=0.2))
    train(reference, X, y, config)
    checkpoint = tmp_path / "run.checkpoint.safetensors"
    train(build_model(ModelConfig(400, 3, (16,), dropout=0.2)), X, y, dataclasses.replace(config, epochs=3),
          checkpoint=checkpoint)
    resumed = build_model(ModelConfig(400, 3, (16,), dropout=0.2))
    result = train(resumed, X, y, config, checkpoint=checkpoint, resume=True)
    assert [r["epoch"] for r in result.history] == list(range(1, 7))
    for a, b in zip(reference.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


def test_bfloat16_autocast_trains_sparse_rows_close_to_float32(text_like):
    X, y = text_like
    runs = {}
    for precision in ("float32", "bfloat16"):
        model = build_model(ModelConfig(400, 3, (8,)), seed=0)
        result = train(model, X, y, TrainConfig(epochs=3, lr=1e-2, verbose=False, precision=precision))
        runs[precision] = (result, weights(model))
    assert runs["bfloat16"][0].engine.endswith("bfloat16 autocast, sparse rows)")
    assert np.isfinite(runs["bfloat16"][1]).all()
    # Adam follows the gradients' signs, so a few weights part ways; the fit does not
    low, full = (runs[p][0].history[-1]["val_loss"] for p in ("bfloat16", "float32"))
    assert low == pytest.approx(full, rel=0.02)
