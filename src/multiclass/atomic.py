"""Writing files so that a reader never sees half of one: a temporary name beside the target, fsync, rename.

Every file the package writes goes through here (`write_bytes_atomic`, or `open_atomic` for outputs written
piece by piece); `persistence.save_model` uses the same pieces for a whole model directory. A writer killed
between creating its temporary and renaming it leaves ``.<name>.*.tmp`` beside the target, which
`remove_stale_temporaries` clears before the next run. Errors name the user's path, never the temporary one.

A temporary file from `tempfile.mkstemp` is created 0600 (and a folder from `mkdtemp` 0700), private to its owner,
which the rename would carry over to the output: a report or model shared with colleagues could not be read by
them. So each output gets the mode a plain ``open()`` / ``mkdir()`` would give it, 0666 / 0777 less the process's
umask (0644 / 0755 under the usual 022), before it is renamed into place (`output_mode`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["cannot_write", "current_umask", "fsync_dir", "fsync_write", "open_atomic", "output_mode",
           "remove_stale_temporaries", "write_bytes_atomic"]


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux' /proc/self/status)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it, at once set back
    os.umask(mask)
    return mask


def output_mode(*, folder: bool = False) -> int:
    """The mode of a new output file (0666) or folder (0777) less the umask, as ``open()`` and ``mkdir()`` give."""
    return (0o777 if folder else 0o666) & ~current_umask()


def fsync_write(path: Path, payload: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def cannot_write(path: Path, error: OSError) -> OSError:
    """The error to raise when writing fails: it names the user's path, not a temporary one, and keeps the errno
    (so the type stays PermissionError, FileNotFoundError, ... and the CLI reports it as bad input, exit 2)."""
    return OSError(error.errno, f"cannot be written ({error.strerror or error}).", str(path))


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (POSIX: the directory entry lives in the folder's own data)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (Windows); the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Delete what a killed writer of `path` left beside it (``.<name>.*.tmp`` / ``.<name>.*.old``).

    A SIGKILL can land between creating the temporary file and renaming it; the real `path` is untouched then,
    and the leftovers carry names no reader looks at. Writers of `path` call this before starting again.
    """
    path = Path(path)
    stale = [p for pattern in (f".{path.name}.*.tmp", f".{path.name}.*.old") for p in path.parent.glob(pattern)]
    for leftover in stale:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return stale


@contextlib.contextmanager
def open_atomic(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file handle whose contents replace `path` only when the ``with`` block ends without an error.

    The bytes go to a temporary file beside `path` (named as `remove_stale_temporaries` expects), which is
    fsynced and renamed over `path` at the end; on any error (or Ctrl-C) it is removed and `path` is untouched.
    For outputs written piece by piece (predictions of a table larger than memory).

    Raises
    ------
    OSError
        The folder is not writable, the disk is full...: ``filename`` is `path`, and no temporary file is left.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise cannot_write(path, error) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, output_mode())  # mkstemp's 0600 would otherwise become the output's mode
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise cannot_write(path, error) from error
        raise
    fsync_dir(path.parent)


def write_bytes_atomic(path: str | Path, payload: bytes) -> None:
    """Write `payload` to a temporary file beside `path`, fsync it, then rename it over `path` (`open_atomic`).

    Raises
    ------
    OSError
        The folder is not writable, the disk is full...: ``filename`` is `path`, and no temporary file is left.
    """
    with open_atomic(path) as handle:
        handle.write(payload)
