"""A run that ends at its epoch limit while still improving says so, and what to do (issue 14)."""

import warnings

import numpy as np
import pytest

from multiclass.cli.translate import translate
from multiclass.exceptions import EpochLimitWarning
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def test_still_improving_at_the_limit_warns_with_the_remedy():
    X, y = _data()
    model = build_model(ModelConfig(4, 2, (8,)), seed=0)
    with pytest.warns(EpochLimitWarning, match=r"^training used all 10 epochs and its best epoch was 10: the model "
                                               r"was still improving; train again with more `epochs`"):
        train(model, X, y, TrainConfig(epochs=10, lr=1e-4, verbose=False, patience=None))


@pytest.mark.parametrize("config", [
    TrainConfig(epochs=10, lr=1e-4, verbose=False, val_split=0.0),  # no validation: nothing says it improved
    TrainConfig(epochs=5, lr=1e-4, verbose=False),  # too short a run to tell
    TrainConfig(epochs=300, lr=0.05, verbose=False, patience=3),  # early stopping ended it
], ids=["unvalidated", "short", "early-stopped"])
def test_no_warning_when_the_limit_did_not_cut_learning_short(config):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EpochLimitWarning)
        train(build_model(ModelConfig(4, 2, (8,)), seed=0), X, y, config)


def test_the_cli_says_it_in_spanish_naming_flags():
    message = ("training used all 100 epochs and its best epoch was 97: the model was still improving; train again "
               "with more `--epochs` (or a larger `--lr`).")
    assert translate(message, "es") == ("el entrenamiento usó sus 100 épocas y la mejor fue la 97: el modelo aún "
                                        "mejoraba; entrene de nuevo con más `--epochs` (o un `--lr` mayor).")


def test_separable_classes_at_the_limit_say_more_epochs_would_not_help():
    X, y = _data()
    X[:, 0] += np.where(X[:, 0] > 0, 3.0, -3.0)  # a wide margin: every row is right within a few epochs
    y = (X[:, 0] > 0).astype(np.int64)
    model = build_model(ModelConfig(4, 2, (8,)), seed=0)
    with pytest.warns(EpochLimitWarning) as caught:
        result = train(model, X, y, TrainConfig(epochs=40, lr=0.01, verbose=False, patience=None))
    assert result.history[result.best_epoch - 1]["val_accuracy"] == 1.0
    assert [str(w.message) for w in caught if w.category is EpochLimitWarning] == [
        f"training used all 40 epochs and its best epoch was {result.best_epoch}: every validation row was already "
        "right and only the loss still fell (the classes look separable); more epochs would make the model more "
        "confident, not more accurate."]


def test_the_separable_case_is_said_in_spanish():
    message = ("training used all 300 epochs and its best epoch was 297: every validation row was already right and "
               "only the loss still fell (the classes look separable); more epochs would make the model more "
               "confident, not more accurate.")
    assert translate(message, "es") == ("el entrenamiento usó sus 300 épocas y la mejor fue la 297: todas las filas "
                                        "de validación ya estaban bien y solo la pérdida seguía bajando (las clases "
                                        "parecen separables); más épocas harían el modelo más seguro, no más preciso.")
