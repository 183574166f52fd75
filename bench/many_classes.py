"""Do the metrics and the report stay fast, and small, with K = 10,000 classes and 1e7 predictions?

1e7 (true, predicted) pairs over K = 10,000 classes, 80% correct (the errors spread over ~2e6 distinct cells).
Timed (min over `--repeats`), with tracemalloc's peak of the allocations made inside each call (numpy reports
its buffers to tracemalloc):

- ours: `sparse_confusion_matrix` (one bincount for the diagonal + ``np.unique`` over the errors), the per-class
  P/R/F1 and headline scores from its diagonal and margins, the 20 most confused pairs, and the whole evaluation
  report (`build_report`, no probabilities) without and with a bootstrap, plus its JSON;
- peers: scikit-learn's ``confusion_matrix`` (a dense 10,000 x 10,000 int64 matrix: 800 MB) and
  ``precision_recall_fscore_support``;
- the validation of one training epoch at this K: the streamed trainer's per-class totals (three K-vectors)
  against a dense ``bincount(true * K + pred, minlength=K * K)``, as an in-memory loop that builds the matrix does.

Every per-class F1 is checked against scikit-learn's to 1e-12.

    python bench/many_classes.py            # K = 10,000, 1e7 predictions (~2 GB of memory at its peak)
    python bench/many_classes.py --quick    # K = 10,000, 1e6 predictions
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from common import best_of, describe, fmt_seconds, limit_threads, machine, markdown_table, write_json

ACCURACY = 0.8
TOLERANCE = 1e-12


def make_labels(rng, n, k):
    y_true = rng.integers(0, k, n)
    wrong = rng.random(n) >= ACCURACY
    y_pred = y_true.copy()
    y_pred[wrong] = rng.integers(0, k, int(wrong.sum()))
    return y_true, y_pred


def measure(fn, repeats):
    """(min seconds, peak MiB allocated inside one call, result)."""
    seconds, result = best_of(fn, repeats)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=100, help="resamples of the bootstrapped report")
    parser.add_argument("--no-sklearn", action="store_true", help="skip the peers (the dense matrix is 800 MB)")
    args = parser.parse_args()
    n, k = (1_000_000 if args.quick else args.n), args.classes
    import torch
    from sklearn import metrics as skm

    from multiclass import metrics
    from multiclass.metrics.from_confusion import prf_from_totals
    from multiclass.report import ReportConfig, build_report, report_to_json

    rng = np.random.default_rng(0)
    y_true, y_pred = make_labels(rng, n, k)
    classes = [f"class{i:05d}" for i in range(k)]
    rows, record = [], {"n": n, "classes": k, "accuracy": ACCURACY}
    with limit_threads(1):
        info = machine()
        t, peak, cm = measure(lambda: metrics.sparse_confusion_matrix(y_true, y_pred, n_classes=k), args.repeats)
        rows.append(["ours: sparse confusion matrix", fmt_seconds(t), f"{peak:.0f}", f"{cm.nnz:,} non-zero cells"])
        record["sparse_confusion"] = {"s": t, "peak_mib": peak, "nnz": cm.nnz}

        def per_class():
            tp, pred_sum, true_sum = metrics.confusion_totals(cm)
            return prf_from_totals(tp, pred_sum, true_sum, zero_division=0.0), metrics.scores_from_totals(
                tp, pred_sum, true_sum)

        t, peak, ((precision, recall, f1, _), scores) = measure(per_class, args.repeats)
        rows.append(["ours: per-class P/R/F1 + headline", fmt_seconds(t), f"{peak:.0f}",
                     f"macro-F1 {scores['macro_f1']:.4f}"])
        record["per_class"] = {"s": t, "peak_mib": peak, **scores}
        t, peak, pairs = measure(lambda: cm.top_confused(20), args.repeats)
        rows.append(["ours: 20 most confused pairs", fmt_seconds(t), f"{peak:.0f}", f"top: {pairs[0]}"])
        record["top_confused"] = {"s": t, "peak_mib": peak}
        for bootstrap in (0, args.bootstrap):
            config = ReportConfig(bootstrap=bootstrap)
            t, peak, report = measure(lambda config=config: build_report(y_true, y_pred, classes, config=config), 1)
            rows.append([f"ours: build_report (bootstrap={bootstrap})", fmt_seconds(t), f"{peak:.0f}",
                         f"{type(report.confusion).__name__}"])
            record[f"report_bootstrap_{bootstrap}"] = {"s": t, "peak_mib": peak}
        tic = time.perf_counter()
        size = len(report_to_json(report))
        rows.append(["ours: report JSON", fmt_seconds(time.perf_counter() - tic), "-", f"{size / 1e6:.1f} MB"])
        record["report_json"] = {"s": time.perf_counter() - tic, "bytes": size}

        # The validation of one epoch at this K: per-class totals vs a dense K x K bincount (torch, as in a loop).
        yt, yp = torch.from_numpy(y_true[:1_000_000]), torch.from_numpy(y_pred[:1_000_000])
        t_tot, _, _ = measure(lambda: (torch.bincount(yt[yp == yt], minlength=k), torch.bincount(yp, minlength=k),
                                       torch.bincount(yt, minlength=k)), args.repeats)
        t_dense, _, _ = measure(lambda: torch.bincount(yt * k + yp, minlength=k * k), args.repeats)
        rows.append(["validation of 1e6 rows: per-class totals (streamed trainer)", fmt_seconds(t_tot), "-", "3 x K"])
        rows.append(["validation of 1e6 rows: dense bincount K x K", fmt_seconds(t_dense), f"{k * k * 8 / 2**20:.0f}",
                     "K x K int64"])
        record["validation_1e6"] = {"totals_s": t_tot, "dense_bincount_s": t_dense, "dense_mib": k * k * 8 / 2**20}

        if not args.no_sklearn:
            t, peak, dense = measure(lambda: skm.confusion_matrix(y_true, y_pred, labels=np.arange(k)), 1)
            rows.append(["scikit-learn: confusion_matrix (dense)", fmt_seconds(t), f"{peak:.0f}",
                         f"{dense.nbytes / 2**20:.0f} MB"])
            record["sklearn_confusion"] = {"s": t, "peak_mib": peak}
            del dense
            t, peak, theirs = measure(lambda: skm.precision_recall_fscore_support(
                y_true, y_pred, labels=np.arange(k), zero_division=0), 1)
            rows.append(["scikit-learn: precision_recall_fscore_support", fmt_seconds(t), f"{peak:.0f}", ""])
            record["sklearn_prf"] = {"s": t, "peak_mib": peak}
            error = max(float(np.abs(mine - their).max()) for mine, their in zip((precision, recall, f1), theirs[:3]))
            record["max_abs_difference_vs_sklearn"] = error
            if error > TOLERANCE:
                raise SystemExit(f"per-class scores differ from scikit-learn's by {error:.2e}")
            rows.append(["check: per-class P/R/F1 vs scikit-learn", "-", "-", f"max |diff| {error:.1e}"])
    print(markdown_table(["step", "seconds", "peak MiB", "note"], rows))
    print(describe(info))
    print(f"written {write_json('many_classes' + ('-quick' if args.quick else ''), 'cpu', record, info=info)}")


if __name__ == "__main__":
    main()
