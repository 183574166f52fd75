"""The training progress display (rich), or nothing at all when silenced."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["make_progress"]


class _Silent:
    """Same interface as `_Display`, doing nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def epoch_done(self, record: dict) -> None:
        pass


class _Display:
    """One bar over epochs; its text shows the latest train/val loss and validation macro-F1."""

    def __init__(self, total_epochs: int, console: Console | None = None):
        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console or Console(file=sys.stderr),
        )
        self.task = self.progress.add_task("train", total=total_epochs, info="")

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def epoch_done(self, record: dict) -> None:
        parts = [f"loss {record['train_loss']:.4f}"]
        if record.get("val_loss") is not None:
            parts += [f"val_loss {record['val_loss']:.4f}", f"val_macro_f1 {record['val_macro_f1']:.4f}"]
        self.progress.update(self.task, advance=1, info="  ".join(parts))


def make_progress(verbose: bool, total_epochs: int, console: Console | None = None):
    """A context manager with ``epoch_done(record)``: a rich bar when `verbose`, else a no-op."""
    return _Display(total_epochs, console) if verbose else _Silent()
