"""Prediction sets: the compiled kernel against the numpy reference bit for bit, and properties of the sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.conformal import calibrate_sets, predict_sets
from multiclass.conformal import kernel
from multiclass.conformal.scores import sets_numpy
from multiclass.conformal.sets import set_draws
from multiclass.exceptions import ConfigError, DataError
from tests.conformal_helpers import model_probs
from tests.strategies import tied_probs

SCORE_RULES = [("lac", False), ("aps", False), ("aps", True), ("raps", False), ("raps", True)]


@settings(max_examples=300, deadline=None)
@given(probs=tied_probs(), rule=st.sampled_from(SCORE_RULES), nonempty=st.booleans(), data=st.data())
def test_kernel_equals_numpy_reference(probs, rule, nonempty, data):
    """Ties, zeros, one or per-class thresholds (some below every score, some above), every row path (K <= 16 in
    the AVX-512 row kernel where the CPU has it, K <= 32 in blocks of 64 rows, K > 32 row by row with the sort
    after 24 tie groups): the same sets."""
    if kernel.load() is None:
        pytest.skip(f"no compiled kernel here: {kernel.status()}")
    score, randomized = rule
    n, k = probs.shape
    levels = st.sampled_from([-0.1, 0.0, 0.2, 0.5, 0.75, 0.9, 1.0, 1.3, 2.0])
    if data.draw(st.booleans()):
        thresholds = np.full(k, data.draw(levels))
    else:
        thresholds = np.array(data.draw(st.lists(levels, min_size=k, max_size=k)))
    draws = np.random.default_rng(n * k).random(n)
    draws[: n // 3] = data.draw(st.sampled_from([0.0, 1.0]))
    options = dict(score=score, randomized=randomized, u=draws, raps_lambda=data.draw(st.sampled_from([0.0, 0.05])),
                   raps_k_reg=data.draw(st.integers(0, 3)), nonempty=nonempty)
    expected = sets_numpy(probs, thresholds, **options)
    np.testing.assert_array_equal(kernel.compute_sets(probs, thresholds, **options), expected)
    np.testing.assert_array_equal(kernel.compute_sets(probs, thresholds, n_threads=2, **options), expected)
    # the portable path too where the AVX-512 row kernel (K <= 16) took the calls above
    np.testing.assert_array_equal(kernel.compute_sets(probs, thresholds, vector=False, **options), expected)


def test_numpy_fallback_when_compiling_is_off(monkeypatch):
    monkeypatch.setattr(kernel, "_TRIED", False)
    monkeypatch.setattr(kernel, "_LIB", None)
    monkeypatch.setenv("MULTICLASS_NO_COMPILE", "1")
    assert kernel.load() is None
    assert kernel.status() == "unavailable: RuntimeError: MULTICLASS_NO_COMPILE is set"
    probs, y = model_probs(np.random.default_rng(0), 500, 5)
    calibration = calibrate_sets(probs[:200], y[:200], score="raps")
    fallback = predict_sets(probs[200:], calibration)
    monkeypatch.setattr(kernel, "_TRIED", False)
    monkeypatch.delenv("MULTICLASS_NO_COMPILE")
    np.testing.assert_array_equal(predict_sets(probs[200:], calibration), fallback)


@pytest.fixture(scope="module")
def rows():
    return model_probs(np.random.default_rng(4), 700, 6)


@pytest.mark.parametrize(("score", "randomized"), SCORE_RULES)
@pytest.mark.parametrize("mondrian", [None, "all", [1]])
def test_sets_grow_with_coverage(rows, score, randomized, mondrian):
    probs, y = rows
    previous = None
    for coverage in (0.5, 0.7, 0.8, 0.9, 0.95):
        sets = predict_sets(probs[300:], calibrate_sets(probs[:300], y[:300], coverage=coverage, score=score,
                                                        randomized=randomized, mondrian=mondrian))
        if previous is not None:
            assert (sets >= previous).all()
        previous = sets
    assert previous.sum() > 0


@pytest.mark.parametrize(("score", "randomized"), SCORE_RULES)
def test_nonempty_sets_are_never_empty_and_only_add_the_top_class(rows, score, randomized):
    probs, y = rows
    calibration = calibrate_sets(probs[:300], y[:300], coverage=0.5, score=score, randomized=randomized)
    plain = predict_sets(probs[300:], calibration)
    filled = predict_sets(probs[300:], calibration, nonempty=True)
    assert filled.any(axis=1).all()
    empty = ~plain.any(axis=1)
    np.testing.assert_array_equal(filled[~empty], plain[~empty])
    top = probs[300:] == probs[300:].max(axis=1, keepdims=True)
    np.testing.assert_array_equal(filled[empty], top[empty])
    if score == "lac" or randomized:
        assert empty.any()  # at coverage 0.5 some sets are empty: the option is exercised


@settings(max_examples=60, deadline=None)
@given(probs=tied_probs(max_rows=60, max_classes=8), coverage=st.sampled_from([0.5, 0.8, 0.9]))
def test_lac_sets_hold_the_argmax_when_not_empty_and_aps_sets_always(probs, coverage):
    n = len(probs)
    if n < 20:
        probs = np.repeat(probs, -(-20 // n), axis=0)
    y = probs.argmin(axis=1)  # labels the model ranks last: large thresholds, many classes in the sets
    top = probs == probs.max(axis=1, keepdims=True)
    lac = predict_sets(probs, calibrate_sets(probs, y, coverage=coverage, score="lac"))
    assert (lac[lac.any(axis=1)] >= top[lac.any(axis=1)]).all()
    aps = predict_sets(probs, calibrate_sets(probs, y, coverage=coverage, score="aps"))
    assert (aps >= top).all()


@settings(max_examples=60, deadline=None)
@given(probs=tied_probs(max_rows=60, max_classes=8), rule=st.sampled_from(SCORE_RULES), data=st.data())
def test_relabelling_the_classes_permutes_the_sets(probs, rule, data):
    """Scores use only the probability values (tied classes share their rank), so the sets do not depend on the
    order of the classes."""
    score, randomized = rule
    k = probs.shape[1]
    probs = np.repeat(probs, -(-20 // len(probs)), axis=0) if len(probs) < 20 else probs
    y = data.draw(st.lists(st.integers(0, k - 1), min_size=len(probs), max_size=len(probs)))
    y = np.array(y)
    perm = np.array(data.draw(st.permutations(range(k))))
    inverse = np.argsort(perm)  # class c becomes column inverse[c]
    sets = predict_sets(probs, calibrate_sets(probs, y, coverage=0.8, score=score, randomized=randomized))
    moved = predict_sets(probs[:, perm], calibrate_sets(probs[:, perm], inverse[y], coverage=0.8, score=score,
                                                        randomized=randomized))
    np.testing.assert_array_equal(moved, sets[:, perm])


@pytest.mark.parametrize(("score", "randomized"), SCORE_RULES)
def test_threads_give_the_same_sets(score, randomized):
    probs, y = model_probs(np.random.default_rng(6), 40_000, 7)  # 40,000 rows: 2 threads of >= 16,384 rows
    calibration = calibrate_sets(probs[:2000], y[:2000], score=score, randomized=randomized, mondrian=[3])
    np.testing.assert_array_equal(predict_sets(probs, calibration, n_threads=2), predict_sets(probs, calibration))
    np.testing.assert_array_equal(predict_sets(probs, calibration, n_threads=3),
                                  sets_numpy(probs, calibration.thresholds, score=score, randomized=randomized,
                                             u=set_draws(len(probs), calibration) if randomized else None,
                                             raps_lambda=calibration.raps_lambda, raps_k_reg=calibration.raps_k_reg,
                                             nonempty=False))


@pytest.mark.parametrize("score", ["lac", "aps"])
@pytest.mark.parametrize("classes", [5, 40])
@pytest.mark.parametrize("bad", [np.nan, -0.1, 1.5])
def test_the_kernel_refuses_values_that_are_not_probabilities(score, classes, bad):
    probs, y = model_probs(np.random.default_rng(8), 100, classes)
    calibration = calibrate_sets(probs, y, score=score)
    probs[77, 3] = bad
    for dtype in (np.float64, np.float32):
        with pytest.raises(DataError, match=r"`probs` must hold probabilities in \[0, 1\] \(no NaN\)"):
            predict_sets(probs.astype(dtype), calibration)


def test_predict_sets_checks_n_threads():
    probs, y = model_probs(np.random.default_rng(8), 100, 3)
    with pytest.raises(ConfigError, match=r"`n_threads` must be an integer >= 1; got 0\."):
        predict_sets(probs, calibrate_sets(probs, y), n_threads=0)
