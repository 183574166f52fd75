"""Do multiclass's defaults win on real data? The default CLI against scikit-learn's usual models, same splits.

For every dataset of `datasets.py` (public multiclass sets installed from the package registries), one seeded
stratified train/test split (`split_rows`: 25 % of each class to test, at least one row of every class of 2+ rows
on each side, a 1-row class in training only), then:

1. ours, as a user runs it: ``multiclass train train.csv --target T --out m`` (a text table too: its column of
   free text is found, `multiclass.data.free_text`; an image folder: no target) and ``multiclass evaluate m test.csv --json r.json``, each a subprocess, wall time
   measured (Python start-up and `import torch` included, as a user waits for them);
2. ``MLPClassifier(random_state=0, max_iter=500)`` and 3. ``LogisticRegression(max_iter=2000)``, each in the
   usual pipeline: tables ``ColumnTransformer`` of numeric columns (``SimpleImputer`` + ``StandardScaler``) and the
   other columns (``SimpleImputer(most_frequent)`` + ``OneHotEncoder(handle_unknown="ignore")``); text
   ``TfidfVectorizer(sublinear_tf=True, min_df=2)``; pixels (an image folder or a pixel CSV) ``/255``. Their wall
   time covers reading the files, fit and predict.

Every model is scored by the same function: macro-F1 over the classes present in the test set, and accuracy. The
summary is the issue's goal: the share of datasets where ours >= the better scikit-learn model in macro-F1, the
median margin over MLPClassifier in macro-F1 points, and the total wall time of ours against MLPClassifier's. A
run of ours that fails counts as a loss and its error is recorded.

    python bench/quality.py                                   # every dataset, today's defaults
    python bench/quality.py --quick                           # the small ones, for development
    python bench/quality.py --heldout                         # the sets added after the defaults were settled
    python bench/quality.py --datasets glass,oils --extra-args "--hidden 100"
    python bench/quality.py --extra-args "" --extra-args "--hidden 100"   # two recipes of ours, peers once
    python bench/quality.py --extra-args "--hidden 100" --peers-from bench/results/quality.json --out /tmp/q.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from common import REPO_DIR, describe, machine, markdown_table, write_json
from datasets import SPECS, folder, prepare

from multiclass.data.table_io import LABEL_NA_VALUES

TEST_SIZE = 0.25  # share of each class held out for testing
MODELS = ("ours", "mlp", "logreg")
GOAL_SHARE, GOAL_MARGIN_POINTS = 0.8, 1.0  # issue 14: >= the better peer on 80 % of sets, +1 point over MLP
OURS_TIMEOUT_S = 3600  # one train or evaluate subprocess; a run past it is recorded as failed


# ---------------------------------------------------------------------------------------------------- split
def split_rows(labels: np.ndarray, seed: int, test_size: float = TEST_SIZE) -> np.ndarray:
    """Boolean test mask of a stratified split: per class round(test_size * n) rows to test, at least 1 when the
    class has 2+ rows and never all of them (a 1-row class stays in training)."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for cls in np.unique(labels):
        rows = np.flatnonzero(labels == cls)
        if len(rows) < 2:
            continue
        n_test = min(len(rows) - 1, max(1, int(round(test_size * len(rows)))))
        test[rng.choice(rows, size=n_test, replace=False)] = True
    return test


def write_split(name: str, meta: dict, seed: int, work: Path) -> dict:
    """Write train/test files for dataset `name` under `work`; return paths, sizes and the split's fingerprint."""
    source = folder(name) / meta["path"]
    out = work / name
    out.mkdir(parents=True, exist_ok=True)
    if meta["kind"] == "images":
        files = sorted(p for p in source.rglob("*.png"))
        labels = np.array([p.parent.name for p in files])
        test = split_rows(labels, seed)
        for part, mask in (("train", ~test), ("test", test)):
            for path in np.array(files, dtype=object)[mask]:
                target = out / part / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    os.link(path, target)
        paths = {"train": out / "train", "test": out / "test"}
    else:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)  # the file's own text, written back as is
        labels = frame[meta["target"]].to_numpy()
        test = split_rows(labels, seed)
        paths = {"train": out / "train.csv", "test": out / "test.csv"}
        frame[~test].to_csv(paths["train"], index=False)
        frame[test].to_csv(paths["test"], index=False)
    fingerprint = hashlib.sha256(np.flatnonzero(test).astype(np.int64).tobytes()).hexdigest()[:16]
    train_counts = pd.Series(labels[~test]).value_counts()
    return {
        **{k: str(v) for k, v in paths.items()},
        "n_train": int((~test).sum()),
        "n_test": int(test.sum()),
        "test_rows_sha256": fingerprint,
        "train_only_classes": sorted(set(labels[~test]) - set(labels[test])),
        "min_train_class": int(train_counts.min()),
    }


# ---------------------------------------------------------------------------------------------------- scoring
def score(y_true, y_pred) -> dict:
    """Macro-F1 over the classes present in `y_true` (predicting a training-only class is an error, not a class
    of its own) and accuracy; the one scoring rule of every model."""
    from sklearn.metrics import accuracy_score, f1_score

    y_true, y_pred = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    present = np.unique(y_true)
    return {
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }


def pairs_from_report(report: dict) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) rebuilt from the evaluation report's confusion matrix (rows = true, columns = predicted)."""
    classes = np.asarray(report["classes"])
    matrix = np.asarray(report["confusion_matrix"], dtype=np.int64)  # (K, K)
    true_codes, pred_codes = np.nonzero(matrix)
    counts = matrix[true_codes, pred_codes]
    return np.repeat(classes[true_codes], counts), np.repeat(classes[pred_codes], counts)


# ---------------------------------------------------------------------------------------------------- ours
def ours_args(meta: dict) -> list[str]:
    return [] if meta["kind"] == "images" else ["--target", meta["target"]]


def run_ours(meta: dict, split: dict, extra: list[str], work: Path, src: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        model, report_path = Path(tmp) / "m", Path(tmp) / "r.json"
        commands = {
            "train": [sys.executable, "-m", "multiclass", "train", split["train"], *ours_args(meta),
                      "--out", str(model), *extra],
            "evaluate": [sys.executable, "-m", "multiclass", "evaluate", str(model), split["test"],
                         "--json", str(report_path)],
        }
        result: dict = {"command": " ".join(shlex.quote(a) for a in commands["train"][2:])}
        for step, command in commands.items():
            tic = time.perf_counter()
            try:
                done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=OURS_TIMEOUT_S)
                code, output = done.returncode, done.stdout + done.stderr
            except subprocess.TimeoutExpired:
                code, output = "timeout", f"timed out after {OURS_TIMEOUT_S} s"
            result[f"{step}_s"] = time.perf_counter() - tic
            if code != 0:
                lines = [line for line in output.strip().splitlines() if line.strip()]
                return {**result, "error": f"{step} exited {code}: {lines[-1] if lines else ''}"}
            if step == "train":
                result["train_log_tail"] = output.strip().splitlines()[:3]
        report = json.loads(report_path.read_text())
    training = report.get("training") or {}
    result.update(score(*pairs_from_report(report)))
    result.update(
        wall_s=result["train_s"] + result["evaluate_s"],
        best_epoch=training.get("best_epoch"),
        epochs_run=len(training.get("history") or []),
        stop_reason=training.get("stop_reason"),
        report_macro_f1=report["summary"]["macro_f1"],
    )
    return result


# ---------------------------------------------------------------------------------------------------- peers
def peer_features(meta: dict):
    """A function (train_path, test_path) -> (X_train, y_train, X_test, y_test) and the featurizer to fit."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    kind, target = meta["kind"], meta["target"]
    if kind == "images":
        return _read_image_folder, FunctionTransformer(_div255)

    def read(path):
        # the labels as multiclass reads them: "None" is a class (MASS's survey), not a missing label
        frame = pd.read_csv(path, dtype={target: str})
        frame[target] = pd.read_csv(path, usecols=[target], dtype=str, keep_default_na=False,
                                    na_values=list(LABEL_NA_VALUES))[target]
        X = frame.drop(columns=[target])
        # True/False columns as 1/0: SimpleImputer refuses a bool dtype (Ecdat's Treatment, coin's photocar)
        X = X.astype({c: float for c in X.columns if X[c].dtype == bool})
        return (X["text"].fillna("") if kind == "text" else X), frame[target].to_numpy()

    if kind == "text":
        return read, TfidfVectorizer(sublinear_tf=True, min_df=2)
    if kind == "pixels":
        return read, FunctionTransformer(_div255)
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    categorical = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
    return read, ColumnTransformer([
        ("numeric", numeric, make_column_selector(dtype_include=np.number)),
        ("categorical", categorical, make_column_selector(dtype_exclude=np.number)),
    ])


def _div255(X):
    return np.asarray(X, dtype=np.float64) / 255.0


def _read_image_folder(root):
    from PIL import Image

    files = sorted(Path(root).rglob("*.png"))
    X = np.stack([np.asarray(Image.open(p).convert("L"), dtype=np.uint8).ravel() for p in files])  # (N, H*W)
    return X, np.array([p.parent.name for p in files])


def run_peer(model_name: str, meta: dict, split: dict) -> dict:
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    estimator = {"mlp": MLPClassifier(random_state=0, max_iter=500), "logreg": LogisticRegression(max_iter=2000)}
    read, features = peer_features(meta)
    tic = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        X_train, y_train = read(split["train"])
        X_test, y_test = read(split["test"])
        pipeline = make_pipeline(clone(features), estimator[model_name])
        try:
            pipeline.fit(X_train, y_train)
            y_pred = pipeline.predict(X_test)
        except ValueError as error:  # e.g. a test row's text in a column of numbers (cars93 split 3: 'rotary')
            message = str(error).replace("\n", " ")
            return {"error": f"{type(error).__name__}: {message}", "macro_f1": 0.0, "accuracy": 0.0,
                    "wall_s": time.perf_counter() - tic}
    wall = time.perf_counter() - tic
    fitted = pipeline[-1]
    return {
        **score(y_test, y_pred),
        "wall_s": wall,
        "n_iter": int(np.max(fitted.n_iter_)),
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "n_features": int(pipeline[0].transform(X_test[:1]).shape[1]),
    }


# ---------------------------------------------------------------------------------------------------- summary
def summarize(rows: list[dict], variant: str) -> dict:
    """The issue's goal for one recipe of ours: wins, median margin over MLP, total wall time against MLP's."""
    wins, margins_mlp, margins_best = 0, [], []
    wall = {"ours": 0.0, "mlp": 0.0, "logreg": 0.0}
    for row in rows:
        ours, mlp, logreg = row["results"][variant], row["results"]["mlp"], row["results"]["logreg"]
        best = max(mlp["macro_f1"], logreg["macro_f1"])
        ours_f1 = ours.get("macro_f1", 0.0)  # a failed run scores 0: a loss
        wins += ours_f1 >= best
        margins_mlp.append(100 * (ours_f1 - mlp["macro_f1"]))
        margins_best.append(100 * (ours_f1 - best))
        wall["ours"] += ours.get("wall_s", 0.0)
        wall["mlp"] += mlp["wall_s"]
        wall["logreg"] += logreg["wall_s"]
    n = len(rows)
    return {
        "datasets": n,
        "wins": wins,
        "share_ours_ge_best_sklearn": wins / n if n else None,
        "median_margin_over_mlp_points": statistics.median(margins_mlp) if n else None,
        "median_margin_over_best_points": statistics.median(margins_best) if n else None,
        "failed": [r["name"] for r in rows if "error" in r["results"][variant]],
        "wall_s": wall,
        "wall_ratio_ours_to_mlp": wall["ours"] / wall["mlp"] if wall["mlp"] else None,
        "goal_met": bool(n)
        and wins / n >= GOAL_SHARE
        and statistics.median(margins_mlp) >= GOAL_MARGIN_POINTS
        and wall["ours"] <= wall["mlp"],
    }


def _f1(result: dict) -> str:
    return "failed" if "error" in result else f"{result['macro_f1']:.3f}"


def table(rows: list[dict], variants: list[str]) -> str:
    headers = ["dataset", "kind", "rows", "K", *[f"{v} F1 / acc / s" for v in variants],
               "MLP F1 / acc / s", "LogReg F1 / acc / s", *[f"{v} - best (pts)" for v in variants]]
    lines = []
    for row in rows:
        res = row["results"]
        best = max(res["mlp"]["macro_f1"], res["logreg"]["macro_f1"])
        cells = [row["name"], row["kind"], row["rows"], row["classes"]]
        for model in [*variants, "mlp", "logreg"]:
            r = res[model]
            cells.append("failed" if "error" in r else f"{r['macro_f1']:.3f} / {r['accuracy']:.3f} / {r['wall_s']:.0f}")
        cells += [_margin(res[v], best) for v in variants]
        lines.append(cells)
    return markdown_table(headers, lines)


def _margin(result: dict, best: float) -> str:
    return "-" if "error" in result else f"{100 * (result['macro_f1'] - best):+.1f}"


def variant_name(extra: str) -> str:
    return f"ours[{extra}]" if extra.strip() else "ours"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=None, help=f"comma-separated subset of {','.join(SPECS)}")
    parser.add_argument("--quick", action="store_true", help="the small datasets only, for development")
    parser.add_argument("--heldout", action="store_true",
                        help="the held-out datasets alone (added after the defaults were settled)")
    parser.add_argument("--extra-args", action="append", default=None,
                        help="arguments added to our `train` (repeat for several recipes; default: none)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test splits (default: 0)")
    parser.add_argument("--src", default=str(REPO_DIR / "src"),
                        help="the multiclass source folder to run (default: this checkout's src; a copy keeps a "
                        "long run on one version while you edit)")
    parser.add_argument("--out", default=None, help="results JSON (default: bench/results/quality.json)")
    parser.add_argument("--no-json", action="store_true", help="do not write the results JSON")
    parser.add_argument("--peers-from", default=None,
                        help="a previous results JSON: reuse its scikit-learn results where the split is the same "
                        "(same test rows), so comparing recipes of ours does not rerun the slow peers")
    args = parser.parse_args(argv)

    names = args.datasets.split(",") if args.datasets else [
        n for n, s in SPECS.items() if (s.heldout if args.heldout else not s.heldout and (s.quick or not args.quick))]
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        parser.error(f"--datasets: unknown {', '.join(unknown)}; known: {', '.join(SPECS)}")
    extras = args.extra_args or [""]
    variants = [variant_name(e) for e in extras]
    info = machine()
    print(f"machine: {describe(info)}; load average {os.getloadavg()[0]:.1f}", flush=True)
    tic = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import multiclass.cli"], env={**os.environ, "PYTHONPATH": args.src},
                   check=True)
    import_s = time.perf_counter() - tic
    print(f"`python -c 'import multiclass.cli'` takes {import_s:.1f} s here (paid by each train and evaluate)")

    previous = {}
    if args.peers_from:
        previous = {row["name"]: row for row in json.loads(Path(args.peers_from).read_text())["datasets"]}
    rows = []
    folder("").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="quality-", dir=folder("")))  # the splits; removed at the end
    for name in names:
        meta = prepare(name)
        split = write_split(name, meta, args.seed, work)
        row = {"name": name, "kind": meta["kind"], "rows": meta["rows"], "classes": meta["classes"],
               "split": split, "results": {}}
        for extra, variant in zip(extras, variants):
            row["results"][variant] = run_ours(meta, split, shlex.split(extra), work, Path(args.src))
            _progress(name, variant, row["results"][variant])
        for model in ("mlp", "logreg"):
            reused = _reusable(previous, name, split, model)
            row["results"][model] = reused or run_peer(model, meta, split)
            _progress(name, model + (" (reused)" if reused else ""), row["results"][model])
        rows.append(row)
    shutil.rmtree(work)

    summary = {v: summarize(rows, v) for v in variants}
    print()
    print(table(rows, variants))
    for variant, s in summary.items():
        print(f"\n{variant}: >= the better scikit-learn model on {s['wins']} of {s['datasets']} "
              f"({100 * s['share_ours_ge_best_sklearn']:.0f} %; goal 80 %); median margin over MLPClassifier "
              f"{s['median_margin_over_mlp_points']:+.1f} macro-F1 points (goal +1); total wall "
              f"{s['wall_s']['ours']:.0f} s vs MLPClassifier {s['wall_s']['mlp']:.0f} s "
              f"({s['wall_ratio_ours_to_mlp']:.2f}x; goal <= 1); failed: {', '.join(s['failed']) or 'none'}")
    if not args.no_json:
        payload = {
            "seed": args.seed, "test_size": TEST_SIZE, "src": args.src, "peers_from": args.peers_from, "variants": dict(zip(variants, extras)),
            "import_multiclass_s": import_s, "load_average": os.getloadavg(), "summary": summary, "datasets": rows,
        }
        out = Path(args.out) if args.out else None
        path = write_json("quality", "cpu", payload, info=info,
                          results_dir=out.parent if out else None, filename=out.name if out else "quality.json")
        print(f"\nwrote {path}")


def _reusable(previous: dict, name: str, split: dict, model: str) -> dict | None:
    """The peer's result from a previous run on the same test rows (None: run it)."""
    row = previous.get(name)
    if row is None or row["split"]["test_rows_sha256"] != split["test_rows_sha256"]:
        return None
    result = row["results"].get(model)
    return {**result, "reused_from": "--peers-from"} if result is not None else None


def _progress(name: str, model: str, result: dict) -> None:
    if "error" in result:
        print(f"{name:13s} {model:22s} FAILED {result['error']}", flush=True)
    else:
        print(f"{name:13s} {model:22s} macro-F1 {result['macro_f1']:.3f}  acc {result['accuracy']:.3f}  "
              f"{result['wall_s']:7.1f} s", flush=True)


if __name__ == "__main__":
    main()
