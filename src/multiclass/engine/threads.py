"""How many threads a training epoch runs on.

For matrices of a few dozen rows, splitting a product over threads costs more in synchronisation than it saves,
and on a machine whose cores are busy OpenMP's waiting threads make it far worse; so the CPU epochs run on one
intra-op thread and put the caller's setting back afterwards.
"""

from __future__ import annotations

import contextlib

import torch

__all__ = ["SMALL_STEP_MACS", "intra_op_threads", "threads_for"]

# Multiply-adds of one training step below which one thread is faster than two: the products are too small to
# split (the seed network's step is ~0.3M; MNIST 784-512-256-10 at batch 128, 2e8, gains from a second core).
SMALL_STEP_MACS = 1 << 24


def threads_for(step_macs: float) -> int:
    """Intra-op threads for a step of `step_macs` multiply-adds: one for small steps, torch's setting otherwise."""
    return 1 if step_macs < SMALL_STEP_MACS else torch.get_num_threads()


@contextlib.contextmanager
def intra_op_threads(n: int):
    """Run the block with `n` intra-op threads, restoring the caller's setting after.

    For matrices of a few dozen rows, splitting a product over threads costs more in synchronisation than it
    saves, so an epoch call runs on one thread. bench/engine_probe.py on the 2-core CI machine: 0.163 s/epoch on
    one thread vs 0.188 on two when the machine is quiet, 1.0 vs 14 s when other jobs load both cores.
    """
    previous = torch.get_num_threads()
    if previous != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if previous != n:
            torch.set_num_threads(previous)
