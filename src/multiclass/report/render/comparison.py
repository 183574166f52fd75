"""The `multiclass compare` view: two models' scores on the same rows, B - A with its interval, McNemar's test,
and one sentence saying whether B is better than A, in English or Spanish and in the report's number style."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from multiclass.metrics.compare import PairedComparison
from multiclass.report.formatting import Formatter
from multiclass.report.render.cells import interval_text
from multiclass.report.strings import strings
from multiclass.report.value import Estimate

__all__ = ["comparison_to_json", "comparison_verdict", "render_comparison", "verdict_code"]

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


def comparison_verdict(result: PairedComparison, lang: str = "en") -> str:
    """The verdict as a sentence: "B is better than A", "A is better than B" or "no clear difference"."""
    return strings(lang)[f"verdict_{verdict_code(result)}"]


def _p_value(fmt: Formatter, p: float) -> str:
    return f"< {fmt.value(_SMALLEST_P, 'quantity')}" if p < _SMALLEST_P else fmt.value(p, "quantity")


def render_comparison(result: PairedComparison, console: Console, names: tuple[str, str] = ("A", "B"), *,
                      lang: str = "en") -> None:
    """Print the comparison table, McNemar's counts and p-value, and the verdict."""
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
    table.caption = s["compare_caption"].format(n=fmt.integer(result.n_resamples), seed=result.seed,
                                                confidence=confidence)
    console.print(table, soft_wrap=False)  # its caption wrapped at the width, even on a soft-wrapping console
    m = result.mcnemar
    test = (s["mcnemar_exact"] if m.method == "exact"
            else s["mcnemar_chi2"].format(statistic=fmt.value(m.statistic, "quantity")))
    console.print(Text(s["mcnemar"].format(ab=fmt.integer(m.n_ab), ba=fmt.integer(m.n_ba), test=test,
                                           p=_p_value(fmt, m.pvalue))), soft_wrap=False, overflow="fold")
    console.print(Text(comparison_verdict(result, lang), style="bold"))


def comparison_to_json(result: PairedComparison, names: tuple[str, str] = ("A", "B"), lang: str = "en") -> bytes:
    """UTF-8 JSON of the comparison: every number, the two model names, the verdict's code and its sentence in
    `lang`."""
    document = {"model_a": names[0], "model_b": names[1], **result.to_dict(), "lang": lang,
                "verdict_code": verdict_code(result), "verdict": comparison_verdict(result, lang)}
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False).encode()
