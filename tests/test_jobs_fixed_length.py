"""The fixed-length candidate of a cross-validated search: trained as scikit-learn's MLPClassifier trains (a fixed
number of full-batch epochs, the last epoch's weights), judged by the folds alone, and said so when it wins."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from multiclass.audit.folds import FoldRecipe, out_of_fold_probabilities
from multiclass.exceptions import EpochLimitWarning
from multiclass.jobs import plan as plan_module
from multiclass.jobs.crossval import CV_FOLDS
from multiclass.jobs.fit import fit_arrays
from multiclass.jobs.plan import plan
from multiclass.jobs import recipe as recipe_module
from multiclass.jobs.recipe import search
from multiclass.persistence import load_model, save_model
from multiclass.training import TrainConfig
from multiclass.training import recipes as recipes_module
from multiclass.training.recipes import Candidate, auto_candidates, fixed_length_candidates, with_candidate

CLASSES = ["a", "b", "c"]


def _data(n, seed=0):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=6, n_classes=3, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def test_the_fixed_length_candidate_is_mlpclassifiers_recipe_and_keeps_what_the_user_fixed():
    (default,) = fixed_length_candidates(150)
    assert default == Candidate((128,), 0.0, 0.0, 1e-3, 150, 500)  # batch: the whole of a small table
    assert fixed_length_candidates(5_000)[0].batch_size == 200  # scikit-learn's min(200, n)
    (kept,) = fixed_length_candidates(150, fixed={"hidden": (8, 4), "l2": 1e-3, "lr": 0.01, "batch_size": 16,
                                                  "dropout": 0.2, "monitor": "val_accuracy"})
    assert kept == Candidate((8, 4), 0.2, 1e-3, 0.01, 16, 500)
    assert fixed_length_candidates(150, fixed={"epochs": 30}) == []  # the user set the length: no other length
    assert fixed_length_candidates(150, fixed={"patience": 5}) == []
    assert default.to_dict()["fixed_epochs"] == 500 and "fixed_epochs" not in auto_candidates(150, 4, 3)[0].to_dict()
    assert default.label().endswith("batch=150 fixed_epochs=500")


def test_with_candidate_sets_a_fixed_length_and_no_early_stopping():
    config = with_candidate(TrainConfig(), Candidate((128,), 0.0, 0.0, 1e-3, 150, 500))
    assert (config.epochs, config.patience, config.batch_size, config.lr, config.l2) == (500, None, 150, 1e-3, 0.0)
    early = with_candidate(TrainConfig(), auto_candidates(150, 4, 3)[1])
    assert early.epochs == TrainConfig().epochs and early.patience == TrainConfig().patience


def test_the_plan_offers_it_only_where_a_search_runs_on_dense_rows():
    config = TrainConfig()
    assert plan("auto", hidden=None, dropout=None, config=config, n_rows=300, n_features=8,
                n_classes=3).cross_validated[-1:] == fixed_length_candidates(300)
    assert plan("auto", hidden=None, dropout=None, config=config, n_rows=300, n_features=8, n_classes=3,
                sparse=True).cross_validated == []  # TF-IDF text: validation-split search only
    assert plan("seed", hidden=None, dropout=None, config=config, n_rows=300, n_features=8,
                n_classes=3).cross_validated == []
    everything = TrainConfig(l2=1e-4, lr=1e-3 * 2, batch_size=16)
    assert plan("auto", hidden=(8,), dropout=0.0, config=everything, n_rows=300, n_features=8,
                n_classes=3).cross_validated == []  # one candidate: nothing is searched, nothing added


def test_search_cross_validates_it_beside_the_candidates_and_leaves_it_out_of_a_validation_split(monkeypatch):
    length = Candidate((8,), 0.0, 0.0, 1e-3, 200, 7)
    X, y = _data(300)
    candidates = auto_candidates(270, 8, 3)[:2]
    found = search(X[:270], y[:270], X[270:], y[270:], candidates, classes=CLASSES,
                   base=TrainConfig(verbose=False, seed=0), cross_validated=[*candidates, length])
    entry = found.board[-1]
    assert len(found.board) == 3 and entry["fixed_epochs"] == 7 and entry["best_epochs"] == [7] * CV_FOLDS
    assert entry["batch_size"] == 200
    monkeypatch.setattr(recipe_module, "MIN_CV_ROWS", 1_000)  # too few rows to cross-validate: ranked on the split
    found = search(X[:270], y[:270], X[270:], y[270:], candidates, classes=CLASSES,
                   base=TrainConfig(verbose=False, seed=0), cross_validated=[*candidates, length])
    assert found.folds == 0 and found.board and not any("fixed_epochs" in e for e in found.board)


@pytest.fixture
def fixed_length_wins(monkeypatch):
    """Candidates that cannot learn (a learning rate of 1e-7) beside a 40-epoch fixed-length one, which wins."""
    hopeless = [Candidate((), 0.0, 0.0, 1e-7, 32), Candidate((4,), 0.0, 0.0, 1e-7, 32)]
    monkeypatch.setattr(plan_module, "auto_candidates", lambda *args, **kwargs: list(hopeless))
    monkeypatch.setattr(recipes_module, "fixed_length_candidates",
                        lambda n_rows, fixed=None: [Candidate((16,), 0.0, 0.0, 1e-2, min(200, n_rows), 40)])
    monkeypatch.setattr(recipes_module, "converged_candidates", lambda n_rows, fixed=None: [])


def test_a_fixed_length_winner_is_the_average_of_its_fold_models_last_epochs(fixed_length_wins, tmp_path):
    X, y = _data(300, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EpochLimitWarning)  # all 40 epochs by design: not "still improving"
        trained, _ = fit_arrays(X[:250], y[:250], classes=CLASSES, X_val=X[250:], y_val=y[250:],
                                config=TrainConfig(verbose=False, seed=0))
    assert trained.recipe["chosen"]["fixed_epochs"] == 40 and trained.stop_reason == "fold_fixed"
    assert trained.recipe["fold_best_epochs"] == [40] * CV_FOLDS and trained.best_epoch == 40
    assert trained.model.config.hidden == (16 * CV_FOLDS,)
    assert trained.validation["accuracy"] > 0.6
    loaded = load_model(save_model(trained, tmp_path / "m"))  # model.json tells the truth: 40 epochs, no patience
    assert (loaded.train_config.epochs, loaded.train_config.patience) == (40, None)
    assert loaded.stop_reason == "fold_fixed" and loaded.recipe["chosen"]["fixed_epochs"] == 40
    np.testing.assert_allclose(loaded.predict_proba(X[250:]), trained.predict_proba(X[250:]), atol=1e-6)


@pytest.mark.parametrize("lang, network, stop, html", [
    ("en", "batch 200, 40 epochs with no early stopping, classes weighted by the square root of balanced (recipe auto: "
           "the best of 3 candidates by 5-fold",
     "5 fold models, each trained for 40 epochs with no early stopping (as scikit-learn's MLPClassifier",
     "40 epochs with no early stopping (the best of 3 candidates by 5-fold cross-validation"),
    ("es", "lote 200, 40 épocas sin parada temprana, clases ponderadas por la raíz de balanced (receta auto: la "
           "mejor de 3 candidatas",
     "5 modelos, uno por parte, cada uno entrenado 40 épocas sin parada temprana",
     "40 épocas sin parada temprana (la mejor de 3 candidatas por validación cruzada"),
])
def test_the_command_line_and_the_report_say_the_winner_trained_a_fixed_length(tmp_path, capsys, fixed_length_wins,
                                                                                lang, network, stop, html):
    from multiclass.cli import main

    X, y = _data(300, seed=1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=np.array(CLASSES)[y])
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert main(["train", str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"),
                 "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert network in out and stop in out
    assert main(["evaluate", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--html", str(tmp_path / "r.html"),
                 "--lang", lang]) == 0
    page = (tmp_path / "r.html").read_text()
    assert html in page
    assert ("Epoch of the weights (the last: no early stopping)" if lang == "en" else
            "Época de los pesos (la última: sin parada temprana)") in page
    assert main(["evaluate", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--lang", lang]) == 0
    assert ("a fixed number of epochs for each fold model" if lang == "en" else
            "un número fijo de épocas para cada modelo") in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("engine", ["stacked", "separate"])
def test_audit_fold_models_of_a_fixed_length_recipe_keep_their_last_epoch(engine):
    """Both engines train every fold model its epochs and keep the last; they agree to float rounding."""
    X, y = _data(240, seed=2)
    config = TrainConfig(epochs=15, batch_size=200, lr=0.05, patience=None, verbose=False, engine="eager")
    last = out_of_fold_probabilities(X, y, folds=4, recipe=FoldRecipe((16,), config=config, keep_last=True),
                                     engine=engine)
    assert last.best_epochs == [15] * 4 and set(last.stop_reasons) == {"fixed_length"}
    other = out_of_fold_probabilities(X, y, folds=4, recipe=FoldRecipe((16,), config=config, keep_last=True),
                                      engine="separate" if engine == "stacked" else "stacked")
    np.testing.assert_allclose(last.probs, other.probs, atol=1e-4)
