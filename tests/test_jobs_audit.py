"""multiclass.jobs.audit: the recipe is train's, chosen once; the folder written; dropping suspects for training."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest

from multiclass.audit import audit as audit_arrays
from multiclass.audit import audit_probabilities, write_audit
from multiclass.data import load_dataset
from multiclass.decisions import DecisionConfig
from multiclass.exceptions import ConfigError
from multiclass.jobs.audit import audit, choose_fold_recipe, critical_classes, drop_for_training
from multiclass.jobs.fit import fit, fit_dataset
from multiclass.training import TrainConfig

QUIET = TrainConfig(verbose=False)


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris")


def test_the_fold_recipe_is_the_one_train_picks(iris):
    """Same data, same seed: the audit's candidate is the winner of `train`'s search (sized on the same split)."""
    recipe, record = choose_fold_recipe(iris.X, iris.y, iris.classes, config=QUIET)
    trained = fit_dataset(iris, config=QUIET).trained
    assert record["chosen"] == trained.recipe["chosen"]
    assert record["name"] == "auto" and record["search_seconds"] > 0
    model = trained.model.config
    chosen = trained.recipe["chosen"]  # small data: train's model is 5 such networks averaged (jobs/crossval.py)
    assert (recipe.hidden, recipe.dropout) == (tuple(chosen["hidden"]), model.dropout)
    assert model.hidden == tuple((trained.recipe.get("folds") or 1) * h for h in chosen["hidden"])
    assert (recipe.config.lr, recipe.config.l2, recipe.config.batch_size) == (
        trained.train_config.lr, trained.train_config.l2, trained.train_config.batch_size)
    assert recipe.config.epochs == trained.train_config.epochs and recipe.config.verbose is False


def test_fixed_hyperparameters_are_kept_and_seed_searches_nothing(iris):
    recipe, record = choose_fold_recipe(iris.X, iris.y, iris.classes, recipe="seed", hidden=(7,), config=QUIET)
    assert recipe.hidden == (7,) and record["name"] == "seed"
    assert (recipe.config.lr_patience, recipe.config.monitor) == (5, "val_accuracy")  # the seed recipe's


def test_the_verb_is_the_audit_of_its_fold_recipe_and_writes_the_folder(iris, tmp_path):
    config = TrainConfig(epochs=5, verbose=False)
    run = audit("iris", out=tmp_path / "audit", folds=3, recipe="seed", config=config, lang="es")
    assert sorted(p.name for p in run.written.values()) == ["audit.es.html", "audit.json", "suspects.csv"]
    recipe, _ = choose_fold_recipe(iris.X, iris.y, iris.classes, recipe="seed", config=config)
    direct = audit_arrays(iris, folds=3, recipe=recipe)
    np.testing.assert_array_equal(run.result.suspects.row, direct.suspects.row)
    np.testing.assert_allclose(run.result.probs, direct.probs)
    record = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert record["folds"]["recipe"]["chosen"]["hidden"] == [25, 15]
    with open(tmp_path / "audit" / "suspects.csv", newline="") as handle:
        rows = [int(line["row"]) for line in csv.DictReader(handle)]
    assert rows == run.result.suspects.row.tolist() and len(rows) == run.result.n_flagged


def test_an_audit_with_a_bad_option_writes_nothing(tmp_path):
    with pytest.raises(ConfigError, match=r"^`val_split` must be > 0 for an audit"):
        audit("iris", out=tmp_path / "audit", recipe="seed", config=TrainConfig(val_split=0.0, verbose=False))
    assert not (tmp_path / "audit").exists()


def _audit_of(dataset, folder, every: int = 7):
    """An audit folder that doubts every `every`-th row of `dataset` (probabilities made up, labels real)."""
    k = dataset.n_classes
    probs = np.full((dataset.n_samples, k), 0.1 / (k - 1))
    probs[np.arange(dataset.n_samples), dataset.y] = 0.9
    probs[::every] = np.roll(probs[::every], 1, axis=1)
    write_audit(audit_probabilities(dataset.y, probs, classes=dataset.classes, filter_by="predicted_neq_given"),
                folder, html=False)
    return np.arange(0, dataset.n_samples, every)


def test_drop_for_training_keeps_critical_classes_unless_asked(iris, tmp_path):
    listed = _audit_of(iris, tmp_path / "audit")
    setosa = iris.classes.index("setosa")
    kept, record = drop_for_training(iris, tmp_path / "audit", critical=["setosa"])
    protected = listed[iris.y[listed] == setosa]
    assert record == {"audit": str(tmp_path / "audit"), "dropped": len(listed) - len(protected),
                      "kept_critical": len(protected)} and len(protected) > 0
    assert kept.n_samples == iris.n_samples - record["dropped"]
    everything, record = drop_for_training(iris, tmp_path / "audit", critical=["setosa"], drop_critical=True)
    assert record["dropped"] == len(listed) and record["kept_critical"] == 0
    np.testing.assert_array_equal(everything.X, np.delete(iris.X, listed, axis=0))
    np.testing.assert_array_equal(everything.y, np.delete(iris.y, listed))


def test_critical_classes_are_the_recall_targets_checked():
    assert critical_classes(None, ["a", "b"]) == ()
    assert critical_classes(DecisionConfig(target_recall={"b": 0.9}), ["a", "b"]) == ("b",)
    with pytest.raises(ConfigError, match="'c'"):
        critical_classes(DecisionConfig(target_recall={"c": 0.9}), ["a", "b"])


def test_fit_drops_suspects_and_records_it(iris, tmp_path):
    listed = _audit_of(iris, tmp_path / "audit")
    config = TrainConfig(epochs=2, verbose=False)
    result = fit("iris", out=tmp_path / "model", recipe="seed", config=config, drop_suspects=tmp_path / "audit")
    assert result.trained.data_info["dropped_suspects"]["dropped"] == len(listed)
    assert result.trained.data_info["n_samples"] == iris.n_samples - len(listed)
    saved = json.loads((tmp_path / "model" / "model.json").read_text())
    assert saved["data"]["dropped_suspects"]["dropped"] == len(listed)
    plain = fit_dataset(replace(iris, X=np.delete(iris.X, listed, 0), y=np.delete(iris.y, listed)), recipe="seed",
                        config=config).trained
    for name, tensor in plain.model.state_dict().items():  # the same rows, the same model
        np.testing.assert_array_equal(tensor.numpy(), result.trained.model.state_dict()[name].numpy())
