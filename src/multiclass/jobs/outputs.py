"""The outputs of a command, checked together before any work and written together at the end.

One rule for every verb: no output overwrites one of the command's inputs (its data, its model directory, a cost
matrix...), lies inside one of them or holds one, or is another of the command's own outputs; paths are compared
resolved (symlinks followed) and, when both exist, as the same file on disk (hard links). Each output must also be
writable (`check_output_path`: the folder exists, a file output is no folder, a model output replaces only a model
directory, a probe file can be created). Before work starts, the temporaries a killed writer of each output left
behind are removed. `write_together` then writes several files all or nothing: each is staged in a temporary beside
its target, and only when every one is on disk are they renamed into place (a failed rename puts back what was
there).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from multiclass.atomic import (
    cannot_write,
    fsync_dir,
    fsync_write,
    output_mode,
    remove_stale_temporaries,
)
from multiclass.exceptions import DataError
from multiclass.modelfile import CONFIG_FILE

__all__ = ["Output", "check_output_path", "check_outputs", "write_together"]


@dataclass(frozen=True)
class Output:
    """One output of a command: the flag (or parameter) that names it, its path, whether it is a model
    directory rather than a file, and whether it is another folder (its command checks it; only collisions here)."""

    flag: str
    path: Path
    model_dir: bool = False
    folder: bool = False


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        try:
            return os.path.samefile(a, b)
        except OSError:
            pass
    return a.resolve() == b.resolve()


def _inside(inner: Path, outer: Path) -> bool:
    """Whether `inner` lies inside the folder `outer` (both resolved); a file never holds anything."""
    inner, outer = inner.resolve(), outer.resolve()
    return inner != outer and outer in inner.parents


def _overlap_with_input(path: Path, source: Path, model_dir: bool) -> str | None:
    if _same(path, source):
        if source.is_dir():
            return f"{path}: is also the input folder {source}; write the output elsewhere."
        return f"{path}: is also the input data {source}; write the output to another file."
    if source.is_dir() and _inside(path, source):
        return f"{path}: is inside the input {source}; write the output elsewhere."
    if model_dir and _inside(source, path):
        return f"{path}: holds the input {source}, which writing it would replace; write the output elsewhere."
    return None


def check_output_path(path: str | Path, *, model_dir: bool = False, inputs=()) -> None:
    """Fail before any work, not after it, when `path` cannot be written or would overwrite one of `inputs`.

    Raises
    ------
    DataError
        `path` is, lies inside or (a model directory) holds one of `inputs`; the parent folder is missing; a file
        output is an existing folder; a model directory output exists and is not a model directory
        (`multiclass.persistence.save_model` never replaces one); nothing can be created in the folder.
    """
    path = Path(path)
    for source in inputs:
        if source is not None and (message := _overlap_with_input(path, Path(source), model_dir)):
            raise DataError(message)
    parent = path.resolve().parent
    if not parent.is_dir():
        raise DataError(f"{path}: the directory {parent} does not exist.")
    if not model_dir and path.is_dir():
        raise DataError(f"{path}: is a folder; give a file name.")
    if model_dir and path.exists():
        is_model = path.is_dir() and (path / CONFIG_FILE).is_file()
        if not is_model and not (path.is_dir() and not any(path.iterdir())):
            raise DataError(f"{path}: exists and is not a model directory; it would not be replaced.")
    try:  # a read-only or full file system fails here, before minutes of training are lost
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as error:
        raise DataError(f"{path}: cannot write into {parent} ({error.strerror or error}).") from None


def check_outputs(outputs: Iterable[Output], inputs: Iterable[str | Path | None] = ()) -> None:
    """Check every output of one command against the others and against every input, then clear the stale
    temporaries of each (what a writer killed by SIGKILL left beside it).

    Raises
    ------
    DataError
        Two outputs are one file (or one lies inside the other, a model directory); an output is, lies inside or
        holds an input; an output cannot be written (`check_output_path`). The message names both paths.
    """
    outputs = [o for o in outputs if o.path is not None]
    sources = [Path(s) for s in inputs if s is not None]
    for i, first in enumerate(outputs):
        for second in outputs[i + 1:]:
            a, b = Path(first.path), Path(second.path)
            if _same(a, b) or _inside(a, b) or _inside(b, a):
                raise DataError(f"{first.path}: is given to both {first.flag} and {second.flag} ({second.path}); "
                                "each output needs its own file.")
    for output in outputs:
        if output.folder:  # a folder of several files (an audit): it must not be, hold or lie in an input
            for source in sources:
                if message := _overlap_with_input(Path(output.path), source, True):
                    raise DataError(message)
            continue
        check_output_path(output.path, model_dir=output.model_dir, inputs=sources)
    for output in outputs:
        remove_stale_temporaries(output.path)


def write_together(files: Sequence[tuple[str | Path, bytes]]) -> None:
    """Write every ``(path, bytes)`` of `files` or none of them.

    Each payload is written to a temporary beside its path and fsynced (a full disk fails here, before any output
    is touched); then each is renamed over its path. If a rename fails, the outputs already renamed get their
    previous contents back (or are removed, when there were none).

    Raises
    ------
    OSError
        Naming the output that could not be written; no temporary is left behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, payload in files:
            path = Path(path)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                os.close(fd)
                staged.append((path, Path(tmp)))
                fsync_write(Path(tmp), payload)
                os.chmod(tmp, output_mode())
            except OSError as error:
                raise cannot_write(path, error) from error
        _rename_all(staged)
    finally:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)


def _rename_all(staged: list[tuple[Path, Path]]) -> None:
    renamed: list[tuple[Path, Path | None]] = []  # (output, its previous contents kept as a hard link, or None)
    backup = None
    try:
        for path, tmp in staged:
            backup = None
            if path.is_file():
                backup = Path(tempfile.mktemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
                os.link(path, backup)
            try:
                os.replace(tmp, path)
            except OSError as error:
                raise cannot_write(path, error) from error
            renamed.append((path, backup))
            backup = None
    except BaseException:
        if backup is not None:
            backup.unlink(missing_ok=True)
        for path, previous in reversed(renamed):
            if previous is not None:
                os.replace(previous, path)
            else:
                path.unlink(missing_ok=True)
        raise
    for _, previous in renamed:
        if previous is not None:
            previous.unlink(missing_ok=True)
    for folder in {path.parent for path, _ in staged}:
        fsync_dir(folder)
