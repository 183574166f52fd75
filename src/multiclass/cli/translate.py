"""Error messages in the user's language: the library raises in English, the command line translates.

One mechanism for every message, wherever in the package it was raised: `multiclass.cli.errors.ERRORS` lists
English templates with named fields beside their Spanish ones, ``("{path}: the file is empty (no header line).",
"{path}: el archivo está vacío (no tiene línea de cabecera).")``. `translate` matches the whole message against
each English template in turn (a field matches any text, shortest first) and fills the Spanish template with the
fields found, unchanged: paths, column names, values and the text of other libraries stay as they were. A field
named ``message`` holds another message and is translated in turn (so does each item of a ``listing``, ``'name':
<message>; ...``); a field named ``reason`` holds the operating
system's words ("Permission denied"), translated from `errors.REASONS`, as is a bare ``<path>: <reason>`` of an
`OSError`. A message that matches no template is
shown in English (tests/test_cli_errors_*.py run the bad-input catalogue in Spanish and fail on any such message).
"""

from __future__ import annotations

import re
from functools import lru_cache

from multiclass.cli.errors import ERRORS, REASONS

__all__ = ["template_fields", "translate"]

_FIELD = re.compile(r"\{(\w+)\}")


def template_fields(template: str) -> list[str]:
    """The field names of `template`, in order."""
    return _FIELD.findall(template)


@lru_cache(maxsize=None)
def _patterns() -> list[tuple[re.Pattern, str]]:
    compiled = []
    for english, spanish in ERRORS:
        parts = _FIELD.split(english)  # literal, field, literal, field, ..., literal
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        compiled.append((re.compile(f"^{regex}$", re.DOTALL), spanish))
    return compiled


def _field(name: str, value: str, lang: str) -> str:
    if name == "message":
        return translate(value, lang) or value
    if name == "listing":  # "'a': every value is missing; 'b': ...": each column's reason in turn
        items = [item.rpartition(": ") for item in value.split("; ")]
        return "; ".join(f"{head}{sep}{translate(tail, lang) or tail}" for head, sep, tail in items)
    if name == "reason":
        return REASONS.get(value, value)
    return value


def translate(message: str, lang: str) -> str | None:
    """`message` in `lang`: itself in English; in Spanish, the translation of the first template it matches, or
    None when it matches none."""
    if lang == "en":
        return message
    for pattern, spanish in _patterns():
        found = pattern.match(message)
        if found:
            return spanish.format(**{name: _field(name, value, lang) for name, value in found.groupdict().items()})
    head, _, reason = message.rpartition(": ")  # "<path>: Permission denied", as an OSError prints
    if reason in REASONS:
        return f"{head}: {REASONS[reason]}" if head else REASONS[reason]
    return None
