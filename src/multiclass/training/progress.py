"""Training progress on stderr: a live bar on a terminal, one log line per epoch anywhere else, or nothing.

On a terminal (stderr is a TTY) a rich bar shows the epochs done, the latest losses, the best epoch so far, the
epochs of patience left, the seconds per epoch and the time left (an upper bound: early stopping usually ends
sooner). When stderr is a file or a pipe -- CI logs, ``nohup``, ``2> train.log`` -- a bar would print nothing
until the end, so one plain line is written (and flushed) every `log_every` epochs instead -- at most one every
`min_interval` seconds when that is given (the search's many short stacks) -- and the last epoch's line always. When a run ends before its epoch limit (early stopping, Ctrl-C), the bar is completed at the epoch
reached and says so; the command line then writes why, in words. The words are English or Spanish (``key:
(English, Spanish)`` below), in the language the run speaks (`multiclass.language.current_lang`). The sweep
uses the same display with its own text (`Display.advance`).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from multiclass.classes import CRITICAL_MONITOR_PREFIX
from multiclass.language import LANGS, current_lang

__all__ = ["WORDS", "Display", "describe_epoch", "log_policy", "make_progress", "say_search"]

WORDS = {
    "train": ("train", "entrenamiento"),
    "sweep": ("sweep", "barrido"),
    "search": ("search", "búsqueda"),
    "stage_all": ("recipe auto: {n} candidates on all {rows} training rows",
                  "receta auto: {n} candidatos con las {rows} filas de entrenamiento"),
    "stage_folds": ("recipe auto: {n} candidates, {folds}-fold cross-validation on all {rows} rows",
                    "receta auto: {n} candidatos, validación cruzada en {folds} partes con las {rows} filas"),
    "stage_capacity": ("recipe auto, capacity: {n} network shapes on {rows} training rows",
                       "receta auto, capacidad: {n} formas de red con {rows} filas de entrenamiento"),
    "stage_regularisation": ("recipe auto, regularisation: {n} settings of L2 and dropout on {rows} training rows",
                             "receta auto, regularización: {n} ajustes de L2 y dropout con {rows} filas de "
                             "entrenamiento"),
    "epoch": ("epoch", "época"),
    "model": ("model", "modelo"),
    "loss": ("loss", "pérdida"),
    "val_loss": ("val_loss", "pérdida_val"),
    "val_macro_f1": ("val_macro_f1", "f1_macro_val"),
    "critical_recall": ("critical recall", "exhaustividad crítica"),
    "val_cost": ("val_cost", "coste_val"),
    "below_floor": ("below the precision floor", "bajo el mínimo de precisión"),
    "best_epoch": ("best epoch", "mejor época"),
    "patience": ("patience", "paciencia"),
    "per_epoch": ("s/epoch", "s/época"),
    "per_model": ("s/model", "s/modelo"),
    "left": ("left", "restante"),
    "at_most_left": ("at most {time} left", "como mucho {time} restantes"),
    "ended": ("ended at epoch {done} of {total}", "terminado en la época {done} de {total}"),
}


def _words(lang: str | None = None) -> dict[str, str]:
    index = LANGS.index(lang or current_lang())
    return {key: texts[index] for key, texts in WORDS.items()}


def _number(value: float, digits: int, lang: str) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "es" else text


def describe_epoch(record: dict, *, best_epoch: int = 0, epochs_since_best: int = 0,
                   patience: int | None = None, lang: str | None = None, monitor: str | None = None) -> str:
    """One line about an epoch: its losses (and the critical classes' recall, or the decisions' cost, when `monitor`
    watches them), the best epoch so far and the patience left (in `lang`, by default the language of the run)."""
    lang = lang or current_lang()
    w = _words(lang)
    parts = [f"{w['loss']} {_number(record['train_loss'], 4, lang)}"]
    if record.get("val_loss") is not None:
        parts += [f"{w['val_loss']} {_number(record['val_loss'], 4, lang)}",
                  f"{w['val_macro_f1']} {_number(record['val_macro_f1'], 4, lang)}"]
        if (monitor or "").startswith(CRITICAL_MONITOR_PREFIX):  # its score < 0: below the floor (`classes.Watched`)
            score = record["val_score"]
            parts.append(f"{w['critical_recall']} " + (_number(score, 4, lang) if score >= 0 else w["below_floor"]))
        if monitor == "val_cost":
            parts.append(f"{w['val_cost']} {_number(record['val_score'], 4, lang)}")
        if best_epoch:
            parts.append(f"{w['best_epoch']} {best_epoch}")
        if patience is not None:
            parts.append(f"{w['patience']} {max(patience - epochs_since_best, 0)}/{patience}")
    return "  ".join(parts)


def _duration(seconds: float, lang: str = "en") -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{_number(seconds / 3600, 1, lang)} h"


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
    monitor : str or None
        What early stopping watches: a ``val_critical`` monitor's score is shown (`describe_epoch`).
    min_interval : float, default=0
        Without a bar: write a line only once this many seconds have passed since the last one written (or the
        start); the last epoch's line is written in any case.
    unit : {"epoch", "model"}, default="epoch"
        What one `advance` counts: an epoch, or a model trained to its end (a sweep's models trained one by one,
        `multiclass.sweep.alone`).
    """

    def __init__(self, total_epochs: int, *, label: str = "train", patience: int | None = None,
                 stream: TextIO | None = None, log_every: int | None = None, monitor: str | None = None,
                 min_interval: float = 0.0, unit: str = "epoch"):
        self.total, self.label, self.patience, self.monitor, self.unit = total_epochs, label, patience, monitor, unit
        self.min_interval = min_interval
        self.lang = current_lang()
        self.words = _words(self.lang)
        self.stream = stream or sys.stderr
        self.done = 0
        self.last_line = ""  # the latest line not yet written (log lines every `log_every` epochs)
        self.started = self.written = time.perf_counter()
        live = log_every is None and getattr(self.stream, "isatty", lambda: False)()
        self.log_every = None if live else (log_every or 1)
        self.bar = self._bar() if live else None

    def _bar(self):
        from rich.console import Console  # rich's live display only where there is a terminal to draw on
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        name = self.words.get(self.label, self.label)
        progress = Progress(TextColumn(f"[bold]{name}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn(self.words["left"]),
                            TimeRemainingColumn(), console=Console(file=self.stream))
        self.task = progress.add_task(self.label, total=self.total, info="")
        return progress

    def __enter__(self):
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            if 0 < self.done < self.total:  # stopped early: a full bar at the epoch reached, not "60/100" forever
                ended = self.words["ended"].format(done=self.done, total=self.total)
                self.bar.update(self.task, total=self.done, completed=self.done, info=ended)
            self.bar.stop()
        elif self.last_line:  # the last epoch's line, when `log_every` skipped it
            print(self.last_line, file=self.stream, flush=True)
        return False

    def epoch_done(self, record: dict, *, best_epoch: int = 0, epochs_since_best: int = 0) -> None:
        """Report a training epoch (a `TrainResult.history` record)."""
        self.advance(describe_epoch(record, best_epoch=best_epoch, epochs_since_best=epochs_since_best,
                                    patience=self.patience, lang=self.lang, monitor=self.monitor))

    def advance(self, text: str) -> None:
        """One more epoch done, described by `text`."""
        self.done += 1
        now = time.perf_counter()
        elapsed = now - self.started
        per_epoch = elapsed / self.done
        w, lang = self.words, self.lang
        speed = f"{_number(per_epoch, 2, lang)} {w['per_' + self.unit]}"
        if self.bar is not None:
            self.bar.update(self.task, advance=1, info=f"{text}  {speed}")
            return
        left = w["at_most_left"].format(time=_duration(per_epoch * (self.total - self.done), lang))
        line = f"{w.get(self.label, self.label)} {w[self.unit]} {self.done}/{self.total}  {text}  {speed}  {left}"
        self.last_line = line
        due = self.done % self.log_every == 0 and now - self.written >= self.min_interval
        if due or self.done == self.total:
            print(line, file=self.stream, flush=True)
            self.last_line, self.written = "", now


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
                  stream: TextIO | None = None, log_every: int | None = None, monitor: str | None = None,
                  min_interval: float = 0.0, unit: str = "epoch"):
    """A `Display` when `verbose`, else a context manager that shows nothing."""
    if not verbose:
        return _Silent()
    return Display(total_epochs, label=label, patience=patience, stream=stream, log_every=log_every, monitor=monitor,
                   min_interval=min_interval, unit=unit)


# Without a terminal, the auto recipe's search writes a line at most every this many seconds of a stack, and its
# last: a small table's stacks take a second or two each, and a line every 10 epochs of them filled 150 lines of
# a log before the first word about the model.
SEARCH_LOG_SECONDS = 10.0


def log_policy(label: str, stream: TextIO | None = None) -> tuple[int | None, float]:
    """``(log_every, min_interval)`` of a stack's progress (`multiclass.sweep.loop`) on `stream` (default stderr):
    without a terminal, the auto recipe's search writes a line every `SEARCH_LOG_SECONDS` and its last, a sweep
    one every epoch; a terminal gets the live bar either way."""
    if label == "search" and not getattr(stream or sys.stderr, "isatty", lambda: False)():
        return 1, SEARCH_LOG_SECONDS
    return None, 0.0


def say_search(stage: str, n: int, rows: int, stream: TextIO | None = None, folds: int = 0) -> None:
    """One line on stderr as a stage of the auto recipe's search starts (`multiclass.jobs.recipe`)."""
    lang = current_lang()
    count = f"{rows:,}".replace(",", "." if lang == "es" else ",")
    print(_words(lang)[f"stage_{stage}"].format(n=n, rows=count, folds=folds), file=stream or sys.stderr, flush=True)
