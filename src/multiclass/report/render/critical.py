"""The critical classes' section of the JSON and the HTML: each class's recall with its interval, and the rows
of a critical class the model missed (row number from 0 and id), as `multiclass.report.critical` found them."""

from __future__ import annotations

from multiclass.report.formatting import Formatter
from multiclass.report.value import Report

__all__ = ["critical_context", "critical_to_dict"]


def critical_to_dict(report: Report) -> dict | None:
    """``{"classes": [{"class", "support", "found", "recall", "low", "high", "what_if"}], "missed": [{"row", "id",
    "true", "predicted"}], "n_missed"}``, or None without critical classes (``what_if``: `CriticalView.what_if`'s
    dict or None)."""
    view = report.critical
    if view is None:
        return None
    classes = []
    what_ifs = view.what_if or (None,) * len(view.classes)
    for c, recall, what_if in zip(view.classes, view.recall, what_ifs, strict=True):
        classes.append({"class": report.classes[c], "support": int(report.support[c]),
                        "found": int(report.confusion[c, c]), "recall": recall.value, "low": recall.low,
                        "high": recall.high, "what_if": None if what_if is None else dict(what_if)})
    missed = [{"row": m["row"], "id": m["id"], "true": report.classes[m["true"]],
               "predicted": report.classes[m["predicted"]]} for m in view.missed]
    return {"classes": classes, "missed": missed, "n_missed": view.n_missed}


def critical_context(report: Report, s: dict, fmt: Formatter) -> dict | None:
    """What the HTML template shows of the missed critical rows (None when there are none to list)."""
    view = report.critical
    if view is None or not view.missed:
        return None
    with_ids = any(m["id"] is not None for m in view.missed)
    rows = [(fmt.integer(m["row"]), "" if m["id"] is None else str(m["id"]), report.classes[m["true"]],
             report.classes[m["predicted"]]) for m in view.missed]
    return {"rows": rows, "with_ids": with_ids,
            "caption": s["missed_caption"].format(shown=fmt.integer(len(rows)), total=fmt.integer(view.n_missed))}
