"""The sentences the command line writes about a run, in the language of ``--lang`` (`messages.MESSAGES`): how
training ended, what was read, what was written.
"""

from __future__ import annotations

from multiclass.classes import CRITICAL_MONITOR_PREFIX, CRITICAL_PRECISION_FLOOR
from multiclass.cli.messages import say
from multiclass.report.formatting import Formatter
from multiclass.report.value import candidates_tried
from multiclass.training.early_stopping import LOSS_TOLERANCE

__all__ = ["announce_read", "number", "recipe_line", "sets_line", "stop_line"]


def number(value, lang: str, digits: int | None = None) -> str:
    """An integer grouped (``1,234`` / ``12.345``), or a float with `digits` decimals, in `lang`'s style."""
    fmt = Formatter(lang)
    return fmt.integer(value) if digits is None else fmt.decimal(value, digits)


def _general(value, lang: str) -> str:
    """A hyperparameter as Python's ``g`` writes it (``0.001``, ``3e-04``), with a decimal comma in Spanish."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "es" else text


def recipe_line(trained, lang: str = "en") -> str:
    """``network 64-256-128-10, dropout 0.3, l2 0, lr 0.001, batch 32 (recipe auto: the best of 27 candidates on
    the validation rows)``: the network and training a recipe chose."""
    model, config, recipe = trained.model.config, trained.train_config, trained.recipe or {}
    folds = recipe.get("folds", 0)
    hidden = recipe["chosen"]["hidden"] if folds else model.hidden
    widths = "-".join(str(w) for w in (model.n_features, *hidden, model.n_classes))
    if folds:
        widths = say("fold_widths", lang, widths=widths, folds=folds)
    lbfgs = recipe.get("chosen", {}).get("solver") == "lbfgs"
    line = say("recipe_line_lbfgs" if lbfgs else "recipe_line", lang, widths=widths,
               dropout=_general(model.dropout, lang), l2=_general(config.l2, lang), lr=_general(config.lr, lang),
               batch=config.batch_size)
    fixed_epochs = recipe.get("chosen", {}).get("fixed_epochs") if folds else None
    if fixed_epochs:
        line = say("fixed_epochs_line", lang, line=line, epochs=number(fixed_epochs, lang))
    if config.class_weight == "balanced":  # the auto recipe's default for TF-IDF text, or asked
        line = say("balanced_weights", lang, line=line)
    elif config.class_weight == "sqrt_balanced":  # the auto recipe's default for tables and images, or asked
        line = say("sqrt_weights", lang, line=line)
    tried = candidates_tried(recipe)
    if tried and folds:
        return say("recipe_searched_folds", lang, line=line, name=recipe["name"], tried=tried, folds=folds)
    if tried:
        return say("recipe_searched", lang, line=line, name=recipe["name"], tried=tried)
    return say("recipe_named", lang, line=line, name=recipe["name"]) if recipe else line


def sets_line(trained, lang: str = "en") -> str | None:
    """``prediction sets: 95 % coverage, score aps, a threshold for 'critical' and one for the other classes,
    calibrated on 1,500 rows (held-out validation rows); predict --sets writes them``; None without sets."""
    sets = trained.conformal
    if sets is None:
        return None
    groups = sets.groups
    if len(set(groups)) == 1:
        words = say("sets_marginal", lang)
    elif len(set(groups)) == len(groups):
        words = say("sets_per_class", lang)
    else:
        names = ", ".join(f"'{name}'" for name, group in zip(trained.classes, groups) if group)
        words = say("sets_critical", lang, names=names)
    method = (say("sets_cross", lang, folds=sets.n_folds) if sets.method == "cross" else say("sets_split", lang))
    digits = 0 if float(100 * sets.coverage).is_integer() else 1
    return say("sets_line", lang, coverage=Formatter(lang).percent(sets.coverage, digits), score=sets.score,
               groups=words, rows=number(sum(sets.class_counts), lang), method=method)


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
    if monitor.startswith(CRITICAL_MONITOR_PREFIX):
        floor = config.precision_floor if config is not None else CRITICAL_PRECISION_FLOOR
        monitor, value = _critical_words(monitor, score, lang, floor)
    reason = trained.stop_reason
    if reason == "fold_average":
        epochs = (trained.recipe or {}).get("fold_best_epochs") or []
        return say("fold_average", lang, folds=len(epochs), epochs=", ".join(number(e, lang) for e in epochs))
    if reason == "fold_fixed":
        recipe = trained.recipe or {}
        return say("fold_fixed", lang, folds=recipe.get("folds", 0), epochs=number(len(history), lang))
    if reason == "fold_converged":
        return say("fold_converged", lang, folds=(trained.recipe or {}).get("folds", 0))
    if reason == "early_stopping":
        patience = config.patience if config is not None else None
        if patience and len(history) - best < patience:  # the loss still fell, by less than the tolerance
            return say("stopped_converged", lang, epoch=len(history), epochs=epochs, monitor=monitor,
                       tolerance=_general(LOSS_TOLERANCE, lang), patience=patience, best=best, value=value)
        return say("stopped_early", lang, epoch=len(history), epochs=epochs, monitor=monitor,
                   patience=patience if patience is not None else "?", best=best, value=value)
    if reason == "interrupted":
        return say("stopped_interrupted", lang, epoch=len(history), epochs=epochs, best=best, value=value)
    return say("ran_all_epochs", lang, count=len(history), epochs=len(history), best=best, value=value)


def _critical_words(monitor: str, score, lang: str, floor: float = CRITICAL_PRECISION_FLOOR) -> tuple[str, str]:
    """A ``val_critical:<classes>`` monitor in words, and its best score (one below the precision floor, where the
    score is the classes' mean F1 - 1, says so instead: `multiclass.classes.Watched`)."""
    names = monitor[len(CRITICAL_MONITOR_PREFIX):].split(",")
    fields = {"classes": ", ".join(f"'{name}'" for name in names), "floor": _general(floor, lang)}
    words = say("critical_monitor", lang, count=len(names), **fields)
    if score is None:
        return words, ""
    if score < 0:
        return words, say("critical_below_floor", lang, **fields)
    return words, say("best_critical", lang, value=number(score, lang, 4))


def announce_read(console, lang: str):
    """The callback `jobs.fit.fit` calls once the data is read: one line of rows, features and classes."""
    def announce(read: dict) -> None:
        key = "streamed_rows" if read["read"] == "streamed" else "read_rows"
        line = say(key, lang, rows=number(read["rows"], lang), features=number(read["features"], lang),
                   classes=number(read["classes"], lang))
        ranks = say("on_ranks", lang, ranks=read["ranks"]) if read["ranks"] > 1 else ""
        head, _, tail = line.partition(":")
        console.print(f"{head}{ranks}:{tail}")
        if "summary" in read:  # columns by type, what was left out or encoded, rare classes
            from multiclass.data.summary import summary_lines  # training only: predict reads no Dataset (scipy)

            for detail in summary_lines(read["summary"], lang)[1:]:
                console.print(f"  {detail}")

    return announce
