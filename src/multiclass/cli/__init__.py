"""The command-line tool: parse, call the library's verb, print, return an exit code.

Exit codes: 0 success; 2 bad usage or bad input (every `MulticlassError`, unreadable or unwritable files),
printed as one ``error: ...`` line with no traceback; 1 an unexpected failure (a bug: the traceback is
shown only with MULTICLASS_DEBUG=1); 130 interrupted by Ctrl-C.

Parsing imports only the parser (`multiclass.cli.parser`); the commands, and with them torch, pandas and
scikit-learn, are imported once the command line is known to be valid -- and ``predict``, ``export`` and ``serve``
(`multiclass.cli.serving`) read a saved model without torch. The library's messages name its
parameters (`` `val_split` ``); here they name the command's flags (`` `--val-split` ``), and are translated into
the language of ``--lang`` (every command has it; its default is ``$MULTICLASS_LANG``, else English) by
`multiclass.cli.translate`. The command runs `speaking` that language, so the training progress lines use it too.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path

from multiclass.cli.messages import say
from multiclass.cli.parser import LANGS, build_parser, flag_names
from multiclass.cli.translate import translate
from multiclass.exceptions import MulticlassError
from multiclass.language import default_lang, speaking
from multiclass.safetext import terminal_safe

__all__ = ["error_line", "in_flags", "main", "requested_lang"]

# Wide enough for the per-class and confusion tables when the output is not a terminal (a file, a pipe).
_CONSOLE_WIDTH = 100
_PARAMETER = re.compile(r"`([a-z_]+)`")
# The module of each command's function: each imports only what its commands need (bench/startup.py).
_MODULES = {**dict.fromkeys(("predict", "export", "serve"), "multiclass.cli.serving"),
            **dict.fromkeys(("evaluate", "report", "datasets"), "multiclass.cli.reports")}
_TRAINING = "multiclass.cli.commands"


def _check_train_outputs(parser, args) -> None:
    if args.command != "train":
        return
    if not (args.out or args.resume):
        parser.commands["train"].error("the following arguments are required: --out (or --resume MODEL_DIR)")
    if args.out and args.resume and Path(args.out).resolve() != Path(args.resume).resolve():
        parser.commands["train"].error(f"--out and --resume must name the same model directory; got {args.out!r} "
                                       f"and {args.resume!r}")


def _check_audit_monitor(parser, args) -> None:
    if args.command == "audit" and getattr(args, "monitor", None) == "val_cost":  # audit takes no cost matrix
        parser.commands["audit"].error("`--monitor` 'val_cost' prices decisions with a cost matrix, which audit does "
                                       "not take; watch another monitor")


def in_flags(message: str, flags: dict[str, str]) -> str:
    """`message` with the library's parameter names (`` `val_split` ``) written as flags (`` `--val-split` ``)."""
    return _PARAMETER.sub(lambda m: f"`{flags[m.group(1)]}`" if m.group(1) in flags else m.group(0), message)


def requested_lang(argv: list[str]) -> str:
    """The language asked on the command line (``--lang es`` / ``--lang=es``), else `default_lang()`: known before
    parsing, so that a usage error is already in it."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.partition("=")[2]
        if (arg == "--lang" or arg.startswith("--lang=")) and value in LANGS:
            return value
    return default_lang()


def error_line(message: str, lang: str) -> str:
    """``error: <message>``, the message translated into `lang` when the catalogue knows it."""
    return terminal_safe(say("error", lang, message=translate(message, lang) or message))


def main(argv: list[str] | None = None) -> int:
    """Run the tool with `argv` (default: sys.argv[1:]) and return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        with speaking(requested_lang(argv)):  # the parser's usage errors speak it
            args = parser.parse_args(argv)
            _check_train_outputs(parser, args)
            _check_audit_monitor(parser, args)
    except SystemExit as stop:  # argparse has printed the usage error (2) or --help / --version (0)
        return stop.code if isinstance(stop.code, int) else 0
    with speaking(args.lang):
        return _run(parser, args)


def _run(parser, args) -> int:
    from multiclass.cli.console import SafeConsole, safe_stdout, warning_lines

    # soft_wrap: a line holding a path is never broken inside it (tables and the report's sentences still fit
    # the width). markup=False: paths and class names are printed as they are ('runs[final]' is no style tag).
    width = None if sys.stdout.isatty() else _CONSOLE_WIDTH  # a terminal: its real width
    flags, lang = flag_names(parser, args.command), args.lang

    def words(text: str) -> str:  # a warning's line: flags named, in the run's language
        text = in_flags(text, flags)
        return say("warning", lang, message=translate(text, lang) or text)

    with safe_stdout() as stdout, warning_lines(words):  # a closed pipe or an ASCII terminal never stops the work
        console = SafeConsole(file=stdout, width=width, highlight=False, soft_wrap=True, markup=False)
        return _guarded(parser, args, console)


def _guarded(parser, args, console) -> int:
    """Run the command: its errors become one line on stderr and an exit code."""
    from multiclass.cli.plan import check_command_inputs, check_command_outputs

    lang = args.lang
    try:
        check_command_outputs(args)
        check_command_inputs(args)
        # the library, imported once the command line and its paths are valid; predict / export / serve without
        # torch, evaluate without the training verbs
        commands = importlib.import_module(_MODULES.get(args.command, _TRAINING))
        return commands.COMMANDS[args.command](args, console)
    except MulticlassError as error:
        print(error_line(in_flags(str(error), flag_names(parser, args.command)), lang), file=sys.stderr)
        return 2
    except OSError as error:  # a path the user gave that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print(error_line(f"{where}{error.strerror or error}", lang), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(say("interrupted", lang), file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if os.environ.get("MULTICLASS_DEBUG"):
            raise
        print(say("internal_error", lang, kind=type(error).__name__, message=error), file=sys.stderr)
        return 1
