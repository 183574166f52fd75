"""multiclass.decisions, the pure functions: temperature scaling, the Bayes decision of a cost matrix, recall
offsets and the policy. Oracles: torch autograd and scipy for the temperature, problems whose posteriors are known
in closed form, brute-force searches, and worked examples."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import log_softmax, softmax

from multiclass.decisions import (
    DecisionConfig,
    DecisionPolicy,
    apply_temperature,
    bayes_decision,
    cost_matrix_from,
    decide,
    expected_cost,
    fit_policy,
    fit_recall_offsets,
    fit_temperature,
    nll_at_temperature,
    zero_one_cost,
)
from multiclass.exceptions import ConfigError, DataError
from multiclass.metrics import expected_calibration_error

torch.set_num_threads(1)  # the machine is shared: multi-threaded torch only slows these small problems


def logit_matrices(max_abs: float):
    """Float64 logits (N, K) with 1 <= N <= 12 rows and 2 <= K <= 8 classes, entries up to +-max_abs."""
    shapes = st.tuples(st.integers(1, 12), st.integers(2, 8))
    return hnp.arrays(np.float64, shapes, elements=st.floats(-max_abs, max_abs, allow_nan=False, width=32))


def clear_winner(values: np.ndarray, gap: float) -> np.ndarray:
    """(N,) rows whose largest entry beats the second by more than `gap` relative to its size: rounding cannot
    tie them (rows closer than that are left out of a property, not filtered: hypothesis repeats values)."""
    top2 = np.sort(values, axis=1)[:, -2:]  # (N, 2)
    return (top2[:, 1] - top2[:, 0]) > gap * np.maximum(1, np.abs(top2[:, 1]))


def gaussian_problem(n: int, seed: int, *, priors=(0.5, 0.3, 0.2), separation: float = 1.5):
    """Rows of K unit Gaussians centred on ``separation * onehot(class)`` in K dimensions, and their exact log
    posteriors: ``log p(k | x) = log prior_k + separation * x_k + const`` (the quadratic terms are shared)."""
    rng = np.random.default_rng(seed)
    k = len(priors)
    y = rng.choice(k, size=n, p=priors)
    x = rng.normal(size=(n, k)) + separation * np.eye(k)[y]  # (N, K)
    return log_softmax(np.log(priors) + separation * x, axis=1), y


# --- temperature scaling -----------------------------------------------------------------------------------------


def test_temperature_undoes_overconfidence_and_lowers_nll_and_ece():
    log_post, y = gaussian_problem(3000, seed=0)
    over = 5 * log_post  # an over-confident model: the true logits times 5
    val, test = slice(0, 1500), slice(1500, None)
    temperature = fit_temperature(over[val], y[val])
    assert temperature == pytest.approx(5.0, rel=0.1)
    for rows in (val, test):
        before, after = np.exp(log_softmax(over[rows], axis=1)), np.exp(apply_temperature(over[rows], temperature))
        assert nll_at_temperature(over[rows], y[rows], temperature) < nll_at_temperature(over[rows], y[rows], 1.0)
        assert expected_calibration_error(y[rows], after, labels=range(3)) < \
            0.5 * expected_calibration_error(y[rows], before, labels=range(3))
        np.testing.assert_array_equal(after.argmax(axis=1), before.argmax(axis=1))


def test_fitted_temperature_is_a_stationary_point_of_torch_cross_entropy():
    log_post, y = gaussian_problem(800, seed=1)
    logits = 3 * log_post + np.random.default_rng(1).normal(0, 0.5, log_post.shape)
    temperature = fit_temperature(logits, y)
    log_t = torch.tensor(math.log(temperature), dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(logits) / log_t.exp(), torch.from_numpy(y))
    loss.backward()
    assert abs(log_t.grad.item()) < 1e-5  # the oracle's gradient vanishes where we stopped
    assert loss.item() == pytest.approx(nll_at_temperature(logits, y, temperature), rel=1e-12)
    grid = np.exp(np.linspace(np.log(0.5), np.log(10), 400))
    assert nll_at_temperature(logits, y, temperature) <= min(nll_at_temperature(logits, y, t) for t in grid) + 1e-12


def test_temperature_works_on_logits_or_log_probabilities_alike():
    logits = np.random.default_rng(2).normal(size=(50, 4)) * 4
    y = np.random.default_rng(3).integers(0, 4, 50)
    assert fit_temperature(logits, y) == pytest.approx(fit_temperature(log_softmax(logits, axis=1), y), rel=1e-6)
    np.testing.assert_allclose(apply_temperature(logits, 2.5), apply_temperature(log_softmax(logits, axis=1), 2.5),
                               atol=1e-12)
    assert apply_temperature([[2.0, 0.0]], 2.0) == pytest.approx(np.log([[0.7310585786, 0.2689414214]]))


@settings(max_examples=60, deadline=None)
@given(logit_matrices(max_abs=1e3), st.floats(0.05, 20.0))
def test_temperature_never_changes_the_argmax(z, temperature):
    clear = clear_winner(z, 1e-6)
    np.testing.assert_array_equal(apply_temperature(z, temperature)[clear].argmax(axis=1), z[clear].argmax(axis=1))
    # Through a policy it is exact, ties included: a temperature alone is not even applied.
    np.testing.assert_array_equal(decide(z, DecisionPolicy(temperature=temperature)), z.argmax(axis=1))


@pytest.mark.parametrize(("temperature", "match"), [(0, "a finite number > 0"), (-1.0, "a finite number > 0"),
                                                     (float("nan"), "a finite number > 0"), ("2", "a number > 0")])
def test_bad_temperature_messages(temperature, match):
    with pytest.raises(ConfigError, match=f"`temperature` must be {match}"):
        apply_temperature([[0.0, 1.0]], temperature)


def test_fit_temperature_input_messages():
    with pytest.raises(DataError, match=r"`logits` must be finite"):
        fit_temperature([[0.0, np.inf]], [0])
    with pytest.raises(DataError, match=r"`y` must hold class codes in \[0, 2\); got 2"):
        fit_temperature([[0.0, 1.0]], [2])
    with pytest.raises(DataError, match=r"`y` must be 1 integer class codes"):
        fit_temperature([[0.0, 1.0]], [0.5])
    with pytest.raises(DataError, match="at least one row"):
        fit_temperature(np.empty((0, 3)), np.empty(0, dtype=int))


# --- cost matrices -------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(logit_matrices(max_abs=30))
def test_zero_one_cost_decides_the_argmax(logits):
    probs = softmax(logits, axis=1)
    clear = clear_winner(probs, 1e-12)  # 1 - p would round two probabilities closer than this together
    decisions = bayes_decision(probs, zero_one_cost(probs.shape[1]))
    np.testing.assert_array_equal(decisions[clear], probs[clear].argmax(axis=1))


def test_skewed_cost_lowers_the_cost_on_held_out_rows_with_known_posteriors():
    """Two overlapping Gaussians N(-1, 1) and N(+1, 1): log-odds 2x + log(prior ratio), exactly. Missing class 1
    costs 10, a false alarm 1: the Bayes rule is "class 1 when p1 > 1/11", and it must pay less than the argmax."""
    rng = np.random.default_rng(0)
    y = (rng.random(20000) < 0.2).astype(np.int64)
    x = rng.normal(2.0 * y - 1.0, 1.0)
    log_odds = 2 * x + np.log(0.2 / 0.8)
    probs = np.stack([1 / (1 + np.exp(log_odds)), 1 / (1 + np.exp(-log_odds))], axis=1)  # (N, 2)
    cost = np.array([[0.0, 1.0], [10.0, 0.0]])
    decisions = bayes_decision(probs, cost)
    np.testing.assert_array_equal(decisions, (probs[:, 1] > 1 / 11).astype(int))  # the worked threshold
    argmax = probs.argmax(axis=1)
    assert expected_cost(y, decisions, cost) < 0.8 * expected_cost(y, argmax, cost)
    # Under the posteriors themselves, the Bayes decision is optimal row by row, not only on average.
    risk = probs @ cost  # (N, 2)
    assert (risk[np.arange(len(y)), decisions] <= risk[np.arange(len(y)), argmax] + 1e-15).all()
    assert expected_cost(probs, decisions, cost) <= expected_cost(probs, argmax, cost)


def test_expected_cost_worked_examples():
    cost = [[0, 1, 4], [2, 0, 1], [8, 3, 0]]
    y, d = np.array([0, 1, 2, 2]), np.array([2, 1, 0, 1])
    assert expected_cost(y, d, cost) == pytest.approx((4 + 0 + 8 + 3) / 4)
    assert expected_cost(np.eye(3)[y], d, cost) == pytest.approx(expected_cost(y, d, cost))  # one-hot = truth
    assert expected_cost([[0.5, 0.5, 0.0]], [2], cost) == pytest.approx(0.5 * 4 + 0.5 * 1)


def test_cost_matrix_messages():
    with pytest.raises(ConfigError, match=r"`cost_matrix` must be a square matrix \(K, K\) with K >= 2; got shape"):
        bayes_decision([[0.5, 0.5]], [[0, 1, 2], [1, 0, 2]])
    with pytest.raises(ConfigError, match="`cost_matrix` must hold finite numbers"):
        bayes_decision([[0.5, 0.5]], [[0, np.nan], [1, 0]])
    with pytest.raises(DataError, match=r"`probs` must have shape \(n_samples, 2\)"):
        bayes_decision([[0.2, 0.3, 0.5]], [[0, 1], [1, 0]])
    with pytest.raises(DataError, match=r"`decisions` must hold class codes in \[0, 2\); got 5"):
        expected_cost([0], [5], [[0, 1], [1, 0]])


CLASSES = ("ok", "fault_minor", "fault_critical")


def test_cost_matrix_from_csv_json_and_mappings_agree(tmp_path):
    expected = np.array([[0, 1, 1], [2, 0, 1], [50, 10, 0]], dtype=float)
    csv_file = tmp_path / "cost.csv"  # rows and columns in another order than the model's classes
    csv_file.write_text("true\\decided,fault_critical,ok,fault_minor\n"
                        "fault_critical,0,50,10\nok,1,0,1\nfault_minor,1,2,0\n")
    json_file = tmp_path / "cost.json"
    json_file.write_text(json.dumps({"classes": list(CLASSES), "matrix": expected.tolist()}))
    sparse = tmp_path / "sparse.json"  # only what differs from the 0-1 cost
    sparse.write_text(json.dumps({"fault_minor": {"ok": 2}, "fault_critical": {"ok": 50, "fault_minor": 10}}))
    for source in (csv_file, json_file, str(sparse), {"fault_minor": {"ok": 2},
                                                      "fault_critical": {"ok": 50, "fault_minor": 10}}, expected):
        np.testing.assert_array_equal(cost_matrix_from(source, CLASSES), expected)


@pytest.mark.parametrize(("text", "match"), [
    ("x,ok,fault_minor\nok,0,1\nfault_minor,1,0\n", "must name every class; 'fault_critical' is missing"),
    ("x,ok,fault_minor,typo\nok,0,1,1\nfault_minor,1,0,1\nfault_critical,1,1,0\n", "names class 'typo'"),
    ("x,ok,fault_minor,fault_critical\nok,0,1,1\nfault_minor,1,0,one\nfault_critical,1,1,0\n", "must be a number"),
    ("x,ok,fault_minor,fault_critical\nok,0,1\n", "expected a header of class names"),
    ("x,ok,fault_minor,fault_critical\nok,0,1,1\nok,1,0,1\nfault_critical,1,1,0\n", "names a class twice"),
])
def test_cost_file_messages_name_the_file_and_the_problem(tmp_path, text, match):
    path = tmp_path / "cost.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as error:
        cost_matrix_from(path, CLASSES)
    assert str(path) in str(error.value)


def test_cost_json_messages(tmp_path):
    path = tmp_path / "cost.json"
    path.write_text('{"ok": {"fault_minor": "high"}}')
    with pytest.raises(ConfigError, match="the cost of deciding 'fault_minor' for 'ok' must be a number"):
        cost_matrix_from(path, CLASSES)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="got a JSON list"):
        cost_matrix_from(path, CLASSES)


# --- recall offsets ------------------------------------------------------------------------------------------------


def _recall(y, decisions, c):
    return np.mean(decisions[y == c] == c)


def _macro_f1(y, d, k):
    from sklearn.metrics import f1_score

    return f1_score(y, d, average="macro", labels=np.unique(np.concatenate([y, d])), zero_division=0)


def test_recall_target_is_met_on_validation_and_reported_honestly_on_held_out_rows():
    log_post, y = gaussian_problem(6000, seed=4, priors=(0.6, 0.3, 0.1), separation=1.0)
    val, test = slice(0, 3000), slice(3000, None)
    offsets = fit_recall_offsets(log_post[val], y[val], {2: 0.9})
    on_val = (log_post[val] + offsets).argmax(axis=1)
    assert _recall(y[val], on_val, 2) >= 0.9 > _recall(y[val], log_post[val].argmax(axis=1), 2)
    on_test = (log_post[test] + offsets).argmax(axis=1)
    assert _recall(y[test], on_test, 2) == pytest.approx(0.9, abs=0.05)  # close, but not guaranteed


def test_single_target_offset_matches_a_brute_force_search():
    """Oracle: every offset between consecutive margins, scored with scikit-learn's macro-F1."""
    log_post, y = gaussian_problem(300, seed=5, priors=(0.5, 0.35, 0.15), separation=1.2)
    offsets = fit_recall_offsets(log_post, y, {2: 0.8})
    others = log_post[:, :2].max(axis=1) - log_post[:, 2]
    points = np.unique(others)
    grid = np.concatenate([[points[0] - 1], (points[:-1] + points[1:]) / 2, [points[-1] + 1]])
    best = -1.0
    for t in grid:  # class 2's offset alone: the search over class 2 first, before the others are tuned
        d = (log_post + np.array([0, 0, t])).argmax(axis=1)
        if _recall(y, d, 2) >= 0.8:
            best = max(best, _macro_f1(y, d, 3))
    d = (log_post + offsets).argmax(axis=1)
    assert _recall(y, d, 2) >= 0.8
    assert _macro_f1(y, d, 3) >= best - 1e-12  # tuning the other classes afterwards never loses macro-F1


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 5), st.integers(5, 40), st.floats(0.05, 1.0))
def test_a_single_recall_target_is_always_met_on_the_rows_it_was_tuned_on(seed, k, n, target):
    rng = np.random.default_rng(seed)
    log_probs = log_softmax(rng.normal(size=(n, k)) * 3, axis=1)
    y = rng.integers(0, k, n)
    c = int(y[0])
    n_c = int((y == c).sum())
    if target < 1 and math.ceil((n_c + 1) * target - 1e-9) > n_c:  # too few rows to guarantee it on new rows
        with pytest.raises(DataError, match=r"validation rows; a recall target of .* is guaranteed on new rows from"):
            fit_recall_offsets(log_probs, y, {c: target})
        return
    offsets = fit_recall_offsets(log_probs, y, {c: target})
    assert _recall(y, (log_probs + offsets).argmax(axis=1), c) >= target - 1e-12


def test_a_recall_target_is_reached_on_new_rows_on_average():
    """The conformal count ceil((n + 1) r) of held-out rows gives recall >= r on new rows, on average over
    calibration sets (the old count ceil(n r) falls short: with 20 rows and r = 0.95 it expects 19/21 = 0.905)."""
    rng = np.random.default_rng(3)
    recalls = []
    for _ in range(300):
        y = np.r_[np.zeros(200, dtype=np.int64), np.ones(20, dtype=np.int64)]
        log_probs = log_softmax(rng.normal(size=(220, 2)) + 1.0 * np.eye(2)[y], axis=1)
        offsets = fit_recall_offsets(log_probs, y, {1: 0.9})
        new = log_softmax(rng.normal(size=(4000, 2)) + 1.0 * np.eye(2)[np.ones(4000, dtype=np.int64)], axis=1)
        recalls.append(((new + offsets).argmax(axis=1) == 1).mean())
    # expected recall is 19/21 = 0.905 for 20 rows at r = 0.9 (the midpoint offset adds a little); the standard
    # error of the mean of 300 recalls is about 0.004
    assert np.mean(recalls) >= 0.9
    with pytest.raises(DataError, match=r"^class 1 has 5 validation rows; a recall target of 95 % is guaranteed on "
                                        r"new rows from 19 rows on \(use a larger validation split or a lower "
                                        r"target\)\.$"):
        fit_recall_offsets(log_probs[:205], np.r_[np.zeros(200, int), np.ones(5, int)], {1: 0.95})


def test_several_targets_are_met_together_and_conflicting_ones_in_the_order_given():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 10, 5000)
    log_probs = log_softmax(rng.normal(size=(5000, 10)) + 1.5 * np.eye(10)[y], axis=1)
    offsets = fit_recall_offsets(log_probs, y, {3: 0.85, 7: 0.8})  # compatible: both reached at once
    decisions = (log_probs + offsets).argmax(axis=1)
    assert _recall(y, decisions, 3) >= 0.85 and _recall(y, decisions, 7) >= 0.8
    offsets = fit_recall_offsets(log_probs, y, {3: 0.99, 7: 0.99})  # 3 against 7 cannot both reach 0.99
    decisions = (log_probs + offsets).argmax(axis=1)
    assert _recall(y, decisions, 3) >= 0.99 > _recall(y, decisions, 7)
    assert np.abs(offsets).max() < 20  # the conflict is detected, not chased to ever larger offsets


def test_recall_offset_worked_example():
    log_probs = np.log([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    offsets = fit_recall_offsets(log_probs, np.array([0, 1, 1, 1]), {1: 1.0})
    # Row 3 (p1 = 0.2) needs an offset above log(0.8 / 0.2); row 0 (p1 = 0.1) stays class 0 below log(9).
    assert math.log(4) < offsets[1] - offsets[0] < math.log(9)
    np.testing.assert_array_equal((log_probs + offsets).argmax(axis=1), [0, 1, 1, 1])


def test_recall_target_messages():
    log_probs, y = np.log([[0.5, 0.5], [0.2, 0.8]]), np.array([0, 0])
    with pytest.raises(ConfigError, match=r"`target_recall` of class 1 must be a number in \(0, 1\]; got 1.5"):
        fit_recall_offsets(log_probs, y, {1: 1.5})
    with pytest.raises(DataError, match="class 'b' has no rows in the validation data"):
        fit_recall_offsets(log_probs, y, {"b": 0.9}, classes=["a", "b"])
    with pytest.raises(ConfigError, match="`target_recall` names class 'c', which is not one of the classes"):
        fit_recall_offsets(log_probs, y, {"c": 0.9}, classes=["a", "b"])


# --- the policy ----------------------------------------------------------------------------------------------------


def test_policy_round_trips_through_json_and_decides_the_same():
    log_post, y = gaussian_problem(400, seed=6)
    for config in (DecisionConfig(calibrate=True), DecisionConfig(calibrate=True, target_recall={"c": 0.9}),
                   DecisionConfig(cost_matrix={"c": {"a": 20}})):
        policy = fit_policy(3 * log_post, y, config, ["a", "b", "c"])
        again = DecisionPolicy.from_dict(json.loads(json.dumps(policy.to_dict())))
        assert again == policy
        np.testing.assert_array_equal(decide(3 * log_post, again), decide(3 * log_post, policy))


def test_policy_rules_and_decide_worked_example():
    log_probs = np.log([[0.6, 0.4], [0.9, 0.1]])
    assert DecisionPolicy().rule == "argmax"
    assert decide(log_probs, DecisionPolicy(cost_matrix=[[0, 1], [2, 0]])).tolist() == [1, 0]
    assert decide(log_probs, DecisionPolicy(offsets=[0.0, math.log(2)])).tolist() == [1, 0]  # 0.4 * 2 > 0.6


def test_policy_and_config_messages():
    with pytest.raises(ConfigError, match="`offsets` and `cost_matrix` are two decision rules"):
        DecisionPolicy(offsets=[0, 1], cost_matrix=[[0, 1], [1, 0]])
    with pytest.raises(ConfigError, match="`cost_matrix` and `target_recall` are two decision rules"):
        DecisionConfig(cost_matrix=[[0, 1], [1, 0]], target_recall={"a": 0.9})
    with pytest.raises(ConfigError, match="`calibrate` must be True or False; got 'yes'"):
        DecisionConfig(calibrate="yes")
    with pytest.raises(ConfigError, match=r"the decision policy is for 2 classes; the model has 3"):
        decide(np.zeros((1, 3)), DecisionPolicy(offsets=[0.0, 1.0]))
    with pytest.raises(ConfigError, match="a decision policy has no field 'prior'"):
        DecisionPolicy.from_dict({"prior": 1})
    with pytest.raises(ConfigError, match="fitted on validation rows; set `val_split` > 0"):
        fit_policy(None, None, DecisionConfig(calibrate=True), ["a", "b"])
