"""Probe: seconds per epoch of each training engine against scikit-learn's MLPClassifier, in one process.

Question: is the fused CPU engine >= 3x faster per epoch than ``MLPClassifier((25, 15), batch_size=32)`` on
MNIST 784-25-15-10 (1,875 Adam steps per epoch)? Times whole epochs of `engine.run_epoch` (no validation),
the minimum over epochs after a warm-up one, for: eager (autograd), fused in Python, fused compiled on 1 and
on all intra-op threads; then one-epoch ``MLPClassifier.fit(max_iter=1)`` repeats. Data: random MNIST-sized
arrays (60000 x 784, 10 classes) and, when present, the real MNIST IDX files. On a shared machine timings are
noisy: compare numbers from the same run, and read the min, not the mean.

    python bench/engine_probe.py                 # everything (~1 min on 2 quiet cores)
    python bench/engine_probe.py --epochs 4 --skip-random --profile
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from multiclass.engine import (
    EagerEngine,
    FusedEngine,
    Objective,
    compiled,
    compiled_status,
)
from multiclass.models import ModelConfig, build_model

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"
PIXEL_MAX = 255.0  # 8-bit pixels -> [0, 1]
BATCH = 32  # the seed recipe
LR = 1e-3  # Adam's default, the seed recipe


def load_mnist(root: Path):
    from multiclass.data import read_idx

    def images(name):
        pixels = read_idx(root / f"{name}-images-idx3-ubyte.gz")  # (N, 28, 28) uint8
        return (pixels.reshape(len(pixels), -1) / np.float32(PIXEL_MAX)).astype(np.float32)  # (N, 784)

    def labels(name):
        return read_idx(root / f"{name}-labels-idx1-ubyte.gz").astype(np.int64)

    return images("train"), labels("train"), images("t10k"), labels("t10k")


def make(kind: str, X: torch.Tensor, y: torch.Tensor, hidden=(25, 15)):
    """A fresh model, Adam and engine of `kind` over (X, y)."""
    model = build_model(ModelConfig(X.shape[1], 10, hidden), seed=0).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, foreach=True)
    objective = Objective()
    if kind == "eager":
        return model, EagerEngine(model, X, y, objective, BATCH, optimizer)
    if kind == "fused-python":
        return model, FusedEngine(model, X, y, objective, BATCH, optimizer, compile=False)
    threads = {"fused-compiled-1t": 1, "fused-compiled-all": None}[kind]
    engine = FusedEngine(model, X, y, objective, BATCH, optimizer, threads=threads)
    assert engine.backend == "compiled", compiled_status()
    return model, engine


def seconds_per_epoch(kind: str, X, y, epochs: int, hidden=(25, 15)):
    """(min s/epoch over epochs 2.., model) -- the first epoch is a warm-up."""
    model, engine = make(kind, X, y, hidden)
    generator = torch.Generator().manual_seed(0)
    times = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        tic = time.perf_counter()
        engine.run_epoch(order)
        times.append(time.perf_counter() - tic)
    return min(times[1:] or times), model


def sklearn_seconds_per_epoch(X, y, repeats: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    times = []
    for seed in range(repeats):
        clf = MLPClassifier((25, 15), batch_size=BATCH, max_iter=1, learning_rate_init=LR, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            tic = time.perf_counter()
            clf.fit(X, y)
            times.append(time.perf_counter() - tic)
    return min(times), clf


def accuracy(model, X, y) -> float:
    with torch.no_grad():
        return float((model.eval()(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


def profile_python_steps(X, y, steps: int = 50):
    """Operators and microseconds per step of the eager and the Python fused step (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile

    for kind in ("eager", "fused-python"):
        _, engine = make(kind, X, y)
        order = torch.randperm(len(X))[: steps * BATCH]
        engine.run_epoch(order)  # warm-up
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            tic = time.perf_counter()
            engine.run_epoch(order)
            wall = time.perf_counter() - tic
        top = [e for e in prof.key_averages() if not e.key.startswith(("ProfilerStep", "autograd::engine"))]
        n_ops = sum(e.count for e in prof.events() if e.cpu_parent is None)  # top-level calls only
        print(f"  {kind:14s} {1e6 * wall / steps:7.1f} us/step (under the profiler), {n_ops / steps:5.1f} top-level ops/step")
        for e in sorted(top, key=lambda e: -e.self_cpu_time_total)[:6]:
            print(f"      {e.key:40s} {e.count / steps:5.1f}/step  self {e.self_cpu_time_total / steps:6.1f} us/step")


def run(name: str, X, y, X_test, y_test, epochs: int, repeats: int):
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    print(f"\n{name}: {X.shape[0]} x {X.shape[1]}, batch {BATCH} ({-(-len(X) // BATCH)} steps/epoch)")
    results = {}
    kinds = ["eager", "fused-python"] + (["fused-compiled-1t", "fused-compiled-all"] if compiled.load() else [])
    for kind in kinds:
        results[kind], model = seconds_per_epoch(kind, Xt, yt, epochs)
        extra = f"  test acc {accuracy(model, X_test, y_test):.3f} after {epochs} epochs" if X_test is not None else ""
        print(f"  {kind:20s} {results[kind]:6.3f} s/epoch{extra}", flush=True)
    results["sklearn"], clf = sklearn_seconds_per_epoch(X, y, repeats)
    extra = f"  test acc {clf.score(X_test, y_test):.3f} after 1 epoch" if X_test is not None else ""
    print(f"  {'sklearn MLPClassifier':20s} {results['sklearn']:6.3f} s/epoch{extra}")
    best = min(results.get("fused-compiled-1t", np.inf), results.get("fused-compiled-all", np.inf),
               results["fused-python"])
    print(f"  speed-up of the fastest fused over sklearn: {results['sklearn'] / best:.1f}x; "
          f"over eager: {results['eager'] / best:.1f}x")
    return results


def decompose(X, y, epochs: int):
    """Where a compiled epoch goes: the layer-1 products vs the per-step rest (hidden/input sizes varied)."""
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    print("\ncompiled epoch decomposition (s/epoch):")
    for label, data, hidden in [
        ("784-25-15-10 (seed net)", Xt, (25, 15)),
        ("784-10 (one layer: layer-1 product + loss + Adam of 7,850 params)", Xt, ()),
        ("16-25-15-10 (all but the big products)", Xt[:, :16].contiguous(), (25, 15)),
    ]:
        seconds, _ = seconds_per_epoch("fused-compiled-1t", data, yt, epochs, hidden)
        print(f"  {label:70s} {seconds:6.3f}  ({1e6 * seconds / (len(X) // BATCH):5.1f} us/step)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per engine (the first is a warm-up)")
    parser.add_argument("--repeats", type=int, default=2, help="one-epoch sklearn fits to take the min of")
    parser.add_argument("--skip-random", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also profile the Python steps and split the C epoch")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"{torch.get_num_threads()} intra-op threads; compiled engine: ", end="")
    compiled.load()  # build (or find) the C library before any timing
    print(compiled_status())
    rng = np.random.default_rng(0)
    if not args.skip_random:
        X = rng.random((60000, 784), dtype=np.float32)
        y = rng.integers(0, 10, 60000).astype(np.int64)
        run("random MNIST-sized data", X, y, None, None, args.epochs, args.repeats)
    if (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        X, y, X_test, y_test = load_mnist(MNIST_DIR)
        run("MNIST", X, y, X_test, y_test, args.epochs, args.repeats)
        if args.profile:
            if compiled.load():
                decompose(X, y, args.epochs)
            print("\nprofile of the Python-dispatched steps (50 steps):")
            profile_python_steps(torch.from_numpy(X), torch.from_numpy(y))
    else:
        print(f"\n(no MNIST at {MNIST_DIR}: real-data timings skipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
