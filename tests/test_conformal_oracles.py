"""Prediction sets against MAPIE and crepes on the same probabilities and calibration rows.

Both libraries get our probabilities through `FixedProbs`, a fitted classifier whose features are row numbers.
MAPIE (marginal sets) checks the scores, the order statistic and the set rules: LAC; APS non-randomised
(MAPIE's default ``include_last_label=True``) and randomised, with MAPIE's own uniform draws (``RandomState(seed)``
for calibration and again for prediction); RAPS with the lambda and k_reg MAPIE chose on the part of the rows it
holds out for that. crepes (class-conditional "Mondrian" sets, ``class_cond=True``, non-smoothed p-values)
checks the per-class thresholds; it is given our score functions as its non-conformity function.

MAPIE compares with a 1e-8 tolerance and crepes counts ``p >= alpha`` where we take the exact order statistic;
they can differ from us only for a score within 1e-8 of a threshold, or when ``(n + 1) * alpha`` is a whole
number (crepes). The calibration sizes avoid the latter, and with continuous random probabilities the former
does not happen (the sets are compared entry for entry).
"""

from __future__ import annotations

import numpy as np
import pytest

from multiclass.conformal import calibrate_cross_sets, calibrate_sets, conformity_scores, predict_sets
from tests.conformal_helpers import FixedProbs, model_probs

mapie_classification = pytest.importorskip("mapie.classification")
crepes = pytest.importorskip("crepes")

N_CAL, N_TEST, K, SEED = 600, 2000, 6, 7  # (N_CAL + 1) * alpha is not a whole number for alpha .05-.2


@pytest.fixture(scope="module")
def data():
    probs, y = model_probs(np.random.default_rng(3), N_CAL + N_TEST, K)
    estimator = FixedProbs(probs).fit(np.zeros((K, 1)), np.arange(K))
    rows = np.arange(len(probs))[:, None]  # (N, 1): the features MAPIE and crepes see
    return probs, y, estimator, rows


def mapie_sets(data, score, coverage, include_last_label=True):
    probs, y, estimator, rows = data
    model = mapie_classification.SplitConformalClassifier(
        estimator, confidence_level=coverage, conformity_score=score, prefit=True, random_state=SEED)
    model.conformalize(rows[:N_CAL], y[:N_CAL])
    _, sets = model.predict_set(rows[N_CAL:], conformity_score_params={"include_last_label": include_last_label})
    return model, sets[:, :, 0]


@pytest.mark.parametrize("coverage", [0.8, 0.9, 0.95])
@pytest.mark.parametrize("score", ["lac", "aps"])
def test_marginal_sets_equal_mapie(data, score, coverage):
    probs, y, _, _ = data
    _, expected = mapie_sets(data, score, coverage)
    calibration = calibrate_sets(probs[:N_CAL], y[:N_CAL], coverage=coverage, score=score, random_state=SEED)
    ours = predict_sets(probs[N_CAL:], calibration)
    assert expected.any(axis=1).mean() > 0.5  # not a degenerate comparison
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_randomized_aps_sets_equal_mapie(data, coverage):
    probs, y, _, _ = data
    _, expected = mapie_sets(data, "aps", coverage, include_last_label="randomized")
    calibration = calibrate_sets(probs[:N_CAL], y[:N_CAL], coverage=coverage, score="aps", randomized=True,
                                 random_state=SEED)
    ours = predict_sets(probs[N_CAL:], calibration, random_state=np.random.RandomState(SEED))  # MAPIE's draws
    assert (~expected.any(axis=1)).any()  # randomised sets can be empty: the rule is really exercised
    np.testing.assert_array_equal(ours, expected)


def test_raps_sets_equal_mapie(data):
    """MAPIE's RAPS keeps part of the rows to choose lambda and k_reg; we calibrate on the rows it kept."""
    from sklearn.model_selection import StratifiedShuffleSplit

    probs, y, _, rows = data
    model, expected = mapie_sets(data, "raps", 0.9)
    score_function = model._mapie_classifier.conformity_score_function_
    kept, held = next(StratifiedShuffleSplit(n_splits=1, test_size=score_function.size_raps,
                                             random_state=SEED).split(rows[:N_CAL], y[:N_CAL]))
    np.testing.assert_array_equal(held, score_function.X_raps[:, 0])  # the same split as MAPIE's
    calibration = calibrate_sets(probs[kept], y[kept], coverage=0.9, score="raps", random_state=SEED,
                                 raps_lambda=float(score_function.lambda_star),
                                 raps_k_reg=int(np.asarray(score_function.k_star).item()))
    np.testing.assert_allclose(calibration.quantiles, score_function.quantiles_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(predict_sets(probs[N_CAL:], calibration), expected)


def test_cross_conformal_sets_equal_mapie():
    """MAPIE's CrossConformalClassifier (agg_scores="mean"): out-of-fold scores, the fold models' mean at test."""
    from sklearn.model_selection import KFold

    n, n_test, folds = 400, 500, 4
    rng = np.random.default_rng(5)
    test_rows = np.arange(n, n + n_test)
    # One table per fold model: each model gives its own probabilities (a different draw) for every row.
    tables = [model_probs(np.random.default_rng(10 + f), n + n_test, K)[0] for f in range(folds)]
    y = rng.integers(0, K, n + n_test)

    class FoldModel(FixedProbs):
        def fit(self, X, y):  # which fold this clone is: the rows it was NOT fitted on
            left_out = tuple(np.setdiff1d(np.arange(n), np.asarray(X)[:, 0]))
            held_out = [tuple(s) for _, s in KFold(folds).split(np.arange(n))]
            # MAPIE also fits one model on all rows, used only for its point predictions.
            self.table = tables[held_out.index(left_out)] if left_out else tables[0]
            return super().fit(X, y)

    model = mapie_classification.CrossConformalClassifier(FoldModel(), confidence_level=0.9,
                                                          conformity_score="lac", cv=KFold(folds))
    model.fit_conformalize(np.arange(n)[:, None], y[:n])
    _, expected = model.predict_set(test_rows[:, None])
    fold_of = np.zeros(n, dtype=np.int64)
    for f, (_, held) in enumerate(KFold(folds).split(np.arange(n))):
        fold_of[held] = f
    oof = np.stack([tables[f][i] for i, f in enumerate(fold_of)])  # (n, K) each row by the model that left it out
    calibration = calibrate_cross_sets(oof, y[:n], fold_of, coverage=0.9, score="lac")
    mean_test = np.mean([table[test_rows] for table in tables], axis=0)  # (n_test, K)
    np.testing.assert_array_equal(predict_sets(mean_test, calibration), expected[:, :, 0])


# Class-conditional calibration rows: PER_CLASS of each class, (PER_CLASS + 1) * alpha never a whole number.
PER_CLASS = 81


def mondrian_rows(y):
    """The first PER_CLASS calibration rows of each class, in row order."""
    return np.sort(np.concatenate([np.flatnonzero(y[:N_CAL] == c)[:PER_CLASS] for c in range(K)]))


def crepes_sets(data, nc, coverage):
    probs, y, estimator, rows = data
    wrapped = crepes.WrapClassifier(estimator)
    chosen = mondrian_rows(y)
    wrapped.calibrate(rows[chosen], y[chosen], class_cond=True, nc=nc)
    return wrapped.predict_set(rows[N_CAL:], labels=False, confidence=coverage, smoothing=False).astype(bool)


@pytest.mark.parametrize("coverage", [0.8, 0.9])
def test_mondrian_lac_sets_equal_crepes(data, coverage):
    from crepes.extras import hinge

    probs, y, _, _ = data
    expected = crepes_sets(data, hinge, coverage)
    chosen = mondrian_rows(y)
    calibration = calibrate_sets(probs[chosen], y[chosen], coverage=coverage, score="lac", mondrian="all")
    assert len(set(calibration.quantiles)) == K  # really one threshold per class
    np.testing.assert_array_equal(predict_sets(probs[N_CAL:], calibration), expected)


@pytest.mark.parametrize("score", ["aps", "raps"])
@pytest.mark.parametrize("randomized", [False, True])
def test_mondrian_aps_raps_sets_equal_crepes(data, score, randomized):
    """crepes gets our scores: calibration rows scored with the same draws, test rows with the decision score of
    each rule (randomised: the score with the row's draw; non-randomised: the score of the label ranked just
    above, -inf for the top label)."""
    from multiclass.conformal.scores import rank_mass
    from multiclass.conformal.sets import set_draws

    probs, y, _, _ = data
    lam, k_reg = 0.05, 2
    chosen = mondrian_rows(y)
    calibration = calibrate_sets(probs[chosen], y[chosen], coverage=0.9, score=score, randomized=randomized,
                                 mondrian="all", raps_lambda=lam, raps_k_reg=k_reg, random_state=SEED)
    draws = set_draws(N_TEST, calibration)
    penalty = lam if score == "raps" else 0.0

    def nc(p, classes=None, labels=None):
        if labels is not None:  # calibration: the true labels' scores, MAPIE's draws
            u = np.random.RandomState(SEED).uniform(size=len(p))
            return conformity_scores(p, labels, score=score, u=u, raps_lambda=lam, raps_k_reg=k_reg)
        if randomized:
            return conformity_scores(p, score=score, u=draws, raps_lambda=lam, raps_k_reg=k_reg)
        above, rank = rank_mass(p)
        return np.where(rank == 1, -np.inf, above + penalty * np.maximum(rank - 1 - k_reg, 0))

    expected = crepes_sets(data, nc, 0.9)
    np.testing.assert_array_equal(predict_sets(probs[N_CAL:], calibration), expected)
