"""An estimate written the same way in every rendering: ``0.953 (0.948–0.958)``, ``1.000 (no spread)`` or ``0.953``.

The terminal, the HTML page, the decision section and the `compare` view all write a value and its interval
through here, in the number style of `formatting.Formatter.value` (a score with 3 decimals, a quantity with 3
significant digits; the interval with the digits of its value).
"""

from __future__ import annotations

from multiclass.report.formatting import MISSING, Formatter
from multiclass.report.value import Estimate

__all__ = ["estimate_text", "interval_text", "method_label"]


def interval_text(fmt: Formatter, s: dict, estimate: Estimate | None, kind: str = "score") -> str:
    """The interval alone: ``0.948–0.958``; ``no spread`` when both bounds read as the value (every resample
    gave it); a dash when there is no interval."""
    if estimate is None or estimate.method is None or estimate.low is None or estimate.high is None:
        return MISSING
    digits = fmt.digits(estimate.value, kind)
    low, high = fmt.decimal(estimate.low, digits), fmt.decimal(estimate.high, digits)
    if low == high == fmt.decimal(estimate.value, digits):
        return s["no_spread"]
    return fmt.interval(estimate.low, estimate.high, digits)


def estimate_text(fmt: Formatter, s: dict, estimate: Estimate | None, kind: str = "score", *,
                  sign: bool = False) -> str:
    """The value, then its interval in parentheses when it has one."""
    value = fmt.value(None if estimate is None else estimate.value, kind, sign=sign)
    interval = interval_text(fmt, s, estimate, kind)
    return value if interval == MISSING else f"{value} ({interval})"


def method_label(s: dict, estimate: Estimate | None) -> str:
    """How an interval was obtained, in words (the HTML page's hover text); empty without an interval."""
    if estimate is None or estimate.method is None:
        return ""
    return s.get(f"interval_{estimate.method}", estimate.method)
