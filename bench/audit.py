"""Does `multiclass.audit` find wrong labels, how fast is it against one `train` and against cleanlab, and does its
streamed form stay within bounded memory at 1e7 rows x 1,000 classes?

(a) Quality: MNIST (the 60,000 training rows, or `--subset`) with labels flipped at random (2 %, 5 %, 10 % of rows,
    each to a uniformly drawn other class) and class-dependent (each digit flips, at its own rate, to the digit it
    is most often confused with; 5 % and 10 % of rows on average). The audit's flagged rows (default rule
    prune_by_noise_rate, 5 folds) are scored against the rows truly flipped, beside the top-loss heuristic
    (the rows of lowest out-of-fold probability of their label, as many as the audit flagged).
(b) Time, on the 5 %-random data written as IDX files: the `audit` verb (`multiclass.jobs.audit`: the recipe
    chosen once, 5 fold models of it, the joint) against one default `train` (the `fit` verb, same recipe,
    `--recipe`, default auto), for each fold engine (`--engines`); and cleanlab's
    `CleanLearning(MLPClassifier(...)).find_label_issues` with the network, batch and learning rate the recipe
    chose, the same folds and early stopping. Each timed call follows a warm-up call, so no library pays its one-off import inside a timing.
(c) Memory: `audit_batches` over `--memory-rows` synthetic rows x `--memory-classes` classes (probabilities
    generated batch by batch, the same on each of the three passes), in a child process whose peak RSS is its
    ``VmHWM`` from /proc/self/status (not ``ru_maxrss`` of the children, which would carry this process's peak).

    python bench/audit.py                                  # full MNIST, memory check at 1e6 x 1,000
    python bench/audit.py --subset 10000 --memory-rows 200000 --parts quality,time   # a few minutes
    python bench/audit.py --parts memory --memory-rows 10000000 --name audit-memory   # the 1e7 x 1,000 check
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from common import describe, limit_threads, load_mnist, machine, markdown_table, write_json

MEMORY_BOUND_GB = 4.0  # the issue's bound for 1e7 x 1,000 streamed
# MNIST digits and the digit each is most often mistaken for (the confusions of a 784-25-15-10 MLP on t10k).
CONFUSED_WITH = {0: 6, 1: 7, 2: 7, 3: 5, 4: 9, 5: 3, 6: 0, 7: 1, 8: 3, 9: 4}
RATE_PROFILE = np.array([0.2, 0.6, 1.0, 1.4, 1.8, 0.2, 0.6, 1.0, 1.4, 1.8])  # per-digit multipliers, mean 1


def flip_labels(y: np.ndarray, rate: float, kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(given labels, mask of the flipped rows)."""
    rng = np.random.default_rng(seed)
    given = y.copy()
    if kind == "random":
        flip = rng.random(len(y)) < rate
        given[flip] = (y[flip] + rng.integers(1, 10, flip.sum())) % 10
    else:
        flip = rng.random(len(y)) < rate * RATE_PROFILE[y]
        given[flip] = np.array([CONFUSED_WITH[c] for c in range(10)])[y[flip]]
    return given, flip


def precision_recall(flagged: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = int((flagged & truth).sum())
    return hits / max(int(flagged.sum()), 1), hits / max(int(truth.sum()), 1)


def _recipe():
    """The seed recipe, quiet: what `train` uses by default."""
    from multiclass.audit import FoldRecipe
    from multiclass.training import TrainConfig
    return FoldRecipe(config=TrainConfig(verbose=False))


def _every_rule(given, probs, flip) -> dict:
    """Each rule's flags on the same out-of-fold probabilities, beside top-loss with as many flags."""
    from multiclass.audit import FILTERS, audit_probabilities
    order = np.argsort(probs[np.arange(len(given)), given], kind="stable")  # top-loss: lowest p(given) first
    out = {}
    for rule in FILTERS:
        flagged = np.zeros(len(given), bool)
        flagged[audit_probabilities(given, probs, filter_by=rule).suspects.row] = True
        top_loss = np.zeros(len(given), bool)
        top_loss[order[: flagged.sum()]] = True
        (p, r), (tp, tr) = precision_recall(flagged, flip), precision_recall(top_loss, flip)
        out[rule] = {"flagged": int(flagged.sum()), "precision": p, "recall": r, "top_loss_precision": tp,
                     "top_loss_recall": tr}
    return out


def part_quality(X, y) -> list[dict]:
    from multiclass.audit import audit
    rows = []
    for kind, rate in (("random", 0.02), ("random", 0.05), ("random", 0.10), ("class-dependent", 0.05),
                       ("class-dependent", 0.10)):
        given, flip = flip_labels(y, rate, kind, seed=int(rate * 1000) + (kind == "random"))
        tic = time.perf_counter()
        result = audit(X, given, folds=5, recipe=_recipe())
        seconds = time.perf_counter() - tic
        flagged = np.zeros(len(y), bool)
        flagged[result.suspects.row] = True
        top_loss = np.zeros(len(y), bool)
        top_loss[np.argsort(result.probs[np.arange(len(y)), given], kind="stable")[: flagged.sum()]] = True
        (p, r), (tp, tr) = precision_recall(flagged, flip), precision_recall(top_loss, flip)
        rows.append({"noise": kind, "rate": rate, "flipped": int(flip.sum()), "flagged": int(flagged.sum()),
                     "audit_precision": p, "audit_recall": r, "top_loss_precision": tp, "top_loss_recall": tr,
                     "estimated_noise_rate": result.noise_rate, "true_noise_rate": float(flip.mean()),
                     "audit_seconds": seconds, "engine": result.folds["engine"],
                     "best_epochs": result.folds["best_epochs"], "rules": _every_rule(given, result.probs, flip)})
        print(f"  {kind} {rate:.0%}: audit P/R {p:.3f}/{r:.3f}, top-loss P/R {tp:.3f}/{tr:.3f}, "
              f"{flagged.sum()} flagged of {flip.sum()} flipped, {seconds:.1f} s", flush=True)
    return rows


def _idx_folder(X, given, folder: Path) -> Path:
    """The rows as MNIST IDX files (uint8 pixels, the noisy labels): what a user would hand to the verbs."""
    from multiclass.data import write_idx
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte", np.round(X * 255).astype(np.uint8).reshape(-1, 28, 28))
    write_idx(folder / "train-labels-idx1-ubyte", given.astype(np.uint8))
    return folder / "train-images-idx3-ubyte"


def part_time(X, y, engines: list[str], recipe: str, n_folds: int = 5) -> dict:
    """One default `train` (the verb `fit`, recipe `recipe`) against the `audit` verb (the same recipe chosen once,
    then `n_folds` fold models) on the same IDX files, and cleanlab around an MLP of the network the recipe chose."""
    import tempfile

    from multiclass.jobs.audit import audit as audit_verb
    from multiclass.jobs.fit import fit
    from multiclass.training import TrainConfig
    given, flip = flip_labels(y, 0.05, "random", seed=51)
    quiet = TrainConfig(verbose=False)
    with tempfile.TemporaryDirectory() as tmp:
        small, data = _idx_folder(X[:500], given[:500], Path(tmp) / "small"), _idx_folder(X, given, Path(tmp))
        fit(small, recipe="seed", config=TrainConfig(epochs=1, verbose=False))  # warm-up: imports, the C kernels
        tic = time.perf_counter()
        trained = fit(data, recipe=recipe, config=quiet).trained
        out = {"recipe": recipe, "train": {"seconds": time.perf_counter() - tic, "epochs": len(trained.history),
                                           "chosen": trained.recipe.get("chosen")}}
        print(f"  one default train (recipe {recipe}): {out['train']['seconds']:.1f} s ({len(trained.history)} "
              f"epochs, {trained.recipe.get('chosen')})", flush=True)
        for engine in engines:
            audit_verb(small, folds=n_folds, recipe="seed", config=TrainConfig(epochs=1, verbose=False),
                       engine=engine)  # warm-up
            tic = time.perf_counter()
            run = audit_verb(data, folds=n_folds, recipe=recipe, config=quiet, engine=engine)
            seconds = time.perf_counter() - tic
            flagged = np.zeros(len(y), bool)
            flagged[run.result.suspects.row] = True
            p, r = precision_recall(flagged, flip)
            out[f"audit_{engine}"] = {"seconds": seconds, "vs_train": seconds / out["train"]["seconds"],
                                      "search_seconds": run.recipe["search_seconds"],
                                      "fold_seconds": run.result.folds["train_time"], "chosen": run.recipe["chosen"],
                                      "best_epochs": run.result.folds["best_epochs"], "precision": p, "recall": r}
            print(f"  audit, {engine} folds: {seconds:.1f} s = {seconds / out['train']['seconds']:.2f}x one train "
                  f"(search {run.recipe['search_seconds']:.1f} s, folds {run.result.folds['train_time']:.1f} s, "
                  f"epochs {run.result.folds['best_epochs']}), P/R {p:.3f}/{r:.3f}", flush=True)
    chosen = out[f"audit_{engines[0]}"]["chosen"]
    out["cleanlab"] = _cleanlab(X, given, flip, n_folds, hidden=tuple(chosen["hidden"]),
                                batch=chosen["batch_size"], lr=chosen["lr"])
    for engine in engines:
        out[f"audit_{engine}"]["cleanlab_over_audit"] = out["cleanlab"]["seconds"] / out[f"audit_{engine}"]["seconds"]
    return out


def _cleanlab(X, given, flip, n_folds: int, hidden=(25, 15), batch: int = 32, lr: float = 1e-3) -> dict:
    """cleanlab's CleanLearning around scikit-learn's MLP with the audit's network, batch and learning rate (relu,
    Adam; no dropout, sklearn's default L2), 10 % validation with patience 10 (on accuracy, sklearn's
    early-stopping score), at most 100 epochs."""
    from cleanlab.classification import CleanLearning
    from sklearn.neural_network import MLPClassifier

    def clean_learning():
        mlp = MLPClassifier(hidden_layer_sizes=hidden, batch_size=batch, learning_rate_init=lr, max_iter=100,
                            early_stopping=True, validation_fraction=0.1, n_iter_no_change=10, random_state=0)
        return CleanLearning(mlp, cv_n_folds=n_folds, seed=0, verbose=False)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean_learning().find_label_issues(X[:500], given[:500])  # warm-up: imports, pools
        tic = time.perf_counter()
        issues = clean_learning().find_label_issues(X, given)
    seconds = time.perf_counter() - tic
    p, r = precision_recall(issues["is_label_issue"].to_numpy(), flip)
    print(f"  cleanlab CleanLearning(MLPClassifier{hidden}): {seconds:.1f} s, P/R {p:.3f}/{r:.3f}", flush=True)
    return {"seconds": seconds, "precision": p, "recall": r, "hidden": list(hidden), "batch_size": batch, "lr": lr}


# ---------------------------------------------------------------------------------------------------- memory
def synthetic_batch(seed: int, index: int, rows: int, k: int, noise: float = 0.05):
    """(given labels, probs float32): a model right on 90 % of rows (0.7 on the true class), 5 % of labels flipped."""
    rng = np.random.default_rng([seed, index])
    true = rng.integers(0, k, rows)
    probs = rng.random((rows, k), dtype=np.float32)
    probs *= np.float32(0.3) / probs.sum(axis=1, keepdims=True)
    wrong = rng.random(rows) < 0.1
    peak = np.where(wrong, (true + rng.integers(1, k, rows)) % k, true)
    probs[np.arange(rows), peak] += np.float32(0.7)
    given = true.copy()
    flip = rng.random(rows) < noise
    given[flip] = (true[flip] + rng.integers(1, k, int(flip.sum()))) % k
    return given, probs, int(flip.sum())


def memory_child(rows: int, k: int, batch: int, seed: int) -> None:
    """Run in a fresh process: audit the synthetic stream, print one JSON line with the peak RSS."""
    from multiclass.audit import audit_batches

    starts = range(0, rows, batch)

    def batches():
        for i, start in enumerate(starts):
            given, probs, _ = synthetic_batch(seed, i, min(batch, rows - start), k)
            yield given, probs

    tic = time.perf_counter()
    result = audit_batches(batches, [str(c) for c in range(k)], top_n=100)
    seconds = time.perf_counter() - tic
    flipped = sum(synthetic_batch(seed, i, min(batch, rows - s), k)[2] for i, s in enumerate(starts)) \
        if rows <= 2_000_000 else None  # regenerating costs a fourth pass; skipped at full size
    status = Path("/proc/self/status").read_text()
    hwm_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    print(json.dumps({"rows": rows, "classes": k, "batch": batch, "seconds": seconds, "peak_rss_gb": hwm_kb / 2**20,
                      "n_flagged": result.n_flagged, "suspects_kept": len(result.suspects),
                      "estimated_noise_rate": result.noise_rate,
                      "true_noise_rate": None if flipped is None else flipped / rows}))


def part_memory(rows: int, k: int, batch: int, threads: int) -> dict:
    command = [sys.executable, __file__, "--memory-child", str(rows), str(k), str(batch), "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{done.stderr}")
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record["bound_gb"] = MEMORY_BOUND_GB
    record["within_bound"] = record["peak_rss_gb"] <= MEMORY_BOUND_GB
    print(f"  {rows:,} x {k:,} streamed: peak RSS {record['peak_rss_gb']:.2f} GB (bound {MEMORY_BOUND_GB} GB), "
          f"{record['seconds']:.0f} s, {record['n_flagged']:,} flagged, noise rate estimated "
          f"{record['estimated_noise_rate']:.4f}", flush=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset", type=int, default=None, help="MNIST training rows to use (default: all 60,000)")
    parser.add_argument("--parts", default="quality,time,memory")
    parser.add_argument("--engines", default="separate,stacked", help="fold engines to time in part (b)")
    parser.add_argument("--recipe", default="auto", help="the recipe of `train` and of the audit in part (b)")
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--memory-classes", type=int, default=1000)
    parser.add_argument("--memory-batch", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-json", action="store_true")
    parser.add_argument("--name", default="audit", help="the record is results/<name>-cpu.json")
    parser.add_argument("--memory-child", nargs=3, type=int, metavar=("ROWS", "CLASSES", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    with limit_threads(args.threads):
        if args.memory_child:
            memory_child(*args.memory_child, seed=0)
            return
        info = machine()
        print(describe(info), flush=True)
        parts, record = args.parts.split(","), {"subset": args.subset}
        if "quality" in parts or "time" in parts:
            X, y, _, _ = load_mnist(limit=args.subset)
        if "quality" in parts:
            print("(a) flagged rows against the flipped ones", flush=True)
            record["quality"] = part_quality(X, y)
            print(markdown_table(
                ["noise", "flipped", "flagged", "audit P", "audit R", "top-loss P", "top-loss R", "noise est."],
                [[f"{q['noise']} {q['rate']:.0%}", q["flipped"], q["flagged"], f"{q['audit_precision']:.3f}",
                  f"{q['audit_recall']:.3f}", f"{q['top_loss_precision']:.3f}", f"{q['top_loss_recall']:.3f}",
                  f"{q['estimated_noise_rate']:.4f} ({q['true_noise_rate']:.4f})"] for q in record["quality"]]))
            print(markdown_table(
                ["noise", *[rule for rule in record["quality"][0]["rules"]]],
                [[f"{q['noise']} {q['rate']:.0%}", *[f"{v['precision']:.3f}/{v['recall']:.3f} "
                                                     f"({v['top_loss_precision']:.3f}/{v['top_loss_recall']:.3f})"
                                                     for v in q["rules"].values()]] for q in record["quality"]]))
        if "time" in parts:
            print("(b) time of the whole audit", flush=True)
            record["time"] = part_time(X, y, args.engines.split(","), args.recipe)
        if "memory" in parts:
            print("(c) streamed memory", flush=True)
            record["memory"] = part_memory(args.memory_rows, args.memory_classes, args.memory_batch, args.threads)
        if not args.no_json:
            print("wrote", write_json(args.name, "cpu", record, info=info))


if __name__ == "__main__":
    main()
