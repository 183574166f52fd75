"""An `AuditResult` rendered three ways: rich tables for an 80-column terminal, JSON, one self-contained HTML page.

As the evaluation report (`multiclass.report`): numbers are formatted for the language by `Formatter`, user
strings (class names, ids, snippets) are text and never markup (rich `Text`, Jinja2 autoescaping), and the page
has a Content-Security-Policy that forbids scripts and any fetch, with thumbnails inline as PNG data URIs. JSON
keys are English in every language; an undefined number is ``null``.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import jinja2
import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from multiclass._version import __version__
from multiclass.audit.result import METRICS, AuditResult
from multiclass.audit.strings import audit_strings
from multiclass.report.formatting import Formatter

__all__ = ["SCHEMA", "audit_to_dict", "audit_to_json", "render_html", "render_terminal"]

SCHEMA = "multiclass-audit/1"
MATRIX_CLASSES = 30  # the noise matrix is drawn whole up to this many classes; beyond, its largest entries
TERMINAL_MATRIX = 8  # classes whose noise matrix fits 80 terminal columns
TOP_PAIRS = 10  # label errors listed when the matrix is not drawn
TERMINAL_SUSPECTS = 15
HTML_SUSPECTS = 200
TERMINAL_CLASSES = 20  # per-class rows in the terminal (beyond: the classes with the most wrong labels)
HTML_CLASSES = 200


def _num(value):
    """A JSON-able number: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _top_pairs(result: AuditResult, n: int) -> list[tuple[int, int, float]]:
    """(given, true, rate) of the largest off-diagonal noise rates, largest first."""
    rates = result.noise_matrix.copy()
    np.fill_diagonal(rates, 0)
    order = np.argsort(-rates, axis=None, kind="stable")[:n]
    return [(int(i), int(j), float(rates[i, j])) for i, j in zip(*np.unravel_index(order, rates.shape))
            if rates[i, j] > 0]


def _per_class_rows(result: AuditResult, fmt: Formatter, limit: int) -> tuple[list[tuple], int]:
    """Rows of the per-class table, and how many classes were left out: every class in class order up to
    `limit` classes; beyond, the `limit` with the largest estimated share of wrong labels."""
    share, low, high = result.wrong_share()
    counts, flagged = result.findings.label_counts, result.findings.n_flagged
    order = np.arange(result.n_classes)
    if result.n_classes > limit:
        order = np.argsort(-np.nan_to_num(share, nan=-1.0), kind="stable")[:limit]
    rows = [(result.classes[c], fmt.integer(counts[c]), fmt.integer(result.wrong_counts[c]),
             fmt.percent(None if counts[c] == 0 else share[c]),
             "—" if counts[c] == 0 else f"{fmt.percent(low[c])}–{fmt.percent(high[c])}",
             fmt.integer(flagged[c])) for c in order]
    return rows, result.n_classes - len(order)


def _metric_rows(result: AuditResult, s, fmt) -> list[tuple[str, str, str]]:
    metrics = result.metrics()
    return [(s[m], fmt.decimal(metrics["all"][m]),
             fmt.decimal(None if metrics["without_suspects"] is None else metrics["without_suspects"][m]))
            for m in METRICS]


def _summary_rows(result: AuditResult, s, fmt) -> list[tuple[str, str]]:
    if result.folds:
        probabilities = s["out_of_fold"].format(folds=result.folds["n_folds"], engine=result.folds["engine"],
                                                seconds=fmt.decimal(result.folds["train_time"], 1))
    else:
        probabilities = s["given_probs"]
    return [(s["rows"], fmt.integer(result.n_samples)), (s["n_classes"], fmt.integer(result.n_classes)),
            (s["flagged"], f"{fmt.integer(result.n_flagged)} ({fmt.percent(result.n_flagged / result.n_samples)})"),
            (s["noise_rate"], fmt.percent(result.noise_rate)), (s["rule"], result.config.filter_by),
            (s["ranked_by"], s[result.config.rank_by]), (s["probabilities"], probabilities)]


def _notes(result: AuditResult, s, fmt, shown: int) -> list[str]:
    notes = []
    if len(result.suspects) == 0:
        return [s["no_suspects"]]
    if shown < len(result.suspects):
        notes.append(s["shown_note"].format(shown=fmt.integer(shown), total=fmt.integer(len(result.suspects))))
    if result.config.top_n is not None and len(result.suspects) < result.n_flagged:
        notes.append(s["capped_note"].format(top_n=fmt.integer(result.config.top_n),
                                             flagged=fmt.integer(result.n_flagged)))
    return notes


def _method(result: AuditResult, s, fmt) -> list[str]:
    confidence = fmt.percent(result.config.confidence, 0)
    return [s["method_cl"].format(rule=result.config.filter_by), s["method_interval"].format(confidence=confidence),
            s["method_metrics"]]


# ---------------------------------------------------------------------------------------------------- terminal
def render_terminal(result: AuditResult, *, lang: str = "en", console: Console | None = None,
                    max_suspects: int = TERMINAL_SUSPECTS) -> None:
    """Print the audit as rich tables that fit 80 columns (class names and ids are cut with an ellipsis)."""
    s, fmt = audit_strings(lang), Formatter(lang)
    console = console or Console(width=80)
    summary = Table(title=s["title"], show_header=False, title_justify="left")
    summary.add_column(max_width=34, overflow="fold")
    summary.add_column(max_width=40, overflow="fold")
    for label, value in _summary_rows(result, s, fmt):
        summary.add_row(label, Text(value))
    console.print(summary)

    class_rows, hidden = _per_class_rows(result, fmt, TERMINAL_CLASSES)
    per_class = Table(title=s["per_class"], title_justify="left",
                      caption=s["hidden_classes"].format(n=fmt.integer(hidden)) if hidden else None)
    per_class.add_column(s["class"], max_width=14, overflow="ellipsis", no_wrap=True)
    for key in ("rows", "estimated_wrong", "share"):  # headers may wrap; the numbers are short
        per_class.add_column(s[key], justify="right", min_width=6)
    per_class.add_column(s["interval"].format(confidence=fmt.percent(result.config.confidence, 0)), justify="right",
                         no_wrap=True)
    per_class.add_column(s["flagged"], justify="right", min_width=6)
    for name, *cells in class_rows:
        per_class.add_row(Text(name), *cells)
    console.print(per_class)

    metrics = Table(title=s["metrics"], title_justify="left")
    for key, justify in (("metric", "left"), ("all_rows", "right"), ("without_suspects", "right")):
        metrics.add_column(s[key], justify=justify)
    for row in _metric_rows(result, s, fmt):
        metrics.add_row(*row)
    console.print(metrics)

    if result.n_classes <= TERMINAL_MATRIX:
        matrix = Table(title=s["noise_matrix"], caption=s["noise_caption"], title_justify="left")
        matrix.add_column(f"{s['given_class']} \\ {s['true_class']}", max_width=14, overflow="ellipsis",
                          no_wrap=True)
        for name in result.classes:
            matrix.add_column(Text(name), justify="right", max_width=6, overflow="ellipsis", no_wrap=True)
        for i, name in enumerate(result.classes):
            matrix.add_row(Text(name), *[fmt.decimal(v, 2) for v in result.noise_matrix[i]])
    else:
        matrix = Table(title=s["top_pairs"], title_justify="left")
        for key in ("given_class", "true_class", "rate"):
            matrix.add_column(s[key], justify="right" if key == "rate" else "left", max_width=30,
                              overflow="ellipsis", no_wrap=True)
        for given, true, rate in _top_pairs(result, TOP_PAIRS):
            matrix.add_row(Text(result.classes[given]), Text(result.classes[true]), fmt.decimal(rate))
    console.print(matrix)

    shown = min(max_suspects, len(result.suspects))
    suspects = Table(title=s["suspects"], title_justify="left", caption=" ".join(_notes(result, s, fmt, shown)))
    names_width = 11 if result.ids is not None else 16  # what 80 columns leave to the text columns
    suspects.add_column(s["row"], justify="right", no_wrap=True)
    if result.ids is not None:
        suspects.add_column(s["id"], max_width=names_width, overflow="ellipsis", no_wrap=True)
    for key in ("given", "likely"):
        suspects.add_column(s[key], max_width=names_width, overflow="ellipsis", no_wrap=True)
    for key in ("probability", "score"):
        suspects.add_column(s[key], justify="right", no_wrap=True, min_width=len(s[key]))
    found = result.suspects
    for i in range(shown):
        row = int(found.row[i])
        ident = [] if result.ids is None else [Text(result.suspect_id(row))]
        suspects.add_row(fmt.integer(row), *ident, Text(result.classes[found.given[i]]),
                         Text(result.classes[found.likely[i]]), fmt.decimal(found.probability[i]),
                         fmt.decimal(found.score[i]))
    console.print(suspects)


# ---------------------------------------------------------------------------------------------------- JSON
def _suspect_dicts(result: AuditResult) -> list[dict]:
    found, names = result.suspects, result.classes
    out = []
    for i in range(len(found)):
        row = int(found.row[i])
        example = result.examples.get(row)
        out.append({"row": row, "id": result.suspect_id(row), "given": names[found.given[i]],
                    "likely": names[found.likely[i]], "probability": _num(found.probability[i]),
                    "self_confidence": _num(found.self_confidence[i]),
                    "normalized_margin": _num(found.normalized_margin[i]),
                    "snippet": None if example is None else example.snippet})
    return out


def audit_to_dict(result: AuditResult) -> dict:
    """Every number of the audit as JSON-able values (the whole suspects list; thumbnails are left out)."""
    share, low, high = result.wrong_share()
    f, names = result.findings, result.classes
    per_class = {names[c]: {"rows": int(f.label_counts[c]), "threshold": _num(f.thresholds[c]),
                            "estimated_wrong": int(result.wrong_counts[c]), "share": _num(share[c]),
                            "interval": {"low": _num(low[c]), "high": _num(high[c]), "method": "wilson",
                                         "confidence": result.config.confidence},
                            "flagged": int(f.n_flagged[c])} for c in range(result.n_classes)}
    return {
        "schema": SCHEMA, "version": __version__, "classes": list(names), "n_samples": result.n_samples,
        "labels_sha256": result.fingerprint or None, "source": {k: str(v) for k, v in result.source.items()},
        "config": result.config.to_dict(), "folds": {k: _plain(v) for k, v in result.folds.items()},
        "n_flagged": result.n_flagged, "noise_rate": _num(result.noise_rate), "per_class": per_class,
        "confident_joint": f.confident_joint.tolist(),
        "joint": [[_num(v) for v in row] for row in result.joint],
        "noise_matrix": [[_num(v) for v in row] for row in result.noise_matrix],
        "metrics": result.metrics(), "suspects": _suspect_dicts(result),
    }


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _num(value) if isinstance(value, (float, np.floating, np.integer)) else value


def audit_to_json(result: AuditResult) -> str:
    return json.dumps(audit_to_dict(result), indent=1, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------------------------------- HTML
@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("multiclass.audit", "templates"),  # report.css is shared:
                                  jinja2.PackageLoader("multiclass.report.render", "templates")])
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def _heatmap(result: AuditResult, fmt) -> list[dict] | None:
    if result.n_classes > MATRIX_CLASSES:
        return None
    rates = result.noise_matrix
    return [{"name": result.classes[i],
             "cells": [{"text": fmt.decimal(rates[i, j], 2), "alpha": f"{min(1.0, rates[i, j]):.2f}",
                        "dark": rates[i, j] > 0.55, "diagonal": i == j} for j in range(result.n_classes)]}
            for i in range(result.n_classes)]


def _suspect_rows(result: AuditResult, fmt, shown: int) -> list[dict]:
    found, names = result.suspects, result.classes
    rows = []
    for i in range(shown):
        row = int(found.row[i])
        example = result.examples.get(row)
        rows.append({"row": fmt.integer(row), "id": result.suspect_id(row) or "", "given": names[found.given[i]],
                     "likely": names[found.likely[i]], "probability": fmt.decimal(found.probability[i]),
                     "score": fmt.decimal(found.score[i]),
                     "thumbnail": example.thumbnail if example else None,
                     "snippet": example.snippet if example else None})
    return rows


def render_html(result: AuditResult, *, lang: str = "en", max_suspects: int = HTML_SUSPECTS) -> str:
    """The audit as one self-contained HTML page (UTF-8 text) in `lang` ("en" or "es")."""
    s, fmt = audit_strings(lang), Formatter(lang)
    shown = min(max_suspects, len(result.suspects))
    confidence = fmt.percent(result.config.confidence, 0)
    class_rows, hidden = _per_class_rows(result, fmt, HTML_CLASSES)
    context = {
        "lang": lang, "s": s, "version": __version__,
        "source": [(key, str(value)) for key, value in result.source.items()],
        "summary": _summary_rows(result, s, fmt),
        "ci_label": s["interval"].format(confidence=confidence),
        "per_class": class_rows, "hidden_classes": s["hidden_classes"].format(n=fmt.integer(hidden)) if hidden else "",
        "metrics": _metric_rows(result, s, fmt), "has_ids": result.ids is not None,
        "heatmap": _heatmap(result, fmt), "class_names": list(result.classes),
        "pairs": [{"given": result.classes[g], "true": result.classes[t], "rate": fmt.decimal(r)}
                  for g, t, r in _top_pairs(result, TOP_PAIRS)],
        "suspects": _suspect_rows(result, fmt, shown), "notes": _notes(result, s, fmt, shown),
        "has_examples": any(result.examples.get(int(r)) for r in result.suspects.row[:shown]),
        "method": _method(result, s, fmt),
    }
    return _environment().get_template("audit.html.j2").render(**context)
