"""`sweep` end to end: grid order, the leaderboard, the best model rebuilt, saved and reloaded; its errors."""

import math

import numpy as np
import pytest
import torch

import multiclass.sweep.loop as sweep_module
from multiclass.exceptions import ConfigError, DataError
from multiclass.persistence import load_model, save_model
from multiclass.jobs.sweep import sweep
from multiclass.sweep import TrialResult, expand_grid, leaderboard_to_dict
from multiclass.sweep.leaderboard import leaderboard
from multiclass.data.split import stratified_split
from multiclass.training import TrainConfig

BASE = TrainConfig(epochs=4, batch_size=64, patience=None, verbose=False)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread (as tests/test_engine.py): on a busy 2-core machine OpenMP threads otherwise wait on
    each other (measured 10x slower for the stacked and the eager loop alike), which only makes tests slow."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def result(digits):
    X, y = digits
    return sweep(X, y, grid="lr=1e-3,3e-2;seed=0,1", config=BASE, hidden=(16,))


def test_results_follow_the_grid_and_the_leaderboard_ranks_by_macro_f1(result):
    assert [dict(r.trial.params) for r in result.results] == [
        {"lr": 1e-3, "seed": 0}, {"lr": 1e-3, "seed": 1}, {"lr": 3e-2, "seed": 0}, {"lr": 3e-2, "seed": 1}]
    board = result.leaderboard()
    assert [row.rank for row in board] == [1, 2, 3, 4]
    scores = [row.val_macro_f1 for row in board]
    assert scores == sorted(scores, reverse=True)
    assert {row.index for row in board[:2]} == {2, 3}  # lr 3e-2 learns far more in 4 epochs than 1e-3
    top = board[0]
    record = result.results[top.index].history[top.best_epoch - 1]
    assert (top.val_loss, top.val_accuracy, top.val_macro_f1) == (
        record["val_loss"], record["val_accuracy"], record["val_macro_f1"])
    assert top.n_epochs == 4 and top.stop_reason == "max_epochs" and result.best_index == top.index


def test_every_configuration_is_scored_on_one_split_by_the_base_seed(result, digits):
    X, y = digits
    _, val_idx = stratified_split(y, BASE.val_split, seed=BASE.seed)
    np.testing.assert_array_equal(result.X_val, X[val_idx])
    np.testing.assert_array_equal(result.y_val, y[val_idx])


def test_best_model_unstacked_scores_as_the_leaderboard_says_and_survives_saving(result, tmp_path):
    trained = result.trained_model()
    top = result.leaderboard()[0]
    probs = trained.predict_proba(result.X_val)
    assert np.mean(probs.argmax(1) == result.y_val) == pytest.approx(top.val_accuracy)
    assert trained.validation["macro_f1"] == pytest.approx(top.val_macro_f1)
    assert trained.validation["log_loss"] == pytest.approx(top.val_loss, rel=1e-5)
    assert trained.train_config.lr == 3e-2 and trained.best_epoch == top.best_epoch
    save_model(trained, tmp_path / "best")
    loaded = load_model(tmp_path / "best")
    np.testing.assert_array_equal(loaded.predict_proba(result.X_val), probs)
    assert loaded.classes == tuple(str(c) for c in range(10))


def test_shapes_and_batch_sizes_train_as_separate_stacks_in_grid_order(digits, monkeypatch):
    X, y = digits
    config = TrainConfig(epochs=1, patience=None, verbose=False)
    mixed = sweep(X, y, grid="hidden=8,4x4;batch=32,128", config=config)
    assert [r.trial.stack_key[::2] for r in mixed.results] == [((8,), 32), ((8,), 128), ((4, 4), 32), ((4, 4), 128)]
    assert [mixed.model(i).config.hidden for i in range(4)] == [(8,), (8,), (4, 4), (4, 4)]
    whole = sweep(X, y, grid="seed=0,1,2", config=config, hidden=(8,))
    monkeypatch.setattr(sweep_module, "MAX_STACK", 2)  # three models train as stacks of 2 and 1
    chunked = sweep(X, y, grid="seed=0,1,2", config=config, hidden=(8,))
    for a, b in zip(whole.results, chunked.results):
        assert a.history[0]["val_loss"] == pytest.approx(b.history[0]["val_loss"], rel=1e-6)


def test_recall_monitor_and_class_names(blobs):
    X, y = blobs
    config = TrainConfig(epochs=3, patience=1, monitor="val_recall:b", verbose=False)
    result = sweep(X, y, grid={"lr": [1e-2]}, config=config, hidden=(4,), classes=["a", "b", "c"])
    (run,) = result.results
    assert result.classes == ("a", "b", "c") and run.monitor == "val_recall:b"
    assert all(0 <= r["val_score"] <= 1 and "val_recall" not in r for r in run.history)


def _fake(f1, loss, params):
    trial = expand_grid(None, BASE, n_features=2, n_classes=2)[0]
    history = [{"val_macro_f1": f1, "val_loss": loss, "val_accuracy": 0.5}]
    return TrialResult(trial=trial.__class__(params, trial.train_config, trial.model_config), history=history,
                       best_epoch=1)


def test_leaderboard_breaks_ties_by_loss_then_grid_order_and_ranks_nan_last():
    results = [_fake(0.8, 0.5, (("seed", 0),)), _fake(math.nan, 0.1, (("seed", 1),)),
               _fake(0.8, 0.4, (("seed", 2),)), _fake(0.9, 0.9, (("seed", 3),)), _fake(0.8, 0.4, (("seed", 4),))]
    assert [row.index for row in leaderboard(results)] == [3, 2, 4, 0, 1]
    plain = leaderboard_to_dict(leaderboard(results))
    assert plain[-1]["val_macro_f1"] is None and plain[0]["params"] == {"seed": 3}


def test_errors(digits):
    X, y = digits
    with pytest.raises(ConfigError, match=r"`val_split` must be > 0 for a sweep"):
        sweep(X, y, config=TrainConfig(val_split=0.0, verbose=False))
    with pytest.raises(ConfigError, match=r"`lr_patience` is not supported by sweep; got 2"):
        sweep(X, y, config=TrainConfig(lr_patience=2, verbose=False))
    with pytest.raises(DataError, match=r"`y` must be 1-D integer class codes for a sweep; got shape \(1797, 2\)"):
        sweep(X, np.zeros((len(X), 2), dtype=np.int64))
    with pytest.raises(DataError, match=r"`X_val` and `y_val` must be given together"):
        sweep(X, y, X_val=X[:10])
    with pytest.raises(ConfigError, match=r"grid key `lr`: `lr` must be a finite number > 0; got -1\.0\."):
        sweep(X, y, grid="lr=-1")
