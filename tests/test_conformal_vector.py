"""The AVX-512 row kernel of APS/RAPS sets (K <= 16) against the portable kernel and the numpy reference, bit for
bit: ties, float32, scores exactly on their thresholds (where its class-order sums may round differently and the
row must be redone by the exact walk), -0.0, bad values in any chunk."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.conformal import kernel
from multiclass.conformal.scores import rank_mass, sets_numpy
from multiclass.exceptions import DataError
from tests.conformal_helpers import model_probs
from tests.strategies import tied_probs

RULES = [("aps", False), ("aps", True), ("raps", False), ("raps", True)]


@pytest.fixture(autouse=True)
def _vector_kernel():
    if kernel.load() is None:
        pytest.skip(f"no compiled kernel here: {kernel.status()}")
    if not kernel.vector_available():
        pytest.skip("this CPU has no AVX-512: only the portable kernel runs (tests/test_conformal_sets.py)")


def _all_paths_agree(probs, thresholds, **options):
    expected = sets_numpy(probs, thresholds, **options)
    for vector in (True, False):
        for threads in (1, 2):
            got = kernel.compute_sets(probs, thresholds, vector=vector, n_threads=threads, **options)
            np.testing.assert_array_equal(got, expected, err_msg=f"vector={vector}, threads={threads}")


def _rows(kind: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if kind == "ties":  # small integer weights: ties and zeros everywhere
        weights = rng.integers(0, 4, (n, k)).astype(float)
        weights[weights.sum(axis=1) == 0, 0] = 1
        return weights / weights.sum(axis=1, keepdims=True)
    if kind == "rounded":  # two decimals: ties between unequal classes, sums of inexact decimals
        return np.round(rng.dirichlet(np.full(k, 0.4), n), 2)
    return model_probs(rng, n, k)[0]


def _scores_of_some_entries(probs, draws, rng, *, score, randomized, raps_lambda, raps_k_reg, **_) -> np.ndarray:
    """(K,) thresholds: for each class, the reference score of that class in a random row (rows need not sum to
    1), so some scores sit exactly on their threshold."""
    above, rank = rank_mass(probs)  # (N, K) each
    lam = raps_lambda if score == "raps" else 0.0
    if randomized:
        p = probs.astype(np.float64)
        scores = ((above + p) - draws[:, None] * p) + lam * np.maximum(rank - raps_k_reg, 0)
    else:  # the non-randomised rule compares the mass above a label (+ its penalty)
        scores = above + lam * np.maximum(rank - 1 - raps_k_reg, 0)
    n, k = probs.shape
    return scores[rng.integers(0, n, k), np.arange(k)]


@settings(max_examples=200, deadline=None)
@given(k=st.integers(2, 17), kind=st.sampled_from(["ties", "rounded", "model"]), rule=st.sampled_from(RULES),
       on_scores=st.booleans(), float32=st.booleans(), nonempty=st.booleans(), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_vector_kernel_equals_the_portable_kernel_and_numpy(k, kind, rule, on_scores, float32, nonempty, seed,
                                                            data):
    """`on_scores`: every threshold is the reference score of some entry, so some scores sit exactly on their
    threshold (the exact fallback decides them); otherwise thresholds from a grid (0, 1 and beyond included)."""
    score, randomized = rule
    rng = np.random.default_rng(seed)
    n = data.draw(st.integers(1, 300))
    probs = _rows(kind, rng, n, k)
    probs = probs.astype(np.float32) if float32 else probs
    draws = rng.random(n)
    draws[: n // 4] = data.draw(st.sampled_from([0.0, 1.0]))
    options = dict(score=score, randomized=randomized, u=draws, raps_lambda=data.draw(st.sampled_from([0.0, 0.03])),
                   raps_k_reg=data.draw(st.integers(0, 3)), nonempty=nonempty)
    if on_scores:
        thresholds = _scores_of_some_entries(probs, draws, rng, **options)
        if data.draw(st.booleans()):
            thresholds = np.full(k, thresholds[0])
    else:
        levels = np.array([-0.1, 0.0, 0.3, 0.5, 0.8, 0.9, 0.99, 1.0, 1.2, np.inf])
        thresholds = rng.choice(levels, k if data.draw(st.booleans()) else 1)
        thresholds = np.broadcast_to(thresholds, (k,)).copy()
    _all_paths_agree(probs, thresholds, **options)


@settings(max_examples=60, deadline=None)
@given(probs=tied_probs(max_rows=200, max_classes=16), rule=st.sampled_from(RULES), data=st.data())
def test_vector_kernel_on_tied_rows_with_grid_thresholds(probs, rule, data):
    score, randomized = rule
    k = probs.shape[1]
    levels = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
    thresholds = np.array(data.draw(st.lists(levels, min_size=k, max_size=k)))
    draws = np.random.default_rng(len(probs)).random(len(probs))
    _all_paths_agree(probs, thresholds, score=score, randomized=randomized, u=draws, raps_lambda=0.05,
                     raps_k_reg=1, nonempty=data.draw(st.booleans()))


def test_negative_zero_is_a_probability():
    """-0.0 passes the check (its bits are above 1.0's, so the fast check flags its chunk and reads it again)."""
    probs, _ = model_probs(np.random.default_rng(3), 600, 12)
    probs[:, 11] = 0.0
    probs[400, 11] = -0.0
    for dtype in (np.float64, np.float32):
        _all_paths_agree(probs.astype(dtype), np.full(12, 0.9), score="aps", randomized=False, u=None,
                         raps_lambda=0.0, raps_k_reg=0, nonempty=False)


@pytest.mark.parametrize("classes", [3, 8, 9, 16])
@pytest.mark.parametrize("bad", [np.nan, -0.1, 1.5, np.inf])
@pytest.mark.parametrize("row", [0, 255, 256, 999])
def test_vector_kernel_refuses_values_that_are_not_probabilities(classes, bad, row):
    probs, _ = model_probs(np.random.default_rng(8), 1000, classes)
    probs[row, classes - 1] = bad
    for dtype in (np.float64, np.float32):
        with pytest.raises(DataError, match=r"`probs` must hold probabilities in \[0, 1\] \(no NaN\)"):
            kernel.compute_sets(probs.astype(dtype), np.full(classes, 0.9), score="raps", randomized=True,
                                u=np.zeros(1000), raps_lambda=0.01, raps_k_reg=1, nonempty=False)


@settings(max_examples=150, deadline=None)
@given(k=st.integers(2, 16), randomized=st.booleans(), lam=st.sampled_from([1e-3, 0.3, 1.0, 7.5, 1e6]),
       k_reg=st.integers(0, 17), float32=st.booleans(), nonempty=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_raps_counts_every_rank_on_unnormalised_rows(k, randomized, lam, k_reg, float32, nonempty, seed):
    """RAPS's sums carry each label's count as a multiple of 16 (`csrc_vector`), read back from their low bits.
    Rows that need not sum to 1 (masses above up to 15: the largest sum, 15 x 17, in the all-but-one-at-1 rows),
    distinct values (every count 0 to K - 1), ties, and penalties large enough that the count decides the set;
    thresholds on reference scores (and so within rounding of the vector kernel's)."""
    rng = np.random.default_rng(seed)
    n = 200
    probs = rng.random((n, k))                               # (n, K): distinct, counts 0 to K - 1
    probs[:20] = np.round(probs[:20], 1)                     # ties
    probs[20:40] = 1.0
    probs[20:40, rng.integers(0, k, 20)] = rng.random(20)    # one label below K - 1 at 1.0
    probs[40:50] = np.sort(rng.random((10, k)), axis=1) * 1e-300  # tiny masses, absorbed by 16 in the sums
    probs = probs.astype(np.float32) if float32 else probs
    draws = rng.random(n)
    options = dict(score="raps", randomized=randomized, u=draws, raps_lambda=lam, raps_k_reg=k_reg,
                   nonempty=nonempty)
    _all_paths_agree(probs, _scores_of_some_entries(probs, draws, rng, **options), **options)
    grid = np.array([-np.inf, 0.0, 0.5, 1.0, 2.0, lam, 3 * lam, 15.0, np.inf])
    _all_paths_agree(probs, rng.choice(grid, k), **options)


@pytest.mark.parametrize("randomized", [False, True])
def test_raps_sets_by_rank_worked_example(randomized):
    """Eight classes at 0.2, 0.19, ..., 0.13 (sum 1.32: not normalised): with lambda = 1 and k_reg = 2 the penalty
    0, 0, 1, 2, ... by rank outweighs the masses, so a threshold between two penalties cuts the set at a rank."""
    probs = np.array([[0.13, 0.2, 0.14, 0.19, 0.15, 0.18, 0.16, 0.17]])  # ranks 8 1 7 2 6 3 5 4
    # non-randomised: label of rank r scores mass above + max(r - 1 - 2, 0) -> ranks 1-3 below 1, rank 4 at 1.57
    # randomised (u = 0): mass up to it + max(r - 2, 0)                    -> ranks 1-2 below 1, rank 3 at 1.57
    expected = np.array([[False, True, False, True, False, True, False, False]])
    if randomized:
        expected[0, 5] = False
    got = kernel.compute_sets(probs, np.full(8, 1.2), score="raps", randomized=randomized, u=np.zeros(1),
                              raps_lambda=1.0, raps_k_reg=2, nonempty=False)
    np.testing.assert_array_equal(got, expected)
