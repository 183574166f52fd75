"""Does `multiclass train` on a table larger than memory stay within a fixed memory bound, and does streaming give
the result of in-memory training?

Part 1, parity (small): a 20,000-row Parquet table is trained in memory (`training.train`, eager engine, on the
rows outside the streamed validation split) and streamed (`training.train_stream`, one piece, a buffer
holding every row, so the batches are the same); reported are whether the preprocessing states are identical and
the largest weight difference.

Part 2, scale: the script writes a Parquet dataset of `--size-gb` GB in shards (48 float64 features, one
20-category string column, 10 classes; row groups of 131,072 rows) plus a 200,000-row validation file, runs
``python -m multiclass train DIR --target label --val-data VAL ...`` in a child process, and records the child's
peak RSS (its ``VmHWM``), wall time and rows per second. The files are deleted at the
end unless `--keep`. The bound to check: peak RSS under `MEMORY_BOUND_GB`, whatever the file size.

Part 3, use: the trained model evaluates the whole folder (``multiclass evaluate MODEL DIR --bootstrap 200 --json``)
and predicts it (``multiclass predict MODEL DIR --out CSV``, then ``--out X.parquet``), all streamed because DIR is a
folder of shards. Each child's own peak RSS and wall time are recorded; the predictions are deleted once measured.

    python bench/out_of_core.py                       # 10 GB: ~15 GB of temporary disk, tens of minutes
    python bench/out_of_core.py --size-gb 1           # the same at 1 GB
    python bench/out_of_core.py --quick               # 0.05 GB, a minute (what CI could run)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from common import describe, limit_threads, machine, markdown_table, write_json

N_FEATURES = 48  # float64 columns: 384 bytes of a row's 400 or so
N_CLASSES = 10
CATEGORIES = [f"cat{i:02d}" for i in range(20)]
ROW_GROUP = 131_072  # rows per Parquet row group: ~50 MB decoded, the unit the reader holds at once
ROWS_PER_SHARD = 1_048_576  # ~0.4 GB per file: 25 shards for 10 GB
MEMORY_BOUND_GB = 2.0  # the claim: peak RSS of the training process below this for any file size


def _rows(rng: np.random.Generator, n: int) -> pa.Table:
    """n rows: the label shifts the first 8 features' means, so the network has something to learn."""
    label = rng.integers(0, N_CLASSES, n)
    X = rng.standard_normal((n, N_FEATURES))
    X[:, :8] += (label[:, None] == np.arange(8)) * 2.0
    columns = {f"f{j}": X[:, j] for j in range(N_FEATURES)}
    columns["kind"] = pa.array(np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)])
    columns["label"] = label
    return pa.table(columns)


def write_dataset(folder: Path, size_bytes: float, seed: int) -> tuple[int, float]:
    """Shards of ROWS_PER_SHARD rows until `size_bytes` are on disk; returns (rows, seconds)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    rows, written, tic, shard = 0, 0, time.perf_counter(), 0
    while written < size_bytes:
        path = folder / f"part-{shard:05d}.parquet"
        n = ROWS_PER_SHARD if size_bytes >= 4e8 else max(ROW_GROUP // 4, int(size_bytes / 400))
        pq.write_table(_rows(rng, n), path, row_group_size=ROW_GROUP, compression="snappy")
        written += path.stat().st_size
        rows += n
        shard += 1
    return rows, time.perf_counter() - tic


def parity(folder: Path, n: int = 20_000) -> dict:
    """Part 1: in-memory vs streamed training on the same batches."""
    import torch

    from multiclass.data import load_table
    from multiclass.data.stream import TableSource, scan_table
    from multiclass.models import ModelConfig, build_model
    from multiclass.training import TrainConfig, train
    from multiclass.data.stream import StreamConfig
    from multiclass.training import train_stream

    path = folder / "parity.parquet"
    pq.write_table(_rows(np.random.default_rng(1), n), path)
    config = TrainConfig(epochs=3, batch_size=256, val_split=0.1, engine="eager", verbose=False)
    dataset = load_table(path, target="label")
    source = TableSource(path)
    scan = scan_table(source, target="label", val_fraction=config.val_split)
    held = scan.split.mask(dataset.y)  # the streamed split's held-out rows, from the labels in file order
    memory_model = build_model(ModelConfig(dataset.n_features, N_CLASSES), seed=0)
    expected = train(memory_model, dataset.X[~held], dataset.y[~held], config, X_val=dataset.X[held],
                     y_val=dataset.y[held])
    stream_model = build_model(ModelConfig(scan.n_features, N_CLASSES), seed=0)
    found = train_stream(stream_model, source, scan, config, StreamConfig(shuffle_buffer=n))
    diff = max(float((a - b).abs().max()) for a, b in zip(memory_model.state_dict().values(),
                                                         stream_model.state_dict().values()))
    same_state = all(a.tobytes() == b.tobytes() for a, b in zip(dataset.preprocessor.state()[1].values(),
                                                                 scan.preprocessor.state()[1].values()))
    same_state &= dataset.preprocessor.state()[0] == scan.preprocessor.state()[0]
    return {"rows": n, "same_preprocessing_state": bool(same_state), "max_weight_difference": diff,
            "val_macro_f1": [found.history[-1]["val_macro_f1"], expected.history[-1]["val_macro_f1"]],
            "torch_threads": torch.get_num_threads()}


# The child runs the CLI and reports its own peak RSS: VmHWM of /proc/self/status, the high-water mark of the
# process's own memory map since its exec. (getrusage's ru_maxrss is kept across fork and exec, so a child's
# RUSAGE_SELF -- and the parent's RUSAGE_CHILDREN -- would include the parent's own peak at the fork.)
_WRAPPER = ("import sys\nfrom multiclass.cli import main\ncode = main(sys.argv[1:])\n"
            "hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0]\n"
            "print('peak_rss_kib', hwm, file=sys.stderr)\n"
            "sys.exit(code)")


def cli_child(cli_args: list[str], args) -> dict:
    """One `multiclass` command in a child process: its peak RSS, wall time and output."""
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads or os.cpu_count()), "PYTHONUNBUFFERED": "1"}
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *cli_args], env=env, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - tic
    if done.returncode != 0:
        raise SystemExit(f"{cli_args[0]} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    peak_kib = int(done.stderr.rsplit("peak_rss_kib", 1)[1].split()[0])  # KiB on Linux
    return {"command": "multiclass " + " ".join(cli_args), "wall_s": wall, "peak_rss_bytes": peak_kib * 1024,
            "stdout": done.stdout}


def train_child(data: Path, val: Path, out: Path, args) -> dict:
    """Part 2: training with the CLI in a child process."""
    return cli_child(["train", str(data), "--target", "label", "--val-data", str(val), "--out", str(out),
                      "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--hidden", "64",
                      "--lr", "3e-3", "--quiet"], args)


def use_children(data: Path, model: Path, root: Path, args) -> dict:
    """Part 3: the trained model evaluates (report with 200 bootstrap resamples) and predicts the whole folder
    (CSV, then Parquet), streamed; the predictions are deleted once measured."""
    runs = {"evaluate": cli_child(["evaluate", str(model), str(data), "--bootstrap", "200", "--json",
                                   str(root / "report.json")], args),
            "predict": cli_child(["predict", str(model), str(data), "--out", str(root / "predictions.csv")], args),
            "predict_parquet": cli_child(["predict", str(model), str(data), "--out",
                                          str(root / "predictions.parquet")], args)}
    for name, file in (("predict", "predictions.csv"), ("predict_parquet", "predictions.parquet")):
        runs[name]["output_bytes"] = (root / file).stat().st_size
        (root / file).unlink()
    runs["evaluate"]["stdout"] = runs["evaluate"]["stdout"][:2000]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-gb", type=float, default=10.0, help="size of the generated dataset on disk")
    parser.add_argument("--quick", action="store_true", help="0.05 GB instead")
    parser.add_argument("--dir", default=None, help="where to write the dataset (default: a temporary folder)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the training process")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    size = 0.05 if args.quick else args.size_gb
    root = Path(tempfile.mkdtemp(prefix="multiclass-ooc-", dir=args.dir))
    free = shutil.disk_usage(root).free
    if free < size * 1.3e9:
        raise SystemExit(f"{root}: {free / 1e9:.1f} GB free, the {size} GB dataset needs ~{size * 1.3:.1f} GB")
    try:
        with limit_threads(args.threads):
            info = machine()
            check = parity(root)
        print(f"parity: same preprocessing state {check['same_preprocessing_state']}, max |w_memory - w_stream| "
              f"{check['max_weight_difference']:.2e}")
        rows, write_s = write_dataset(root / "data", size * 1e9, args.seed)
        on_disk = sum(p.stat().st_size for p in (root / "data").iterdir())
        pq.write_table(_rows(np.random.default_rng(args.seed + 1), 200_000), root / "val.parquet")
        print(f"wrote {rows:,} rows, {on_disk / 1e9:.2f} GB in {write_s:.0f} s; training...")
        run = train_child(root / "data", root / "val.parquet", root / "model", args)
        print(f"trained in {run['wall_s']:.0f} s, peak RSS {run['peak_rss_bytes'] / 2**30:.2f} GiB; evaluating...")
        uses = use_children(root / "data", root / "model", root, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    peak_gb = run["peak_rss_bytes"] / 2**30
    result = {"size_gb_on_disk": on_disk / 1e9, "rows": rows, "features": N_FEATURES + 1, "classes": N_CLASSES,
              "write_s": write_s, "train_wall_s": run["wall_s"], "rows_per_s": rows * args.epochs / run["wall_s"],
              "peak_rss_gib": peak_gb, "memory_bound_gib": MEMORY_BOUND_GB, "within_bound": peak_gb < MEMORY_BOUND_GB,
              "epochs": args.epochs, "batch_size": args.batch_size, "command": run["command"],
              "training_output": run["stdout"], "parity": check,
              "evaluate": {k: v for k, v in uses["evaluate"].items() if k != "stdout"},
              "predict": {k: v for k, v in uses["predict"].items() if k != "stdout"},
              "predict_parquet": {k: v for k, v in uses["predict_parquet"].items() if k != "stdout"},
              "uses_within_bound": all(u["peak_rss_bytes"] / 2**30 < MEMORY_BOUND_GB for u in uses.values())}
    print(markdown_table(["dataset on disk", "rows", "epochs", "train wall (s)", "rows/s", "peak RSS (GiB)",
                          f"< {MEMORY_BOUND_GB} GiB"],
                         [[f"{on_disk / 1e9:.2f} GB", f"{rows:,}", args.epochs, f"{run['wall_s']:.0f}",
                           f"{result['rows_per_s']:,.0f}", f"{peak_gb:.2f}", result["within_bound"]]]))
    print(run["stdout"].strip())
    print(markdown_table(["streamed command", "wall (s)", "rows/s", "peak RSS (GiB)", f"< {MEMORY_BOUND_GB} GiB"],
                         [[name, f"{u['wall_s']:.0f}", f"{rows / u['wall_s']:,.0f}",
                           f"{u['peak_rss_bytes'] / 2**30:.2f}", u["peak_rss_bytes"] / 2**30 < MEMORY_BOUND_GB]
                          for name, u in uses.items()]))
    print(describe(info))
    name = "out_of_core" if not args.quick else "out_of_core-quick"
    print(f"written {write_json(name, 'cpu', result, info=info)}")


if __name__ == "__main__":
    main()
