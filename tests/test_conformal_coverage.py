"""Coverage of conformal sets over thousands of random calibration/test splits.

Theory (split conformal, exchangeable rows): with n calibration rows and k = ceil((n + 1)(1 - alpha)), a new
row's set holds its true class with probability k / (n + 1) on average over calibration sets when scores never
tie (LAC and the randomised APS/RAPS on continuous probabilities), so within [1 - alpha, 1 - alpha + 1/(n+1)];
the non-randomised APS/RAPS sets contain the randomised ones, so only >= 1 - alpha holds.

Monte Carlo tolerance: the mean over T trials of each trial's coverage (itself a Beta draw plus binomial noise of
the m test rows) has standard error sd(trial coverages) / sqrt(T), estimated from the trials; every comparison
allows 4 standard errors (a false failure about once in 30,000 runs). An off-by-one order statistic moves the
mean by 1/(n + 1) = 0.0099, about 20 standard errors here, so the tests can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from multiclass.conformal import calibrate_sets, conformity_scores, predict_sets
from multiclass.conformal.quantile import order_index
from multiclass.conformal.scores import rank_mass
from tests.conformal_helpers import model_probs

TRIALS, N_CAL, N_TEST, K, ALPHA = 2000, 100, 200, 5, 0.1
CHECKED_THROUGH_API = 40  # trials also run through calibrate_sets + predict_sets, which must agree exactly
LAM, K_REG = 0.05, 2
Z = 4.0  # standard errors allowed


def true_class_covered(probs, y, q, *, score, randomized, u):
    """(rows,) bool: is the true class in the set, by the set rules of `multiclass.conformal.scores`."""
    if score == "lac" or randomized:
        return conformity_scores(probs, y, score=score, u=u, raps_lambda=LAM, raps_k_reg=K_REG) <= q
    above, rank = rank_mass(probs)
    rows = np.arange(len(y))
    penalty = LAM * np.maximum(rank[rows, y] - 1 - K_REG, 0) if score == "raps" else 0.0
    return (rank[rows, y] == 1) | (above[rows, y] + penalty < q)


@pytest.fixture(scope="module")
def splits():
    """TRIALS calibration/test splits of one model's rows, with the draws calibrate_sets and predict_sets make
    for trial t (RandomState(t) and RandomState(10**6 + t))."""
    probs, y = model_probs(np.random.default_rng(11), TRIALS * (N_CAL + N_TEST), K, signal=1.5)
    cal_u = np.concatenate([np.random.RandomState(t).uniform(size=N_CAL) for t in range(TRIALS)])
    test_u = np.concatenate([np.random.RandomState(10**6 + t).uniform(size=N_TEST) for t in range(TRIALS)])
    return probs.reshape(TRIALS, N_CAL + N_TEST, K), y.reshape(TRIALS, N_CAL + N_TEST), cal_u, test_u


@pytest.mark.parametrize(("score", "randomized"),
                         [("lac", False), ("aps", True), ("raps", True), ("aps", False), ("raps", False)])
def test_marginal_coverage_within_theoretical_bounds(splits, score, randomized):
    probs, y, cal_u, test_u = splits
    cal_p, cal_y = probs[:, :N_CAL].reshape(-1, K), y[:, :N_CAL].ravel()
    test_p, test_y = probs[:, N_CAL:].reshape(-1, K), y[:, N_CAL:].ravel()
    cal_scores = conformity_scores(cal_p, cal_y, score=score, u=cal_u, raps_lambda=LAM, raps_k_reg=K_REG)
    k = order_index(N_CAL, 1 - ALPHA)
    q = np.sort(cal_scores.reshape(TRIALS, N_CAL), axis=1)[:, k - 1]  # (T,) the threshold of each trial
    covered = true_class_covered(test_p, test_y, np.repeat(q, N_TEST), score=score, randomized=randomized,
                                 u=test_u).reshape(TRIALS, N_TEST)

    for t in range(CHECKED_THROUGH_API):  # the public verbs give the same sets on the same draws
        calibration = calibrate_sets(probs[t, :N_CAL], y[t, :N_CAL], coverage=1 - ALPHA, score=score,
                                     randomized=randomized, raps_lambda=LAM, raps_k_reg=K_REG, random_state=t)
        assert calibration.quantiles[0] == q[t]
        sets = predict_sets(probs[t, N_CAL:], calibration, random_state=np.random.RandomState(10**6 + t))
        np.testing.assert_array_equal(sets[np.arange(N_TEST), y[t, N_CAL:]], covered[t])

    per_trial = covered.mean(axis=1)  # (T,)
    mean, error = per_trial.mean(), per_trial.std(ddof=1) / np.sqrt(TRIALS)
    assert mean >= 1 - ALPHA - Z * error
    if score == "lac" or randomized:  # tie-free scores: exact, so the upper bound holds too
        assert mean <= 1 - ALPHA + 1 / (N_CAL + 1) + Z * error
        assert abs(mean - k / (N_CAL + 1)) <= Z * error
    else:  # the non-randomised sets are conservative: strictly above the exact rule here
        assert mean > k / (N_CAL + 1) + Z * error


def rare_probs(rng, n: int, critical: np.ndarray):
    """A 3-class model that under-rates class 2 ("critical"): (probs (n, 3), y (n,)); `critical` marks its rows."""
    y = np.where(critical, 2, rng.integers(0, 2, n))
    logits = rng.normal(size=(n, 3))
    common = ~critical
    logits[common, y[common]] += 3.0
    logits[common, 2] -= 2.0
    logits[critical, 2] += 1.0
    logits[critical, :2] += 1.0
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True), y


def test_mondrian_sets_cover_a_rare_critical_class_that_marginal_sets_miss():
    """Critical class at 1:300 (30 of 9,000 calibration rows): marginal sets reach 90 % over all rows but hold
    the critical class for about 6 % of its rows; class-conditional sets (for every class, or for the critical
    one alone) hold it for 28/31 = 90.3 % of its rows on average."""
    rng = np.random.default_rng(5)
    trials, n_common, n_critical, n_mixed, n_rare_test = 300, 8970, 30, 3000, 200
    marginal_all, marginal_rare, mondrian_rare, named_rare = [], [], [], []
    for _ in range(trials):
        is_critical = np.r_[np.zeros(n_common, bool), np.ones(n_critical, bool)]
        cal_p, cal_y = rare_probs(rng, len(is_critical), is_critical)
        mixed_p, mixed_y = rare_probs(rng, n_mixed, rng.random(n_mixed) < 1 / 300)
        rare_p, _ = rare_probs(rng, n_rare_test, np.ones(n_rare_test, bool))
        marginal = calibrate_sets(cal_p, cal_y, coverage=0.9, score="lac")
        marginal_all.append(predict_sets(mixed_p, marginal)[np.arange(n_mixed), mixed_y].mean())
        marginal_rare.append(predict_sets(rare_p, marginal)[:, 2].mean())
        mondrian_rare.append(predict_sets(rare_p, calibrate_sets(cal_p, cal_y, coverage=0.9, score="lac",
                                                                 mondrian="all"))[:, 2].mean())
        named_rare.append(predict_sets(rare_p, calibrate_sets(cal_p, cal_y, coverage=0.9, score="lac",
                                                              mondrian=[2]))[:, 2].mean())

    def mean_and_error(values):
        return np.mean(values), np.std(values, ddof=1) / np.sqrt(trials)

    mean, error = mean_and_error(marginal_all)
    assert mean >= 0.9 - Z * error  # marginal sets keep their promise over all rows...
    mean, error = mean_and_error(marginal_rare)
    assert 0.02 < mean < 0.12  # ...by missing the critical class (about 6 %)
    expected = 28 / 31  # k = ceil(31 * 0.9) = 28 of the 30 critical calibration rows
    for values in (mondrian_rare, named_rare):
        mean, error = mean_and_error(values)
        assert abs(mean - expected) <= Z * error
    np.testing.assert_array_equal(mondrian_rare, named_rare)  # the critical class's threshold is the same
