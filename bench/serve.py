"""Model servers compared in one run, on loopback only: the multiclass server (`multiclass.serve`, numpy runtime),
BentoML 1.4, MLflow 3 ``models serve`` and a FastAPI + pydantic + torch app, each serving the same two networks
with the same weights and preprocessing, one worker each:

- the seed MNIST network 784-25-15-10 relu (pixels / 255), trained here on ../shared/datasets/mnist (2 epochs);
- a 54-feature tabular MLP 54-25-15-7 (standardized features), trained on synthetic rows.

For each: start to the first 200 of a real prediction, idle memory (RSS of the process tree), whether torch is
loaded, p50/p99 latency at 1 connection, requests per second at 16 connections and the non-2xx answers (wrk when
installed -- ``apt-get install -y wrk`` -- else `loadgen.py`), one-row JSON requests.

The peers run from a separate virtual environment (they pull hundreds of packages):
``python -m venv .bench-venv && .bench-venv/bin/pip install bentoml mlflow fastapi uvicorn uvloop httptools
torch==2.13.0``. Run ``python bench/serve.py [--peer-python .bench-venv/bin/python] [--seconds 10] [--quick]``
from the repository root; writes ``bench/results/serve-cpu.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from common import MNIST_DIR, REPO_DIR, describe, machine, markdown_table, write_json
from loadgen import Request, run_load
from predict_runtime import synthetic_table

SRC = REPO_DIR / "src"
PEERS = Path(__file__).resolve().parent / "serve_peers"
READY_TIMEOUT_S = 180  # BentoML and MLflow take 15-20 s to start on this machine; a hung one is given up on


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post(url: str, body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, stack = [], [pid]
    while stack:
        current = stack.pop()
        out.append(current)
        stack += children.get(current, [])
    return out


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _torch_loaded(pids: list[int]) -> bool:
    for pid in pids:
        try:
            if "libtorch" in Path(f"/proc/{pid}/maps").read_text():
                return True
        except OSError:
            pass
    return False


# --- the models ------------------------------------------------------------------------------------------------


def _train(folder: Path, data: list[str], out: Path, epochs: int) -> Path:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-m", "multiclass", "train", *data, "--hidden", "25,15", "--epochs", str(epochs),
                    "--out", str(out), "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
    return out


def _bundle(model_dir: Path, folder: Path) -> Path:
    """The peers' copy of a model: weights.npz (torch's (out, in) matrices) and spec.json (preprocessing)."""
    sys.path.insert(0, str(SRC))
    from multiclass.runtime import load_runtime

    model = load_runtime(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for i, (weight_t, bias) in enumerate(zip(model.network.weights, model.network.biases)):
        arrays[f"w{i}"], arrays[f"b{i}"] = np.ascontiguousarray(weight_t.T), bias
    np.savez(folder / "weights.npz", **arrays)
    features = model.features
    if features.kind == "scale":
        spec = {"kind": "pixels", "divisor": features.divisor}
    else:
        spec = {"kind": "tabular", "fields": [f.name for f in features.fields], "mean": features.mean.tolist(),
                "scale": features.scale.tolist()}
    spec["classes"] = list(model.classes)
    (folder / "spec.json").write_text(json.dumps(spec))
    return folder


# --- the servers -----------------------------------------------------------------------------------------------


def _servers(peer_python: str | None, model_dir: Path, bundle: Path, mlflow_dir: Path | None, row: dict,
             pixels: list[int] | None) -> dict:
    """name -> (command, env, path, body)."""
    ours_env = {**os.environ, "PYTHONPATH": str(SRC)}
    peer_env = {**os.environ, "BENCH_BUNDLE": str(bundle), "PYTHONPATH": str(PEERS)}
    tabular = pixels is None
    servers = {"multiclass": (
        [sys.executable, "-m", "multiclass", "serve", str(model_dir), "--port", "{port}", "--no-access-log"], ours_env,
        "/predict", json.dumps([row] if tabular else {"instances": [pixels]}).encode())}
    if peer_python is None:
        return servers
    bin_dir = Path(peer_python).parent
    peer_env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"  # MLflow runs `uvicorn` by name
    servers["fastapi+pydantic+torch"] = (
        [peer_python, "-m", "uvicorn", "fastapi_app:app", "--port", "{port}", "--no-access-log",
         "--app-dir", str(PEERS), "--log-level", "warning"], peer_env, "/predict",
        json.dumps(row if tabular else {"pixels": pixels}).encode())
    servers["bentoml"] = (
        [str(bin_dir / "bentoml"), "serve", "bento_service:Classifier", "--port", "{port}", "--working-dir",
         str(PEERS)], peer_env, "/predict",
        json.dumps({"rows": [row]} if tabular else {"instances": [pixels]}).encode())
    if mlflow_dir is not None:
        servers["mlflow"] = (
            [str(bin_dir / "mlflow"), "models", "serve", "-m", str(mlflow_dir), "-p", "{port}", "--env-manager",
             "local", "-w", "1"], peer_env, "/invocations",
            json.dumps({"dataframe_records": [row]} if tabular else {"inputs": [pixels]}).encode())
    return servers


_WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def _wrk(url: str, body: bytes, connections: int, seconds: float, folder: Path) -> dict:
    body_file = folder / "body.json"
    body_file.write_bytes(body)
    script = folder / "post.lua"
    script.write_text('local f = io.open(os.getenv("BENCH_BODY"), "rb")\nwrk.method = "POST"\nwrk.body = f:read("*a")\n'
                      'f:close()\nwrk.headers["Content-Type"] = "application/json"\n')
    threads = min(connections, 2)
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s",
                           str(script), url], capture_output=True, text=True, check=True,
                          env={**os.environ, "BENCH_BODY": str(body_file)})
    text = done.stdout
    latency = {q: float(v) * _UNIT[u] for q, v, u in _WRK_LATENCY.findall(text)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    return {"tool": "wrk", "p50_ms": latency["50"] * 1000, "p99_ms": latency["99"] * 1000, "rps": rps,
            "requests": requests, "non_2xx": non_2xx, "errors": errors}


def _load(url: str, body: bytes, connections: int, seconds: float, folder: Path) -> dict:
    if shutil.which("wrk"):
        return _wrk(url, body, connections, seconds, folder)
    base, path = url.rsplit("/", 1)
    load = asyncio.run(run_load(base, [Request("POST", "/" + path, body)], connections=connections,
                                duration_s=seconds))
    summary = load.summary()
    return {"tool": "loadgen", **{k: summary[k] for k in ("p50_ms", "p99_ms", "rps", "requests", "non_2xx",
                                                          "errors")}}


def measure(name: str, command: list[str], env: dict, path: str, body: bytes, seconds: float, folder: Path,
            expected: np.ndarray) -> dict:
    port = _free_port()
    url = f"http://127.0.0.1:{port}{path}"
    log = open(folder / f"{name}.log", "wb")
    started = time.perf_counter()
    process = subprocess.Popen([part.replace("{port}", str(port)) for part in command], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    result: dict = {"server": name}
    try:
        while True:
            if process.poll() is not None:
                log.flush()
                tail = (folder / f"{name}.log").read_text(errors="replace").strip().splitlines()[-3:]
                raise RuntimeError(f"{name} exited with {process.returncode}: {' | '.join(tail)[-400:]}")
            try:
                status, answer = _post(url, body, timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() - started > READY_TIMEOUT_S:
                raise RuntimeError(f"{name} gave no 200 in {READY_TIMEOUT_S} s")
            time.sleep(0.02)
        result["start_to_first_200_s"] = time.perf_counter() - started
        result["same_probabilities"] = bool(np.allclose(_probabilities(answer), expected, atol=1e-5))
        for _ in range(200):
            _post(url, body)
        time.sleep(2.0)
        pids = _tree(process.pid)
        result["idle_rss_mib"] = _rss_mib(pids)
        result["processes"] = len(pids)
        result["torch_loaded"] = _torch_loaded(pids)
        result["one_connection"] = _load(url, body, 1, seconds, folder)
        result["sixteen_connections"] = _load(url, body, 16, seconds, folder)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        result["error"] = str(error)
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):  # the whole process group: BentoML and MLflow fork workers
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=30)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()
    return result


def _probabilities(answer: bytes) -> np.ndarray:
    """The first row's probabilities from any server's answer."""
    document = json.loads(answer)
    if isinstance(document, dict) and "predictions" in document:
        first = document["predictions"][0]
        if isinstance(first, dict):
            return np.array(list(first["probabilities"].values()))
        return np.asarray(first)
    if isinstance(document, dict) and "probabilities" in document:
        probs = np.asarray(document["probabilities"])
        return probs[0] if probs.ndim == 2 else probs
    return np.asarray(document)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=str(REPO_DIR / ".bench-venv" / "bin" / "python"),
                        help="the Python of the peers' virtual environment ('' for multiclass alone)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load run")
    parser.add_argument("--quick", action="store_true", help="3-second load runs")
    parser.add_argument("--mnist-epochs", type=int, default=2)
    parser.add_argument("--mnist-dir", default=os.environ.get("MULTICLASS_MNIST_DIR", str(MNIST_DIR)),
                        help="the MNIST IDX files (default ../shared/datasets/mnist beside the checkout)")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    peer_python = args.peer_python if args.peer_python and Path(args.peer_python).exists() else None
    info = machine()
    print(describe(info))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = synthetic_table(folder / "tabular.csv", 20_000, seed=0)
        models = {
            "tabular_54": _train(folder, [str(table), "--target", "label"], folder / "tabular_54", 5),
            "mnist_784_25_15_10": _train(folder, ["mnist", "--data-dir", args.mnist_dir], folder / "mnist",
                                         args.mnist_epochs),
        }
        sys.path.insert(0, str(SRC))
        from multiclass.data import read_idx
        from multiclass.runtime import load_runtime
        from multiclass.runtime.inputs import record_columns

        pixels = read_idx(Path(args.mnist_dir) / "t10k-images-idx3-ubyte.gz")[0].reshape(-1).tolist()
        row = {f"f{i}": float(v) for i, v in enumerate(np.random.default_rng(3).normal(size=54).round(3))}
        for model_name, model_dir in models.items():
            runtime = load_runtime(model_dir)
            tabular = model_name.startswith("tabular")
            columns = record_columns([row], list(row)) if tabular else {"input": [pixels]}
            expected = runtime.predict(columns, strict=True).probs[0]
            bundle = _bundle(model_dir, folder / f"{model_name}_bundle")
            mlflow_dir = None
            if peer_python:
                mlflow_dir = folder / f"{model_name}_mlflow"
                subprocess.run([peer_python, str(PEERS / "mlflow_model.py"), str(bundle), str(mlflow_dir)],
                               check=True, env={**os.environ, "PYTHONPATH": str(PEERS)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers = _servers(peer_python, model_dir, bundle, mlflow_dir, row, None if tabular else pixels)
            results[model_name] = []
            for name, (command, env, path, body) in servers.items():
                print(f"{model_name}: {name} ...", flush=True)
                results[model_name].append(measure(name, command, env, path, body, seconds, folder, expected))
    rows = []
    for model_name, entries in results.items():
        ours = next(e for e in entries if e["server"] == "multiclass").get("sixteen_connections", {}).get("rps")
        for e in entries:
            if "error" in e:
                rows.append([model_name, e["server"], "error: " + e["error"][:60]] + [""] * 8)
                continue
            one, many = e["one_connection"], e["sixteen_connections"]
            rows.append([model_name, e["server"], f"{one['p50_ms']:.2f}", f"{one['p99_ms']:.2f}", f"{many['rps']:.0f}",
                         f"{ours / many['rps']:.1f}x" if ours else "", many["non_2xx"] + many["errors"],
                         f"{e['start_to_first_200_s']:.2f}", f"{e['idle_rss_mib']:.0f}", e["torch_loaded"],
                         e["same_probabilities"]])
    print(markdown_table(["model", "server", "p50 ms (1 conn)", "p99 ms (1 conn)", "rps (16 conn)",
                          "multiclass / this", "non-2xx + errors", "start to first 200 s", "idle MiB",
                          "torch loaded", "same probabilities"], rows))
    path = write_json("serve", "cpu", {"seconds": seconds, "load_tool": "wrk" if shutil.which("wrk") else "loadgen",
                                       "results": results}, info=info)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
