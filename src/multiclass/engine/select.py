"""Choosing and building the engine of a run: `resolve_engine` ("auto" -> the fastest correct one) and
`make_engine`."""

from __future__ import annotations

from typing import Protocol

import torch

from multiclass.engine.cuda_graph import CudaGraphEngine
from multiclass.engine.eager import EagerEngine
from multiclass.engine.fused import FusedEngine
from multiclass.engine.options import ENGINES, FUSED_IS_FLOAT32
from multiclass.engine.step import Objective, supports
from multiclass.exceptions import ConfigError

__all__ = ["Engine", "make_engine", "resolve_engine"]


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
