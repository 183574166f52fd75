"""The HTML rendering of a `Report`: one self-contained page (CSS inline, figures as PNG data URIs, no script).

The page is rendered by Jinja2 with autoescaping on, so every user string (class names, paths) is text, never
markup; its Content-Security-Policy forbids scripts and any network fetch, so even a missed escape could not run
or load anything. Numbers are formatted here (for the language) and the template only places them.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
import numpy as np

from multiclass._version import __version__
from multiclass.report.render.decision import decision_context
from multiclass.report.formatting import Formatter
from multiclass.report.value import FULL_TABLE, HEADLINE, MATRIX_CLASSES, Report
from multiclass.report.strings import method_lines, notice_text, report_title, strings

__all__ = ["render_html"]


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("multiclass.report.render", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _cell(estimate, fmt: Formatter) -> dict:
    if estimate is None:
        return {"value": fmt.decimal(None), "interval": fmt.decimal(None), "method": ""}
    return {"value": fmt.decimal(estimate.value), "interval": fmt.interval(estimate.low, estimate.high),
            "method": estimate.method or ""}


def _dataset(report: Report, s, fmt) -> list[tuple[str, str]]:
    support, major = report.support, report.majority
    smallest = min(report.ranking, key=lambda c: support[c]) if report.ranking else major
    return [
        (s["rows"], fmt.integer(report.n_samples)),
        (s["n_classes"], fmt.integer(report.n_classes)),
        (s["majority_class"], (f"{report.classes[major]} ({fmt.integer(support[major])}, "
                               f"{fmt.percent(support[major] / report.n_samples)})")),
        (s["smallest_class"], f"{report.classes[smallest]} ({fmt.integer(support[smallest])})"),
        (s["imbalance_ratio"], fmt.decimal(report.imbalance_ratio, 1)),
    ]


def _headline(report: Report, s, fmt) -> list[dict]:
    rows = []
    for name in HEADLINE:
        estimate = report.headline.get(name)
        if estimate is None:
            continue
        rows.append({"name": s[name], **_cell(estimate, fmt),
                     "majority": fmt.decimal(report.baselines["majority"][name]),
                     "prior": fmt.decimal(report.baselines["prior"][name])})
    return rows


def _per_class(report: Report, s, fmt) -> dict:
    rows, hidden = report.class_rows()
    weakest = set(report.weakest)
    out = []
    for c in rows:
        if c is None:
            out.append({"cut": s["hidden_rows"].format(n=fmt.integer(hidden))})
            continue
        row = report.per_class[c]
        out.append({"cut": None, "name": report.classes[c], "weak": c in weakest,
                    "metrics": [_cell(e, fmt) for e in (row.precision, row.recall, row.f1)],
                    "support": fmt.integer(row.support), "n_predicted": fmt.integer(row.n_predicted)})
    if hidden:
        caption = s["sorted_note"].format(shown=fmt.integer(report.n_classes - hidden),
                                          total=fmt.integer(report.n_classes))
    else:
        caption = s["weakest_note"].format(n=len(report.weakest)) if report.weakest else ""
    return {"rows": out, "caption": caption}


def _matrices(report: Report, fmt) -> dict | None:
    """Counts and row-normalised tables, each cell shaded by its row share (a heatmap that stays text)."""
    if report.n_classes > FULL_TABLE:
        return None
    cm = report.confusion
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)  # (K, K) rows sum to 1 (or 0 for absent classes)

    def rows(text):
        return [{"name": report.classes[i],
                 "cells": [{"text": text(i, j), "alpha": f"{share[i, j]:.2f}", "dark": share[i, j] > 0.55}
                           for j in range(report.n_classes)]} for i in range(report.n_classes)]

    return {"counts": rows(lambda i, j: fmt.integer(cm[i, j])),
            "normalized": rows(lambda i, j: fmt.decimal(share[i, j], 2))}


def _context(report: Report, lang: str, title: str | None) -> dict:
    from multiclass.report.render import plots  # matplotlib costs ~0.5 s to import: only when a page is rendered

    s, fmt = strings(lang), Formatter(lang)
    confidence = fmt.percent(report.config.confidence, 0)
    context = {
        "lang": lang, "s": s, "version": __version__,
        "title": title or report_title(report, lang),
        "source": [(key, str(value)) for key, value in report.source.items() if value is not None],
        "notices": [{"level": n.level, "text": notice_text(n, lang)} for n in report.notices],
        "dataset": _dataset(report, s, fmt),
        "distribution": plots.class_distribution(report, s, fmt),
        "intervals": report.config.bootstrap > 0,
        "ci_label": s["interval"].format(confidence=confidence),
        "headline": _headline(report, s, fmt),
        "per_class": _per_class(report, s, fmt),
        "matrices": _matrices(report, fmt),
        "class_names": list(report.classes),
        "show_pairs": report.n_classes > MATRIX_CLASSES,
        "most_confused_title": s["most_confused"].format(n=report.config.top_n),
        "pairs": [{"true": report.classes[p.true], "predicted": report.classes[p.predicted],
                   "count": fmt.integer(p.count), "rate": fmt.decimal(p.rate)} for p in report.most_confused],
        "calibration": None, "training": None, "mistakes": None,
        "decision": decision_context(report, s, fmt),
        "method": method_lines(report, lang),
    }
    if report.calibration is not None:
        cal = report.calibration
        context["calibration"] = {
            "rows": [(s["ece_top_label"], fmt.decimal(cal.ece_top_label, 4)),
                     (s["ece_classwise"], fmt.decimal(cal.ece_classwise, 4)), (s["brier"], fmt.decimal(cal.brier, 4))],
            "figure": plots.reliability_diagram(report, s, fmt)}
    if report.training is not None:
        training = report.training
        stop = s.get(f"stop_{training.stop_reason}", training.stop_reason)
        context["training"] = {
            "rows": [(s["best_epoch"], fmt.integer(training.best_epoch)),
                     (s["epochs_run"], fmt.integer(len(training.epochs))), (s["stop_reason"], stop)],
            "figure": plots.learning_curves(report, s, fmt)}
    if report.mistakes is not None:
        m = report.mistakes
        context["mistakes"] = {
            "figure": plots.mistakes_grid(report, s, fmt),
            "rows": [{"row": fmt.integer(row), "true": report.classes[t], "predicted": report.classes[p],
                      "probability": fmt.decimal(prob)} for row, t, p, prob in zip(m.rows, m.true, m.predicted,
                                                                                     m.probability)]}
    return context


def render_html(report: Report, *, lang: str = "en", title: str | None = None) -> str:
    """The report as one self-contained HTML page (UTF-8 text), in `lang` ("en" or "es")."""
    return _environment().get_template("report.html.j2").render(**_context(report, lang, title))
