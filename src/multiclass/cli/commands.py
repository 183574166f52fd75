"""One function per sub-command: flags -> the library's verb (`multiclass.jobs`) -> print and write. Nothing more.

Every command decides nothing about how its work runs (in memory or streamed, one process or several): the verb
does. This module is imported only once the command line has been parsed.
"""

from __future__ import annotations

import json
import sys

from rich.console import Console

import multiclass.data as data
from multiclass.atomic import write_bytes_atomic
from multiclass.audit import AuditConfig
from multiclass.audit import render_terminal as render_audit
from multiclass.cli.messages import say
from multiclass.cli.reports import check_report_outputs, write_report
from multiclass.cli.summary import announce_read, number, recipe_line, sets_line, stop_line
from multiclass.data.stream import StreamConfig
from multiclass.decisions import DecisionConfig
from multiclass.jobs.audit import audit as audit_data
from multiclass.jobs.compare import compare_models
from multiclass.jobs.evaluate import evaluate as evaluate_model
from multiclass.jobs.fit import fit, fit_dataset
from multiclass.jobs.inputs import check_output_path
from multiclass.jobs.sweep import sweep as sweep_grid
from multiclass.persistence import load_model, save_model
from multiclass.report import ReportConfig, render_report
from multiclass.report.render.comparison import comparison_to_html, comparison_to_json, render_comparison
from multiclass.report.strings import strings
from multiclass.sweep import expand_grid, leaderboard_to_dict, render_leaderboard
from multiclass.training import TrainConfig
from multiclass.training.recipes import SEARCHED, SETTINGS, Recipe

__all__ = ["COMMANDS"]

# The reader options of `train` (saved with the model and reused by `evaluate` / `predict`).
_READ_OPTIONS = ("kind", "target", "id_column", "ignore", "categorical", "text_column", "labels", "split", "data_dir")
_FORMAT_OPTIONS = ("sep", "header", "names", "na_values")
_NETWORK = ("hidden", "activation", "dropout")
_TRAIN_FIELDS = ("lr", "batch_size", "epochs", "l2", "label_smoothing", "val_split", "monitor", "patience",
                 "min_delta", "lr_patience", "class_weight", "seed", "device", "engine", "precision", "compile_step",
                 "checkpoint_every", "log_every", "precision_floor")


def _train_config(args) -> TrainConfig:
    """The `TrainConfig` of the flags given (the others keep their defaults, or the recipe's)."""
    given = {name: getattr(args, name) for name in _TRAIN_FIELDS if hasattr(args, name)}
    return TrainConfig(**given, verbose=not args.quiet)


def _recipe(args) -> Recipe:
    """The recipe named by ``--recipe``, with every hyperparameter flag that was given kept fixed."""
    return Recipe(args.recipe, {name: getattr(args, name) for name in (*SEARCHED, *SETTINGS) if hasattr(args, name)})


def _decision(args) -> DecisionConfig:
    return DecisionConfig(calibrate=getattr(args, "calibrate", False), cost_matrix=args.cost_matrix,
                          target_recall=getattr(args, "target_recall", None),
                          critical=tuple(getattr(args, "critical", ()) or ()), coverage=getattr(args, "coverage", None),
                          set_score=getattr(args, "set_score", "aps"), set_groups=getattr(args, "set_groups", "auto"),
                          set_calibration=getattr(args, "set_calibration", "split"))


def _pick(args, names) -> dict:
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def _read_options(args) -> dict:
    """The reader's options of the flags: the table format ones only when given (they apply to tables alone)."""
    formats = {name: getattr(args, name, None) for name in _FORMAT_OPTIONS}
    return {**_pick(args, _READ_OPTIONS), **{k: v for k, v in formats.items() if v is not None}}


def train(args, console: Console) -> int:
    out = args.out or args.resume  # the parser has made sure one is given, and the same one if both
    result = fit(args.data, out=out, resume=bool(args.resume), stream=args.stream or "auto",
                 **_pick(args, _NETWORK), config=_train_config(args), decision=_decision(args), recipe=_recipe(args),
                 stream_config=StreamConfig(shuffle_buffer=args.shuffle_buffer, batch_rows=args.batch_rows),
                 val_data=args.val_data, announce=announce_read(console, args.lang), drop_suspects=args.drop_suspects,
                 drop_critical=args.drop_critical, **_read_options(args))
    if not result.is_main:  # the other ranks of a torchrun job print nothing
        return 0
    lang, trained = args.lang, result.trained
    if "dropped_suspects" in trained.data_info:
        dropped = trained.data_info["dropped_suspects"]
        console.print(say("suspects_dropped_critical" if dropped["kept_critical"] else "suspects_dropped", lang,
                          **dropped))
    console.print(recipe_line(trained, lang))
    console.print(stop_line(trained, lang))
    if (sets := sets_line(trained, lang)) is not None:
        console.print(sets)
    if result.validation is not None:
        title = say("validation_title", lang, rows=number(result.validation.n_samples, lang))
        render_report(result.validation, console, lang=lang, title=title, details=args.details)
    if trained.stop_reason == "interrupted":
        print(say("interrupted_written", lang, epoch=len(trained.history), best=trained.best_epoch, path=out),
              file=sys.stderr)
        return 130
    console.print(say("model_written", lang, path=out))
    return 0


def compare(args, console: Console) -> int:
    for path in (args.json_out, args.html):
        if path:
            check_output_path(path, inputs=(args.data, args.model_a, args.model_b, args.costs))
    result = compare_models(load_model(args.model_a), load_model(args.model_b), args.data, n_resamples=args.bootstrap,
                            seed=args.seed, critical=args.critical, metric=args.metric, costs=args.costs,
                            **_pick(args, ("kind", "labels", "data_dir")))
    names = (str(args.model_a), str(args.model_b))
    render_comparison(result, console, names, lang=args.lang)
    if args.json_out:
        write_bytes_atomic(args.json_out, comparison_to_json(result, names, args.lang))
        console.print(say("comparison_written", args.lang, path=args.json_out))
    if args.html:
        write_bytes_atomic(args.html, comparison_to_html(result, names, args.lang).encode())
        console.print(strings(args.lang)["written_html"].format(path=args.html))
    return 0


def sweep(args, console: Console) -> int:
    for path, model_dir in ((args.out, True), (args.json_out, False)):
        if path:
            check_output_path(path, model_dir=model_dir)
    base = _train_config(args)
    # Every grid value is checked now (features and classes are placeholders), before any data is read.
    expand_grid(args.grid, base, n_features=1, n_classes=2, **_pick(args, _NETWORK))
    dataset = data.load_dataset(args.data, **_read_options(args))
    result = sweep_grid(dataset, grid=args.grid, config=base, **_pick(args, _NETWORK))
    board = result.leaderboard()
    render_leaderboard(board, console, top=args.top)
    best, lang = result.best, args.lang
    console.print(say("sweep_best", lang, trial=best.trial.label(), macro_f1=number(board[0].val_macro_f1, lang, 3),
                      epoch=best.best_epoch, n=number(len(board), lang), seconds=number(result.train_time, lang, 1)))
    if args.json_out:
        document = {"n_configurations": len(board), "train_time": result.train_time,
                    "validation_rows": len(result.y_val), "leaderboard": leaderboard_to_dict(board)}
        write_bytes_atomic(args.json_out, json.dumps(document, indent=1, allow_nan=False).encode())
        console.print(say("leaderboard_written", lang, path=args.json_out))
    if args.out:
        save_model(result.trained_model(), args.out)
        console.print(say("best_model_written", lang, path=args.out))
    return 0


def audit(args, console: Console) -> int:
    options = AuditConfig(filter_by=args.filter_by, rank_by=args.rank_by, top_n=args.top_n)
    run = audit_data(args.data, out=args.out, folds=args.folds, recipe=_recipe(args), **_pick(args, _NETWORK),
                     config=_train_config(args), audit_config=options, engine=args.fold_engine, lang=args.lang,
                     announce=announce_read(console, args.lang), **_read_options(args))
    render_audit(run.result, lang=args.lang, console=console)
    console.print(say("audit_written", args.lang, count=number(run.result.n_flagged, args.lang), path=args.out,
                      files=", ".join(path.name for path in run.written.values())))
    return 0


def demo(args, console: Console) -> int:
    """Train on the built-in dataset's train split and evaluate on its test split."""
    if args.out:
        check_output_path(args.out, model_dir=True)
    check_report_outputs(args)
    lang = args.lang
    train_set = data.load_builtin(args.dataset, split="train", data_dir=args.data_dir)
    console.print(say("demo_intro", lang, dataset=args.dataset, rows=number(train_set.n_samples, lang),
                      features=number(train_set.n_features, lang), classes=number(train_set.n_classes, lang)))
    fitted = fit_dataset(train_set, **_pick(args, _NETWORK), config=_train_config(args), decision=_decision(args),
                         recipe=_recipe(args))
    trained = fitted.trained
    console.print(recipe_line(trained, lang))
    console.print(stop_line(trained, lang))
    if args.out:
        save_model(trained, args.out)
        console.print(say("model_written", lang, path=args.out))
    title = say("test_split", lang, dataset=args.dataset)
    report = evaluate_model(trained, args.dataset, kind="builtin", data_dir=args.data_dir,
                           config=ReportConfig(bootstrap=args.bootstrap), subject=title)
    write_report(args, console, report, title=title)
    headline = report.headline
    console.print(say("demo_result", lang, accuracy=number(headline["accuracy"].value, lang, 3),
                      macro_f1=number(headline["macro_f1"].value, lang, 3), rows=number(report.n_samples, lang)))
    return 0


COMMANDS = {"train": train, "compare": compare, "sweep": sweep, "demo": demo, "audit": audit}
