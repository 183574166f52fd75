"""Training: overfitting, reproducibility, early stopping restores the best epoch, L2, class weights, split."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from multiclass.exceptions import ConfigError, DataError, DataWarning
from multiclass.models import ModelConfig, build_model
from multiclass.classes import resolve_class_weight
from multiclass.data.split import stratified_split
from multiclass.training import EarlyStopping, TrainConfig, train
from multiclass.training.early_stopping import LOSS_TOLERANCE


def _fit(X, y, hidden=(16,), seed=0, dropout=0.0, **overrides):
    n_classes = int(y.max()) + 1 if y.ndim == 1 else y.shape[1]
    model = build_model(ModelConfig(X.shape[1], n_classes, hidden, dropout=dropout), seed=seed)
    config = TrainConfig(**{"verbose": False, "seed": seed, **overrides})
    return model, train(model, X, y, config)


def _weight_norm(model):
    return float(sum(w.detach().pow(2).sum() for w in model.weight_matrices()))


def test_overfits_a_tiny_batch(blobs):
    X, y = blobs
    X, y = X[:24], y[:24]
    model, result = _fit(X, y, hidden=(32,), epochs=300, val_split=0.0, lr=1e-2, batch_size=8)
    assert (model(torch.from_numpy(X)).argmax(1).numpy() == y).all()
    assert result.history[-1]["train_loss"] < 0.05


def test_same_seed_same_loss_curve_and_weights(digits):
    X, y = digits
    model_a, a = _fit(X, y, epochs=3, dropout=0.3)  # dropout draws random masks: they are seeded too
    model_b, b = _fit(X, y, epochs=3, dropout=0.3)
    assert [r["train_loss"] for r in a.history] == [r["train_loss"] for r in b.history]
    assert [r["val_loss"] for r in a.history] == [r["val_loss"] for r in b.history]
    for wa, wb in zip(model_a.state_dict().values(), model_b.state_dict().values()):
        assert torch.equal(wa, wb)
    _, c = _fit(X, y, epochs=3, dropout=0.3, seed=1)
    assert [r["train_loss"] for r in a.history] != [r["train_loss"] for r in c.history]


def test_training_leaves_the_global_rng_untouched(digits):
    X, y = digits
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _fit(X[:200], y[:200], epochs=1, val_split=0.0)
    torch.testing.assert_close(torch.rand(3), expected)


def test_history_records_every_epoch(digits):
    X, y = digits
    _, result = _fit(X, y, epochs=4, patience=None)
    assert result.n_epochs == 4 and result.stop_reason == "max_epochs"
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    keys = {"epoch", "train_loss", "lr", "val_loss", "val_accuracy", "val_macro_f1", "val_score", "epoch_time"}
    assert all(set(r) == keys for r in result.history)
    assert all(0 <= r["val_accuracy"] <= 1 and 0 <= r["val_macro_f1"] <= 1 for r in result.history)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def _val_loss(model, X, y):
    with torch.no_grad():
        return float(F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y)))


def test_early_stopping_restores_the_best_epoch(digits):
    X, y = digits
    X_tr, y_tr, X_va, y_va = X[:300], y[:300], X[300:], y[300:]
    model = build_model(ModelConfig(64, 10, (64,)), seed=0)
    # A large learning rate on a small training set overfits quickly, so val_loss turns up and patience fires.
    config = TrainConfig(epochs=200, lr=0.02, patience=3, verbose=False)
    result = train(model, X_tr, y_tr, config, X_val=X_va, y_val=y_va)
    assert result.stop_reason == "early_stopping"
    assert result.best_epoch == result.n_epochs - 3
    best = result.history[result.best_epoch - 1]
    assert best["val_loss"] == min(r["val_loss"] for r in result.history) == result.best_score
    assert _val_loss(model, X_va, y_va) == pytest.approx(best["val_loss"], rel=1e-5)


def test_best_weights_restored_even_when_epochs_run_out(digits):
    X, y = digits
    X_tr, y_tr, X_va, y_va = X[:300], y[:300], X[300:], y[300:]
    model = build_model(ModelConfig(64, 10, (64,)), seed=0)
    result = train(model, X_tr, y_tr, TrainConfig(epochs=25, lr=0.02, patience=None, verbose=False),
                   X_val=X_va, y_val=y_va)
    assert result.stop_reason == "max_epochs" and result.best_epoch < 25
    assert _val_loss(model, X_va, y_va) == pytest.approx(result.best_score, rel=1e-5)


def test_ctrl_c_keeps_the_best_weights(digits, monkeypatch):
    X, y = digits
    model = build_model(ModelConfig(64, 10, (16,)), seed=0)
    calls = {"n": 0}
    original = torch.optim.Adam.step

    def step_then_interrupt(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 200:  # 1617 training rows / 32 = 51 steps per epoch: step 200 is inside epoch 4
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step_then_interrupt)
    # The eager engine is the one that calls torch's Adam.step (tests/test_engine.py covers the fused engine).
    result = train(model, X, y, TrainConfig(epochs=50, verbose=False, engine="eager"))
    assert result.stop_reason == "interrupted" and result.n_epochs == 3
    assert result.best_epoch == min(range(1, 4), key=lambda e: result.history[e - 1]["val_loss"])


@pytest.mark.parametrize("monitor", ["val_macro_f1", "val_accuracy", "val_recall:3"])
def test_monitors_that_increase(digits, monitor):
    X, y = digits
    _, result = _fit(X, y, epochs=6, monitor=monitor, patience=None)
    scores = [r["val_score"] for r in result.history]
    assert result.best_score == max(scores) and scores.index(max(scores)) + 1 == result.best_epoch
    if monitor != "val_recall:3":
        assert scores == [r[monitor] for r in result.history]


def test_recall_monitor_names_a_class_by_name(blobs):
    X, y = blobs
    model = build_model(ModelConfig(X.shape[1], 3, (8,)))
    result = train(model, X, y, TrainConfig(epochs=2, monitor="val_recall:fault", verbose=False),
                   classes=["ok", "warn", "fault"])
    assert result.monitor == "val_recall:fault"
    with pytest.raises(ConfigError, match=r"`monitor` names class 'boom', which is not one of the classes"):
        train(model, X, y, TrainConfig(epochs=1, monitor="val_recall:boom", verbose=False),
              classes=["ok", "warn", "fault"])


def test_larger_l2_gives_smaller_weight_norm(digits):
    X, y = digits
    norms = [_weight_norm(_fit(X, y, epochs=5, l2=l2, val_split=0.0)[0]) for l2 in (0.0, 1e-3, 1e-2, 1e-1)]
    assert norms == sorted(norms, reverse=True)
    assert norms[-1] < 0.5 * norms[0]


def test_balanced_class_weight_raises_minority_recall(imbalanced):
    X, y = imbalanced
    recalls = []
    for class_weight in (None, "balanced"):
        model, _ = _fit(X, y, hidden=(), epochs=15, class_weight=class_weight, val_split=0.0)
        pred = model(torch.from_numpy(X)).argmax(1).numpy()
        recalls.append((pred[y == 1] == 1).mean())
    assert recalls[1] > recalls[0]


def test_trains_on_one_hot_and_soft_targets(blobs):
    X, y = blobs
    one_hot = np.eye(3, dtype=np.float32)[y]
    _, by_labels = _fit(X, y, epochs=10)
    _, by_one_hot = _fit(X, one_hot, epochs=10)
    # One-hot rows are the same targets as labels: the same loss, the same split, the same training.
    np.testing.assert_allclose([r["train_loss"] for r in by_one_hot.history],
                               [r["train_loss"] for r in by_labels.history], rtol=1e-5)
    assert by_one_hot.history[-1]["val_accuracy"] > 0.9
    soft = 0.8 * one_hot + 0.2 / 3
    _, result = _fit(X, soft, epochs=10)
    assert result.history[-1]["val_accuracy"] > 0.9


def test_stratified_split_keeps_class_shares():
    labels = np.repeat([0, 1, 2], [100, 50, 10])
    train_idx, val_idx = stratified_split(labels, 0.2, seed=0)
    assert np.bincount(labels[val_idx]).tolist() == [20, 10, 2]
    assert len(np.intersect1d(train_idx, val_idx)) == 0 and len(train_idx) + len(val_idx) == 160
    again, _ = stratified_split(labels, 0.2, seed=0)
    assert np.array_equal(train_idx, again)


def test_stratified_split_keeps_a_class_of_one_row_in_training_and_names_it():
    labels = np.array([0, 0, 0, 1, 2, 2])
    with pytest.warns(DataWarning, match=r"^class 'rare' has 1 example: kept in training, not in the validation split"):
        train_idx, val_idx = stratified_split(labels, 0.5, classes=["common", "rare", "pair"])
    assert 3 in train_idx and np.bincount(labels[val_idx], minlength=3).tolist() == [2, 0, 1]
    with pytest.warns(DataWarning, match=r"^classes 'b', 'c' have 1 example: kept in training"):
        stratified_split(np.array([0, 0, 1, 2]), 0.5, classes=["a", "b", "c"])


def test_stratified_split_needs_two_examples_in_some_class():
    with pytest.raises(DataError, match=r"^no class has 2 examples \(class 'p' has 1\); a stratified validation split"):
        stratified_split(np.array([0, 1, 2]), 0.5, classes=["p", "q", "r"])


def test_class_weight_mapping_by_name_and_balanced():
    labels = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(resolve_class_weight("balanced", np.bincount(labels, minlength=2)), [4 / 6, 2.0])
    np.testing.assert_allclose(resolve_class_weight({"b": 5.0}, np.bincount(labels, minlength=2), classes=["a", "b"]), [1.0, 5.0])
    with pytest.raises(ConfigError, match=r"`class_weight` names class 'c', which is not one of the classes"):
        resolve_class_weight({"c": 5.0}, np.bincount(labels, minlength=2), classes=["a", "b"])


def test_sqrt_balanced_is_the_square_root_of_scikit_learns_balanced_weights():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.repeat([0, 1, 2, 3], [500, 40, 9, 1])
    theirs = compute_class_weight("balanced", classes=np.arange(4), y=labels)
    ours = resolve_class_weight("sqrt_balanced", np.bincount(labels, minlength=4))
    np.testing.assert_allclose(ours, np.sqrt(theirs), rtol=1e-12, atol=0)
    np.testing.assert_allclose(resolve_class_weight("balanced", np.bincount(labels, minlength=4)), theirs,
                               rtol=1e-12, atol=0)
    assert resolve_class_weight("sqrt_balanced", np.array([5, 0, 5]))[1] == 1.0  # an absent class weighs 1


def test_learning_rate_drops_on_plateau(digits):
    X, y = digits
    X_tr, y_tr, X_va, y_va = X[:300], y[:300], X[300:], y[300:]
    model = build_model(ModelConfig(64, 10, (64,)), seed=0)
    config = TrainConfig(epochs=30, lr=0.02, patience=None, lr_patience=2, lr_factor=0.5, verbose=False)
    result = train(model, X_tr, y_tr, config, X_val=X_va, y_val=y_va)
    lrs = [r["lr"] for r in result.history]
    assert lrs[0] == 0.02 and lrs == sorted(lrs, reverse=True) and lrs[-1] < 0.02
    assert set(np.round(np.log2(np.array(lrs) / 0.02), 9)) <= {-float(k) for k in range(30)}


def test_early_stopping_min_delta_and_nan():
    stopper = EarlyStopping(mode="max", patience=2, min_delta=0.1)
    assert [stopper.step(s) for s in [0.5, 0.55, float("nan")]] == [False, False, True]
    assert stopper.best_epoch == 1


def test_a_loss_that_falls_by_less_than_the_tolerance_stops_but_keeps_its_best_epoch():
    """A separable table's validation loss falls by 1e-6 an epoch to the epoch cap; the clock of `patience` restarts
    only on a fall of more than `LOSS_TOLERANCE`, while the best epoch follows every improvement. A score to
    maximise keeps Keras' rule. The clock is in the checkpoint state, so a resumed run stops where it would have."""
    losses = [1.0, 0.5, 0.49997, 0.49994, 0.49991]
    stopper = EarlyStopping(mode="min", patience=3)
    stops = [stopper.step(loss) for loss in losses]
    assert stops == [False, False, False, False, True]  # epoch 2 was the last fall of more than 1e-4
    assert (stopper.best_epoch, stopper.stop_epoch) == (5, 2)
    state = stopper.state_dict()
    resumed = EarlyStopping(mode="min", patience=3)
    resumed.load_state_dict(state)
    assert resumed.step(0.499905) and resumed.best_epoch == 6
    old = {k: v for k, v in state.items() if not k.startswith("stop_")}  # a checkpoint from before the tolerance
    resumed = EarlyStopping(mode="min", patience=3)
    resumed.load_state_dict(old)
    assert resumed.stop_epoch == resumed.best_epoch == 5
    rising = EarlyStopping(mode="max", patience=2)
    assert [rising.step(s) for s in [0.5, 0.50001, 0.50002, 0.50003]] == [False] * 4
    assert rising.best_epoch == rising.stop_epoch == 4
    assert LOSS_TOLERANCE == 1e-4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, r"`batch_size` must be an integer >= 1; got 0\."),
        ({"epochs": -1}, r"`epochs` must be an integer >= 1; got -1\."),
        ({"patience": 0}, r"`patience` must be an integer >= 1 or None; got 0\."),
        ({"lr": float("nan")}, r"`lr` must be a finite number > 0; got nan\."),
        ({"val_split": 1.0}, r"`val_split` must be in \[0, 1\); got 1\.0\."),
        ({"monitor": "loss"}, r"`monitor` must be one of \[.*\], 'val_recall:<class>' or 'val_critical:<class>\[,<class>\]'; got 'loss'\."),
        ({"class_weight": "even"}, r"`class_weight` must be None, 'none', 'balanced', 'sqrt_balanced' or a mapping"),
        ({"l2": -1.0}, r"`l2` must be a finite number >= 0; got -1\.0\."),
    ],
)
def test_train_config_error_messages(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kwargs)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((4, 5)), np.zeros(4, dtype=int), r"`X` must have 3 features \(the model's input width\); got 5"),
        (np.zeros(4), np.zeros(4, dtype=int), r"`X` must be 2-D \(n_samples, n_features\); got shape \(4,\)"),
        (np.zeros((4, 3)), np.zeros(3, dtype=int), r"`y` must have one entry per row of `X` \(4\); got 3"),
        (np.array([[0, 0, np.nan]]), np.zeros(1, dtype=int), r"`X` must be finite; got nan at row 0, column 2"),
        (np.zeros((2, 3)), np.array([0, 7]), r"`y` codes must be in \[0, 2\); got values in \[0, 7\]"),
        (np.zeros((2, 3)), np.array([0.5, 1.0]), r"`y` must hold integer class codes in \[0, 2\); got dtype float64"),
    ],
)
def test_training_data_error_messages(X, y, message):
    model = build_model(ModelConfig(3, 2, ()))
    with pytest.raises(DataError, match=message):
        train(model, X, y, TrainConfig(verbose=False))


def test_cuda_device_without_gpu_is_a_clear_error(blobs):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the no-GPU message cannot be shown")
    X, y = blobs
    with pytest.raises(ConfigError, match=r"`device` is 'cuda' but no CUDA GPU is available here"):
        _fit(X, y, device="cuda")
