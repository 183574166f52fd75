"""The `multiclass compare` view: two models' scores on the same rows, B - A with its interval, McNemar's test,
every class's recall B - A (critical classes first; a `ModelComparison`), and one sentence saying whether B is
better than A and by what, in English or Spanish and in the report's number style: terminal, JSON and HTML."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from multiclass.metrics.compare import PairedComparison
from multiclass.report.comparison import ModelComparison
from multiclass.report.formatting import Formatter
from multiclass.report.render.cells import interval_text
from multiclass.report.strings import strings
from multiclass.report.value import Estimate

__all__ = ["comparison_rows", "comparison_to_html", "cost_row", "comparison_to_json", "comparison_verdict", "render_comparison",
           "verdict_code"]

_SCORES = ("accuracy", "macro_f1")
_SMALLEST_P = 0.001  # below this a p-value is written "< 0.001": more digits would be noise from the model's tails


def verdict_code(result: PairedComparison) -> str:
    """"b_better", "a_better" or "no_difference", by the accuracy interval of B - A and McNemar's test at the
    same level (1 - confidence); both must agree for a verdict."""
    accuracy = result.difference["accuracy"]
    significant = result.mcnemar.pvalue < 1 - result.confidence
    if significant and accuracy["low"] > 0:
        return "b_better"
    if significant and accuracy["high"] < 0:
        return "a_better"
    return "no_difference"


def comparison_verdict(result: PairedComparison | ModelComparison, lang: str = "en") -> str:
    """The verdict as a sentence: "B is better than A", "A is better than B" or "no clear difference"; for a
    `ModelComparison` decided by a metric or the critical classes, followed by what decided it and its numbers."""
    s, fmt = strings(lang), Formatter(lang)
    if not isinstance(result, ModelComparison):
        return s[f"verdict_{verdict_code(result)}"]
    verdict = s[f"verdict_{result.verdict}"]
    confidence = fmt.percent(result.paired.confidence, 0)
    if result.decided_by == "accuracy+mcnemar":
        return verdict
    if result.decided_by == "cost":
        _, cost_a, cost_b, value, interval, _ = cost_row(result, lang)
        return s["compare_why_cost"].format(verdict=verdict, cost_b=cost_b, cost_a=cost_a, value=value,
                                            confidence=confidence, interval=interval)
    if result.chosen is None:
        diff = result.paired.difference[result.decided_by]
        estimate = Estimate(diff["value"], diff["low"], diff["high"], "bootstrap")
        return s["compare_why_metric"].format(verdict=verdict, metric=s[result.decided_by],
                                              value=fmt.value(diff["value"], sign=True), confidence=confidence,
                                              interval=interval_text(fmt, s, estimate))
    chosen = result.chosen
    names = [f"'{result.classes[c]}'" for c in chosen.classes]
    what = names[0] if len(names) == 1 else s["compare_critical_pooled"].format(names=", ".join(names))
    estimate = Estimate(chosen.value, chosen.low, chosen.high, "bootstrap")
    return s["compare_why_recall"].format(verdict=verdict, what=what, found_b=fmt.integer(chosen.found_b),
                                          support=fmt.integer(chosen.support), found_a=fmt.integer(chosen.found_a),
                                          value=fmt.value(chosen.value, sign=True), confidence=confidence,
                                          interval=interval_text(fmt, s, estimate))


def cost_row(view: ModelComparison, lang: str = "en") -> tuple[str, ...] | None:
    """The headline table's cost row when a cost matrix is known: its name, A's and B's expected cost per row, B - A
    (signed), its interval and the share of resamples with B > A (B costing more), every number with the decimals
    of the larger cost (0.529, +0.002); None without a cost matrix."""
    cost = view.cost
    if cost is None:
        return None
    s, fmt = strings(lang), Formatter(lang)
    digits = fmt.digits(max(abs(cost.cost_a), abs(cost.cost_b)), "quantity")
    value = fmt.decimal(cost.value, digits)
    return (s["compare_cost_row"], fmt.decimal(cost.cost_a, digits), fmt.decimal(cost.cost_b, digits),
            f"+{value}" if cost.value > 0 else value, fmt.interval(cost.low, cost.high, digits),
            fmt.percent(cost.share_b_higher))


def comparison_rows(view: ModelComparison, lang: str = "en") -> list[tuple[str, ...]]:
    """The per-class table's rows, critical classes first: class (marked), support, found by A, by B, B - A in
    recall, its interval."""
    s, fmt = strings(lang), Formatter(lang)
    rows = []
    for c in view.order:
        d = view.per_class[c]
        name = view.classes[c] + (f" ({s['critical_mark']})" if c in view.critical else "")
        estimate = Estimate(d.value, d.low, d.high, "bootstrap" if d.value is not None else None)
        rows.append((name, fmt.integer(d.support), fmt.integer(d.found_a), fmt.integer(d.found_b),
                     fmt.value(d.value, sign=True) if d.value is not None else interval_text(fmt, s, None),
                     interval_text(fmt, s, estimate)))
    return rows


def _p_value(fmt: Formatter, p: float) -> str:
    return f"< {fmt.value(_SMALLEST_P, 'quantity')}" if p < _SMALLEST_P else fmt.value(p, "quantity")


def render_comparison(result: PairedComparison | ModelComparison, console: Console,
                      names: tuple[str, str] = ("A", "B"), *, lang: str = "en") -> None:
    """Print the comparison table (and a `ModelComparison`'s per-class table), McNemar's counts and p-value, and
    the verdict."""
    view = result if isinstance(result, ModelComparison) else None
    result = view.paired if view is not None else result
    s, fmt = strings(lang), Formatter(lang)
    confidence = fmt.percent(result.confidence, 0)
    table = Table(title=s["compare_title"].format(a=names[0], b=names[1], n=fmt.integer(result.n_samples)),
                  title_justify="left", caption_justify="left")
    table.add_column(s["metric"], overflow="fold")
    for column in ("A", "B"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column(s["compare_difference"], justify="right", no_wrap=True)
    table.add_column(s["interval"].format(confidence=confidence), justify="right", no_wrap=True)
    table.add_column(s["compare_share"], justify="right")
    for key in _SCORES:
        diff = result.difference[key]
        estimate = Estimate(diff["value"], diff["low"], diff["high"], "bootstrap")
        table.add_row(s[key], fmt.value(result.scores_a[key]), fmt.value(result.scores_b[key]),
                      fmt.value(diff["value"], sign=True),
                      interval_text(fmt, s, estimate),
                      fmt.percent(diff["share_b_better"]))
    priced = cost_row(view, lang) if view is not None else None
    if priced is not None:
        table.add_row(*priced)
    table.caption = s["compare_caption"].format(n=fmt.integer(result.n_resamples), seed=result.seed,
                                                confidence=confidence)
    console.print(table, soft_wrap=False)  # its caption wrapped at the width, even on a soft-wrapping console
    if view is not None:
        classes = Table(title=s["compare_per_class"], title_justify="left")
        classes.add_column(s["class"], overflow="fold")
        for label in (s["support"], s["found_a"], s["found_b"], s["compare_difference"],
                      s["interval"].format(confidence=confidence)):
            classes.add_column(label, justify="right")
        for row in comparison_rows(view, lang):
            classes.add_row(*row)
        console.print(classes, soft_wrap=False)
    m = result.mcnemar
    test = (s["mcnemar_exact"] if m.method == "exact"
            else s["mcnemar_chi2"].format(statistic=fmt.value(m.statistic, "quantity")))
    console.print(Text(s["mcnemar"].format(ab=fmt.integer(m.n_ab), ba=fmt.integer(m.n_ba), test=test,
                                           p=_p_value(fmt, m.pvalue))), soft_wrap=False, overflow="fold")
    console.print(Text(comparison_verdict(view if view is not None else result, lang), style="bold"))


def comparison_to_json(result: PairedComparison | ModelComparison, names: tuple[str, str] = ("A", "B"),
                       lang: str = "en") -> bytes:
    """UTF-8 JSON of the comparison: every number, the two model names, the verdict's code and its sentence in
    `lang`; for a `ModelComparison` also every class's recall difference, the critical classes and what decided."""
    view = result if isinstance(result, ModelComparison) else None
    paired = view.paired if view is not None else result
    document = {"model_a": names[0], "model_b": names[1], **paired.to_dict(), "lang": lang,
                "verdict_code": view.verdict if view is not None else verdict_code(paired),
                "verdict": comparison_verdict(result, lang)}
    if view is not None:
        document["decided_by"] = view.decided_by
        document["critical"] = [view.classes[c] for c in view.critical]
        document["cost"] = None if view.cost is None else view.cost.to_dict()
        document["per_class"] = [{"class": view.classes[c], **view.per_class[c].to_dict()} for c in view.order]
        for entry in document["per_class"]:
            entry.pop("classes")
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False).encode()


def comparison_to_html(view: ModelComparison, names: tuple[str, str] = ("A", "B"), lang: str = "en") -> str:
    """The comparison as one self-contained HTML page: the verdict first, then the two tables and McNemar's
    test."""
    from multiclass.report.render.html import environment

    s, fmt = strings(lang), Formatter(lang)
    paired = view.paired
    confidence = fmt.percent(paired.confidence, 0)
    headline = []
    for key in _SCORES:
        diff = paired.difference[key]
        estimate = Estimate(diff["value"], diff["low"], diff["high"], "bootstrap")
        headline.append((s[key], fmt.value(paired.scores_a[key]), fmt.value(paired.scores_b[key]),
                         fmt.value(diff["value"], sign=True), interval_text(fmt, s, estimate)))
    if view.cost is not None:
        headline.append(cost_row(view, lang)[:5])
    m = paired.mcnemar
    test = (s["mcnemar_exact"] if m.method == "exact"
            else s["mcnemar_chi2"].format(statistic=fmt.value(m.statistic, "quantity")))
    return environment().get_template("compare.html.j2").render(
        lang=lang, s=s, title=s["compare_title"].format(a=names[0], b=names[1], n=fmt.integer(paired.n_samples)),
        verdict=comparison_verdict(view, lang), headline=headline, rows=comparison_rows(view, lang),
        interval=s["interval"].format(confidence=confidence),
        caption=s["compare_caption"].format(n=fmt.integer(paired.n_resamples), seed=paired.seed,
                                            confidence=confidence),
        mcnemar=s["mcnemar"].format(ab=fmt.integer(m.n_ab), ba=fmt.integer(m.n_ba), test=test,
                                    p=_p_value(fmt, m.pvalue)))
