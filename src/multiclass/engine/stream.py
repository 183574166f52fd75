"""`StreamEngine`: the autograd step over batches that arrive from outside -- a streamed table, one or N ranks.

The resident engines (`eager`, `fused`, `cuda_graph`) index batches out of device-resident training data; a table
larger than memory arrives batch by batch instead, so its step takes each batch as it comes. The step is written
so that W ranks under DistributedDataParallel reproduce one process exactly. Rank r computes the *sum* of its
rows' losses and scales it by ``W / N``, where N is the number of rows in the step over all ranks (the sum of the
class weights of those rows when weighting); DDP averages gradients over the ranks (divides by W), so the update
is the gradient of the mean loss over the global batch -- also when ranks hold unequal batches, or none (a rank
whose data ran out steps on an empty batch, so that every rank takes the same number of steps, which DDP
requires). N is known to every rank in advance (the caller passes it); only class weights need one scalar
``all_reduce`` per step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F

from multiclass.distributed import Comm
from multiclass.engine.step import AdamState, Objective
from multiclass.engine.threads import intra_op_threads
from multiclass.functional import l2_penalty

__all__ = ["StreamEngine"]


def device_is_cpu(device: torch.device) -> bool:
    return torch.device(device).type == "cpu"


class StreamEngine:
    """Train on batches given from outside with autograd and ``torch.optim.Adam``, on one rank or several.

    Parameters
    ----------
    model : MLP
        The network (its parameters are what the optimiser updates).
    network : torch.nn.Module
        What the forward pass calls: `model` itself, or `model` wrapped in DistributedDataParallel
        (``comm.wrap(model)``).
    objective : Objective
    optimizer : multiclass.engine.adam.AdamSlots
        Holds the learning rate and Adam's moments; the update is `AdamState`'s (torch.optim.Adam's, written out).
    comm : Comm
        This rank's place among the ranks (one process: the identity collectives).
    precision : {"float32", "bfloat16"}, default="float32"
        "bfloat16": forward pass and loss under ``torch.autocast``; weights and Adam stay float32.
    """

    name = "stream"

    def __init__(self, model, network, objective: Objective, optimizer, comm: Comm, *, precision: str = "float32"):
        self.network, self.objective, self.comm = network, objective, comm
        self.params = list(model.parameters())
        self.adam = AdamState(optimizer, self.params)  # Adam's update written out: no torch.optim (and no dynamo)
        self.weights = model.weight_matrices() if objective.l2 > 0 else []
        low = precision == "bfloat16"
        device = comm.device
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16) if low else contextlib.nullcontext()
        ranks = f", DDP x{comm.world_size}" if comm.distributed else ""
        self.backend = f"autograd{', bfloat16 autocast' if low else ''}{ranks}"

    def run_epoch(self, steps: Iterable[tuple[np.ndarray, np.ndarray, int]]) -> float:
        """Train on `steps` of ``(X (b, F) float32, y (b,) int64, rows of the step over every rank)``; return the
        sum over steps of (the step's mean loss over all ranks) x (its rows), summed over the ranks."""
        with intra_op_threads(1) if device_is_cpu(self.comm.device) else contextlib.nullcontext():
            return self._run(steps)

    def _run(self, steps) -> float:
        objective, comm, device, adam = self.objective, self.comm, self.comm.device, self.adam
        class_weight, world = objective.class_weight, comm.world_size
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        done = adam.n_steps()
        for k, (X, y, n_step) in enumerate(steps):
            xb, yb = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)  # (b, F), (b,)
            with self.autocast:
                ce = F.cross_entropy(self.network(xb), yb, weight=class_weight,
                                     label_smoothing=objective.label_smoothing, reduction="sum")
            denominator = (float(n_step) if class_weight is None
                           else comm.all_reduce_sum(class_weight[yb].sum().reshape(1))[0])
            loss = ce * (world / denominator)  # DDP divides the summed gradients by `world`
            penalty = l2_penalty(self.weights, objective.l2) if objective.l2 > 0 else None
            if penalty is not None:
                loss = loss + penalty
            for p in self.params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                adam.update([p.grad for p in self.params], done + k + 1)
            share = ce.detach() / denominator + (penalty.detach() / world if penalty is not None else 0.0)
            loss_sum += share.double() * n_step  # summed over ranks: (global mean loss) x rows
            adam.set_steps(done + k + 1)
        return float(comm.all_reduce_sum(loss_sum))
