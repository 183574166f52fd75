"""Strings from data made safe where they land: a terminal (control characters shown escaped) and a spreadsheet
(cells that would start a formula are prefixed), each by one function used everywhere.

A class name, a column name or a file name comes from the user's data and may hold anything. Written raw to a
terminal, ``ESC [2J`` clears the screen and ``ESC ]0;...BEL`` sets the window title (or worse, on some terminals);
`terminal_safe` writes every C0 and C1 control character but newline and tab, DEL, and the bidirectional
overrides (which reorder what is shown) as ``\\x1b`` / ``\\u202e``. Opened in a spreadsheet, a predictions cell
``=HYPERLINK(...)`` runs as a formula: `csv_cell` follows OWASP's advice and prefixes a cell that starts with
``=``, ``+``, ``-``, ``@``, tab or carriage return with ``'`` -- unless the whole cell is a number (``-1``, ``+3.5``
are values, not formulas) -- and `csv_uncell` takes the prefix off when such a file is read back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["csv_cell", "csv_columns", "csv_uncell", "file_name_text", "terminal_safe"]

_CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}") for code in _CONTROLS
            if chr(code) not in "\n\t"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def terminal_safe(text: str) -> str:
    """`text` with its control characters (but newline and tab) written as escapes, safe to print.

    Examples
    --------
    >>> terminal_safe("cat\\x1b[2J")
    'cat\\\\x1b[2J'
    """
    return text.translate(_ESCAPES)


def file_name_text(name: str) -> str:
    """A name from the file system as text that can be written anywhere: bytes that are not UTF-8 (which Python
    carries as lone surrogates, unwritable to UTF-8) are shown escaped, a folder ``caf<0xE9>`` as ``caf\\xe9``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def csv_cell(text: str) -> str:
    """`text` as a spreadsheet will not run it: ``'`` before a cell that starts like a formula (OWASP).

    A text that already looks guarded (quotes before a formula) gets one more quote, so `csv_uncell` gives every
    text back: ``'=x`` is written ``''=x``.

    Examples
    --------
    >>> csv_cell("=1+2"), csv_cell("-1"), csv_cell("cat"), csv_cell("'=x")
    ("'=1+2", '-1', 'cat', "''=x")
    """
    return "'" + text if _starts_a_formula(text) or _looks_guarded(text) else text


def csv_uncell(text: str) -> str:
    """The value `csv_cell` was given: the ``'`` it added taken off (other cells are returned as they are)."""
    return text[1:] if _looks_guarded(text) else text


def _starts_a_formula(text: str) -> bool:
    return text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text)


def _looks_guarded(text: str) -> bool:
    """Quotes, then what starts a formula: a cell `csv_cell` guarded (or a text it must quote once more)."""
    return text.startswith("'") and _starts_a_formula(text.lstrip("'"))


def csv_columns(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns of a CSV about to be written, with `csv_cell` applied to the header and every text cell.

    The one guard of both predictions writers (`multiclass.predictions` on torch, `multiclass.runtime.output` on
    numpy), so they still write the same bytes. Numbers, and columns without text, are returned as they are.
    """
    import numpy as np  # here: the command line imports this module for `terminal_safe` before numpy

    guarded = {}
    for name, values in columns.items():
        values = np.asarray(values)
        if values.dtype == object:
            cache: dict[str, str] = {}
            cells = [cache.setdefault(v, csv_cell(v)) if isinstance(v, str) else v for v in values.tolist()]
            if any(a is not b for a, b in zip(cells, values.tolist())):
                values = np.array(cells, dtype=object)
        elif values.dtype.kind == "U":
            values = np.array([csv_cell(v) for v in values.tolist()], dtype=object)
        guarded[csv_cell(str(name))] = values
    return guarded
