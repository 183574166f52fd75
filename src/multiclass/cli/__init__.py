"""The command-line tool: parse, call the library's verb, print, return an exit code.

Exit codes: 0 success; 2 bad usage or bad input (every `MulticlassError`, unreadable or unwritable files),
printed as one ``error: ...`` line with no traceback; 1 an unexpected failure (a bug: the traceback is
shown only with MULTICLASS_DEBUG=1); 130 interrupted by Ctrl-C.

Parsing imports only the parser (`multiclass.cli.parser`); the commands, and with them torch, pandas and
scikit-learn, are imported once the command line is known to be valid -- and ``predict``, ``export`` and ``serve``
(`multiclass.cli.serving`) read a saved model without torch. The library's messages name its
parameters (`` `val_split` ``); here they name the command's flags (`` `--val-split` ``).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path

from multiclass.cli.parser import build_parser, flag_names
from multiclass.exceptions import MulticlassError

__all__ = ["main"]

# Wide enough for the per-class and confusion tables when the output is not a terminal (a file, a pipe).
_CONSOLE_WIDTH = 100
_PARAMETER = re.compile(r"`([a-z_]+)`")
_TRAINING, _SERVING = "multiclass.cli.commands", "multiclass.cli.serving"
_SERVING_COMMANDS = ("predict", "export", "serve")


def _check_train_outputs(parser, args) -> None:
    if args.command != "train":
        return
    if not (args.out or args.resume):
        parser.commands["train"].error("the following arguments are required: --out (or --resume MODEL_DIR)")
    if args.out and args.resume and Path(args.out).resolve() != Path(args.resume).resolve():
        parser.commands["train"].error(f"--out and --resume must name the same model directory; got {args.out!r} "
                                       f"and {args.resume!r}")


def in_flags(message: str, flags: dict[str, str]) -> str:
    """`message` with the library's parameter names (`` `val_split` ``) written as flags (`` `--val-split` ``)."""
    return _PARAMETER.sub(lambda m: f"`{flags[m.group(1)]}`" if m.group(1) in flags else m.group(0), message)


def main(argv: list[str] | None = None) -> int:
    """Run the tool with `argv` (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check_train_outputs(parser, args)
    except SystemExit as stop:  # argparse has printed the usage error (2) or --help / --version (0)
        return stop.code if isinstance(stop.code, int) else 0
    from rich.console import Console

    # the library, imported once the command line is valid; predict / export / serve without torch
    commands = importlib.import_module(_SERVING if args.command in _SERVING_COMMANDS else _TRAINING)

    # soft_wrap: a line holding a path is never broken inside it (tables still fit the width).
    # markup=False: paths and class names are printed as they are ('runs[final]' is not a rich style tag).
    width = None if sys.stdout.isatty() else _CONSOLE_WIDTH  # a terminal: its real width
    console = Console(width=width, highlight=False, soft_wrap=True, markup=False)
    try:
        return commands.COMMANDS[args.command](args, console)
    except MulticlassError as error:
        print(f"error: {in_flags(str(error), flag_names(parser, args.command))}", file=sys.stderr)
        return 2
    except OSError as error:  # a path the user gave that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if os.environ.get("MULTICLASS_DEBUG"):
            raise
        print(f"internal error: {type(error).__name__}: {error} (set MULTICLASS_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1
