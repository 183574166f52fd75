"""The verdict about the critical class in a real headless Chromium: on the evaluation report and on the
comparison page, the verdict is the first visible text after the title, in English and Spanish (the DevTools
driver of tests/test_report_render_browser.py; Chromium from scripts/install-browser.sh)."""

from __future__ import annotations

import numpy as np
import pytest

from multiclass.metrics import compare_predictions
from multiclass.report import ReportConfig, build_report, render_html
from multiclass.report.comparison import compare_view
from multiclass.report.critical import with_critical
from multiclass.report.render.comparison import comparison_to_html
from tests.test_report_render_browser import CHROMIUM, _open, browser  # noqa: F401 - browser is a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run scripts/install-browser.sh)"),
]

CLASSES = ("critical", "imbalance", "misalign", "ok", "wear")

# The visible text of the page in reading order, one entry per rendered line, and where the verdict is.
_VISIBLE = """(() => {
  const verdict = document.querySelector('.verdict');
  const box = verdict ? verdict.getBoundingClientRect() : null;
  const style = verdict ? getComputedStyle(verdict) : null;
  return {
    lines: document.body.innerText.split('\\n').map(line => line.trim()).filter(Boolean),
    title: document.querySelector('h1').innerText.trim(),
    subtitle: document.querySelector('.subtitle').innerText.trim(),
    verdict: verdict ? verdict.innerText.trim() : null,
    top: box ? box.top : null,
    height: box ? box.height : null,
    visible: style ? style.visibility === 'visible' && style.display !== 'none' && Number(style.opacity) > 0 : false,
  };
})()"""


def _faults(seed: int = 0):
    """Truth and two models' decisions on 1,500 rows, 17 of them critical: A finds 1 of the 17 and is right on
    about 90 % of the others, B finds 9 and is right on about 80 %."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(17, int), rng.choice([1, 2, 3, 4], size=1483, p=[0.1, 0.15, 0.55, 0.2])]
    a = np.where(rng.random(1500) < 0.9, y, 3 - (y == 3))  # wrong rows go to 'ok' (or 'misalign')
    b = np.where(rng.random(1500) < 0.8, y, 3 - (y == 3))
    a[:17] = np.r_[0, np.full(16, 3)]
    b[:17] = np.r_[np.zeros(9, int), np.full(8, 3)]
    return y, a, b


def _check_verdict_first(browser, page, width, mobile):
    _open(browser, page, width, mobile)
    state = browser.evaluate(_VISIBLE)
    assert state["verdict"], "no verdict on the page"
    assert state["lines"][:3] == [state["title"], state["subtitle"], state["verdict"]]
    assert state["visible"] and state["height"] > 0 and 0 <= state["top"] < 900  # in the first screen
    assert not browser.problems()
    return state


@pytest.mark.parametrize(("lang", "width", "mobile", "start"), [
    ("en", 1280, False, "'critical': the model finds 1 of 17 ("),
    ("es", 390, True, "'critical': el modelo encuentra 1 de 17 ("),
], ids=["en-laptop", "es-phone"])
def test_the_critical_verdict_is_the_first_text_after_the_title(browser, tmp_path, lang, width, mobile, start):
    y, a, _ = _faults()
    ids = np.array([f"m-{i}" for i in range(len(y))])
    report = with_critical(build_report(y, a, CLASSES, config=ReportConfig(bootstrap=100), subject="faults.csv"),
                           [0], y, a, ids)
    page = tmp_path / f"report-{lang}.html"
    page.write_text(render_html(report, lang=lang), encoding="utf-8")
    state = _check_verdict_first(browser, page, width, mobile)
    assert state["verdict"].startswith(start)
    shown = set("\n".join(state["lines"]).split())
    assert {f"m-{i}" for i in range(1, 17)} <= shown and "m-0" not in shown  # the 16 missed rows, by id


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_comparison_page_opens_with_its_verdict(browser, tmp_path, lang):
    y, a, b = _faults()
    paired = compare_predictions(y, a, b, n_resamples=300)
    view = compare_view(paired, y, a, b, CLASSES, critical=["critical"])
    assert view.verdict == "b_better" and paired.difference["accuracy"]["value"] < 0  # accuracy would pick A
    page = tmp_path / f"compare-{lang}.html"
    page.write_text(comparison_to_html(view, ("a", "b"), lang), encoding="utf-8")
    state = _check_verdict_first(browser, page, 1280, False)
    start = "B is better than A, by the recall of 'critical'" if lang == "en" else \
        "B es mejor que A, por la exhaustividad de 'critical'"
    assert state["verdict"].startswith(start)
