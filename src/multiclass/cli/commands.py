"""One function per sub-command: turn parsed flags into configs, call the library, print. Nothing more."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from multiclass import data
from multiclass.exceptions import ConfigError, DataError
from multiclass.persistence import load_model, save_model, write_bytes_atomic
from multiclass.report import render_datasets, render_evaluation
from multiclass.training import TrainConfig
from multiclass.workflow import evaluate_dataset, fit_dataset, predictions_frame

__all__ = ["COMMANDS"]


def _class_weight(text: str | None):
    if text is None or text == "balanced":
        return text
    weights = {}
    for part in text.split(","):
        name, sep, value = part.rpartition("=")
        try:
            weights[name] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ConfigError(f"`--class-weight` must be 'balanced' or name=weight,name=weight; got {text!r}.")
    return weights


def _train_config(args) -> TrainConfig:
    return TrainConfig(
        lr=args.lr, batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, label_smoothing=args.label_smoothing,
        val_split=args.val_split, monitor=args.monitor, patience=args.patience, min_delta=args.min_delta,
        lr_patience=args.lr_patience, class_weight=_class_weight(args.class_weight), seed=args.seed,
        device=args.device, verbose=not args.quiet,
    )


def _data_options(args, names) -> dict:
    return {name: getattr(args, name, None) for name in names}


def _check_output_dir(path: str) -> None:
    """Fail before training, not after, when the output cannot be written."""
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise DataError(f"{path}: the directory {parent} does not exist.")


def _fit_and_report(args, console, dataset):
    trained, validation = fit_dataset(dataset, hidden=args.hidden, activation=args.activation, dropout=args.dropout,
                                      config=_train_config(args))
    console.print(f"best epoch {trained.best_epoch} of {len(trained.history)} ({trained.stop_reason})")
    if validation is not None:
        render_evaluation(validation, console, title="validation")
    return trained


def train(args, console: Console) -> int:
    _check_output_dir(args.out)
    options = _data_options(args, ("kind", "target", "id_column", "ignore", "categorical", "text_column", "labels",
                                   "split", "data_dir"))
    dataset = data.load_dataset(args.data, **options)
    trained = _fit_and_report(args, console, dataset)
    save_model(trained, args.out)
    console.print(f"model written to {args.out}")
    return 0


def _load_for(trained, args):
    options = dict(trained.data_info.get("load_options", {}))
    options.update({k: v for k, v in _data_options(args, ("labels", "data_dir")).items() if v is not None})
    return data.load_for_prediction(args.data, trained.preprocessor, kind=args.kind, classes=trained.classes,
                                    target_dtype=trained.data_info.get("target_dtype", "str"), **options)


def evaluate(args, console: Console) -> int:
    trained = load_model(args.model_dir)
    evaluation = evaluate_dataset(trained, _load_for(trained, args))
    render_evaluation(evaluation, console, title=f"evaluation on {args.data}")
    if args.json_out:
        write_bytes_atomic(args.json_out, json.dumps(evaluation.to_dict(), indent=1).encode())
    return 0


def predict(args, console: Console) -> int:
    _check_output_dir(args.out)
    trained = load_model(args.model_dir)
    frame = predictions_frame(trained, _load_for(trained, args), top_k=args.top_k)
    write_bytes_atomic(args.out, frame.to_csv(index=False).encode())
    console.print(f"{len(frame):,} predictions written to {args.out}")
    return 0


def demo(args, console: Console) -> int:
    """Train on the built-in dataset's train split and evaluate on its test split."""
    if args.out:
        _check_output_dir(args.out)
    train_set = data.load_builtin(args.dataset, split="train", data_dir=args.data_dir)
    console.print(f"[bold]{args.dataset}[/]: {train_set.n_samples} training rows, {train_set.n_features} features, "
                  f"{train_set.n_classes} classes; network {train_set.n_features}-"
                  + "-".join(str(h) for h in (*args.hidden, train_set.n_classes)))
    trained = _fit_and_report(args, console, train_set)
    test_set = data.load_for_prediction(args.dataset, trained.preprocessor, classes=trained.classes,
                                        split="test", data_dir=args.data_dir)
    render_evaluation(evaluate_dataset(trained, test_set), console, title=f"test split of {args.dataset}")
    if args.out:
        save_model(trained, args.out)
        console.print(f"model written to {args.out}")
    return 0


def datasets(args, console: Console) -> int:
    render_datasets(data.list_datasets(args.data_dir), console)
    return 0


COMMANDS = {"train": train, "evaluate": evaluate, "predict": predict, "demo": demo, "datasets": datasets}
