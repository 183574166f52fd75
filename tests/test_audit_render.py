"""The audit value (result.py) and its renderers (render.py): JSON round trip, HTML self-contained and
translated, 80 terminal columns."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from rich.console import Console
from sklearn.metrics import accuracy_score, f1_score

from multiclass.audit import audit_probabilities
from multiclass.audit.render import audit_to_dict, audit_to_json, render_html, render_terminal
from multiclass.audit.strings import AUDIT_STRINGS
from multiclass.exceptions import ConfigError
from multiclass.metrics import wilson_interval
from tests.audit_helpers import noisy_problem

NAMES = ["cat", "dog", "<script>alert(1)</script>", "niño & señora", "a class name far too long for a terminal"]


@pytest.fixture(scope="module")
def result():
    labels, probs, _ = noisy_problem(n=3000, k=5, noise=0.1, seed=4)
    return audit_probabilities(labels, probs, classes=NAMES)


def test_metrics_with_and_without_suspects_equal_sklearn(result):
    labels, probs, _ = noisy_problem(n=3000, k=5, noise=0.1, seed=4)
    predicted = probs.argmax(axis=1)
    kept = np.ones(len(labels), bool)
    kept[result.suspects.row] = False  # no top_n: every flagged row is a suspect
    metrics = result.metrics()
    for name, rows in (("all", slice(None)), ("without_suspects", kept)):
        assert metrics[name]["accuracy"] == pytest.approx(accuracy_score(labels[rows], predicted[rows]), abs=1e-12)
        assert metrics[name]["macro_f1"] == pytest.approx(f1_score(labels[rows], predicted[rows], average="macro"),
                                                          abs=1e-12)
    assert metrics["without_suspects"]["accuracy"] > metrics["all"]["accuracy"]


def test_wrong_share_and_its_wilson_interval(result):
    share, low, high = result.wrong_share()
    counts = result.findings.label_counts
    np.testing.assert_allclose(share, result.wrong_counts / counts)
    expected_low, expected_high = wilson_interval(result.wrong_counts, counts, confidence=0.95)
    np.testing.assert_array_equal(low, expected_low)
    np.testing.assert_array_equal(high, expected_high)
    assert (low < share).all() and (share < high).all()
    assert result.noise_rate == pytest.approx(result.wrong_counts.sum() / result.n_samples)


def test_json_round_trips_every_number(result):
    doc = json.loads(audit_to_json(result))
    assert doc == json.loads(json.dumps(audit_to_dict(result)))
    np.testing.assert_array_equal(doc["confident_joint"], result.findings.confident_joint)
    np.testing.assert_array_equal(doc["noise_matrix"], result.noise_matrix)  # floats survive JSON exactly
    np.testing.assert_array_equal(doc["joint"], result.joint)
    assert doc["metrics"] == result.metrics()
    share, low, high = result.wrong_share()
    for c, name in enumerate(NAMES):
        entry = doc["per_class"][name]
        assert (entry["share"], entry["interval"]["low"], entry["interval"]["high"]) == (share[c], low[c], high[c])
        assert entry["flagged"] == result.findings.n_flagged[c]
    assert [s["row"] for s in doc["suspects"]] == result.suspects.row.tolist()
    assert [s["probability"] for s in doc["suspects"]] == result.suspects.probability.tolist()
    assert doc["labels_sha256"] == result.fingerprint


def test_json_writes_null_for_a_class_never_given():
    labels, probs, _ = noisy_problem(n=400, k=3, noise=0.1)
    probs = np.hstack([probs * 0.9, np.full((400, 1), 0.1)])
    doc = json.loads(audit_to_json(audit_probabilities(labels, probs)))
    assert doc["per_class"]["3"]["share"] is None and doc["per_class"]["3"]["interval"]["low"] is None


@pytest.mark.parametrize("lang", ["en", "es"])
def test_html_is_self_contained_and_escapes_names(result, lang):
    page = render_html(result, lang=lang)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Content-Security-Policy" in page and f'<html lang="{lang}">' in page


def _headings(page: str) -> set[str]:
    cells = re.findall(r"<(h1|h2|h3|th|caption)[^>]*>(.*?)</\1>", page, flags=re.S)
    return {re.sub(r"<[^>]+>", "", text).strip() for _, text in cells}


def test_spanish_page_has_no_english_heading(result):
    english, spanish = _headings(render_html(result, lang="en")), _headings(render_html(result, lang="es"))
    shared = english & spanish
    escaped = {name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for name in NAMES}
    assert shared <= escaped  # only the class names are the same in both
    assert "Suspects" in english and "Filas sospechosas" in spanish


def test_both_languages_have_the_same_keys():
    assert AUDIT_STRINGS["en"].keys() == AUDIT_STRINGS["es"].keys()


@pytest.mark.parametrize("k", [5, 40])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_terminal_fits_80_columns(k, lang):
    labels, probs, _ = noisy_problem(n=4000, k=k, noise=0.1)
    names = [f"a rather long class name number {c}" for c in range(k)]
    result = audit_probabilities(labels, probs, classes=names)
    result.ids = np.array([f"row-id-that-is-long-{i}" for i in range(4000)], dtype=object)
    console = Console(width=80, record=True, file=io.StringIO())
    render_terminal(result, lang=lang, console=console)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "row-id-tha…" in text  # ids shown, cut
    assert not re.search(r"\d…", text)  # numbers are never cut
    if k > 20:
        assert ("more classes" if lang == "en" else "clases más") in text


def test_render_messages(result):
    with pytest.raises(ConfigError, match=r"`lang` must be one of en, es; got 'fr'"):
        render_html(result, lang="fr")


def test_every_row_flagged_leaves_no_metrics_without_suspects():
    labels = np.array([0, 0, 1, 1])
    probs = np.array([[0.1, 0.9], [0.2, 0.8], [0.9, 0.1], [0.7, 0.3]])
    result = audit_probabilities(labels, probs, filter_by="predicted_neq_given")
    assert result.n_flagged == 4 and result.metrics()["without_suspects"] is None
    assert json.loads(audit_to_json(result))["metrics"]["without_suspects"] is None
    console = Console(width=80, record=True, file=io.StringIO())
    render_terminal(result, console=console)
    assert "—" in console.export_text() and "—" in render_html(result)
