"""Numbers formatted for a language, without the system's locales (which may be missing, and are process-global).

English: ``1,234,567`` and ``0.953``. Spanish: ``1.234.567`` and ``0,953``; like CLDR's ``es`` locale, a
4-digit integer is not grouped (``2458``, but ``12.458``) and a percent sign follows a space (``95 %``).

One number style for the whole report (`Formatter.value`): a *score* or share (accuracy, precision, recall,
F1, rates, confidences: numbers in [0, 1] read side by side) has 3 decimals, so that 0.953 and 0.948 line up; a
*quantity* (log-loss, calibration errors, Brier score, costs, temperatures, ratios: numbers whose size varies)
has 3 significant digits, so that an ECE of 0.0123 keeps its information and a loss of 2.30 does not pretend to
four digits. An interval is written with the digits of its value, ``low–high``, or ``low – high`` with spaces
when a bound is negative (``-0.160 – -0.120``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from multiclass.exceptions import ConfigError
from multiclass.language import LANGS

__all__ = ["KINDS", "LANGS", "Formatter", "check_lang"]

MISSING = "—"  # an undefined or absent value
KINDS = ("score", "quantity")
_SCORE_DECIMALS = 3
_SIGNIFICANT = 3
_MAX_DECIMALS = 6  # a quantity of 1e-9 is written 0.000000, not with 11 decimals


def check_lang(lang) -> str:
    """ConfigError unless `lang` is one of `LANGS`."""
    if lang not in LANGS:
        raise ConfigError(f"`lang` must be one of {', '.join(LANGS)}; got {lang!r}.")
    return lang


@dataclass(frozen=True)
class _Style:
    decimal: str
    group: str
    min_grouping: int  # CLDR minimumGroupingDigits: group only integers of at least 3 + min_grouping digits
    percent: str  # between the number and "%"


_STYLES = {"en": _Style(".", ",", 1, ""), "es": _Style(",", ".", 2, "\N{NO-BREAK SPACE}")}


class Formatter:
    """Format numbers for `lang`.

    Examples
    --------
    >>> en, es = Formatter("en"), Formatter("es")
    >>> en.integer(1234567), es.integer(1234567), es.integer(2458), es.integer(12458)
    ('1,234,567', '1.234.567', '2458', '12.458')
    >>> en.decimal(0.95312), es.decimal(0.95312), es.decimal(-12345.5, 1)
    ('0.953', '0,953', '-12.345,5')
    >>> es.interval(0.9481, 0.9583), es.percent(0.953)
    ('0,948–0,958', '95,3\\xa0%')
    """

    def __init__(self, lang: str = "en") -> None:
        self.lang = check_lang(lang)
        self._style = _STYLES[lang]

    def _group(self, digits: str) -> str:
        """Insert group separators into a string of digits."""
        if len(digits) < 3 + self._style.min_grouping:
            return digits
        head = len(digits) % 3 or 3
        parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
        return self._style.group.join(parts)

    def integer(self, value) -> str:
        if value is None:
            return MISSING
        value = int(value)
        return ("-" if value < 0 else "") + self._group(str(abs(value)))

    def decimal(self, value, digits: int = 3) -> str:
        """`value` with `digits` decimals; None and NaN give a dash, infinities a signed ∞."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return MISSING
        value = float(value)
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        text = f"{abs(value):.{digits}f}"
        whole, _, fraction = text.partition(".")
        sign = "-" if value < 0 and float(text) != 0 else ""
        return sign + self._group(whole) + (self._style.decimal + fraction if fraction else "")

    def interval(self, low, high, digits: int = 3) -> str:
        """``low–high`` with an en dash (unambiguous with a decimal comma), spaced when a bound is negative
        (``-0.160 – -0.120``); a dash when there is none."""
        if low is None or high is None:
            return MISSING
        dash = " – " if min(float(low), float(high)) < 0 else "–"
        return f"{self.decimal(low, digits)}{dash}{self.decimal(high, digits)}"

    @staticmethod
    def digits(value, kind: str = "score") -> int:
        """Decimals that `value` of `kind` is written with: 3 for a score, 3 significant digits for a quantity.

        >>> Formatter.digits(0.5), Formatter.digits(0.0123, "quantity"), Formatter.digits(2.3026, "quantity")
        (3, 4, 2)
        """
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {', '.join(KINDS)}; got {kind!r}.")
        if kind == "score" or value is None:
            return _SCORE_DECIMALS
        value = abs(float(value))
        if not math.isfinite(value) or value == 0:
            return _SCORE_DECIMALS
        return min(_MAX_DECIMALS, max(0, _SIGNIFICANT - 1 - math.floor(math.log10(value))))

    def value(self, value, kind: str = "score", *, sign: bool = False) -> str:
        """`value` in the report's number style (see the module docstring); `sign`: ``+`` before a positive one.

        >>> en = Formatter("en")
        >>> en.value(0.95312), en.value(1.0301, "quantity"), en.value(0.012345, "quantity"), en.value(0.05, sign=True)
        ('0.953', '1.03', '0.0123', '+0.050')
        """
        text = self.decimal(value, self.digits(value, kind))
        positive = value is not None and not (isinstance(value, float) and math.isnan(value)) and float(value) > 0
        return f"+{text}" if sign and positive else text

    def percent(self, fraction, digits: int = 1) -> str:
        if fraction is None:
            return MISSING
        return f"{self.decimal(100 * float(fraction), digits)}{self._style.percent}%"

    def number(self, value) -> str:
        """An int as an integer, a float as a score (3 decimals), anything else as text (notice parameters)."""
        if isinstance(value, bool) or value is None:
            return str(value)
        if isinstance(value, int):
            return self.integer(value)
        if isinstance(value, float):
            return self.decimal(value)
        if isinstance(value, (list, tuple)):
            return ", ".join(str(item) for item in value)
        return str(value)
