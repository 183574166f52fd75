"""Every word the report shows, in English and Spanish, and the sentences built from them.

The catalogue is kept side by side, ``key: (English, Spanish)`` (`report` for the report, `decision` for the
decision section and the `compare` view), so a missing translation shows where it is written;
tests/test_report_strings.py checks that every key has both languages, with the same fields. `STRINGS[lang]` is
the plain ``key -> text`` view the renderers use. Numbers in sentences are formatted by `formatting.Formatter`
first.
"""

from __future__ import annotations

from pathlib import PurePath

from multiclass.language import LANGS
from multiclass.report.formatting import Formatter, check_lang
from multiclass.report.strings.critical import CRITICAL
from multiclass.report.strings.decision import COMPARE, DECISION
from multiclass.report.strings.report import REPORT
from multiclass.report.value import Notice, Report

__all__ = ["CATALOGUE", "STRINGS", "display_name", "method_lines", "notice_text", "plural", "report_title",
           "strings", "verdict_text"]

CATALOGUE = {**REPORT, **DECISION, **COMPARE, **CRITICAL}  # key -> (English, Spanish)
STRINGS = {lang: {key: texts[i] for key, texts in CATALOGUE.items()} for i, lang in enumerate(LANGS)}


def strings(lang: str) -> dict[str, str]:
    """The strings of `lang` ("en" or "es"); ConfigError otherwise."""
    return STRINGS[check_lang(lang)]


def plural(s: dict[str, str], key: str, count: int) -> str:
    """The template `key`, or its singular ``key_one`` when `count` is 1 and the language has one."""
    return s.get(f"{key}_one", s[key]) if count == 1 else s[key]


def display_name(path) -> str:
    """What a page shows of a path: its last part (``/home/ana/runs/model/`` -> ``model``), never the folders
    above it, which say nothing to a reader and reveal the writer's disk."""
    text = str(path)
    name = PurePath(text).name
    return name or text


def report_title(report: Report, lang: str, *, short_paths: bool = False) -> str:
    """"evaluation on <subject>" in `lang` (just "evaluation" without a subject); `short_paths`: the subject's
    file name only (the HTML page)."""
    s = strings(lang)
    if not report.subject:
        return s["title_plain"]
    return s["title_on"].format(subject=display_name(report.subject) if short_paths else report.subject)


def notice_text(notice: Notice, lang: str) -> str:
    """The sentence of a `Notice` in `lang`, its numbers formatted for the language (singular for a count of 1)."""
    fmt = Formatter(lang)
    params = {name: fmt.number(value) for name, value in notice.params.items()}
    return plural(strings(lang), f"notice_{notice.code}", notice.params.get("count", 0)).format(**params)


def verdict_text(report: Report, lang: str) -> str | None:
    """The report's verdict in `lang`: a `Notice` (its sentence ``notice_<code>``) or a plain string; None when
    the report has none."""
    verdict = report.verdict
    if verdict is None:
        return None
    if isinstance(verdict, tuple):
        return " ".join(notice_text(notice, lang) for notice in verdict)
    return notice_text(verdict, lang) if isinstance(verdict, Notice) else str(verdict)


def method_lines(report: Report, lang: str) -> list[str]:
    """The method notes shown under every rendering."""
    s, fmt, config = strings(lang), Formatter(lang), report.config
    lines = []
    if config.bootstrap:
        lines.append(s["method_intervals"].format(confidence=fmt.percent(config.confidence, 0),
                                                  n=fmt.integer(config.bootstrap), seed=config.seed,
                                                  small=config.small_count))
        log_loss = report.headline.get("log_loss")
        if report.source.get("read") == "streamed":
            lines.append(s["method_streamed"])
        elif log_loss is not None and log_loss.method == "normal":
            lines.append(s["method_normal"])
    else:
        lines.append(s["method_off"])
    lines.append(s["method_baselines"])
    if report.calibration is not None:
        lines.append(s["method_calibration"].format(bins=config.n_bins))
    if report.decision is not None:
        lines.append(s["method_decision"])
    lines.append(s["method_numbers"])
    return lines
