"""The value of one flag, parsed: argparse types that check a number's range or read a small syntax (hidden widths
``25x15``, class weights ``cat=2,dog=0.5``, recall targets ``fault=0.95``) and say what they expected.

Imports only the standard library (the parser is light: see `multiclass.cli.parser`).
"""

from __future__ import annotations

import argparse
import math

__all__ = ["class_weight", "hidden_widths", "int_in", "number_in", "recall_targets", "str_list"]


MAX_WIDTH = 2**24  # units of one hidden layer: a wider one is a typo (the memory budget refuses far less)


def _fail(kind: str, text: str, example: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"must be {kind} such as {example}; got {text!r}")


def hidden_widths(text: str) -> tuple[int, ...]:
    """'25x15' (or '25,15') -> (25, 15); 'none' -> () (softmax regression).

    The widths are written with 'x' everywhere (``--hidden 25x15``, ``--grid hidden=25x15,100``), since commas
    separate the values of a grid; commas are still read here.
    """
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        widths = tuple(int(part) for part in text.replace(",", "x").split("x"))
    except ValueError:
        raise _fail("hidden widths", text, "25x15, 100 or none") from None
    if any(width < 1 for width in widths):
        raise _fail("positive hidden widths", text, "25x15")
    if any(width > MAX_WIDTH for width in widths):
        raise _fail(f"hidden widths of at most {MAX_WIDTH:,} units", text, "25x15")
    return widths


def table_sep(text: str) -> str:
    """An argparse type: a table's delimiter, with the words a shell makes easier (``\\t``, ``tab``, ``space``)."""
    return {"\\t": "\t", "tab": "\t", "space": " "}.get(text, text)


def str_list(text: str) -> tuple[str, ...]:
    """'a, b,' -> ('a', 'b')."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def int_in(low: int, high: int, *, none: bool = False):
    """An argparse type: an integer in [low, high] (or 'none' -> None when `none`)."""
    def parse(text: str) -> int | None:
        if none and text.strip().lower() == "none":
            return None
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            extra = " or 'none'" if none else ""
            raise argparse.ArgumentTypeError(f"must be an integer in [{low:,}, {high:,}]{extra}; got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def number_in(low: float, high: float, *, low_open: bool = False, high_open: bool = False):
    """An argparse type: a finite number in the interval from `low` to `high` (open ends as asked)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
        if not (math.isfinite(value) and inside):
            bounds = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise argparse.ArgumentTypeError(f"must be a number in {bounds}; got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def class_weight(text: str) -> str | dict[str, float]:
    """'balanced', 'sqrt_balanced' and 'none' as they are; 'cat=2,dog=0.5' -> {'cat': 2.0, 'dog': 0.5}.

    The last '=' of each part splits it, so a class name may itself contain '='.
    """
    if text.strip() in ("balanced", "sqrt_balanced", "none"):
        return text.strip()
    weights = {}
    for part in text.split(","):
        name, _, value = part.rpartition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            name = ""
        if not name.strip():
            raise argparse.ArgumentTypeError(f"must be 'balanced', 'sqrt_balanced', 'none' or name=weight,name=weight; "
                                             f"got {text!r}")
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
            raise argparse.ArgumentTypeError(f"must be class=recall,class=recall with recalls in (0, 1], such as "
                                             f"fault=0.95; got {text!r}")
        targets[name.strip()] = recall
    return targets
