"""Probe (GPU): what bounds the CUDA-graph engine's epoch, and would fusing the step's elementwise work help?

Builds `CudaGraphEngine` directly on MNIST (seed network 784-25-15-10, Adam 1e-3, batch 32) and times
whole epochs (the first, which captures, excluded) for:

- steps_per_graph 1, 32 and 128: if the epoch time barely moves, graph launches are not the bound;
- "compiled": the same engine with its captured step (`_batch_step`) passed through ``torch.compile``
  first, so Inductor fuses the ~30 small elementwise/reduction kernels (loss, bias gradients, Adam) around
  the 8 matrix products; the graphs then capture the fused kernels.

Prints s/epoch (min of the timed epochs), the epoch losses (compiled must track plain) and the CUDA-graph
epoch's GPU kernel count per step from the profiler. A probe for the engine's authors, not a benchmark.

    python bench/gpu/graph_probe.py [--epochs 4]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py
from common import load_mnist
from profile_step import gpu_work  # bench/gpu, this script's own folder

from multiclass.engine import CudaGraphEngine, Objective
from multiclass.models import ModelConfig, build_model


def _engine(X, y, steps_per_graph: int, compiled: bool) -> CudaGraphEngine:
    model = build_model(ModelConfig(n_features=X.shape[1], n_classes=10, hidden=(25, 15)), seed=0).cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    engine = CudaGraphEngine(model, X, y, Objective(), 32, optimizer, steps_per_graph=steps_per_graph)
    if compiled:
        engine._batch_step = torch.compile(engine._batch_step, dynamic=False, fullgraph=True)
    return engine


def _kernels_per_step(engine, order) -> tuple[float, float]:
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        engine.run_epoch(order)
        torch.cuda.synchronize()
    n_ops, busy_us = gpu_work(prof)
    return n_ops / engine.n_batches, busy_us / engine.n_batches


def probe(X, y, steps_per_graph: int, compiled: bool, epochs: int) -> None:
    label = f"steps_per_graph={steps_per_graph}{' compiled' if compiled else ''}"
    try:
        tic = time.perf_counter()
        engine = _engine(X, y, steps_per_graph, compiled)
        generator = torch.Generator(device="cuda").manual_seed(0)
        times, losses = [], []
        for _ in range(epochs):
            order = torch.randperm(len(X), generator=generator, device="cuda")
            torch.cuda.synchronize()
            start = time.perf_counter()
            losses.append(engine.run_epoch(order) / len(X))
            torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        per_step, busy = _kernels_per_step(engine, order)
    except Exception as error:  # noqa: BLE001 -- a probe reports and goes on
        print(f"{label}: failed: {type(error).__name__}: {str(error)[:300]}")
        return
    print(f"{label}: backend {engine.backend}; first epoch (capture{', compile' if compiled else ''}) "
          f"{times[0]:.2f} s; then min {min(times[1:]):.4f} s/epoch; losses {[round(v, 5) for v in losses]}; "
          f"profiled: {per_step:.1f} GPU ops/step, {busy:.1f} us GPU busy/step "
          f"(total {time.perf_counter() - tic:.0f} s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("graph_probe.py needs a CUDA device", file=sys.stderr)
        return 2
    X_np, y_np, _, _ = load_mnist()
    X, y = torch.from_numpy(X_np).cuda(), torch.from_numpy(y_np).cuda()
    for steps in (1, 32, 128):
        probe(X, y, steps, compiled=False, epochs=args.epochs)
    for steps in (32, 128):
        probe(X, y, steps, compiled=True, epochs=args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
