"""The sentences the command line writes about a run, in the language of ``--lang`` (`messages.MESSAGES`): how
training ended, what was read, what was written.
"""

from __future__ import annotations

from multiclass.cli.messages import say
from multiclass.report.formatting import Formatter

__all__ = ["announce_read", "number", "stop_line"]


def number(value, lang: str, digits: int | None = None) -> str:
    """An integer grouped (``1,234`` / ``12.345``), or a float with `digits` decimals, in `lang`'s style."""
    fmt = Formatter(lang)
    return fmt.integer(value) if digits is None else fmt.decimal(value, digits)


def stop_line(trained, lang: str = "en") -> str:
    """How training ended, in words: early stopping (after how many epochs of no improvement of what), the epoch
    limit or an interruption, and which epoch's weights the model has."""
    config = trained.train_config
    history = trained.history
    epochs = config.epochs if config is not None else len(history)
    monitor = config.monitor if config is not None else "val_loss"
    best = trained.best_epoch
    record = history[best - 1] if 0 < best <= len(history) else {}
    score = record.get("val_score")
    value = "" if score is None else say("best_value", lang, monitor=monitor, value=number(score, lang, 4))
    reason = trained.stop_reason
    if reason == "early_stopping":
        return say("stopped_early", lang, epoch=len(history), epochs=epochs, monitor=monitor,
                   patience=config.patience if config is not None else "?", best=best, value=value)
    if reason == "interrupted":
        return say("stopped_interrupted", lang, epoch=len(history), epochs=epochs, best=best, value=value)
    return say("ran_all_epochs", lang, count=len(history), epochs=len(history), best=best, value=value)


def announce_read(console, lang: str):
    """The callback `jobs.fit.fit` calls once the data is read: one line of rows, features and classes."""
    def announce(read: dict) -> None:
        key = "streamed_rows" if read["read"] == "streamed" else "read_rows"
        line = say(key, lang, rows=number(read["rows"], lang), features=number(read["features"], lang),
                   classes=number(read["classes"], lang))
        ranks = say("on_ranks", lang, ranks=read["ranks"]) if read["ranks"] > 1 else ""
        head, _, tail = line.partition(":")
        console.print(f"{head}{ranks}:{tail}")

    return announce
