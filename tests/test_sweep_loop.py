"""Stacked training equals training each configuration alone; per-model early stopping; dropout; the RNG."""

import dataclasses

import numpy as np
import pytest
import torch

from multiclass.models import build_model
from multiclass.sweep import expand_grid
from multiclass.sweep.loop import train_stacked
from multiclass.classes import resolve_class_weight
from multiclass.data.split import stratified_split
from multiclass.training import TrainConfig, train


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread (as tests/test_engine.py): on a busy 2-core machine OpenMP threads otherwise wait on
    each other (measured 10x slower for the stacked and the eager loop alike), which only makes tests slow."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def split(digits):
    X, y = digits
    train_idx, val_idx = stratified_split(y, 0.2, seed=0)
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx]


def _alone(trial, split, class_weight=None):
    """The configuration trained alone by the eager reference loop (autograd + torch.optim.Adam)."""
    X_tr, y_tr, X_va, y_va = split
    config = trial.train_config
    if "engine" in {f.name for f in dataclasses.fields(config)}:  # newer TrainConfig: pin the reference engine
        config = dataclasses.replace(config, engine="eager")
    model = build_model(trial.model_config, seed=config.seed)
    return model, train(model, X_tr, y_tr, config, X_val=X_va, y_val=y_va)


def _assert_same(stacked, alone, model, *, atol=2e-5):
    assert stacked.n_epochs == alone.n_epochs and stacked.best_epoch == alone.best_epoch
    assert stacked.stop_reason == alone.stop_reason
    for key in ("train_loss", "val_loss", "val_accuracy", "val_macro_f1", "val_score"):
        np.testing.assert_allclose([r[key] for r in stacked.history], [r[key] for r in alone.history],
                                   rtol=1e-4, atol=atol, err_msg=key)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(stacked.state[name], value, rtol=1e-4, atol=atol)


def test_stacked_training_equals_each_configuration_alone(split):
    base = TrainConfig(epochs=3, batch_size=64, patience=None, verbose=False)
    trials = expand_grid("lr=3e-3,3e-2;l2=0,1e-3;seed=0,1", base, n_features=64, n_classes=10, hidden=(16, 8))
    results = train_stacked(trials, *split)
    for trial, stacked in zip(trials, results):
        model, alone = _alone(trial, split)
        _assert_same(stacked, alone, model)
    assert len({round(r.history[-1]["train_loss"], 6) for r in results}) == len(trials)  # all different models


def test_label_smoothing_class_weight_and_tanh_equal_alone(split):
    base = TrainConfig(epochs=2, batch_size=128, patience=None, class_weight={0: 3.0, 5: 0.5}, verbose=False)
    trials = expand_grid("label_smoothing=0,0.2;seed=3", base, n_features=64, n_classes=10, hidden=(12,),
                         activation="tanh")
    weight = resolve_class_weight(base.class_weight, np.bincount(split[1], minlength=10))
    results = train_stacked(trials, *split, class_weight=weight)
    for trial, stacked in zip(trials, results):
        model, alone = _alone(trial, split)
        _assert_same(stacked, alone, model)


def test_each_model_stops_on_its_own_epoch_and_keeps_its_best_weights(split):
    """A large learning rate stops early; the others keep training in the smaller stack and still equal their
    lone runs; every model's weights are those of its own best epoch."""
    base = TrainConfig(epochs=12, batch_size=64, patience=2, monitor="val_loss", verbose=False)
    trials = expand_grid("lr=0.3,1e-3,3e-2", base, n_features=64, n_classes=10, hidden=(16,))
    results = train_stacked(trials, *split)
    stops = [r.n_epochs for r in results]
    assert results[0].stop_reason == "early_stopping" and results[1].stop_reason == "max_epochs"
    assert len(set(stops)) >= 2 and min(stops) < 12
    for trial, stacked in zip(trials, results):
        model, alone = _alone(trial, split)
        _assert_same(stacked, alone, model, atol=1e-4)
        losses = [r["val_loss"] for r in stacked.history]
        assert stacked.best_epoch == int(np.argmin(losses)) + 1
        assert stacked.best_score == pytest.approx(min(losses))
    # The restored weights give the best epoch's validation loss, not the last epoch's.
    first = results[0]
    assert first.best_epoch < first.n_epochs
    model = build_model(trials[0].model_config)
    model.load_state_dict(first.state)
    with torch.no_grad():
        logits = model(torch.from_numpy(split[2]))
    val_loss = float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(split[3])))
    assert val_loss == pytest.approx(first.best_record["val_loss"], rel=1e-5)


def test_dropout_is_per_model_seeded_and_leaves_dropout_free_models_exact(split):
    base = TrainConfig(epochs=2, batch_size=64, patience=None, verbose=False)
    trials = expand_grid("dropout=0,0.5", base, n_features=64, n_classes=10, hidden=(16,))
    first, second = train_stacked(trials, *split), train_stacked(trials, *split, dropout_seed=0)
    assert [r["train_loss"] for r in first[1].history] == [r["train_loss"] for r in second[1].history]
    other = train_stacked(trials, *split, dropout_seed=1)
    assert first[1].history[-1]["train_loss"] != other[1].history[-1]["train_loss"]
    model, alone = _alone(trials[0], split)  # the dropout-free model is unaffected by its neighbour's masks
    _assert_same(first[0], alone, model)
    assert first[1].history[-1]["train_loss"] > first[0].history[-1]["train_loss"]  # dropout slows fitting


def test_stacked_training_leaves_the_global_rng_untouched(split):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    base = TrainConfig(epochs=1, patience=None, verbose=False)
    train_stacked(expand_grid("dropout=0.3;seed=0,1", base, n_features=64, n_classes=10, hidden=(8,)), *split)
    torch.testing.assert_close(torch.rand(3), expected)


def test_a_keep_last_trial_runs_its_epochs_and_keeps_the_last_weights_beside_one_that_keeps_its_best(split):
    """A fixed-length trial (`Trial.keep_last`) keeps its last epoch's weights, while a trial of the same stack on
    the same path restores its own best epoch: each state's validation loss is that of its epoch's record."""
    base = TrainConfig(epochs=12, batch_size=64, patience=None, monitor="val_loss", verbose=False)
    best, last = expand_grid("lr=0.3", base, n_features=64, n_classes=10, hidden=(16,)) * 2
    last = dataclasses.replace(last, keep_last=True)
    kept, fixed = train_stacked([best, last], *split)
    losses = [r["val_loss"] for r in fixed.history]
    assert fixed.stop_reason == "fixed_length" and kept.stop_reason == "max_epochs"
    assert fixed.n_epochs == fixed.best_epoch == 12 and fixed.best_score == pytest.approx(losses[-1])
    assert kept.best_epoch == int(np.argmin(losses)) + 1 < 12  # lr 0.3: the loss's best epoch is not the last
    for result, epoch in ((fixed, 12), (kept, kept.best_epoch)):
        model = build_model(last.model_config)
        model.load_state_dict(result.state)
        with torch.no_grad():
            logits = model(torch.from_numpy(split[2]))
        val_loss = float(torch.nn.functional.cross_entropy(logits, torch.from_numpy(split[3])))
        assert val_loss == pytest.approx(losses[epoch - 1], rel=1e-5)
