"""Intervals (`multiclass.metrics.intervals`): Wilson against scipy, the confusion-matrix bootstrap against a
naive row bootstrap, nominal coverage in simulation, and the speed the report relies on."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from multiclass import metrics
from multiclass.exceptions import ConfigError, DataError
from multiclass.metrics.totals import headline_scores

# --- Wilson ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (8, 10), (10, 10), (1, 29), (50, 100),
                                      (999, 1000), (12345, 20000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_equals_scipy(k, n, confidence):
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = metrics.wilson_interval(k, n, confidence=confidence)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.floats(0.5, 0.999))
def test_wilson_equals_scipy_hypothesis(kn, confidence):
    k, n = kn
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = metrics.wilson_interval(k, n, confidence=confidence)
    assert 0 <= low <= k / n <= high <= 1
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_wilson_worked_example_and_arrays():
    # 8 of 10: z = 1.959964; centre (0.8 + z^2/20) / (1 + z^2/10) = 0.7168, half-width 0.2266
    low, high = metrics.wilson_interval(np.array([8, 0, 5]), np.array([10, 0, 5]))
    assert low[0] == pytest.approx(0.4902, abs=1e-4) and high[0] == pytest.approx(0.9433, abs=1e-4)
    assert np.isnan(low[1]) and np.isnan(high[1])  # no trials: no interval
    assert high[2] == 1.0 and low[2] == pytest.approx(0.5655, abs=1e-4)


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    ((11, 10), {}, DataError, r"`successes` must lie in \[0, n\]; got successes=11 and n=10\."),
    ((-1, 10), {}, DataError, r"`successes` must lie in \[0, n\]"),
    ((1, 10), {"confidence": 95}, ConfigError, r"`confidence` must be a number in \(0, 1\); got 95\."),
])
def test_wilson_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        metrics.wilson_interval(*args, **kwargs)


# --- the stratified bootstrap of a confusion matrix ----------------------------------------------------------

# Row 0 sends its 60 errors to one cell (the multinomial path), rows 1-2 scatter a few errors (the draw-by-draw
# path), row 3 is perfect, and column 4 is a class predicted but never true.
_CM = np.array([[140, 60, 0, 0, 0],
                [2, 40, 1, 1, 1],
                [3, 0, 20, 0, 2],
                [0, 0, 0, 30, 0],
                [0, 0, 0, 0, 0]])


def _rows(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = len(cm)
    cells = np.repeat(np.arange(k * k), cm.ravel())
    return cells // k, cells % k


def _naive_bootstrap(cm: np.ndarray, n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    """The oracle: redraw the rows of each true class with replacement and recount, one resample at a time."""
    y_true, y_pred = _rows(cm)
    rng = np.random.default_rng(seed)
    k = len(cm)
    tp, pred_sum = np.zeros((n_resamples, k)), np.zeros((n_resamples, k))
    groups = [np.flatnonzero(y_true == c) for c in range(k)]
    for b in range(n_resamples):
        picked = np.concatenate([rng.choice(rows, size=len(rows)) for rows in groups if len(rows)])
        resampled = metrics.confusion_matrix(y_true[picked], y_pred[picked], labels=np.arange(k))
        tp[b], pred_sum[b] = np.diagonal(resampled), resampled.sum(axis=0)
    return headline_scores(tp, pred_sum, cm.sum(axis=1))


def test_bootstrap_matches_a_naive_row_bootstrap_in_distribution():
    fast = metrics.bootstrap_scores(_CM, n_resamples=3000, seed=0)
    naive = _naive_bootstrap(_CM, 3000, seed=1)
    for name in ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1"):
        assert stats.ks_2samp(fast[name], naive[name]).pvalue > 1e-3, name
    for name in ("precision", "recall", "f1"):
        for c in range(4):
            assert stats.ks_2samp(fast[name][:, c], naive[name][:, c]).pvalue > 1e-3, (name, c)
    # the predicted-only class 4 keeps precision and F1 at 0: it has no true row to be right about
    assert (fast["precision"][:, 4] == 0).all() and (fast["f1"][:, 4] == 0).all()


def test_bootstrap_totals_keep_the_supports_and_the_total():
    totals = metrics.bootstrap_confusion(_CM, n_resamples=500, seed=0)
    assert totals.tp.shape == totals.pred_sum.shape == (500, 5)
    assert (totals.true_sum == _CM.sum(axis=1)).all()
    assert (totals.pred_sum.sum(axis=1) == _CM.sum()).all()  # every resampled row is predicted as something
    assert (totals.tp <= totals.true_sum).all() and (totals.tp[:, 3] == 30).all()  # a perfect class stays perfect
    assert totals.tp[:, 0].mean() == pytest.approx(140, rel=0.01)  # E[tp*] = tp


def test_scores_of_the_matrix_itself_equal_the_metrics_library():
    """The vectorised scorer applied to the original totals gives the library's numbers."""
    cm = _CM[:4, :4]
    scores = headline_scores(np.diagonal(cm)[None], cm.sum(axis=0)[None], cm.sum(axis=1))
    p, r, f, _ = metrics.precision_recall_fscore_from_confusion(cm, zero_division=0.0)
    np.testing.assert_allclose(scores["precision"][0], p, rtol=0, atol=1e-15)
    np.testing.assert_allclose(scores["recall"][0], r, rtol=0, atol=1e-15)
    np.testing.assert_allclose(scores["f1"][0], f, rtol=0, atol=1e-15)
    assert scores["accuracy"][0] == pytest.approx(metrics.accuracy_from_confusion(cm), abs=1e-15)
    assert scores["balanced_accuracy"][0] == pytest.approx(metrics.balanced_accuracy_from_confusion(cm), abs=1e-15)
    for average in ("macro", "weighted"):
        expected = metrics.precision_recall_fscore_from_confusion(cm, average=average, zero_division=0.0)[2]
        assert scores[f"{average}_f1"][0] == pytest.approx(expected, abs=1e-15)


def test_same_seed_same_resamples():
    a = metrics.bootstrap_scores(_CM, n_resamples=100, seed=7)
    b = metrics.bootstrap_scores(_CM, n_resamples=100, seed=7)
    c = metrics.bootstrap_scores(_CM, n_resamples=100, seed=8)
    assert np.array_equal(a["macro_f1"], b["macro_f1"]) and not np.array_equal(a["macro_f1"], c["macro_f1"])


@pytest.mark.parametrize(("cm", "kwargs", "error", "message"), [
    ([[1.5, 0], [0, 1]], {}, DataError, r"`cm` must hold counts"),
    ([[1, -1], [0, 1]], {}, DataError, r"`cm` must hold counts >= 0; got a negative entry\."),
    ([[0, 0], [0, 0]], {}, DataError, r"`cm` must hold at least one row"),
    ([[1, 0], [0, 1]], {"n_resamples": 0}, ConfigError, r"`n_resamples` must be an integer >= 1; got 0\."),
])
def test_bootstrap_errors(cm, kwargs, error, message):
    with pytest.raises(error, match=message):
        metrics.bootstrap_scores(cm, **kwargs)


# --- coverage in simulation --------------------------------------------------------------------------------


def test_accuracy_interval_covers_the_truth_at_the_nominal_rate():
    """200 test sets of 400 rows (4 classes of 100) from a classifier right 80% of the time: the 95% interval
    of the accuracy should hold 0.8 in about 95% of them."""
    rng = np.random.default_rng(2024)
    truth, k, per_class = 0.8, 4, 100
    covered = []
    for trial in range(200):
        tp = rng.binomial(per_class, truth, size=k)  # (K,) right answers of each class
        cm = np.diag(tp)
        for c in range(k):  # the errors go to the other classes at random
            others = np.delete(np.arange(k), c)
            cm[c, others] += rng.multinomial(per_class - tp[c], np.full(k - 1, 1 / (k - 1)))
        low, high = metrics.percentile_interval(metrics.bootstrap_scores(cm, n_resamples=400, seed=trial)["accuracy"])
        covered.append(low <= truth <= high)
    assert 0.90 <= np.mean(covered) <= 0.99


def test_mean_interval_covers_the_truth_at_the_nominal_rate():
    """The log-loss interval: a stratified mean of skewed per-row values (exponential, true mean 1)."""
    rng = np.random.default_rng(7)
    covered, covered_normal = [], []
    groups = np.repeat([0, 1, 2], [150, 100, 50])
    for trial in range(200):
        values = rng.exponential(size=len(groups))
        low, high, method = metrics.stratified_mean_interval(values, groups, n_resamples=400, seed=trial)
        assert method == "bootstrap"
        covered.append(low <= 1.0 <= high)
        low, high, method = metrics.stratified_mean_interval(values, groups, max_draws=0)
        assert method == "normal"
        covered_normal.append(low <= 1.0 <= high)
    assert 0.90 <= np.mean(covered) <= 0.99 and 0.90 <= np.mean(covered_normal) <= 0.99


def test_normal_approximation_agrees_with_the_bootstrap_at_large_n():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 5, 20_000)
    values = rng.exponential(size=20_000) * (1 + groups)
    boot = metrics.stratified_mean_interval(values, groups, n_resamples=2000, seed=0)
    normal = metrics.stratified_mean_interval(values, groups, max_draws=0)
    assert boot[:2] == pytest.approx(normal[:2], abs=0.004)  # half-width ~0.03: agree to ~1/8 of it


def test_mean_interval_errors():
    with pytest.raises(DataError, match=r"`values` and `groups` must be 1-D of one non-zero length"):
        metrics.stratified_mean_interval(np.ones(3), np.zeros(2, int))


# --- speed -----------------------------------------------------------------------------------------------------


def test_thousand_resamples_of_100k_rows_take_seconds():
    rng = np.random.default_rng(0)
    n, k = 100_000, 10
    y = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.8, y, rng.integers(0, k, n))  # 20% errors scattered over all classes
    cm = metrics.confusion_matrix(y, y_pred, labels=np.arange(k))
    started = time.perf_counter()
    scores = metrics.bootstrap_scores(cm, n_resamples=1000, seed=0)
    confusion_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _, _, method = metrics.stratified_mean_interval(rng.exponential(size=n), y, n_resamples=1000, seed=0)
    mean_seconds = time.perf_counter() - started
    print(f"\n1000 resamples of 100k rows: confusion scores {confusion_seconds:.2f} s, log-loss {mean_seconds:.2f} s")
    assert method == "bootstrap" and scores["f1"].shape == (1000, k)
    assert confusion_seconds + mean_seconds < 30  # ~2 s alone; generous for a shared 2-core box
