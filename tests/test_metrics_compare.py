"""Model comparison: McNemar's test against scipy's exact binomial test and scipy's chi-square survival function, and
the vectorised paired bootstrap against a plain loop scored by scikit-learn."""

from __future__ import annotations


import numpy as np
import pytest
import torch
from scipy.stats import binomtest, chi2
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from multiclass.metrics import compare, compare_predictions, mcnemar_test, paired_bootstrap
from multiclass.exceptions import DataError
from multiclass.report.render.comparison import comparison_verdict

torch.set_num_threads(1)


def discordant(n_ab: int, n_ba: int, n_both: int = 5, n_neither: int = 3):
    """Labels and two models' decisions with the given counts: right by A only, by B only, by both, by neither."""
    y = np.zeros(n_ab + n_ba + n_both + n_neither, dtype=np.int64)
    right_a = np.r_[np.ones(n_ab), np.zeros(n_ba), np.ones(n_both), np.zeros(n_neither)].astype(bool)
    right_b = np.r_[np.zeros(n_ab), np.ones(n_ba), np.ones(n_both), np.zeros(n_neither)].astype(bool)
    return y, np.where(right_a, 0, 1), np.where(right_b, 0, 2)


@pytest.mark.parametrize(("n_ab", "n_ba"), [(0, 0), (0, 1), (3, 9), (12, 12), (1, 23), (20, 4)])
def test_mcnemar_exact_matches_scipy_binomtest(n_ab, n_ba):
    result = mcnemar_test(*discordant(n_ab, n_ba))
    assert (result.n_ab, result.n_ba, result.method, result.statistic) == (n_ab, n_ba, "exact", None)
    expected = binomtest(n_ab, n_ab + n_ba, 0.5).pvalue if n_ab + n_ba else 1.0
    assert result.pvalue == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("n_ab", "n_ba"), [(10, 15), (40, 15), (15, 40), (100, 100), (300, 250)])
def test_mcnemar_chi_square_matches_a_hand_computation(n_ab, n_ba):
    result = mcnemar_test(*discordant(n_ab, n_ba))
    statistic = max(abs(n_ab - n_ba) - 1, 0) ** 2 / (n_ab + n_ba)  # Edwards' continuity correction
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(chi2.sf(statistic, 1), rel=1e-12)  # scipy's survival function


def test_mcnemar_worked_example():
    # 40 right by A only, 15 by B only: (|40 - 15| - 1)^2 / 55 = 576 / 55 = 10.47, p = 0.0012.
    result = mcnemar_test(*discordant(40, 15))
    assert result.statistic == pytest.approx(576 / 55)
    assert round(result.pvalue, 4) == 0.0012


def test_paired_bootstrap_matches_a_loop_over_the_same_resamples():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 150)
    pred_a = np.where(rng.random(150) < 0.6, y, rng.integers(0, 4, 150))
    pred_b = np.where(rng.random(150) < 0.7, y, rng.integers(0, 4, 150))
    samples = paired_bootstrap(y, pred_a, pred_b, n_resamples=200, seed=7)
    draws = np.random.default_rng(7).integers(0, 150, size=(200, 150))  # one block: the same draws
    for b, rows in enumerate(draws):
        acc = accuracy_score(y[rows], pred_b[rows]) - accuracy_score(y[rows], pred_a[rows])
        f1 = f1_score(y[rows], pred_b[rows], average="macro") - f1_score(y[rows], pred_a[rows], average="macro")
        assert samples["accuracy"][b] == pytest.approx(acc, abs=1e-12)
        assert samples["macro_f1"][b] == pytest.approx(f1, abs=1e-12)
        balanced = balanced_accuracy_score(y[rows], pred_b[rows]) - balanced_accuracy_score(y[rows], pred_a[rows])
        weighted = (f1_score(y[rows], pred_b[rows], average="weighted")
                    - f1_score(y[rows], pred_a[rows], average="weighted"))
        assert samples["balanced_accuracy"][b] == pytest.approx(balanced, abs=1e-12)
        assert samples["weighted_f1"][b] == pytest.approx(weighted, abs=1e-12)


def test_paired_bootstrap_is_seeded_and_blocked_without_changing_the_numbers(monkeypatch):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    pred_a, pred_b = (y + (rng.random(90) < 0.3)) % 3, (y + (rng.random(90) < 0.2)) % 3
    first = paired_bootstrap(y, pred_a, pred_b, n_resamples=50, seed=3)
    assert not np.array_equal(first["accuracy"], paired_bootstrap(y, pred_a, pred_b, n_resamples=50,
                                                                  seed=4)["accuracy"])
    monkeypatch.setattr(compare, "_BLOCK_DRAWS", 90 * 7)  # blocks of 7 resamples draw the same stream
    blocked = paired_bootstrap(y, pred_a, pred_b, n_resamples=50, seed=3)
    for name in ("accuracy", "macro_f1"):
        np.testing.assert_array_equal(blocked[name], first[name])


def test_compare_says_b_is_better_by_how_much_with_an_interval():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 500)
    pred_a = np.where(rng.random(500) < 0.70, y, (y + 1) % 3)
    pred_b = np.where(rng.random(500) < 0.85, y, (y + 2) % 3)
    result = compare_predictions(y, pred_a, pred_b, n_resamples=400, seed=0)
    diff = result.difference["accuracy"]
    assert diff["value"] == pytest.approx(accuracy_score(y, pred_b) - accuracy_score(y, pred_a))
    assert 0 < diff["low"] < diff["value"] < diff["high"]
    assert result.mcnemar.pvalue < 0.001 and diff["share_b_better"] == 1.0
    assert comparison_verdict(result) == "B is better than A"
    swapped = compare_predictions(y, pred_b, pred_a, n_resamples=400, seed=0)
    assert comparison_verdict(swapped) == "A is better than B"
    same = compare_predictions(y, pred_a, pred_a, n_resamples=50, seed=0)
    assert comparison_verdict(same) == "no clear difference between A and B"
    assert same.mcnemar.pvalue == 1.0


def test_compare_messages():
    with pytest.raises(DataError, match=r"`y_true`, `pred_a` and `pred_b` must have one length; got \[3, 3, 2\]"):
        compare_predictions([0, 1, 0], [0, 1, 1], [0, 1])
    with pytest.raises(DataError, match="`pred_b` must be a non-empty 1-D array of class codes"):
        mcnemar_test([0, 1], [0, 1], ["a", "b"])
    with pytest.raises(DataError, match="`n_resamples` must be an integer >= 1; got 0"):
        paired_bootstrap([0, 1], [0, 1], [1, 1], n_resamples=0)
