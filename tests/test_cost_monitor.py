"""The ``val_cost`` monitor: the mean cost per validation row of the decisions the saved model makes (minimum
expected cost under the cost matrix, from the uncalibrated softmax), checked against numpy and scikit-learn's
confusion matrix in the eager loop (dense and CSR rows), the stacked engine and cross-validation's pooled
out-of-fold score; it picks another epoch than val_loss and the saved model then costs less on the validation
rows; the search ranks by it; ``fit`` watches it for a cost matrix (over ``--critical``); ``precision_floor`` moves
the epoch ``val_critical`` keeps; every error names what is wrong."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.metrics import confusion_matrix

from multiclass.cli import main
from multiclass.cli.summary import stop_line
from multiclass.decisions import DecisionConfig, bayes_decision, expected_cost
from multiclass.estimator import SoftmaxClassifier
from multiclass.exceptions import ConfigError
from multiclass.jobs.crossval import cross_validate, pooled_scores
from multiclass.jobs.fit import fit_arrays
from multiclass.jobs.recipe import search
from multiclass.models import ModelConfig, build_model, predict_log_proba
from multiclass.persistence import load_model, save_model
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import train_trials
from multiclass.training import TrainConfig, train
from multiclass.training.monitor import Priced, watched_of
from multiclass.training.progress import describe_epoch
from multiclass.training.recipes import Candidate, Recipe
from multiclass.training.validation import ResidentValidation, SparseValidation
from tests.test_critical_monitor import best_epochs, faults, oracle

CLASSES = ["ok", "minor", "fault"]
# Missing a fault costs 20, a false alarm 1, confusing ok and minor 0.5.
COSTS = np.array([[0.0, 0.5, 1.0], [0.5, 0.0, 1.0], [20.0, 20.0, 0.0]])


def oracle_cost(y, probs, costs=COSTS) -> float:
    """The mean cost of the minimum-expected-cost decisions, from scikit-learn's confusion matrix."""
    decided = (probs @ costs).argmin(axis=1)
    matrix = confusion_matrix(y, decided, labels=list(range(len(costs))))
    return float((matrix * costs).sum() / len(y))


def probs_of(model, X) -> np.ndarray:
    return np.exp(predict_log_proba(model, X))


@pytest.fixture(scope="module")
def split():
    return (*faults(1500, 0), *faults(600, 1))


def capture(monkeypatch, kind=ResidentValidation) -> list:
    """Record each epoch's validation probabilities (as the model of that epoch gives them)."""
    epochs, original = [], kind.totals

    def totals(self, model, class_weight, costs=None):
        if kind is ResidentValidation:
            with torch.no_grad():
                epochs.append(torch.softmax(model(self.X).double(), dim=1).numpy())
        return original(self, model, class_weight, costs)

    monkeypatch.setattr(kind, "totals", totals)
    return epochs


def test_the_numpy_oracle_and_the_library_agree_with_sklearn():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), 200)
    y = rng.integers(0, 3, 200)
    decided = bayes_decision(probs, COSTS)
    assert oracle_cost(y, probs) == pytest.approx(expected_cost(y, decided, COSTS), abs=1e-12)
    assert oracle_cost(y, probs) == pytest.approx(COSTS[y, decided].mean(), abs=1e-12)


def test_every_epoch_of_the_eager_loop_is_the_oracle_and_the_best_is_kept(split, monkeypatch):
    X, y, X_val, y_val = split
    epochs = capture(monkeypatch)
    config = TrainConfig(epochs=25, lr=3e-3, batch_size=64, monitor="val_cost", cost_matrix=COSTS, patience=None,
                         engine="eager", verbose=False)
    result = train(build_model(ModelConfig(4, 3), seed=0), X, y, config, X_val=X_val, y_val=y_val, classes=CLASSES)
    expected = [oracle_cost(y_val, probs) for probs in epochs]
    np.testing.assert_allclose([r["val_score"] for r in result.history], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose([r["val_cost"] for r in result.history], expected, rtol=0, atol=1e-12)
    losses = [r["val_loss"] for r in result.history]
    # lower is better; equal costs ranked by the validation loss
    assert result.best_epoch == best_epochs([-c for c in expected], losses)[-1]
    assert oracle_cost(y_val, probs_of(result.model, X_val)) == pytest.approx(min(expected), abs=1e-12)


def test_csr_rows_are_priced_by_the_sparse_validation_alike(split, monkeypatch):
    X, y, X_val, y_val = split
    seen = []
    original = SparseValidation.totals

    def totals(self, model, class_weight, costs=None):
        seen.append(costs is not None)
        return original(self, model, class_weight, costs)

    monkeypatch.setattr(SparseValidation, "totals", totals)
    config = TrainConfig(epochs=6, lr=3e-3, batch_size=64, monitor="val_cost", cost_matrix=COSTS, patience=None,
                         engine="eager", verbose=False)
    model = build_model(ModelConfig(4, 3), seed=0)
    result = train(model, sp.csr_matrix(X), y, config, X_val=sp.csr_matrix(X_val), y_val=y_val, classes=CLASSES)
    assert all(seen) and len(seen) == 6
    best = result.history[result.best_epoch - 1]
    assert best["val_cost"] == pytest.approx(oracle_cost(y_val, probs_of(result.model, X_val)), abs=1e-12)


def test_the_stacked_engine_prices_each_model_as_the_oracle(split):
    X, y, X_val, y_val = split
    trials = [Trial((("lr", lr),), TrainConfig(epochs=12, lr=lr, batch_size=64, monitor="val_cost",
                                               cost_matrix=COSTS, patience=3, seed=seed, verbose=False),
                    ModelConfig(4, 3, (8,))) for lr, seed in ((1e-3, 0), (3e-3, 1), (1e-2, 2))]
    priced = watched_of(trials[0].train_config, CLASSES, 3)
    assert priced == Priced(tuple(map(tuple, COSTS)))
    results = train_trials(trials, X, y, X_val, y_val, recall_of=priced)
    for result in results:
        model = build_model(result.trial.model_config, seed=0)
        model.load_state_dict(result.state)
        best = result.best_record
        assert best["val_cost"] == pytest.approx(oracle_cost(y_val, probs_of(model, X_val)), abs=1e-12)
        assert best["val_score"] == best["val_cost"] == min(r["val_cost"] for r in result.history)


def test_cross_validation_pools_the_out_of_fold_decisions_cost(split):
    X, y, _, _ = split
    X, y = X[:400], y[:400]
    priced = Priced(tuple(map(tuple, COSTS)))
    candidates = [Candidate((), 0.0, 0.0, 1e-2, 32), Candidate((8,), 0.0, 0.0, 1e-2, 32)]

    def trial_of(candidate, rows):
        config = TrainConfig(epochs=15, lr=candidate.lr, batch_size=32, monitor="val_cost", cost_matrix=COSTS,
                             patience=3, verbose=False)
        return Trial(tuple(candidate.to_dict().items()), config, ModelConfig(4, 3, candidate.hidden))

    records = cross_validate(candidates, X, y, trial_of=trial_of, monitor="val_cost", recall_of=priced, k=3)
    for record in records:
        # the fold models' own rows (each fold's best epoch is priced on its fold alone)
        for fold in record["folds"]:
            assert fold.best_record["val_score"] == fold.best_record["val_cost"]
        assert record["val_score"] == record["val_cost"]
    # the pooled score itself, on out-of-fold log-probabilities given here
    rng = np.random.default_rng(3)
    log_proba = np.log(rng.dirichlet(np.ones(3), len(y)))
    record = pooled_scores(log_proba, y, None, priced)
    assert record["val_cost"] == pytest.approx(oracle_cost(y, np.exp(log_proba)), abs=1e-12)


def test_the_search_ranks_candidates_by_cost(split):
    X, y, X_val, y_val = split
    base = TrainConfig(epochs=20, patience=4, monitor="val_cost", cost_matrix=COSTS, verbose=False)
    candidates = [Candidate((), 0.0, 0.0, 3e-3, 64), Candidate((16,), 0.0, 0.0, 3e-3, 64),
                  Candidate((16,), 0.0, 0.1, 3e-3, 64)]
    found = search(X, y, X_val, y_val, candidates, classes=CLASSES, base=base, fixed=("epochs",))
    scores = [entry["val_score"] for entry in found.board]
    best = found.board[int(np.argmin(scores))]
    assert found.winner.to_dict() == {k: best[k] for k in ("hidden", "dropout", "l2", "lr", "batch_size")}
    assert len(set(scores)) > 1  # the premise: the candidates cost differently


def _fit(split, **decision_and_config):
    """The seed recipe, every hyperparameter fixed (the CLI's flags given), on 600 training rows."""
    X, y, X_val, y_val = split
    fixed = {"epochs": 60, "lr": 1e-2, "batch_size": 32, "patience": None, **decision_and_config.pop("config", {})}
    config = TrainConfig(seed=0, verbose=False, **fixed)
    return fit_arrays(X[:600], y[:600], classes=CLASSES, hidden=(16,), dropout=0.0, config=config,
                      decision=DecisionConfig(**decision_and_config), X_val=X_val, y_val=y_val,
                      recipe=Recipe("seed", {"hidden": (16,), **{k: v for k, v in fixed.items()
                                                                   if k != "precision_floor"}}))[0]


def test_the_cost_monitor_keeps_another_epoch_and_the_saved_model_costs_less(split):
    _, _, X_val, y_val = split
    by_cost = _fit(split, cost_matrix=COSTS)
    by_loss = _fit(split, cost_matrix=COSTS, config={"monitor": "val_loss"})
    assert by_cost.train_config.monitor == "val_cost" and by_loss.train_config.monitor == "val_loss"
    assert by_cost.best_epoch != by_loss.best_epoch
    saved_cost = expected_cost(y_val, by_cost.predict_codes(X_val), COSTS)  # the policy's decisions
    # what the monitor saw is what the saved model costs, and less than the val_loss model's
    assert saved_cost == pytest.approx(by_cost.history[by_cost.best_epoch - 1]["val_cost"], abs=1e-12)
    assert saved_cost < expected_cost(y_val, by_loss.predict_codes(X_val), COSTS)


def test_the_cost_wins_over_critical_classes_and_an_explicit_monitor_wins_over_both(split):
    both = _fit(split, cost_matrix=COSTS, critical=("fault",), config={"epochs": 3})
    assert both.train_config.monitor == "val_cost"
    assert both.train_config.cost_matrix == tuple(map(tuple, COSTS))
    critical = _fit(split, critical=("fault",), config={"epochs": 3})
    assert critical.train_config.monitor == "val_critical:fault" and critical.train_config.cost_matrix is None
    fixed = _fit(split, cost_matrix=COSTS, critical=("fault",), config={"epochs": 3, "monitor": "val_macro_f1"})
    assert fixed.train_config.monitor == "val_macro_f1"


def test_the_precision_floor_moves_the_epoch_val_critical_keeps(split, monkeypatch):
    X, y, X_val, y_val = split
    kept = {}
    for floor in (0.5, 0.9):
        epochs = capture(monkeypatch)
        config = TrainConfig(epochs=30, lr=3e-3, batch_size=64, monitor="val_critical:fault", patience=None,
                             precision_floor=floor, engine="eager", verbose=False)
        result = train(build_model(ModelConfig(4, 3), seed=0), X, y, config, X_val=X_val, y_val=y_val,
                       classes=CLASSES)
        scores = [oracle(y_val, probs.argmax(axis=1), (2,), 3, floor) for probs in epochs]
        np.testing.assert_allclose([r["val_score"] for r in result.history], scores, rtol=0, atol=1e-12)
        assert result.best_epoch == best_epochs(scores, [r["val_loss"] for r in result.history])[-1]
        kept[floor] = result.best_epoch
        monkeypatch.undo()
    assert kept[0.5] != kept[0.9]


def test_the_floor_and_the_costs_are_saved_in_model_json(split, tmp_path):
    trained = _fit(split, critical=("fault",), config={"epochs": 2, "precision_floor": 0.8})
    document = json.loads((save_model(trained, tmp_path / "m") / "model.json").read_text())
    assert document["train_config"]["precision_floor"] == 0.8
    priced = _fit(split, cost_matrix=COSTS, config={"epochs": 2})
    document = json.loads((save_model(priced, tmp_path / "p") / "model.json").read_text())
    assert document["train_config"]["monitor"] == "val_cost"
    assert document["train_config"]["cost_matrix"] == COSTS.tolist()
    assert load_model(tmp_path / "p").train_config == priced.train_config  # read back as it was


def test_the_estimator_watches_the_cost_and_takes_the_floor(split):
    X, y, _, _ = split
    clf = SoftmaxClassifier(recipe="seed", hidden=(), max_epochs=3, cost_matrix=COSTS, random_state=0).fit(X, y)
    assert clf.trained_.train_config.monitor == "val_cost"
    clf = SoftmaxClassifier(recipe="seed", hidden=(), max_epochs=3, critical_classes=[2], precision_floor=0.7,
                            random_state=0).fit(X, y)
    assert clf.trained_.train_config.precision_floor == 0.7
    assert clf.get_params()["precision_floor"] == 0.7


@pytest.mark.parametrize("floor", [0, -0.1, 1.5, float("nan"), "high", True])
def test_a_bad_precision_floor_is_refused(floor):
    with pytest.raises(ConfigError, match=r"`precision_floor` must be in \(0, 1\]; got "):
        TrainConfig(precision_floor=floor)


def test_val_cost_without_a_cost_matrix_is_refused_everywhere(split):
    X, y, X_val, y_val = split
    message = r"`monitor` 'val_cost' prices the validation decisions with a cost matrix; give one with `cost_matrix`\."
    with pytest.raises(ConfigError, match=message):
        train(build_model(ModelConfig(4, 3), seed=0), X, y, TrainConfig(monitor="val_cost", epochs=1, verbose=False),
              X_val=X_val, y_val=y_val)
    with pytest.raises(ConfigError, match=message):
        _fit(split, config={"monitor": "val_cost", "epochs": 1})
    with pytest.raises(ConfigError, match=message):
        SoftmaxClassifier(recipe="seed", max_epochs=1, monitor="val_cost").fit(X, y)


def test_a_cost_matrix_of_the_wrong_shape_is_refused(split):
    X, y, X_val, y_val = split
    with pytest.raises(ConfigError, match=r"`cost_matrix` must be a square matrix \(K, K\) with K >= 2; got "):
        TrainConfig(cost_matrix=[[0, 1]])
    with pytest.raises(ConfigError, match=r"`cost_matrix` must hold finite numbers; got NaN or infinity\."):
        TrainConfig(cost_matrix=[[0, np.inf], [1, 0]])
    config = TrainConfig(monitor="val_cost", cost_matrix=[[0, 1], [1, 0]], epochs=1, verbose=False)
    with pytest.raises(ConfigError, match=r"`cost_matrix` must be \(3, 3\), one row and column per class; got "
                                          r"\(2, 2\)\."):
        train(build_model(ModelConfig(4, 3), seed=0), X, y, config, X_val=X_val, y_val=y_val)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_cli_refuses_val_cost_without_costs_and_a_floor_out_of_range(split, tmp_path, capsys, lang):
    X, y, _, _ = split
    data = tmp_path / "d.csv"
    rows = ["a,b,c,d,state"] + [",".join([*map(str, x), CLASSES[c]]) for x, c in zip(X[:200], y[:200])]
    data.write_text("\n".join(rows) + "\n")
    base = ["train", str(data), "--target", "state", "--out", str(tmp_path / "m"), "--quiet", "--lang", lang]
    assert main([*base, "--monitor", "val_cost", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    expected = {"en": "error: `--monitor` 'val_cost' prices the validation decisions with a cost matrix; give one "
                      "with `--cost-matrix`.",
                "es": "error: `--monitor` 'val_cost' puntúa las decisiones de validación con una matriz de costes; "
                      "dé una con `--cost-matrix`."}[lang]
    assert err == expected and not (tmp_path / "m").exists()
    assert main([*base, "--precision-floor", "0"]) == 2
    assert "--precision-floor" in capsys.readouterr().err


def test_the_cli_trains_by_cost_and_saves_the_floor(split, tmp_path):
    X, y, _, _ = split
    data, costs = tmp_path / "d.csv", tmp_path / "costs.csv"
    rows = ["a,b,c,d,state"] + [",".join([*map(str, x), CLASSES[c]]) for x, c in zip(X[:300], y[:300])]
    data.write_text("\n".join(rows) + "\n")
    costs.write_text("true," + ",".join(CLASSES) + "\n" + "\n".join(
        f"{name}," + ",".join(f"{v:g}" for v in row) for name, row in zip(CLASSES, COSTS)) + "\n")
    base = ["train", str(data), "--target", "state", "--quiet", "--recipe", "seed", "--epochs", "3"]
    assert main([*base, "--out", str(tmp_path / "a"), "--cost-matrix", str(costs), "--critical", "fault"]) == 0
    document = json.loads((tmp_path / "a" / "model.json").read_text())
    order = [CLASSES.index(name) for name in document["classes"]]  # the model's class order
    saved = document["train_config"]
    assert saved["monitor"] == "val_cost" and saved["cost_matrix"] == COSTS[np.ix_(order, order)].tolist()
    assert main([*base, "--out", str(tmp_path / "b"), "--critical", "fault", "--precision-floor", "0.8"]) == 0
    trained = load_model(tmp_path / "b")
    trained.stop_reason = "early_stopping"
    for lang, words in (("en", "at precision >= 0.8"), ("es", "con precisión >= 0,8")):
        assert words in stop_line(trained, lang)  # the training line says the floor
    saved = json.loads((tmp_path / "b" / "model.json").read_text())["train_config"]
    assert saved["monitor"] == "val_critical:fault" and saved["precision_floor"] == 0.8


@pytest.mark.parametrize(("lang", "words"), [("en", "val_cost 1.2500"), ("es", "coste_val 1,2500")])
def test_the_progress_line_shows_the_cost(lang, words):
    record = {"train_loss": 0.5, "val_loss": 0.6, "val_macro_f1": 0.7, "val_score": 1.25}
    assert words in describe_epoch(record, lang=lang, monitor="val_cost")
    assert "cost" not in describe_epoch(record, lang=lang, monitor="val_loss")
