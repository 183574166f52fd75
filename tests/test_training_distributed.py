"""multiclass.distributed: 2 CPU ranks (gloo, launched by torchrun) train what one process trains.

DDP averages the gradients of the ranks. With rank r reading shard r in file order (no shuffling) and
taking batches of B rows, each step is the mean loss over the 2B rows of both ranks -- exactly one process
reading the two shards interleaved B rows at a time with batches of 2B. The shards have unequal lengths, so the
last steps also check the uneven case (one rank with a short batch, then none).
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.training import TrainConfig
from multiclass.data.stream import StreamConfig
from multiclass.jobs import fit_stream

torch.set_num_threads(1)

BATCH = 8  # rows per rank and step
CONFIG = {"epochs": 3, "lr": 1e-2, "l2": 1e-3, "patience": None, "verbose": False}
HIDDEN = (25, 15)  # the seed network: float32 sums over 2 ranks stay within 1e-5 of one process

RANK_SCRIPT = """
import json, sys, torch
torch.set_num_threads(1)
import numpy as np
from multiclass.training import TrainConfig
from multiclass.distributed import init_distributed, shutdown
from multiclass.data.stream import StreamConfig
from multiclass.jobs import fit_stream

shards, val, out, batch, config = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
comm = init_distributed("cpu")
trained = fit_stream(shards, target="label", hidden=(25, 15), config=TrainConfig(batch_size=batch, **config),
                     stream=StreamConfig(shuffle=False), val_data=val, comm=comm).trained
if comm.is_main:  # only rank 0 writes
    np.savez(out, **{k: v.numpy() for k, v in trained.model.state_dict().items()})
    json.dump({"history": trained.history, "validation": trained.validation}, open(out + ".json", "w"))
shutdown(comm)
"""


def _frame(rng, n):
    y = rng.integers(0, 3, n)
    return pd.DataFrame({"a": rng.standard_normal(n) + y, "b": rng.standard_normal(n) - y,
                         "c": rng.choice(["u", "v"], n), "label": y})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_gloo_ranks_train_what_one_process_trains_on_the_interleaved_data(tmp_path):
    rng = np.random.default_rng(1)
    first, second, val = _frame(rng, 96), _frame(rng, 91), _frame(rng, 50)
    (tmp_path / "shards").mkdir()
    first.to_parquet(tmp_path / "shards" / "part-0.parquet")
    second.to_parquet(tmp_path / "shards" / "part-1.parquet")
    val.to_parquet(tmp_path / "val.parquet")
    blocks = [part for start in range(0, 96, BATCH)
              for part in (first[start:start + BATCH], second[start:start + BATCH])]
    pd.concat(blocks).to_parquet(tmp_path / "interleaved.parquet")

    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    out = str(tmp_path / "ddp.npz")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(_free_port()), str(script), str(tmp_path / "shards"), str(tmp_path / "val.parquet"),
               out, str(BATCH), json.dumps(CONFIG)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=110, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    single = fit_stream(tmp_path / "interleaved.parquet", target="label", hidden=HIDDEN, val_data=tmp_path / "val.parquet",
                        config=TrainConfig(batch_size=2 * BATCH, **CONFIG), stream=StreamConfig(shuffle=False)).trained
    ranks = np.load(out)
    for name, value in single.model.state_dict().items():
        np.testing.assert_allclose(ranks[name], value.numpy(), rtol=0, atol=1e-5, err_msg=name)
    record = json.loads(Path(out + ".json").read_text())
    for mine, theirs in zip(record["history"], single.history, strict=True):
        assert mine["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-5)
        assert mine["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-5)
        assert mine["val_accuracy"] == theirs["val_accuracy"]
    assert record["validation"]["n_samples"] == 50  # the ranks' validation counts were summed
