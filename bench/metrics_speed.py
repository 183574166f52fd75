"""How much faster than scikit-learn are multiclass' confusion matrix and classification report, and is the
streaming confusion matrix bounded in memory?

Part 1, bounded memory: 1e8 (true, predicted) pairs are generated chunk by chunk (never all at once) and fed to
`ConfusionMatrix.update`; reported are the wall time, the time inside `update`, and the peak memory: the growth
of the process' peak RSS (``getrusage`` maxrss) and tracemalloc's peak (numpy reports its buffers to it). This
part runs first, so the larger arrays of part 2 do not mask the RSS growth.

Part 2, speed: 1e7 pairs, K=10 and K=1000, integer labels, ~80% correct. Three ways to the full report:
``ConfusionMatrix().update(...)`` + `classification_report_from_confusion`, the one-call
`classification_report`, and scikit-learn's ``classification_report(..., output_dict=True)`` (also with its
``confusion_matrix``, which a user wanting both also calls). Every dict is checked against scikit-learn's to
1e-12 and the matrices for equality. Times are the min over repeats.

    python bench/metrics_speed.py             # 1e8 streamed, 1e7 for the comparison (a few minutes on 2 cores)
    python bench/metrics_speed.py --quick     # 1e7 streamed, 1e6 compared
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np
from common import best_of, describe, fmt_seconds, machine, markdown_table, write_json

TOLERANCE = 1e-12  # largest |ours - sklearn| allowed in any report entry
ACCURACY = 0.8  # fraction of predictions equal to the truth: the classes' scores differ, like a real model's
GOAL = 30.0  # the target: the report >= 30x faster than scikit-learn's


def make_labels(rng: np.random.Generator, n: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred), int64 (n,): uniform classes, each prediction right with probability ACCURACY."""
    y_true = rng.integers(0, n_classes, n)
    wrong = rng.random(n) >= ACCURACY
    y_pred = y_true.copy()
    y_pred[wrong] = rng.integers(0, n_classes, int(wrong.sum()))
    return y_true, y_pred


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


# ---------------------------------------------------------------------------------------------------- part 1
def stream(n_total: int, chunk: int, n_classes: int, seed: int) -> dict:
    """Feed n_total pairs through ConfusionMatrix.update, chunk by chunk; time and peak memory."""
    from multiclass.metrics import ConfusionMatrix, classification_report_from_confusion

    rng = np.random.default_rng(seed)
    matrix = ConfusionMatrix()
    rss_before = max_rss_bytes()
    tracemalloc.start()
    in_update = 0.0
    tic = time.perf_counter()
    for start in range(0, n_total, chunk):
        y_true, y_pred = make_labels(rng, min(chunk, n_total - start), n_classes)
        t0 = time.perf_counter()
        matrix.update(y_true, y_pred)
        in_update += time.perf_counter() - t0
    report = classification_report_from_confusion(matrix.compute(), target_names=matrix.classes_)
    wall = time.perf_counter() - tic
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    cm = matrix.compute()
    if int(cm.sum()) != n_total:
        raise RuntimeError(f"the streamed matrix counts {int(cm.sum())} pairs, not {n_total}")
    return {
        "n": n_total, "chunk": chunk, "n_classes": n_classes,
        "wall_s": wall, "update_s": in_update,
        "updates_per_s": n_total / in_update,
        "peak_rss_growth_bytes": max_rss_bytes() - rss_before,
        "tracemalloc_peak_bytes": traced_peak,
        "materialised_bytes_would_be": 2 * n_total * 8,  # y_true + y_pred as int64
        "accuracy": report.accuracy,
    }


# ---------------------------------------------------------------------------------------------------- part 2
def assert_close(ours, theirs, path="report") -> float:
    """The largest difference between two nested report dicts; raises if keys differ or it exceeds TOLERANCE."""
    if isinstance(theirs, dict):
        if not isinstance(ours, dict) or set(ours) != set(theirs):
            raise AssertionError(f"{path}: keys differ: {sorted(ours)} vs {sorted(theirs)}")
        return max((assert_close(ours[k], theirs[k], f"{path}[{k!r}]") for k in theirs), default=0.0)
    diff = abs(float(ours) - float(theirs))
    if not diff <= TOLERANCE:
        raise AssertionError(f"{path}: {ours!r} vs scikit-learn's {theirs!r} (|diff| {diff:.3g} > {TOLERANCE})")
    return diff


def compare(n: int, n_classes: int, repeats: int, sklearn_repeats: int, seed: int) -> dict:
    """Time the three ways to the report on the same n pairs and check they agree with scikit-learn."""
    from sklearn import metrics as skm

    from multiclass.metrics import ConfusionMatrix, classification_report, classification_report_from_confusion

    y_true, y_pred = make_labels(np.random.default_rng(seed), n, n_classes)

    def ours_streaming():
        matrix = ConfusionMatrix().update(y_true, y_pred)
        cm = matrix.compute()  # (K, K)
        return cm, classification_report_from_confusion(cm, target_names=matrix.classes_).to_dict()

    def ours_plain():
        return classification_report(y_true, y_pred).to_dict()

    def sklearn_report():
        return skm.classification_report(y_true, y_pred, output_dict=True)

    def sklearn_both():
        return skm.confusion_matrix(y_true, y_pred), skm.classification_report(y_true, y_pred, output_dict=True)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero-division warning here would mean the data is not what we think
        t_stream, (cm, stream_dict) = best_of(ours_streaming, repeats)
        t_plain, plain_dict = best_of(ours_plain, repeats)
        t_sk, sk_dict = best_of(sklearn_report, sklearn_repeats)
        t_sk_both, (sk_cm, _) = best_of(sklearn_both, sklearn_repeats)
    if not np.array_equal(cm, sk_cm):
        raise AssertionError("the confusion matrix differs from sklearn.metrics.confusion_matrix")
    max_diff = max(assert_close(stream_dict, sk_dict), assert_close(plain_dict, sk_dict))
    return {
        "n": n, "n_classes": n_classes, "max_abs_diff": max_diff,
        "ours_confusion_then_report_s": t_stream, "ours_classification_report_s": t_plain,
        "sklearn_classification_report_s": t_sk, "sklearn_confusion_matrix_and_report_s": t_sk_both,
        "speedup_confusion_then_report": t_sk / t_stream, "speedup_classification_report": t_sk / t_plain,
        "speedup_vs_sklearn_both": t_sk_both / t_stream,
    }


# ---------------------------------------------------------------------------------------------------- the whole
def render(compared: list[dict], streamed: dict | None) -> str:
    rows = []
    for c in compared:
        label = f"{c['n']:.0e} pairs, K={c['n_classes']}"
        rows.append([label, "ConfusionMatrix.update + classification_report_from_confusion",
                     fmt_seconds(c["ours_confusion_then_report_s"]), f"{c['speedup_confusion_then_report']:.1f}x"])
        rows.append([label, "classification_report(y_true, y_pred)",
                     fmt_seconds(c["ours_classification_report_s"]), f"{c['speedup_classification_report']:.1f}x"])
        rows.append([label, "sklearn classification_report(output_dict=True)",
                     fmt_seconds(c["sklearn_classification_report_s"]), "1.0x"])
        rows.append([label, "sklearn confusion_matrix + classification_report",
                     fmt_seconds(c["sklearn_confusion_matrix_and_report_s"]),
                     f"(ours {c['speedup_vs_sklearn_both']:.1f}x faster)"])
    text = markdown_table(["data", "how", "seconds (min of repeats)", "faster than sklearn's report"], rows)
    text += "\n\nmax |ours - sklearn| over every report entry: " + ", ".join(
        f"K={c['n_classes']}: {c['max_abs_diff']:.1e}" for c in compared) + f" (tolerance {TOLERANCE:g})"
    met = all(min(c["speedup_confusion_then_report"], c["speedup_classification_report"]) >= GOAL for c in compared)
    text += f"\ngoal >= {GOAL:g}x scikit-learn: {'met' if met else 'NOT met'}"
    if streamed:
        s = streamed
        text += (
            f"\n\nstreamed {s['n']:.0e} pairs (K={s['n_classes']}) in chunks of {s['chunk']:.0e}: "
            f"{s['wall_s']:.1f} s wall ({s['update_s']:.1f} s inside update, {s['updates_per_s'] / 1e6:.0f}M pairs/s); "
            f"peak RSS grew {s['peak_rss_growth_bytes'] / 2**20:.0f} MiB, tracemalloc peak "
            f"{s['tracemalloc_peak_bytes'] / 2**20:.0f} MiB (materialising both int64 label arrays would take "
            f"{s['materialised_bytes_would_be'] / 2**20:,.0f} MiB)"
        )
    return text


def _count(text: str) -> int:
    return int(float(text))  # accepts 1e7


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=_count, default=None, help="pairs in the comparison (default 1e7; --quick 1e6)")
    parser.add_argument("--classes", default="10,1000", help="comma-separated K values to compare (default 10,1000)")
    parser.add_argument("--stream-n", type=_count, default=None,
                        help="pairs streamed through ConfusionMatrix.update (default 1e8; --quick 1e7; 0 skips)")
    parser.add_argument("--chunk", type=_count, default=1_000_000, help="pairs per streamed chunk (default 1e6)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls of ours; the min is kept (default 3)")
    parser.add_argument("--sklearn-repeats", type=int, default=2, help="timed calls of scikit-learn (default 2)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for development")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = parser.parse_args(argv)
    args.n = args.n or (1_000_000 if args.quick else 10_000_000)
    if args.stream_n is None:
        args.stream_n = 10_000_000 if args.quick else 100_000_000
    try:
        args.classes = [int(k) for k in args.classes.split(",")]
    except ValueError:
        parser.error(f"--classes must be comma-separated integers; got {args.classes!r}")
    if any(k < 2 for k in args.classes):
        parser.error(f"--classes values must be >= 2; got {args.classes}")
    if args.chunk < 1:
        parser.error(f"--chunk must be >= 1; got {args.chunk}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"machine: {describe(machine())}", file=sys.stderr)
    streamed = None
    if args.stream_n:
        print(f"  streaming {args.stream_n:.0e} pairs ...", file=sys.stderr, flush=True)
        streamed = stream(args.stream_n, args.chunk, args.classes[0], args.seed)
    compared = []
    for n_classes in args.classes:
        print(f"  comparing on {args.n:.0e} pairs, K={n_classes} ...", file=sys.stderr, flush=True)
        compared.append(compare(args.n, n_classes, args.repeats, args.sklearn_repeats, args.seed))
    print()
    print(render(compared, streamed))
    if not args.no_json:
        name = "metrics_speed" + ("-quick" if args.quick else "")
        settings = {k: v for k, v in vars(args).items() if k != "no_json"}
        path = write_json(name, "cpu", {"settings": settings, "compared": compared, "streamed": streamed,
                                        "goal": GOAL, "tolerance": TOLERANCE})
        print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
