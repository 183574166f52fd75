"""Data-parallel training on PyTorch's own engine: a process group from torchrun's environment, DDP, collectives.

``torchrun --nproc_per_node N -m multiclass train ...`` (or any launcher that sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``) starts N processes; `init_distributed` joins them in a
process group -- NCCL when training on CUDA, gloo on CPU -- and gives each rank its device (``cuda:LOCAL_RANK``).
Without those variables it returns the single-process `Comm`, for which every collective is the identity, so the
training code is the same for one process and for many.

What each rank does (see `multiclass.training.stream`): it reads its own pieces of the data, wraps the model in
`torch.nn.parallel.DistributedDataParallel` (which averages gradients over the ranks at every step), sums its
validation counts with the others by ``all_reduce`` -- every rank then holds the same metrics -- takes rank 0's
early-stopping decision by ``broadcast``, and leaves every file to rank 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn

from multiclass.exceptions import ConfigError
from multiclass.launch import distributed_env  # re-exported: the launcher's environment, read without torch

__all__ = ["Comm", "distributed_env", "init_distributed", "shutdown"]

_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


@dataclass(frozen=True)
class Comm:
    """This process's place among the training processes, and the collectives the training loop needs.

    Attributes
    ----------
    rank : int
        0 .. world_size - 1; rank 0 prints and writes files.
    world_size : int
    local_rank : int
        Rank on this machine: the CUDA device index.
    device : torch.device
        Where this rank trains.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only rank that prints and writes."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum `tensor` over the ranks, in place (every rank gets the same result); returns it."""
        if self.distributed:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def broadcast_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Overwrite `tensor` with rank 0's, in place, so every rank decides from the very same numbers."""
        if self.distributed:
            dist.broadcast(tensor, src=0)
        return tensor

    def all_gather_object(self, obj) -> list:
        """Every rank's `obj` (picklable), in rank order, on every rank."""
        if not self.distributed:
            return [obj]
        gathered = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

    def broadcast_flags(self, *flags: bool) -> tuple[bool, ...]:
        """Rank 0's `flags` on every rank: decisions (stop, improved) are taken once and shared."""
        if not self.distributed:
            return tuple(bool(f) for f in flags)
        tensor = torch.tensor([int(f) for f in flags], dtype=torch.int64, device=self._collective_device)
        dist.broadcast(tensor, src=0)
        return tuple(bool(v) for v in tensor.tolist())

    def wrap(self, model: nn.Module) -> nn.Module:
        """`model` in DistributedDataParallel (gradients averaged over ranks), or as is for one process."""
        if not self.distributed:
            return model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    @property
    def _collective_device(self) -> torch.device:
        return self.device if self.device.type == "cuda" else torch.device("cpu")


def _env_int(name: str) -> int:
    value = os.environ.get(name)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"the environment variable {name} must be an integer set by the launcher (torchrun); "
                          f"got {value!r}.") from None


def init_distributed(device: str | torch.device = "cpu") -> Comm:
    """Join the process group described by torchrun's environment variables, or return the single-process `Comm`.

    Parameters
    ----------
    device : str or torch.device, default="cpu"
        The training device asked for: "cpu", or "cuda"/"cuda:N"/"auto" -- under torchrun every CUDA rank uses
        ``cuda:LOCAL_RANK`` (N is ignored: one GPU per process).

    Returns
    -------
    Comm

    Raises
    ------
    ConfigError
        Malformed launcher variables, or CUDA asked for on a machine with fewer GPUs than local ranks.
    """
    device = torch.device(device) if not (isinstance(device, str) and device == "auto") else torch.device(
        "cuda" if torch.cuda.is_available() else "cpu")
    if not distributed_env():
        return Comm(device=device)
    rank, world_size, local_rank = (_env_int(name) for name in _ENV)
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(f"local rank {local_rank} needs GPU {local_rank}, but this machine has "
                              f"{torch.cuda.device_count()}; start at most that many processes per node.")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world_size)
    return Comm(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def shutdown(comm: Comm) -> None:
    """Leave the process group (a no-op for one process)."""
    if comm.distributed and dist.is_initialized():
        dist.destroy_process_group()
