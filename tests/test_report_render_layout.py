"""The HTML report's layout in headless Chromium, on a laptop (1280 px) and a phone (390 px), for K = 3, 10 and 100
classes, in English and Spanish (12 pages).

On every page: nothing sticks out of the viewport sideways unless it sits inside a scroll container (a table
scrolls inside its box, the page never does); every chart's text is drawn at 10 CSS px or more; the page makes
no request of its own; text has WCAG AA contrast with the background it is drawn on; every chart has a data table
and every table header a `scope`. A screenshot of each page goes to test-artifacts/ (driver: 
tests/test_report_render_browser.py; Chromium from scripts/install-browser.sh).
"""

from __future__ import annotations

import numpy as np
import pytest

from multiclass.decisions import DecisionConfig, fit_policy
from multiclass.report import ReportConfig, build_report, render_html
from multiclass.report.decision import build_decision
from multiclass.report.strings import STRINGS
from tests.test_report_build import sample
from tests.test_report_render_browser import CHROMIUM, DevTools, _open, _screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run scripts/install-browser.sh)"),
]

MIN_CHART_TEXT_PX = 10.0
AA_TEXT, AA_LARGE = 4.5, 3.0
_LONG = ["critical", "misaligned", "ok", "a-rather-long-class-name-that-wraps", "warning", "bearing wear", "loose",
         "seal leak", "overheating", "normal"]


def _names(k: int) -> list[str]:
    return _LONG[:k] if k <= len(_LONG) else [f"part-{i:03d}-{'x' * (i % 17)}" for i in range(k)]


def _report(k: int):
    """A report with every section: intervals, calibration, learning curves, images and a decision policy whose
    recall target is missed (tuned on half of the rows, evaluated on all)."""
    n = max(600, 40 * k)
    y, y_pred, probs, classes = sample(n=n, k=k, names=_names(k), signal=1.5 + k / 50)
    log_probs = np.log(probs)
    half = n // 2
    policy = fit_policy(log_probs[:half], y[:half], DecisionConfig(calibrate=True,
                                                                   target_recall={classes[0]: 0.9}), classes)
    decision = build_decision(y, log_probs, policy, classes=classes, config=ReportConfig(bootstrap=100))
    history = [{"epoch": e, "train_loss": 1.5 / e, "val_loss": 1.4 / e + 0.02 * e, "val_macro_f1": 0.6 + 0.02 * e}
               for e in range(1, 31)]
    images = np.random.default_rng(1).random((n, 64))
    return build_report(y, y_pred, classes, probs=probs, history=history, best_epoch=12, stop_reason="early_stopping",
                        images=images, image_shape=(8, 8, 1), config=ReportConfig(bootstrap=100),
                        subject="/home/ana/projects/faults/test-set.csv", decision=decision,
                        source={"model": "/home/ana/projects/faults/model/", "data": "/home/ana/test-set.csv"})


@pytest.fixture(scope="module")
def reports():
    return {k: _report(k) for k in (3, 10, 100)}


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    devtools = DevTools(tmp_path_factory.mktemp("profile"))
    yield devtools
    devtools.close()


_LAYOUT = """(() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX);
  const outside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || (r.left >= -0.5 && r.right <= vw + 0.5)) continue;
    let box = el.parentElement, held = false;
    while (box && box !== document.body) {
      if (scrolls(box)) { const b = box.getBoundingClientRect(); held = b.left >= -0.5 && b.right <= vw + 0.5; break; }
      box = box.parentElement;
    }
    if (!held) outside.push(el.tagName + (el.className && el.className.baseVal === undefined ? '.' + el.className : ''));
  }
  const sizes = [...document.querySelectorAll('svg.chart text')].map(t => {
    const m = t.getScreenCTM();
    return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
  });
  const rgb = text => (text.match(/[\\d.]+/g) || []).map(Number);
  const blend = (top, under) => { const a = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)); };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length && !(c.length > 3 && c[3] === 0)) { layers.push(c); if (c.length === 3 || c[3] === 1) break; }
    }
    return layers.reverse().reduce((under, top) => blend(top, under), [255, 255, 255]);
  };
  const lum = c => { const l = c.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
  const contrast = (a, b) => { const [h, l] = [lum(a), lum(b)].sort((x, y) => y - x); return (h + 0.05) / (l + 0.05); };
  const low = [];
  for (const el of document.body.querySelectorAll('main *:not(svg):not(svg *)')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? %(large)s : %(text)s;
    const ratio = contrast(blend(rgb(style.color), background(el)), background(el));
    if (ratio < needed) low.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return {
    pageWidth: document.documentElement.scrollWidth, viewport: vw, outside: outside.slice(0, 10),
    charts: document.querySelectorAll('svg.chart').length, chartText: sizes.length,
    smallestText: Math.min(...sizes), lowContrast: low.slice(0, 10),
    headersWithoutScope: document.querySelectorAll('th:not([scope])').length,
    dataTables: document.querySelectorAll('figure details table').length,
    text: document.body.innerText,
  };
})()""" % {"large": AA_LARGE, "text": AA_TEXT}

_ENGLISH_HEADINGS = ("report_title", "dataset", "headline", "per_class", "confusion", "calibration", "reliability",
                     "training", "learning_curves", "mistakes", "method", "class_distribution", "overview",
                     "data_table", "decision", "targets", "recall", "precision", "balanced_accuracy", "support")


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (390, True)], ids=["laptop", "phone"])
@pytest.mark.parametrize("k", [3, 10, 100])
def test_report_reads_at_every_width(chromium, reports, tmp_path, k, width, mobile, lang):
    page = tmp_path / f"report-k{k}-{lang}.html"
    page.write_text(render_html(reports[k], lang=lang), encoding="utf-8")
    chromium.events.clear()
    _open(chromium, page, width, mobile)
    state = chromium.evaluate(_LAYOUT)
    assert chromium.problems() == []  # no request leaves the page, no CSP violation, no error
    assert state["pageWidth"] <= state["viewport"], "the page itself must not scroll sideways"
    assert state["outside"] == [], "elements outside the viewport and outside any scroll container"
    assert state["charts"] == 3 + (k > 12) and state["chartText"] > 20  # distribution, reliability, curves, overview
    assert state["smallestText"] >= MIN_CHART_TEXT_PX, f"chart text drawn at {state['smallestText']:.1f} px"
    assert state["lowContrast"] == [], "text below WCAG AA contrast"
    assert state["headersWithoutScope"] == 0
    assert state["dataTables"] == state["charts"]  # a data table behind each chart
    assert "/home/ana" not in state["text"] and "test-set.csv" in state["text"]  # file names, not local paths
    if lang == "es":
        english = [STRINGS["en"][key] for key in _ENGLISH_HEADINGS if STRINGS["en"][key] != STRINGS["es"][key]]
        assert [word for word in english if word in state["text"]] == []
    shot = _screenshot(chromium, f"layout-k{k}-{lang}-{width}.png", width, mobile)
    assert shot.stat().st_size > 10_000


def test_the_layout_checks_can_fail(chromium, tmp_path):
    """A page with a wide block, tiny chart text, grey-on-grey text and a header without scope is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><meta name="viewport" content="width=device-width"><body><main>'
                    '<div style="width: 2000px">wide</div><p style="color: #aaa; background: #eee">faint</p>'
                    '<svg class="chart" viewBox="0 0 1000 100" style="width: 300px"><text x="0" y="50" '
                    'style="font-size: 12px">tiny</text></svg><table><tr><th>no scope</th></tr></table>'
                    '</main></body>', encoding="utf-8")
    chromium.events.clear()
    _open(chromium, page, 390, True)
    state = chromium.evaluate(_LAYOUT)
    assert state["pageWidth"] > state["viewport"] and "DIV" in state["outside"]
    assert state["smallestText"] < MIN_CHART_TEXT_PX
    assert any('"faint"' in entry for entry in state["lowContrast"])
    assert state["headersWithoutScope"] == 1
