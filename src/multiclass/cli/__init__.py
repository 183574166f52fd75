"""The command-line tool: parse, build configs, call the library, print, return an exit code.

Exit codes: 0 success; 2 bad usage or bad input (every `MulticlassError`, unreadable or unwritable files),
printed as one ``error: ...`` line with no traceback; 1 an unexpected failure (a bug: the traceback is
shown only with MULTICLASS_DEBUG=1); 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

from multiclass.cli.commands import COMMANDS
from multiclass.cli.parser import build_parser
from multiclass.exceptions import MulticlassError

__all__ = ["main"]

# Wide enough for the per-class and confusion tables; the readability target is 100 columns.
_CONSOLE_WIDTH = 100


def main(argv: list[str] | None = None) -> int:
    """Run the tool with `argv` (default: sys.argv[1:]) and return the exit code."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command == "train" and not (args.out or args.resume):
            parser.error("the following arguments are required: --out (or --resume MODEL_DIR)")
    except SystemExit as stop:  # argparse has printed the usage error (2) or --help / --version (0)
        return stop.code if isinstance(stop.code, int) else 0
    # soft_wrap: a line holding a path is never broken inside it (tables still fit the width).
    # markup=False: paths and class names are printed as they are ('runs[final]' is not a rich style tag).
    console = Console(width=_CONSOLE_WIDTH, highlight=False, soft_wrap=True, markup=False)
    try:
        return COMMANDS[args.command](args, console)
    except MulticlassError as error:
        print(f"error: {error}", file=sys.stderr)
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
