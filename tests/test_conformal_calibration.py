"""Calibration values: refusals that say how many rows are needed, parameter checks, and the model.json form."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from multiclass.conformal import (
    ConformalCalibration,
    calibrate_cross_sets,
    calibrate_sets,
    predict_sets,
    rows_needed,
)
from multiclass.conformal.quantile import order_index
from multiclass.exceptions import ConfigError, DataError, ModelFileError
from tests.conformal_helpers import model_probs


@pytest.fixture(scope="module")
def rows():
    return model_probs(np.random.default_rng(0), 300, 4)


# ---------------------------------------------------------------------------------------------------- rows needed
@pytest.mark.parametrize("coverage", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_rows_needed_is_the_first_n_with_a_finite_order_statistic(coverage):
    needed = rows_needed(coverage)
    assert needed == math.ceil(coverage / (1 - coverage) - 1e-9)  # (1 - alpha) / alpha
    assert order_index(needed, coverage) == needed and order_index(needed - 1, coverage) is None


@pytest.mark.parametrize(("coverage", "confidence"), [(0.95, 0.95), (0.9, 0.9), (0.9, 0.99), (0.99, 0.9)])
def test_rows_needed_with_confidence_is_log_delta_over_log_coverage(coverage, confidence):
    needed = rows_needed(coverage, confidence)
    assert needed == math.ceil(math.log(1 - confidence) / math.log(coverage))
    assert coverage ** needed <= 1 - confidence < coverage ** (needed - 1)


@pytest.mark.parametrize("n", [30, 59, 100, 1000])
def test_pac_order_statistic_is_the_smallest_with_binomial_tail_below_delta(n):
    k = order_index(n, 0.9, confidence=0.95)
    if k is None:
        assert stats.binom.sf(n - 1, n, 0.9) > 0.05
        return
    assert stats.binom.sf(k - 1, n, 0.9) <= 0.05 < stats.binom.sf(k - 2, n, 0.9)
    assert k >= order_index(n, 0.9)  # asking confidence never lowers the threshold below the average rule


def test_pac_coverage_holds_with_the_asked_confidence():
    """Over 4,000 calibration sets of 200 uniform scores, the coverage of the PAC threshold (its CDF value) is
    below 0.9 in at most 5 % of them (+ binomial Monte Carlo tolerance); the plain rule misses about half."""
    rng = np.random.default_rng(2)
    scores = np.sort(rng.random((4000, 200)), axis=1)  # the coverage of a threshold t is t itself
    pac = scores[:, order_index(200, 0.9, confidence=0.95) - 1]
    plain = scores[:, order_index(200, 0.9) - 1]
    tolerance = 4 * math.sqrt(0.05 * 0.95 / 4000)
    assert (pac < 0.9).mean() <= 0.05 + tolerance
    assert (plain < 0.9).mean() > 0.3


# ---------------------------------------------------------------------------------------------------- refusals
def test_refusal_of_a_critical_class_says_how_many_rows_it_needs(rows):
    probs, y = rows
    y = y.copy()
    y[y == 3] = 0
    y[:20] = 3  # class 3 ("critical") has 20 calibration rows
    with pytest.raises(DataError, match=r"^class 'critical' has 20 calibration rows; 95 % coverage at 95 % "
                                        r"confidence needs at least 59\.$"):
        calibrate_sets(probs, y, coverage=0.95, confidence=0.95, mondrian=[3], classes=["a", "b", "c", "critical"])
    calibrate_sets(probs, y, coverage=0.95, mondrian=[3])  # 20 rows do give 95 % on average (19 needed)


def test_refusal_of_a_small_calibration_set(rows):
    probs, y = rows
    with pytest.raises(DataError, match=r"^the calibration set has 18 rows; 95 % coverage needs at least 19\.$"):
        calibrate_sets(probs[:18], y[:18], coverage=0.95)
    assert calibrate_sets(probs[:19], y[:19], coverage=0.95).quantiles


def test_refusal_names_the_pooled_classes(rows):
    probs, y = rows
    keep = (y == 0) | (y == 1) & (np.cumsum(y == 1) <= 8)  # class 1 alone, the rest: class 0's rows pooled
    with pytest.raises(DataError, match=r"^class 1 has 8 calibration rows; 90 % coverage needs at least 9\.$"):
        calibrate_sets(probs[keep], y[keep], coverage=0.9, mondrian=[1])
    with pytest.raises(DataError, match=r"^the classes pooled apart from class 0 have 8 calibration rows"):
        calibrate_sets(probs[keep], y[keep], coverage=0.9, mondrian=[0])


def test_a_class_without_calibration_rows_is_refused_under_mondrian(rows):
    probs, y = rows
    with pytest.raises(DataError, match=r"^class 2 has 0 calibration rows; 90 % coverage needs at least 9\.$"):
        calibrate_sets(probs[y != 2], y[y != 2], coverage=0.9, mondrian="all")


# ---------------------------------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"coverage": 1.0}, r"`coverage` must be a number in \(0, 1\); got 1\.0\."),
    ({"coverage": True}, r"`coverage` must be a number in \(0, 1\); got True\."),
    ({"confidence": 0}, r"`confidence` must be a number in \(0, 1\); got 0\."),
    ({"score": "hinge"}, r"`score` must be one of \('lac', 'aps', 'raps'\); got 'hinge'\."),
    ({"score": "lac", "randomized": True}, r"`randomized` must be True or False, and False for score 'lac'"),
    ({"mondrian": "some"}, r"`mondrian` must be None, 'all' or a list of class codes; got 'some'\."),
    ({"mondrian": [1, 1]}, r"`mondrian` must be None, 'all' or a non-empty list of distinct class codes in "
                           r"\[0, 4\); got \[1, 1\]\."),
    ({"mondrian": [4]}, r"non-empty list of distinct class codes in \[0, 4\); got \[4\]\."),
    ({"raps_lambda": -1.0}, r"`raps_lambda` must be a finite number >= 0; got -1\.0\."),
    ({"raps_k_reg": 1.5}, r"`raps_k_reg` must be an integer >= 0; got 1\.5\."),
    ({"random_state": -3}, r"`random_state` must be an integer >= 0; got -3\."),
    ({"classes": ["a"]}, r"`classes` must name the 4 classes of `probs`; got 1 names\."),
])
def test_bad_parameters_are_refused_by_name(rows, kwargs, message):
    probs, y = rows
    with pytest.raises(ConfigError, match=message):
        calibrate_sets(probs, y, **kwargs)


@pytest.mark.parametrize(("probs", "y", "message"), [
    (np.full((3, 2), 0.5), [0, 1], r"`y` must be 1-D with one class code per row of probabilities \(3\)"),
    (np.full((3, 2), 0.5), [0, 1, 2], r"`y` must hold integer class codes in \[0, 2\); got dtype int64, values 0..2"),
    (np.full((3, 2), 0.5), [0.0, 1.0, 1.0], r"`y` must hold integer class codes in \[0, 2\); got dtype float64"),
    (np.full((3, 1), 1.0), [0, 0, 0], r"`probs` must be a 2-D array \(n_samples, n_classes\) with n_classes >= 2"),
    (np.full((3, 2), 0.7), [0, 1, 1], r"`probs` rows must sum to 1 \(probabilities, not logits\); row 0 sums to 1\.4"),
    (np.array([[np.nan, 1.0], [0.5, 0.5]]), [0, 1], r"`probs` must hold probabilities in \[0, 1\] \(no NaN\)"),
    (np.array([["a", "b"]]), [0], r"`probs` must hold real numbers; got dtype <U1\."),
])
def test_bad_data_is_refused_by_name(probs, y, message):
    with pytest.raises(DataError, match=message):
        calibrate_sets(probs, y, coverage=0.5, score="lac")


def test_cross_conformal_needs_fold_ids(rows):
    probs, y = rows
    with pytest.raises(DataError, match=r"`folds` must hold at least 2 distinct folds; got 1\."):
        calibrate_cross_sets(probs, y, np.zeros(len(y), dtype=int))
    with pytest.raises(DataError, match=r"`folds` must be 1-D integer fold ids, one per row \(300\)"):
        calibrate_cross_sets(probs, y, np.zeros(5, dtype=int))


def test_predict_sets_checks_its_inputs(rows):
    probs, y = rows
    calibration = calibrate_sets(probs, y, score="lac")
    with pytest.raises(DataError, match=r"`probs` has 3 classes but the calibration has 4\."):
        predict_sets(np.full((2, 3), 1 / 3), calibration)
    with pytest.raises(DataError, match=r"`out` must be a C-contiguous bool array of shape \(300, 4\); got int64"):
        predict_sets(probs, calibration, out=np.zeros((300, 4), dtype=np.int64))
    with pytest.raises(ConfigError, match=r"`calibration` must be a ConformalCalibration; got dict\."):
        predict_sets(probs, calibration.to_dict())
    randomized = calibrate_sets(probs, y, score="aps", randomized=True)
    with pytest.raises(ConfigError, match=r"`random_state` must be None, an integer >= 0, a numpy Generator or "
                                          r"RandomState; got 'x'\."):
        predict_sets(probs, randomized, random_state="x")


def test_out_is_filled_in_place(rows):
    probs, y = rows
    calibration = calibrate_sets(probs, y, score="aps")
    out = np.zeros(probs.shape, dtype=bool)
    assert predict_sets(probs, calibration, out=out) is out
    np.testing.assert_array_equal(out, predict_sets(probs, calibration))


# ---------------------------------------------------------------------------------------------------- model.json
@pytest.mark.parametrize("kwargs", [
    {"score": "lac"}, {"score": "aps", "randomized": True, "mondrian": "all"},
    {"score": "raps", "mondrian": [2], "confidence": 0.8, "raps_lambda": 0.1, "raps_k_reg": 2, "random_state": 9},
])
def test_to_dict_from_dict_round_trip_through_json(rows, kwargs):
    probs, y = rows
    calibration = calibrate_sets(probs, y, coverage=0.8, **kwargs)
    back = ConformalCalibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    assert back == calibration
    np.testing.assert_array_equal(predict_sets(probs, back), predict_sets(probs, calibration))


def test_mondrian_reads_back_from_the_groups(rows):
    probs, y = rows
    assert calibrate_sets(probs, y).mondrian is None
    assert calibrate_sets(probs, y, mondrian="all").mondrian == "all"
    assert calibrate_sets(probs, y, mondrian=[2, 0]).mondrian == (0, 2)
    assert calibrate_sets(probs, y, mondrian=[0, 1, 2, 3]).mondrian == "all"


@pytest.mark.parametrize(("change", "message"), [
    ({"method": "jackknife"}, r"field `method` must be one of \('split', 'cross'\); got 'jackknife'\."),
    ({"score": "top_k"}, r"field `score` must be one of \('lac', 'aps', 'raps'\); got 'top_k'\."),
    ({"coverage": 1.5}, r"field `coverage` must be a number in \(0, 1\); got 1\.5\."),
    ({"confidence": "high"}, r"field `confidence` must be null or a number in \(0, 1\); got 'high'\."),
    ({"randomized": 1}, r"field `randomized` must be true or false; got 1\."),
    ({"random_state": -1}, r"field `random_state` must be an integer >= 0; got -1\."),
    ({"raps_lambda": None}, r"field `raps_lambda` must be a number >= 0; got None\."),
    ({"raps_k_reg": 0.5}, r"field `raps_k_reg` must be an integer >= 0; got 0\.5\."),
    ({"n_folds": 1}, r"field `n_folds` must be null or an integer >= 2; got 1\."),
    ({"n_folds": 5}, r"field `n_folds` must be set for method 'cross' and null for 'split'; got 5 with 'split'\."),
    ({"groups": [0]}, r"field `groups` must be a list of >= 2 integers >= 0 \(one per class\); got \[0\]\."),
    ({"groups": [0, 2, 2, 2]}, r"field `groups` must be numbered 0\.\.2 without gaps; got \[0, 2, 2, 2\]\."),
    ({"quantiles": [0.5, 0.6]}, r"field `quantiles` must be a list of 1 finite numbers \(one per group\)"),
    ({"quantiles": [float("nan")]}, r"field `quantiles` must be a list of 1 finite numbers"),
    ({"class_counts": [1, 2]}, r"field `class_counts` must be a list of 4 integers >= 0 \(one per class\)"),
    ({"extra": 1}, r"the conformal calibration has unknown fields \['extra'\]\."),
])
def test_from_dict_names_the_bad_field(rows, change, message):
    probs, y = rows
    data = calibrate_sets(probs, y, score="lac").to_dict()
    data.update(change)
    with pytest.raises(ModelFileError, match=message):
        ConformalCalibration.from_dict(data)


def test_from_dict_refuses_missing_fields_and_non_objects(rows):
    probs, y = rows
    data = calibrate_sets(probs, y).to_dict()
    del data["quantiles"]
    with pytest.raises(ModelFileError, match=r"the conformal calibration misses \['quantiles'\]\."):
        ConformalCalibration.from_dict(data)
    with pytest.raises(ModelFileError, match=r"must be a JSON object; got list\."):
        ConformalCalibration.from_dict([])
    lac = calibrate_sets(probs, y, score="lac").to_dict() | {"randomized": True}
    with pytest.raises(ModelFileError, match=r"field `randomized` must be false for score 'lac'\."):
        ConformalCalibration.from_dict(lac)
