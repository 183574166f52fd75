"""`compare` shows a cost row whenever a cost matrix is known (``--costs``, or both models' policies holding the
same one), also when another metric decides: A's and B's expected cost per row, B - A with its paired interval
and the share of resamples with B > A, checked against numpy, in the terminal (English and Spanish), JSON and
HTML; without a known matrix there is no row."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from rich.console import Console

from multiclass.cli import main
from multiclass.jobs.compare import compare_models
from multiclass.jobs.inputs import load_for_model
from multiclass.metrics import compare_predictions
from multiclass.persistence import load_model, save_model
from multiclass.report.comparison import compare_view
from multiclass.report.render.comparison import comparison_to_html, comparison_to_json, render_comparison
from tests.test_compare_cost import _rows, models  # noqa: F401 - the module's trained models, a fixture

ROW = {"en": "Expected cost per row (lower is better)", "es": "Coste esperado por fila (menor es mejor)"}


def _oracle(y, a, b, cost, n_resamples: int, seed: int) -> dict:
    """A's and B's mean of C[true, decided], B - A and its paired bootstrap (the resamples of compare)."""
    draws = np.random.default_rng(seed).integers(0, len(y), size=(n_resamples, len(y)))
    samples = cost[y[draws], b[draws]].mean(axis=1) - cost[y[draws], a[draws]].mean(axis=1)
    low, high = np.quantile(samples, [0.025, 0.975])
    return {"cost_a": cost[y, a].mean(), "cost_b": cost[y, b].mean(), "value": (cost[y, b] - cost[y, a]).mean(),
            "low": low, "high": high, "share_b_better": np.mean(samples < 0), "share_b_higher": np.mean(samples > 0)}


def _terminal(view, lang: str) -> str:
    buffer = io.StringIO()
    render_comparison(view, Console(file=buffer, width=200, highlight=False), lang=lang)
    return buffer.getvalue()


@pytest.mark.parametrize("metric", [None, "accuracy", "recall:x"])
def test_the_cost_row_is_shown_beside_the_metric_that_decides(metric):
    y, a, b, cost = _rows(seed=2)
    paired = compare_predictions(y, a, b, n_resamples=300, seed=5)
    view = compare_view(paired, y, a, b, ["w", "x", "y", "z"], metric=metric, cost=cost)
    assert view.decided_by != "cost"
    document = json.loads(comparison_to_json(view, lang="en"))
    for key, expected in _oracle(y, a, b, cost, 300, 5).items():
        assert document["cost"][key] == pytest.approx(expected, abs=1e-12), key
    assert "by the expected cost" not in document["verdict"]  # the metric decides, the cost is shown
    plain = compare_view(paired, y, a, b, ["w", "x", "y", "z"], metric=metric)
    assert plain.cost is None and json.loads(comparison_to_json(plain))["cost"] is None
    assert ROW["en"] not in _terminal(plain, "en")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_cost_row_in_the_terminal_and_html(lang):
    y = np.array([0] * 6 + [1] * 4)
    a = np.array([0] * 6 + [0, 0, 1, 1])  # misses two class-1 rows: 2 x 10 / 10 = 2.0
    b = np.array([0, 0, 0, 0, 0, 1] + [1] * 4)  # one false alarm: 1 / 10 = 0.10
    cost = np.array([[0.0, 1.0], [10.0, 0.0]])
    view = compare_view(compare_predictions(y, a, b, n_resamples=200, seed=0), y, a, b, ["ok", "fault"],
                        metric="macro_f1", cost=cost)
    oracle = _oracle(y, a, b, cost, 200, 0)
    text = _terminal(view, lang)
    line = next(line for line in text.splitlines() if ROW[lang] in line)
    cells = [cell.strip() for cell in line.strip("│ ").split("│")]
    mark = "," if lang == "es" else "."
    assert cells[1:4] == [f"2{mark}00", f"0{mark}10", f"-1{mark}90"]  # the decimals of the larger cost
    low, high = (f"{v:.2f}".replace(".", mark) for v in (oracle["low"], oracle["high"]))
    assert cells[4] == f"{low} – {high}"
    assert cells[5] == f"{100 * oracle['share_b_higher']:.1f}".replace(".", mark) + ("\u00a0%" if lang == "es"
                                                                                     else "%")
    html = comparison_to_html(view, lang=lang)
    assert f"<tr><th scope=\"row\">{ROW[lang]}</th><td>2{mark}00</td><td>0{mark}10</td><td>-1{mark}90</td>" in html


@pytest.fixture(scope="module")
def shared(models):  # noqa: F811 - the fixture imported above
    """B: model A's network with its 'critical' logit raised, both deciding by the same cost matrix."""
    a = load_model(models["cost1"])
    b = load_model(models["cost1"])
    with torch.no_grad():
        b.model.linears[-1].bias[b.classes.index("critical")] += 1.5
    save_model(b, models["folder"] / "shifted")
    return {"a": models["cost1"], "b": models["folder"] / "shifted", "test": models["test"],
            "matrix": np.asarray(a.decision.cost_matrix)}


def test_two_models_holding_one_cost_matrix_show_its_row(shared, tmp_path, capsys):
    a, b = load_model(shared["a"]), load_model(shared["b"])
    view = compare_models(a, b, shared["test"], n_resamples=200)
    assert view.decided_by != "cost" and view.cost is not None
    data = load_for_model(a, shared["test"])  # the rows themselves: the decisions each model's policy makes
    pred_a, pred_b = a.predict_codes(data.X), b.predict_codes(data.X)
    assert not np.array_equal(pred_a, pred_b)  # the premise: B decides otherwise
    expected = _oracle(data.y, pred_a, pred_b, shared["matrix"], 200, 0)
    for key in ("cost_a", "cost_b", "value", "low", "high"):
        assert getattr(view.cost, key) == pytest.approx(expected[key], abs=1e-12), key
    assert view.paired.n_samples == len(data.y)
    out = tmp_path / "c.json"
    assert main(["compare", str(shared["a"]), str(shared["b"]), str(shared["test"]), "--bootstrap", "200",
                 "--json", str(out), "--lang", "es"]) == 0
    document = json.loads(out.read_text())
    assert document["cost"]["cost_b"] == pytest.approx(expected["cost_b"], abs=1e-12)
    out_text = capsys.readouterr().out
    assert "│ Coste esperado por fila " in out_text and "│ (menor es mejor) " in out_text  # wrapped at 100 columns


def test_no_row_when_the_policies_differ_or_one_has_none(models, tmp_path, capsys):  # noqa: F811
    for a, b in (("plain", "cost1"), ("cost1", "other")):
        out = tmp_path / f"{a}-{b}.json"
        assert main(["compare", str(models[a]), str(models[b]), str(models["test"]), "--bootstrap", "100",
                     "--json", str(out)]) == 0
        assert json.loads(out.read_text())["cost"] is None
        assert "Expected cost per row" not in capsys.readouterr().out
