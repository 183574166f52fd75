"""The bad-input catalogue's machinery: every case runs the CLI in-process and must end the same way.

Exit code 2; stderr is exactly one line, ``error: <message>`` (a usage error adds its hint line), the message
matching the case's pattern (which names the file, column, row or line and what is wrong); no traceback; and nothing
on disk changed: every file under the case's folder (and the output path, if it is outside) has the same bytes and
mtime after the run as before, so no output was written or half-written, no temporary file was left behind, and a
previous model was not touched.

The cases live beside the command they exercise (tests/test_cli_errors_train.py, _evaluate.py, _predict.py);
docs/errors.md lists them all with the messages they print (tests/test_cli_errors_docs.py keeps it in step).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import multiclass.atomic
from multiclass.cli import main
from multiclass.cli.errors import ERRORS, REASONS
from multiclass.cli.translate import template_fields
from multiclass.data import write_idx
from multiclass.persistence import _canonical


DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


QUIET = ["--epochs", "1", "--quiet"]


@dataclass(frozen=True)
class Case:
    name: str
    situation: str
    build: Callable[[Path, Path], tuple[list[str], str]]  # (folder, model dir) -> (argv, message pattern)
    patch: Callable[[pytest.MonkeyPatch, Path], None] | None = None
    module: str = ""


CASES: dict[str, Case] = {}


def case(situation: str, patch=None):
    """Register the decorated builder as a catalogue case (of the test module that defines it)."""

    def register(build):
        CASES[build.__name__] = Case(build.__name__, situation, build, patch, build.__module__)
        return build

    return register


def cases_of(module: str) -> list[str]:
    """The names of the cases that test module `module` registered."""
    return [name for name, entry in CASES.items() if entry.module == module]


def q(path: Path | str) -> str:
    return re.escape(str(path))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def train(data: Path, *extra: str, out: Path | None = None) -> list[str]:
    out = out if out is not None else data.parent / "out"
    return ["train", str(data), *extra, *QUIET, "--out", str(out)]


def train_table(data: Path, *extra: str, out: Path | None = None) -> list[str]:
    return train(data, "--target", "y", *extra, out=out)


GOOD = "a,b,y\n" + "".join(f"{2 * i},{i % 7},{'xyz'[i % 3]}\n" for i in range(30))  # a: not a row number


def idx_pair(tmp: Path, images: bytes | None = None, n_labels: int = 20) -> tuple[Path, Path]:
    pixels = np.arange(20 * 4 * 4, dtype=np.uint8).reshape(20, 4, 4)
    image_path = write_idx(tmp / "train-images-idx3-ubyte", pixels)
    labels = write_idx(tmp / "train-labels-idx1-ubyte", np.arange(n_labels, dtype=np.uint8) % 2)
    if images is not None:
        image_path.write_bytes(images(image_path.read_bytes()) if callable(images) else images)
    return image_path, labels


def image(path: Path, size=(4, 4), mode="RGB", color=(200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color if mode in ("RGB", "RGBA") else color[0]).save(path)
    return path


def image_folder(root: Path) -> Path:
    for i in range(3):
        image(root / "cat" / f"{i}.png")
        image(root / "dog" / f"{i}.png", color=(20, 30, 200))
    return root


def forge(model: Path, weights: bytes | None = None, edit=None) -> None:
    """Change the model and fix both hashes, as a deliberate attacker would: the structural checks must catch it."""
    import json

    if weights is not None:
        (model / "weights.safetensors").write_bytes(weights)
    document = json.loads((model / "model.json").read_text())
    document.pop("checksum")
    document["weights"]["sha256"] = hashlib.sha256((model / "weights.safetensors").read_bytes()).hexdigest()
    if edit:
        edit(document)
    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    (model / "model.json").write_text(json.dumps(document))


def predict_argv(tmp: Path, model: Path) -> list[str]:
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    return ["predict", str(model), str(data), "--out", str(tmp / "predictions.csv")]


class Payload:
    """Unpickling this creates the file `target`: the proof that nothing was unpickled is that it does not exist."""

    def __init__(self, target: Path):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def _option_case(flag: str, value: str, message: str):
    def build(tmp, model):
        data = write(tmp / "data.csv", GOOD)
        return ["train", str(data), "--target", "y", "--quiet", flag, value, "--out", str(tmp / "out")], message

    build.__module__ = "tests.test_cli_errors_train"
    build.__name__ = f"option_{flag.strip('-').replace('-', '_')}_{value.replace('-', 'minus_').replace('.', '_')}"
    case(f"`{flag} {value}`")(build)


def _no_gpu(monkeypatch, tmp):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def _read_only(folder_name: str):
    """Creating anything in tmp/<folder_name> fails as in a read-only folder (root ignores chmod, so simulate)."""

    def patch(monkeypatch, tmp):
        real_mkstemp, real_mkdtemp = tempfile.mkstemp, tempfile.mkdtemp

        def refuse(real):
            def create(*args, dir=None, **kwargs):
                if dir is not None and Path(dir) == tmp / folder_name:
                    raise PermissionError(errno.EACCES, "Permission denied", str(dir))
                return real(*args, dir=dir, **kwargs)

            return create

        monkeypatch.setattr(tempfile, "mkstemp", refuse(real_mkstemp))
        monkeypatch.setattr(tempfile, "mkdtemp", refuse(real_mkdtemp))

    return patch


def _disk_full(monkeypatch, tmp):
    """The bytes go into the page cache, then flushing them to disk fails: the disk is full."""

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(multiclass.atomic.os, "fsync", full)


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory) -> Path:
    """A 2-feature, 3-class table model with one hidden layer of 4 units, trained for one epoch."""
    root = tmp_path_factory.mktemp("catalogue")
    data = write(root / "train.csv", GOOD)
    model = root / "model"
    assert main(["train", str(data), "--target", "y", "--hidden", "4", *QUIET, "--out", str(model)]) == 0
    return model


def snapshot(*roots: Path) -> dict[str, tuple]:
    """path -> (size, mtime_ns, sha256 if under 1 MiB) of every file under `roots`, and every folder's presence."""
    state = {}
    for root in roots:
        paths = [root, *root.rglob("*")] if root.is_dir() else [root]
        for path in paths:
            if not os.path.lexists(path):
                continue
            if not path.is_file():  # a folder: its presence (its mtime moves when a temporary file comes and goes)
                state[str(path)] = ("folder",)
                continue
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 2**20 else None
            state[str(path)] = (info.st_size, info.st_mtime_ns, digest)
    return state


def _outputs(argv: list[str]) -> list[Path]:
    return [Path(argv[i + 1]) for i, flag in enumerate(argv[:-1]) if flag in ("--out", "--json")]

_HINTS = ("(run 'multiclass", "(ejecute 'multiclass")  # the usage hint line, in English and Spanish
_ENGLISH_REASONS = {spanish: english for english, spanish in REASONS.items()}


def _spanish_pattern(spanish: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", spanish)
    return re.compile("^" + "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
                      + "$", re.DOTALL)


def back_to_english(message: str) -> str | None:
    """The English message a Spanish one was translated from (by the same catalogue, read right to left), or None
    when `message` is no translation: it is still English, or a template is missing."""
    for english, spanish in ERRORS:
        found = _spanish_pattern(spanish).match(message)
        if found and sorted(found.groupdict()) == sorted(template_fields(english)):
            fields = dict(found.groupdict())
            if "message" in fields:
                fields["message"] = back_to_english(fields["message"]) or "<untranslated>"
            if "listing" in fields:
                fields["listing"] = "; ".join(f"{head}{sep}{back_to_english(tail) or '<untranslated>'}" for head, sep, tail
                                              in (item.rpartition(": ") for item in fields["listing"].split("; ")))
            if "reason" in fields:
                fields["reason"] = _ENGLISH_REASONS.get(fields["reason"], fields["reason"])
            return english.format(**fields)
    head, _, reason = message.rpartition(": ")
    return f"{head}: {_ENGLISH_REASONS[reason]}" if reason in _ENGLISH_REASONS else None


def check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang: str = "en") -> None:
    """Run case `name` and check the catalogue's promises (see the module docstring); in Spanish (`lang` "es",
    through MULTICLASS_LANG), the message must be the translation of one that matches the case's pattern."""
    entry = CASES[name]
    if lang != "en":
        monkeypatch.setenv("MULTICLASS_LANG", lang)
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    argv, pattern = entry.build(tmp_path, model)
    if entry.patch:
        entry.patch(monkeypatch, tmp_path)
    watched = [tmp_path, *(p for p in _outputs(argv) if tmp_path not in p.parents)]
    before = snapshot(*watched)

    code = main(argv)

    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not line.startswith(_HINTS)]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    message = lines[0].removeprefix("error: ")
    if lang != "en":
        english = back_to_english(message)
        assert english is not None, f"not translated into {lang}: {message!r}"
        message = english
    assert re.search(pattern, message), f"{lines[0]!r} does not match {pattern!r}"
    assert code == 2
    assert snapshot(*watched) == before  # nothing written, half-written, left behind, or touched
    assert not (tmp_path / "PWNED").exists()
