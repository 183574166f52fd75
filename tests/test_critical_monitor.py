"""The monitor of ``--critical``: ``val_critical:<classes>``, the critical classes' mean recall while each keeps
precision >= the floor (below it: their mean F1 - 1), checked against scikit-learn per class; the epoch early
stopping keeps in the eager loop, and the best record of the stacked engine and of cross-validation, are the
ones scikit-learn's scores pick (equal scores ranked by log-loss); ``train --critical`` (in memory, streamed, the
estimator) watches it unless ``--monitor`` is given; the training line and the progress line say it, en/es."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, log_loss, precision_score, recall_score

from multiclass.classes import CRITICAL_PRECISION_FLOOR, Watched, critical_monitor, monitored_class
from multiclass.cli import main
from multiclass.decisions import DecisionConfig
from multiclass.estimator import SoftmaxClassifier
from multiclass.exceptions import ConfigError
from multiclass.jobs.crossval import pooled_scores
from multiclass.jobs.fit import fit
from multiclass.metrics.totals import class_totals
from multiclass.models import ModelConfig, build_model, predict_log_proba
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import train_trials
from multiclass.training import TrainConfig, train
from multiclass.training.progress import describe_epoch
from multiclass.training.validation import ResidentValidation, validation_scores

CLASSES = ["ok", "minor", "fault"]


def oracle(y_true, y_pred, codes, n_classes: int, floor: float = CRITICAL_PRECISION_FLOOR) -> float:
    """The score from scikit-learn's per-class precision, recall and F1 (zero_division=0)."""
    labels = list(range(n_classes))
    per_class = {name: metric(y_true, y_pred, labels=labels, average=None, zero_division=0)[list(codes)]
                 for name, metric in (("p", precision_score), ("r", recall_score), ("f", f1_score))}
    return float(per_class["r"].mean() if (per_class["p"] >= floor).all() else per_class["f"].mean() - 1.0)


def score_of(y_true, y_pred, watched: Watched, n_classes: int) -> float:
    tp, pred_sum, true_sum = class_totals(y_true, y_pred, n_classes)
    return validation_scores(tp, pred_sum, true_sum, 1.0, 1.0, watched)["val_recall"]


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 5).flatmap(lambda k: st.tuples(
    st.just(k), st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=60),
    st.sets(st.integers(0, k - 1), min_size=1), st.sampled_from([0.1, 0.25, 0.5, 2 / 3, 1.0]))))
def test_the_score_is_scikit_learns_and_the_floor_orders_epochs(case):
    k, pairs, codes, floor = case
    y_true, y_pred = (np.array(column) for column in zip(*pairs))
    codes = tuple(sorted(codes))
    score = score_of(y_true, y_pred, Watched(codes, floor), k)
    assert score == pytest.approx(oracle(y_true, y_pred, codes, k, floor), abs=1e-12)
    precision = precision_score(y_true, y_pred, labels=list(range(k)), average=None, zero_division=0)[list(codes)]
    # above the floor every class was found (score > 0); below it the score is < 0: any epoch above wins
    assert (score > 0) == bool((precision >= floor).all()) and (score < 0) != (score > 0)


def test_worked_examples_and_the_floor_itself():
    y_true = np.array([2, 2, 2, 2, 0, 0, 1, 1])
    # 'fault' (2): 2 of 4 found, 2 decided wrongly -> precision 0.5, exactly the floor: it counts
    at_floor = np.array([2, 2, 0, 0, 2, 2, 1, 1])
    assert score_of(y_true, at_floor, Watched((2,), 0.5), 3) == pytest.approx(0.5, abs=1e-12)
    # 3 of 4 found with 4 false alarms -> precision 3/7 < 0.5: F1 (6/11) - 1
    flooded = np.array([2, 2, 2, 0, 2, 2, 2, 2])
    assert score_of(y_true, flooded, Watched((2,), 0.5), 3) == pytest.approx(6 / 11 - 1, abs=1e-12)
    never = np.zeros(8, int)  # never decided: precision 0, F1 0
    assert score_of(y_true, never, Watched((2,), 0.5), 3) == -1.0
    # two critical classes: the mean of their recalls while both clear the floor
    both = np.array([2, 2, 2, 0, 0, 0, 1, 0])
    assert score_of(y_true, both, Watched((1, 2), 0.5), 3) == pytest.approx((3 / 4 + 1 / 2) / 2, abs=1e-12)
    # without a floor (val_recall:<class>) the score is the class's recall, floods or not
    assert score_of(y_true, flooded, Watched((2,)), 3) == pytest.approx(3 / 4, abs=1e-12)


def test_stacked_totals_score_each_model_alike():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 4, 80)
    preds = [np.where(rng.random(80) < q, y_true, rng.integers(0, 4, 80)) for q in (0.1, 0.5, 0.9)]
    totals = np.stack([class_totals(y_true, p, 4) for p in preds], axis=1)  # (3, M, K)
    watched = Watched((1, 3), 0.5)
    scores = validation_scores(*totals, np.ones(3), np.ones(3), watched)["val_recall"]
    np.testing.assert_allclose(scores, [oracle(y_true, p, (1, 3), 4) for p in preds], rtol=0, atol=1e-12)


def test_the_monitor_names_classes():
    assert critical_monitor(["fault"]) == "val_critical:fault"
    assert monitored_class("val_critical:fault,minor,fault", CLASSES, 3) == Watched((2, 1), CRITICAL_PRECISION_FLOOR)
    assert TrainConfig(monitor="val_critical:fault").monitor == "val_critical:fault"
    with pytest.raises(ConfigError, match=r"`critical` names class 'leak', which is not one of the classes"):
        monitored_class("val_critical:fault,leak", CLASSES, 3)
    with pytest.raises(ConfigError, match=r"'val_critical:<class>\[,<class>\]'; got 'val_critical:'\."):
        TrainConfig(monitor="val_critical:")


def faults(n: int, seed: int):
    """3 classes, 'fault' at 4 %: separable enough that a slow learner starts finding it after a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=[0.6, 0.36, 0.04])
    X = rng.normal(0, 1, (n, 4)).astype(np.float32)
    X[:, 0] += np.array([0.0, 1.5, 3.0])[y]
    X[:, 1] += np.array([0.0, 0.0, 2.0])[y]
    return X, y


@pytest.fixture(scope="module")
def fault_split():
    return (*faults(1500, 0), *faults(600, 1))


def best_epochs(scores, losses) -> list[int]:
    """The epoch early stopping keeps after each epoch: the highest score, equal scores ranked by lower loss."""
    best, kept = 0, []
    for e in range(len(scores)):
        if e == 0 or scores[e] > scores[best] or (scores[e] == scores[best] and losses[e] < losses[best]):
            best = e
        kept.append(best + 1)
    return kept


def test_early_stopping_keeps_the_epoch_scikit_learn_picks(fault_split, monkeypatch):
    """The eager loop: every epoch's score is scikit-learn's on that epoch's decisions, the rare class is found
    only after some epochs, and early stopping keeps (and stops after) the epochs that scikit-learn's scores say
    (equal scores ranked by log-loss)."""
    X, y, X_val, y_val = fault_split
    epochs = []
    original = ResidentValidation.totals

    def totals(self, model, class_weight, costs=None):
        with torch.no_grad():
            epochs.append(torch.softmax(model(self.X).double(), dim=1).numpy())
        return original(self, model, class_weight, costs)

    monkeypatch.setattr(ResidentValidation, "totals", totals)
    patience = 4
    config = TrainConfig(epochs=40, lr=3e-3, batch_size=64, monitor="val_critical:fault", patience=patience,
                         engine="eager", verbose=False)
    result = train(build_model(ModelConfig(4, 3), seed=0), X, y, config, X_val=X_val, y_val=y_val, classes=CLASSES)
    expected = [oracle(y_val, probs.argmax(axis=1), (2,), 3) for probs in epochs]
    losses = [log_loss(y_val, probs, labels=[0, 1, 2]) for probs in epochs]
    np.testing.assert_allclose([r["val_score"] for r in result.history], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose([r["val_loss"] for r in result.history], losses, rtol=1e-5)
    assert expected[0] < 0 < max(expected)  # the fault is found late, and then at precision >= 0.5
    kept = best_epochs(expected, losses)
    assert len(set(expected[:kept[-1]])) < kept[-1]  # some scores were equal: the tiebreak had work to do
    stop = next((e for e in range(1, len(expected) + 1) if e - kept[e - 1] >= patience), len(expected))
    assert (result.best_epoch, len(result.history)) == (kept[stop - 1], stop)
    decided = predict_log_proba(result.model, X_val).argmax(axis=1)
    assert oracle(y_val, decided, (2,), 3) == pytest.approx(expected[result.best_epoch - 1], abs=1e-12)


def test_the_stacked_engine_and_cross_validation_score_it_alike(fault_split):
    X, y, X_val, y_val = fault_split
    watched = monitored_class("val_critical:fault", CLASSES, 3)
    trials = [Trial((("lr", lr),), TrainConfig(epochs=15, lr=lr, batch_size=64, monitor="val_critical:fault",
                                               patience=None, verbose=False), ModelConfig(4, 3))
              for lr in (3e-3, 3e-2)]
    for result in train_trials(trials, X, y, X_val, y_val, recall_of=watched):
        history = result.history
        kept = best_epochs([r["val_score"] for r in history], [r["val_loss"] for r in history])
        assert result.best_epoch == kept[-1]
        model = build_model(ModelConfig(4, 3))
        model.load_state_dict(result.state)
        kept = predict_log_proba(model, X_val).argmax(axis=1)
        assert result.best_record["val_score"] == pytest.approx(oracle(y_val, kept, (2,), 3), abs=1e-9)
        log_proba = predict_log_proba(model, X_val)
        pooled = pooled_scores(log_proba, y_val, None, watched)
        assert pooled["val_recall"] == pytest.approx(oracle(y_val, kept, (2,), 3), abs=1e-12)


# --- the command line ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_csv(tmp_path_factory):
    X, y = faults(700, 2)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(state=np.array(CLASSES)[y])
    path = tmp_path_factory.mktemp("faults") / "faults.csv"
    frame.to_csv(path, index=False)
    return path


QUICK = ["--hidden", "8", "--lr", "0.01", "--epochs", "6", "--recipe", "seed", "--val-split", "0.3"]


@pytest.mark.parametrize("lang, words", [("en", "the recall of 'fault' at precision >= 0.5"),
                                         ("es", "la exhaustividad de 'fault' con precisión >= 0,5")])
def test_train_critical_watches_the_critical_recall(fault_csv, tmp_path, capsys, lang, words):
    model = tmp_path / "model"
    argv = ["train", str(fault_csv), "--target", "state", "--critical", "fault", *QUICK, "--patience", "1",
            "--lang", lang, "--out", str(model)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    document = json.loads((model / "model.json").read_text())
    assert document["train_config"]["monitor"] == "val_critical:fault"
    history = document["training"]["history"]
    best = document["training"]["best_epoch"]
    assert history[best - 1]["val_score"] == max(r["val_score"] for r in history)
    assert words in " ".join(out.split())


def test_an_explicit_monitor_wins_over_critical(fault_csv, tmp_path, capsys):
    model = tmp_path / "model"
    argv = ["train", str(fault_csv), "--target", "state", "--critical", "fault", *QUICK, "--monitor", "val_loss",
            "--quiet", "--out", str(model)]
    assert main(argv) == 0
    document = json.loads((model / "model.json").read_text())
    assert document["train_config"]["monitor"] == "val_loss"
    assert document["critical"] == ["fault"]  # still the critical class of the report


def test_the_auto_recipe_ranks_candidates_by_the_critical_score(fault_csv, tmp_path, capsys):
    model = tmp_path / "model"
    argv = ["train", str(fault_csv), "--target", "state", "--critical", "fault", "--val-split", "0.3",
            "--quiet", "--out", str(model)]
    assert main(argv) == 0
    document = json.loads((model / "model.json").read_text())
    assert document["train_config"]["monitor"] == "val_critical:fault"
    recipe = document["training"]["recipe"]
    ranked = recipe["candidates"]  # small data: every candidate cross-validated, scored out of fold
    assert len(ranked) > 1 and all(-1 <= entry["val_score"] <= 1 for entry in ranked)
    chosen = recipe["chosen"]
    winner = max(ranked, key=lambda e: (e["val_score"], -e["val_loss"]))  # jobs/recipe.py `_score_key`
    assert [chosen[k] for k in ("hidden", "dropout", "l2")] == [winner[k] for k in ("hidden", "dropout", "l2")]


def test_the_estimator_and_streamed_training_watch_it_too(fault_split, fault_csv):
    X, y, _, _ = fault_split
    labels = np.array(CLASSES)[y]
    quick = {"hidden": (), "max_epochs": 3, "recipe": "seed", "verbose": False}
    watched = SoftmaxClassifier(critical_classes=["fault"], **quick).fit(X, labels)
    assert watched.trained_.train_config.monitor == "val_critical:fault"
    explicit = SoftmaxClassifier(critical_classes=["fault"], monitor="val_macro_f1", **quick).fit(X, labels)
    assert explicit.trained_.train_config.monitor == "val_macro_f1"
    streamed = fit(fault_csv, stream=True, target="state", hidden=(), config=TrainConfig(epochs=2, verbose=False),
                   decision=DecisionConfig(critical=("fault", "minor"))).trained
    assert streamed.train_config.monitor == "val_critical:fault,minor" and streamed.critical == ("fault", "minor")
    assert all(-1 <= record["val_score"] <= 1 for record in streamed.history)


def test_while_the_class_is_never_found_the_lowest_loss_is_kept(fault_split):
    """A critical class the network never decides scores -1 at every epoch: without the loss ranking those ties,
    early stopping would keep epoch 1 and stop `patience` epochs later (the eager loop and the stacked engine)."""
    X, y, X_val, y_val = fault_split
    noise = np.random.default_rng(3)
    rare = np.where(noise.random(len(y)) < 0.02, 2, np.minimum(y, 1))  # 'fault': 2 % of rows, at random
    rare_val = np.where(noise.random(len(y_val)) < 0.02, 2, np.minimum(y_val, 1))
    config = TrainConfig(epochs=12, lr=3e-3, batch_size=64, monitor="val_critical:fault", patience=3,
                         engine="eager", verbose=False)
    alone = train(build_model(ModelConfig(4, 3), seed=0), X, rare, config, X_val=X_val, y_val=rare_val,
                  classes=CLASSES)
    stacked = train_trials([Trial((), config, ModelConfig(4, 3))], X, rare, X_val, rare_val,
                           recall_of=monitored_class(config.monitor, CLASSES, 3))[0]
    for result in (alone, stacked):
        scores, losses = [r["val_score"] for r in result.history], [r["val_loss"] for r in result.history]
        assert set(scores) == {-1.0}
        assert result.best_epoch == 1 + int(np.argmin(losses)) > 1


@pytest.mark.parametrize("lang, above, below", [
    ("en", "critical recall 0.2500", "critical recall below the precision floor"),
    ("es", "exhaustividad crítica 0,2500", "exhaustividad crítica bajo el mínimo de precisión"),
])
def test_the_progress_line_shows_the_critical_recall(lang, above, below):
    record = {"epoch": 1, "train_loss": 1.0, "val_loss": 1.0, "val_macro_f1": 0.5}
    lines = [describe_epoch({**record, "val_score": score}, lang=lang, monitor="val_critical:fault")
             for score in (0.25, -0.4)]
    assert above in lines[0] and below in lines[1]
    assert above not in describe_epoch({**record, "val_score": 0.25}, lang=lang, monitor="val_loss")


@pytest.mark.parametrize("stream", [[], ["--stream"]])
def test_an_unknown_critical_class_is_exit_2_in_memory_and_streamed(fault_csv, tmp_path, capsys, stream):
    argv = ["train", str(fault_csv), "--target", "state", "--critical", "fault,leak", *stream, "--epochs", "2",
            "--quiet", "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: `--critical` names class 'leak', which is not one of the classes") and "'fault'" in err
    assert not (tmp_path / "m").exists()
