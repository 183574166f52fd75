"""`FusedEngine`: the CPU fast path -- a whole epoch in one compiled call, or the hand-written step in Python.

On the CPU a step of the seed network is only ~2.6 MFLOP, so the ~40 operator dispatches of an autograd step
(several microseconds each) cost more than the arithmetic. The compiled epoch (`multiclass.engine.compiled`)
loops over the batches in C, calling BLAS for the products: no Python and no dispatcher per step. When it
cannot be built, the same `FusedStep` runs from Python (about 30 operators per step, still ~2x the autograd
loop). Both keep Adam's state in the optimiser (see `AdamState`) and give the eager engine's numbers to float
rounding; dropout masks come from a different random stream than ``nn.Dropout``'s (seeded all the same).
"""

from __future__ import annotations

import contextlib

import torch

from multiclass.engine import compiled
from multiclass.engine.step import ACTIVATION_CODES, AdamState, FusedStep, Objective
from multiclass.engine.threads import intra_op_threads, threads_for
from multiclass.models import macs_per_row

__all__ = ["FusedEngine"]

# The C engine's fixed per-call layer table (MC_MAX_LAYERS in _csrc.py).
_MAX_COMPILED_LAYERS = 64
# Steps per compiled call. Python only sees Ctrl-C between calls, so an epoch of millions of rows is cut into
# calls of ~0.05 s (MNIST: 4 calls per epoch); the ~20 us a call costs is then noise.
STEPS_PER_CALL = 512


class FusedEngine:
    """Hand-written forward/backward and Adam: compiled C for a whole epoch on CPU, else the Python step.

    Parameters
    ----------
    model : MLP
    X : tensor of shape (n_samples, n_features), float32
    targets : tensor of shape (n_samples,) int64 or (n_samples, K) float32
    objective : Objective
    batch_size : int
    optimizer : torch.optim.Adam
        Holds lr (driven by the scheduler) and, in ``optimizer.state``, Adam's moments.
    compile : bool, default=True
        Try the compiled epoch (CPU only); False always runs the Python step.
    threads : int, None or "auto", default="auto"
        Intra-op threads during an epoch call: "auto" is one for a small step, torch's setting for a step large
        enough to split (`multiclass.engine.threads.threads_for`); None leaves the caller's setting.
    generator : torch.Generator, optional
        Seeds the compiled epoch's dropout masks; by default torch's global generator (which `train` seeds). Models
        trained side by side in threads (`multiclass.sweep.alone`) each pass their own.
    """

    name = "fused"

    def __init__(self, model, X, targets, objective: Objective, batch_size: int, optimizer, *,
                 compile: bool = True, threads: int | str | None = "auto", generator: torch.Generator | None = None):
        self.X, self.targets, self.batch_size, self.generator = X, targets, batch_size, generator
        self.threads = threads_for(batch_size * macs_per_row(model.config)) if threads == "auto" else threads
        self.objective = objective
        params = list(model.parameters())
        self.adam = AdamState(optimizer, params)
        self.step = FusedStep(model, objective, self.adam)
        self.runner = None
        if compile and X.device.type == "cpu" and len(params) // 2 <= _MAX_COMPILED_LAYERS:
            lib = compiled.load()
            if lib is not None:
                widths = (model.config.n_features, *model.config.hidden, model.config.n_classes)
                labels = targets if targets.dim() == 1 else None
                soft = targets if targets.dim() == 2 else None
                weight = objective.class_weight
                self.runner = compiled.CompiledEpoch(
                    lib, compiled._SGEMM, widths, params, self.adam.exp_avgs, self.adam.exp_avg_sqs,
                    X.contiguous(), labels, soft,
                    class_weight=None if weight is None else weight.float().contiguous(),
                    activation=ACTIVATION_CODES[model.config.activation], dropout=float(model.config.dropout),
                )
        self.backend = "compiled" if self.runner is not None else "python"

    def run_epoch(self, order: torch.Tensor) -> float:
        """Train on the rows of `order`, batch by batch; return the sum over batches of loss x rows."""
        done = self.adam.n_steps()
        threads = intra_op_threads(self.threads) if self.threads else contextlib.nullcontext()
        with threads:
            if self.runner is not None:
                loss_sum = self._run_compiled(order, done)
            else:
                loss_sum = self._run_python(order, done)
        n_batches = -(-len(order) // self.batch_size)
        self.adam.set_steps(done + n_batches)
        return loss_sum

    def _run_compiled(self, order: torch.Tensor, done: int) -> float:
        lr, beta1, beta2, eps = self.adam.hyper()
        rows_per_call = STEPS_PER_CALL * self.batch_size  # whole batches, so the calls make the same batches
        loss_sum = 0.0
        for start in range(0, len(order), rows_per_call):
            # Dropout masks draw from a seed taken from torch's global generator, which train() seeds (or the
            # engine's own).
            seed = int(torch.randint(0, 2**62, (), dtype=torch.int64, generator=self.generator))
            loss_sum += self.runner.run(
                order[start : start + rows_per_call], batch=self.batch_size, lr=lr, betas=(beta1, beta2), eps=eps,
                step=done + start // self.batch_size, l2=self.objective.l2,
                label_smoothing=self.objective.label_smoothing, seed=seed,
            )
        return loss_sum

    def _run_python(self, order: torch.Tensor, done: int) -> float:
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.X.device)
        for k, start in enumerate(range(0, len(order), self.batch_size)):
            idx = order[start : start + self.batch_size]
            xb, yb = self.X.index_select(0, idx), self.targets.index_select(0, idx)  # (B, F), (B,) or (B, K)
            loss = self.step(xb, yb, done + k + 1)
            loss_sum.add_(loss, alpha=len(idx))
        return float(loss_sum)
