"""How many seconds does one epoch of the seed job take with multiclass, and with the loops people write today?

The seed job: MNIST (60,000 x 784, pixels / 255), MLP 784-25-15-10 relu, Adam lr 1e-3, batch 32 (1,875 steps an
epoch), no validation. Every loop trains from its own initialisation on the same arrays, in this one process, for
the same number of epochs; the first epoch is a warm-up and excluded from the timing (allocator, caches, CUDA
graph capture). Reported per loop: s/epoch (median and min of the timed epochs), test accuracy on MNIST t10k
after all the epochs, and how many times faster our fastest engine is.

    python bench/epoch_speed.py                      # CPU, 3 epochs, every peer
    python bench/epoch_speed.py --device cuda        # the same on a GPU
    python bench/epoch_speed.py --quick              # 10k rows, 2 epochs: a smoke run while developing
    python bench/epoch_speed.py --peers multiclass,sklearn --engines eager,fused
    python bench/epoch_speed.py --device cuda --peers multiclass --engines cuda_graph,cuda_graph@bfloat16

An engine written ``NAME@bfloat16`` trains with ``TrainConfig(precision="bfloat16")`` (mixed precision).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
import traceback
import warnings

import numpy as np
import torch
from common import (
    EpochClock,
    describe,
    epoch_summary,
    fmt_seconds,
    limit_threads,
    load_mnist,
    machine,
    markdown_table,
    write_json,
)
from torch import nn

HIDDEN = (25, 15)  # the seed recipe's hidden widths
N_CLASSES = 10
LR = 1e-3  # Adam's default step size, the recipe's
BATCH = 32  # examples per step, the recipe's (and Keras' default)
QUICK_ROWS = 10_000  # --quick: enough rows for a stable per-epoch time in a couple of seconds
PEERS = ("multiclass", "dataloader", "keras", "skorch", "sklearn")
ENGINES = ("eager", "fused", "cuda_graph", "auto")  # tried when TrainConfig has an `engine` field


class Unavailable(Exception):
    """A loop that cannot run here (a package not installed, an engine this device lacks)."""


def _sequential(n_features: int) -> nn.Sequential:
    """The recipe's network as people write it: Linear/ReLU layers returning logits."""
    widths = (n_features, *HIDDEN)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], N_CLASSES))


# --peer-init: "torch" leaves the peers' networks with PyTorch's own initialisation (as people write them);
# "ours" copies in the Glorot weights `multiclass.build_model(seed)` starts from, so that an accuracy difference
# after a few epochs can only come from the training loop, not from where it started.
PEER_INIT = {"value": "torch"}


@torch.no_grad()
def _start_like_ours(model: nn.Sequential, n_features: int, seed: int) -> nn.Sequential:
    if PEER_INIT["value"] == "ours":
        from multiclass.models import ModelConfig, build_model

        ours = build_model(ModelConfig(n_features=n_features, n_classes=N_CLASSES, hidden=HIDDEN), seed=seed)
        theirs = [m for m in model if isinstance(m, nn.Linear)]
        for linear, source in zip(theirs, ours.linears, strict=True):
            linear.weight.copy_(source.weight)
            linear.bias.copy_(source.bias)
    return model


@torch.no_grad()
def _torch_accuracy(model: nn.Module, X_test: np.ndarray, y_test: np.ndarray, device: str) -> float:
    model.eval()
    pred = model(torch.from_numpy(X_test).to(device)).argmax(dim=1).cpu().numpy()  # (N,)
    return float((pred == y_test).mean())


# ---------------------------------------------------------------------------------------------------- our library
def library_engines(requested: list[str] | None) -> list[str | None]:
    """The engines to time: [None] (the library's only loop) until TrainConfig grows an `engine` field."""
    from multiclass.training import TrainConfig

    if "engine" not in {f.name for f in dataclasses.fields(TrainConfig)}:
        return [None]
    import multiclass.training.config as config_module

    known = tuple(getattr(config_module, "ENGINES", ENGINES))
    # variants such as cuda_graph@bfloat16 or cuda_graph+compile
    variants = [e for e in (requested or []) if e not in known and engine_options(e)["engine"] in known]
    return [e for e in known if requested is None or e in requested] + variants


def engine_options(spec: str) -> dict:
    """TrainConfig options of an engine spec 'NAME[@PRECISION][+compile]' (e.g. cuda_graph@bfloat16)."""
    name, _, compiled = spec.partition("+")
    name, _, precision = name.partition("@")
    return {"engine": name, **({"precision": precision} if precision else {}),
            **({"compile_step": "always"} if compiled == "compile" else {})}


def run_multiclass(data, epochs: int, device: str, seed: int, engine: str | None) -> dict:
    from multiclass.exceptions import MulticlassError
    from multiclass.models import ModelConfig, build_model
    from multiclass.training import TrainConfig, train

    X, y, X_test, y_test = data
    options = {} if engine is None else engine_options(engine)
    try:
        config = TrainConfig(epochs=epochs, val_split=0, verbose=False, device=device, seed=seed, **options)
        model = build_model(ModelConfig(n_features=X.shape[1], n_classes=N_CLASSES, hidden=HIDDEN), seed=seed)
        tic = time.perf_counter()
        result = train(model, X, y, config)
        wall = time.perf_counter() - tic
    except MulticlassError as exc:  # an engine this device cannot run (e.g. cuda_graph on a CPU)
        raise Unavailable(str(exc)) from None
    times = [record["epoch_time"] for record in result.history]
    chosen = getattr(result, "engine", None)  # how the engine ran ("fused (compiled)"), if the library says
    return {**epoch_summary(times), "accuracy": _torch_accuracy(result.model, X_test, y_test, device),
            # what train() cost outside its epochs: input checks, copies to the device, building the engine
            "setup_s": wall - sum(times), **({"resolved_engine": chosen} if chosen else {})}


# ---------------------------------------------------------------------------------------------------- peers
def run_dataloader(data, epochs: int, device: str, seed: int) -> dict:
    """Idiomatic PyTorch: TensorDataset + DataLoader(shuffle) + .to(device) per batch, nn.CrossEntropyLoss, Adam."""
    from torch.utils.data import DataLoader, TensorDataset

    X, y, X_test, y_test = data
    torch.manual_seed(seed)
    model = _start_like_ours(_sequential(X.shape[1]), X.shape[1], seed).to(device)
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=BATCH, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    clock = EpochClock(device)
    for _ in range(epochs):
        clock.start()
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)  # (B, 784), (B,)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()  # no loss.item() per step: that host sync would only make this peer slower
        clock.stop()
    return {**epoch_summary(clock.times), "accuracy": _torch_accuracy(model, X_test, y_test, device)}


def run_keras(data, epochs: int, device: str, seed: int) -> dict:
    """Keras 3 `fit` on the PyTorch backend (set before the first import of keras)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    os.environ.setdefault("KERAS_TORCH_DEVICE", device)
    try:
        import keras
    except ImportError as exc:
        raise Unavailable(f"keras is not installed ({exc}); pip install 'multiclass[bench]'") from None
    if keras.backend.backend() != "torch":
        raise Unavailable(f"keras runs on the {keras.backend.backend()!r} backend; set KERAS_BACKEND=torch")

    X, y, X_test, y_test = data
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((X.shape[1],))]
        + [keras.layers.Dense(width, activation="relu") for width in HIDDEN]
        + [keras.layers.Dense(N_CLASSES)]  # logits
    )
    model.compile(optimizer=keras.optimizers.Adam(LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    clock = EpochClock(device)

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            clock.start()

        def on_epoch_end(self, epoch, logs=None):
            clock.stop()

    model.fit(X, y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0, callbacks=[Clock()])
    pred = model.predict(X_test, batch_size=8192, verbose=0).argmax(axis=1)  # (N,)
    return {**epoch_summary(clock.times), "accuracy": float((pred == y_test).mean())}


def run_skorch(data, epochs: int, device: str, seed: int) -> dict:
    """skorch NeuralNetClassifier: the same module, CrossEntropyLoss on logits, Adam, no internal validation."""
    try:
        from skorch import NeuralNetClassifier
        from skorch.callbacks import Callback
    except ImportError as exc:
        raise Unavailable(f"skorch is not installed ({exc}); pip install 'multiclass[bench]'") from None

    X, y, X_test, y_test = data
    torch.manual_seed(seed)
    clock = EpochClock(device)

    class Clock(Callback):
        def on_epoch_begin(self, net, **kwargs):
            clock.start()

        def on_epoch_end(self, net, **kwargs):
            clock.stop()

    net = NeuralNetClassifier(
        _start_like_ours(_sequential(X.shape[1]), X.shape[1], seed), criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, lr=LR,
        max_epochs=epochs, batch_size=BATCH, train_split=None, iterator_train__shuffle=True,
        callbacks=[("clock", Clock())], device=device, verbose=0,
    )
    net.fit(X, y)
    pred = net.predict(X_test)  # (N,)
    return {**epoch_summary(clock.times), "accuracy": float((pred == y_test).mean())}


def run_sklearn(data, epochs: int, device: str, seed: int) -> dict:
    """scikit-learn MLPClassifier, one `partial_fit` per epoch.

    `partial_fit` keeps Adam's moments from epoch to epoch, as every other loop here does; ``fit`` with
    ``warm_start=True, max_iter=1`` would build a fresh Adam each call.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y, X_test, y_test = data
    if torch.device(device).type != "cpu":
        raise Unavailable("scikit-learn runs on the CPU only")
    clf = MLPClassifier(HIDDEN, activation="relu", solver="adam", alpha=0.0,  # the recipe has no L2
                        batch_size=BATCH, learning_rate_init=LR, shuffle=True, random_state=seed)
    classes = np.arange(N_CLASSES)
    clock = EpochClock("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            clock.start()
            clf.partial_fit(X, y, classes=classes)
            clock.stop()
    return {**epoch_summary(clock.times), "accuracy": float(clf.score(X_test, y_test))}


RUNNERS = {"dataloader": run_dataloader, "keras": run_keras, "skorch": run_skorch, "sklearn": run_sklearn}
LABELS = {
    "dataloader": "PyTorch: TensorDataset + DataLoader(shuffle) + .to(device)",
    "keras": "Keras 3 fit (torch backend)",
    "skorch": "skorch NeuralNetClassifier",
    "sklearn": "scikit-learn MLPClassifier (partial_fit per epoch)",
}


# ---------------------------------------------------------------------------------------------------- the whole
def _attempt(label: str, fn, *args) -> dict:
    print(f"  {label} ...", file=sys.stderr, flush=True)
    try:
        return {"label": label, **fn(*args)}
    except Unavailable as exc:
        return {"label": label, "unavailable": str(exc)}
    except Exception as exc:  # a peer's own failure must not lose the other measurements
        traceback.print_exc()
        return {"label": label, "error": f"{type(exc).__name__}: {exc}"}


def _merge_rounds(rounds: list[dict]) -> dict:
    """One loop's record over several rounds: every round's timed epochs pooled, the first round's accuracy."""
    first = rounds[0]
    if "epoch_times" not in first or any("epoch_times" not in r for r in rounds):
        return first
    timed = [t for r in rounds for t in r["epoch_times"][r["warmup_epochs"]:]]
    merged = {**first, "s_per_epoch": statistics.median(timed), "s_per_epoch_min": min(timed),
              "epoch_times": [r["epoch_times"] for r in rounds], "accuracies": [r["accuracy"] for r in rounds]}
    if "setup_s" in first:
        merged["setup_s"] = [r["setup_s"] for r in rounds]
    return merged


def run_all(peers: list[str], engines: list[str] | None, epochs: int, device: str, seed: int, rows: int | None,
            rounds: int = 1):
    """Run every loop `rounds` times, the order reversed every other round so none always runs first."""
    data = load_mnist(limit=rows)
    jobs = []  # (key, label, runner, extra args)
    if "multiclass" in peers:
        for engine in library_engines(engines):
            key = "multiclass" if engine is None else f"multiclass[{engine}]"
            label = "multiclass train()" + ("" if engine is None else f", engine={engine!r}")
            jobs.append((key, label, run_multiclass, (engine,)))
    jobs += [(peer, LABELS[peer], RUNNERS[peer], ()) for peer in peers if peer != "multiclass"]
    records: dict[str, list[dict]] = {key: [] for key, *_ in jobs}
    for round_ in range(rounds):
        for key, label, runner, extra in jobs if round_ % 2 == 0 else reversed(jobs):
            if records[key] and "epoch_times" not in records[key][0]:
                continue  # unavailable or failed in the first round: do not try again
            records[key].append(_attempt(label, runner, data, epochs, device, seed, *extra))
    results = {key: _merge_rounds(rs) for key, rs in records.items()}
    for result in results.values():
        if result.get("resolved_engine"):
            result["label"] += f" -> {result['resolved_engine']}"
    ours = {k: r for k, r in results.items() if k.startswith("multiclass") and "s_per_epoch" in r}
    best = min(ours, key=lambda k: ours[k]["s_per_epoch"]) if ours else None
    for key, result in results.items():
        if best and "s_per_epoch" in result:
            result["ours_speedup"] = result["s_per_epoch"] / ours[best]["s_per_epoch"]
            result["ours_speedup_min"] = result["s_per_epoch_min"] / ours[best]["s_per_epoch_min"]
    return results, best, len(data[0])


def render(results: dict, best: str | None, epochs: int) -> str:
    rows = []
    for key, r in results.items():
        if "s_per_epoch" not in r:
            rows.append([r["label"], "-", "-", "-", r.get("unavailable") or r.get("error")])
            continue
        speedup = ("(reference)" if key == best else "-" if best is None
                   else f"{r['ours_speedup']:.2f}x ({r['ours_speedup_min']:.2f}x)")
        rows.append([r["label"], fmt_seconds(r["s_per_epoch"]), fmt_seconds(r["s_per_epoch_min"]),
                     f"{r['accuracy']:.4f}", speedup])
    headers = ["loop", "s/epoch (median)", "s/epoch (min)", f"test acc after {epochs} epochs",
               "ours faster by: median (min)"]
    return markdown_table(headers, rows)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per loop, the first one a warm-up not timed (default 3; --quick: 2)")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    parser.add_argument("--engines", default=None,
                        help=f"comma-separated engines of ours to time (default: every one the library has; "
                             f"known: {','.join(ENGINES)})")
    parser.add_argument("--rows", type=int, default=None, help="use the first ROWS training rows (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows and 2 epochs, for development")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch and BLAS, the same for every loop (default: 1 on the CPU, "
                             "torch's own on a GPU; 0: leave the libraries' defaults)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every loop this many times, in alternating order, pooling the timed epochs "
                             "(default 1; more gives steadier ratios on a shared machine)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--peer-init", choices=["torch", "ours"], default="torch",
                        help="the PyTorch peers' initial weights: PyTorch's own (default), or the Glorot weights "
                             "ours start from (isolates the loop when comparing accuracy after a few epochs)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = parser.parse_args(argv)
    PEER_INIT["value"] = args.peer_init
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(args.peers) - set(PEERS))
    if unknown:
        parser.error(f"--peers must name some of {', '.join(PEERS)}; got {', '.join(unknown)}")
    args.engines = None if args.engines is None else [e.strip() for e in args.engines.split(",") if e.strip()]
    args.epochs = args.epochs or (2 if args.quick else 3)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1; got {args.rounds}")
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
        results, best, n_rows = run_all(args.peers, args.engines, args.epochs, args.device, args.seed, args.rows,
                                         args.rounds)
    reference = results[best]["label"] if best else "nothing (ours did not run)"
    print(f"\nseed job on {n_rows} MNIST rows, device {args.device}, {args.epochs} epochs (first one a warm-up) "
          f"x {args.rounds} round(s); speed-ups are relative to {reference}\n")
    print(render(results, best, args.epochs))
    setups = [f"{r['label']}: {min(np.atleast_1d(r['setup_s'])):.2f} s" for r in results.values() if "setup_s" in r]
    if setups:
        print("\none-off cost of train() outside its epochs (checks, copies, building the engine): "
              + "; ".join(setups))
    if not args.no_json:
        name = "epoch_speed" + ("-quick" if args.quick else "") + ("-same-init" if args.peer_init == "ours" else "")
        settings = {"rows": n_rows, "threads": threads or "library defaults", "epochs": args.epochs,
                    "rounds": args.rounds, "batch_size": BATCH, "lr": LR, "hidden": HIDDEN, "seed": args.seed,
                    "peers": args.peers, "peer_init": args.peer_init, "argv": sys.argv[1:] if argv is None else argv}
        path = write_json(name, args.device, {"settings": settings, "reference": best, "results": results}, info=info)
        print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
