"""Training progress on stderr: a live bar on a terminal, one log line per epoch anywhere else, or nothing.

On a terminal (stderr is a TTY) a rich bar shows the epochs done, the latest losses, the best epoch so far, the
epochs of patience left, the seconds per epoch and the time left (an upper bound: early stopping usually ends
sooner). When stderr is a file or a pipe -- CI logs, ``nohup``, ``2> train.log`` -- a bar would print nothing
until the end, so one plain line is written (and flushed) every `log_every` epochs instead. The sweep uses the
same display with its own text (`Display.advance`).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Display", "describe_epoch", "make_progress"]


def describe_epoch(record: dict, *, best_epoch: int = 0, epochs_since_best: int = 0,
                   patience: int | None = None) -> str:
    """One line about an epoch: its losses, the best epoch so far and the patience left."""
    parts = [f"loss {record['train_loss']:.4f}"]
    if record.get("val_loss") is not None:
        parts += [f"val_loss {record['val_loss']:.4f}", f"val_macro_f1 {record['val_macro_f1']:.4f}"]
        if best_epoch:
            parts.append(f"best epoch {best_epoch}")
        if patience is not None:
            parts.append(f"patience {max(patience - epochs_since_best, 0)}/{patience}")
    return "  ".join(parts)


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Display:
    """Progress over `total_epochs`; ``epoch_done(record, ...)`` for training, ``advance(text)`` for any loop.

    Parameters
    ----------
    total_epochs : int
    label : str, default="train"
        The first word of every line.
    patience : int or None
        Shown as the patience left after the best epoch.
    stream : text file, default=sys.stderr
    log_every : int or None
        Write a line every this many epochs; None: a live bar on a terminal, a line per epoch elsewhere.
    """

    def __init__(self, total_epochs: int, *, label: str = "train", patience: int | None = None,
                 stream: TextIO | None = None, log_every: int | None = None):
        self.total, self.label, self.patience = total_epochs, label, patience
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.perf_counter()
        live = log_every is None and getattr(self.stream, "isatty", lambda: False)()
        self.log_every = None if live else (log_every or 1)
        self.bar = self._bar() if live else None

    def _bar(self):
        from rich.console import Console  # rich's live display only where there is a terminal to draw on
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        progress = Progress(TextColumn(f"[bold]{self.label}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("left"),
                            TimeRemainingColumn(), console=Console(file=self.stream))
        self.task = progress.add_task(self.label, total=self.total, info="")
        return progress

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False

    def epoch_done(self, record: dict, *, best_epoch: int = 0, epochs_since_best: int = 0) -> None:
        """Report a training epoch (a `TrainResult.history` record)."""
        self.advance(describe_epoch(record, best_epoch=best_epoch, epochs_since_best=epochs_since_best,
                                    patience=self.patience))

    def advance(self, text: str) -> None:
        """One more epoch done, described by `text`."""
        self.done += 1
        elapsed = time.perf_counter() - self.started
        per_epoch = elapsed / self.done
        if self.bar is not None:
            self.bar.update(self.task, advance=1, info=f"{text}  {per_epoch:.2f} s/epoch")
        elif self.done % self.log_every == 0 or self.done == self.total:
            left = per_epoch * (self.total - self.done)
            print(f"{self.label} epoch {self.done}/{self.total}  {text}  {per_epoch:.2f} s/epoch  "
                  f"at most {_duration(left)} left", file=self.stream, flush=True)


class _Silent:
    """Same interface as `Display`, doing nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def epoch_done(self, record: dict, **_) -> None:
        pass

    def advance(self, text: str) -> None:
        pass


def make_progress(verbose: bool, total_epochs: int, *, label: str = "train", patience: int | None = None,
                  stream: TextIO | None = None, log_every: int | None = None):
    """A `Display` when `verbose`, else a context manager that shows nothing."""
    if not verbose:
        return _Silent()
    return Display(total_epochs, label=label, patience=patience, stream=stream, log_every=log_every)
