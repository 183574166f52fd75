"""Atomic writes keep the umask's modes: outputs are 0644 and model directories 0755 under umask 022 (not the
0600 / 0700 of the temporary files they are born as), so a report or model can be shared; and a stricter umask
is respected."""

from __future__ import annotations

import os
import stat

import pytest

from multiclass.atomic import current_umask, open_atomic, output_mode, write_bytes_atomic
from multiclass.cli import main


@pytest.fixture
def umask():
    """Set the process umask for one test, then put the previous one back."""
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_current_umask_reads_without_changing_it(umask):
    umask(0o027)
    assert current_umask() == 0o027 and current_umask() == 0o027
    assert output_mode() == 0o640 and output_mode(folder=True) == 0o750


@pytest.mark.parametrize(("mask", "file_mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_files_get_the_mode_of_a_plain_open(umask, tmp_path, mask, file_mode):
    umask(mask)
    write_bytes_atomic(tmp_path / "a.json", b"{}")
    with open_atomic(tmp_path / "b.csv") as handle:
        handle.write(b"x\n")
    with open(tmp_path / "plain.txt", "wb"):  # the reference: what open() gives under this umask
        pass
    assert _mode(tmp_path / "a.json") == _mode(tmp_path / "b.csv") == _mode(tmp_path / "plain.txt") == file_mode


def test_every_cli_output_is_0644_and_the_model_directory_0755_under_umask_022(umask, tmp_path, capsys):
    umask(0o022)
    model, html, report, predictions = (tmp_path / name for name in ("model", "r.html", "r.json", "p.csv"))
    assert main(["train", "iris", "--epochs", "2", "--quiet", "--out", str(model)]) == 0
    assert main(["evaluate", str(model), "iris", "--bootstrap", "0", "--html", str(html), "--json",
                 str(report)]) == 0
    assert main(["predict", str(model), "iris", "--out", str(predictions)]) == 0
    capsys.readouterr()
    assert _mode(model) == 0o755
    assert {path.name: _mode(path) for path in model.iterdir()} == {"model.json": 0o644,
                                                                   "weights.safetensors": 0o644}
    assert [_mode(path) for path in (html, report, predictions)] == [0o644] * 3
