"""multiclass.cli.parser: parsing is light (no torch, pandas, scikit-learn or matplotlib), every flag explains
itself, and the vocabularies written in the parser are the library's."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from multiclass.cli import in_flags
from multiclass.cli.parser import DATA_KINDS, GRID_KEY_NAMES, LANGS, MONITOR_HELP, build_parser, flag_names

HEAVY = ("torch", "pandas", "sklearn", "matplotlib", "scipy", "numpy")

PROBE = """
import contextlib, io, json, sys
from multiclass.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
""" % (HEAVY,)


@pytest.mark.parametrize("argv, code", [
    (["--help"], 0),
    (["--version"], 0),
    (["train", "--help"], 0),
    (["train", "data.csv", "--out", "m", "--epochs", "zero"], 2),  # a usage error
    (["trian"], 2),
])
def test_parsing_the_command_line_imports_nothing_heavy(argv, code):
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60,
                          check=True)
    result = json.loads(done.stdout)
    assert result == {"code": code, "loaded": []}


@pytest.mark.parametrize("argv, message", [
    (["train", "no-such.csv", "--target", "y", "--out", "m"], "error: no-such.csv: no such file or folder, and not "
                                                              "a built-in dataset (iris, wine, digits, mnist, "
                                                              "fashion-mnist)."),
    (["train", "iris", "--val-data", "no-such.csv", "--out", "m"], "error: no-such.csv: no such file or folder"),
    (["evaluate", "no-model", "iris"], "error: no-model: not a model directory (expected a folder with model.json "
                                       "and weights.safetensors)."),
    (["compare", "no-a", "no-b", "iris"], "error: no-a: not a model directory"),
    (["sweep", "no-such.csv", "--grid", "lr=0.1"], "error: no-such.csv: no such file or folder"),
    (["audit", "no-such.csv", "--out", "a"], "error: no-such.csv: no such file or folder"),
])
def test_a_path_that_names_nothing_is_said_before_the_library_is_imported(tmp_path, argv, message):
    """The first output of a mistyped path comes at once: neither torch, pandas, scipy nor scikit-learn is
    imported to say it (the check is `multiclass.cli.plan.check_command_inputs`; the library says the same)."""
    done = subprocess.run([sys.executable, "-c", _PROBE_ERRORS, *argv], capture_output=True, text=True, timeout=60,
                          check=True, cwd=tmp_path)
    result = json.loads(done.stdout)
    assert result["code"] == 2 and result["loaded"] == []
    assert result["stderr"].startswith(message) and result["stderr"].count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    (["train", "d.csv", "--target", "Species", "--out", "m"],
     "error: d.csv: target column 'Species' not found; available columns: 'sepal', 'petal', 'species' (did you "
     "mean 'species'?)."),
    (["train", "d.csv", "--target", "Species", "--out", "m", "--lang", "es"],
     "error: d.csv: no se encuentra la columna objetivo 'Species'; columnas disponibles: 'sepal', 'petal', "
     "'species' (¿quiso decir 'species'?)."),
    (["sweep", "d.csv", "--target", "y", "--grid", "lr=0.1"], "error: d.csv: target column 'y' not found"),
    (["audit", "d.csv", "--target", "y", "--out", "a"], "error: d.csv: target column 'y' not found"),
    (["train", "h.csv", "--target", "3", "--out", "m"],
     "error: h.csv: target column '3' not found; available columns: 'column_1', 'column_2', 'column_3' (the file has "
     "no header line, so its columns are named column_1, column_2, ...: column 3 is 'column_3')."),
    (["train", "d.csv", "--target", "species", "--ignore", "Petal", "--out", "m"],
     "error: `--ignore` must name columns of d.csv; got 'Petal'. Available columns: 'sepal', 'petal', 'species'."),
    (["train", "d.csv", "--target", "species", "--categorical", "sepal,Petal", "--out", "m", "--lang", "es"],
     "error: `--categorical` debe nombrar columnas de d.csv; se recibió 'Petal'. Columnas disponibles: 'sepal', "
     "'petal', 'species'."),
    (["train", "s.txt", "--target", "y", "--sep", "tab", "--out", "m"],
     "error: s.txt: target column 'y' not found; available columns: 'a;b', 'label'."),
])
def test_a_target_that_is_no_column_is_said_before_the_library_is_imported(tmp_path, argv, message):
    """The commonest first mistake, a mistyped `--target` (or `--ignore`, `--categorical` name), is said at once,
    in the reader's words, from the file's first line (`multiclass.data.column_names`): nothing heavy is imported."""
    (tmp_path / "d.csv").write_text("sepal,petal,species\n1.0,2.0,a\n1.5,2.5,b\n")
    (tmp_path / "h.csv").write_text("1.5,0.5,a\n2.5,0.7,b\n")
    (tmp_path / "s.txt").write_text("a;b\tlabel\n1;2\tx\n")
    done = subprocess.run([sys.executable, "-c", _PROBE_ERRORS, *argv], capture_output=True, text=True, timeout=60,
                          check=True, cwd=tmp_path)
    result = json.loads(done.stdout)
    assert result["code"] == 2 and result["loaded"] == []
    assert result["stderr"].startswith(message) and result["stderr"].count("\n") == 1


_PROBE_ERRORS = """
import contextlib, io, json, sys
from multiclass.cli import main
err = io.StringIO()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "stderr": err.getvalue(),
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "pandas", "sklearn",
                                                                                  "scipy", "matplotlib"))}))
"""


def test_every_flag_has_a_sentence_and_every_command_examples():
    parser = build_parser()
    for name, sub in parser.commands.items():
        assert sub.epilog and sub.epilog.startswith("examples:\n  multiclass " + name), name
        for action in sub._actions:
            if action.option_strings or action.dest not in ("help",):
                assert action.help and len(action.help) > 10, (name, action.dest)


def test_defaults_are_shown_in_the_help(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 0.1)" in text and "(default: chosen by --recipe)" in text and "examples:" in text
    assert "(default: None)" not in text and "(default: ())" not in text and "(default: False)" not in text


def test_the_parsers_vocabularies_are_the_librarys():
    from multiclass.data import KINDS
    from multiclass.report.formatting import LANGS as REPORT_LANGS
    from multiclass.sweep.grid import GRID_KEYS
    from multiclass.training.config import MONITORS

    assert DATA_KINDS == tuple(KINDS)
    assert LANGS == tuple(REPORT_LANGS)
    assert GRID_KEY_NAMES == tuple(GRID_KEYS)
    assert all(monitor in MONITOR_HELP for monitor in MONITORS)


@pytest.mark.parametrize("text, widths", [("25x15", (25, 15)), ("25,15", (25, 15)), ("100", (100,)), ("none", ())])
def test_hidden_widths_are_written_with_x_and_commas_still_read(text, widths):
    assert build_parser().parse_args(["train", "d.csv", "--out", "m", "--hidden", text]).hidden == widths


@pytest.mark.parametrize("flag, value, message", [
    ("--epochs", "0", "`--epochs` must be an integer in [1, 1,000,000]; got '0'"),
    ("--seed", "-1", "`--seed` must be an integer in [0, 4,294,967,295]; got '-1'"),
    ("--lr", "1e308", "`--lr` must be a number in (0, 10]; got '1e308'"),
    ("--l2", "1e308", "`--l2` must be a number in [0, 100]; got '1e308'"),
    ("--batch-size", "1e12", "`--batch-size` must be an integer in [1, 16,777,216]; got '1e12'"),
    ("--dropout", "1", "`--dropout` must be a number in [0, 1); got '1'"),
    ("--hidden", "25x0", "`--hidden` must be positive hidden widths such as 25x15; got '25x0'"),
])
def test_numeric_flags_are_range_checked_while_parsing(capsys, flag, value, message):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["train", "d.csv", "--out", "m", flag, value])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"error: {message}", "(run 'multiclass train --help' for the options and examples)"]


def test_library_messages_name_the_flags_of_the_command():
    flags = flag_names(build_parser(), "train")
    assert flags["val_split"] == "--val-split" and flags["kind"] == "--kind"
    message = "`val_split` must be in [0, 1); `X` is not a flag; `kind` must be 'table'."
    assert in_flags(message, flags) == "`--val-split` must be in [0, 1); `X` is not a flag; `--kind` must be 'table'."


def test_audit_offers_only_the_monitors_its_flags_can_set(capsys):
    """`audit` has no --critical or --cost-matrix: its help names neither, nor val_cost; --precision-floor stays, for
    a val_critical:CLASS monitor of the fold models (see the next test)."""
    parser = build_parser()
    audit = parser.commands["audit"]
    flags = {action.dest: action for action in audit._actions}
    assert "critical" not in flags and "cost_matrix" not in flags
    assert "val_cost" not in flags["monitor"].help and "--critical" not in flags["monitor"].help
    assert "--monitor val_critical:CLASS" in flags["precision_floor"].help
    assert parser.parse_args(["audit", "d.csv", "--monitor", "val_critical:x", "--precision-floor", "0.3"]) \
        .precision_floor == 0.3
    train = {action.dest: action for action in parser.commands["train"]._actions}
    assert "val_cost" in train["monitor"].help and "--cost-matrix" in train["monitor"].help
    with pytest.raises(SystemExit):
        parser.parse_args(["audit", "d.csv", "--precision-floor", "0"])
    assert "`--precision-floor` must be a number in (0, 1]; got '0'" in capsys.readouterr().err


@pytest.mark.parametrize("lang, expected", [
    ("en", "error: `--monitor` 'val_cost' prices decisions with a cost matrix, which audit does not take; watch "
           "another monitor"),
    ("es", "error: `--monitor` 'val_cost' puntúa decisiones con una matriz de costes, que audit no recibe; vigile "
           "otra métrica"),
])
def test_audit_refuses_a_cost_monitor_before_reading_anything(capsys, lang, expected):
    from multiclass.cli import main

    assert main(["audit", "missing.csv", "--target", "y", "--monitor", "val_cost", "--lang", lang]) == 2
    assert expected in capsys.readouterr().err.splitlines()


def test_audit_fold_models_watch_the_precision_floor(tmp_path, monkeypatch):
    """The floor reaches the fold models' training config, and their monitor counts recall at it."""
    from multiclass.cli import main
    from multiclass.exceptions import ConfigError
    from multiclass.training.monitor import watched_of

    seen = {}

    def folds_not_trained(dataset, *, recipe, **options):
        seen["config"] = recipe.config
        raise ConfigError("stopped before the fold models train")

    monkeypatch.setattr("multiclass.jobs.audit.audit_arrays", folds_not_trained)
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 7},{'xyz'[i % 3]}\n" for i in range(30)))
    argv = ["audit", str(data), "--target", "y", "--recipe", "seed", "--monitor", "val_critical:z",
            "--precision-floor", "0.3", "--quiet", "--out", str(tmp_path / "audit")]
    assert main(argv) == 2
    assert seen["config"].precision_floor == 0.3
    watched = watched_of(seen["config"], ("x", "y", "z"), 3)
    assert (watched.codes, watched.floor) == ((2,), 0.3)
