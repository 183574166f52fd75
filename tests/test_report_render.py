"""The three renderings: locale formatting, strings in both languages, the terminal in 100 columns, the HTML page
(self-contained, escaped) and the JSON document (every key documented in docs/report.md)."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from multiclass.exceptions import ConfigError
from multiclass.report import Formatter, ReportConfig, build_report, render_html, render_report, report_to_dict
from multiclass.report.value import HEADLINE
from multiclass.report.strings import STRINGS
from tests.test_report_build import XSS, sample

DOCS = Path(__file__).resolve().parents[1] / "docs" / "report.md"

# --- numbers for a language -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "call", "expected"), [
    ("en", ("integer", 1234567), "1,234,567"),
    ("es", ("integer", 1234567), "1.234.567"),
    ("es", ("integer", 2458), "2458"),
    ("es", ("integer", -12458), "-12.458"),
    ("en", ("integer", 999), "999"),
    ("en", ("decimal", 0.95312), "0.953"),
    ("es", ("decimal", 0.95312), "0,953"),
    ("es", ("decimal", 12345.678), "12.345,678"),
    ("es", ("decimal", -0.0001), "0,000"),
    ("en", ("decimal", float("nan")), "—"),
    ("en", ("decimal", None), "—"),
    ("en", ("decimal", float("inf")), "∞"),
    ("es", ("percent", 0.953), "95,3\N{NO-BREAK SPACE}%"),
    ("en", ("percent", 0.953), "95.3%"),
])
def test_formatter(lang, call, expected):
    method, value = call
    assert getattr(Formatter(lang), method)(value) == expected


def test_formatter_interval_and_unknown_language():
    assert Formatter("es").interval(0.9481, 0.9583) == "0,948–0,958"
    assert Formatter("en").interval(None, 0.5) == "—"
    with pytest.raises(ConfigError, match=r"`lang` must be one of en, es; got 'fr'\."):
        Formatter("fr")


def test_spanish_uses_the_usual_ml_terms():
    es = STRINGS["es"]  # (every key in both languages: tests/test_report_strings.py)
    assert es["confusion"] == "Matriz de confusión" and es["recall"] == "Exhaustividad"
    assert es["macro_f1"] == "Puntuación F1 macro" and es["bin"] == "Tramo de confianza"


# --- terminal ---------------------------------------------------------------------------------------------------


def _terminal(report, lang) -> str:
    console = Console(width=100, file=io.StringIO(), record=True, markup=False, highlight=False)
    render_report(report, console, lang=lang)
    return console.export_text()


def _full(names=None, k=4, n=500, **config):
    y, y_pred, probs, classes = sample(n=n, k=k, names=names)
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e, "val_macro_f1": 0.5} for e in range(1, 40)]
    return build_report(y, y_pred, classes, probs=probs, history=history, best_epoch=17,
                        images=np.random.default_rng(0).random((n, 16)), image_shape=(4, 4, 1),
                        config=ReportConfig(**{"bootstrap": 100, **config}), subject="data.csv")


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("k", [4, 12, 40])
def test_terminal_fits_100_columns(lang, k):
    names = [f"a-rather-long-class-name-number-{i}" for i in range(k)]
    text = _terminal(_full(names=names, k=k, n=60 * k), lang)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert ("matriz de confusión" if lang == "es" else "confusion matrix") in text


def test_terminal_in_spanish_has_spanish_labels_and_numbers():
    text = _terminal(_full(), "es")
    for label in ("Exhaustividad", "Puntuación F1 macro", "Exactitud equilibrada", "Pérdida logarítmica",
                  "curvas de aprendizaje", "Mejor época (pesos restaurados): 17", "Intervalo al 95\N{NO-BREAK SPACE}%"):
        assert label in text
    assert re.search(r"Exactitud\s+│ 0,\d{3} │\s+0,\d{3}–0,\d{3} │", text)
    assert "Recall" not in text and "Accuracy" not in text


def test_terminal_prints_class_names_as_they_are():
    text = _terminal(_full(names=["[bold]x", "[/y]", "a$b", XSS]), "en")
    assert "[bold]x" in text and "[/y]" in text and "<script>alert(1)</sc" in text


# --- HTML ----------------------------------------------------------------------------------------------------


def test_html_is_one_self_contained_file_with_svg_charts_and_decodable_images():
    report = _full()
    html = render_html(report, lang="en")
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"(src|href)=\"(?!data:|#)", html), "every resource must be inline"
    assert "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html and 'name="viewport"' in html and "@media print" in html
    charts = re.findall(r'<svg class="chart" viewBox="[\d. ]+" role="img" aria-label="([^"]+)"', html)
    assert charts == ["Class distribution", "Reliability diagram", "Learning curves"]
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "two charts share an id"
    assert all(f'href="#{target}"' not in html or target in ids for target in re.findall(r'href="#([^"]+)"', html))
    texts = re.findall(r"<text\b[^>]*font-size: ([\d.]+)px", html)
    assert texts and min(float(size) for size in texts) >= 12  # the page never draws them larger than 1.35x
    sources = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(sources) == len(report.mistakes.rows)  # the confidently wrong images, at their own size
    for source in sources:
        image = Image.open(io.BytesIO(base64.b64decode(source)))
        image.verify()
        assert image.size == (4, 4)


def test_html_escapes_every_user_string():
    report = _full(names=["ant", XSS, 'quote"s', "amp&"])
    html = render_html(report, lang="en", title=XSS)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "quote&#34;s" in html and "amp&amp;" in html


def test_html_in_spanish():
    html = render_html(_full(), lang="es")
    assert '<html lang="es">' in html
    for heading in ("Informe de evaluación", "Matriz de confusión", "Métricas principales", "Calibración",
                    "Exhaustividad", "Puntuación F1 macro", "Diagrama de fiabilidad", "Curvas de aprendizaje"):
        assert heading in html
    assert re.search(r"<strong>0,\d{3}</strong>", html)


def test_html_for_many_classes_lists_pairs_and_truncates():
    report = _full(k=40, n=4000)
    html = render_html(report, lang="en")
    assert "Most confused pairs (top 20)" in html and "15 classes not shown" in html
    assert html.count('<table class="matrix') == 0  # no 40 x 40 table: the overview heatmap instead
    assert html.count('<svg class="chart"') == 4 and "The whole matrix at a glance" in html
    small = render_html(_full(k=4), lang="en")
    assert small.count('<table class="matrix') == 2 and "Most confused pairs" not in small


# --- JSON -----------------------------------------------------------------------------------------------------


def _key_paths(document: dict, classes: set[str]) -> set[str]:
    """Every key path of the document, written the way docs/report.md lists them."""
    paths = set()

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                parts = path.split(".") if path else []
                if parts == ["per_class"] and key in classes:
                    key = "<class>"
                elif parts in (["summary"], ["intervals"]) and key in HEADLINE:
                    key = "<metric>"
                elif len(parts) == 2 and parts[0] == "baselines" and key in HEADLINE:
                    parts[1], key = "<kind>", "<metric>"
                elif parts[-1:] == ["intervals"] and parts[0] == "per_class":
                    key = "<score>"
                walk(item, ".".join([*parts, key]))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                walk(item, path + "[]")
        else:
            paths.add(path)

    walk(document, "")
    return paths


def test_every_json_key_is_documented():
    y = np.repeat([0, 1, 2], [400, 20, 80])  # a small class, and a near-baseline model
    y_pred = np.zeros_like(y)
    y_pred[-8:] = 2  # accuracy 0.816 against 0.8 for "always a"
    probs = np.full((len(y), 4), 0.1)
    probs[np.arange(len(y)), y_pred] = 0.7
    history = [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_macro_f1": 0.5}]
    report = build_report(y, y_pred, ["a", "b", "c", "d"], probs=probs, history=history, best_epoch=1,
                          images=np.zeros((len(y), 4)), image_shape=(2, 2, 1), config=ReportConfig(bootstrap=50),
                          source={"model": "m", "data": "d", "predictions": None})
    report = dataclasses.replace(report, verdict="Better than the majority baseline, barely.")
    document = report_to_dict(report)
    assert {n["code"] for n in document["warnings"]} == {"near_baseline", "small_classes", "absent_classes"}
    no_probs = report_to_dict(build_report(y, y_pred, ["a", "b", "c", "d"], config=ReportConfig(bootstrap=0)))
    section = DOCS.read_text().split("## JSON keys")[1].split("\n## ")[0]
    documented = set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))
    found = _key_paths(document, {"a", "b", "c", "d"}) | _key_paths(no_probs, {"a", "b", "c", "d"})
    # a null object (no calibration, no interval) is documented through the keys it has when present
    missing = {path for path in found - documented if not any(key.startswith((f"{path}.", f"{path}[]"))
                                                                for key in documented)}
    assert missing == set(), "keys missing from docs/report.md"
    assert documented - found <= {"source.predictions", "source.read"}  # for `report` and streamed `evaluate`


def test_json_is_strict_and_complete():
    report = _full(k=40, n=4000)
    document = json.loads(json.dumps(report_to_dict(report), allow_nan=False))
    assert len(document["per_class"]) == 40 and len(document["ranking"]) == 40
    empty_bins = [b for b in document["calibration"]["reliability"] if b["count"] == 0]
    assert empty_bins and all(b["confidence"] is None and b["accuracy"] is None for b in empty_bins)
    assert document["schema"] == "multiclass-report/1"


def test_a_verdict_is_the_first_text_after_the_title_everywhere():
    report = dataclasses.replace(_full(), verdict="Good enough to ship; class c1 needs more data.")
    text = _terminal(report, "en").splitlines()
    assert text[0] == "evaluation on data.csv" and text[1].startswith("Good enough to ship")
    page = render_html(report, lang="en")
    header = page[page.index("<header>"):page.index("</header>")]
    assert re.search(r'<p class="subtitle">evaluation on data.csv</p>\s*<p class="verdict"[^>]*>Good enough', header)
    assert report_to_dict(report)["verdict"] == {"code": None, "message": report.verdict}
    assert report_to_dict(_full())["verdict"] is None and 'class="verdict"' not in render_html(_full())
