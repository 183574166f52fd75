"""The confident joint, noise matrix and filtering rules against cleanlab (the oracle), on random probabilities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.audit import joint, rules
from multiclass.exceptions import ConfigError, DataError
from tests.audit_helpers import (
    audit_inputs,
    cl_count,
    cleanlab_issues,
    cleanlab_joint,
    cleanlab_scores,
    noisy_problem,
    stable_argsort,
)

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(audit_inputs())
def test_thresholds_and_joint_equal_cleanlab(case):
    labels, probs = case
    np.testing.assert_array_equal(joint.confident_thresholds(labels, probs),
                                  cl_count.get_confident_thresholds(labels, probs))
    np.testing.assert_array_equal(joint.confident_joint(labels, probs, calibrate=False),
                                  cl_count.compute_confident_joint(labels, probs, calibrate=False))
    with stable_argsort():
        expected = cleanlab_joint(labels, probs)
    calibrated = joint.confident_joint(labels, probs)
    np.testing.assert_array_equal(calibrated, expected)
    np.testing.assert_array_equal(calibrated.sum(axis=1), np.bincount(labels, minlength=probs.shape[1]))
    np.testing.assert_array_equal(joint.estimate_joint(calibrated), cl_count.estimate_joint(labels, probs,
                                                                                           confident_joint=expected))
    _, noise, _ = cl_count.estimate_latent(expected, labels)
    np.testing.assert_allclose(joint.noise_matrix(calibrated), noise, rtol=0, atol=1e-15)


@SETTINGS
@given(audit_inputs(), st.sampled_from(rules.FILTERS))
def test_flagged_rows_equal_cleanlab(case, filter_by):
    labels, probs = case
    with stable_argsort():
        expected = cleanlab_issues(labels, probs, filter_by)
    np.testing.assert_array_equal(rules.find_label_issues(labels, probs, filter_by=filter_by), expected)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("filter_by", rules.FILTERS)
def test_on_realistic_data_cleanlab_as_released_agrees(seed, filter_by):
    """No stable-sort patch: on thousands of continuous probabilities ties do not occur, so cleanlab's own sort
    order gives our flags. (On tiny inputs they do, even in the rounding of the calibrated joint's counts.)"""
    labels, probs, _ = noisy_problem(n=3000, k=6, noise=0.1, seed=seed)
    expected = cleanlab_issues(labels, probs, filter_by)
    np.testing.assert_array_equal(rules.find_label_issues(labels, probs, filter_by=filter_by), expected)
    assert expected.sum() > 100


@SETTINGS
@given(audit_inputs(), st.sampled_from(rules.PRUNING), st.sampled_from([1.0, 0.5, 0.2]), st.integers(0, 3))
def test_pruning_options_equal_cleanlab(case, filter_by, frac_noise, min_examples):
    labels, probs = case
    with stable_argsort():
        expected = cleanlab_issues(labels, probs, filter_by, frac_noise=frac_noise,
                                   min_examples_per_class=min_examples)
    got = rules.find_label_issues(labels, probs, filter_by=filter_by, frac_noise=frac_noise,
                                  min_examples_per_class=min_examples)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("filter_by", rules.PRUNING)
def test_num_to_remove_per_class_equals_cleanlab(filter_by):
    labels, probs, _ = noisy_problem(n=600, k=4, noise=0.2, seed=3)
    remove = [5, 0, 12, 3]
    with stable_argsort():
        expected = cleanlab_issues(labels, probs, filter_by, num_to_remove_per_class=remove)
    got = rules.find_label_issues(labels, probs, filter_by=filter_by, num_to_remove_per_class=remove)
    np.testing.assert_array_equal(got, expected)
    assert got.any()


@SETTINGS
@given(audit_inputs(), st.sampled_from(rules.RANKINGS))
def test_scores_and_ranking_equal_cleanlab(case, method):
    labels, probs = case
    scores = cleanlab_scores(labels, probs, method)
    np.testing.assert_array_equal(rules.label_quality_scores(labels, probs, method), scores)
    flagged = rules.find_label_issues(labels, probs, filter_by="predicted_neq_given")
    with stable_argsort():
        from cleanlab.rank import order_label_issues
        expected = order_label_issues(flagged, labels, probs, rank_by=method)
    np.testing.assert_array_equal(rules.rank_label_issues(flagged, labels, probs, method), expected)


@SETTINGS
@given(audit_inputs())
def test_num_label_issues_equals_cleanlab(case):
    labels, probs = case
    assert rules.num_label_issues(labels, probs) == cl_count.num_label_issues(labels, probs)


def test_worked_example_by_hand():
    # 3 rows of class 0, 2 of class 1. Thresholds: class 0 mean(0.9, 0.8, 0.2) = 0.633..., class 1 mean(0.7, 0.6).
    labels = np.array([0, 0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6]])
    np.testing.assert_allclose(joint.confident_thresholds(labels, probs), [1.9 / 3, 0.65])
    # Rows 0, 1 are confidently 0, rows 2 (given 0) and 3 confidently 1; row 4 reaches neither threshold.
    np.testing.assert_array_equal(joint.confident_joint(labels, probs, calibrate=False), [[2, 1], [0, 1]])
    # Calibrated: row 1 is scaled to its 2 given rows.
    np.testing.assert_array_equal(joint.confident_joint(labels, probs), [[2, 1], [0, 2]])
    flagged = rules.find_label_issues(labels, probs, filter_by="prune_by_noise_rate")
    np.testing.assert_array_equal(flagged, [False, False, True, False, False])
    np.testing.assert_array_equal(joint.wrong_label_counts(joint.confident_joint(labels, probs)), [1, 0])


def test_edge_cases_class_never_given_and_never_predicted():
    labels, probs, _ = noisy_problem(n=300, k=4, noise=0.15, seed=1)
    probs = np.hstack([probs * 0.9, np.full((len(probs), 1), 0.1)])  # class 4: never given, never the argmax
    labels[labels == 3] = 2  # class 3: never given, but predicted
    calibrated = joint.confident_joint(labels, probs)
    assert calibrated[3].sum() == 0 and calibrated[4].sum() == 0
    for filter_by in rules.FILTERS:
        with stable_argsort():
            expected = cleanlab_issues(labels, probs, filter_by)
        np.testing.assert_array_equal(rules.find_label_issues(labels, probs, filter_by=filter_by), expected)


def test_round_preserving_row_totals_keeps_totals():
    matrix = np.array([[0.5, 0.5, 1.0], [2 / 3, 2 / 3, 2 / 3], [0.0, 0.0, 0.0]])
    rounded = joint.round_preserving_row_totals(matrix)
    np.testing.assert_array_equal(rounded.sum(axis=1), [2, 2, 0])
    # The row of three 2/3 loses one: the first of the tied entries keeps its rounding up, the stable order
    np.testing.assert_array_equal(rounded[1], [0, 1, 1])


def test_check_probabilities_messages():
    with pytest.raises(DataError, match=r"`probs` must have shape \(n_samples, n_classes\) with n_classes >= 2"):
        joint.check_probabilities([0], [[1.0]])
    with pytest.raises(DataError, match=r"`labels` must be 1-D with one entry per row of `probs` \(2\)"):
        joint.check_probabilities([0], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(DataError, match=r"`labels` codes must be in \[0, 2\); got values in \[0, 2\]"):
        joint.check_probabilities([0, 2], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(DataError, match=r"`labels` must hold integer class codes; got dtype float64"):
        joint.check_probabilities([0.0, 1.0], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(DataError, match=r"got 3.0 at row 1, column 0 \(pass softmax outputs, not logits\)"):
        joint.check_probabilities([0, 1], [[0.5, 0.5], [3.0, -2.0]])
    with pytest.raises(DataError, match=r"`labels` must have at least one row; got 0"):
        joint.check_probabilities(np.array([], dtype=int), np.zeros((0, 2)))


def test_option_messages():
    labels, probs, _ = noisy_problem(n=50, k=3)
    with pytest.raises(ConfigError, match=r"`filter_by` must be one of \['prune_by_noise_rate'.*got 'nope'"):
        rules.find_label_issues(labels, probs, filter_by="nope")
    with pytest.raises(ConfigError, match=r"`rank_by` must be one of \['self_confidence', 'normalized_margin'\]"):
        rules.label_quality_scores(labels, probs, "loss")
    with pytest.raises(ConfigError, match=r"apply only to \['prune_by_noise_rate', 'prune_by_class', 'both'\]; "
                                          r"got filter_by='confident_learning'"):
        rules.find_label_issues(labels, probs, filter_by="confident_learning", frac_noise=0.5)


def test_num_to_remove_message_when_no_noise_is_estimated():
    labels = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8]])  # clean: the joint is diagonal
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConfigError, match=r"`num_to_remove_per_class` cannot be spread for class 0"):
            rules.find_label_issues(labels, probs, filter_by="prune_by_class", num_to_remove_per_class=[1, 0])


def test_calibration_sums_in_cleanlab_order():
    """A row of 4/3, 4/3, 16/3 must round to 8 in all: which entry gains the missing unit depends on the last bit
    of the normalising total, so that total is summed in the order cleanlab sums it (its joint is column-major)."""
    counts = np.array([[1, 1, 3], [1, 1, 4], [1, 1, 4]])
    labels = np.repeat(np.arange(3), [5, 6, 8])
    with stable_argsort():
        expected = cl_count.calibrate_confident_joint(np.asfortranarray(counts), labels)
    for layout in (np.ascontiguousarray, np.asfortranarray):
        np.testing.assert_array_equal(joint.calibrate_joint(layout(counts), np.array([5, 6, 8])), expected)
    np.testing.assert_array_equal(expected[2], [1, 1, 6])
