"""The report's verdict about the classes that matter: `with_critical` adds it to a `Report`.

For each critical class the first sentence says how many of its rows the model finds, with a Wilson interval,
and how many it misses, and that accuracy hides it when the class's recall is well below the accuracy; then the
accuracy overall, what a decision policy changes (its numbers and the plain argmax's, alarms included), and the
classes never predicted. With the rows' probabilities (in-memory evaluation), a class found on fewer than
`WHAT_IF_RECALL` of its rows also gets what a threshold on its probability would cost to find that many, on these
rows ("To find 16 of 17 'critical', expect 377 alarms per 1,500 rows"); streamed reports have only counts and
say nothing of it. Without critical classes, a decision policy alone is still said first (the scores are
the policy's, not the argmax's). The missed rows (row number and id) are kept for the JSON and HTML.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

import multiclass.metrics as metrics
from multiclass.report.value import CriticalView, Estimate, Notice, Report

__all__ = ["HIDDEN_GAP", "MAX_MISSED", "WHAT_IF_MIN_ROWS", "WHAT_IF_RECALL", "alarms_to_find", "with_critical"]

# Accuracy "hides" a critical class whose recall is this far below it (10 points: 0.85 vs 0.06 is hidden, 0.85 vs
# 0.80 is not).
HIDDEN_GAP = 0.10
# Missed rows listed in the report (the count is always complete).
MAX_MISSED = 1000
# The what-if sentence: the recall a threshold on P(class) is asked to reach (the count is ceil(0.9 * support)),
# said only when the decided rows find fewer, and only for a class of at least `WHAT_IF_MIN_ROWS` rows (below,
# one row is 20 points of recall and "90 %" is all of them).
WHAT_IF_RECALL = 0.9
WHAT_IF_MIN_ROWS = 5
_NAMES = 10


def _percent(value: float) -> int:
    return int(round(100 * float(value)))


def _recall(found: int, support: int, confidence: float) -> Estimate:
    low, high = metrics.wilson_interval(np.array([found]), np.array([support]), confidence=confidence)
    return Estimate(found / support, float(low[0]), float(high[0]), "wilson")


def _policy_notice(report: Report, c: int) -> Notice | None:
    decision = report.decision
    if decision is None or decision.rule == "argmax":
        return None
    change = decision.changes[c]
    support = int(report.support[c])
    if not support:
        return None
    found_argmax = int(round(change.recall_argmax.value * support))
    precision_argmax = change.precision_argmax.value
    alarms_argmax = int(round(found_argmax / precision_argmax)) if precision_argmax else 0
    return Notice(f"critical_policy_{decision.rule}", "note", {
        "name": report.classes[c], "found": int(report.confusion[c, c]), "support": support,
        "alarms": int(report.per_class[c].n_predicted), "found_argmax": found_argmax, "alarms_argmax": alarms_argmax})


def alarms_to_find(scores, positive, k: int) -> tuple[int, int]:
    """The fewest rows a threshold on `scores` flags to catch `k` of the `positive` rows, and the positives caught.

    Rows are flagged when ``scores >= t``; the best ``t`` is the k-th largest score of a positive row, so the
    alarms are that row's position in the rows sorted by score, descending. Rows tied with it are flagged with it
    (no threshold splits them), so with ties the positives caught may exceed `k`.

    Parameters
    ----------
    scores : array-like of float, shape (n_samples,)
    positive : array-like of bool, shape (n_samples,)
    k : int
        1 <= k <= the number of positive rows.

    Returns
    -------
    alarms, found : int
    """
    scores, positive = np.asarray(scores, dtype=np.float64), np.asarray(positive, dtype=bool)
    n_positive = int(positive.sum())
    if not 1 <= k <= n_positive:
        raise ValueError(f"`k` must be between 1 and the {n_positive} positive rows; got {k!r}.")
    positive_scores = scores[positive]  # (P,)
    threshold = np.partition(positive_scores, n_positive - k)[n_positive - k]
    flagged = scores >= threshold  # (N,)
    return int(flagged.sum()), int((flagged & positive).sum())


def _what_if(report: Report, c: int, y_true, probs) -> dict | None:
    """The alarms a threshold on P(c) raises to find `WHAT_IF_RECALL` of class c's rows, when the decided rows
    find fewer (None otherwise, or without probabilities)."""
    support = int(report.support[c])
    if probs is None or y_true is None or support < WHAT_IF_MIN_ROWS:
        return None
    k = math.ceil(WHAT_IF_RECALL * support - 1e-9)  # 0.9 * 10 is 9.000000000000002 in floats
    if int(report.confusion[c, c]) >= k:
        return None
    alarms, found = alarms_to_find(probs[:, c], y_true == c, k)
    return {"recall": WHAT_IF_RECALL, "k": k, "found": found, "alarms": alarms, "n": report.n_samples}


def with_critical(report: Report, critical, y_true=None, y_pred=None, ids=None, probs=None) -> Report:
    """`report` with its verdict (and `CriticalView`) about the critical classes.

    Parameters
    ----------
    report : Report
    critical : sequence of int
        The critical classes' indices; none: only classes never predicted are named (a verdict of their own
        only when there is one).
    y_true, y_pred : array-like of int, shape (n_samples,), optional
        The rows behind the report, to list the missed ones (streamed reports have only counts).
    ids : array-like of shape (n_samples,), optional
        The rows' ids, listed beside their row numbers.
    probs : array-like of float, shape (n_samples, n_classes), optional
        The model's probabilities of the same rows (with `y_true`), for the what-if sentence.
    """
    critical = tuple(int(c) for c in critical)
    if y_true is not None:
        y_true = np.asarray(y_true)
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float64)  # (N, K)
        if y_true is None or probs.shape != (len(y_true), report.n_classes):
            rows = "no rows" if y_true is None else f"{len(y_true)} rows"
            raise ValueError(f"`probs` must have shape (n_samples, {report.n_classes}) for {rows} of labels; "
                             f"got {probs.shape!r}.")
    support = report.support
    predicted = np.asarray(report.confusion.sum(axis=0)).ravel()
    accuracy = report.headline["accuracy"].value
    notices, recalls, what_ifs = [], [], []
    for c in critical:
        n = int(support[c])
        name = report.classes[c]
        if n == 0:
            notices.append(Notice("critical_absent", "warning", {"name": name}))
            recalls.append(Estimate(None))
            what_ifs.append(None)
            continue
        found = int(report.confusion[c, c])
        recall = _recall(found, n, report.config.confidence)
        recalls.append(recall)
        hidden = recall.value < accuracy - HIDDEN_GAP
        notices.append(Notice("critical_hidden" if hidden else "critical_found", "warning" if hidden else "note", {
            "name": name, "found": found, "support": n, "missed": n - found, "recall": _percent(recall.value),
            "low": _percent(recall.low), "high": _percent(recall.high), "accuracy": _percent(accuracy)}))
        what_if = _what_if(report, c, y_true, probs)
        what_ifs.append(what_if)
        if what_if is not None:
            notices.append(Notice("critical_what_if", "note", {"name": name, "found": what_if["found"], "support": n,
                                                                 "alarms": what_if["alarms"], "n": what_if["n"]}))
    if critical:
        notices.append(Notice("overall", "note", {"accuracy": _percent(accuracy), "n": report.n_samples}))
        notices += [n for n in (_policy_notice(report, c) for c in critical) if n is not None]
    if not critical and report.decision is not None and report.decision.rule != "argmax":
        notices.append(Notice(f"policy_{report.decision.rule}", "note"))
    never = [c for c in range(report.n_classes) if support[c] > 0 and predicted[c] == 0]
    if never:
        names = [report.classes[c] for c in never]
        notices.append(Notice("never_predicted", "warning", {"count": len(never), "names": ", ".join(
            names[:_NAMES]) + (", ..." if len(names) > _NAMES else "")}))
    if not notices:
        return report
    missed, n_missed = (), 0
    if critical and y_true is not None and y_pred is not None:
        y_pred = np.asarray(y_pred)
        rows = np.flatnonzero(np.isin(y_true, critical) & (y_true != y_pred))  # (M,)
        n_missed = len(rows)
        id_values = None if ids is None else np.asarray(ids, dtype=object)
        missed = tuple({"row": int(r), "id": None if id_values is None else _plain(id_values[r]),
                        "true": int(y_true[r]), "predicted": int(y_pred[r])} for r in rows[:MAX_MISSED])
    view = CriticalView(critical, tuple(recalls), missed, n_missed, tuple(what_ifs)) if critical else None
    return replace(report, verdict=tuple(notices), critical=view)


def _plain(value):
    """An id as a JSON value (numpy scalars -> Python)."""
    return value.item() if isinstance(value, np.generic) else value if isinstance(value, (int, float)) else str(value)
