"""One function per sub-command: turn parsed flags into configs, call the library, print. Nothing more."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from multiclass import data
from multiclass.cli import sweep  # the sweep sub-command lives in its own module
from multiclass.cli import stream as streaming  # streamed and torchrun training
from multiclass.data.stream import should_stream
from multiclass.decisions import DecisionConfig
from multiclass.devices import resolve_device
from multiclass.exceptions import ConfigError
from multiclass.persistence import load_model, save_model
from multiclass.atomic import remove_stale_temporaries, write_bytes_atomic
from multiclass.prediction_files import write_predictions
from multiclass.report import (
    ReportConfig,
    render_datasets,
    render_evaluation,
    render_headline,
    render_html,
    render_report,
    report_to_json,
)
from multiclass.report.comparison import comparison_to_json, render_comparison
from multiclass.report.strings import strings
from multiclass.streamed import evaluate_stream, predict_stream
from multiclass.training import TrainConfig
from multiclass.training.checkpoint import checkpoint_path
from multiclass.workflow import (
    check_output_path,
    compare_models,
    evaluate_dataset,
    fit_dataset,
    load_for_model,
    predictions_frame,
    report_for_model,
    report_for_predictions,
    with_cost_matrix,
)

__all__ = ["COMMANDS"]

# Reader options of `train` that are saved with the model and reused by `evaluate` / `predict`.
_TRAIN_DATA_OPTIONS = ("kind", "target", "id_column", "ignore", "categorical", "text_column", "labels", "split",
                       "data_dir")


def _train_config(args) -> TrainConfig:
    config = TrainConfig(
        lr=args.lr, batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, label_smoothing=args.label_smoothing,
        val_split=args.val_split, monitor=args.monitor, patience=args.patience, min_delta=args.min_delta,
        lr_patience=args.lr_patience, class_weight=args.class_weight, seed=args.seed,
        device=args.device, engine=args.engine, precision=args.precision, compile_step=args.compile_step,
        verbose=not args.quiet, checkpoint_every=getattr(args, "checkpoint_every", 1),
    )
    resolve_device(config.device)  # `--device cuda` without a GPU fails now, not after reading the data
    return config


def _fit_and_report(args, console, dataset, config: TrainConfig, checkpoint=None, resume=False):
    decision = DecisionConfig(calibrate=args.calibrate, cost_matrix=args.cost_matrix,
                              target_recall=args.target_recall)
    trained, validation = fit_dataset(dataset, hidden=args.hidden, activation=args.activation, dropout=args.dropout,
                                      config=config, decision=decision, checkpoint=checkpoint, resume=resume)
    console.print(f"best epoch {trained.best_epoch} of {len(trained.history)} ({trained.stop_reason})")
    if validation is not None:
        render_evaluation(validation, console, title="validation")
    return trained


def train(args, console: Console) -> int:
    if args.out and args.resume and Path(args.out).resolve() != Path(args.resume).resolve():
        raise ConfigError(f"`--out` and `--resume` must name the same model directory; got {args.out!r} and "
                          f"{args.resume!r}.")
    out = args.out or args.resume  # the parser has made sure one is given
    check_output_path(out, model_dir=True)
    config = _train_config(args)
    if streaming.wanted(args):  # a table larger than memory, a folder of shards, or one rank under torchrun
        return streaming.train(args, console, config, out)
    dataset = data.load_dataset(args.data, **{name: getattr(args, name) for name in _TRAIN_DATA_OPTIONS})
    checkpoint = checkpoint_path(out)
    for written in (Path(out), checkpoint):  # leftovers of a run that was killed while writing
        remove_stale_temporaries(written)
    trained = _fit_and_report(args, console, dataset, config, checkpoint=checkpoint, resume=bool(args.resume))
    save_model(trained, out)
    if trained.stop_reason == "interrupted":
        print(f"interrupted after epoch {len(trained.history)}: the best model so far (epoch {trained.best_epoch}) "
              f"was written to {out}; continue with --resume {out}", file=sys.stderr)
        return 130
    checkpoint.unlink(missing_ok=True)
    console.print(f"model written to {out}")
    return 0


def _check_report_outputs(args) -> None:
    for path in (args.json_out, args.html):
        if path:
            check_output_path(path)


def _write_report(args, console: Console, report, title: str | None = None) -> None:
    render_report(report, console, lang=args.lang, title=title)
    s = strings(args.lang)
    if args.json_out:
        write_bytes_atomic(args.json_out, report_to_json(report, args.lang))
        console.print(s["written_json"].format(path=args.json_out))
    if args.html:
        write_bytes_atomic(args.html, render_html(report, lang=args.lang, title=title).encode())
        console.print(s["written_html"].format(path=args.html))


def evaluate(args, console: Console) -> int:
    _check_report_outputs(args)
    config = ReportConfig(bootstrap=args.bootstrap, seed=args.seed)
    trained = _with_decision_flags(load_model(args.model_dir), args)
    if _streams(args, trained):
        report = evaluate_stream(trained, args.data, config=config, batch_rows=args.batch_rows, subject=args.data,
                                 model_dir=args.model_dir)
    else:
        dataset = load_for_model(trained, args.data, kind=args.kind, labels=args.labels, data_dir=args.data_dir)
        report = report_for_model(trained, dataset, config=config, subject=args.data, model_dir=args.model_dir)
    _write_report(args, console, report)
    return 0


def _streams(args, trained) -> bool:
    """Whether evaluate / predict read the table in batches: asked for, or -- for a model trained on a table -- a
    folder of shards or a file too large to load (`multiclass.data.stream.should_stream`)."""
    table_model = trained.data_info.get("kind") == "table"
    if not (args.stream or (table_model and should_stream(args.data))):
        return False
    for name in ("labels", "data_dir"):
        if getattr(args, name, None):
            raise ConfigError(f"`--{name.replace('_', '-')}` does not apply to a streamed table; streaming reads "
                              "Parquet or CSV tables.")
    if args.kind not in (None, "table"):
        raise ConfigError(f"`--kind` must be 'table' when streaming; got {args.kind!r}.")
    return True


def report(args, console: Console) -> int:
    _check_report_outputs(args)
    config = ReportConfig(bootstrap=args.bootstrap, seed=args.seed)
    _write_report(args, console, report_for_predictions(args.predictions, config=config))
    return 0


def predict(args, console: Console) -> int:
    check_output_path(args.out, inputs=(args.data, args.model_dir))
    trained = _with_decision_flags(load_model(args.model_dir), args)
    if _streams(args, trained):
        n_rows = predict_stream(trained, args.data, args.out, top_k=args.top_k, batch_rows=args.batch_rows)
    else:
        dataset = load_for_model(trained, args.data, kind=args.kind, with_labels=False, labels=args.labels,
                                 data_dir=args.data_dir)
        frame = predictions_frame(trained, dataset, top_k=args.top_k)
        write_predictions(args.out, frame)  # CSV, or Parquet by extension
        n_rows = len(frame)
    console.print(f"{n_rows:,} predictions written to {args.out}")
    return 0


def _with_decision_flags(trained, args):
    """`--cost-matrix` on evaluate / predict overrides the model's own decision rule."""
    return with_cost_matrix(trained, args.cost_matrix) if args.cost_matrix else trained


def compare(args, console: Console) -> int:
    if args.json_out:
        check_output_path(args.json_out)
    model_a, model_b = load_model(args.model_a), load_model(args.model_b)
    result = compare_models(model_a, model_b, args.data, kind=args.kind, labels=args.labels, data_dir=args.data_dir,
                            n_resamples=args.bootstrap, seed=args.seed)
    names = (str(args.model_a), str(args.model_b))
    render_comparison(result, console, names)
    if args.json_out:
        write_bytes_atomic(args.json_out, comparison_to_json(result, names))
        console.print(f"comparison written to {args.json_out}")
    return 0


def demo(args, console: Console) -> int:
    """Train on the built-in dataset's train split and evaluate on its test split."""
    if args.out:
        check_output_path(args.out, model_dir=True)
    config = _train_config(args)
    train_set = data.load_builtin(args.dataset, split="train", data_dir=args.data_dir)
    console.print(f"{args.dataset}: {train_set.n_samples} training rows, {train_set.n_features} features, "
                  f"{train_set.n_classes} classes; network {train_set.n_features}-"
                  + "-".join(str(h) for h in (*args.hidden, train_set.n_classes)))
    trained = _fit_and_report(args, console, train_set, config)
    test_set = load_for_model(trained, args.dataset, kind="builtin", split="test", data_dir=args.data_dir)
    evaluation = evaluate_dataset(trained, test_set)
    render_evaluation(evaluation, console, title=f"test split of {args.dataset}")
    render_headline(evaluation, console, "test")
    if args.out:
        save_model(trained, args.out)
        console.print(f"model written to {args.out}")
    return 0


def datasets(args, console: Console) -> int:
    if args.download:  # the only command that touches the network, and only when asked
        folder = data.download(args.download, args.data_dir)
        console.print(f"{args.download}: IDX files checked against the published MD5 in {folder}")
    render_datasets(data.list_datasets(args.data_dir), console)
    return 0


COMMANDS = {"train": train, "evaluate": evaluate, "report": report, "predict": predict, "demo": demo,
            "datasets": datasets, "sweep": sweep.run, "compare": compare}
