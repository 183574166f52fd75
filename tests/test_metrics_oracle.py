"""multiclass.metrics against scikit-learn, the oracle, on hundreds of seeded random cases.

Every case draws K (2, 3..10 or 1000), label values (ints with gaps, strings of mixed widths, bools), classes
missing from y_true or never predicted, explicit labels (None, a shuffled superset with absent labels, a subset,
a subset plus absent labels), and sample weights (none, ints, floats with zeros). Numbers must agree to 1e-12
(counts exactly) and the warnings must be the same messages.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

import multiclass.metrics as mm

N_CASES = 300
ZERO_DIVISIONS = ("warn", 0, 1, np.nan)
BETAS = (1.0, 0.5, 2.0, 0.0, math.inf)
AVERAGES = (None, "micro", "macro", "weighted")


def make_case(seed: int) -> dict:
    """One random problem; the seed picks the kind of labels, K, the label set and the weights."""
    rng = np.random.default_rng(seed)
    kind = ("int", "str", "bool", "int", "str")[seed % 5]
    k = 2 if kind == "bool" or seed % 7 == 0 else 1000 if seed % 23 == 0 else int(rng.integers(3, 11))
    n = 3000 if k == 1000 else int(rng.integers(1, 4 * k + 30))
    if kind == "int":
        values = np.sort(rng.choice(np.arange(-5, 3 * k + 5), size=k, replace=False))  # gaps, maybe negatives
        absent = np.arange(10_000, 10_003)
    elif kind == "str":
        values = np.array([f"c{i * 37 % 1009}" + "x" * (i % 3) for i in range(k)])  # mixed widths
        absent = np.array(["absent", "zz", "A"])
    else:
        values, absent = np.array([False, True]), np.array([], dtype=bool)
    # classes missing from y_true / never predicted
    true_classes = rng.choice(k, size=max(1, k - int(rng.integers(0, 2 + k // 3))), replace=False)
    pred_classes = rng.choice(k, size=max(1, k - int(rng.integers(0, 2 + k // 3))), replace=False)
    y_true = values[rng.choice(true_classes, n)]
    y_pred = values[rng.choice(pred_classes, n)]
    right = rng.random(n) < rng.random()  # a share of correct predictions (when allowed)
    right &= np.isin(y_true, values[pred_classes])
    y_pred[right] = y_true[right]
    if kind == "str":
        y_true = y_true.astype("U12")  # a different width than y_pred
    labels_mode = seed % 4
    if labels_mode == 0 or (kind == "bool" and labels_mode != 2):
        labels = None
    elif labels_mode == 1:  # superset in a shuffled order, with labels absent from the data
        labels = rng.permutation(np.concatenate([np.unique(np.concatenate([y_true, y_pred])), absent[:2]]))
    elif labels_mode == 2:  # a subset
        present = np.unique(np.concatenate([y_true, y_pred]))
        labels = rng.choice(present, size=max(1, len(present) // 2), replace=False)
    else:  # a subset plus absent labels
        present = np.unique(np.concatenate([y_true, y_pred]))
        labels = np.concatenate([rng.choice(present, size=max(1, len(present) - 2), replace=False), absent[:1]])
    weight_mode = (seed // 4) % 3
    if weight_mode == 0:
        sample_weight = None
    elif weight_mode == 1:
        sample_weight = rng.integers(0, 4, n)
    else:
        sample_weight = rng.random(n) * 2 * (rng.random(n) > 0.1)
    container = (seed // 12) % 3  # numpy, list or pandas Series
    if container == 1:
        y_true, y_pred = y_true.tolist(), y_pred.tolist()
    elif container == 2:
        y_true, y_pred = pd.Series(y_true), pd.Series(y_pred)
    return {"y_true": y_true, "y_pred": y_pred, "labels": None if labels is None else labels.tolist(),
                "sample_weight": sample_weight}


def call(fn, *args, **kwargs):
    """(result or the exception class, sorted warning messages of the UserWarning family)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except ValueError:
            out = ValueError
    messages = sorted(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    return out, messages


def assert_same(ours, theirs):
    """Equal structure; floats to 1e-12, integer arrays exactly, NaN == NaN."""
    if theirs is ValueError or ours is ValueError:
        assert ours is theirs
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    elif theirs is None:
        assert ours is None
    elif isinstance(theirs, np.ndarray) and theirs.dtype.kind in "iu":
        assert ours.dtype.kind in "iu"
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert type(ours) is type(theirs) or isinstance(theirs, np.ndarray)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


SINGLE_LABEL = "A single label was found in 'y_true' and 'y_pred'."


def compare(ours_fn, theirs_fn, *args, **kwargs):
    ours, our_warnings = call(ours_fn, *args, **kwargs)
    theirs, their_warnings = call(theirs_fn, *args, **kwargs)
    assert_same(ours, theirs)
    if ours_fn is mm.balanced_accuracy_score:
        # sklearn leaks the warning of its inner confusion_matrix call (about the matrix shape); ours does not.
        # Adjusted with one class in y_true, sklearn divides by zero (a numpy RuntimeWarning); ours says why.
        their_warnings = [w for w in their_warnings if not w.startswith(SINGLE_LABEL)]
        our_warnings = [w for w in our_warnings if not w.startswith("Adjusted balanced accuracy is undefined")]
    assert our_warnings == their_warnings
    return ours


@pytest.mark.parametrize("seed", range(N_CASES))
def test_label_metrics_match_sklearn(seed):
    case = make_case(seed)
    y_true, y_pred, labels, weights = case["y_true"], case["y_pred"], case["labels"], case["sample_weight"]
    zero_division = ZERO_DIVISIONS[seed % 4]
    beta = BETAS[seed % 5]
    normalize = (None, "true", "pred", "all")[(seed // 3) % 4]

    compare(mm.confusion_matrix, skm.confusion_matrix, y_true, y_pred, labels=labels, sample_weight=weights,
            normalize=normalize)
    compare(mm.accuracy_score, skm.accuracy_score, y_true, y_pred, sample_weight=weights,
            normalize=bool(seed % 2))
    compare(mm.balanced_accuracy_score, skm.balanced_accuracy_score, y_true, y_pred, sample_weight=weights,
            adjusted=bool(seed % 3 == 0))
    for average in AVERAGES:
        options = {"labels": labels, "average": average, "sample_weight": weights, "zero_division": zero_division}
        compare(mm.precision_recall_fscore_support, skm.precision_recall_fscore_support, y_true, y_pred,
                beta=beta, **options)
    average = AVERAGES[seed % 4]
    options = {"labels": labels, "average": average, "sample_weight": weights, "zero_division": zero_division}
    compare(mm.precision_score, skm.precision_score, y_true, y_pred, **options)
    compare(mm.recall_score, skm.recall_score, y_true, y_pred, **options)
    compare(mm.f1_score, skm.f1_score, y_true, y_pred, **options)
    compare(mm.fbeta_score, skm.fbeta_score, y_true, y_pred, beta=beta, **options)


@pytest.mark.parametrize("seed", range(0, N_CASES, 2))
def test_classification_report_matches_sklearn(seed):
    case = make_case(seed)
    options = {"labels": case["labels"], "sample_weight": case["sample_weight"],
                   "zero_division": ZERO_DIVISIONS[seed // 2 % 4]}
    digits = (2, 3, 0, 5)[seed % 4]
    ours, our_warnings = call(mm.classification_report, case["y_true"], case["y_pred"], digits=digits, **options)
    as_dict, their_warnings = call(skm.classification_report, case["y_true"], case["y_pred"], output_dict=True,
                                   **options)
    assert our_warnings == their_warnings
    assert_same(ours.to_dict(), as_dict)
    text, _ = call(skm.classification_report, case["y_true"], case["y_pred"], digits=digits, **options)
    assert str(ours) == ours.to_text()
    weights = case["sample_weight"]
    no_hit = not np.any(np.asarray(case["y_true"]) == np.asarray(case["y_pred"]))
    if (weights is None or weights.dtype.kind != "f") and not no_hit:
        assert ours.to_text() == text
    else:
        # Float supports print in full, and their last digit depends on the summation order. And when no
        # prediction is right, sklearn's "pathological case" branch turns integer supports into floats ("8.0").
        assert_same_text(ours.to_text(), text)


def assert_same_text(ours: str, theirs: str):
    """Same layout and words, numbers equal to 1e-12 relative."""
    assert len(ours.splitlines()) == len(theirs.splitlines())
    assert len(ours.split()) == len(theirs.split())
    for a, b in zip(ours.split(), theirs.split()):
        try:
            assert float(a) == pytest.approx(float(b), rel=1e-12, nan_ok=True)
        except ValueError:
            assert a == b


def test_report_target_names_match_sklearn():
    y_true, y_pred = [0, 1, 2, 2, 2, 1], [0, 0, 2, 2, 1, 1]
    names = ["ant", "a much longer class name", "cat"]
    ours = mm.classification_report(y_true, y_pred, target_names=names, digits=3)
    assert ours.to_dict() == skm.classification_report(y_true, y_pred, target_names=names, output_dict=True)
    assert str(ours) == skm.classification_report(y_true, y_pred, target_names=names, digits=3)
    with pytest.warns(UserWarning, match="labels size, 2, does not match size of target_names, 3"):
        ours = mm.classification_report(y_true, y_pred, labels=[0, 1], target_names=names)
    with pytest.warns(UserWarning):
        theirs = skm.classification_report(y_true, y_pred, labels=[0, 1], target_names=names, output_dict=True)
    assert ours.to_dict() == theirs


def scores_case(seed: int):
    """Random (y_true, y_score, labels, weights) with ties in the scores; K = 2..12 or 1000."""
    rng = np.random.default_rng(10_000 + seed)
    k = 1000 if seed % 40 == 0 else int(rng.integers(3, 13))
    n = 400 if k == 1000 else int(rng.integers(1, 80))
    y_score = np.round(rng.random((n, k)), int(rng.integers(1, 4)))  # 1-3 decimals: many ties
    values = np.array([f"k{i:03d}" for i in range(k)]) if seed % 2 else np.arange(k) * 3 - 4
    present = rng.choice(k, size=max(1, k - int(rng.integers(0, 3))), replace=False)
    y_true = values[rng.choice(present, n)]
    labels = values if seed % 3 == 0 or len(np.unique(y_true)) < k else None
    weights = None if seed % 4 < 2 else rng.random(n) + 0.01
    return y_true, y_score, labels, weights


@pytest.mark.parametrize("seed", range(120))
def test_top_k_accuracy_matches_sklearn_for_every_k(seed):
    y_true, y_score, labels, weights = scores_case(seed)
    k_values = range(1, y_score.shape[1] + 1) if y_score.shape[1] <= 12 else (1, 2, 5, 999, 1000)
    for k in k_values:
        compare(mm.top_k_accuracy_score, skm.top_k_accuracy_score, y_true, y_score, k=k, labels=labels,
                sample_weight=weights, normalize=bool(k % 2))


@pytest.mark.parametrize("seed", range(40))
def test_top_k_accuracy_binary_matches_sklearn(seed):
    rng = np.random.default_rng(20_000 + seed)
    n = int(rng.integers(2, 60))
    y_true = rng.choice(["no", "yes"], n)
    y_true[0], y_true[-1] = "no", "yes"
    proba = rng.random(n)
    weights = None if seed % 2 else rng.random(n)
    one_d = proba if seed % 3 else proba * 4 - 2  # scores in [0, 1] (threshold 0.5) or logits (threshold 0)
    for k in (1, 2):
        compare(mm.top_k_accuracy_score, skm.top_k_accuracy_score, y_true, one_d, k=k, sample_weight=weights)
    # sklearn refuses a 2-D (N, 2) score for binary y_true; ours treats it as K = 2 (same hits without ties)
    two_d = np.stack([1 - proba, proba], axis=1)
    np.testing.assert_allclose(mm.top_k_accuracy_score(y_true, two_d, k=1, sample_weight=weights),
                               skm.top_k_accuracy_score(y_true, proba, k=1, sample_weight=weights), rtol=0,
                               atol=1e-12)


def proba_case(seed: int):
    """Random (y_true, y_proba, labels, weights): softmax rows, some exact 0 and 1 (clipped), float32 or 64."""
    rng = np.random.default_rng(30_000 + seed)
    k = 1000 if seed % 40 == 0 else int(rng.integers(2, 9))
    n = 300 if k == 1000 else int(rng.integers(1, 60))
    logits = rng.normal(scale=float(rng.choice([1, 5, 40])), size=(n, k))
    y_proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    y_proba /= y_proba.sum(axis=1, keepdims=True)
    if seed % 5 == 0:
        y_proba[0] = np.eye(k)[0]  # exact 0s and 1: clipped to [eps, 1 - eps]
    if seed % 2:
        y_proba = y_proba.astype(np.float32)
    values = np.array([f"l{i}" for i in range(k)]) if seed % 3 == 1 else np.arange(k) + 1
    y_true = values[rng.integers(0, k, n)]
    missing = len(np.unique(y_true)) < k
    if missing or seed % 4 == 0:
        labels = (values if seed % 8 else values[::-1]).tolist()  # reversed order: sklearn warns and sorts
    else:
        labels = None
    weights = None if seed % 3 == 0 else rng.random(n) if seed % 3 == 1 else rng.integers(1, 4, n)
    return y_true, y_proba, labels, weights


@pytest.mark.parametrize("seed", range(150))
def test_log_loss_matches_sklearn(seed):
    y_true, y_proba, labels, weights = proba_case(seed)
    for normalize in (True, False):
        compare(mm.log_loss, skm.log_loss, y_true, y_proba, labels=labels, sample_weight=weights,
                normalize=normalize)


def test_log_loss_one_column_and_unnormalised_rows_match_sklearn():
    y_true = ["ham", "spam", "spam", "ham"]
    p_spam = np.array([0.1, 0.9, 1.0, 0.0])
    compare(mm.log_loss, skm.log_loss, y_true, p_spam)
    compare(mm.log_loss, skm.log_loss, y_true, p_spam[:, None])
    compare(mm.log_loss, skm.log_loss, y_true, [[0.2, 0.2], [0.1, 0.9], [0.5, 0.5], [0.9, 0.1]])  # warns
    compare(mm.log_loss, skm.log_loss, y_true, np.array([[0.5, 0.5], [0.1, 0.9], [0.5, 0.5], [0.9, 0.1]],
                                                         dtype=np.float16))
