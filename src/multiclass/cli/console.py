"""Where the command line prints: a rich console whose text from data cannot drive the terminal, and an output
stream that neither loses work on a closed pipe nor crashes on a character the terminal's encoding lacks.

- `SafeConsole` writes every piece of text it renders through `multiclass.safetext.terminal_safe`: a class named
  ``ESC [2J`` is shown as ``\\x1b[2J``, not obeyed. rich's own styles (colour, bold) are not text and pass.
- `SafeStream` wraps stdout: ``multiclass ... | head`` closes the pipe early, and the next write would raise
  BrokenPipeError and stop the command before its files are written; instead the stream falls silent (stdout is
  pointed at /dev/null, so Python's last flush is quiet too) and the command finishes. A character the stream's
  encoding cannot write (an em dash on an ASCII terminal) is written as an escape (``\\u2014``), not a crash.
- `warning_lines` prints each warning as one line, ``warning: <message>``, escaped like the rest (Python's own
  format adds the source line of the code that warned, and would print a class name from data raw).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import TextIO

from rich.console import Console
from rich.segment import Segment

from multiclass.safetext import terminal_safe

__all__ = ["SafeConsole", "SafeStream", "safe_stdout", "warning_lines"]


class SafeStream:
    """A text stream that swallows a closed pipe and escapes what its encoding cannot write."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.closed_pipe = False

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, text: str) -> int:
        if self.closed_pipe:
            return len(text)
        try:
            try:
                return self.stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                return self.stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        except BrokenPipeError:
            self._fall_silent()
            return len(text)

    def flush(self) -> None:
        if self.closed_pipe:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._fall_silent()

    def _fall_silent(self) -> None:
        self.closed_pipe = True
        try:  # Python flushes stdout once more at exit: let that write go nowhere instead of failing
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass


class SafeConsole(Console):
    """A rich `Console` that shows control characters in rendered text escaped (`terminal_safe`)."""

    def render_str(self, text: str, **kwargs):
        return super().render_str(terminal_safe(text), **kwargs)  # before layout: the widths are right

    def render(self, renderable, options=None):
        for segment in super().render(renderable, options):
            if segment.control is None and segment.text and terminal_safe(segment.text) != segment.text:
                yield Segment(terminal_safe(segment.text), segment.style, segment.control)
            else:
                yield segment


@contextlib.contextmanager
def safe_stdout() -> Iterator[SafeStream]:
    """sys.stdout wrapped in a `SafeStream` while the block runs (print() and the console both write through it)."""
    before = sys.stdout
    stream = before if isinstance(before, SafeStream) else SafeStream(before)
    sys.stdout = stream
    try:
        yield stream
    finally:
        sys.stdout = before


@contextlib.contextmanager
def warning_lines(words: Callable[[str], str] | None = None) -> Iterator[None]:
    """While the block runs, each warning shown is one escaped line (`terminal_safe`), not Python's two lines with
    the source of the code that warned. `words` makes the line of a warning's text (the command line names its
    flags and speaks the run's language); by default ``warning: <text>``."""
    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = words(str(message)) if words else f"warning: {message}"
        print(terminal_safe(text), file=file or sys.stderr, flush=True)

    with warnings.catch_warnings():
        # A chart cannot draw a control character of a class name: matplotlib's complaint is noise here.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        warnings.showwarning = show  # (not formatwarning: a caller recording warnings would not print the line)
        yield
