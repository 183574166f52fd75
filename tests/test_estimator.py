"""SoftmaxClassifier: scikit-learn's estimator checks, pipelines, grid search, string labels."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from multiclass import SoftmaxClassifier
from multiclass.exceptions import ConfigError, DataError, DataWarning, NotFittedError

# Small and quick, yet the checks' toy problems (blobs, iris subsets) must still be learnt:
# softmax regression with a large step size does that in well under a second each.
_QUICK = {"hidden": (), "lr": 0.05, "max_epochs": 30, "random_state": 0}


@parametrize_with_checks([SoftmaxClassifier(**_QUICK), SoftmaxClassifier(hidden=(8,), lr=0.01, max_epochs=30, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _string_labelled(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    return X[:600], names[y[:600]]


def test_string_labels_round_trip(digits):
    X, y = _string_labelled(digits)
    clf = SoftmaxClassifier(hidden=(32,), lr=0.01, random_state=0).fit(X, y)
    assert list(clf.classes_) == sorted(set(y))
    pred = clf.predict(X)
    assert pred.dtype == y.dtype and set(pred) <= set(y)
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


def test_fitted_attributes(digits):
    X, y = _string_labelled(digits)
    clf = SoftmaxClassifier(recipe="seed", max_epochs=5, random_state=0).fit(X, y)
    assert clf.n_features_in_ == 64 and clf.n_iter_ == len(clf.history_) == 5
    assert 1 <= clf.best_epoch_ <= 5
    assert [tuple(layer.weight.shape) for layer in clf.model_.linears] == [(25, 64), (15, 25), (10, 15)]


def test_pipeline_grid_search_and_cross_val_score_on_string_labels(digits):
    X, y = _string_labelled(digits)
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(hidden=(), lr=0.01, max_epochs=30, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.75  # 400 training rows, 30 epochs: a sanity bar
    grid = GridSearchCV(pipe, {"softmaxclassifier__lr": [1e-3, 1e-2], "softmaxclassifier__l2": [0.0, 1e-3]}, cv=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"softmaxclassifier__lr", "softmaxclassifier__l2"}
    assert grid.predict(X[:5]).dtype == y.dtype


def test_clone_and_pickle_keep_predictions(digits):
    X, y = _string_labelled(digits)
    clf = SoftmaxClassifier(hidden=(16,), max_epochs=5, random_state=1).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "model_")


def test_same_random_state_same_model(digits):
    X, y = _string_labelled(digits)
    a = SoftmaxClassifier(max_epochs=3, dropout=0.2, random_state=7).fit(X, y)
    b = SoftmaxClassifier(max_epochs=3, dropout=0.2, random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_early_stopping_auto_depends_on_class_counts(digits):
    X, y = _string_labelled(digits)
    clf = SoftmaxClassifier(max_epochs=3, random_state=0).fit(X, y)
    assert clf.history_[0]["val_loss"] is not None
    with pytest.warns(DataWarning, match=r"class 'a' has 1 example: kept in training, not in the validation split"):
        clf = SoftmaxClassifier(max_epochs=3, random_state=0).fit(X[:5], np.array(["a", "b", "b", "c", "c"]))
    assert clf.history_[0]["val_loss"] is not None  # a class of one row does not switch validation off
    X_small, y_small = X[:3], np.array(["a", "b", "c"])  # one row per class: no stratified split possible
    clf = SoftmaxClassifier(max_epochs=2, random_state=0).fit(X_small, y_small)
    assert clf.history_[0]["val_loss"] is None
    with pytest.raises(DataError, match=r"no class has 2 examples \(class 'a' has 1\); a stratified validation split"):
        SoftmaxClassifier(max_epochs=2, early_stopping=True).fit(X_small, y_small)


def test_error_messages(digits):
    X, y = _string_labelled(digits)
    with pytest.raises(DataError, match=r"`y` must contain at least 2 classes; got 1 class \('one'\)\."):
        SoftmaxClassifier().fit(X[:5], np.array(["one"] * 5))
    with pytest.raises(ConfigError, match=r"`early_stopping` must be True, False or 'auto'; got 'yes'\."):
        SoftmaxClassifier(early_stopping="yes").fit(X, y)
    with pytest.raises(ConfigError, match=r"`batch_size` must be an integer >= 1; got 0\."):
        SoftmaxClassifier(batch_size=0).fit(X, y)
    with pytest.raises(NotFittedError):
        SoftmaxClassifier().predict(X)


def test_defaults_are_the_auto_recipe_and_seed_is_one_argument_away(digits):
    X, y = _string_labelled(digits)
    auto = SoftmaxClassifier(random_state=0).fit(X, y)
    recipe = auto.trained_.recipe
    assert recipe["name"] == "auto" and len(recipe["candidates"]) > 10
    assert {tuple(c["hidden"]) for c in recipe["candidates"]} >= {(), (25, 15)}
    chosen = tuple(recipe["chosen"]["hidden"])
    folds = recipe.get("folds") or 1  # small data: the average of the winner's fold models, side by side
    assert [layer.weight.shape[0] for layer in auto.model_.linears[:-1]] == [folds * h for h in chosen]
    assert auto.n_iter_ < 500 and auto.score(X, y) > 0.95  # early stopping, not the epoch limit, ended it
    seed = SoftmaxClassifier(recipe="seed", max_epochs=3, random_state=0).fit(X, y)
    assert [tuple(layer.weight.shape) for layer in seed.model_.linears] == [(25, 64), (15, 25), (10, 15)]
    assert seed.trained_.recipe["name"] == "seed"
    fixed = SoftmaxClassifier(hidden=(12,), random_state=0).fit(X, y)
    assert {tuple(c["hidden"]) for c in fixed.trained_.recipe["candidates"]} == {(12,)}
    with pytest.raises(ConfigError, match=r"`recipe` must be one of \['auto', 'seed'\]; got 'best'"):
        SoftmaxClassifier(recipe="best").fit(X, y)
