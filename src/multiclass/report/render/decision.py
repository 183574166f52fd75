"""The decision section of a `Report` rendered three ways: rich tables, JSON, and the HTML template's context.

Kept apart from `terminal`, `jsondoc` and `html` (each calls one function here) so the section reads in one
place; the numbers come from `report.decision` (`multiclass.report.decision.build_decision`).
"""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from multiclass.report.formatting import MISSING, Formatter
from multiclass.report.render.cells import estimate_text, interval_text
from multiclass.report.value import FULL_TABLE, Estimate, Report

__all__ = ["decision_context", "decision_tables", "decision_to_dict"]

_CALIBRATION_KEYS = ("ece_top_label", "ece_classwise", "brier", "log_loss")
_SCORE_KEYS = ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1")


def _cell(fmt: Formatter, s, estimate: Estimate, kind: str = "score", sign: bool = False) -> str:
    """``0.953 (0.948–0.958)`` with an interval, ``0.953`` without, a dash when undefined."""
    return estimate_text(fmt, s, estimate, kind, sign=sign)


def _status(s, met) -> str:
    return s["no_rows"] if met is None else s["met"] if met else s["missed"]


def _summary_rows(report: Report, s, fmt) -> list[tuple[str, str]]:
    d = report.decision
    rows = [(s["rule"], s[f"rule_{d.rule}"]), (s["temperature"], fmt.value(d.temperature, "quantity")),
            (s["rows_changed"], f"{fmt.integer(d.n_changed)} ({fmt.percent(d.n_changed / report.n_samples)})")]
    if d.temperature != 1.0 or d.rule == "offsets":  # a cost matrix alone is given, not fitted
        rows.append((s["tuned_on"], s["tuned_here"] if d.tuned_here else s["tuned_elsewhere"]))
    return rows


def _price_rows(report: Report):
    """Classes whose precision or recall the policy changes, targets first (at most `FULL_TABLE`)."""
    d = report.decision
    targets = [t.index for t in d.targets]
    changed = [row for row in d.changes if row.changed and row.index not in targets]
    return [d.changes[c] for c in targets] + changed[:max(0, FULL_TABLE - len(targets))]


def _title(text: str) -> str:
    return text[:1].lower() + text[1:]


def decision_tables(report: Report, s, fmt: Formatter, width: int = 100) -> list[Table]:
    """The terminal tables: summary, scores under each rule, calibration change, cost, targets, price (class names
    cut with an ellipsis to fit `width` columns)."""
    d = report.decision
    name_width = min(24, max(8, width // 5))
    summary = Table(title=_title(s["decision"]), show_header=False, title_justify="left")
    summary.add_column(overflow="fold")
    summary.add_column(overflow="fold")
    for label, value in _summary_rows(report, s, fmt):
        summary.add_row(label, value)
    tables = [summary]
    scores = Table(title=_title(s["rule_scores"]), title_justify="left")
    for column in ("metric", "argmax", "policy"):
        scores.add_column(s[column], justify="left" if column == "metric" else "right")
    for key in _SCORE_KEYS:
        scores.add_row(s[key], fmt.value(d.scores["argmax"][key]), fmt.value(d.scores["policy"][key]))
    tables.append(scores)
    if d.calibration is not None:
        table = Table(title=_title(s["calibration_change"]), title_justify="left")
        table.add_column(s["metric"])
        table.add_column(s["before"], justify="right")
        table.add_column(s["after"].format(t=fmt.value(d.temperature, "quantity")), justify="right")
        for key in _CALIBRATION_KEYS:
            table.add_row(s[key], fmt.value(d.calibration["before"][key], "quantity"),
                          fmt.value(d.calibration["after"][key], "quantity"))
        tables.append(table)
    if d.cost is not None:
        table = Table(title=_title(s["cost"]), title_justify="left")
        table.add_column(s["rule"])
        table.add_column(s["mean_cost"], justify="right")
        for key in ("policy", "argmax", "difference"):
            table.add_row(s[f"cost_{key}"], _cell(fmt, s, d.cost[key], "quantity", key == "difference"))
        tables.append(table)
    if d.targets:
        table = Table(title=_title(s["targets"]), title_justify="left")
        table.add_column(s["class"], max_width=name_width, overflow="ellipsis", no_wrap=True)
        for column in ("target", "reached", "status"):
            table.add_column(s[column], justify="right")
        for t in d.targets:
            status = _status(s, t.met)
            table.add_row(Text(report.classes[t.index]), fmt.value(t.target), _cell(fmt, s, t.recall),
                          Text(status, style="bold red" if t.met is False else ""))
        tables.append(table)
    rows = _price_rows(report)
    table = Table(title=_title(s["price"]), title_justify="left")
    table.add_column(s["class"], max_width=min(16, name_width), overflow="ellipsis", no_wrap=True)
    for metric in ("precision", "recall"):
        table.add_column(f"{s[metric]}\n{s['argmax']}", justify="right", no_wrap=True)
        table.add_column(f"{s[metric]}\n{s['policy']}", justify="right", overflow="fold")
    for row in rows:
        table.add_row(Text(report.classes[row.index]), fmt.value(row.precision_argmax.value),
                      _cell(fmt, s, row.precision_policy), fmt.value(row.recall_argmax.value),
                      _cell(fmt, s, row.recall_policy))
    if not any(row.changed for row in rows):
        table.caption = s["price_unchanged"]
    tables.append(table)
    return tables


def _num(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _estimate(estimate: Estimate) -> dict:
    interval = None if estimate.method is None else {"low": _num(estimate.low), "high": _num(estimate.high),
                                                     "method": estimate.method}
    return {"value": _num(estimate.value), "interval": interval}


def decision_to_dict(report: Report) -> dict | None:
    """The ``decision`` key of the JSON report (None when the model has no decision policy)."""
    d = report.decision
    if d is None:
        return None
    name = report.classes
    return {
        "rule": d.rule,
        "temperature": _num(d.temperature),
        "tuned_on_these_rows": d.tuned_here,
        "n_changed": d.n_changed,
        "scores": {rule: {key: _num(value) for key, value in values.items()} for rule, values in d.scores.items()},
        "calibration": None if d.calibration is None else {
            when: {key: _num(value) for key, value in values.items()} for when, values in d.calibration.items()},
        "cost": None if d.cost is None else {key: _estimate(value) for key, value in d.cost.items()},
        "targets": [{"class": name[t.index], "target": t.target, "recall": _estimate(t.recall), "met": t.met}
                    for t in d.targets],
        "per_class": {name[row.index]: {"precision_argmax": _estimate(row.precision_argmax),
                                        "precision_policy": _estimate(row.precision_policy),
                                        "recall_argmax": _estimate(row.recall_argmax),
                                        "recall_policy": _estimate(row.recall_policy)} for row in d.changes},
    }


def _parts(fmt: Formatter, s, estimate: Estimate, kind: str = "score", sign: bool = False) -> dict:
    """A cell of the HTML page: the value, and its interval kept apart so that it wraps as one piece."""
    interval = interval_text(fmt, s, estimate, kind)
    return {"value": fmt.value(estimate.value, kind, sign=sign), "interval": "" if interval == MISSING else interval}


def _plain(fmt: Formatter, value) -> dict:
    return {"value": fmt.value(value), "interval": ""}


def decision_context(report: Report, s, fmt: Formatter) -> dict | None:
    """The HTML template's ``decision`` variable: rows of text, formatted for the language (estimate cells as
    ``{"value", "interval"}``)."""
    d = report.decision
    if d is None:
        return None
    return {
        "summary": _summary_rows(report, s, fmt),
        "scores": [(s[key], fmt.value(d.scores["argmax"][key]), fmt.value(d.scores["policy"][key]))
                   for key in _SCORE_KEYS],
        "after_label": s["after"].format(t=fmt.value(d.temperature, "quantity")),
        "calibration": None if d.calibration is None else [
            (s[key], fmt.value(d.calibration["before"][key], "quantity"),
             fmt.value(d.calibration["after"][key], "quantity")) for key in _CALIBRATION_KEYS],
        "cost": None if d.cost is None else [
            (s[f"cost_{key}"], _parts(fmt, s, d.cost[key], "quantity", key == "difference"))
            for key in ("policy", "argmax", "difference")],
        "targets": [{"name": report.classes[t.index], "target": fmt.value(t.target), "recall": _parts(fmt, s, t.recall),
                     "status": _status(s, t.met), "missed": t.met is False} for t in d.targets],
        "price": [{"name": report.classes[row.index], "cells": [
            _plain(fmt, row.precision_argmax.value), _parts(fmt, s, row.precision_policy),
            _plain(fmt, row.recall_argmax.value), _parts(fmt, s, row.recall_policy)]} for row in _price_rows(report)],
        "price_unchanged": not any(row.changed for row in d.changes),
    }
