"""The terminal report at 80 columns (rich ``Console(width=80)``): no line longer than the width, no header cut
without an ellipsis ("critic…", never "critica"), in both languages, compact and detailed, for K = 3, 10 and 100
with long class names and a decision section; and the compact view is compact."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from rich.console import Console

from multiclass.decisions import DecisionConfig, fit_policy
from multiclass.report import ReportConfig, build_report, render_report
from multiclass.report.decision import build_decision
from multiclass.report.render.terminal import abbreviate
from tests.test_report_build import sample

NAMES = ["critical", "misaligned", "overheating", "a-rather-long-class-name-that-wraps", "seal-leak", "normal",
         "bearing-wear", "loose", "cracked-housing", "vibration"]


def _names(k: int) -> list[str]:
    return NAMES[:k] if k <= len(NAMES) else [f"sensor-{i:03d}-{'abcdefghij'[: i % 11]}" for i in range(k)]


def _report(k: int):
    n = 60 * k
    y, y_pred, probs, classes = sample(n=n, k=k, names=_names(k), signal=1.5)
    log_probs = np.log(probs)
    policy = fit_policy(log_probs[: n // 2], y[: n // 2], DecisionConfig(target_recall={classes[0]: 0.95}), classes)
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e, "val_macro_f1": 0.5} for e in range(1, 30)]
    return build_report(y, y_pred, classes, probs=probs, history=history, best_epoch=12, stop_reason="early_stopping",
                        images=np.random.default_rng(0).random((n, 16)), image_shape=(4, 4, 1),
                        config=ReportConfig(bootstrap=50), subject="test.csv",
                        decision=build_decision(y, log_probs, policy, classes=classes, config=ReportConfig(bootstrap=50)))


@pytest.fixture(scope="module")
def reports():
    return {k: _report(k) for k in (3, 10, 100)}


def _render(report, lang: str, details: bool, width: int = 80, soft_wrap: bool = False) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, markup=False, highlight=False, soft_wrap=soft_wrap)
    render_report(report, console, lang=lang, details=details)
    return console.export_text()


def _header_lines(text: str) -> list[str]:
    """Header rows: those of heavy-headed tables (┃) and the row above a simple table's rule."""
    lines = text.splitlines()
    return [line for i, line in enumerate(lines) if "┃" in line
            or (i + 1 < len(lines) and re.fullmatch(r"\s*─{10,}\s*", lines[i + 1]))]


def _cut_without_ellipsis(lines: list[str], names: list[str]) -> list[str]:
    tokens = {token for line in lines for token in re.split(r"[\s┃│]+", line) if token}
    return sorted(token for token in tokens if token not in names and len(token) >= 3
                  and any(name.startswith(token) for name in names))


@pytest.mark.parametrize("soft_wrap", [False, True], ids=["plain", "soft-wrap"])  # True: the CLI's console
@pytest.mark.parametrize("details", [False, True], ids=["compact", "details"])
@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("k", [3, 10, 100])
def test_80_columns(reports, k, lang, details, soft_wrap):
    text = _render(reports[k], lang, details, soft_wrap=soft_wrap)
    too_long = [line for line in text.splitlines() if len(line) > 80]
    assert too_long == []
    headers = _header_lines(text)
    assert headers
    assert _cut_without_ellipsis(headers, _names(k)) == []
    if k == 10:  # the matrix's column names are cut with an ellipsis to share the 80 columns
        assert re.search(r"\bcri\w*… ", "\n".join(headers)) and "critical " not in "\n".join(headers)


def test_the_check_catches_a_header_cut_without_ellipsis():
    assert _cut_without_ellipsis(["  critica  misalig  ok"], NAMES) == ["critica", "misalig"]
    assert _cut_without_ellipsis(["  critic…  misaligned"], NAMES) == []


def test_abbreviate():
    assert abbreviate("critical", 7) == "critic…" and abbreviate("ok", 7) == "ok" and abbreviate("abc", 1) == "…"


def test_compact_is_the_short_view(reports):
    compact, full = _render(reports[10], "en", False, 100), _render(reports[10], "en", True, 100)
    assert len(compact.splitlines()) < 0.6 * len(full.splitlines())
    assert "Row-normalised" not in compact and "reliability diagram" not in compact and "Method:" not in compact
    assert re.sub(r"\s+", " ", compact).rstrip().endswith("learning curve and the method.")  # the hint: --details
    assert "row-normalised" in full and "reliability diagram" in full and "Method:" in full
    for line in ("Expected calibration error (top label)", "Best epoch (weights restored): 12"):
        assert line in compact
