"""The report's catalogue (English and Spanish side by side): every key in both languages with the same fields,
correct singulars, and a Spanish page (terminal, HTML, JSON messages) without the English headings."""

from __future__ import annotations

import html as html_module
import io
import re
import string

import numpy as np
import pytest
from rich.console import Console

from multiclass.language import LANGS
from multiclass.report import ReportConfig, build_report, render_html, render_report, report_to_dict
from multiclass.report.strings import CATALOGUE, STRINGS, display_name, notice_text, plural
from multiclass.report.value import Notice
from tests.test_report_build import sample

# Words that are the same in both languages on purpose: the name of the plain rule, a difference of two models.
SAME_IN_BOTH = {"argmax", "cost_argmax", "compare_difference"}
# The report's headings and column names: none of them may show on a Spanish page.
HEADINGS = ("report_title", "dataset", "headline", "per_class", "confusion", "confusion_counts", "calibration",
            "reliability", "training", "learning_curves", "mistakes", "method", "class_distribution", "overview",
            "data_table", "metric", "value", "accuracy", "balanced_accuracy", "weighted_f1", "log_loss",
            "precision", "recall", "support", "true_class", "predicted_class", "rows", "n_classes",
            "majority_class", "smallest_class", "baseline_majority", "baseline_prior", "ece_top_label", "brier",
            "epoch", "train_loss", "val_loss", "best_epoch", "epochs_run", "stop_reason", "mean_confidence",
            "no_spread", "source_model", "source_data", "details_hint", "generated_by")


def _fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name)


def test_every_key_has_both_languages_with_the_same_fields():
    for key, texts in CATALOGUE.items():
        assert isinstance(texts, tuple) and len(texts) == len(LANGS), key
        assert all(isinstance(text, str) and text.strip() for text in texts), f"{key}: a language is missing"
        assert _fields(texts[0]) == _fields(texts[1]), key
        if key not in SAME_IN_BOTH:
            assert texts[0] != texts[1], f"{key}: not translated"
    assert STRINGS["en"].keys() == STRINGS["es"].keys() == CATALOGUE.keys()
    for key in CATALOGUE:  # every singular has its plural
        if key.endswith("_one"):
            assert key.removesuffix("_one") in CATALOGUE, key


def test_the_key_test_fails_on_a_missing_language(monkeypatch):
    monkeypatch.setitem(CATALOGUE, "broken", ("Only English", ""))
    with pytest.raises(AssertionError, match="broken: a language is missing"):
        test_every_key_has_both_languages_with_the_same_fields()


@pytest.mark.parametrize(("count", "en", "es"), [
    (1, "1 class has fewer than 30 examples, so its scores are uncertain: b.",
     "1 clase tiene menos de 30 ejemplos, así que sus métricas son inciertas: b."),
    (2, "2 classes have fewer than 30 examples, so their scores are uncertain: b, c.",
     "2 clases tienen menos de 30 ejemplos, así que sus métricas son inciertas: b, c."),
])
def test_plurals(count, en, es):
    names = ["b", "c"][:count]
    notice = Notice("small_classes", "warning", {"count": count, "threshold": 30, "names": names})
    assert notice_text(notice, "en") == en and notice_text(notice, "es") == es
    assert plural(STRINGS["es"], "hidden_rows", 1).startswith("… 1 clase no mostrada")


def test_paths_are_shown_by_their_name():
    assert display_name("/home/ana/runs/model/") == "model" and display_name("data.csv") == "data.csv"


def _report(k=12):
    y, y_pred, probs, classes = sample(n=60 * k, k=k)
    y[:3] = 0  # a small class, so that a warning shows too
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e, "val_macro_f1": 0.5} for e in range(1, 9)]
    return build_report(y, y_pred, classes, probs=probs, history=history, best_epoch=5, stop_reason="max_epochs",
                        images=np.random.default_rng(0).random((len(y), 4)), image_shape=(2, 2, 1),
                        config=ReportConfig(bootstrap=50), subject="/srv/data/test.csv",
                        source={"model": "/srv/models/m/", "data": "/srv/data/test.csv"})


def _visible_text(page: str) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.DOTALL)  # CSS and chart markup
    return html_module.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("k", [4, 40])
def test_no_english_heading_on_a_spanish_page(k):
    report = _report(k)
    english = {STRINGS["en"][key] for key in HEADINGS if STRINGS["en"][key] != STRINGS["es"][key]}
    console = Console(width=120, file=io.StringIO(), record=True, markup=False, highlight=False)
    render_report(report, console, lang="es")
    page = render_html(report, lang="es")
    charts = " ".join(re.findall(r"<text\b[^>]*>([^<]*)</text>", page))
    messages = " ".join(w["message"] for w in report_to_dict(report, "es")["warnings"])
    for where, text in (("terminal", console.export_text()), ("html", _visible_text(page)), ("charts", charts),
                        ("json", messages)):
        found = sorted(word for word in english if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text))
        assert found == [], f"English on the Spanish {where}: {found}"
    english_page = _visible_text(render_html(report, lang="en"))
    assert "Confusion matrix" in english_page and "Per-class metrics" in english_page  # the check can fail
    assert "/srv/" not in _visible_text(page) and "test.csv" in _visible_text(page)
