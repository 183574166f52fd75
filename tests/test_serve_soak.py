"""Soak: the server at its measured capacity for two minutes (``MULTICLASS_SOAK_SECONDS``), on loopback, bounded in
time and count, with a hot reload to a retrained model half way: no failed request, flat memory, and every
answer entirely from one model version (its probabilities are that version's).

Marked ``soak`` and skipped unless ``MULTICLASS_SOAK=1`` (CI: ``MULTICLASS_SOAK=1 pytest -m soak``, ~2.5 min).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from multiclass.runtime import load_runtime
from multiclass.runtime.inputs import record_columns
from tests.runtime_helpers import train_table
from tests.serve_helpers import running_server

pytestmark = [pytest.mark.soak, pytest.mark.skipif(os.environ.get("MULTICLASS_SOAK") != "1",
                                                   reason="set MULTICLASS_SOAK=1 to run the 2-minute soak test")]

SECONDS = float(os.environ.get("MULTICLASS_SOAK_SECONDS", "120"))
CAPACITY_SECONDS = 5.0
CONNECTIONS = 16
RECORD = {"age": 40.0, "income": 900.0, "constant": 1.0, "member": False, "city": "Quito"}


def _loadgen():
    path = Path(__file__).resolve().parents[1] / "bench" / "loadgen.py"
    spec = importlib.util.spec_from_file_location("loadgen", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["loadgen"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _swap_in(source: Path, live: Path) -> None:
    """Replace the model directory by renames, as `multiclass.persistence.save_model` does."""
    staging, old = live.with_name(".live.new"), live.with_name(".live.old")
    shutil.copytree(source, staging)
    os.replace(live, old)
    os.replace(staging, live)
    shutil.rmtree(old)


def test_soak_with_a_hot_reload(tmp_path):
    loadgen = _loadgen()
    first, second = train_table(tmp_path, n=400, name="v1"), train_table(tmp_path, n=400, name="v2", hidden=(5,))
    expected = {}
    for model_dir in (first, second):
        model = load_runtime(model_dir)
        expected[model.version] = model.predict(record_columns([RECORD], list(RECORD)), strict=True).probs[0]
    live = tmp_path / "live"
    shutil.copytree(first, live)
    request = loadgen.Request("POST", "/predict", json.dumps([RECORD]).encode())
    with running_server(live, max_queue=4096) as (base, process):
        capacity = asyncio.run(loadgen.run_load(base, [request], connections=CONNECTIONS,
                                                duration_s=CAPACITY_SECONDS))
        assert capacity.non_2xx == 0 and capacity.errors == 0
        rate = capacity.rps
        memory: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(SECONDS / 24):
                memory.append(_rss_mib(process.pid))

        def reload() -> None:
            if not stop.wait(SECONDS / 2):
                _swap_in(second, live)
                process.send_signal(signal.SIGHUP)

        threads = [threading.Thread(target=sample), threading.Thread(target=reload)]
        for thread in threads:
            thread.start()
        try:
            soak = asyncio.run(loadgen.run_load(base, [request], connections=CONNECTIONS, duration_s=SECONDS,
                                                max_requests=int(rate * SECONDS * 1.2) + 1000, rate=rate,
                                                keep_answers=True))
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    print(f"capacity {rate:.0f} rps; soak {soak.summary()}; RSS MiB {[round(m, 1) for m in memory]}")
    assert soak.errors == 0 and soak.non_2xx == 0 and soak.count > rate * SECONDS * 0.5
    versions, classes = [], load_runtime(first).classes
    for status, body in soak.answers:
        answer = json.loads(body)
        version = answer["model_version"]
        assert version in expected
        probs = np.array([answer["predictions"][0]["probabilities"][c] for c in classes])
        np.testing.assert_allclose(probs, expected[version], rtol=0, atol=1e-12)  # all of it from that version
        versions.append(version)
    old, new = load_runtime(first).version, load_runtime(second).version
    assert versions[0] == old and versions[-1] == new
    switched = versions.index(new)
    assert new not in versions[:switched] and versions[switched:].count(old) <= CONNECTIONS  # in flight at the swap
    settled = memory[len(memory) // 4:]
    assert max(settled) - min(settled) < 25, memory  # MiB: flat, no leak per request
