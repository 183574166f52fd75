"""Out-of-fold models: each never sees its fold, the stacked engine equals `train` on the same rows, per-model rows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from multiclass.audit import folds as folds_module
from multiclass.audit.folds import FoldRecipe, out_of_fold_probabilities, plan_folds, stratified_folds
from multiclass.exceptions import ConfigError, DataError
from multiclass.models import ModelConfig, build_model
from multiclass.sweep import expand_grid
from multiclass.sweep import loop as sweep_loop
from multiclass.sweep.loop import train_stacked
from multiclass.sweep.rows import own_order
from multiclass.training import TrainConfig, train

QUICK = TrainConfig(epochs=3, batch_size=64, patience=None, verbose=False, engine="eager")


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:600], y[:600]


def test_plan_partitions_rows_and_keeps_each_fold_out_of_its_model():
    labels = np.repeat(np.arange(4), [50, 31, 7, 12])
    plan = plan_folds(labels, 5, 0.1, seed=3)
    assert len({len(rows) for rows in plan.train_rows}) == 1  # one training length for the stack
    for j, (rows, val) in enumerate(zip(plan.train_rows, plan.val_rows)):
        outside = np.flatnonzero(plan.fold != j)
        np.testing.assert_array_equal(np.sort(np.concatenate([rows, val])), outside)
        assert not np.intersect1d(rows, val).size
    counts = np.stack([np.bincount(labels[plan.fold == j], minlength=4) for j in range(5)])  # (folds, K)
    assert (counts.max(axis=0) - counts.min(axis=0)).max() <= 1  # stratified
    assert np.ptp(np.bincount(plan.fold)) <= 1


def test_stratified_folds_are_seeded():
    labels = np.arange(100) % 3
    np.testing.assert_array_equal(stratified_folds(labels, 4, seed=1), stratified_folds(labels, 4, seed=1))
    assert (stratified_folds(labels, 4, seed=1) != stratified_folds(labels, 4, seed=2)).any()


@pytest.mark.parametrize("engine", ["stacked", "separate"])
def test_no_fold_model_sees_its_own_fold(small, engine, monkeypatch):
    """Spy on what each model is fed: the stacked epochs' row orders, or the rows `train` receives (recognised by
    a feature holding the row number)."""
    X, y = small
    X = np.hstack([X, np.arange(len(X), dtype=np.float32)[:, None]])  # column 64: the row number
    seen: dict[int, set] = {}
    if engine == "stacked":
        original = sweep_loop._Stack.run_epoch

        def spy(self, X_tr, y_tr, order, *args):
            for row, model in enumerate(self.active):
                seen.setdefault(model, set()).update(order[row].tolist())
            return original(self, X_tr, y_tr, order, *args)

        monkeypatch.setattr(sweep_loop._Stack, "run_epoch", spy)
    else:
        original = folds_module.train

        def spy(model, X_tr, y_tr, config, *, X_val, y_val, classes):
            seen[len(seen)] = set(X_tr[:, -1].astype(int).tolist()) | set(X_val[:, -1].astype(int).tolist())
            return original(model, X_tr, y_tr, config, X_val=X_val, y_val=y_val, classes=classes)

        monkeypatch.setattr(folds_module, "train", spy)
    result = out_of_fold_probabilities(X, y, folds=4, recipe=FoldRecipe(hidden=(8,), config=QUICK), engine=engine)
    for j in range(4):
        own = set(np.flatnonzero(result.plan.fold == j).tolist())
        assert seen[j] and not seen[j] & own
    assert result.probs.shape == (len(y), 10)
    np.testing.assert_allclose(result.probs.sum(axis=1), 1, atol=1e-12)


def test_out_of_fold_probabilities_are_deterministic_for_a_seed(small):
    X, y = small
    recipe = FoldRecipe(hidden=(8,), config=dataclasses.replace(QUICK, seed=7))
    first = out_of_fold_probabilities(X, y, folds=3, recipe=recipe, engine="stacked")
    again = out_of_fold_probabilities(X, y, folds=3, recipe=recipe, engine="stacked")
    np.testing.assert_array_equal(first.probs, again.probs)
    other = out_of_fold_probabilities(X, y, folds=3, recipe=FoldRecipe(hidden=(8,), config=QUICK), engine="stacked")
    assert (other.probs != first.probs).any()


def test_stacked_fold_models_equal_train_on_the_same_rows(small):
    """Dropout 0: each stacked fold model trains and early-stops as `train` (the eager reference) does on its
    rows, so both engines give the same out-of-fold probabilities to float rounding."""
    X, y = small
    config = TrainConfig(epochs=10, batch_size=32, lr=0.05, monitor="val_macro_f1", patience=1, verbose=False,
                         engine="eager")
    recipe = FoldRecipe(hidden=(16, 8), config=config)
    stacked = out_of_fold_probabilities(X, y, folds=4, recipe=recipe, engine="stacked")
    separate = out_of_fold_probabilities(X, y, folds=4, recipe=recipe, engine="separate")
    assert stacked.best_epochs == separate.best_epochs and stacked.stop_reasons == separate.stop_reasons
    assert len(set(stacked.best_epochs)) > 1  # the models stopped on their own validation, at different epochs
    for a, b in zip(stacked.histories, separate.histories):
        for key in ("train_loss", "val_loss", "val_accuracy", "val_macro_f1"):
            np.testing.assert_allclose([r[key] for r in a], [r[key] for r in b], rtol=1e-4, atol=2e-5, err_msg=key)
    np.testing.assert_allclose(stacked.probs, separate.probs, atol=1e-4)


def test_train_stacked_with_rows_of_unequal_length_cycles_the_shorter(small):
    """The longest set is not cycled, so its model equals `train` on it; a shorter order is cycled to length."""
    X, y = small
    rows = [np.arange(0, 400), np.arange(100, 350)]
    val = [np.arange(400, 500), np.arange(450, 600)]
    trials = expand_grid("seed=0,1", QUICK, n_features=64, n_classes=10, hidden=(8,))
    results = train_stacked(trials, X, y, X, y, rows=rows, val_rows=val)
    model = build_model(ModelConfig(64, 10, (8,)), seed=0)
    alone = train(model, X[rows[0]], y[rows[0]], QUICK, X_val=X[val[0]], y_val=y[val[0]])
    np.testing.assert_allclose([r["val_loss"] for r in results[0].history], [r["val_loss"] for r in alone.history],
                               rtol=1e-4)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(results[0].state[name], value, rtol=1e-4, atol=2e-5)
    order = own_order(torch.arange(10, 17), 10, torch.Generator().manual_seed(0))
    assert len(order) == 10 and set(order.tolist()) == set(range(10, 17))


def test_train_stacked_row_messages(small):
    X, y = small
    trials = expand_grid("seed=0,1", QUICK, n_features=64, n_classes=10, hidden=(8,))
    with pytest.raises(ValueError, match=r"`rows` must hold one index array per trial \(2\); got 1"):
        train_stacked(trials, X, y, X, y, rows=[np.arange(10)])
    with pytest.raises(ValueError, match=r"`val_rows\[1\]` must be a non-empty 1-D array of row indices in \[0, 600\)"):
        train_stacked(trials, X, y, X, y, val_rows=[np.arange(10), np.array([600])])


def test_fold_messages(small):
    X, y = small
    with pytest.raises(ConfigError, match=r"`engine` must be one of \['auto', 'stacked', 'separate'\]; got 'gpu'"):
        out_of_fold_probabilities(X, y, engine="gpu")
    with pytest.raises(ConfigError, match=r"`folds` must be an integer >= 2; got 1"):
        out_of_fold_probabilities(X, y, folds=1)
    with pytest.raises(DataError, match=r"`folds` \(5\) must not exceed the number of rows \(3\)"):
        out_of_fold_probabilities(X[:3], y[:3], folds=5)
    with pytest.raises(ConfigError, match=r"`val_split` must be > 0 for an audit"):
        out_of_fold_probabilities(X, y, recipe=FoldRecipe(config=TrainConfig(val_split=0)))
    with pytest.raises(ConfigError, match=r"the stacked engine trains float32 models without `lr_patience`"):
        out_of_fold_probabilities(X, y, recipe=FoldRecipe(config=TrainConfig(lr_patience=2)), engine="stacked")
    with pytest.raises(DataError, match=r"fold 0: the 2 rows outside it are too few to both train and early-stop"):
        out_of_fold_probabilities(X[:3], np.array([0, 1, 2]), folds=3)
