"""The `multiclass compare` view: two models' scores on the same rows, B - A with its interval, McNemar's test,
and one sentence saying whether B is better than A. English only, like the CLI's other short views."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from multiclass.metrics.compare import PairedComparison

__all__ = ["comparison_to_json", "comparison_verdict", "render_comparison"]

_SCORES = (("accuracy", "accuracy"), ("macro_f1", "macro-F1"))


def comparison_verdict(result: PairedComparison) -> str:
    """"B is better than A", "A is better than B" or "no clear difference", by the accuracy interval of B - A
    and McNemar's test at the same level (1 - confidence); both must agree for a verdict."""
    accuracy = result.difference["accuracy"]
    significant = result.mcnemar.pvalue < 1 - result.confidence
    if significant and accuracy["low"] > 0:
        return "B is better than A"
    if significant and accuracy["high"] < 0:
        return "A is better than B"
    return "no clear difference between A and B"


def render_comparison(result: PairedComparison, console: Console, names: tuple[str, str] = ("A", "B")) -> None:
    """Print the comparison table, McNemar's counts and p-value, and the verdict."""
    level = f"{100 * result.confidence:g}%"
    table = Table(title=f"A = {names[0]}, B = {names[1]} ({result.n_samples:,} rows)", title_justify="left")
    for column in ("metric", "A", "B", "B - A", f"{level} interval", "resamples B > A"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for key, label in _SCORES:
        diff = result.difference[key]
        table.add_row(label, f"{result.scores_a[key]:.4f}", f"{result.scores_b[key]:.4f}", f"{diff['value']:+.4f}",
                      f"{diff['low']:+.4f} to {diff['high']:+.4f}", f"{100 * diff['share_b_better']:.1f}%")
    table.caption = (f"paired bootstrap of the rows: {result.n_resamples:,} resamples, seed {result.seed}")
    console.print(table)
    m = result.mcnemar
    test = "exact binomial" if m.method == "exact" else f"chi-square {m.statistic:.3f} with continuity correction"
    console.print(Text(f"McNemar: {m.n_ab:,} rows right by A only, {m.n_ba:,} by B only; {test}, "
                       f"p = {m.pvalue:.4g}"))
    console.print(Text(comparison_verdict(result), style="bold"))


def comparison_to_json(result: PairedComparison, names: tuple[str, str] = ("A", "B")) -> bytes:
    """UTF-8 JSON of the comparison (every number, the verdict and the two model names)."""
    document = {"model_a": names[0], "model_b": names[1], **result.to_dict(), "verdict": comparison_verdict(result)}
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False).encode()
