"""The argument parser: flags are kebab-case and map one-to-one onto config fields."""

from __future__ import annotations

import argparse

from multiclass._version import __version__

__all__ = ["build_parser", "class_weight", "int_list", "non_negative_int", "optional_int", "recall_targets",
           "str_list"]


def int_list(text: str) -> tuple[int, ...]:
    """'25,15' -> (25, 15); '' or 'none' -> () (softmax regression)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 25,15; got {text!r}") from None


def str_list(text: str) -> tuple[str, ...]:
    """'a, b,' -> ('a', 'b')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def optional_int(text: str) -> int | None:
    """'10' -> 10; 'none' -> None."""
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none'; got {text!r}") from None


def non_negative_int(text: str) -> int:
    """'1000' -> 1000; negative numbers and non-integers are usage errors."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}")
    return value


def class_weight(text: str) -> str | dict[str, float]:
    """'balanced' -> 'balanced'; 'cat=2,dog=0.5' -> {'cat': 2.0, 'dog': 0.5}.

    The last '=' of each part splits it, so a class name may itself contain '='.
    """
    if text.strip() == "balanced":
        return "balanced"
    weights = {}
    for part in text.split(","):
        name, _, value = part.rpartition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            name = ""
        if not name.strip():
            raise argparse.ArgumentTypeError(f"expected 'balanced' or name=weight,name=weight; got {text!r}")
    return weights


def recall_targets(text: str) -> dict[str, float]:
    """'fault=0.95,minor=0.8' -> {'fault': 0.95, 'minor': 0.8}; each recall in (0, 1].

    The last '=' of each part splits it, so a class name may itself contain '='.
    """
    targets = {}
    for part in text.split(","):
        name, _, value = part.rpartition("=")
        try:
            recall = float(value)
        except ValueError:
            recall = -1.0
        if not name.strip() or not 0 < recall <= 1:
            raise argparse.ArgumentTypeError(f"expected class=recall,class=recall with recalls in (0, 1], such as "
                                             f"fault=0.95; got {text!r}")
        targets[name.strip()] = recall
    return targets


def _positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}")
    return value


def _add_decision_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
    group = parser.add_argument_group("decisions")
    if training:
        group.add_argument("--calibrate", action="store_true",
                           help="fit a temperature on the validation rows: calibrated probabilities, same argmax")
        group.add_argument("--target-recall", type=recall_targets, metavar="CLASS=R[,CLASS=R]",
                           help="reach these recalls on the validation rows by per-class offsets, e.g. fault=0.95")
        group.add_argument("--cost-matrix", metavar="FILE",
                           help="K x K costs, CSV or JSON with class names (rows = true class, columns = decided "
                                "class): decide by minimum expected cost")
    else:
        group.add_argument("--cost-matrix", metavar="FILE",
                           help="decide by minimum expected cost with this cost matrix (CSV or JSON) instead of "
                                "the model's own rule")


def _add_data_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
    group = parser.add_argument_group("data")
    group.add_argument("--kind", choices=["table", "text", "idx", "npz", "images", "builtin"], help="skip format detection")
    group.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist (or $MULTICLASS_DATA_DIR)")
    group.add_argument("--labels", help="the IDX labels file, when its name does not follow MNIST's")
    if training:
        group.add_argument("--target", help="the label column of a table")
        group.add_argument("--id-column", help="a row-id column carried through to predictions")
        group.add_argument("--ignore", type=str_list, default=(), help="columns to leave out, comma-separated")
        group.add_argument("--categorical", type=str_list, default=(), help="columns to one-hot even if numeric")
        group.add_argument("--text-column", help="read the table as text: TF-IDF features of this column")
        group.add_argument("--split", choices=["train", "test", "all"], help="split of a built-in dataset")


def _add_read_stream_options(parser: argparse.ArgumentParser) -> None:
    """Reading a table larger than memory in batches (evaluate, predict); training has its own set."""
    group = parser.add_argument_group("tables larger than memory")
    group.add_argument("--stream", action="store_true",
                       help="read the table (a Parquet/CSV file or a folder of shards) in batches instead of "
                            "loading it; automatic for a folder of shards and a file over 1/8 of RAM")
    group.add_argument("--batch-rows", type=_positive_int, default=65_536, metavar="ROWS",
                       help="rows per Parquet record batch read from disk (default: %(default)s)")


def _add_train_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model and training")
    group.add_argument("--hidden", type=int_list, default=(25, 15), help="hidden widths, e.g. 25,15; 'none' = softmax regression")
    group.add_argument("--activation", default="relu")
    group.add_argument("--dropout", type=float, default=0.0)
    group.add_argument("--l2", type=float, default=0.0, help="penalty l2 * sum(W^2), as Keras' l2(l2)")
    group.add_argument("--epochs", type=int, default=100)
    group.add_argument("--batch-size", type=int, default=32)
    group.add_argument("--lr", type=float, default=1e-3)
    group.add_argument("--patience", type=optional_int, default=10, help="'none' never stops early")
    group.add_argument("--min-delta", type=float, default=0.0)
    group.add_argument("--lr-patience", type=int, default=None, help="divide the lr on a plateau of this many epochs")
    group.add_argument("--monitor", default="val_loss", help="val_loss, val_accuracy, val_macro_f1 or val_recall:<class>")
    group.add_argument("--class-weight", type=class_weight, default=None,
                       help="'balanced' or class=weight,class=weight (classes not named weigh 1)")
    group.add_argument("--label-smoothing", type=float, default=0.0)
    group.add_argument("--val-split", type=float, default=0.1)
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    group.add_argument("--engine", default="auto", choices=["auto", "eager", "fused", "cuda_graph"],
                       help="training step: auto (fused on CPU, CUDA graph on GPU), or the eager reference")
    group.add_argument("--precision", default="float32", choices=["float32", "bfloat16"],
                       help="matrix products of the training steps; bfloat16 is mixed precision for wide layers on "
                            "a GPU (weights and Adam stay float32)")
    group.add_argument("--compile-step", default="auto", choices=["auto", "always", "never"],
                       help="pass the CUDA-graph step through torch.compile (fused kernels; ~13 s once); auto: for "
                            "runs of at least 150,000 steps")
    group.add_argument("--quiet", action="store_true", help="no progress display")


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("report")
    group.add_argument("--json", dest="json_out", metavar="FILE", help="also write the report as JSON (every number)")
    group.add_argument("--html", metavar="FILE", help="also write the report as one self-contained HTML page")
    group.add_argument("--lang", choices=["en", "es"], default="en", help="language of the report (default: en)")
    group.add_argument("--bootstrap", type=non_negative_int, default=1000, metavar="N",
                       help="stratified bootstrap resamples for the 95%% intervals; 0 = no intervals (default: 1000)")
    group.add_argument("--seed", type=non_negative_int, default=0, metavar="N",
                       help="seed of the bootstrap (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="multiclass", description="K-class classification with softmax networks.")
    parser.add_argument("--version", action="version", version=f"multiclass {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model on a data file and write the model directory")
    train.add_argument("data", help="a table, text table, IDX, NPZ, image folder or built-in dataset name")
    train.add_argument("--out", help="the model directory to write (required unless --resume names it)")
    train.add_argument("--resume", metavar="MODEL_DIR",
                       help="continue the interrupted run that was writing MODEL_DIR, from its last checkpoint")
    train.add_argument("--checkpoint-every", type=int, default=1, metavar="N",
                       help="write a checkpoint (beside the model directory) every N epochs")
    _add_data_options(train, training=True)
    _add_train_options(train)
    _add_decision_options(train, training=True)
    from multiclass.cli.stream import add_stream_options  # here: the streaming flags live beside their command

    add_stream_options(train)

    evaluate = commands.add_parser("evaluate", help="the evaluation report of a model on labelled data")
    evaluate.add_argument("model_dir")
    evaluate.add_argument("data")
    _add_report_options(evaluate)
    _add_data_options(evaluate, training=False)
    _add_decision_options(evaluate, training=False)
    _add_read_stream_options(evaluate)

    report = commands.add_parser("report", help="the evaluation report of any classifier's predictions file")
    report.add_argument("--predictions", required=True, metavar="FILE",
                        help="CSV with columns y_true and y_pred (or predicted), optionally p_<class> probabilities")
    _add_report_options(report)

    predict = commands.add_parser("predict", help="write predictions of a model for a data file")
    predict.add_argument("model_dir")
    predict.add_argument("data")
    predict.add_argument("--out", required=True,
                         help="the predictions file to write: CSV, or Parquet for a .parquet/.pq name")
    predict.add_argument("--top-k", type=int, default=1, help="also write the k most probable classes per row")
    _add_data_options(predict, training=False)
    _add_decision_options(predict, training=False)
    _add_read_stream_options(predict)

    compare = commands.add_parser("compare", help="is model B better than model A on the same labelled data?")
    compare.add_argument("model_a")
    compare.add_argument("model_b")
    compare.add_argument("data")
    compare.add_argument("--bootstrap", type=_positive_int, default=1000, metavar="N",
                         help="paired bootstrap resamples of the rows (default: 1000)")
    compare.add_argument("--seed", type=non_negative_int, default=0, metavar="N",
                         help="seed of the bootstrap (default: 0)")
    compare.add_argument("--json", dest="json_out", metavar="FILE", help="also write the comparison as JSON")
    _add_data_options(compare, training=False)

    demo = commands.add_parser("demo", help="the main job on a built-in dataset, offline")
    demo.add_argument("--dataset", default="digits", help="a built-in dataset (see `multiclass datasets`)")
    demo.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist")
    demo.add_argument("--out", help="also write the model directory here")
    _add_train_options(demo)
    _add_decision_options(demo, training=True)

    datasets = commands.add_parser("datasets", help="list the built-in datasets (or download one)")
    datasets.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist "
                                             "(or $MULTICLASS_DATA_DIR)")
    datasets.add_argument("--download", metavar="NAME", help="fetch mnist or fashion-mnist into DATA_DIR/NAME "
                                                             "(checked against published MD5s; the only network use)")

    from multiclass.cli.sweep import add_parser as add_sweep_parser  # here: cli.sweep imports this module

    add_sweep_parser(commands)
    return parser
