"""Issue 15, class 3: every numeric option of every command is range-checked when the command line is parsed. A
property test gives each one random out-of-range and extreme numbers (huge, negative, NaN, infinity, 1e308): the
parse either keeps a finite value or ends with exit 2 and one ``error:`` line naming the flag -- never a traceback."""

from __future__ import annotations

import argparse
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multiclass.cli.parser import build_parser

_POSITIONALS = {"train": ["d.csv"], "evaluate": ["m", "d.csv"], "predict": ["m", "d.csv", "--out", "p.csv"],
                "report": ["--predictions", "p.csv"], "compare": ["a", "b", "d.csv"], "sweep": ["d.csv"],
                "demo": [], "export": ["m", "--out", "m.onnx"], "serve": ["m"]}


def _numeric_options() -> list[tuple[str, str]]:
    """(command, flag) of every option whose value is converted by a function (not text, not a choice)."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, sub in commands.choices.items():
        if name not in _POSITIONALS:
            continue
        for action in sub._actions:
            if action.option_strings and callable(action.type) and action.type not in (str,) and not action.choices \
                    and action.nargs is None and getattr(action.type, "__name__", "") not in ("str_list", "<lambda>"):
                found.append((name, action.option_strings[-1]))
    return found


OPTIONS = _numeric_options()
NUMBERS = st.one_of(st.integers(-2**70, 2**70).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["1e308", "-1e308", "1e12", "-1", "0", "nan", "inf", "-inf", "1e-320", "x"]))


def test_there_are_numeric_options():
    flags = {flag for _, flag in OPTIONS}
    assert {"--lr", "--l2", "--epochs", "--batch-size", "--seed", "--bootstrap"} <= flags


@pytest.mark.parametrize(("command", "flag"), OPTIONS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NUMBERS)
def test_numeric_options_are_range_checked_at_parse_time(command, flag, value, capsys):
    parser = build_parser()
    try:
        args = parser.parse_args([command, *_POSITIONALS[command], f"{flag}={value}"])
    except SystemExit as stop:
        assert stop.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.startswith("error: ") and flag in err.splitlines()[0]
        return
    parsed = getattr(args, next(a.dest for a in parser._subparsers._group_actions[0].choices[command]._actions
                                if a.option_strings and a.option_strings[-1] == flag))
    values = parsed if isinstance(parsed, (tuple, list)) else [parsed]
    for item in values:
        if isinstance(item, float):
            assert math.isfinite(item), (flag, value, parsed)
        if isinstance(item, int) and not isinstance(item, bool):
            assert abs(item) < 2**63, (flag, value, parsed)
