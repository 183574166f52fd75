"""The package's small C kernels: compile a C source string once per machine and load it with ctypes (no torch,
no Python headers). Used by the fused CPU training epoch (`multiclass.engine.compiled`) and the conformal set
kernel (`multiclass.conformal.kernel`).

The library goes to ``<cache>/multiclass/<folder>/<stem>-<hash>.so``, where ``<cache>`` is
``$MULTICLASS_CACHE_DIR``, else ``$XDG_CACHE_HOME``, else ``~/.cache``; the hash covers the source, the flags,
the compiler and the platform, so an edit rebuilds. The build runs under a file lock and renames its output into
place, so concurrent first uses build once and nobody loads a half-written file. The compiler is ``$CC``, else
``cc``, ``gcc`` or ``clang``. `load_library` raises on any failure (no compiler, a failed build,
``MULTICLASS_NO_COMPILE=1``, Windows); callers fall back to their Python or numpy path.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "find_compiler", "load_library"]

BUILD_TIMEOUT_S = 120  # a healthy build takes under a second; this only stops a wedged compiler


def cache_dir(folder: str) -> Path:
    """Where compiled libraries of `folder` are kept (one file per source/flags/compiler/platform hash)."""
    root = os.environ.get("MULTICLASS_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "multiclass" / folder


def find_compiler() -> str | None:
    """The first C compiler on PATH among ``$CC``, cc, gcc, clang."""
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl  # POSIX only; the ImportError on Windows becomes "cannot compile here"

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(compiler: str, source: str, flags: tuple[str, ...], target: Path, what: str, logger) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.with_suffix(".lock")):
        if target.exists():  # another process built it while we waited
            return
        logger.info("compiling %s into %s", what, target)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            c_file, output = Path(tmp) / "source.c", Path(tmp) / "library.so"
            c_file.write_text(source)
            command = [compiler, *flags, str(c_file), "-o", str(output), "-lm"]
            done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr.strip()[-2000:]}")
            os.replace(output, target)


def load_library(source: str, *, folder: str, stem: str, flags: tuple[str, ...], what: str = "a C kernel",
                 logger: logging.Logger | None = None) -> ctypes.CDLL:
    """Build `source` (if not cached) and load it; raises RuntimeError/OSError when it cannot be had.

    `what` names the kernel in the log line of a build (on `logger`, default ``multiclass``).
    """
    if os.environ.get("MULTICLASS_NO_COMPILE"):
        raise RuntimeError("MULTICLASS_NO_COMPILE is set")
    compiler = find_compiler()
    if compiler is None:
        raise RuntimeError("no C compiler found (set $CC or install gcc/clang)")
    key = "\n".join([source, " ".join(flags), compiler, sys.platform, platform.machine()])
    target = cache_dir(folder) / f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.so"
    if not target.exists():
        _build(compiler, source, flags, target, what, logger or logging.getLogger("multiclass"))
    return ctypes.CDLL(str(target))
