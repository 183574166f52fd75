"""Question: how much cheaper per model is an epoch of M stacked models than one eager `train` epoch?

MNIST-sized job (60,000 x 784 rows, 10% held out for validation; real MNIST from ../shared when present,
otherwise random data of that shape), MLP 784-25-15-10 relu, Adam lr 1e-3, batch 32 (1,688 steps per epoch),
validation every epoch in both. Each run trains `--epochs` epochs and reports the mean time of the epochs after
the first (the warm-up). Per-model s/epoch = stacked epoch time / M; ratio = eager s/epoch / per-model s/epoch.
Both run in the same process so the ratio is fair on a shared, noisy machine.

The eager reference is `train` with ``engine="eager"`` (autograd + torch.optim.Adam) when `TrainConfig` has
an engine field; `train` with its default engine is timed too, for context.

Threads default to 1: on a shared 2-core machine OpenMP's parallel regions stall whenever another process
holds a core (a stacked M=16 epoch measured 30x slower with 2 threads than with 1 under load 7).

Usage: python bench/sweep_probe.py [--models 1,16,64] [--epochs 2] [--device cpu] [--rows 60000] [--threads 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from multiclass.models import ModelConfig, build_model
from multiclass.sweep import expand_grid
from multiclass.sweep.loop import train_stacked
from multiclass.data.split import stratified_split
from multiclass.training import TrainConfig, train

MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"
HIDDEN = (25, 15)  # the seed job's network


def load(rows: int) -> tuple[np.ndarray, np.ndarray, str]:
    images, labels = MNIST / "train-images-idx3-ubyte.gz", MNIST / "train-labels-idx1-ubyte.gz"
    if images.exists() and labels.exists():
        from multiclass.data import read_idx

        X = read_idx(images).reshape(-1, 784).astype(np.float32) / 255.0  # pixels scaled to [0, 1]
        y = read_idx(labels).astype(np.int64)
        return X[:rows], y[:rows], "mnist"
    rng = np.random.default_rng(0)
    return rng.random((rows, 784), dtype=np.float32), rng.integers(0, 10, rows), "random"


def mean_epoch_time(history: list[dict]) -> float:
    """Mean epoch time after the warm-up epoch (or the only epoch)."""
    times = [record["epoch_time"] for record in history]
    return float(np.mean(times[1:] if len(times) > 1 else times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="1,16,64", help="stack sizes M, comma-separated")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads; 0 keeps torch's default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    X, y, source = load(args.rows)
    train_idx, val_idx = stratified_split(y, 0.1, seed=0)
    X_tr, y_tr, X_va, y_va = X[train_idx], y[train_idx], X[val_idx], y[val_idx]
    config = TrainConfig(epochs=args.epochs, patience=None, device=args.device, verbose=False)

    references = {}
    has_engine = "engine" in {f.name for f in dataclasses.fields(TrainConfig)}
    for name, settings in [("eager", {"engine": "eager"} if has_engine else {}), ("default", {})]:
        if name == "default" and not has_engine:
            continue
        model = build_model(ModelConfig(784, 10, HIDDEN), seed=0)
        run = train(model, X_tr, y_tr, dataclasses.replace(config, **settings), X_val=X_va, y_val=y_va)
        references[name] = {"s_per_epoch": round(mean_epoch_time(run.history), 4), "engine": getattr(run, "engine", ""),
                            "val_accuracy": round(run.history[-1]["val_accuracy"], 4)}
        print(json.dumps({name: references[name]}), file=sys.stderr, flush=True)
    eager_time = references["eager"]["s_per_epoch"]
    runs = []
    for m in (int(part) for part in args.models.split(",")):
        trials = expand_grid({"seed": list(range(m))}, config, n_features=784, n_classes=10, hidden=HIDDEN)
        results = train_stacked(trials, X_tr, y_tr, X_va, y_va, device=args.device)
        stack_time = mean_epoch_time(results[0].history)
        accuracy = float(np.mean([r.history[-1]["val_accuracy"] for r in results]))
        runs.append({
            "models": m, "stack_s_per_epoch": round(stack_time, 4), "per_model_s_per_epoch": round(stack_time / m, 5),
            "eager_over_per_model": round(eager_time / (stack_time / m), 2), "mean_val_accuracy": round(accuracy, 4),
            **({"default_engine_over_per_model": round(references["default"]["s_per_epoch"] / (stack_time / m), 2)}
               if "default" in references else {}),
        })
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)

    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip()
    print(json.dumps({
        "question": "per-model s/epoch of M stacked models vs one eager train epoch",
        "data": f"{source} {len(X_tr)} train + {len(X_va)} val rows, 784-25-15-10 relu, batch 32, Adam 1e-3",
        "epochs": args.epochs, "device": args.device, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or platform.platform()}", "commit": commit,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "eager_s_per_epoch": eager_time, "train": references,
        "stacked": runs,
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
