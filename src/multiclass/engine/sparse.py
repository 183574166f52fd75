"""`SparseEngine`: training steps on CSR rows (TF-IDF text) that touch only each batch's vocabulary terms.

A batch of 64 documents uses a few hundred of a vocabulary's 10,000-20,000 terms. Densified (the reference,
`multiclass.engine.stream.StreamEngine` on ``dense_rows``), every step multiplies (batch x vocabulary) by the first
layer's (width x vocabulary) weights, and Adam then passes over all of them: on a 2-core CPU, 20 ms for the
products and 26 ms for Adam per step of an 8,226-term, 256-wide layer (``bench/sparse_probe.py``).

Here a step gathers the first layer's columns of the batch's terms (U of them), computes that layer as (batch x U)
times (width x U), and Adam updates those columns alone -- *lazy Adam* (TensorFlow Addons' ``LazyAdam``, torch's
``SparseAdam`` for embeddings): the columns of absent terms, their moments included, stay as they are until their
term appears again, and their L2 penalty is paid in the steps that use them. Every other parameter (the first
layer's bias, the later layers) takes torch's Adam update. When every term appears in every batch this is the
reference step exactly (tests/test_engine_sparse.py); otherwise the two differ as lazy and dense Adam do, and
docs/recipes.md says which engine trains text. ``engine="eager"`` keeps the densified reference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F

from multiclass.engine.step import AdamState, Objective, adam_update
from multiclass.engine.threads import intra_op_threads
from multiclass.functional import l2_penalty

__all__ = ["SparseEngine", "batch_terms"]


def batch_terms(X) -> tuple[np.ndarray, np.ndarray]:
    """The terms a CSR batch uses, sorted (U,), and its rows densified over those terms alone (b, U) float32."""
    terms, inverse = np.unique(X.indices, return_inverse=True)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    block = np.zeros((X.shape[0], len(terms)), dtype=np.float32)
    np.add.at(block, (rows, inverse), X.data)  # a canonical CSR has no duplicates; a summed one is what toarray gives
    return terms, block


class SparseEngine:
    """Train an `MLP` on CSR batches with the first layer computed on each batch's terms and lazy Adam.

    Parameters
    ----------
    model : MLP
        Trained in place.
    objective : Objective
    optimizer : multiclass.engine.adam.AdamSlots
        Holds the learning rate and Adam's moments (torch's layout: a checkpoint is the reference engine's).
    device : torch.device
    precision : {"float32", "bfloat16"}, default="float32"
        "bfloat16": forward pass and loss under ``torch.autocast``; weights and Adam stay float32.
    """

    name = "sparse"

    def __init__(self, model, objective: Objective, optimizer, device: torch.device, *, precision: str = "float32"):
        self.model, self.objective, self.device = model, objective, torch.device(device)
        self.first = model.linears[0]
        self.params = list(model.parameters())  # the first layer's weight, then its bias, then the later layers'
        if self.params[0] is not self.first.weight:
            raise ValueError("SparseEngine expects the first layer's weight first among the model's parameters")
        self.adam = AdamState(optimizer, self.params)
        self.later_weights = [linear.weight for linear in model.linears[1:]]
        low = precision == "bfloat16"
        self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16) if low else contextlib.nullcontext()
        self.backend = f"lazy Adam on each batch's terms{', bfloat16 autocast' if low else ''}"

    def run_epoch(self, steps: Iterable[tuple[object, np.ndarray, int]]) -> float:
        """Train on `steps` of ``(X (b, F) CSR float32, y (b,) int64, b)``; return the sum over steps of the step's
        mean loss x its rows.

        For the epoch the first layer's weights and moments are held by term, (vocabulary x width), so that a
        step gathers and writes back whole rows (the (width x vocabulary) layout of ``nn.Linear`` would make it
        a strided gather, 3 ms of a 15 ms step); they are written back when the epoch ends, however it ends.
        """
        cpu = self.device.type == "cpu"
        adam = self.adam
        stored = (self.params[0], adam.exp_avgs[0], adam.exp_avg_sqs[0])
        by_term = [tensor.detach().t().contiguous() for tensor in stored]  # (F, width) each
        try:
            with intra_op_threads(1) if cpu else contextlib.nullcontext():
                loss_sum = 0.0
                done = adam.n_steps()
                for k, (X, y, n_rows) in enumerate(steps):
                    loss_sum += self._step(X, y, done + k + 1, by_term) * n_rows
                    adam.set_steps(done + k + 1)
                return loss_sum
        finally:
            with torch.no_grad():
                for tensor, rows in zip(stored, by_term):
                    tensor.copy_(rows.t())

    def _step(self, X, y: np.ndarray, step: int, by_term: list[torch.Tensor]) -> float:
        objective, adam, device = self.objective, self.adam, self.device
        terms, block = batch_terms(X)
        index = torch.from_numpy(terms.astype(np.int64)).to(device)  # (U,)
        xb, yb = torch.from_numpy(block).to(device), torch.from_numpy(y).to(device)  # (b, U), (b,)
        part = by_term[0].index_select(0, index).requires_grad_()  # (U, width), a leaf
        with self.autocast:
            logits = self.model.head(torch.addmm(self.first.bias, xb, part))  # (b, K)
            ce = F.cross_entropy(logits, yb, weight=objective.class_weight,
                                 label_smoothing=objective.label_smoothing, reduction="sum")
        denominator = len(y) if objective.class_weight is None else objective.class_weight[yb].sum()
        loss = ce / denominator
        if objective.l2 > 0:  # on the columns this step uses, and the later layers whole
            loss = loss + l2_penalty([part, *self.later_weights], objective.l2)
        for p in self.params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            rows = [part.detach(), by_term[1].index_select(0, index), by_term[2].index_select(0, index)]
            grads = [part.grad] + [p.grad for p in self.params[1:]]
            adam_update([rows[0], *self.params[1:]], [rows[1], *adam.exp_avgs[1:]],
                        [rows[2], *adam.exp_avg_sqs[1:]], grads, adam.hyper(), step)
            for table, updated in zip(by_term, rows):
                table.index_copy_(0, index, updated)
        return float(loss.detach())
