"""multiclass.functional against torch.nn.functional, scipy and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax as scipy_log_softmax
from scipy.special import softmax as scipy_softmax

from multiclass.exceptions import ConfigError, DataError, LikelyLogitsWarning
from multiclass.functional import cross_entropy, l2_penalty, log_softmax, softmax

from .strategies import logits as logits_strategy


def _random_logits(n=64, k=7, scale=3.0, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, k, generator=g) * scale).to(dtype)


# --- softmax / log_softmax -------------------------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1.0, 80.0, 1e3, 1e4])
def test_softmax_rows_are_probabilities_for_huge_logits(magnitude):
    logits = _random_logits(scale=1.0) * magnitude
    logits[0] = torch.tensor([magnitude, -magnitude, 0, 0, 0, 0, magnitude])
    probs = softmax(logits)
    assert torch.isfinite(probs).all()
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(dim=1).numpy(), 1.0, atol=1e-6)
    assert torch.isfinite(log_softmax(logits)).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_softmax_half_precision_inputs_are_computed_in_float32(dtype):
    logits = _random_logits(scale=20.0).to(dtype)
    logits[0, 0], logits[1, 1] = torch.finfo(dtype).max, -torch.finfo(dtype).max
    probs = softmax(logits)
    assert probs.dtype == torch.float32
    assert torch.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(dim=1).numpy(), 1.0, atol=1e-6)
    assert torch.isfinite(log_softmax(logits)).all()


def test_softmax_and_log_softmax_match_scipy_in_float64():
    logits = _random_logits(scale=30.0, dtype=torch.float64)
    np.testing.assert_allclose(softmax(logits).numpy(), scipy_softmax(logits.numpy(), axis=1), rtol=1e-12)
    # log-softmax is x - logsumexp(x): near 0 its error is absolute, a few ulps of |x| (~1e-14 at logits of 30),
    # and the order of the sum differs between CPUs' vector paths (an AMD EPYC's differs from scipy's by 2.2e-16)
    np.testing.assert_allclose(log_softmax(logits).numpy(), scipy_log_softmax(logits.numpy(), axis=1), rtol=1e-12,
                               atol=1e-13)


def test_softmax_rejects_integer_input():
    with pytest.raises(TypeError, match=r"`logits` must be a floating-point tensor; got dtype torch.int64"):
        softmax(torch.tensor([[1, 2]]))


@settings(max_examples=100, deadline=None)
@given(logits_strategy())
def test_softmax_properties(x):
    logits = torch.from_numpy(x)
    probs = softmax(logits)
    assert torch.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(dim=1).numpy(), 1.0, atol=1e-6)
    assert (log_softmax(logits) <= 0).all()
    # argmax is preserved (ties aside) and the decision is the argmax of the logits.
    top = probs.gather(1, logits.argmax(dim=1, keepdim=True))
    assert torch.equal(top.squeeze(1), probs.max(dim=1).values)


@settings(max_examples=50, deadline=None)
@given(logits_strategy(max_abs=100.0), st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(x, shift):
    logits = torch.from_numpy(x).double()
    np.testing.assert_allclose(softmax(logits + shift).numpy(), softmax(logits).numpy(), atol=1e-9)


# --- cross_entropy against torch ------------------------------------------------------------------------


def _soft_targets(n, k, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(n, k, generator=g), dim=1)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.7])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("target_kind", ["labels", "one_hot", "soft"])
def test_cross_entropy_matches_torch(reduction, smoothing, weighted, target_kind):
    n, k = 50, 6
    logits = _random_logits(n, k, scale=4.0)
    labels = torch.randint(0, k, (n,), generator=torch.Generator().manual_seed(3))
    target = {"labels": labels, "one_hot": F.one_hot(labels, k).float(), "soft": _soft_targets(n, k)}[target_kind]
    weight = torch.linspace(0.2, 3.0, k) if weighted else None
    ours = cross_entropy(logits, target, class_weight=weight, label_smoothing=smoothing, reduction=reduction)
    theirs = F.cross_entropy(logits, target, weight=weight, label_smoothing=smoothing, reduction=reduction)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_cross_entropy_with_one_hot_is_minus_log_p_true():
    logits = _random_logits(20, 5, scale=10.0, dtype=torch.float64)
    labels = torch.arange(20) % 5
    losses = cross_entropy(logits, F.one_hot(labels, 5).double(), reduction="none")
    p_true = scipy_softmax(logits.numpy(), axis=1)[np.arange(20), labels.numpy()]
    # -log(p) computed from p itself loses digits when p ~ 1, hence the absolute tolerance.
    np.testing.assert_allclose(losses.numpy(), -np.log(p_true), rtol=1e-12, atol=1e-12)
    exact = -scipy_log_softmax(logits.numpy(), axis=1)[np.arange(20), labels.numpy()]
    # a loss near 0 (p ~ 1) is a difference of logits: a few ulps of them absolute (see the log-softmax test)
    np.testing.assert_allclose(losses.numpy(), exact, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cross_entropy(logits, labels, reduction="none").numpy(), exact, rtol=1e-12,
                               atol=1e-13)


def test_cross_entropy_worked_example():
    # logits (2, 0, 0): p(class 0) = e^2 / (e^2 + 2) = 7.389056 / 9.389056 = 0.786986; -log = 0.239545.
    loss = cross_entropy(torch.tensor([[2.0, 0.0, 0.0]], dtype=torch.float64), torch.tensor([0]))
    assert float(loss) == pytest.approx(0.2395447, abs=1e-7)


def test_cross_entropy_never_overflows_for_huge_logits():
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    loss = cross_entropy(logits, torch.tensor([1, 1]), reduction="none")
    assert torch.isfinite(loss).all()
    np.testing.assert_allclose(loss.numpy(), [2e4, 0.0], rtol=1e-6)


@pytest.mark.parametrize("target_kind", ["labels", "soft"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_gradient_by_finite_differences(target_kind, smoothing):
    logits = _random_logits(6, 4, dtype=torch.float64).requires_grad_()
    target = torch.tensor([0, 1, 2, 3, 0, 1]) if target_kind == "labels" else _soft_targets(6, 4).double()
    weight = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)

    def f(z):
        return cross_entropy(z, target, class_weight=weight, label_smoothing=smoothing)

    assert torch.autograd.gradcheck(f, (logits,), eps=1e-6, atol=1e-8)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = _random_logits(8, 3, dtype=torch.float64).requires_grad_()
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    cross_entropy(logits, labels).backward()
    expected = (softmax(logits.detach()) - F.one_hot(labels, 3)) / 8
    np.testing.assert_allclose(logits.grad.numpy(), expected.numpy(), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(logits_strategy(max_abs=1e4), st.data())
def test_cross_entropy_properties(x, data):
    logits = torch.from_numpy(x)
    labels = torch.tensor(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(x), max_size=len(x))))
    losses = cross_entropy(logits, labels, reduction="none")
    assert torch.isfinite(losses).all() and (losses >= 0).all()
    reference = F.cross_entropy(logits.double(), labels, reduction="none")
    np.testing.assert_allclose(losses.numpy(), reference.numpy(), rtol=1e-5, atol=1e-5)


# --- from_logits=False ----------------------------------------------------------------------------------


def test_cross_entropy_from_probabilities_equals_from_logits():
    logits = _random_logits(30, 4, dtype=torch.float64)
    labels = torch.arange(30) % 4
    from_probs = cross_entropy(softmax(logits), labels, from_logits=False)
    np.testing.assert_allclose(float(from_probs), float(cross_entropy(logits, labels)), rtol=1e-10)


def test_cross_entropy_from_probabilities_clips_zero_probability():
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    loss = cross_entropy(probs, torch.tensor([1, 0]), from_logits=False, reduction="none")
    assert torch.isfinite(loss).all()
    assert float(loss[0]) == pytest.approx(-np.log(np.finfo(np.float32).eps), rel=1e-6)


def test_cross_entropy_warns_when_probabilities_look_like_logits():
    with pytest.warns(LikelyLogitsWarning, match=r"this looks like logits"):
        cross_entropy(torch.tensor([[3.0, -1.0, 0.5]]), torch.tensor([0]), from_logits=False)


# --- input checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"reduction": "avg"}, ConfigError, r"`reduction` must be one of \('mean', 'sum', 'none'\); got 'avg'\."),
        ({"label_smoothing": 1.5}, ConfigError, r"`label_smoothing` must be in \[0, 1\]; got 1\.5\."),
        ({"target": torch.tensor([0, 5])}, DataError, r"`target` labels must be in \[0, 2\]; got values in \[0, 5\]"),
        ({"target": torch.tensor([0])}, DataError, r"`target` must have one entry per row of `logits` \(2\); got 1"),
        ({"target": torch.zeros(2, 4)}, DataError, r"`target` rows must have 3 entries \(one per class\); got 4"),
        ({"target": torch.tensor([0.0, 1.0])}, TypeError, r"integer tensor; got dtype torch.float32"),
        ({"class_weight": torch.ones(2)}, DataError, r"`class_weight` must have shape \(3,\); got \(2,\)"),
    ],
)
def test_cross_entropy_error_messages(kwargs, error, message):
    kwargs = {"target": torch.tensor([0, 1]), **kwargs}
    target = kwargs.pop("target")
    with pytest.raises(error, match=message):
        cross_entropy(torch.zeros(2, 3), target, **kwargs)


def test_cross_entropy_rejects_1d_logits():
    with pytest.raises(DataError, match=r"`logits` must be 2-D \(N, K\); got shape \(3,\)"):
        cross_entropy(torch.zeros(3), torch.tensor([0, 1, 2]))


# --- l2_penalty -----------------------------------------------------------------------------------------


def test_l2_penalty_is_keras_kernel_regularizer_formula():
    w1, w2 = torch.tensor([[1.0, -2.0]]), torch.tensor([[3.0], [0.5]])
    # Keras l2(0.01) on each layer: 0.01 * (1 + 4) + 0.01 * (9 + 0.25) = 0.1425
    assert float(l2_penalty([w1, w2], 0.01)) == pytest.approx(0.1425)
    assert float(l2_penalty([], 0.01)) == 0.0
