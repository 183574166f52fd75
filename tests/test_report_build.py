"""`build_report`: every number equals `multiclass.metrics` (itself tested equal to scikit-learn), baselines,
the interval rule, warnings, input checks, and a 1e6-row, 1000-class report in seconds."""

from __future__ import annotations

import io
import json
import time
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from rich.console import Console

from multiclass import metrics
from multiclass.exceptions import ConfigError, DataError
from multiclass.report import ReportConfig, build_report, render_html, render_report, report_to_dict, report_to_json

XSS = "<script>alert(1)</script>"


def sample(n=600, k=4, seed=0, names=None, signal=2.0):
    """(y_true, y_pred, probs (n, k), class names): a softmax classifier with some signal."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))  # (n, k)
    logits[np.arange(n), y] += signal
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return y, probs.argmax(axis=1), probs, list(names) if names else [f"c{i}" for i in range(k)]


def test_every_json_number_equals_the_metrics_library():
    y, y_pred, probs, names = sample()
    labels = np.arange(len(names))
    doc = json.loads(report_to_json(build_report(y, y_pred, names, probs=probs, config=ReportConfig(bootstrap=200))))
    summary = doc["summary"]
    assert summary["n_samples"] == len(y) == doc["dataset"]["n_samples"]
    assert summary["accuracy"] == metrics.accuracy_score(y, y_pred)
    assert summary["balanced_accuracy"] == metrics.balanced_accuracy_score(y, y_pred)
    assert summary["macro_f1"] == metrics.f1_score(y, y_pred, average="macro")
    assert summary["weighted_f1"] == metrics.f1_score(y, y_pred, average="weighted")
    assert summary["log_loss"] == metrics.log_loss(y, probs, labels=labels)
    assert doc["confusion_matrix"] == metrics.confusion_matrix(y, y_pred, labels=labels).tolist()
    precision, recall, f1, support = metrics.precision_recall_fscore_support(y, y_pred, labels=labels, average=None)
    for c, name in enumerate(names):
        row = doc["per_class"][name]
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == (precision[c], recall[c], f1[c],
                                                                                support[c])
        assert row["n_predicted"] == int((y_pred == c).sum()) and row["fraction"] == support[c] / len(y)
    calibration = doc["calibration"]
    assert calibration["ece_top_label"] == metrics.expected_calibration_error(y, probs, labels=labels)
    assert calibration["ece_classwise"] == metrics.classwise_calibration_error(y, probs, labels=labels)
    assert calibration["brier"] == metrics.brier_score_loss(y, probs, labels=labels, scale_by_half=False)
    bins = metrics.reliability_bins(y, probs, labels=labels)
    assert [b["count"] for b in calibration["reliability"]] == bins.count.tolist()
    # and the library agrees with scikit-learn on these data
    assert summary["macro_f1"] == pytest.approx(skm.f1_score(y, y_pred, average="macro"), abs=1e-12)
    assert calibration["brier"] == pytest.approx(skm.brier_score_loss(y, probs, labels=labels), abs=1e-12)


def test_averages_follow_the_classes_present_like_sklearn():
    """Class 3 is never true but predicted; class 4 neither: averaged as scikit-learn does without `labels`."""
    y = np.array([0, 0, 1, 1, 2, 2, 2, 0])
    y_pred = np.array([0, 3, 1, 0, 2, 2, 3, 0])
    report = build_report(y, y_pred, ["a", "b", "c", "d", "e"], config=ReportConfig(bootstrap=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn: "y_pred contains classes not in y_true"
        expected = {"accuracy": skm.accuracy_score(y, y_pred),
                    "balanced_accuracy": skm.balanced_accuracy_score(y, y_pred),
                    "macro_f1": skm.f1_score(y, y_pred, average="macro", zero_division=0),
                    "weighted_f1": skm.f1_score(y, y_pred, average="weighted", zero_division=0)}
    for name, value in expected.items():
        assert report.headline[name].value == pytest.approx(value, abs=1e-12)
    assert [n.code for n in report.notices] == ["small_classes", "absent_classes", "no_probabilities"]
    assert report.notices[1].params == {"count": 2, "names": ["d", "e"]}


def test_baselines_are_the_scores_of_trivial_classifiers():
    y, _, probs, names = sample(n=400, k=3, seed=2)
    y = np.where(np.arange(len(y)) < 200, 1, y)  # class 1 is the majority
    report = build_report(y, probs.argmax(axis=1), names, probs=probs, config=ReportConfig(bootstrap=0))
    majority = np.full_like(y, 1)
    base = report.baselines["majority"]
    assert base["accuracy"] == metrics.accuracy_score(y, majority)
    assert base["balanced_accuracy"] == pytest.approx(1 / 3, abs=1e-15)
    assert base["macro_f1"] == metrics.f1_score(y, majority, average="macro", zero_division=0)
    assert base["weighted_f1"] == metrics.f1_score(y, majority, average="weighted", zero_division=0)
    assert base["log_loss"] is None
    freq = np.bincount(y) / len(y)
    prior = report.baselines["prior"]
    assert prior["log_loss"] == pytest.approx(metrics.log_loss(y, np.tile(freq, (len(y), 1))), abs=1e-12)
    # guessing at the frequencies: accuracy sum pi^2, F1 of class c equals pi_c (expected confusion n_i pi_j)
    assert prior["accuracy"] == pytest.approx((freq**2).sum(), abs=1e-12)
    assert prior["macro_f1"] == pytest.approx(1 / 3, abs=1e-12)
    assert prior["weighted_f1"] == pytest.approx((freq**2).sum(), abs=1e-12)
    assert report_to_dict(report)["baselines"]["majority"]["class"] == names[1]


def test_intervals_hold_the_value_and_follow_the_wilson_rule():
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], [300, 12, 200])  # class 1 is small: its recall gets a Wilson interval
    y_pred = np.where(rng.random(len(y)) < 0.85, y, rng.integers(0, 3, len(y)))
    y_pred[y == 2] = 2  # class 2: perfect recall (k == n) -> Wilson, not a zero-width bootstrap interval
    config = ReportConfig(bootstrap=400, seed=1)
    report = build_report(y, y_pred, ["a", "b", "c"], config=config)
    for name in ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1"):
        estimate = report.headline[name]
        assert estimate.method == "bootstrap" and estimate.low <= estimate.value <= estimate.high
    cm = report.confusion
    recalls = [row.recall for row in report.per_class]
    assert [r.method for r in recalls] == ["bootstrap", "wilson", "wilson"]
    for c in (1, 2):
        low, high = metrics.wilson_interval(cm[c, c], cm[c].sum())
        assert (recalls[c].low, recalls[c].high) == (low, high)
    assert recalls[2].value == 1.0 and recalls[2].low < 1.0
    again = build_report(y, y_pred, ["a", "b", "c"], config=config)
    assert again.headline == report.headline  # same seed, same intervals
    other = build_report(y, y_pred, ["a", "b", "c"], config=ReportConfig(bootstrap=400, seed=2))
    assert other.headline["accuracy"].low != report.headline["accuracy"].low


def test_bootstrap_zero_turns_intervals_off_everywhere():
    y, y_pred, probs, names = sample(n=200)
    report = build_report(y, y_pred, names, probs=probs, config=ReportConfig(bootstrap=0))
    doc = report_to_dict(report)
    assert all(value is None for value in doc["intervals"].values())
    assert all(interval is None for row in doc["per_class"].values() for interval in row["intervals"].values())


def test_undefined_precision_has_no_interval():
    report = build_report(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0]), ["a", "b"], config=ReportConfig(bootstrap=50))
    precision_b = report.per_class[1].precision
    assert precision_b.value == 0.0 and precision_b.method is None
    assert report_to_dict(report)["per_class"]["b"]["intervals"]["precision"] is None


def test_warning_when_accuracy_is_near_the_majority_baseline():
    y = np.repeat([0, 1], [950, 50])
    y_pred = np.zeros_like(y)
    y_pred[-4:] = 1  # 95.4% accuracy, against 95% for "always class 0": 8% of its errors removed
    report = build_report(y, y_pred, ["ok", "rare"], config=ReportConfig(bootstrap=200))
    notice = report.notices[0]
    assert notice.code == "near_baseline" and notice.params["majority"] == "ok"
    doc = report_to_dict(report, "es")
    assert doc["warnings"][0]["message"].startswith("La exactitud 0,954 está cerca de la referencia")
    good = build_report(y, y.copy(), ["ok", "rare"], config=ReportConfig(bootstrap=200))
    assert "near_baseline" not in [n.code for n in good.notices]


def test_small_class_warning_names_the_smallest_first():
    y = np.repeat([0, 1, 2], [100, 29, 5])
    report = build_report(y, y, ["big", "mid", "tiny"], config=ReportConfig(bootstrap=0))
    (notice,) = [n for n in report.notices if n.code == "small_classes"]
    assert notice.params == {"count": 2, "threshold": 30, "names": ["tiny", "mid"]}
    assert report_to_dict(report)["warnings"][0]["message"] == (
        "2 classes have fewer than 30 examples, so their scores are uncertain: tiny, mid.")


def test_training_curves_and_confident_mistakes():
    y, y_pred, probs, names = sample(n=300, k=3)
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e + 0.01 * e, "val_macro_f1": 0.5, "lr": 0.1,
                "val_score": 0.5} for e in range(1, 6)]
    images = np.random.default_rng(0).random((300, 12))
    report = build_report(y, y_pred, names, probs=probs, history=history, best_epoch=3, stop_reason="early_stopping",
                          images=images, image_shape=(2, 2, 3), config=ReportConfig(bootstrap=0, n_examples=5))
    assert report.training.best_epoch == 3 and set(report.training.epochs[0]) == {"epoch", "train_loss", "val_loss",
                                                                                   "val_macro_f1"}
    m = report.mistakes
    wrong = np.flatnonzero(y != y_pred)
    top = wrong[np.argsort(-probs[wrong, y_pred[wrong]], kind="stable")[:5]]
    assert m.rows.tolist() == top.tolist() and m.pixels.shape == (5, 2, 2, 3)
    np.testing.assert_array_equal(m.pixels[0].ravel(), images[top[0]].astype(np.float32))
    doc = report_to_dict(report)
    assert doc["training"]["history"][2] == {"epoch": 3, "train_loss": 1 / 3, "val_loss": 1 / 3 + 0.03,
                                             "val_macro_f1": 0.5}
    assert doc["confident_mistakes"][0]["probability"] == probs[top[0], y_pred[top[0]]]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"y_true": np.array([0, 5])}, DataError, r"`y_true` must hold class indices in \[0, 3\); got 5\."),
    ({"y_pred": np.array([0.0, 1.0])}, DataError, r"`y_pred` must be a non-empty 1-D array of class indices"),
    ({"y_pred": np.array([0, 1, 2])}, DataError, r"`y_pred` must have the length of `y_true` \(2\); got 3\."),
    ({"classes": ["a", "a", "b"]}, DataError, r"`classes` must hold at least 2 distinct names"),
    ({"probs": np.ones((2, 2))}, DataError, r"`probs` must be finite probabilities of shape \(2, 3\); got shape"),
    ({"images": np.ones((2, 4))}, DataError, r"`images` must have shape \(2, prod\(image_shape\)\)"),
])
def test_input_errors(kwargs, error, message):
    args = {"y_true": np.array([0, 1]), "y_pred": np.array([0, 2]), "classes": ["a", "b", "c"], **kwargs}
    with pytest.raises(error, match=message):
        build_report(args.pop("y_true"), args.pop("y_pred"), args.pop("classes"), **args)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("bootstrap", -1, r"`bootstrap` must be an integer >= 0; got -1\."),
    ("seed", 1.5, r"`seed` must be an integer >= 0; got 1\.5\."),
    ("confidence", 1.0, r"`confidence` must be a number in \(0, 1\); got 1\.0\."),
    ("n_bins", 0, r"`n_bins` must be an integer >= 1; got 0\."),
])
def test_config_errors(field, value, message):
    with pytest.raises(ConfigError, match=message):
        ReportConfig(**{field: value})


def test_a_million_predictions_of_a_thousand_classes_in_seconds():
    n, k = 1_000_000, 1000
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, n)
    # 85% right; the errors go to nearby classes, as real confusions concentrate on a few look-alikes
    y_pred = np.where(rng.random(n) < 0.85, y, (y + rng.integers(1, 6, n)) % k)
    names = [f"class_{i:04d}" for i in range(k)]
    started = time.perf_counter()
    report = build_report(y, y_pred, names)  # default: 1,000 bootstrap resamples
    built = time.perf_counter() - started
    console = Console(width=100, file=io.StringIO(), record=True, markup=False, highlight=False)
    render_report(report, console)
    html = render_html(report)
    doc = report_to_dict(report)
    total = time.perf_counter() - started
    print(f"\n1e6 x K=1000: build {built:.1f} s, build + terminal + HTML + JSON {total:.1f} s")
    # Timing is printed, never asserted (bench/ measures speed); the test shows it completes and stays readable.
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "most confused pairs (top 20)" in text and "… 975 more" in text and "25 of 1,000 classes shown" in text
    assert len(doc["per_class"]) == k and len(doc["confusion_matrix"]) == k and len(doc["most_confused"]) == 20
    assert html.count('<tr class="weak">') == 3 and len(html) < 1_000_000  # the 3 weakest, not all 20 listed
