"""The flag groups several sub-commands share (data, streaming, training, decisions, report) and the vocabularies
and bounds their values are checked against. Like `multiclass.cli.parser`, imports only the standard library and
light modules: parsing stays fast.
"""

from __future__ import annotations

import argparse

from multiclass.cli.values import class_weight, hidden_widths, int_in, number_in, recall_targets, str_list, table_sep
from multiclass.engine.options import COMPILE_STEP, ENGINES, PRECISIONS

__all__ = ["AUDIT_FILTERS", "AUDIT_RANKINGS", "DATA_KINDS", "FOLD_ENGINES", "GRID_KEY_NAMES", "MAX_BOOTSTRAP", "MAX_COUNT", "MAX_LR", "MAX_ROWS", "MAX_SEED", "MONITOR_HELP", "RECIPE_NAMES", "RUNTIMES", "add_critical", "add_data_options", "add_decision_options", "add_details", "add_report_options", "add_stream_options", "add_train_options"]

# The library's vocabularies, written here so that parsing imports nothing heavy (tests/test_cli_parser.py checks
# each against the module that defines it).
DATA_KINDS = ("table", "text", "idx", "npz", "images", "builtin")  # multiclass.data.KINDS
GRID_KEY_NAMES = ("lr", "l2", "label_smoothing", "seed", "batch_size", "epochs", "patience", "dropout", "hidden",
                  "activation")  # multiclass.sweep.grid.GRID_KEYS
MONITOR_HELP = ("val_loss, val_accuracy, val_macro_f1, val_cost, val_recall:CLASS or "
                "val_critical:CLASS[,CLASS]")  # multiclass.training.config.MONITORS
RECIPE_NAMES = ("auto", "seed")  # multiclass.training.recipes.RECIPES
RUNTIMES = ("auto", "numpy", "onnx", "torch")  # multiclass.jobs.predict.RUNTIMES
AUDIT_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
                 "low_self_confidence", "low_normalized_margin")  # multiclass.audit.FILTERS
AUDIT_RANKINGS = ("self_confidence", "normalized_margin")  # multiclass.audit.RANKINGS
FOLD_ENGINES = ("auto", "stacked", "separate")  # multiclass.audit.folds.ENGINES
SET_GROUPS = ("auto", "marginal", "critical", "all")  # multiclass.decisions.policy.SET_GROUPS
SET_CALIBRATIONS = ("split", "cross")  # multiclass.decisions.policy.SET_CALIBRATIONS

# Ranges of the numeric flags, checked while parsing so that a typo fails in milliseconds (a wider value is never
# meant: it overflows, exhausts memory or makes training meaningless).
MAX_COUNT = 1_000_000  # epochs, patience, rows of output...: far beyond any run's
MAX_ROWS = 1 << 24  # rows per batch or record batch: 16M rows is already gigabytes per batch
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds both accept it
MAX_LR = 10.0  # Adam's steps are ~lr per weight: beyond this every run diverges
MAX_L2 = 100.0  # l2 * sum(W^2): at 100 every weight is already pinned to ~0
MAX_BOOTSTRAP = 100_000  # resamples x classes counts are held at once (issue: --bootstrap 100000000)


def add_data_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
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
        group.add_argument("--sep", type=table_sep,
                           help="the field delimiter of a text table, e.g. ';' or '\\t' (default: read off the first "
                                "lines: , ; tab | or runs of blanks)")
        group.add_argument("--no-header", dest="header", action="store_const", const=False, default=None,
                           help="the table's first line is data, not column names (default: told from the content)")
        group.add_argument("--names", type=str_list, default=None,
                           help="the table's column names, comma-separated (a headerless file's, or to rename)")


def add_stream_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
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


def add_train_options(parser: argparse.ArgumentParser, *, sweep: bool = False, decisions: bool = True) -> None:
    """The network and its training. In `train` and `demo` the recipe's hyperparameters have no default: a flag
    given is kept fixed, one left out is chosen by ``--recipe`` (argparse.SUPPRESS: absent unless given).
    ``decisions=False`` (`audit`): the command takes no ``--critical`` or ``--cost-matrix``, so the help names
    only the monitors its flags can set (a ``val_critical:CLASS`` one, at ``--precision-floor``)."""
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
    defaults = " (default: val_loss; val_accuracy for --recipe seed" + (
        "; val_critical:CLASS for --critical CLASS; val_cost, the expected cost per validation row, for "
        "--cost-matrix, which wins over --critical)" if decisions else ")")
    group.add_argument("--monitor", default=default("val_loss"),
                       help="what early stopping watches: "
                            + (MONITOR_HELP if decisions else MONITOR_HELP.replace("val_cost, ", ""))
                            + ("" if sweep else defaults))
    if not sweep:
        group.add_argument("--precision-floor", type=number_in(0, 1, low_open=True), default=0.5, metavar="P",
                           help=("the precision each critical class must keep on the validation rows for "
                                 "val_critical to count its recall, in (0, 1]" if decisions else
                                 "the precision each class of --monitor val_critical:CLASS[,CLASS] must keep on a "
                                 "fold model's validation rows for its recall to count, in (0, 1]"))
    group.add_argument("--class-weight", type=class_weight, default=None,
                       help="'balanced', 'sqrt_balanced' (its square root), 'none' or CLASS=W,CLASS=W (classes not "
                            "named weigh 1); default under --recipe auto: 'sqrt_balanced', 'balanced' for TF-IDF "
                            "text; under --recipe seed: none")
    group.add_argument("--label-smoothing", type=number_in(0, 1), default=0.0, help="label smoothing of the loss, in [0, 1]")
    group.add_argument("--val-split", type=number_in(0, 1, high_open=True), default=0.1,
                       help="fraction of the rows held out (stratified) for early stopping and the validation report")
    group.add_argument("--seed", type=int_in(0, MAX_SEED), default=0, help="seeds the split, the initialisation, the order and dropout")
    group.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    if not sweep:
        group.add_argument("--engine", default="auto", choices=ENGINES,
                           help="what runs the training steps: auto (fused on CPU, CUDA graphs on GPU; sparse text: each "
                                "batch's terms, lazy Adam) or eager (the reference; sparse text densified)")
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


def add_decision_options(parser: argparse.ArgumentParser, *, training: bool) -> None:
    group = parser.add_argument_group("decisions")
    if training:
        add_critical(group)
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
        group.add_argument("--set-groups", choices=SET_GROUPS, default="auto",
                           help="classes with a threshold of their own: each critical class, every class, or none "
                                "(auto: critical with --critical, else marginal)")
        group.add_argument("--set-calibration", choices=SET_CALIBRATIONS, default="split",
                           help="calibrate the sets on the validation rows, or on every row's out-of-fold "
                                "probabilities of 5 fold models of the final recipe (cross)")
    group.add_argument("--cost-matrix", metavar="FILE",
                       help="K x K costs, CSV or JSON with class names (rows = true class, columns = decided class): "
                            "decide by minimum expected cost" + ("" if training else ", instead of the model's rule"))


def add_critical(group) -> None:
    if "--critical" in group._option_string_actions:  # demo has both the report's and the training's options
        return
    group.add_argument("--critical", type=str_list, default=(), metavar="CLASS[,CLASS]",
                       help="the classes that matter most: the report speaks of them first (saved with the model by "
                            "train, which watches their recall at a precision floor unless --monitor is given)")


def add_report_options(parser: argparse.ArgumentParser, *, seed: bool = True) -> None:
    group = parser.add_argument_group("report")
    add_critical(group)
    group.add_argument("--json", dest="json_out", metavar="FILE", help="also write the report as JSON (every number)")
    group.add_argument("--html", metavar="FILE", help="also write the report as one self-contained HTML page")
    group.add_argument("--bootstrap", type=int_in(0, MAX_BOOTSTRAP), default=1000, metavar="N",
                       help="stratified bootstrap resamples behind the 95%% intervals; 0: no intervals")
    if seed:
        group.add_argument("--seed", type=int_in(0, MAX_SEED), default=0, metavar="N", help="seed of the bootstrap")
    add_details(group)


def add_details(parser: argparse.ArgumentParser, what: str = "report") -> None:
    parser.add_argument("--details", action="store_true",
                        help=f"print the whole {what}: the dataset, every confusion matrix, the reliability bins, "
                             "the learning curve, the confidently wrong rows and the method (default: the compact "
                             "view)")
