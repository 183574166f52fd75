"""Probe: seconds per epoch on TF-IDF rows -- the sparse engine, the densified reference and MLPClassifier.

Question: how much faster is an epoch of `multiclass.engine.sparse.SparseEngine` (each batch's terms alone, lazy
Adam) than the densified reference (``engine="eager"``: each batch densified, Adam over the whole first layer),
and than scikit-learn's ``MLPClassifier`` (one epoch of ``partial_fit`` on the same CSR rows: sparse first
product, dense Adam), for one hidden layer of 256 and batch 64, the text recipe's shape? And how far apart are
their validation macro-F1 after the same epochs (best weights restored for ours)? Data: the text sets of
bench/quality.py (cached in bench/.data by it), read by `multiclass.data.text.load_text` (sublinear TF-IDF, min_df
2). Ours: a whole `train` call over the epochs divided by them (each epoch's validation pass included);
MLPClassifier: the median epoch of ``partial_fit``. Compare numbers from the same run.

    python bench/sparse_probe.py --datasets austen,fortunes --epochs 4 --out results/sparse-probe-cpu.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.neural_network import MLPClassifier

from multiclass.data.split import stratified_split
from multiclass.data.text import load_text
from multiclass.models import ModelConfig, build_model, predict_log_proba
from multiclass.training import TrainConfig, train

DATA = Path(__file__).resolve().parent / ".data"
WIDTH, BATCH, LR = 256, 64, 1e-3


def ours(X_tr, y_tr, X_va, y_va, k: int, engine: str, epochs: int) -> dict:
    model = build_model(ModelConfig(X_tr.shape[1], k, (WIDTH,)), seed=0)
    config = TrainConfig(epochs=epochs, batch_size=BATCH, lr=LR, engine=engine, verbose=False, patience=None)
    start = time.perf_counter()
    result = train(model, X_tr, y_tr, config, X_val=X_va, y_val=y_va)
    seconds = time.perf_counter() - start
    pred = predict_log_proba(model, X_va).argmax(axis=1)
    return {"engine": result.engine, "s_per_epoch": seconds / epochs,
            "val_macro_f1": float(f1_score(y_va, pred, average="macro"))}


def peer(X_tr, y_tr, X_va, y_va, k: int, epochs: int) -> dict:
    mlp = MLPClassifier((WIDTH,), batch_size=BATCH, learning_rate_init=LR, random_state=0)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            start = time.perf_counter()
            mlp.partial_fit(X_tr, y_tr, classes=np.arange(k))
            times.append(time.perf_counter() - start)
    return {"s_per_epoch": float(np.median(times)),
            "val_macro_f1": float(f1_score(y_va, mlp.predict(X_va), average="macro"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="austen,fortunes")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    for name in args.datasets.split(","):
        data = load_text(DATA / name / "data.csv", text_column="text", target="label", sparse=True)
        train_idx, val_idx = stratified_split(data.y, 0.1, seed=0, classes=data.classes)
        split = (data.X[train_idx], data.y[train_idx], data.X[val_idx], data.y[val_idx], len(data.classes))
        row = {"dataset": name, "rows": int(data.X.shape[0]), "terms": int(data.X.shape[1]),
               "nnz_per_row": round(data.X.nnz / data.X.shape[0], 1),
               "sparse": ours(*split, engine="auto", epochs=args.epochs),
               "reference": ours(*split, engine="eager", epochs=args.epochs),
               "mlp": peer(*split, epochs=args.epochs)}
        for key in ("reference", "mlp"):
            row[f"{key}_over_sparse"] = round(row[key]["s_per_epoch"] / row["sparse"]["s_per_epoch"], 2)
        rows.append(row)
        print(f"{name}: {row['terms']} terms, {row['nnz_per_row']} per row | s/epoch sparse "
              f"{row['sparse']['s_per_epoch']:.2f}, reference {row['reference']['s_per_epoch']:.2f} "
              f"({row['reference_over_sparse']}x), MLPClassifier {row['mlp']['s_per_epoch']:.2f} "
              f"({row['mlp_over_sparse']}x) | val macro-F1 after {args.epochs} epochs: "
              f"{row['sparse']['val_macro_f1']:.3f} / {row['reference']['val_macro_f1']:.3f} / "
              f"{row['mlp']['val_macro_f1']:.3f}", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"benchmark": "sparse_probe", "machine": platform.processor() or
                                        platform.machine(), "epochs": args.epochs, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
