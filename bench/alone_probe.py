"""Question: when do a sweep's models train faster one by one on the compiled C epoch (two at a time, one per
core) than in one stack -- and does `multiclass.sweep.alone.alone_pays` choose the faster?

For each case (training rows n, features F, models M, network shape; batch 32, 4 classes, random data, validation
on n/4 rows every epoch, no early stopping) it trains the same M trials both ways for --epochs epochs and prints
ms per epoch of the whole group, the ratio stacked / alone, and what `alone_pays` chose. The cases span the auto
recipe's: 5-fold cross-validation of 4 candidates on a few hundred rows (M = 20, few steps an epoch) to its
candidates on all rows of a few thousand (M = 8, many steps), and MNIST-sized rows. The cost model's constants in
`multiclass.sweep.alone` come from this probe.

Usage: python bench/alone_probe.py [--epochs 20] [--quick]   (writes results/alone_probe-cpu.json)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import machine, write_json

from multiclass.models import ModelConfig, macs_per_row
from multiclass.sweep.alone import alone_pays, train_group_alone
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import train_stacked
from multiclass.training import TrainConfig

SHAPES = [(), (25, 15), (128,), (256, 128)]
CASES = [(110, 6, 20), (320, 8, 20), (640, 8, 20), (960, 8, 20), (1_500, 13, 8), (1_500, 60, 8), (6_000, 20, 8),
         (3_000, 784, 6)]
QUICK = [(320, 8, 20), (1_500, 13, 8)]


def trials_of(n_features: int, hidden: tuple, models: int, epochs: int) -> list[Trial]:
    return [Trial((("i", i),), TrainConfig(epochs=epochs, patience=None, lr=1e-3, l2=1e-4 * (i % 4), batch_size=32,
                                           seed=i, verbose=False, lr_patience=None),
                  ModelConfig(n_features, 4, hidden, "relu", 0.0)) for i in range(models)]


def timed(run) -> float:
    tic = time.perf_counter()
    run()
    return time.perf_counter() - tic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="two cases, to check the probe runs")
    args = parser.parse_args()
    info = machine()
    rng = np.random.default_rng(0)
    rows = []
    for n, n_features, models in QUICK if args.quick else CASES:
        X, y = rng.normal(size=(n, n_features)).astype(np.float32), rng.integers(0, 4, n)
        X_va, y_va = rng.normal(size=(n // 4, n_features)).astype(np.float32), rng.integers(0, 4, n // 4)
        for hidden in SHAPES:
            trials = trials_of(n_features, hidden, models, args.epochs)
            stacked = timed(lambda: train_stacked(trials, X, y, X_va, y_va)) / args.epochs
            alone = timed(lambda: train_group_alone(trials, X, y, X_va, y_va)) / args.epochs
            chose = "alone" if alone_pays(trials, n, "cpu") else "stacked"
            faster = "alone" if alone < stacked else "stacked"
            row = {"rows": n, "features": n_features, "models": models, "hidden": list(hidden),
                   "step_macs": 32 * macs_per_row(trials[0].model_config), "steps": -(-n // 32),
                   "stacked_ms_per_epoch": 1e3 * stacked, "alone_ms_per_epoch": 1e3 * alone,
                   "stacked_over_alone": stacked / alone, "chosen": chose, "faster": faster}
            rows.append(row)
            print(f"n={n:6d} F={n_features:4d} M={models:3d} {'x'.join(map(str, hidden)) or 'none':8s} "
                  f"stacked {row['stacked_ms_per_epoch']:7.1f} ms  alone {row['alone_ms_per_epoch']:7.1f} ms  "
                  f"ratio {row['stacked_over_alone']:5.2f}  chose {chose:7s} faster {faster}", flush=True)
    wrong = [r for r in rows if r["chosen"] != r["faster"]]
    lost = sum(abs(r["stacked_ms_per_epoch"] - r["alone_ms_per_epoch"]) for r in wrong)
    print(f"chose the faster in {len(rows) - len(wrong)} of {len(rows)} cases; the others cost {lost:.1f} ms/epoch")
    write_json("alone_probe", "cpu", {"benchmark": "alone_probe", "threads": torch.get_num_threads(),
                                      "epochs": args.epochs, "cases": rows}, info=info)


if __name__ == "__main__":
    main()
