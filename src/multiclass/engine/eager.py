"""`EagerEngine`: the reference epoch, plain autograd and ``torch.optim.Adam`` (the loop the package started with).

Every other engine is tested against this one. Each step indexes a batch out of the device-resident data,
computes torch's fused cross-entropy on the model's logits (plus the L2 penalty), backpropagates with autograd
and calls the optimiser: ~40 dispatched operators per step, which is what bounds it on a CPU.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from multiclass.engine.step import Objective
from multiclass.functional import l2_penalty

__all__ = ["EagerEngine"]


class EagerEngine:
    """Train an epoch with autograd; works for any model returning logits and any device.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits; in training mode. ``model.weight_matrices()`` gives the L2-penalised weights.
    X : tensor of shape (n_samples, n_features)
    targets : tensor of shape (n_samples,) int64 or (n_samples, K) float32
    objective : Objective
    batch_size : int
    optimizer : torch.optim.Optimizer
    precision : {"float32", "bfloat16"}, default="float32"
        "bfloat16": the forward pass and the loss under ``torch.autocast`` (bfloat16 matrix products, the
        cross-entropy in float32); the backward follows autocast's casts, the weights and Adam stay float32.
    """

    name = "eager"

    def __init__(self, model, X, targets, objective: Objective, batch_size: int, optimizer, *,
                 precision: str = "float32"):
        self.model, self.X, self.targets = model, X, targets
        self.objective, self.batch_size, self.optimizer = objective, batch_size, optimizer
        self.weights = model.weight_matrices() if objective.l2 > 0 else []
        low = precision == "bfloat16"
        # One context object for every step (re-entered in turn): nothing is built per step on the float32 path.
        self.autocast = torch.autocast(X.device.type, dtype=torch.bfloat16) if low else contextlib.nullcontext()
        self.backend = "autograd, bfloat16 autocast" if low else "autograd"

    def run_epoch(self, order: torch.Tensor) -> float:
        """Train on the rows of `order`, batch by batch; return the sum over batches of loss x rows."""
        objective, optimizer = self.objective, self.optimizer
        loss_sum = torch.zeros((), device=self.X.device)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            xb, yb = self.X.index_select(0, idx), self.targets.index_select(0, idx)  # (B, F), (B,) or (B, K)
            # torch's fused op computes exactly multiclass.functional.cross_entropy (tested there);
            # the public function's input checks would cost a host sync every step.
            with self.autocast:
                loss = F.cross_entropy(
                    self.model(xb), yb, weight=objective.class_weight, label_smoothing=objective.label_smoothing
                )
            if objective.l2 > 0:
                loss = loss + l2_penalty(self.weights, objective.l2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(idx)
        return float(loss_sum)
