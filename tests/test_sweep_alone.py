"""Trials trained one by one on the compiled epoch (`multiclass.sweep.alone`) equal the same trials stacked; the
choice between the two; dropout, threads, the global RNG and Ctrl-C."""

import dataclasses
import io

import numpy as np
import pytest
import torch

import multiclass.sweep.alone as alone_module
import multiclass.sweep.loop as loop_module
from multiclass.classes import Watched, resolve_class_weight
from multiclass.data.split import stratified_split
from multiclass.engine import compiled
from multiclass.jobs.crossval import fold_rows
from multiclass.language import speaking
from multiclass.sweep import expand_grid
from multiclass.sweep.alone import alone_pays, train_group_alone
from multiclass.sweep.loop import train_stacked, train_trials
from multiclass.training import TrainConfig
from multiclass.training.progress import make_progress

pytestmark = pytest.mark.skipif(compiled.load() is None, reason="the compiled CPU engine needs a C compiler")


@pytest.fixture(scope="module")
def split(digits):
    X, y = digits
    train_idx, val_idx = stratified_split(y, 0.2, seed=0)
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx]


def _assert_same(alone, stacked, *, atol=5e-5):
    assert alone.n_epochs == stacked.n_epochs and alone.best_epoch == stacked.best_epoch
    assert alone.stop_reason == stacked.stop_reason
    assert set(alone.history[0]) == set(stacked.history[0])
    for key in ("train_loss", "val_loss", "val_accuracy", "val_macro_f1", "val_score"):
        np.testing.assert_allclose([r[key] for r in alone.history], [r[key] for r in stacked.history],
                                   rtol=1e-4, atol=atol, err_msg=key)
    assert alone.best_score == pytest.approx(stacked.best_score, rel=1e-4, abs=atol)
    for name, value in stacked.state.items():
        torch.testing.assert_close(alone.state[name], value, rtol=1e-4, atol=atol)


def test_each_trial_alone_equals_it_in_a_stack_with_early_stopping(split):
    base = TrainConfig(epochs=10, batch_size=64, patience=2, monitor="val_loss", verbose=False)
    trials = expand_grid("lr=0.3,3e-3;l2=0,1e-3", base, n_features=64, n_classes=10, hidden=(16, 8))
    alone, stacked = train_group_alone(trials, *split), train_stacked(trials, *split)
    assert alone[0].stop_reason == "early_stopping"  # lr 0.3 stops, the others may run on
    for one, other in zip(alone, stacked):
        _assert_same(one, other, atol=2e-4)  # lr 0.3 magnifies float rounding (tests/test_sweep_loop.py: 1e-4)
    assert len({round(r.history[-1]["train_loss"], 6) for r in alone}) == len(trials)


def test_class_weight_smoothing_and_a_watched_class_monitor_equal_the_stack(split):
    base = TrainConfig(epochs=4, batch_size=128, patience=None, monitor="val_recall:3", verbose=False)
    trials = expand_grid("label_smoothing=0,0.2", base, n_features=64, n_classes=10, hidden=(12,))
    weight = resolve_class_weight({0: 3.0, 5: 0.5}, np.bincount(split[1], minlength=10))
    watched = Watched((3,))
    alone = train_group_alone(trials, *split, class_weight=weight, recall_of=watched)
    stacked = train_stacked(trials, *split, class_weight=weight, recall_of=watched)
    for one, other in zip(alone, stacked):
        _assert_same(one, other)


def test_out_of_fold_models_on_their_own_rows_equal_the_stack(split):
    """Cross-validation's models (`multiclass.jobs.crossval`): each trains on its fold's rows and stops on the rest."""
    X, y = split[0], split[1]
    train_rows, val_rows = fold_rows(y, 3, seed=0)
    base = TrainConfig(epochs=5, batch_size=32, patience=2, verbose=False)
    trials = [dataclasses.replace(trial, params=(*trial.params, ("fold", j)))
              for trial in expand_grid("l2=0,1e-3", base, n_features=64, n_classes=10, hidden=(16,))
              for j in range(3)]
    rows = [train_rows[j % 3] for j in range(len(trials))]
    val = [val_rows[j % 3] for j in range(len(trials))]
    alone = train_group_alone(trials, X, y, X, y, rows=rows, val_rows=val)
    stacked = train_stacked(trials, X, y, X, y, rows=rows, val_rows=val)
    for one, other in zip(alone, stacked):
        _assert_same(one, other)


def test_dropout_alone_is_seeded_per_model_and_leaves_global_rng_and_threads_as_they_were(split):
    base = TrainConfig(epochs=2, batch_size=64, patience=None, verbose=False)
    trials = expand_grid("dropout=0.5;seed=0,1", base, n_features=64, n_classes=10, hidden=(16,))
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = train_group_alone(trials, *split)
    torch.testing.assert_close(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    second = train_group_alone(list(reversed(trials)), *split)[::-1]  # another order of the threads' work
    for one, other in zip(first, second):
        assert [r["train_loss"] for r in one.history] == [r["train_loss"] for r in other.history]
        for name, value in one.state.items():
            assert torch.equal(other.state[name], value)
    assert first[0].history[-1]["train_loss"] != first[1].history[-1]["train_loss"]


def test_the_choice_follows_the_cost_of_a_step_and_of_an_epoch():
    base = TrainConfig(epochs=5, batch_size=32, patience=None, verbose=False)
    small = expand_grid("l2=0,1e-4,1e-3,1e-2", base, n_features=8, n_classes=3, hidden=(25, 15))
    assert alone_pays(small, 3_000, "cpu")  # ~94 small steps an epoch: the stack pays dispatches for nothing
    assert not alone_pays(small * 5, 110, "cpu")  # 4 steps an epoch of 20 models: the stack shares them
    assert not alone_pays(small, 3_000, "cuda")
    assert alone_pays(small[:1], 3_000, "cpu")  # one model too: it trains beside another group's
    assert not alone_pays(small[:1], 64, "cpu")  # two steps an epoch: the stack's per-epoch costs are lower
    kept = [dataclasses.replace(small[0], keep_last=True), *small[1:]]
    assert not alone_pays(kept, 3_000, "cpu")  # the stack keeps a fixed-length trial's last epoch
    bfloat = [dataclasses.replace(t, train_config=dataclasses.replace(t.train_config, precision="bfloat16"))
              for t in small]
    assert not alone_pays(bfloat, 3_000, "cpu")


def test_train_trials_trains_a_group_alone_where_that_pays_and_stacked_elsewhere(split, monkeypatch):
    calls = []
    original = loop_module.train_group_alone
    monkeypatch.setattr(loop_module, "train_group_alone",
                        lambda trials, *a, **k: calls.append(len(trials)) or original(trials, *a, **k))
    base = TrainConfig(epochs=2, batch_size=32, patience=None, verbose=False)
    trials = expand_grid("l2=0,1e-3", base, n_features=64, n_classes=10, hidden=(8,))
    trials += [dataclasses.replace(trials[0], keep_last=True)]
    trials += expand_grid("l2=0,1e-3", dataclasses.replace(base, batch_size=1_000), n_features=64, n_classes=10)
    trials += expand_grid("l2=0", base, n_features=64, n_classes=10, hidden=(4,))
    results = train_trials(trials, *split)
    assert calls == [3]  # the (8,) group but its keep_last trial, and the (4,) one: in one pool
    assert [r.stop_reason for r in results] == ["max_epochs"] * 2 + ["fixed_length"] + ["max_epochs"] * 3
    reference = train_stacked(trials[:2], *split)
    for one, other in zip(results[:2], reference):
        _assert_same(one, other)
    assert results[2].stop_reason == "fixed_length"


def test_ctrl_c_ends_the_models_training_and_starts_no_more(split, monkeypatch):
    def interrupted(futures, return_when):
        raise KeyboardInterrupt

    monkeypatch.setattr(alone_module, "wait", interrupted)
    base = TrainConfig(epochs=50, batch_size=16, patience=None, verbose=False)
    trials = expand_grid("l2=0,1e-4,1e-3,1e-2;seed=0,1", base, n_features=64, n_classes=10, hidden=(16,))
    results = train_group_alone(trials, *split)
    assert all(r.stop_reason == "interrupted" for r in results)
    assert all(r.n_epochs < 50 for r in results)
    assert sum(r.n_epochs == 0 for r in results) >= len(trials) - torch.get_num_threads()
    for result in results:
        if result.n_epochs:
            assert set(result.state) == {f"linears.{i}.{p}" for i in (0, 1) for p in ("weight", "bias")}
    with pytest.raises(KeyboardInterrupt):
        train_trials(trials, *split, reraise=True)


@pytest.mark.parametrize("lang, words", [("en", ("search model 1/2", "s/model")),
                                         ("es", ("búsqueda modelo 1/2", "s/modelo"))])
def test_progress_counts_models_when_they_train_one_by_one(lang, words):
    stream = io.StringIO()
    with speaking(lang), make_progress(True, 2, label="search", stream=stream, unit="model") as display:
        display.advance("1/2 trained")
        display.advance("2/2 trained")
    text = stream.getvalue()
    assert all(word in text for word in words) and "2/2" in text
