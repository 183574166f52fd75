"""Softmax regression fitted by L-BFGS (`multiclass.sweep.converged`) and its place in the cross-validated search.

Oracles: the objective and its gradient against torch's cross-entropy (class weights, label smoothing) and autograd,
and finite differences; the fitted model against scikit-learn's LogisticRegression (C = 1 / (2 n l2)).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from multiclass.audit.folds import FoldRecipe, out_of_fold_probabilities
from multiclass.cli.summary import recipe_line, stop_line
from multiclass.jobs import plan as plan_module
from multiclass.jobs.crossval import CV_FOLDS
from multiclass.jobs.fit import fit_arrays
from multiclass.jobs.plan import plan
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import load_model, save_model
from multiclass.report.render.html import recipe_text
from multiclass.report.formatting import Formatter
from multiclass.report.strings import strings
from multiclass.sweep.converged import CONVERGED, ITERATION_LIMIT, fit_softmax, softmax_objective, train_converged
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import train_trials
from multiclass.training import TrainConfig
from multiclass.training.monitor import Priced
from multiclass.training.recipes import (Candidate, auto_candidates, converged_candidates, cross_validated_candidates,
                                         fixed_length_candidates)
from multiclass.training.validation import ResidentValidation, scores_of_totals


def _data(n=240, n_classes=3, seed=0):
    X, y = make_classification(n, 6, n_informative=4, n_redundant=0, n_classes=n_classes, n_clusters_per_class=1,
                               class_sep=0.8, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def _proba(fit, X):
    logits = X.astype(np.float64) @ fit.weight.T.astype(np.float64) + fit.bias
    return torch.softmax(torch.from_numpy(logits), 1).numpy()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), smoothing=st.sampled_from([0.0, 0.1, 0.3]), weighted=st.booleans(),
       l2=st.sampled_from([0.0, 1e-3, 0.5]))
def test_the_objective_and_gradient_are_torchs_cross_entropy_plus_l2(seed, smoothing, weighted, l2):
    rng = np.random.default_rng(seed)
    n, n_features, k = 17, 4, 3
    X, y = rng.normal(size=(n, n_features)), rng.integers(0, k, n)
    params = rng.normal(size=k * (n_features + 1))
    weight = rng.uniform(0.2, 3.0, k) if weighted else None
    loss, grad = softmax_objective(params, X, y, k, l2, weight, smoothing)
    W = torch.tensor(params[: k * n_features].reshape(k, n_features), requires_grad=True)
    b = torch.tensor(params[k * n_features:], requires_grad=True)
    expected = F.cross_entropy(torch.from_numpy(X) @ W.T + b, torch.from_numpy(y), label_smoothing=smoothing,
                               weight=None if weight is None else torch.from_numpy(weight)) + l2 * (W * W).sum()
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, np.concatenate([W.grad.numpy().ravel(), b.grad.numpy()]), rtol=1e-10,
                               atol=1e-12)


def test_the_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(30, 5)), rng.integers(0, 4, 30)
    weight = np.array([1.0, 2.0, 0.5, 1.5])

    def value(p):
        return softmax_objective(p, X, y, 4, 0.01, weight, 0.1)[0]

    def gradient(p):
        return softmax_objective(p, X, y, 4, 0.01, weight, 0.1)[1]

    assert check_grad(value, gradient, rng.normal(size=24)) < 1e-5


@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
def test_the_fit_is_scikit_learns_logistic_regression(C):
    X, y = _data()
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X.astype(np.float64), y)  # float64 as ours
    fit = fit_softmax(X, y, 3, l2=1.0 / (2 * C * len(y)))
    assert fit.converged
    np.testing.assert_allclose(fit.weight, reference.coef_, atol=2e-5 * max(1.0, np.abs(reference.coef_).max()))
    np.testing.assert_allclose(_proba(fit, X), reference.predict_proba(X.astype(np.float64)), atol=1e-5)


def test_class_weights_weigh_as_scikit_learns_class_weight():
    X, y = _data(seed=2)
    weight = np.array([1.0, 3.0, 0.5])
    C = 0.5
    reference = LogisticRegression(C=C, tol=1e-10, max_iter=10_000, class_weight=dict(enumerate(weight)))
    reference.fit(X.astype(np.float64), y)
    # scikit-learn divides its penalty by the summed sample weights, as the mean loss here is divided
    fit = fit_softmax(X, y, 3, l2=1.0 / (2 * C * weight[y].sum()), class_weight=weight)
    np.testing.assert_allclose(_proba(fit, X), reference.predict_proba(X.astype(np.float64)), atol=1e-5)


def test_an_iteration_limit_is_reported_not_hidden():
    X, y = _data()
    fit = fit_softmax(X, y, 3, l2=1e-6, max_iter=2)
    assert not fit.converged and fit.iterations == 2


def _trial(l2=1e-3, hidden=(), monitor="val_loss", n_features=6, n_classes=3):
    config = TrainConfig(l2=l2, monitor=monitor, verbose=False)
    return Trial((("l2", l2),), config, ModelConfig(n_features, n_classes, hidden), solver="lbfgs")


def test_a_converged_trial_is_scored_on_the_validation_rows_as_an_epoch_is():
    X, y = _data()
    weight = torch.tensor([1.0, 2.0, 1.0])
    result = train_converged(_trial(), X[:200], y[:200], X[200:], y[200:], class_weight=weight)
    assert result.stop_reason == CONVERGED and result.best_epoch == 1 and result.n_epochs == 1
    record = result.best_record
    assert record["iterations"] > 0 and result.best_score == record["val_loss"] == record["val_score"]
    model = build_model(ModelConfig(6, 3, ()))
    model.load_state_dict(result.state)
    totals = ResidentValidation(torch.from_numpy(X[200:]), torch.from_numpy(y[200:])).totals(model, weight)
    expected = scores_of_totals(totals, 3, None)
    assert record["val_loss"] == pytest.approx(expected["val_loss"], rel=1e-6)
    assert record["val_macro_f1"] == expected["val_macro_f1"]


def test_only_softmax_regression_is_fitted_so():
    X, y = _data()
    with pytest.raises(ValueError, match="softmax regression only"):
        train_converged(_trial(hidden=(8,)), X, y, X, y)


def test_train_trials_fits_lbfgs_trials_on_their_own_rows_beside_stacked_ones():
    X, y = _data()
    rows = [np.arange(0, 180), np.arange(60, 240)]
    val_rows = [np.arange(180, 240), np.arange(0, 60)]
    adam = Trial((("lr", 1e-2),), TrainConfig(lr=1e-2, epochs=3, verbose=False), ModelConfig(6, 3, (4,)))
    results = train_trials([_trial(), adam], X, y, X, y, rows=rows, val_rows=val_rows)
    assert results[0].stop_reason == CONVERGED and results[1].n_epochs == 3
    alone = train_converged(_trial(), X[rows[0]], y[rows[0]], X[val_rows[0]], y[val_rows[0]])
    torch.testing.assert_close(results[0].state, alone.state)


def test_converged_candidates_keep_what_the_user_fixed_and_step_aside_for_what_they_would_ignore():
    assert [c.l2 for c in converged_candidates(200)] == [5e-4, 5e-3, 5e-2]
    assert all(c.solver == "lbfgs" and c.hidden == () for c in converged_candidates(200))
    assert [c.l2 for c in converged_candidates(200, fixed={"l2": 0.25})] == [0.25]
    for fixed in ({"hidden": (8,)}, {"dropout": 0.3}, {"lr": 0.01}, {"batch_size": 16}, {"epochs": 30},
                  {"patience": 4}):
        assert converged_candidates(200, fixed=fixed) == []
    assert converged_candidates(200, fixed={"hidden": ()})  # softmax regression asked for: fitted so


def test_the_cross_validated_list_replaces_the_adam_softmax_regressions():
    candidates = auto_candidates(200, 6, 3)
    folded = cross_validated_candidates(candidates, 200)
    softmax = [c for c in folded if not c.hidden]
    assert softmax == converged_candidates(200)
    assert [c for c in folded if c.hidden and not c.fixed_epochs] == [c for c in candidates if c.hidden]
    assert folded[-1:] == fixed_length_candidates(200)
    kept = cross_validated_candidates(candidates, 200, fixed={"lr": 0.01})  # L-BFGS would ignore the user's lr
    assert [c for c in kept if not c.hidden] == [c for c in candidates if not c.hidden]
    assert plan("auto", hidden=None, dropout=None, config=TrainConfig(), n_rows=200, n_features=6,
                n_classes=3).cross_validated == folded


def test_the_labels_and_the_model_file_say_lbfgs():
    (candidate, *_) = converged_candidates(100)
    assert candidate.label() == "hidden=none l2=0.001 solver=lbfgs"
    assert candidate.to_dict()["solver"] == "lbfgs"
    assert "solver" not in auto_candidates(100, 4, 3)[0].to_dict()


@pytest.fixture
def converged_wins(monkeypatch):
    """Candidates that cannot learn (a learning rate of 1e-7) and no fixed-length one: a converged one wins."""
    hopeless = [Candidate((), 0.0, 0.0, 1e-7, 32), Candidate((4,), 0.0, 0.0, 1e-7, 32)]
    monkeypatch.setattr(plan_module, "auto_candidates", lambda *args, **kwargs: list(hopeless))
    monkeypatch.setattr("multiclass.training.recipes.fixed_length_candidates", lambda n_rows, fixed=None: [])


def test_a_converged_winner_is_the_average_of_its_fold_fits_and_says_so(converged_wins, tmp_path):
    X, y = _data(300, seed=1)
    classes = ("a", "b", "c")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained, _ = fit_arrays(X[:270], y[:270], classes=classes, config=TrainConfig(verbose=False, seed=0),
                                X_val=X[270:], y_val=y[270:])
    chosen = trained.recipe["chosen"]
    assert chosen["solver"] == "lbfgs" and chosen["hidden"] == [] and trained.stop_reason == "fold_converged"
    assert trained.recipe["folds"] == CV_FOLDS
    board = [e for e in trained.recipe["candidates"] if e.get("solver") == "lbfgs"]
    assert len(board) == 3 and all(len(e["best_epochs"]) == CV_FOLDS for e in board)
    assert (trained.predict_codes(X[270:]) == y[270:]).mean() > 0.6
    save_model(trained, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.stop_reason == "fold_converged" and loaded.recipe["chosen"]["solver"] == "lbfgs"
    assert json.loads((tmp_path / "m" / "model.json").read_text())["training"]["stop_reason"] == "fold_converged"
    np.testing.assert_allclose(loaded.predict_proba(X[270:]), trained.predict_proba(X[270:]), rtol=1e-6)
    assert "L-BFGS" in recipe_line(trained, "en") and "lr " not in recipe_line(trained, "en")
    assert "ajustada hasta converger con L-BFGS" in recipe_line(trained, "es")
    assert stop_line(trained, "en").startswith("5 fold models, each a softmax regression fitted to convergence")
    assert stop_line(trained, "es").startswith("5 modelos, uno por parte, cada uno una regresión softmax")
    assert "fitted to convergence by L-BFGS" in recipe_text(trained.recipe, strings("en"), Formatter("en"))
    assert "ajustada hasta converger con L-BFGS" in recipe_text(trained.recipe, strings("es"), Formatter("es"))


def test_a_fit_cut_short_by_the_iteration_limit_says_so(monkeypatch):
    X, y = _data()
    monkeypatch.setattr("multiclass.sweep.converged.MAX_ITER", 2)
    assert train_converged(_trial(l2=1e-9), X, y, X, y).stop_reason == ITERATION_LIMIT


def test_the_audits_fold_models_of_a_converged_winner_are_fitted_so():
    X, y = _data()
    recipe = FoldRecipe((), config=TrainConfig(l2=1e-3, verbose=False), solver="lbfgs")
    out = out_of_fold_probabilities(X, y, folds=4, recipe=recipe)
    assert set(out.stop_reasons) == {CONVERGED}
    rows = out.plan.train_rows[0]
    fit = fit_softmax(X[rows], y[rows], 3, l2=1e-3)
    predicted = out.plan.fold == 0
    np.testing.assert_allclose(out.probs[predicted], _proba(fit, X[predicted]), atol=1e-5)


def test_a_val_cost_monitor_prices_the_converged_fit_on_its_validation_rows():
    X, y = _data()
    costs = ((0.0, 1.0, 1.0), (5.0, 0.0, 1.0), (1.0, 1.0, 0.0))
    result = train_converged(_trial(monitor="val_cost"), X[:200], y[:200], X[200:], y[200:], recall_of=Priced(costs))
    record = result.best_record
    model = build_model(ModelConfig(6, 3, ()))
    model.load_state_dict(result.state)
    with torch.no_grad():
        proba = torch.softmax(model(torch.from_numpy(X[200:])), 1).double().numpy()
    decided = (proba @ np.array(costs)).argmin(axis=1)  # each row's least expected cost: sum_t p_t cost[t, d]
    assert record["val_cost"] == pytest.approx(np.array(costs)[y[200:], decided].mean())
    assert result.best_score == record["val_score"] == record["val_cost"]
