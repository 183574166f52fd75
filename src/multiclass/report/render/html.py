"""The HTML rendering of a `Report`: one self-contained page (CSS and SVG charts inline, no script).

The page is rendered by Jinja2 with autoescaping on, so every user string (class names, paths) is text, never
markup; its Content-Security-Policy forbids scripts and any network fetch, so even a missed escape could not run
or load anything. Numbers are formatted here (for the language) and the template only places them. It reads on
a phone as on a laptop: tables scroll sideways inside their own box with the first column kept in view, charts
are SVG drawn to stay legible at phone width, every chart has its data as a table beside it, cell colours keep
WCAG AA contrast, and paths are shown by their last part only.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
import numpy as np

from multiclass._version import __version__
from multiclass.report.formatting import Formatter
from multiclass.report.render.cells import interval_text, method_label
from multiclass.report.render.critical import critical_context
from multiclass.report.render.decision import decision_context
from multiclass.report.render.overview import confusion_overview
from multiclass.report.strings import (display_name, method_lines, notice_text, plural, report_title, strings,
                                       verdict_text)
from multiclass.report.value import FULL_TABLE, HEADLINE, MATRIX_CLASSES, Report, candidates_tried

__all__ = ["cell_colours", "contrast_ratio", "render_html"]

DATA_ROWS = 200  # rows of a chart's data table; the JSON report has them all
_SHADE = (0x1F, 0x5F, 0xA8)  # the page's accent blue: a matrix cell is this blue at its row share's opacity


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates' environment (autoescaped, strict), shared by the report and the comparison pages."""
    return jinja2.Environment(loader=jinja2.PackageLoader("multiclass.report.render", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour given as 0-255 channels."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21; AA asks 4.5 for text)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def cell_colours(share: float) -> tuple[str, str]:
    """(background, text) of a matrix cell: the accent blue at opacity `share` over white, and whichever of black
    or white text contrasts more with it (never below 4.5:1 on this ramp: the two cross at 4.6)."""
    share = float(min(max(share, 0.0), 1.0))
    background = tuple(round(255 + share * (c - 255)) for c in _SHADE)
    text = (0, 0, 0) if contrast_ratio(background, (0, 0, 0)) >= contrast_ratio(background, (255, 255, 255)) \
        else (255, 255, 255)
    return "#%02x%02x%02x" % background, "#%02x%02x%02x" % text


def _cell(estimate, fmt: Formatter, s: dict, kind: str = "score") -> dict:
    value = None if estimate is None else estimate.value
    return {"value": fmt.value(value, kind), "interval": interval_text(fmt, s, estimate, kind),
            "method": method_label(s, estimate)}


def _source(report: Report, s: dict) -> list[tuple[str, str]]:
    rows = []
    for key, value in report.source.items():
        if value is None:
            continue
        if key == "read":
            rows.append((s["source_read"], s["read_streamed"] if value == "streamed" else str(value)))
        else:
            rows.append((s.get(f"source_{key}", key), display_name(value)))
    return rows


def _dataset(report: Report, s, fmt) -> dict:
    support, major = report.support, report.majority
    smallest = min(report.ranking, key=lambda c: support[c]) if report.ranking else major
    n = max(report.n_samples, 1)
    rows = [
        (s["rows"], fmt.integer(report.n_samples)),
        (s["n_classes"], fmt.integer(report.n_classes)),
        (s["majority_class"], (f"{report.classes[major]} ({fmt.integer(support[major])}, "
                               f"{fmt.percent(support[major] / n)})")),
        (s["smallest_class"], f"{report.classes[smallest]} ({fmt.integer(support[smallest])})"),
        (s["imbalance_ratio"], fmt.value(report.imbalance_ratio, "quantity")),
    ]
    order = np.argsort(-support, kind="stable")[:DATA_ROWS]
    data = [(report.classes[c], fmt.integer(support[c]), fmt.percent(support[c] / n)) for c in order]
    return {"rows": rows, "data": data, "cut": _cut(s, fmt, len(order), report.n_classes)}


def _cut(s, fmt, shown: int, total: int) -> str:
    return s["data_rows_cut"].format(shown=fmt.integer(shown), total=fmt.integer(total)) if shown < total else ""


def _headline(report: Report, s, fmt) -> list[dict]:
    rows = []
    for name in HEADLINE:
        estimate = report.headline.get(name)
        if estimate is None:
            continue
        kind = "quantity" if name == "log_loss" else "score"
        rows.append({"name": s[name], **_cell(estimate, fmt, s, kind),
                     "majority": fmt.value(report.baselines["majority"][name], kind),
                     "prior": fmt.value(report.baselines["prior"][name], kind)})
    return rows


def _per_class(report: Report, s, fmt) -> dict:
    rows, hidden = report.class_rows()
    weakest = set(report.weakest)
    out = []
    for c in rows:
        if c is None:
            out.append({"cut": plural(s, "hidden_rows", hidden).format(n=fmt.integer(hidden))})
            continue
        row = report.per_class[c]
        out.append({"cut": None, "name": report.classes[c], "weak": c in weakest,
                    "metrics": [_cell(e, fmt, s) for e in (row.precision, row.recall, row.f1)],
                    "support": fmt.integer(row.support), "n_predicted": fmt.integer(row.n_predicted)})
    if hidden:
        caption = s["sorted_note"].format(shown=fmt.integer(report.n_classes - hidden),
                                          total=fmt.integer(report.n_classes))
    else:
        n_weak = len(report.weakest)
        caption = plural(s, "weakest_note", n_weak).format(n=n_weak) if n_weak else ""
    return {"rows": out, "caption": caption}


def _matrices(report: Report, fmt) -> dict | None:
    """Counts and row-normalised tables, each cell shaded by its row share (a heatmap that stays text)."""
    if report.n_classes > FULL_TABLE:
        return None
    cm = report.confusion
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)  # (K, K) rows sum to 1 (or 0 for absent classes)
    colours = [[cell_colours(share[i, j]) for j in range(report.n_classes)] for i in range(report.n_classes)]

    def rows(text):
        return [{"name": report.classes[i],
                 "cells": [{"text": text(i, j), "background": colours[i][j][0], "colour": colours[i][j][1]}
                           for j in range(report.n_classes)]} for i in range(report.n_classes)]

    return {"counts": rows(lambda i, j: fmt.integer(cm[i, j])),
            "normalized": rows(lambda i, j: fmt.decimal(share[i, j], 2))}


def _overview(report: Report, s, fmt, plots) -> dict | None:
    """The whole-matrix heatmap beside the most confused pairs, beyond `MATRIX_CLASSES` classes."""
    if report.n_classes <= MATRIX_CLASSES:
        return None
    overview = confusion_overview(report.confusion)
    names = report.classes
    rows = [{"position": fmt.integer(i + 1), "name": names[c], "error": fmt.value(overview.error_share[c]),
             "partner": names[overview.partner[c]] if overview.partner[c] >= 0 else "—",
             "partner_share": fmt.value(overview.partner_share[c]) if overview.partner[c] >= 0 else "—"}
            for i, c in enumerate(overview.order[:DATA_ROWS])]
    blocks = s["overview_blocks"].format(size=fmt.integer(overview.block)) if overview.block > 1 else ""
    return {"figure": plots.confusion_map(report, overview, s, fmt), "rows": rows, "blocks": blocks,
            "cut": _cut(s, fmt, len(rows), report.n_classes)}


def _calibration(report: Report, s, fmt, plots) -> dict | None:
    cal = report.calibration
    if cal is None:
        return None
    b = cal.bins
    bins = [(fmt.interval(b.lower[i], b.upper[i], 2), fmt.integer(b.count[i]), fmt.value(b.confidence[i]),
             fmt.value(b.accuracy[i]), fmt.value(b.accuracy[i] - b.confidence[i], sign=True))
            for i in range(len(b.count)) if b.count[i]]
    return {"rows": [(s[key], fmt.value(getattr(cal, key), "quantity"))
                     for key in ("ece_top_label", "ece_classwise", "brier")],
            "figure": plots.reliability_diagram(report, s, fmt), "bins": bins}


def recipe_text(recipe: dict, s, fmt) -> str:
    """``auto: hidden 512-256, dropout 0.3, L2 1.9e-06, lr 0.001, batch 128 -- the best of 12 candidates``."""
    chosen = recipe["chosen"]
    hidden = "-".join(str(w) for w in chosen["hidden"]) or s["recipe_no_hidden"]
    template = s["recipe_chosen_lbfgs"] if chosen.get("solver") == "lbfgs" else s["recipe_chosen"]
    text = template.format(name=recipe.get("name", ""), hidden=hidden, dropout=f"{chosen['dropout']:g}",
                           l2=f"{chosen['l2']:.2g}", lr=f"{chosen['lr']:g}", batch=chosen["batch_size"])
    if chosen.get("fixed_epochs"):
        text += s["recipe_fixed_epochs"].format(epochs=fmt.integer(chosen["fixed_epochs"]))
    tried = candidates_tried(recipe)
    if recipe.get("folds"):
        return text + s["recipe_folds"].format(n=fmt.integer(tried), folds=recipe["folds"])
    return text + (s["recipe_searched"].format(n=fmt.integer(tried)) if tried > 1 else "")


def _training(report: Report, s, fmt, plots) -> dict | None:
    training = report.training
    if training is None:
        return None
    stop = s.get(f"stop_{training.stop_reason}", training.stop_reason)
    step = max(1, -(-len(training.epochs) // DATA_ROWS))
    epochs = [{"epoch": fmt.integer(r["epoch"]), "best": r["epoch"] == training.best_epoch,
               "train_loss": fmt.value(r.get("train_loss"), "quantity"), "val_loss": fmt.value(r.get("val_loss"),
                                                                                             "quantity"),
               "val_macro_f1": fmt.value(r.get("val_macro_f1"))}
              for i, r in enumerate(training.epochs) if i % step == 0 or r["epoch"] == training.best_epoch]
    epoch = s["last_epoch"] if training.stop_reason == "fold_fixed" else s["best_epoch"]
    rows = [(epoch, fmt.integer(training.best_epoch)),
            (s["epochs_run"], fmt.integer(len(training.epochs))), (s["stop_reason"], stop)]
    if training.recipe and training.recipe.get("chosen"):
        rows.insert(0, (s["recipe"], recipe_text(training.recipe, s, fmt)))
    return {"rows": rows,
            "figure": plots.learning_curves(report, s, fmt), "epochs": epochs,
            "cut": _cut(s, fmt, len(epochs), len(training.epochs))}


def _mistakes(report: Report, s, fmt, plots) -> dict | None:
    m = report.mistakes
    if m is None:
        return None
    images = plots.mistake_images(report)
    return {"cells": [{"image": image, "row": fmt.integer(row), "true": report.classes[t],
                       "predicted": report.classes[p], "probability": fmt.value(prob)}
                      for image, row, t, p, prob in zip(images, m.rows, m.true, m.predicted, m.probability)]}


def _context(report: Report, lang: str, title: str | None) -> dict:
    from multiclass.report.render import plots  # matplotlib costs ~0.5 s to import: only when a page is rendered

    s, fmt = strings(lang), Formatter(lang)
    confidence = fmt.percent(report.config.confidence, 0)
    return {
        "lang": lang, "s": s, "version": __version__,
        "title": title or report_title(report, lang, short_paths=True),
        "verdict": verdict_text(report, lang),
        "source": _source(report, s),
        "notices": [{"level": n.level, "text": notice_text(n, lang)} for n in report.notices],
        "dataset": _dataset(report, s, fmt),
        "distribution": plots.class_distribution(report, s, fmt),
        "intervals": report.config.bootstrap > 0,
        "ci_label": s["interval"].format(confidence=confidence),
        "interval_note": s["interval_note"].format(confidence=confidence),
        "headline": _headline(report, s, fmt),
        "per_class": _per_class(report, s, fmt),
        "matrices": _matrices(report, fmt),
        "class_names": list(report.classes),
        "overview": _overview(report, s, fmt, plots),
        "most_confused_title": s["most_confused"].format(n=report.config.top_n),
        "pairs": [{"true": report.classes[p.true], "predicted": report.classes[p.predicted],
                   "count": fmt.integer(p.count), "rate": fmt.value(p.rate)} for p in report.most_confused],
        "calibration": _calibration(report, s, fmt, plots),
        "training": _training(report, s, fmt, plots),
        "mistakes": _mistakes(report, s, fmt, plots),
        "decision": decision_context(report, s, fmt),
        "critical": critical_context(report, s, fmt),
        "method": method_lines(report, lang),
    }


def render_html(report: Report, *, lang: str = "en", title: str | None = None) -> str:
    """The report as one self-contained HTML page (UTF-8 text), in `lang` ("en" or "es")."""
    return environment().get_template("report.html.j2").render(**_context(report, lang, title))
