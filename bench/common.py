"""What every benchmark shares: the MNIST arrays, the machine description, epoch timing and the JSON record.

A benchmark's result is only meaningful with the code and machine that produced it (airbench), so every JSON
file written here carries `machine()` and the git commit of the working tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
MNIST_DIR = REPO_DIR.parent / "shared" / "datasets" / "mnist"  # /work/shared/datasets/mnist beside the checkout
PIXEL_MAX = 255.0  # 8-bit pixels: /255 maps them onto [0, 1]
PACKAGES = ("torch", "numpy", "scikit-learn", "keras", "skorch")


# ---------------------------------------------------------------------------------------------------- data
def load_mnist(limit: int | None = None, data_dir: Path | str | None = None):
    """MNIST as float32 pixels in [0, 1] and int64 labels: (X_train (N, 784), y_train (N,), X_test, y_test).

    `limit` keeps the first `limit` training rows (the test set stays whole, 10,000 rows).
    """
    from multiclass.data import read_idx

    root = Path(data_dir or os.environ.get("MULTICLASS_MNIST_DIR", MNIST_DIR))

    def images(name):
        pixels = read_idx(root / f"{name}-images-idx3-ubyte.gz")  # (N, 28, 28) uint8
        return (pixels.reshape(len(pixels), -1) / np.float32(PIXEL_MAX)).astype(np.float32)  # (N, 784)

    def labels(name):
        return read_idx(root / f"{name}-labels-idx1-ubyte.gz").astype(np.int64)  # (N,)

    X_train, y_train = images("train"), labels("train")
    if limit is not None:
        X_train, y_train = X_train[:limit], y_train[:limit]
    return X_train, y_train, images("t10k"), labels("t10k")


# ---------------------------------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git() -> dict:
    def run(*args):
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    status = run("status", "--porcelain")
    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def machine() -> dict:
    """The CPU, core count, library versions, GPU (if any) and git commit a result was measured with."""
    cuda = torch.cuda.is_available()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in PACKAGES},
        "torch": torch.__version__,  # the build string (+cpu / +cuXXX), which the distribution version omits
        "cuda_device": torch.cuda.get_device_name(0) if cuda else None,
        "cuda_runtime": torch.version.cuda if cuda else None,
        "git": _git(),
    }


def describe(info: dict) -> str:
    """One line for a terminal or a RESULTS.md header."""
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    gpu = f"; GPU {info['cuda_device']} (CUDA {info['cuda_runtime']})" if info["cuda_device"] else "; no GPU"
    return f"{info['cpu']}, {info['cores']} cores ({info['torch_threads']} torch threads){gpu}; {versions}"


# ---------------------------------------------------------------------------------------------------- timing
def synchronize(device: str | torch.device) -> None:
    """Wait for queued GPU work, so the clock measures work done rather than work launched."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


class EpochClock:
    """Per-epoch wall times: ``start()`` before an epoch and ``stop()`` after it (synchronising a GPU first)."""

    def __init__(self, device: str | torch.device = "cpu"):
        self.device = device
        self.times: list[float] = []
        self._tic = None

    def start(self) -> None:
        synchronize(self.device)
        self._tic = time.perf_counter()

    def stop(self) -> None:
        synchronize(self.device)
        self.times.append(time.perf_counter() - self._tic)


def epoch_summary(times: list[float], warmup: int = 1) -> dict:
    """Seconds per epoch from per-epoch times, the first `warmup` excluded (allocator, caches, autotuning).

    The median is the headline; the min is the least-disturbed epoch, which on a shared machine is the better
    estimate of what the code costs. With a single epoch nothing can be excluded and that epoch is used.
    """
    timed = list(times[warmup:]) or list(times)
    return {
        "epoch_times": [round(t, 6) for t in times],
        "warmup_epochs": len(times) - len(timed),
        "s_per_epoch": statistics.median(timed),
        "s_per_epoch_min": min(timed),
    }


@contextlib.contextmanager
def limit_threads(threads: int):
    """Run with `threads` threads in torch and in numpy's BLAS (threadpoolctl); 0 leaves both as they are.

    The seed job's matrices are tiny (32 x 784 @ 784 x 25), so extra threads buy nothing, and on a busy
    machine torch's OpenMP workers wait for each other at every operator: measured on this 2-core machine
    while other jobs ran, 2 threads made each step ~30x slower than 1. Every loop gets the same limit.
    """
    if not threads:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        threadpool_limits = None
    try:
        if threadpool_limits is None:
            yield
        else:
            with threadpool_limits(limits=threads):
                yield
    finally:
        torch.set_num_threads(previous)


def best_of(fn, repeats: int) -> tuple[float, object]:
    """(min wall time over `repeats` calls of fn(), the last result): the min filters other processes' noise."""
    best, result = float("inf"), None
    for _ in range(max(1, repeats)):
        tic = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - tic)
    return best, result


# ---------------------------------------------------------------------------------------------------- output
def write_json(name: str, device: str, payload: dict, *, results_dir: Path | None = None,
               info: dict | None = None, filename: str | None = None) -> Path:
    """Write ``results/<name>-<device>.json`` (or ``results/<filename>``) atomically (temporary file + rename),
    with the machine added.

    Pass `info` (a `machine()` taken while the benchmark ran) so its thread count is the one measured with.
    """
    out_dir = Path(results_dir or RESULTS_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / (filename or f"{name}-{torch.device(device).type}.json")
    record = {
        "benchmark": name,
        "device": device,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": info or machine(),
        **payload,
    }
    text = json.dumps(record, indent=2, default=_jsonable) + "\n"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _jsonable(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured Markdown table (also readable in a terminal)."""
    cells = [[str(c) for c in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value >= 0.01 else f"{value * 1e3:.2f} ms"
