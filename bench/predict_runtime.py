"""How fast ``multiclass predict`` on the numpy runtime (the default) is against ``--runtime torch``: the CPU
seconds of a one-row prediction from process start (each against ``python -c pass`` in the same run), and 1,000,000
rows of a 54-feature tabular model, CSV in, CSV and Parquet out (wall and CPU seconds of the child process).

Run ``python bench/predict_runtime.py [--rows 1000000] [--repeats 5] [--quick]`` from the repository root. The model
(54 standardized features, 7 classes, 54-25-15-7 relu) is trained on 20,000 synthetic rows first (a few seconds).
Writes ``bench/results/predict_runtime-cpu.json``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import REPO_DIR, describe, machine, markdown_table, write_json

SRC = REPO_DIR / "src"
N_FEATURES, N_CLASSES = 54, 7


def synthetic_table(path: Path, n: int, seed: int) -> Path:
    """`n` rows of 54 Gaussian features (3 decimals) and a 7-class label from a fixed linear map plus noise."""
    rng = np.random.default_rng(seed)
    weights = np.random.default_rng(1).normal(size=(N_FEATURES, N_CLASSES))
    with open(path, "w") as handle:
        handle.write(",".join([f"f{i}" for i in range(N_FEATURES)] + ["label"]) + "\n")
        for start in range(0, n, 100_000):
            X = rng.normal(size=(min(100_000, n - start), N_FEATURES)).round(3)
            y = (X @ weights + rng.normal(size=(len(X), N_CLASSES))).argmax(1)
            np.savetxt(handle, np.column_stack([X, y]), delimiter=",", fmt=["%.3f"] * N_FEATURES + ["%d"])
    return path


def child(code_or_args: list[str]) -> dict:
    """Run a child Python; its wall seconds and CPU seconds (user + system, from the kernel's accounting)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, *code_or_args], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}


def one_row(model: Path, folder: Path, repeats: int) -> dict:
    source = folder / "one.csv"
    source.write_text(",".join(f"f{i}" for i in range(N_FEATURES)) + "\n" + ",".join(["0.5"] * N_FEATURES) + "\n")
    runs = {
        "python -c pass": ["-c", "pass"],
        "multiclass predict (numpy, the default)": ["-m", "multiclass", "predict", str(model), str(source), "--out",
                                                    str(folder / "a.csv")],
        "multiclass predict --runtime torch": ["-m", "multiclass", "predict", str(model), str(source), "--out",
                                               str(folder / "b.csv"), "--runtime", "torch"],
    }
    results = {name: [] for name in runs}
    for _ in range(repeats):  # interleaved, so a burst of load on the shared machine hits every entry alike
        for name, args in runs.items():
            results[name].append(child(args))
    return {name: {"cpu_s_median": statistics.median(r["cpu_s"] for r in runs_),
                   "wall_s_median": statistics.median(r["wall_s"] for r in runs_), "runs": runs_}
            for name, runs_ in results.items()}


def many_rows(model: Path, folder: Path, rows: int) -> dict:
    source = synthetic_table(folder / "big.csv", rows, seed=2)
    out = {}
    for suffix in (".csv", ".parquet"):
        ours = child(["-m", "multiclass", "predict", str(model), str(source), "--out", str(folder / ("numpy" + suffix))])
        theirs = child(["-m", "multiclass", "predict", str(model), str(source), "--out",
                        str(folder / ("torch" + suffix)), "--runtime", "torch"])
        out[f"csv_to_{suffix[1:]}"] = {"numpy": ours, "torch": theirs,
                                       "cpu_ratio": theirs["cpu_s"] / ours["cpu_s"],
                                       "wall_ratio": theirs["wall_s"] / ours["wall_s"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 2 repeats")
    args = parser.parse_args()
    rows, repeats = (100_000, 2) if args.quick else (args.rows, args.repeats)
    info = machine()
    print(describe(info))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train = synthetic_table(folder / "train.csv", 20_000, seed=0)
        subprocess.run([sys.executable, "-m", "multiclass", "train", str(train), "--target", "label", "--out",
                        str(folder / "model"), "--epochs", "5", "--quiet"], check=True,
                       env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL)
        single = one_row(folder / "model", folder, repeats)
        many = many_rows(folder / "model", folder, rows)
    base = single["python -c pass"]["cpu_s_median"]
    table = [[name, f"{r['cpu_s_median']:.3f}", f"{r['cpu_s_median'] - base:.3f}", f"{r['wall_s_median']:.3f}"]
             for name, r in single.items()]
    print(markdown_table(["one row", "CPU s", "CPU s over `python -c pass`", "wall s"], table))
    table = [[case, f"{r['numpy']['cpu_s']:.2f}", f"{r['torch']['cpu_s']:.2f}", f"{r['cpu_ratio']:.2f}x",
              f"{r['numpy']['wall_s']:.2f}", f"{r['torch']['wall_s']:.2f}", f"{r['wall_ratio']:.2f}x"]
             for case, r in many.items()]
    print(markdown_table([f"{rows:,} rows", "numpy CPU s", "torch CPU s", "CPU ratio", "numpy wall s",
                          "torch wall s", "wall ratio"], table))
    path = write_json("predict_runtime", "cpu", {"rows": rows, "repeats": repeats, "one_row": single,
                                                 "many_rows": many}, info=info)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
