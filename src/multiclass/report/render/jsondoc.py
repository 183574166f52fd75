"""The JSON rendering of a `Report`: every number, complete (no truncation), keys documented in docs/report.md.

Keys are English in every language; only the `message` of each warning follows ``lang``. Numbers are plain JSON
numbers (never locale-formatted); an undefined value (NaN, an interval that does not exist) is ``null``.
"""

from __future__ import annotations

import json
import math

import numpy as np

from multiclass._version import __version__
from multiclass.metrics import SparseConfusion
from multiclass.report.render.decision import decision_to_dict
from multiclass.report.render.critical import critical_to_dict
from multiclass.report.strings import notice_text, verdict_text
from multiclass.report.value import FULL_TABLE, HEADLINE, Estimate, Notice, Report

__all__ = ["SCHEMA", "report_to_dict", "report_to_json"]

SCHEMA = "multiclass-report/1"


def _num(value):
    """A JSON-able number: numpy scalars to Python, NaN/inf to None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _interval(estimate: Estimate | None) -> dict | None:
    if estimate is None or estimate.method is None:
        return None
    return {"low": _num(estimate.low), "high": _num(estimate.high), "method": estimate.method}


def _per_class(report: Report) -> dict:
    n = report.n_samples
    out = {}
    for row in report.per_class:
        out[report.classes[row.index]] = {
            "precision": _num(row.precision.value),
            "recall": _num(row.recall.value),
            "f1": _num(row.f1.value),
            "support": row.support,
            "fraction": row.support / n,
            "n_predicted": row.n_predicted,
            "intervals": {"precision": _interval(row.precision), "recall": _interval(row.recall),
                          "f1": _interval(row.f1)},
        }
    return out


def _calibration(report: Report) -> dict | None:
    cal = report.calibration
    if cal is None:
        return None
    b = cal.bins
    return {
        "ece_top_label": _num(cal.ece_top_label),
        "ece_classwise": _num(cal.ece_classwise),
        "brier": _num(cal.brier),
        "n_bins": len(b.count),
        "reliability": [{"lower": _num(b.lower[i]), "upper": _num(b.upper[i]), "count": _num(b.count[i]),
                         "confidence": _num(b.confidence[i]), "accuracy": _num(b.accuracy[i])}
                        for i in range(len(b.count))],
    }


def _training(report: Report) -> dict | None:
    training = report.training
    if training is None:
        return None
    return {"best_epoch": training.best_epoch, "stop_reason": training.stop_reason,
            "history": [{key: _num(value) for key, value in record.items()} for record in training.epochs],
            "recipe": training.recipe}


def _mistakes(report: Report) -> list | None:
    m = report.mistakes
    if m is None:
        return None
    return [{"row": _num(row), "true": report.classes[true], "predicted": report.classes[pred],
             "probability": _num(prob)} for row, true, pred, prob in zip(m.rows, m.true, m.predicted, m.probability)]


def _verdict(report: Report, lang: str) -> dict | None:
    verdict = report.verdict
    if verdict is None:
        return None
    return {"code": verdict.code if isinstance(verdict, Notice) else None, "message": verdict_text(report, lang)}


def report_to_dict(report: Report, lang: str = "en") -> dict:
    """The report as JSON-able Python objects (see docs/report.md for every key)."""
    support = report.support
    config = report.config
    headline = {name: report.headline.get(name) for name in HEADLINE}
    return {
        "schema": SCHEMA,
        "generator": f"multiclass {__version__}",
        "lang": lang,
        "subject": report.subject,
        "verdict": _verdict(report, lang),
        "source": {key: (None if value is None else str(value)) for key, value in report.source.items()},
        "settings": {"bootstrap": config.bootstrap, "seed": config.seed, "confidence": config.confidence,
                     "n_bins": config.n_bins, "small_count": config.small_count, "top_n": config.top_n},
        "classes": list(report.classes),
        "dataset": {
            "n_samples": report.n_samples,
            "n_classes": report.n_classes,
            "majority_class": report.classes[report.majority],
            "imbalance_ratio": _num(report.imbalance_ratio),
            "n_small_classes": int(((support > 0) & (support < config.small_count)).sum()),
            "n_absent_classes": int((support == 0).sum()),
        },
        "summary": {"n_samples": report.n_samples,
                    **{name: (None if e is None else _num(e.value)) for name, e in headline.items()}},
        "intervals": {name: _interval(e) for name, e in headline.items()},
        "baselines": {
            "majority": {"class": report.classes[report.majority],
                         **{name: _num(value) for name, value in report.baselines["majority"].items()}},
            "prior": {name: _num(value) for name, value in report.baselines["prior"].items()},
        },
        "per_class": _per_class(report),
        "ranking": [report.classes[c] for c in report.ranking],
        "confusion_matrix": (report.confusion.to_dict() if isinstance(report.confusion, SparseConfusion)
                             else report.confusion.tolist()),  # many classes: COO cells, not K x K
        "most_confused": [{"true": report.classes[p.true], "predicted": report.classes[p.predicted],
                           "count": p.count, "rate": _num(p.rate)} for p in report.most_confused],
        "calibration": _calibration(report),
        "training": _training(report),
        "confident_mistakes": _mistakes(report),
        "decision": decision_to_dict(report),
        "critical": critical_to_dict(report),
        "warnings": [{"code": n.code, "level": n.level, "message": notice_text(n, lang),
                      **{key: value for key, value in n.params.items()}} for n in report.notices],
    }


def report_to_json(report: Report, lang: str = "en") -> bytes:
    """UTF-8 JSON of `report_to_dict` (strict: no NaN), for `write_bytes_atomic`.

    Indented one space up to `FULL_TABLE` classes; compact beyond, where indenting would put each of the K x K
    matrix entries on a line of its own (a million lines at K = 1000).
    """
    document = report_to_dict(report, lang)
    if report.n_classes <= FULL_TABLE:
        return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False).encode()
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
