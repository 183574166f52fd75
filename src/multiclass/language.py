"""The language the package speaks to a person: English or Spanish, for messages written while work runs.

Renderers take their language as an argument (`render_report(..., lang="es")`). What is written from deep inside
a run -- the training progress lines -- cannot be handed one without threading it through every layer, so it asks
`current_lang()`: the language a face chose for the current context (`speaking`), else the ``MULTICLASS_LANG``
environment variable, else English. A context variable, not a global: two threads (or two in-process CLI calls
in a test) never see each other's choice. Imports only the standard library (the CLI's parser uses it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["ENV", "LANGS", "current_lang", "default_lang", "speaking"]

LANGS = ("en", "es")
ENV = "MULTICLASS_LANG"
_CHOSEN: ContextVar[str | None] = ContextVar("multiclass_lang", default=None)


def default_lang() -> str:
    """``$MULTICLASS_LANG`` when it names a language of `LANGS` (``es``, ``es_ES.UTF-8``...), else ``"en"``."""
    value = os.environ.get(ENV, "").strip().lower()[:2]
    return value if value in LANGS else "en"


def current_lang() -> str:
    """The language chosen with `speaking` in this context, else `default_lang()`."""
    return _CHOSEN.get() or default_lang()


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[str]:
    """Within the ``with`` block, `current_lang()` is `lang` (one of `LANGS`)."""
    if lang not in LANGS:
        raise ValueError(f"`lang` must be one of {', '.join(LANGS)}; got {lang!r}.")
    token = _CHOSEN.set(lang)
    try:
        yield lang
    finally:
        _CHOSEN.reset(token)
