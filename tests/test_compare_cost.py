"""`compare --metric cost`: two models by expected cost per row, mean of C[true, decided], B - A with the paired
bootstrap interval of the other metrics (`multiclass.metrics.compare_cost`), checked against numpy; lower is
better; where the cost matrix comes from, and every refusal, one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.cli import main
from multiclass.cli.translate import translate
from multiclass.exceptions import ConfigError
from multiclass.metrics import compare_predictions
from multiclass.metrics.compare_cost import cost_difference
from multiclass.persistence import load_model, save_model
from multiclass.report.comparison import compare_view
from multiclass.report.render.comparison import comparison_verdict
from tests.test_jobs_critical import FAST, fault_files

torch.set_num_threads(1)


def _rows(n: int = 400, k: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    a = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    b = np.where(rng.random(n) < 0.8, y, rng.integers(0, k, n))
    cost = rng.uniform(1, 10, size=(k, k)) * (1 - np.eye(k))
    return y, a, b, cost


@pytest.mark.parametrize("seed", range(5))
def test_cost_difference_matches_numpy(seed):
    y, a, b, cost = _rows(seed=seed)
    d = cost_difference(y, a, b, cost, n_resamples=300, seed=seed)
    assert d.cost_a == pytest.approx(np.mean([cost[t, p] for t, p in zip(y, a)]), abs=1e-12)
    assert d.cost_b == pytest.approx(np.mean([cost[t, p] for t, p in zip(y, b)]), abs=1e-12)
    assert d.value == pytest.approx(d.cost_b - d.cost_a, abs=1e-12)
    # the paired bootstrap: resample the rows with replacement, B's mean cost minus A's on each resample
    draws = np.random.default_rng(seed).integers(0, len(y), size=(300, len(y)))
    samples = cost[y[draws], b[draws]].mean(axis=1) - cost[y[draws], a[draws]].mean(axis=1)
    assert (d.low, d.high) == pytest.approx(tuple(np.quantile(samples, [0.025, 0.975])), abs=1e-12)
    assert d.share_b_better == pytest.approx(np.mean(samples < 0), abs=1e-12)


def test_the_zero_one_cost_is_the_error_rate_on_the_same_resamples():
    """Counting errors, the cost is 1 - accuracy on every resample: the interval is accuracy's, negated, so cost
    resamples the very rows compare's other metrics do."""
    y, a, b, _ = _rows(seed=3)
    d = cost_difference(y, a, b, 1 - np.eye(4), n_resamples=500, seed=7)
    paired = compare_predictions(y, a, b, n_resamples=500, seed=7).difference["accuracy"]
    assert d.value == pytest.approx(-paired["value"], abs=1e-12)
    assert (d.low, d.high) == pytest.approx((-paired["high"], -paired["low"]), abs=1e-12)


@pytest.mark.parametrize(("lang", "start"), [
    ("en", "B is better than A, by the expected cost per row (lower is better): B "),
    ("es", "B es mejor que A, por el coste esperado por fila (menor es mejor): B "),
])
def test_lower_cost_is_better(lang, start):
    y, a, b, cost = _rows(seed=1)
    classes = ["w", "x", "y", "z"]
    paired = compare_predictions(y, a, b, n_resamples=500)
    view = compare_view(paired, y, a, b, classes, metric="cost", cost=cost)
    assert view.cost.cost_b < view.cost.cost_a and view.cost.high < 0  # the premise: B costs less, clearly
    assert view.decided_by == "cost" and view.verdict == "b_better"
    assert comparison_verdict(view, lang).startswith(start)
    if lang == "en":  # every number with the decimals of 3 significant digits of the larger cost
        c = view.cost
        d = 2 - int(np.floor(np.log10(max(c.cost_a, c.cost_b))))
        assert comparison_verdict(view, lang) == (
            f"{start}{c.cost_b:.{d}f}, A {c.cost_a:.{d}f} (B - A {c.value:.{d}f}, 95% interval "
            f"{c.low:.{d}f} – {c.high:.{d}f}).")
    swapped = compare_view(compare_predictions(y, b, a, n_resamples=500), y, b, a, classes, metric="cost", cost=cost)
    assert swapped.verdict == "a_better"


def test_cost_without_a_matrix_is_refused():
    y, a, b, _ = _rows()
    paired = compare_predictions(y, a, b, n_resamples=50)
    with pytest.raises(ConfigError, match=r"^`metric` 'cost' needs a cost matrix; give one with `costs`\.$"):
        compare_view(paired, y, a, b, ["w", "x", "y", "z"], metric="cost")
    with pytest.raises(ValueError, match=r"^`cost` must be a square matrix with a row and column per class code "
                                         r"\(at least 4\); got shape \(3, 3\)\.$"):
        cost_difference(y, a, b, np.ones((3, 3)))


COSTS_CSV = "true\\decided,ok,wear,misalign,imbalance,critical\n" + "\n".join(
    f"{name}," + ",".join("0" if i == j else ("50" if name == "critical" else "1") for j in range(5))
    for i, name in enumerate(["ok", "wear", "misalign", "imbalance", "critical"])) + "\n"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A plain model, the same model deciding by one cost matrix (twice), and by another."""
    folder = tmp_path_factory.mktemp("cost")
    train, test = fault_files(folder, 3000, 800)
    plain = folder / "plain"
    assert main(["train", str(train), "--target", "state", "--id-column", "machine", *FAST, "--out", str(plain)]) == 0
    costs = folder / "costs.csv"
    costs.write_text(COSTS_CSV)
    trained = load_model(plain)
    paths = {"plain": plain, "test": test, "costs": costs, "folder": folder}
    for name, matrix in (("cost1", costs), ("cost2", costs), ("other", {"critical": {"ok": 5}})):
        paths[name] = folder / name
        save_model(trained.with_cost_matrix(matrix), paths[name])
    return paths


def _oracle(models, tmp_path, model) -> np.ndarray:
    """C[true, decided] of each row, from `multiclass predict`'s file and the cost CSV read with pandas."""
    out = tmp_path / f"{model.name}.csv"
    assert main(["predict", str(model), str(models["test"]), "--keep-columns", "state", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    cost = pd.read_csv(models["costs"], index_col=0)
    return np.array([cost.loc[t, p] for t, p in zip(frame["y_true"], frame["predicted"])], dtype=float)


def test_compare_by_cost_with_a_cost_file(models, tmp_path):
    out = tmp_path / "c.json"
    assert main(["compare", str(models["plain"]), str(models["cost1"]), str(models["test"]), "--metric", "cost",
                 "--costs", str(models["costs"]), "--json", str(out), "--html", str(tmp_path / "c.html"),
                 "--bootstrap", "300"]) == 0
    document = json.loads(out.read_text())
    cost_a, cost_b = _oracle(models, tmp_path, models["plain"]), _oracle(models, tmp_path, models["cost1"])
    assert document["decided_by"] == "cost"
    assert document["cost"]["cost_a"] == pytest.approx(cost_a.mean(), abs=1e-12)
    assert document["cost"]["cost_b"] == pytest.approx(cost_b.mean(), abs=1e-12)
    assert document["cost"]["value"] == pytest.approx((cost_b - cost_a).mean(), abs=1e-12)
    assert document["verdict"].startswith(("B is better than A, by the expected cost per row (lower is better): ",
                                           "no clear difference", "A is better than B, by the expected cost"))
    assert (document["verdict_code"] == "b_better") == (document["cost"]["high"] < 0)
    assert document["verdict"].replace("'", "&#39;") in (tmp_path / "c.html").read_text()
    # `--costs` alone decides by cost too
    assert main(["compare", str(models["plain"]), str(models["cost1"]), str(models["test"]), "--costs",
                 str(models["costs"]), "--json", str(out), "--bootstrap", "300"]) == 0
    assert json.loads(out.read_text())["cost"] == document["cost"]


def test_compare_by_the_cost_matrix_both_models_hold(models, tmp_path):
    out = tmp_path / "c.json"
    assert main(["compare", str(models["cost1"]), str(models["cost2"]), str(models["test"]), "--metric", "cost",
                 "--json", str(out), "--bootstrap", "100"]) == 0
    document = json.loads(out.read_text())
    expected = _oracle(models, tmp_path, models["cost1"]).mean()
    assert document["cost"]["cost_a"] == pytest.approx(expected, abs=1e-12) == document["cost"]["cost_b"]
    assert document["verdict_code"] == "no_difference"


@pytest.mark.parametrize(("a", "b", "extra", "message"), [
    ("plain", "plain", ["--metric", "cost"],
     "`--metric` 'cost' needs a cost matrix and neither model's decision policy has one; give one with `--costs`."),
    ("cost1", "other", ["--metric", "cost"],
     "`--metric` 'cost' needs one cost matrix and the two models' decision policies do not hold the same one; give "
     "one with `--costs`."),
    ("plain", "cost1", ["--metric", "cost"],
     "`--metric` 'cost' needs one cost matrix and the two models' decision policies do not hold the same one; give "
     "one with `--costs`."),
    ("plain", "cost1", ["--metric", "accuracy", "--costs", "COSTS"],
     "`--costs` scores the models by cost; it cannot be given with `--metric` 'accuracy'."),
])
def test_cost_refusals_are_one_line_and_exit_2(models, capsys, a, b, extra, message):
    extra = [str(models["costs"]) if value == "COSTS" else value for value in extra]
    assert main(["compare", str(models[a]), str(models[b]), str(models["test"]), *extra]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert translate(message, "es") is not None


def test_a_bad_cost_file_names_the_file(models, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("true\\decided,ok,wear\nok,0,1\nwear,1,0\n")
    assert main(["compare", str(models["plain"]), str(models["cost1"]), str(models["test"]), "--costs",
                 str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: ") and err.count("\n") == 1


@pytest.mark.parametrize(("message", "spanish"), [
    ("`--metric` 'cost' needs a cost matrix and neither model's decision policy has one; give one with `--costs`.",
     "`--metric` 'cost' necesita una matriz de costes y la política de decisión de ningún modelo tiene una; dé una "
     "con `--costs`."),
    ("`--costs` scores the models by cost; it cannot be given with `--metric` 'accuracy'.",
     "`--costs` puntúa los modelos por coste; no se puede dar con `--metric` 'accuracy'."),
    ("`--metric` must be one of accuracy, balanced_accuracy, macro_f1, weighted_f1, cost or recall:CLASS; got "
     "'speed'.",
     "`--metric` debe ser uno de accuracy, balanced_accuracy, macro_f1, weighted_f1, cost o recall:CLASS; se "
     "recibió 'speed'."),
])
def test_the_cost_messages_have_spanish_templates(message, spanish):
    assert translate(message, "es") == spanish


@pytest.mark.parametrize("metric", ["balanced_accuracy", "weighted_f1"])
def test_every_headline_metric_can_decide(models, tmp_path, metric):
    """`--metric balanced_accuracy` and `weighted_f1` were named in the error message but had no bootstrap (a
    KeyError); each now decides with its paired interval, its value checked against scikit-learn."""
    from sklearn.metrics import balanced_accuracy_score, f1_score

    score = {"balanced_accuracy": balanced_accuracy_score,
             "weighted_f1": lambda t, p: f1_score(t, p, average="weighted")}[metric]
    out = tmp_path / "c.json"
    assert main(["compare", str(models["plain"]), str(models["cost1"]), str(models["test"]), "--metric", metric,
                 "--json", str(out), "--bootstrap", "200"]) == 0
    document = json.loads(out.read_text())
    frames = []
    for model in (models["plain"], models["cost1"]):
        path = tmp_path / f"{model.name}.csv"
        assert main(["predict", str(model), str(models["test"]), "--keep-columns", "state", "--out", str(path)]) == 0
        frames.append(pd.read_csv(path))
    expected = score(frames[1]["y_true"], frames[1]["predicted"]) - score(frames[0]["y_true"], frames[0]["predicted"])
    assert document["decided_by"] == metric
    assert document["difference"][metric]["value"] == pytest.approx(expected, abs=1e-12)
    assert document["difference"][metric]["low"] <= document["difference"][metric]["high"]
