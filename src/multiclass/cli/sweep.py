"""The `sweep` sub-command: train every configuration of a grid at once, print the leaderboard, keep the best.

    multiclass sweep data.csv --target label --grid lr=1e-3,3e-3 --grid l2=0,1e-4 --grid seed=0,1,2 --out best/

Thin like the other commands: flags -> base `TrainConfig` + grid -> `multiclass.sweep.sweep` -> print and
write. The grid is checked before the data is read, so a typo fails in milliseconds.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from multiclass import data
from multiclass.cli.parser import _add_data_options, class_weight, int_list
from multiclass.devices import resolve_device
from multiclass.atomic import write_bytes_atomic
from multiclass.persistence import save_model
from multiclass.sweep import GRID_KEYS, expand_grid, leaderboard_to_dict, render_leaderboard, sweep
from multiclass.training import TrainConfig
from multiclass.workflow import check_output_path

__all__ = ["add_parser", "run"]

# The reader options `_add_data_options(training=True)` defines, passed on to `data.load_dataset`.
_DATA_OPTIONS = ("kind", "target", "id_column", "ignore", "categorical", "text_column", "labels", "split", "data_dir")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {text!r}")
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `sweep` sub-command to `subparsers` (from ``parser.add_subparsers``) and return its parser."""
    parser = subparsers.add_parser(
        "sweep", help="train every configuration of a grid at once and rank them by validation macro-F1",
        description="Train every configuration of a hyperparameter grid together (stacked weights) and print "
                    "a leaderboard by validation macro-F1. Flags not in the grid set every configuration.",
    )
    parser.add_argument("data", help="a table, text table, IDX, NPZ, image folder or built-in dataset name")
    parser.add_argument(
        "--grid", action="append", default=[], metavar="KEY=V1,V2",
        help=f"values to try, e.g. --grid lr=1e-3,3e-3 --grid l2=0,1e-4 or 'lr=1e-3,3e-3;l2=0,1e-4'; "
             f"keys: {', '.join(GRID_KEYS)} (hidden widths as 25x15)",
    )
    parser.add_argument("--top", type=_positive_int, default=10, help="leaderboard rows to print (default 10)")
    parser.add_argument("--out", help="also write the best model's directory here")
    parser.add_argument("--json", dest="json_out", help="also write the whole leaderboard as JSON to this file")
    _add_data_options(parser, training=True)
    group = parser.add_argument_group("model and training (the base of every configuration)")
    group.add_argument("--hidden", type=int_list, default=(25, 15),
                       help="hidden widths, e.g. 25,15; 'none' = softmax regression")
    group.add_argument("--activation", default="relu")
    group.add_argument("--dropout", type=float, default=0.0)
    group.add_argument("--l2", type=float, default=0.0, help="penalty l2 * sum(W^2), as Keras' l2(l2)")
    group.add_argument("--lr", type=float, default=1e-3)
    group.add_argument("--epochs", type=int, default=100)
    group.add_argument("--batch-size", type=int, default=32)
    group.add_argument("--patience", type=int, default=10)
    group.add_argument("--min-delta", type=float, default=0.0)
    group.add_argument("--monitor", default="val_loss",
                       help="early stopping: val_loss, val_accuracy, val_macro_f1 or val_recall:<class>")
    group.add_argument("--class-weight", type=class_weight, default=None,
                       help="'balanced' or class=weight,class=weight (classes not named weigh 1)")
    group.add_argument("--label-smoothing", type=float, default=0.0)
    group.add_argument("--val-split", type=float, default=0.1,
                       help="held-out fraction every configuration is ranked on")
    group.add_argument("--seed", type=int, default=0,
                       help="seeds the split, the dropout masks, and every model when the grid has no seed")
    group.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    group.add_argument("--quiet", action="store_true", help="no progress display")
    return parser


def run(args, console: Console) -> int:
    """Run `multiclass sweep` with parsed `args`; return the exit code (errors propagate to `main`)."""
    if args.out:
        check_output_path(args.out, model_dir=True)
    if args.json_out:
        check_output_path(args.json_out)
    base = TrainConfig(
        lr=args.lr, batch_size=args.batch_size, epochs=args.epochs, l2=args.l2, label_smoothing=args.label_smoothing,
        val_split=args.val_split, monitor=args.monitor, patience=args.patience, min_delta=args.min_delta,
        class_weight=args.class_weight, seed=args.seed, device=args.device, verbose=not args.quiet,
    )
    resolve_device(base.device)  # `--device cuda` without a GPU fails now, not after reading the data
    # Every grid value is checked now (features and classes are placeholders), before any data is read.
    expand_grid(args.grid, base, n_features=1, n_classes=2, hidden=args.hidden, activation=args.activation,
                dropout=args.dropout)
    dataset = data.load_dataset(args.data, **{name: getattr(args, name) for name in _DATA_OPTIONS})
    result = sweep(dataset, grid=args.grid, config=base, hidden=args.hidden, activation=args.activation,
                   dropout=args.dropout)
    board = result.leaderboard()
    render_leaderboard(board, console, top=args.top)
    best = result.best
    console.print(f"best: {best.trial.label()} (validation macro-F1 {board[0].val_macro_f1:.4f} at epoch "
                  f"{best.best_epoch}); {len(board)} configurations trained in {result.train_time:.1f} s")
    if args.json_out:
        document = {"n_configurations": len(board), "train_time": result.train_time,
                    "validation_rows": len(result.y_val), "leaderboard": leaderboard_to_dict(board)}
        write_bytes_atomic(args.json_out, json.dumps(document, indent=1, allow_nan=False).encode())
        console.print(f"leaderboard written to {args.json_out}")
    if args.out:
        save_model(result.trained_model(), args.out)
        console.print(f"best model written to {args.out}")
    return 0
