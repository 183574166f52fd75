"""Issue 15, classes 5 and 9: strings from data never drive the terminal, a closed pipe or an ASCII stdout never
loses work, and a predictions CSV never holds a cell a spreadsheet would run as a formula (the same guard on the
torch and the numpy paths)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from multiclass.cli import main
from multiclass.cli.console import SafeConsole, SafeStream
from multiclass.safetext import csv_cell, csv_columns, csv_uncell, terminal_safe
from tests.catalogue import QUIET, write

SRC = str(Path(__file__).resolve().parents[1] / "src")
_HOSTILE = ["\x1b[2Jcat", "\x1b]0;pwned\x07dog", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "-2+3", "+cmd", "\u202eevil"]


def _table(labels) -> str:
    return "a,b,y\n" + "".join(f"{i % 5},{(i * 3) % 7},{labels[i % len(labels)]}\n" for i in range(6 * len(labels)))


def _csv_text(labels) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["a", "b", "y"])
    for i in range(6 * len(labels)):
        writer.writerow([i % 5, (i * 3) % 7, labels[i % len(labels)]])
    return text.getvalue()


@pytest.fixture(scope="module")
def hostile_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = write(root / "data.csv", _csv_text(_HOSTILE))
    assert main(["train", str(data), "--target", "y", "--hidden", "none", *QUIET, "--out", str(root / "model")]) == 0
    return root, data, root / "model"


# --- the terminal ------------------------------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_terminal_safe_leaves_no_control_character(text):
    safe = terminal_safe(text)
    assert not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or 0x202A <= ord(c) <= 0x202E
                   or 0x2066 <= ord(c) <= 0x2069 for c in safe)
    if all(c.isprintable() or c in "\n\t" for c in text):
        assert safe == text  # printable text is left as it is


def test_control_characters_in_labels_are_shown_escaped(hostile_model, capsys):
    _, data, model = hostile_model
    assert main(["evaluate", str(model), str(data)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[2Jcat" in out and "\\u202eevil" in out


def test_control_characters_on_a_styled_terminal_are_escaped_but_styles_pass():
    console = SafeConsole(file=io.StringIO(), force_terminal=True, color_system="standard", width=60)
    console.print("[bold]\x1b[2Jx[/bold]", markup=True)
    from rich.table import Table

    table = Table("class")
    table.add_row("\x1b]0;title\x07")
    console.print(table)
    text = console.file.getvalue()
    assert "\\x1b" in text and "\\x1b]0;title\\x07" in text
    assert "\x1b[1m" in text  # rich's own bold still reaches the terminal
    assert "\x1b[2J" not in text and "\x1b]0" not in text and "\x07" not in text


def test_error_lines_escape_control_characters(tmp_path, capsys):
    missing = tmp_path / "no\x1b[2Jsuch.csv"
    assert main(["train", str(missing), "--target", "y", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "no\\x1b[2Jsuch.csv" in err


def _run(argv, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "multiclass", *argv], capture_output=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": SRC, **env})


def test_a_closed_pipe_ends_printing_quietly_and_the_files_are_written(hostile_model, tmp_path):
    """``multiclass evaluate ... | head -1``: exit 0, nothing on stderr, the JSON and HTML still written."""
    _, data, model = hostile_model
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    command = (f"{sys.executable} -m multiclass evaluate {model} {data} --json {out} --html {page} | head -c 1; "
               "exit ${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert out.stat().st_size > 0 and page.stat().st_size > 0


def test_train_into_a_closed_pipe_still_saves_the_model(tmp_path):
    data = write(tmp_path / "data.csv", _table(["x", "y", "z"]))
    command = (f"{sys.executable} -m multiclass train {data} --target y --hidden none --epochs 2 "
               f"--out {tmp_path / 'm'} | head -c 1; exit ${{PIPESTATUS[0]}}")
    done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0 and b"Error" not in done.stderr, done.stderr
    assert (tmp_path / "m" / "model.json").is_file()


def test_an_ascii_stdout_never_crashes(hostile_model, tmp_path):
    _, data, model = hostile_model
    done = _run(["evaluate", str(model), str(data), "--json", str(tmp_path / "r.json")], PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.json").is_file()
    done.stdout.decode("ascii")  # every byte is ASCII


def test_safe_stream_swallows_a_broken_pipe():
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            raise OSError("no descriptor")

    stream = SafeStream(Broken())
    assert stream.write("hello") == 5 and stream.closed_pipe
    stream.flush()


# --- spreadsheets ------------------------------------------------------------------------------------------------


@given(st.text(max_size=20))
def test_csv_guard_round_trips_and_never_starts_a_formula(text):
    guarded = csv_cell(text)
    assert csv_uncell(guarded) == text
    if guarded[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(guarded)  # only a plain number may start so


@pytest.mark.parametrize("text", ["'\t", "'=x", "''=x", "'''-a", "'-1", "'", "''", "'cat"])
def test_csv_guard_gives_back_texts_that_already_look_guarded(text):  # hypothesis found "'\t" on 2026-12-03
    assert csv_uncell(csv_cell(text)) == text


def test_csv_guard_keeps_numbers():

    assert [csv_cell(v) for v in ["-1", "+3.5", "-2e3", "=1", "-2+3", "@x", "'=x", "cat"]] == [
        "-1", "+3.5", "-2e3", "'=1", "'-2+3", "'@x", "''=x", "cat"]


@pytest.mark.parametrize("runtime", ["numpy", "torch"])
def test_predictions_csv_cells_and_headers_are_guarded_on_both_runtimes(hostile_model, tmp_path, runtime):
    _, data, model = hostile_model
    out = tmp_path / f"p-{runtime}.csv"
    assert main(["predict", str(model), str(data), "--runtime", runtime, "--keep-columns", "y", "--out",
                 str(out)]) == 0
    rows = list(csv.reader(out.open(newline="")))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not _number(c))]
    assert "'=HYPERLINK(\"http://x\")" in cells and "'-2+3" in cells


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_both_runtimes_guard_the_same_cells(hostile_model, tmp_path):
    _, data, model = hostile_model
    labels = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(model), str(data), "--runtime", runtime, "--keep-columns", "y", "--out",
                     str(out)]) == 0
        rows = list(csv.reader(out.open(newline="")))
        labels[runtime] = (rows[0], [tuple(row[:2]) for row in rows[1:]])  # y_true, predicted
    assert labels["numpy"] == labels["torch"]


def test_guarded_predictions_read_back_as_the_labels(hostile_model, tmp_path, capsys):
    """`report --predictions` takes the prefix off: the labels match their p_<class> columns again."""
    _, data, model = hostile_model
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(data), "--keep-columns", "y", "--out", str(out)]) == 0
    assert main(["report", "--predictions", str(out), "--json", str(tmp_path / "r.json")]) == 0
    import json

    classes = json.loads((tmp_path / "r.json").read_text())["classes"]
    assert "=HYPERLINK(\"http://x\")" in [c if isinstance(c, str) else c.get("name") for c in classes]


def test_csv_columns_leaves_numbers_alone():
    import numpy as np

    columns = {"=h": np.array(["=a", "b"], dtype=object), "p": np.array([-1.0, 2.0]), "n": np.array([-1, 2])}
    guarded = csv_columns(columns)
    assert list(guarded) == ["'=h", "p", "n"]
    assert guarded["'=h"].tolist() == ["'=a", "b"] and guarded["p"] is columns["p"]


@given(labels=st.lists(st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "L", "N", "P"]),
                               min_size=1, max_size=12), min_size=1, max_size=4))
def test_random_control_characters_in_labels_never_reach_the_terminal(labels):
    """A table of random labels (control and format characters among them), on a colour terminal: no raw control
    character but rich's own style sequences (ESC [ ... m) and newlines reaches the output."""
    import re

    from rich.table import Table

    console = SafeConsole(file=io.StringIO(), force_terminal=True, color_system="standard", width=80)
    table = Table("class", "recall")
    for label in labels:
        table.add_row(label, "0.5")
    console.print(table)
    console.print(*labels)
    text = re.sub(r"\x1b\[[0-9;]*m", "", console.file.getvalue())  # rich's own styles
    assert not [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0
                or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069]
