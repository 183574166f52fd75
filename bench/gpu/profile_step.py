"""Where does one epoch of the seed job go on the GPU? (Run on the GPU machine: `bash bench/gpu/run.sh profile`.)

For each engine in --engines, trains the seed job (MNIST 784-25-15-10, Adam, batch 32) for one warm-up epoch,
then profiles one more epoch with `torch.profiler` (CPU and CUDA activity) and prints:

- wall time of the profiled epoch and the sum of its GPU kernel times ("GPU busy"): if busy << wall, the step
  is bound by launches / host work, not by the GPU's arithmetic;
- kernels launched per training step and the mean kernel duration;
- the ten kernels with the largest total time.

Profiling adds overhead to the host side, so read the ratios, not the absolute wall time, and take the epoch
times from `epoch_speed.py`.
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

BATCH = 32
HIDDEN = (25, 15)


def _train(X, y, engine: str, epochs: int):
    from multiclass.models import ModelConfig, build_model
    from multiclass.training import TrainConfig, train

    options = dict(zip(("engine", "precision"), engine.split("@", 1))) if "@" in engine else {"engine": engine}
    config = TrainConfig(epochs=epochs, val_split=0, verbose=False, device="cuda", seed=0, batch_size=BATCH,
                         **options)
    model = build_model(ModelConfig(n_features=X.shape[1], n_classes=10, hidden=HIDDEN), seed=0)
    return train(model, X, y, config)


def gpu_work(prof) -> tuple[int, float]:
    """(GPU operations, their summed time in microseconds) recorded by a `torch.profiler.profile`."""
    kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    return len(kernels), sum(e.time_range.elapsed_us() for e in kernels)


def profile_engine(X, y, engine: str) -> None:
    _train(X, y, engine, epochs=1)  # warm-up: cuBLAS handles, allocator, the lazy CUDA context
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        tic = time.perf_counter()
        result = _train(X, y, engine, epochs=1)
        torch.cuda.synchronize()
        wall = time.perf_counter() - tic
    epoch_s = result.history[-1]["epoch_time"]
    n_ops, busy_us = gpu_work(prof)
    steps = -(-len(X) // BATCH)
    print(f"\n## {engine}: epoch {epoch_s:.3f} s under the profiler ({wall:.3f} s with train()'s setup)")
    print(f"GPU busy {busy_us / 1e6:.3f} s = {busy_us / 1e4 / max(wall, 1e-9):.1f} % of wall; "
          f"{n_ops / steps:.1f} GPU ops per step (kernels, copies, memsets); "
          f"mean {busy_us / max(n_ops, 1):.2f} us each; {busy_us / steps:.1f} us of GPU work per step")
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=10, max_name_column_width=60))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="cuda_graph,eager", help="comma-separated (NAME or NAME@bfloat16)")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("profile_step.py needs a CUDA device", file=sys.stderr)
        return 2
    X, y, _, _ = load_mnist()
    for engine in args.engines.split(","):
        profile_engine(X, y, engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
