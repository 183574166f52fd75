"""Training engines: what runs the steps of one epoch. The loop (`multiclass.training.loop`) owns the rest.

An engine is built once per `train` call over the device-resident training data and the optimiser, and
``engine.run_epoch(order)`` trains on the rows of ``order`` batch by batch and returns the sum over batches of
``loss x rows`` (the loop divides by n). Validation, early stopping, best-weight restore, the LR schedule and
the history stay in the loop, identical for every engine.

=============  ==========================================================================================
"eager"        autograd + ``torch.optim.Adam``: the reference, any model, any device (`EagerEngine`)
"fused"        hand-written forward/backward + Adam; on CPU one compiled C call per epoch, else Python
               (`FusedEngine`)
"cuda_graph"   the hand-written step captured in CUDA graphs, batches chosen on the device (`CudaGraphEngine`)
"auto"         "cuda_graph" on CUDA, "fused" on CPU; "eager" for a model the hand-written step does not know
=============  ==========================================================================================

Mixed precision (``precision="bfloat16"``: matrix products in bfloat16, everything else float32) runs on the
eager engine (``torch.autocast``) and the CUDA-graph engine (explicit casts in `FusedStep`); "auto" then picks
"eager" on a CPU, where the compiled float32 epoch has no bfloat16 counterpart.

On CUDA, long runs also pass the captured step through ``torch.compile`` (``compile_step``: Inductor fuses its
small kernels; 2.4x faster per epoch for the seed network on an H100). "auto" does so for runs of at least
`cuda_graph.COMPILE_MIN_STEPS` steps, where the one-off compile time pays for itself.

Every engine keeps Adam's state in ``optimizer.state`` in torch's layout and reads lr from its param group,
so they are interchangeable; for a fixed seed and no dropout they give the same losses and weights to float
rounding (tests/test_engine*.py).
"""

from __future__ import annotations

from typing import Protocol

import torch

from multiclass.engine.compiled import status as compiled_status
from multiclass.engine.cuda_graph import CudaGraphEngine, EngineFallbackWarning
from multiclass.engine.eager import EagerEngine
from multiclass.engine.fused import FusedEngine
from multiclass.engine.step import AdamState, FusedStep, Objective, supports
from multiclass.exceptions import ConfigError

__all__ = [
    "ENGINES",
    "AdamState",
    "CudaGraphEngine",
    "EagerEngine",
    "Engine",
    "EngineFallbackWarning",
    "FusedEngine",
    "FusedStep",
    "Objective",
    "compiled_status",
    "make_engine",
    "resolve_engine",
]

ENGINES = ("auto", "eager", "fused", "cuda_graph")


class Engine(Protocol):
    """What the loop needs from an engine."""

    name: str  # one of ENGINES except "auto"
    backend: str  # how it runs here, e.g. "compiled", "python", "cuda graphs"

    def run_epoch(self, order: torch.Tensor) -> float:
        """Train on the rows `order` in batches; return the sum over batches of loss x rows."""


def resolve_engine(name: str, device: torch.device, model, precision: str = "float32") -> str:
    """The concrete engine for `name` on `device` ("auto" picks the fastest correct one for `precision`)."""
    if name not in ENGINES:
        raise ConfigError(f"`engine` must be one of {list(ENGINES)}; got {name!r}.")
    low = precision == "bfloat16"
    if name == "auto":
        if not supports(model):
            return "eager"
        if device.type == "cuda":
            return "cuda_graph"
        return "eager" if low else "fused"
    if name in ("fused", "cuda_graph") and not supports(model):
        raise ConfigError(f"`engine` {name!r} trains float32 MLPs with a known activation; use 'eager' for this model.")
    if name == "cuda_graph" and device.type != "cuda":
        raise ConfigError(f"`engine` 'cuda_graph' needs a CUDA device; got device {str(device)!r}. Use 'auto'.")
    if name == "fused" and low:
        # imported here: multiclass.training imports this package (its loop runs the engines), so importing
        # multiclass.engine first would otherwise be circular (the package namespace is lazy, nothing else
        # imports training first any more)
        from multiclass.training.config import FUSED_IS_FLOAT32

        raise ConfigError(FUSED_IS_FLOAT32)
    return name


def make_engine(name: str, model, X: torch.Tensor, targets: torch.Tensor, objective: Objective, batch_size: int,
                optimizer: torch.optim.Optimizer, precision: str = "float32", compile_step: bool = False) -> Engine:
    """Build the engine `name` ("auto" resolved on X's device) over the training data and optimiser.

    `compile_step` passes the CUDA-graph engine's step through ``torch.compile``; other engines ignore it.
    """
    concrete = resolve_engine(name, X.device, model, precision)
    if concrete == "fused":
        return FusedEngine(model, X, targets, objective, batch_size, optimizer)
    if concrete == "cuda_graph":
        return CudaGraphEngine(model, X, targets, objective, batch_size, optimizer, precision=precision,
                               compile_step=compile_step)
    return EagerEngine(model, X, targets, objective, batch_size, optimizer, precision=precision)
