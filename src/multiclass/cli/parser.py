"""The argument parser: every flag of every sub-command, with a sentence of help and its default.

Flags are kebab-case and map one-to-one onto the library's parameters (``--val-split`` -> ``val_split``); the
types that read one flag's value are in `multiclass.cli.values`. Every command takes ``--lang``. This
module imports nothing but the standard library and the light vocabulary modules, so ``multiclass --help``, a
mistyped flag or ``--version`` answer in a fraction of a second: torch, pandas and scikit-learn are imported only
once a command runs. A usage error prints one line and a hint, not the whole usage.
"""

from __future__ import annotations

import argparse
import difflib
import re

from multiclass._version import __version__
from multiclass.cli.messages import say
from multiclass.cli.translate import translate
from multiclass.cli.values import class_weight, hidden_widths, int_in, number_in, recall_targets, str_list
from multiclass.engine.options import COMPILE_STEP, ENGINES, PRECISIONS
from multiclass.language import ENV, LANGS, current_lang, default_lang

__all__ = ["AUDIT_FILTERS", "AUDIT_RANKINGS", "DATA_KINDS", "FOLD_ENGINES", "GRID_KEY_NAMES", "LANGS", "RECIPE_NAMES",
           "Parser", "build_parser", "class_weight", "flag_names", "hidden_widths", "recall_targets", "str_list"]

# The library's vocabularies, written here so that parsing imports nothing heavy (tests/test_cli_parser.py checks
# each against the module that defines it).
DATA_KINDS = ("table", "text", "idx", "npz", "images", "builtin")  # multiclass.data.KINDS
GRID_KEY_NAMES = ("lr", "l2", "label_smoothing", "seed", "batch_size", "epochs", "patience", "dropout", "hidden",
                  "activation")  # multiclass.sweep.grid.GRID_KEYS
MONITOR_HELP = "val_loss, val_accuracy, val_macro_f1 or val_recall:CLASS"  # multiclass.training.config.MONITORS
RECIPE_NAMES = ("auto", "seed")  # multiclass.training.recipes.RECIPES
RUNTIMES = ("auto", "numpy", "onnx", "torch")  # multiclass.jobs.predict.RUNTIMES
AUDIT_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
                 "low_self_confidence", "low_normalized_margin")  # multiclass.audit.FILTERS
AUDIT_RANKINGS = ("self_confidence", "normalized_margin")  # multiclass.audit.RANKINGS
FOLD_ENGINES = ("auto", "stacked", "separate")  # multiclass.audit.folds.ENGINES

# Ranges of the numeric flags, checked while parsing so that a typo fails in milliseconds (a wider value is never
# meant: it overflows, exhausts memory or makes training meaningless).
MAX_COUNT = 1_000_000  # epochs, patience, rows of output...: far beyond any run's
MAX_ROWS = 1 << 24  # rows per batch or record batch: 16M rows is already gigabytes per batch
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds both accept it
MAX_LR = 10.0  # Adam's steps are ~lr per weight: beyond this every run diverges
MAX_L2 = 100.0  # l2 * sum(W^2): at 100 every weight is already pinned to ~0
MAX_BOOTSTRAP = 100_000  # resamples x classes counts are held at once (issue: --bootstrap 100000000)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help with each flag's default (none for a flag that is required, off or empty by default, or whose
    sentence already says it), and the examples printed as written."""

    def _get_help_string(self, action):
        text = action.help or ""
        quiet = action.required or action.default in (None, False, (), []) or action.default is argparse.SUPPRESS
        return text if quiet or "default" in text else f"{text} (default: %(default)s)"


_ARGUMENT = re.compile(r"argument (?P<flag>[^:/ ]+)(?:/[^:]+)?: (?P<rest>.*)", re.DOTALL)


class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose usage errors are one ``error:`` line, naming the flag as the library's
    messages do (`` `--epochs` must be ... ``), and a hint (exit code 2), in the language of ``--lang``."""

    def error(self, message: str):
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:
            close = difflib.get_close_matches(wrong[1], re.findall(r"'([^']*)'", wrong[2]), n=1)
            message += f"; did you mean {close[0]!r}?" if close else ""
        match = _ARGUMENT.match(message)
        if match:
            rest = match["rest"]
            message = f"`{match['flag']}` {rest}" if rest.startswith("must") else f"`{match['flag']}`: {rest}"
        lang = current_lang()
        message = say("error", lang, message=translate(message, lang) or message)
        self.exit(2, f"{message}\n{say('usage_hint', lang, prog=self.prog)}\n")


def _add_data_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
    group = parser.add_argument_group("data")
    group.add_argument("--kind", choices=DATA_KINDS, help="the data's format, instead of detecting it")
    group.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist (default: "
                                          "$MULTICLASS_DATA_DIR)")
    group.add_argument("--labels", help="the IDX labels file, when its name does not follow MNIST's")
    if training:
        group.add_argument("--target", help="the label column of a table")
        group.add_argument("--id-column", help="a row-id column, carried through to predictions")
        group.add_argument("--ignore", type=str_list, default=(), help="columns to leave out, comma-separated")
        group.add_argument("--categorical", type=str_list, default=(),
                           help="columns to one-hot encode even if they hold numbers, comma-separated")
        group.add_argument("--text-column", help="read the table as text: TF-IDF features of this column")
        group.add_argument("--split", choices=["train", "test", "all"], help="the split of a built-in dataset")
        group.add_argument("--na-values", type=lambda text: ("", *str_list(text)), metavar="TEXTS",
                           help="the only texts that mean a missing value, comma-separated (an empty cell always "
                                "does); --na-values '' keeps a class named NA")
        group.add_argument("--sep", help="the field delimiter of a text table, e.g. ';' or '\\t' (default: read off "
                                         "the first lines: , ; tab | or runs of blanks)")
        group.add_argument("--no-header", dest="header", action="store_const", const=False, default=None,
                           help="the table's first line is data, not column names (default: told from the content)")
        group.add_argument("--names", type=str_list, default=None,
                           help="the table's column names, comma-separated (a headerless file's, or to rename)")


def _add_stream_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
    group = parser.add_argument_group("tables larger than memory" + (", and torchrun" if training else ""))
    group.add_argument("--stream", action="store_true",
                       help="read the table (a Parquet/CSV file or a folder of shards) in batches instead of loading "
                            "it; automatic for a folder of shards, a file over 1/8 of RAM"
                            + (" and under torchrun" if training else ""))
    group.add_argument("--batch-rows", type=int_in(1, MAX_ROWS), default=65_536, metavar="ROWS",
                       help="rows per Parquet record batch read from disk")
    if training:
        group.add_argument("--shuffle-buffer", type=int_in(1, 2**31), default=262_144, metavar="ROWS",
                           help="rows shuffled together when streaming")


def _add_train_options(parser: argparse.ArgumentParser, *, sweep: bool = False) -> None:
    """The network and its training. In `train` and `demo` the recipe's hyperparameters have no default: a flag
    given is kept fixed, one left out is chosen by ``--recipe`` (argparse.SUPPRESS: absent unless given)."""
    title = "model and training (the base of every configuration)" if sweep else "model and training"
    group = parser.add_argument_group(title)
    chosen = " (default: chosen by --recipe)"

    def default(value):
        return value if sweep else argparse.SUPPRESS

    if not sweep:
        group.add_argument("--recipe", default="auto", choices=RECIPE_NAMES,
                           help="how the network and its training are chosen: auto searches capacity and "
                                "regularisation on the validation rows; seed is the course's 25x15 recipe. Flags "
                                "given below stay fixed")
    group.add_argument("--hidden", type=hidden_widths, default=default((25, 15)), metavar="WIDTHS",
                       help="hidden layer widths joined by 'x', e.g. 25x15; 'none' is softmax regression"
                            + ("" if sweep else chosen))
    group.add_argument("--activation", default="relu", help="relu, tanh, sigmoid, gelu or elu")
    group.add_argument("--dropout", type=number_in(0, 1, high_open=True), default=default(0.0),
                       help="dropout rate after each hidden layer, in [0, 1)" + ("" if sweep else chosen))
    group.add_argument("--l2", type=number_in(0, MAX_L2), default=default(0.0),
                       help="penalty l2 * sum(W^2) on the weights, as Keras' l2(l2)" + ("" if sweep else chosen))
    group.add_argument("--lr", type=number_in(0, MAX_LR, low_open=True), default=default(1e-3),
                       help="Adam's learning rate" + ("" if sweep else chosen))
    group.add_argument("--epochs", type=int_in(1, MAX_COUNT), default=default(100),
                       help="most passes over the training data; early stopping usually ends sooner"
                            + ("" if sweep else " (default: 500 for --recipe auto, 100 for seed)"))
    group.add_argument("--batch-size", type=int_in(1, MAX_ROWS), default=default(32),
                       help="rows per optimisation step" + ("" if sweep else chosen))
    group.add_argument("--patience", type=int_in(1, MAX_COUNT, none=True), default=default(10),
                       help="stop after this many epochs without improvement; 'none' never stops early"
                            + ("" if sweep else " (default: 10; 20 for --recipe seed)"))
    group.add_argument("--min-delta", type=number_in(0, 1e9), default=0.0, help="smallest change that counts as improvement")
    if not sweep:
        group.add_argument("--lr-patience", type=int_in(1, MAX_COUNT, none=True), default=argparse.SUPPRESS,
                           help="multiply the learning rate by 0.2 after this many epochs without improvement "
                                "(default: none; 5 for --recipe seed)")
    group.add_argument("--monitor", default=default("val_loss"),
                       help=f"what early stopping watches: {MONITOR_HELP}"
                            + ("" if sweep else " (default: val_loss; val_accuracy for --recipe seed)"))
    group.add_argument("--class-weight", type=class_weight, default=None,
                       help="'balanced' or CLASS=W,CLASS=W (classes not named weigh 1)")
    group.add_argument("--label-smoothing", type=number_in(0, 1), default=0.0, help="label smoothing of the loss, in [0, 1]")
    group.add_argument("--val-split", type=number_in(0, 1, high_open=True), default=0.1,
                       help="fraction of the rows held out (stratified) for early stopping and the validation report")
    group.add_argument("--seed", type=int_in(0, MAX_SEED), default=0, help="seeds the split, the initialisation, the order and dropout")
    group.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    if not sweep:
        group.add_argument("--engine", default="auto", choices=ENGINES,
                           help="what runs the training steps: auto (fused on CPU, CUDA graphs on GPU) or eager")
        group.add_argument("--precision", default="float32", choices=PRECISIONS,
                           help="arithmetic of the matrix products; bfloat16 is mixed precision for wide layers on "
                                "a GPU")
        group.add_argument("--compile-step", default="auto", choices=COMPILE_STEP,
                           help="pass the CUDA-graph step through torch.compile (~13 s once); auto: runs of at least "
                                "150,000 steps")
        group.add_argument("--log-every", type=int_in(1, MAX_COUNT), default=None, metavar="N",
                           help="write a progress line every N epochs instead of the live bar (default: the bar on a "
                                "terminal, a line per epoch in a log file)")
    group.add_argument("--quiet", action="store_true", help="no progress display")


def _add_decision_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
    group = parser.add_argument_group("decisions")
    if training:
        _add_critical(group)
        group.add_argument("--calibrate", action="store_true",
                           help="fit a temperature on the validation rows: calibrated probabilities, same argmax")
        group.add_argument("--target-recall", type=recall_targets, metavar="CLASS=R[,CLASS=R]",
                           help="reach these recalls on new rows (a conformal guarantee from the validation rows) "
                                "by per-class offsets, e.g. fault=0.95")
        group.add_argument("--coverage", type=number_in(0, 1, low_open=True, high_open=True), metavar="P",
                           help="calibrate prediction sets on the validation rows that hold the true class with "
                                "probability P (per critical class with --critical); predict --sets writes them")
        group.add_argument("--set-score", choices=("lac", "aps", "raps"), default="aps",
                           help="the conformal score of the prediction sets")
    group.add_argument("--cost-matrix", metavar="FILE",
                       help="K x K costs, CSV or JSON with class names (rows = true class, columns = decided class): "
                            "decide by minimum expected cost" + ("" if training else ", instead of the model's rule"))


def _add_critical(group) -> None:
    if "--critical" in group._option_string_actions:  # demo has both the report's and the training's options
        return
    group.add_argument("--critical", type=str_list, default=(), metavar="CLASS[,CLASS]",
                       help="the classes that matter most: the report speaks of them first (saved with the model by "
                            "train)")


def _add_report_options(parser: argparse.ArgumentParser, *, seed: bool = True) -> None:
    group = parser.add_argument_group("report")
    _add_critical(group)
    group.add_argument("--json", dest="json_out", metavar="FILE", help="also write the report as JSON (every number)")
    group.add_argument("--html", metavar="FILE", help="also write the report as one self-contained HTML page")
    group.add_argument("--bootstrap", type=int_in(0, MAX_BOOTSTRAP), default=1000, metavar="N",
                       help="stratified bootstrap resamples behind the 95%% intervals; 0: no intervals")
    if seed:
        group.add_argument("--seed", type=int_in(0, MAX_SEED), default=0, metavar="N", help="seed of the bootstrap")
    _add_details(group)


def _command(commands, name: str, summary: str, examples: str) -> Parser:
    command = commands.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".",
                                  epilog="examples:\n" + examples, formatter_class=_Formatter)
    command.add_argument("--lang", choices=LANGS, default=default_lang(),
                         help=f"language of everything the command writes: its messages, progress, errors and "
                              f"report (en or es; the default comes from ${ENV}, else en)")
    return command


def _add_details(parser: argparse.ArgumentParser, what: str = "report") -> None:
    parser.add_argument("--details", action="store_true",
                        help=f"print the whole {what}: the dataset, every confusion matrix, the reliability bins, "
                             "the learning curve, the confidently wrong rows and the method (default: the compact "
                             "view)")


def _train_parser(commands) -> None:
    train = _command(commands, "train", "train a model on a data file and write the model directory", """\
  multiclass train iris --out iris-model/
  multiclass train data.csv --target species --out model/
  multiclass train faults.csv --target state --class-weight balanced --target-recall critical=0.95 --out model/
  multiclass train big/ --target label --out model/            # a folder of shards: streamed
  multiclass train data.csv --target species --resume model/   # continue a killed run""")
    train.add_argument("data", help="a table (CSV/TSV/Parquet), text table, IDX, NPZ, image folder, folder of table "
                                    "shards or built-in dataset name")
    train.add_argument("--out", help="the model directory to write (required unless --resume names it)")
    train.add_argument("--resume", metavar="MODEL_DIR",
                       help="continue the interrupted run that was writing MODEL_DIR, from its last checkpoint")
    train.add_argument("--checkpoint-every", type=int_in(1, MAX_COUNT), default=1, metavar="N",
                       help="write a checkpoint (beside the model directory) every N epochs")
    train.add_argument("--val-data", metavar="PATH",
                       help="validation data read like the training data (default: a stratified --val-split)")
    train.add_argument("--drop-suspects", metavar="AUDIT_DIR",
                       help="leave out the rows listed in AUDIT_DIR/suspects.csv (written by `multiclass audit`), "
                            "except rows of the classes of --target-recall")
    train.add_argument("--drop-critical", action="store_true",
                       help="with --drop-suspects: drop the suspects of the --target-recall classes too")
    _add_details(train, "validation report")
    _add_data_options(train, training=True)
    _add_train_options(train)
    _add_decision_options(train, training=True)
    _add_stream_options(train, training=True)


def _evaluate_parsers(commands) -> None:
    evaluate = _command(commands, "evaluate", "the evaluation report of a model on labelled data", """\
  multiclass evaluate model/ test.csv
  multiclass evaluate model/ test.csv --html report.html --json report.json --lang es
  multiclass evaluate model/ test.csv --cost-matrix costs.csv   # decide by cost instead""")
    evaluate.add_argument("model_dir", metavar="MODEL_DIR", help="a model directory written by `multiclass train`")
    evaluate.add_argument("data", metavar="DATA", help="labelled data, read the way the model read its training data")
    _add_report_options(evaluate)
    _add_data_options(evaluate, training=False)
    _add_decision_options(evaluate, training=False)
    _add_stream_options(evaluate, training=False)

    report = _command(commands, "report", "the evaluation report of any classifier's predictions file", """\
  multiclass report --predictions predictions.csv --html report.html
  multiclass report --predictions scores.parquet --json report.json --lang es""")
    report.add_argument("--predictions", required=True, metavar="FILE",
                        help="CSV or Parquet with columns y_true and y_pred (or predicted), optionally p_<class>")
    _add_report_options(report)


def _predict_parser(commands) -> None:
    predict = _command(commands, "predict", "write the predictions of a model for a data file", """\
  multiclass predict model/ new.csv --out predictions.csv
  multiclass predict model/ new.csv --top-k 3 --out predictions.parquet
  multiclass predict model/ test.csv --keep-columns species --out p.csv   # then: multiclass report --predictions p.csv
  multiclass predict model/ big/ --out predictions.parquet   # shards: streamed""")
    predict.add_argument("model_dir", metavar="MODEL_DIR", help="a model directory written by `multiclass train`")
    predict.add_argument("data", metavar="DATA", help="the rows to predict, read the way the model read its training "
                                                      "data (a label column, if any, is not needed)")
    predict.add_argument("--out", required=True,
                         help="the predictions file to write: CSV, or Parquet for a .parquet/.pq name")
    predict.add_argument("--top-k", type=int_in(1, MAX_COUNT), default=1, metavar="K",
                         help="also write the K most probable classes of each row")
    predict.add_argument("--runtime", choices=RUNTIMES, default="auto",
                         help="numpy: without torch (auto's choice for data read whole); torch: the training "
                              "engine (auto's choice for a streamed table); onnx: the exported graph on onnxruntime")
    predict.add_argument("--sets", action="store_true",
                         help="also write each row's conformal prediction set (a model trained with --coverage): "
                              "the set, a flag per class and abstain when the set is not one class")
    predict.add_argument("--critical", type=str_list, default=(), metavar="CLASS[,CLASS]",
                         help="also write an alarm column: the decision, or with --sets the set, holds one of these "
                              "classes")
    predict.add_argument("--keep-columns", type=str_list, default=(), metavar="COLS",
                         help="columns of a table to copy into the predictions, comma-separated; the model's label "
                              "column is written as y_true, so `multiclass report --predictions` reads the file")
    _add_data_options(predict, training=False)
    _add_decision_options(predict, training=False)
    _add_stream_options(predict, training=False)


def _serving_parsers(commands) -> None:
    export = _command(commands, "export", "export a model to ONNX: one graph from raw columns to probabilities", """\
  multiclass export model/ --out model.onnx
  multiclass export model/ --quantize --out model-int8.onnx""")
    export.add_argument("model_dir", metavar="MODEL_DIR", help="a model directory written by `multiclass train`")
    export.add_argument("--out", required=True, help="the .onnx file to write")
    export.add_argument("--format", choices=("onnx",), default="onnx", help="the exported format")
    export.add_argument("--quantize", action="store_true",
                        help="int8 weights (dynamic quantisation): a ~4x smaller file, probabilities within ~1e-3")

    serve = _command(commands, "serve", "serve a model over HTTP (JSON, CSV, Parquet, images; docs/serving.md)", """\
  multiclass serve model/
  multiclass serve model/ --port 9000 --workers 2
  curl -s localhost:8000/predict -H 'content-type: application/json' -d '[{"age": 40, "city": "Quito"}]'""")
    serve.add_argument("model_dir", metavar="MODEL_DIR", help="a model directory written by `multiclass train`")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on; loopback by default (publish through a reverse proxy with TLS)")
    serve.add_argument("--port", type=int_in(0, 65535), default=8000, help="the TCP port to listen on")
    serve.add_argument("--workers", type=int_in(1, 1024), default=1, metavar="N",
                       help="processes, each serving on one core")
    serve.add_argument("--name", help="the model's name in the inference-protocol routes (default: the folder's)")
    serve.add_argument("--max-batch", type=int_in(1, MAX_ROWS), default=256, metavar="ROWS",
                       help="most rows run through the network at once (micro-batching)")
    serve.add_argument("--max-queue", type=int_in(1, MAX_COUNT), default=512, metavar="N",
                       help="requests waiting at most; one more is answered 429")
    serve.add_argument("--max-rows", type=int_in(1, MAX_ROWS), default=100_000, metavar="ROWS",
                       help="rows in one request at most (413 beyond)")
    serve.add_argument("--deadline-ms", type=number_in(0.0, 3_600_000.0, low_open=True), default=1000.0, metavar="MS",
                       help="a request still queued after this long is answered 503")
    serve.add_argument("--top-k", type=int_in(1, MAX_COUNT), default=3, metavar="K",
                       help="classes listed in each prediction (?top_k= per request)")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false",
                       help="no JSON line per request on stderr")


def _compare_parser(commands) -> None:
    compare = _command(commands, "compare", "is model B better than model A on the same labelled data?", """\
  multiclass compare model_a/ model_b/ test.csv
  multiclass compare model_a/ model_b/ test.csv --bootstrap 5000 --json comparison.json""")
    compare.add_argument("model_a", metavar="MODEL_A", help="the first model directory (the reference)")
    compare.add_argument("model_b", metavar="MODEL_B", help="the second model directory (the challenger)")
    compare.add_argument("data", metavar="DATA", help="labelled data both models read")
    compare.add_argument("--bootstrap", type=int_in(1, MAX_BOOTSTRAP), default=1000, metavar="N",
                         help="paired bootstrap resamples of the rows")
    compare.add_argument("--seed", type=int_in(0, MAX_SEED), default=0, metavar="N", help="seed of the bootstrap")
    compare.add_argument("--json", dest="json_out", metavar="FILE", help="also write the comparison as JSON")
    compare.add_argument("--html", metavar="FILE", help="also write the comparison as one self-contained HTML page")
    compare.add_argument("--metric", metavar="METRIC",
                         help="what decides: accuracy, macro_f1 or recall:CLASS (default: the recall of the "
                              "critical classes when there are any, else accuracy and macro-F1 together)")
    _add_critical(compare)
    _add_data_options(compare, training=False)


def _sweep_parser(commands) -> None:
    sweep = _command(commands, "sweep", "train every configuration of a grid at once and rank them by validation "
                                        "macro-F1", """\
  multiclass sweep data.csv --target species --grid lr=1e-3,3e-3 --grid l2=0,1e-4 --grid seed=0,1
  multiclass sweep digits --grid 'hidden=25x15,100,none;dropout=0,0.2' --out best/""")
    sweep.add_argument("data", help="a table, text table, IDX, NPZ, image folder or built-in dataset name")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                       help=f"values to try, e.g. --grid lr=1e-3,3e-3 --grid l2=0,1e-4 or 'lr=1e-3,3e-3;l2=0,1e-4'; "
                            f"keys: {', '.join(GRID_KEY_NAMES)} (hidden widths as 25x15)")
    sweep.add_argument("--top", type=int_in(1, MAX_COUNT), default=10, help="leaderboard rows to print")
    sweep.add_argument("--out", help="also write the best model's directory here")
    sweep.add_argument("--json", dest="json_out", metavar="FILE", help="also write the whole leaderboard as JSON")
    _add_data_options(sweep, training=True)
    _add_train_options(sweep, sweep=True)


def _audit_parser(commands) -> None:
    audit = _command(commands, "audit", "find the rows whose label is probably wrong: out-of-fold models and "
                                        "confident learning", """\
  multiclass audit data.csv --target species --out audit/
  multiclass audit photos/ --folds 10 --lang es --out audit/
  multiclass train data.csv --target species --drop-suspects audit/ --out model/   # retrain without them""")
    audit.add_argument("data", help="labelled data: a table, text table, IDX, NPZ, image folder or built-in dataset")
    audit.add_argument("--out", default="audit", help="the folder to write suspects.csv, audit.json and the HTML "
                                                      "report into")
    audit.add_argument("--folds", type=int_in(2, MAX_COUNT), default=5, metavar="K",
                       help="out-of-fold models: each row is scored by the one that did not train on it")
    audit.add_argument("--filter-by", choices=AUDIT_FILTERS, default=AUDIT_FILTERS[0], metavar="RULE",
                       help=f"the confident-learning rule that flags rows (cleanlab's): {', '.join(AUDIT_FILTERS)}")
    audit.add_argument("--rank-by", choices=AUDIT_RANKINGS, default=AUDIT_RANKINGS[0],
                       help="the score that orders the suspects, most likely wrong first")
    audit.add_argument("--top-n", type=int_in(1, MAX_COUNT), default=None, metavar="N",
                       help="keep at most N suspects per class (default: every flagged row)")
    audit.add_argument("--fold-engine", choices=FOLD_ENGINES, default="auto",
                       help="train the fold models stacked (one step for all) or one after another; auto: stacked "
                            "on a GPU")
    _add_data_options(audit, training=True)
    _add_train_options(audit)


def _demo_parsers(commands) -> None:
    demo = _command(commands, "demo", "the main job on a built-in dataset, offline: train, then evaluate on its test "
                                      "split", """\
  multiclass demo
  multiclass demo --dataset iris --lang es --html demo.html""")
    demo.add_argument("--dataset", default="digits", help="a built-in dataset (see `multiclass datasets`)")
    demo.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist")
    demo.add_argument("--out", help="also write the model directory here")
    _add_report_options(demo, seed=False)
    _add_train_options(demo)
    _add_decision_options(demo, training=True)

    datasets = _command(commands, "datasets", "list the built-in datasets (or download one)", """\
  multiclass datasets
  multiclass datasets --download fashion-mnist --data-dir ~/data""")
    datasets.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist (default: "
                                             "$MULTICLASS_DATA_DIR)")
    datasets.add_argument("--download", metavar="NAME", help="fetch mnist or fashion-mnist into DATA_DIR/NAME "
                                                             "(checked against published MD5s; the only network use)")


def build_parser() -> Parser:
    """The parser of ``multiclass``: one sub-parser per command."""
    parser = Parser(prog="multiclass", description="K-class classification with softmax neural networks.",
                    epilog="Run 'multiclass COMMAND --help' for a command's options and examples.")
    parser.add_argument("--version", action="version", version=f"multiclass {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_train_parser, _evaluate_parsers, _predict_parser, _serving_parsers, _compare_parser, _sweep_parser,
                _audit_parser, _demo_parsers):
        add(commands)
    parser.commands = commands.choices  # name -> sub-parser
    return parser


def flag_names(parser: Parser, command: str) -> dict[str, str]:
    """``dest -> '--flag'`` of `command`'s options: library messages name parameters, the CLI names flags."""
    sub = parser.commands.get(command)
    if sub is None:
        return {}
    # argparse has no public list of a parser's actions; `_actions` has been that list since Python 3.2.
    return {a.dest: a.option_strings[-1] for a in sub._actions if a.option_strings and a.dest != "help"}

