"""How long the command line takes to answer: CPU seconds of whole processes, against Python itself and
scikit-learn's import, in the same run.

    python bench/startup.py [--repeats 7]

Each command runs `repeats` times in a fresh process; the CPU time (user + system, from the child's rusage) is
the median. CPU time rather than wall time: it does not depend on what else the machine is doing. Compared:

- ``python -c pass`` (the floor) and ``python -c "import sklearn"`` (a peer's import cost);
- ``multiclass --help``, ``--version`` and a usage error (the goal: at most 0.25 s each);
- ``import multiclass`` (the lazy package face) and the first training of a process (a tiny resident run),
  with whether torch._dynamo was imported (constructing torch.optim.Adam imports it: 1-5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

from common import markdown_table, write_json

GOAL_S = 0.25  # issue: --help, --version and a usage error in <= 0.25 s of CPU

FIRST_TRAINING = """
import json, sys
import numpy as np
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train
X = np.random.default_rng(0).normal(size=(256, 8)).astype(np.float32)
y = (X[:, 0] > 0).astype(np.int64)
train(build_model(ModelConfig(8, 2, (8,))), X, y, TrainConfig(epochs=2, verbose=False))
print(json.dumps({"dynamo": "torch._dynamo" in sys.modules}))
"""


def _cpu_seconds(command: list[str]) -> tuple[float, str]:
    """CPU seconds (user + system) of one run of `command`, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    cli = [python, "-m", "multiclass"]
    cases = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import sklearn'": [python, "-c", "import sklearn"],
        "multiclass --help": [*cli, "--help"],
        "multiclass --version": [*cli, "--version"],
        "multiclass train x.csv --epochs zero (usage error)": [*cli, "train", "x.csv", "--out", "m", "--epochs", "zero"],
        "python -c 'import multiclass'": [python, "-c", "import multiclass"],
        "first training of a process": [python, "-c", FIRST_TRAINING],
    }
    results = {}
    for name, command in cases.items():
        _cpu_seconds(command)  # warm the page cache and the byte-code cache
        runs = [_cpu_seconds(command) for _ in range(args.repeats)]
        results[name] = {"cpu_s": statistics.median(t for t, _ in runs), "runs": [t for t, _ in runs]}
        if name == "first training of a process":
            results[name]["imports_torch_dynamo"] = json.loads(runs[-1][1])["dynamo"]
        print(f"{name}: {results[name]['cpu_s']:.3f} s CPU", flush=True)
    floor = results["python -c pass"]["cpu_s"]
    sklearn = results["python -c 'import sklearn'"]["cpu_s"]
    rows = [[name, f"{r['cpu_s']:.3f}", f"{r['cpu_s'] - floor:+.3f}", f"{r['cpu_s'] / sklearn:.2f}"]
            for name, r in results.items()]
    print(markdown_table(["command", "CPU s (median)", "minus python", "/ import sklearn"], rows))
    goals = {name: results[name]["cpu_s"] <= GOAL_S for name in cases if name.startswith("multiclass")}
    print("goal <= 0.25 s CPU:", "met" if all(goals.values()) else f"missed {goals}")
    print("first training imports torch._dynamo:", results["first training of a process"]["imports_torch_dynamo"])
    path = write_json("startup", "cpu", {"repeats": args.repeats, "results": results, "goal_s": GOAL_S,
                                         "goals_met": goals})
    print(f"written {path}")


if __name__ == "__main__":
    main()
