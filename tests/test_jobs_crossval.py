"""The auto recipe on small data: candidates ranked by k-fold cross-validation, the winner's fold models averaged."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, f1_score, log_loss

from multiclass.jobs.crossval import CV_FOLDS, averaged_network, fold_rows, pooled_scores
from multiclass.jobs.fit import fit_arrays
from multiclass.jobs.recipe import search
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig
from multiclass.training.recipes import auto_candidates


def _data(n, n_features=8, n_classes=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=n_features, n_informative=6, n_classes=n_classes,
                               random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def test_folds_are_stratified_disjoint_and_of_one_training_length():
    y = np.array([0] * 23 + [1] * 11 + [2] * 3)
    train, val = fold_rows(y, 5, seed=0)
    assert np.array_equal(np.sort(np.concatenate(val)), np.arange(len(y)))  # every row validates exactly once
    assert len({len(rows) for rows in train}) == 1
    for rows, held in zip(train, val):
        assert not set(rows) & set(held)
        assert abs(np.sum(y[held] == 0) - 23 / 5) < 1 and abs(np.sum(y[held] == 1) - 11 / 5) < 1


def test_pooled_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(200, 4)) * 2
    log_proba = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    y = rng.integers(0, 4, size=200)
    record = pooled_scores(log_proba, y, None, recall_of=2)
    pred = log_proba.argmax(axis=1)
    assert record["val_loss"] == pytest.approx(log_loss(y, np.exp(log_proba), labels=range(4)), abs=1e-12)
    assert record["val_accuracy"] == pytest.approx(accuracy_score(y, pred), abs=1e-12)
    assert record["val_macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-12)
    assert record["val_recall"] == pytest.approx(np.mean(pred[y == 2] == 2), abs=1e-12)
    weight = np.array([1.0, 2.0, 0.5, 3.0])
    weighted = pooled_scores(log_proba, y, weight, None)["val_loss"]
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y),
                                                 weight=torch.from_numpy(weight)).item()
    assert weighted == pytest.approx(expected, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(hidden=st.lists(st.integers(1, 6), max_size=3).map(tuple), members=st.integers(1, 5),
       seed=st.integers(0, 10_000))
def test_averaged_network_computes_the_mean_of_the_members_logits(hidden, members, seed):
    torch.manual_seed(seed)
    config = ModelConfig(5, 3, hidden)
    nets = [build_model(config, seed=seed + m) for m in range(members)]
    for net in nets:
        for parameter in net.parameters():
            torch.nn.init.normal_(parameter)
    widths, state = averaged_network([net.state_dict() for net in nets], hidden)
    assert widths == tuple(members * h for h in hidden)
    merged = build_model(ModelConfig(5, 3, widths), seed=0)
    merged.load_state_dict(state)
    x = torch.randn(16, 5)
    with torch.no_grad():
        expected = torch.stack([net(x) for net in nets]).double().mean(0)
        assert torch.allclose(merged(x).double(), expected, atol=1e-5)


def test_search_cross_validates_small_data_and_ranks_by_pooled_out_of_fold_macro_f1(capsys):
    X, y = _data(300)
    candidates = auto_candidates(270, 8, 3)[:4]
    found = search(X[:270], y[:270], X[270:], y[270:], candidates, classes=["a", "b", "c"],
                   base=TrainConfig(verbose=True, seed=0, log_every=1000))
    assert "recipe auto: 4 candidates, 5-fold cross-validation on all 270 rows" in capsys.readouterr().err
    assert found.folds == CV_FOLDS and {e["stage"] for e in found.board} == {"cross-validation"}
    assert len(found.board) == len(candidates) and all(len(e["best_epochs"]) == CV_FOLDS for e in found.board)
    # the default monitor (the loss) stops the fold models; the pooled macro-F1 ranks, ties by the loss
    best = min(found.board, key=lambda e: (-e["val_macro_f1"], e["val_loss"]))
    assert found.winner.to_dict() == {k: best[k] for k in found.winner.to_dict()}
    assert len(found.fold_states) == CV_FOLDS and found.fold_best_epochs == best["best_epochs"]
    assert found.to_dict()["fold_best_epochs"] == best["best_epochs"]


def test_a_few_dozen_rows_are_cross_validated_not_ranked_on_a_handful_of_split_rows():
    X, y = _data(40, seed=2)
    trained, _ = fit_arrays(X[:32], y[:32], classes=["a", "b", "c"], X_val=X[32:], y_val=y[32:],
                            config=TrainConfig(verbose=False, seed=0))
    assert trained.recipe["folds"] == CV_FOLDS and trained.stop_reason == "fold_average"
    few, _ = fit_arrays(X[:16], y[:16], classes=["a", "b", "c"], X_val=X[32:], y_val=y[32:],
                        config=TrainConfig(verbose=False, seed=0))
    assert "folds" not in few.recipe and few.stop_reason != "fold_average"  # 16 rows: 3 per fold, too few


def test_small_data_model_is_the_mean_of_its_fold_models_and_validation_stays_held_out():
    X, y = _data(300, seed=1)
    X_tr, y_tr, X_va, y_va = X[:250], y[:250], X[250:], y[250:]
    trained, validation = fit_arrays(X_tr, y_tr, classes=["a", "b", "c"], X_val=X_va, y_val=y_va,
                                     config=TrainConfig(verbose=False, seed=0))
    recipe = trained.recipe
    assert recipe["folds"] == CV_FOLDS and trained.stop_reason == "fold_average"
    assert len(recipe["fold_best_epochs"]) == CV_FOLDS and trained.best_epoch == recipe["fold_best_epochs"][0]
    chosen = tuple(recipe["chosen"]["hidden"])
    assert trained.model.config.hidden == tuple(CV_FOLDS * h for h in chosen)
    assert {e["rows"] for e in recipe["candidates"]} == {250}  # the search saw the training rows only
    proba = trained.predict_proba(X_va)
    assert trained.validation["n_samples"] == 50
    assert trained.validation["accuracy"] == pytest.approx(np.mean(proba.argmax(axis=1) == y_va), abs=1e-12)


@pytest.mark.parametrize("lang, network, stop", [
    ("en", "x 5 fold models averaged", "5 fold models, each early-stopped on its own fold (best epochs "),
    ("es", "x 5 modelos de las partes promediados", "5 modelos, uno por parte, cada uno detenido a tiempo"),
])
def test_the_command_line_says_the_model_is_the_average_of_its_fold_models(tmp_path, capsys, lang, network, stop):
    from multiclass.cli import main

    X, y = _data(240)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=np.array(["a", "b", "c"])[y])
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert main(["train", str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"),
                 "--lang", lang]) == 0
    captured = capsys.readouterr()
    assert network in captured.out and stop in captured.out
    searched = "by 5-fold cross-validation" if lang == "en" else "por validación cruzada en 5 partes"
    assert searched in captured.out
    assert main(["evaluate", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--html", str(tmp_path / "r.html"),
                 "--lang", lang]) == 0
    html = (tmp_path / "r.html").read_text()
    assert ("the average of its 5 fold models" if lang == "en" else "el promedio de sus 5 modelos") in html


def test_fold_models_cut_short_by_the_epoch_limit_say_so(monkeypatch):
    from multiclass.exceptions import EpochLimitWarning
    from multiclass.jobs import recipe

    monkeypatch.setattr(recipe, "SEARCH_EPOCHS", 12)  # far too few epochs at this learning rate: still improving
    X, y = _data(300, seed=2)
    with pytest.warns(EpochLimitWarning, match=r"training used all 12 epochs and its best epoch was 1[12]: the "
                                               r"model was still improving"):
        trained, _ = fit_arrays(X[:250], y[:250], classes=["a", "b", "c"], X_val=X[250:], y_val=y[250:],
                                config=TrainConfig(verbose=False, seed=0, lr=1e-5))
    assert trained.stop_reason == "fold_average" and max(trained.recipe["fold_best_epochs"]) >= 11


@pytest.mark.parametrize("rows", [240, 4_000], ids=["cross-validated", "ranked-on-validation"])
def test_ctrl_c_during_the_search_stops_the_run_and_writes_nothing(tmp_path, capsys, monkeypatch, rows):
    import multiclass.sweep.alone as alone
    import multiclass.sweep.loop as loop
    from multiclass.cli import main

    calls = {"n": 0}
    validate_own, validate = loop._validate_own, loop._validate

    def interrupt_on_the_third(function):
        def wrapped(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return function(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(loop, "_validate_own", interrupt_on_the_third(validate_own))
    monkeypatch.setattr(loop, "_validate", interrupt_on_the_third(validate))
    # candidates trained one per core (`multiclass.sweep.alone`) score each epoch there, in worker threads
    monkeypatch.setattr(alone, "scores_of_totals", interrupt_on_the_third(alone.scores_of_totals))
    X, y = _data(rows)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=np.array(["a", "b", "c"])[y])
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert main(["train", str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m")]) == 130
    # the third epoch scored stops the search (a model training beside it in another thread may score a few more
    # epochs before the main thread sets the stop)
    assert "interrupted" in capsys.readouterr().err and 3 <= calls["n"] <= 12
    assert not (tmp_path / "m").exists()


def test_cross_validated_candidates_rank_by_out_of_fold_macro_f1_under_the_default_monitor(monkeypatch):
    """The candidate with the lowest pooled loss passes over a rare class; the one with the best pooled macro-F1
    wins under the default monitor, and the loss still breaks ties; an explicit monitor ranks by itself."""
    import multiclass.jobs.recipe as recipe

    records = [{"val_score": 0.30, "val_loss": 0.30, "val_accuracy": 0.95, "val_macro_f1": 0.60},
               {"val_score": 0.35, "val_loss": 0.35, "val_accuracy": 0.94, "val_macro_f1": 0.80},
               {"val_score": 0.33, "val_loss": 0.33, "val_accuracy": 0.94, "val_macro_f1": 0.80}]
    for record in records:
        record.update(best_epoch=5, best_epochs=[5] * CV_FOLDS, epochs=5 * CV_FOLDS, folds=[{}] * CV_FOLDS)
    monkeypatch.setattr(recipe, "cross_validate", lambda candidates, X, y, **kw: records[:len(candidates)])
    X, y = _data(300)
    candidates = auto_candidates(270, 8, 3)[:3]
    found = search(X[:270], y[:270], X[270:], y[270:], candidates, classes=["a", "b", "c"],
                   base=TrainConfig(verbose=False, seed=0))
    assert found.winner == candidates[2]  # macro-F1 0.80, then the lower loss of the two
    for record, score in zip(records, (0.95, 0.94, 0.94)):
        record["val_score"] = score
    found = search(X[:270], y[:270], X[270:], y[270:], candidates, classes=["a", "b", "c"],
                   base=TrainConfig(verbose=False, seed=0, monitor="val_accuracy"))
    assert found.winner == candidates[0]
