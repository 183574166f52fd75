"""What does one model cost per epoch when `multiclass.sweep` trains M of them at once, against training each
with the idiomatic DataLoader loop?

The seed job (MNIST, 784-25-15-10 relu, Adam lr 1e-3, batch 32) with M models that differ by seed (their own
initialisation and data order), for each M in --models. Each sweep runs --epochs epochs (the first a warm-up,
not timed) with no early stopping and validates every model on MNIST t10k each epoch (a sweep ranks models on
validation data; that cost is inside its epoch time, the DataLoader loop has none). Reported: per-model
s/epoch = stacked epoch time / M, the same for the idiomatic loop (one model; M of them cost M times as much),
their ratio (the issue's goal on a GPU: <= 1/200) and the mean test accuracy of the M models.

    python bench/sweep_speed.py --device cuda                  # M = 1, 16, 64, 256
    python bench/sweep_speed.py --models 1,16 --quick          # 10k rows: a smoke run on a CPU
"""

from __future__ import annotations

import argparse
import statistics
import sys
import traceback

import torch
from common import describe, epoch_summary, fmt_seconds, limit_threads, load_mnist, machine, markdown_table, write_json
from epoch_speed import HIDDEN, LR, QUICK_ROWS, Unavailable, run_dataloader, run_multiclass

GOAL = 1 / 200  # the target on a GPU: per-model sweep time <= 1/200 of the idiomatic loop's


def run_sweep(data, n_models: int, epochs: int, device: str) -> dict:
    """Train n_models seeds of the seed job with `multiclass.sweep`; per-model s/epoch and mean test accuracy.

    The import is here, not at the top, so the other measurements still run when the sweep is missing.
    """
    try:
        from multiclass.sweep import MAX_STACK, sweep
    except ImportError as exc:
        raise Unavailable(f"multiclass.sweep is not available ({exc})") from None
    from multiclass.training import TrainConfig

    X, y, X_test, y_test = data
    config = TrainConfig(lr=LR, epochs=epochs, patience=None, verbose=False, device=device)
    result = sweep(X, y, grid={"seed": list(range(n_models))}, config=config, hidden=HIDDEN,
                   X_val=X_test, y_val=y_test)
    # Each stack of up to MAX_STACK models records its own epoch time in all its members' histories; the
    # sweep's epoch is the sum over its stacks (trained one after another).
    stacks = [result.results[i] for i in range(0, n_models, MAX_STACK)]
    epoch_times = [sum(r.history[e]["epoch_time"] for r in stacks) for e in range(epochs)]
    summary = epoch_summary([t / n_models for t in epoch_times])
    accuracies = [r.history[-1]["val_accuracy"] for r in result.results]  # t10k accuracy after the last epoch
    return {**summary, "n_models": n_models, "stacked_s_per_epoch": summary["s_per_epoch"] * n_models,
            "accuracy": statistics.mean(accuracies), "accuracy_min": min(accuracies),
            "accuracy_max": max(accuracies)}


def _attempt(label: str, fn, *args) -> dict:
    print(f"  {label} ...", file=sys.stderr, flush=True)
    try:
        return {"label": label, **fn(*args)}
    except Unavailable as exc:
        return {"label": label, "unavailable": str(exc)}
    except Exception as exc:  # one failure must not lose the other measurements
        traceback.print_exc()
        return {"label": label, "error": f"{type(exc).__name__}: {exc}"}


def run_all(models: list[int], epochs: int, device: str, rows: int | None, single: bool) -> tuple[dict, dict, int]:
    data = load_mnist(limit=rows)
    reference = _attempt("PyTorch DataLoader loop, one model", run_dataloader, data, epochs, device, 0)
    extra = {}
    if single:
        single_result = _attempt("multiclass train(), one model", run_multiclass, data, epochs, device, 0, None)
        if single_result.get("resolved_engine"):
            single_result["label"] += f" ({single_result['resolved_engine']})"
        extra["multiclass train()"] = single_result
    sweeps = {m: _attempt(f"multiclass.sweep, {m} models", run_sweep, data, m, epochs, device) for m in models}
    if "s_per_epoch" in reference:
        for result in [*extra.values(), *sweeps.values()]:
            if "s_per_epoch" in result:
                result["ratio_to_dataloader"] = result["s_per_epoch"] / reference["s_per_epoch"]
                result["ratio_to_dataloader_min"] = result["s_per_epoch_min"] / reference["s_per_epoch_min"]
    return reference, {**extra, **{f"sweep[{m}]": r for m, r in sweeps.items()}}, len(data[0])


def _fraction(ratio: float) -> str:
    """0.01 -> '1/100' (reads as the goal does); ratios above 1 (slower) as '2.50x'."""
    return f"1/{1 / ratio:.1f}" if ratio < 1 else f"{ratio:.2f}x"


def render(reference: dict, results: dict) -> str:
    def row(r, models="1"):
        if "s_per_epoch" not in r:
            return [r["label"], models, "-", "-", "-", r.get("unavailable") or r.get("error")]
        ratio, ratio_min = r.get("ratio_to_dataloader"), r.get("ratio_to_dataloader_min")
        shown = "1 (reference)" if ratio is None else f"{_fraction(ratio)} (min: {_fraction(ratio_min)})"
        return [r["label"], str(r.get("n_models", models)), fmt_seconds(r["s_per_epoch"]),
                fmt_seconds(r["s_per_epoch_min"]), f"{r['accuracy']:.4f}", shown]

    headers = ["loop", "models", "s/epoch per model (median)", "(min)", "mean test acc", "per-model time vs DataLoader"]
    return markdown_table(headers, [row(reference), *(row(r) for r in results.values())])


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--models", default="1,16,64,256", help="comma-separated sweep sizes (default 1,16,64,256)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run, the first a warm-up (default 2)")
    parser.add_argument("--rows", type=int, default=None, help="use the first ROWS training rows (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows, for development")
    parser.add_argument("--no-single", action="store_true", help="skip our one-model train() row")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch and BLAS (default: 1 on the CPU, torch's own on a GPU; 0: defaults)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = parser.parse_args(argv)
    try:
        args.models = [int(m) for m in args.models.split(",")]
    except ValueError:
        parser.error(f"--models must be comma-separated integers; got {args.models!r}")
    if any(m < 1 for m in args.models):
        parser.error(f"--models values must be >= 1; got {args.models}")
    if args.epochs < 2:
        parser.error(f"--epochs must be >= 2 (one warm-up epoch plus at least one timed); got {args.epochs}")
    if args.quick and args.rows is None:
        args.rows = QUICK_ROWS
    if torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: no CUDA GPU is visible here")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    threads = args.threads if args.threads is not None else (1 if torch.device(args.device).type == "cpu" else 0)
    with limit_threads(threads):
        info = machine()
        print(f"machine: {describe(info)}", file=sys.stderr)
        reference, results, n_rows = run_all(args.models, args.epochs, args.device, args.rows, not args.no_single)
    print(f"\nseed job on {n_rows} MNIST rows, device {args.device}, {args.epochs} epochs (first one a warm-up); "
          f"goal on a GPU: per-model time <= 1/{1 / GOAL:.0f} of the DataLoader loop's\n")
    print(render(reference, results))
    if not args.no_json:
        name = "sweep_speed" + ("-quick" if args.quick else "")
        settings = {"rows": n_rows, "epochs": args.epochs, "models": args.models,
                    "threads": threads or "library defaults", "argv": sys.argv[1:] if argv is None else argv}
        path = write_json(name, args.device, {"settings": settings, "goal_ratio": GOAL, "reference": reference,
                                              "results": results}, info=info)
        print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
