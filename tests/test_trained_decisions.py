"""Decision policies inside the model: the estimator's `calibrate` / `cost_matrix` / `target_recall`, the
model directory round trip, and `fit_dataset` fitting the policy on its validation rows."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import recall_score

from multiclass import SoftmaxClassifier, data
from multiclass.decisions import (
    DecisionConfig,
    DecisionPolicy,
    apply_temperature,
    bayes_decision,
)
from multiclass.exceptions import ConfigError, DataError, ModelFileError
from multiclass.persistence import _canonical, load_model, save_model
from multiclass.training import TrainConfig
from multiclass.jobs import evaluate_dataset, fit_dataset, predictions_frame

torch.set_num_threads(1)

QUICK = {"hidden": (), "lr": 0.05, "max_epochs": 15, "random_state": 0}
CLASSES = ("critical", "minor", "ok")


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    """600 rows, 3 overlapping classes, 'critical' rare (10%): a CSV and the Dataset read from it."""
    rng = np.random.default_rng(0)
    label = rng.choice(["ok", "minor", "critical"], 600, p=[0.7, 0.2, 0.1])
    code = np.searchsorted(CLASSES, label)
    frame = pd.DataFrame({"a": code * 1.2 + rng.normal(0, 1, 600), "b": rng.normal(0, 1, 600), "label": label})
    path = tmp_path_factory.mktemp("faults") / "faults.csv"
    frame.to_csv(path, index=False)
    return path, data.load_dataset(path, target="label")


# --- the estimator -------------------------------------------------------------------------------------------------


def test_estimator_calibrate_returns_calibrated_probabilities_with_the_same_decisions(imbalanced):
    X, y = imbalanced
    plain = SoftmaxClassifier(**QUICK).fit(X, y)
    calibrated = SoftmaxClassifier(**QUICK, calibrate=True).fit(X, y)
    temperature = calibrated.decision_policy_.temperature
    assert temperature != 1.0 and plain.decision_policy_ == DecisionPolicy()
    raw = plain.predict_log_proba(X)  # the same network: calibration is fitted after training
    np.testing.assert_allclose(calibrated.predict_proba(X), np.exp(apply_temperature(raw, temperature)), atol=1e-12)
    np.testing.assert_array_equal(calibrated.predict(X), plain.predict(X))
    np.testing.assert_allclose(calibrated.predict_proba(X).sum(axis=1), 1.0, atol=1e-12)


def test_estimator_cost_matrix_decides_by_minimum_expected_cost(imbalanced):
    X, y = imbalanced
    cost = np.array([[0.0, 1.0], [8.0, 0.0]])  # missing class 1 costs 8 false alarms
    clf = SoftmaxClassifier(**QUICK, cost_matrix=cost).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[bayes_decision(clf.predict_proba(X), cost)])
    plain = SoftmaxClassifier(**QUICK).fit(X, y)
    assert recall_score(y, clf.predict(X)) > recall_score(y, plain.predict(X))
    by_name = SoftmaxClassifier(**QUICK, cost_matrix={1: {0: 8}}).fit(X, y)  # labels -> costs, others 0-1
    np.testing.assert_array_equal(by_name.predict(X), clf.predict(X))


def test_estimator_target_recall_raises_recall_and_survives_clone_and_pickle(imbalanced):
    X, y = imbalanced
    # 7 validation rows of class 1: 0.85 can be guaranteed on new rows (6 needed), 0.9 cannot (9 needed)
    with pytest.raises(DataError, match=r"^class '1' has 7 validation rows; a recall target of 90 % is guaranteed"):
        SoftmaxClassifier(**QUICK, target_recall={1: 0.9}).fit(X, y)
    clf = SoftmaxClassifier(**QUICK, target_recall={1: 0.85}).fit(X, y)
    plain = SoftmaxClassifier(**QUICK).fit(X, y)
    assert clf.decision_policy_.rule == "offsets" and clf.decision_policy_.target_recall == ((1, 0.85),)
    assert recall_score(y, clf.predict(X)) > recall_score(y, plain.predict(X))
    assert clone(clf).get_params()["target_recall"] == {1: 0.85}
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_estimator_decision_messages(imbalanced):
    X, y = imbalanced
    with pytest.raises(ConfigError, match=r"`val_split` must be in \(0, 1\) to fit `calibrate`"):
        SoftmaxClassifier(**QUICK, calibrate=True, val_split=0.0).fit(X, y)
    with pytest.raises(ConfigError, match="`target_recall` names class 7, which is not one of the classes"):
        SoftmaxClassifier(**QUICK, target_recall={7: 0.9}).fit(X, y)
    with pytest.raises(ConfigError, match=r"`cost_matrix` must be \(2, 2\)"):
        SoftmaxClassifier(**QUICK, cost_matrix=np.zeros((3, 3))).fit(X, y)


def test_estimator_without_early_stopping_still_calibrates_on_held_out_rows(imbalanced):
    X, y = imbalanced
    clf = SoftmaxClassifier(**QUICK, early_stopping=False, calibrate=True).fit(X, y)
    assert clf.n_iter_ == QUICK["max_epochs"] and clf.decision_policy_.temperature != 1.0


# --- fit_dataset, the model directory --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tuned(faults):
    _, dataset = faults
    config = TrainConfig(lr=0.1, epochs=5, val_split=0.3, verbose=False, seed=0)
    result = fit_dataset(dataset, hidden=(), config=config,
                         decision=DecisionConfig(calibrate=True, target_recall={"critical": 0.9}))
    return result.trained, result.validation


def test_fit_dataset_meets_the_target_on_validation_and_says_so(tuned):
    trained, validation = tuned
    assert trained.decision.rule == "offsets" and trained.decision.temperature != 1.0
    section = validation.decision
    (check,) = section.targets
    assert CLASSES[check.index] == "critical" and check.met and check.recall.value >= 0.9
    assert check.recall.method == "wilson" and check.recall.low < check.recall.value <= check.recall.high
    assert section.tuned_here and [n.code for n in section.notices] == ["targets_tuned_here"]
    assert validation.per_class[0].recall.value >= 0.9  # the validation report scores the policy's decisions


def test_model_directory_keeps_the_policy_and_identical_decisions(tuned, faults, tmp_path):
    trained, _ = tuned
    _, dataset = faults
    save_model(trained, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.decision == trained.decision
    np.testing.assert_array_equal(loaded.predict_codes(dataset.X), trained.predict_codes(dataset.X))
    np.testing.assert_array_equal(loaded.predict_proba(dataset.X), trained.predict_proba(dataset.X))
    document = json.loads((tmp_path / "m" / "model.json").read_text())
    assert document["decision"] == trained.decision.to_dict()


def test_a_forged_decision_is_a_bad_model_file(tuned, tmp_path):
    trained, _ = tuned
    save_model(trained, tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    document = json.loads(path.read_text())
    document.pop("checksum")
    document["decision"]["offsets"] = [0.0, 1.0]  # 2 offsets for 3 classes, checksum made to match
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match="malformed model file .*the decision policy is for 2 classes"):
        load_model(tmp_path / "m")


def test_predictions_and_report_use_the_policy(tuned, faults):
    trained, _ = tuned
    _, dataset = faults
    frame = predictions_frame(trained, dataset)
    assert (frame["predicted"].to_numpy() == np.array(CLASSES)[trained.predict_codes(dataset.X)]).all()
    probs = trained.predict_proba(dataset.X)
    np.testing.assert_allclose(frame["probability"], probs[np.arange(len(probs)), trained.predict_codes(dataset.X)])
    report = evaluate_dataset(trained, dataset)
    assert report.decision is not None and not report.decision.tuned_here
    assert report.decision.calibration["after"]["log_loss"] != report.decision.calibration["before"]["log_loss"]


def test_cost_matrix_override_keeps_the_temperature(tuned, faults):
    trained, _ = tuned
    _, dataset = faults
    costly = trained.with_cost_matrix({"critical": {"ok": 30, "minor": 30}})
    assert costly.decision.rule == "cost" and costly.decision.temperature == trained.decision.temperature
    expected = bayes_decision(costly.predict_proba(dataset.X), np.asarray(costly.decision.cost_matrix))
    np.testing.assert_array_equal(costly.predict_codes(dataset.X), expected)
    assert trained.decision.rule == "offsets"  # the original is untouched


def test_calibration_needs_a_validation_split(faults):
    _, dataset = faults
    with pytest.raises(ConfigError, match=r"fitted on validation rows; set `val_split` > 0"):
        fit_dataset(dataset, hidden=(), config=TrainConfig(epochs=1, val_split=0.0, verbose=False),
                    decision=DecisionConfig(calibrate=True))
    with pytest.raises(ConfigError, match="`target_recall` names class 'typo'"):  # before any training
        fit_dataset(dataset, hidden=(), config=TrainConfig(epochs=1, verbose=False),
                    decision=DecisionConfig(target_recall={"typo": 0.9}))
