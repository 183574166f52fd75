"""The argument parser: every flag of every sub-command, with a sentence of help and its default.

Flags are kebab-case and map one-to-one onto the library's parameters (``--val-split`` -> ``val_split``); the
types that read one flag's value are in `multiclass.cli.values`, the flag groups several commands share in
`multiclass.cli.flags`. Every command takes ``--lang``. This
module imports nothing but the standard library and the light vocabulary modules, so ``multiclass --help``, a
mistyped flag or ``--version`` answer in a fraction of a second: torch, pandas and scikit-learn are imported only
once a command runs. A usage error prints one line and a hint, not the whole usage.
"""

from __future__ import annotations

import argparse
import difflib
import re

from multiclass._version import __version__
from multiclass.cli.flags import (
    AUDIT_FILTERS,
    AUDIT_RANKINGS,
    DATA_KINDS,
    FOLD_ENGINES,
    GRID_KEY_NAMES,
    MAX_BOOTSTRAP,
    MAX_COUNT,
    MAX_ROWS,
    MAX_SEED,
    MONITOR_HELP,
    RECIPE_NAMES,
    RUNTIMES,
    add_critical,
    add_data_options,
    add_decision_options,
    add_details,
    add_report_options,
    add_stream_options,
    add_train_options,
)
from multiclass.cli.messages import say
from multiclass.cli.translate import translate
from multiclass.cli.values import class_weight, hidden_widths, int_in, number_in, recall_targets, str_list
from multiclass.language import ENV, LANGS, current_lang, default_lang

__all__ = ["AUDIT_FILTERS", "AUDIT_RANKINGS", "DATA_KINDS", "FOLD_ENGINES", "GRID_KEY_NAMES", "LANGS", "MONITOR_HELP",
           "RECIPE_NAMES", "RUNTIMES",
           "Parser", "build_parser", "class_weight", "flag_names", "hidden_widths", "recall_targets", "str_list"]


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


def _command(commands, name: str, summary: str, examples: str) -> Parser:
    command = commands.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".",
                                  epilog="examples:\n" + examples, formatter_class=_Formatter)
    command.add_argument("--lang", choices=LANGS, default=default_lang(),
                         help=f"language of everything the command writes: its messages, progress, errors and "
                              f"report (en or es; the default comes from ${ENV}, else en)")
    return command


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
    add_details(train, "validation report")
    add_data_options(train, training=True)
    add_train_options(train)
    add_decision_options(train, training=True)
    add_stream_options(train, training=True)


def _evaluate_parsers(commands) -> None:
    evaluate = _command(commands, "evaluate", "the evaluation report of a model on labelled data", """\
  multiclass evaluate model/ test.csv
  multiclass evaluate model/ test.csv --html report.html --json report.json --lang es
  multiclass evaluate model/ test.csv --cost-matrix costs.csv   # decide by cost instead""")
    evaluate.add_argument("model_dir", metavar="MODEL_DIR", help="a model directory written by `multiclass train`")
    evaluate.add_argument("data", metavar="DATA", help="labelled data, read the way the model read its training data")
    add_report_options(evaluate)
    add_data_options(evaluate, training=False)
    add_decision_options(evaluate, training=False)
    add_stream_options(evaluate, training=False)

    report = _command(commands, "report", "the evaluation report of any classifier's predictions file", """\
  multiclass report --predictions predictions.csv --html report.html
  multiclass report --predictions scores.parquet --json report.json --lang es""")
    report.add_argument("--predictions", required=True, metavar="FILE",
                        help="CSV or Parquet with columns y_true and y_pred (or predicted), optionally p_<class>")
    add_report_options(report)


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
    add_data_options(predict, training=False)
    add_decision_options(predict, training=False)
    add_stream_options(predict, training=False)


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
                         help="what decides: accuracy, macro_f1, recall:CLASS or cost (expected cost per row, lower "
                              "is better; default: the recall of the critical classes when there are any, else "
                              "accuracy and macro-F1 together)")
    compare.add_argument("--costs", metavar="FILE",
                         help="the K x K cost matrix that --metric cost scores by, CSV or JSON as --cost-matrix reads "
                              "it (default: the one both models' decision policies hold)")
    add_critical(compare)
    add_data_options(compare, training=False)


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
    add_data_options(sweep, training=True)
    add_train_options(sweep, sweep=True)


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
    add_data_options(audit, training=True)
    add_train_options(audit, decisions=False)


def _demo_parsers(commands) -> None:
    demo = _command(commands, "demo", "the main job on a built-in dataset, offline: train, then evaluate on its test "
                                      "split", """\
  multiclass demo
  multiclass demo --dataset iris --lang es --html demo.html""")
    demo.add_argument("--dataset", default="digits", help="a built-in dataset (see `multiclass datasets`)")
    demo.add_argument("--data-dir", help="folder of the IDX files of mnist / fashion-mnist")
    demo.add_argument("--out", help="also write the model directory here")
    add_report_options(demo, seed=False)
    add_train_options(demo)
    add_decision_options(demo, training=True)

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

