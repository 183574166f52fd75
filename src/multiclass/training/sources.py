"""Where an epoch's training rows come from: the one seam between resident and streamed training.

The loop (`multiclass.training.loop`) is the same for both; a source knows its rows and how one epoch of steps
runs over them, with the interface `ResidentData` shows here (``n_rows``, ``generator``, ``class_counts``,
``make_optimizer``, ``start``, ``run_epoch``, ``engine_name``):

- `ResidentData`: arrays held on the training device; each epoch is ``torch.randperm(n, generator)`` and a
  resident engine (`multiclass.engine`: eager, fused, CUDA graphs) runs its batches by index;
- `SparseData`: a CSR matrix (TF-IDF text) held in memory, each batch stepped on the terms it uses;
- `multiclass.training.streaming.StreamedData`: a table read batch by batch, each rank its own pieces.

Both hold the generator of their data order, which a checkpoint saves and a resumed run restores.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from multiclass.distributed import Comm
from multiclass.engine.adam import make_optimizer
from multiclass.engine.select import make_engine, resolve_engine
from multiclass.engine.sparse import SparseEngine
from multiclass.engine.step import Objective
from multiclass.engine.stream import StreamEngine
from multiclass.exceptions import DataError
from multiclass.engine.cuda_graph import compile_pays_off
from multiclass.training.arrays import dense_rows
from multiclass.training.config import TrainConfig

__all__ = ["ResidentData", "SparseData"]


class ResidentData:
    """Training rows resident on `device`.

    Parameters
    ----------
    X : ndarray of shape (n, F), float32
    targets : ndarray of shape (n,) int64 codes, or (n, K) float32 one-hot / soft rows
    device : torch.device
    seed : int
        Seeds the per-epoch permutation (the same stream as every resident run with this seed).
    """

    def __init__(self, X: np.ndarray, targets: np.ndarray, device: torch.device, seed: int):
        self.X, self.targets = torch.from_numpy(X).to(device), torch.from_numpy(targets).to(device)
        self.n_rows = len(X)
        self.labels = targets if targets.ndim == 1 else targets.argmax(axis=1)
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.engine = None

    def class_counts(self, n_classes: int) -> np.ndarray:
        """Training rows of each class (K,)."""
        return np.bincount(self.labels, minlength=n_classes)

    def make_optimizer(self, model, config: TrainConfig):
        """The optimiser the engine of this run needs (`multiclass.engine.adam.make_optimizer`)."""
        engine = resolve_engine(config.engine, self.X.device, model, config.precision)
        return make_optimizer(engine, model.parameters(), config.lr)

    def start(self, model, objective: Objective, optimizer, config: TrainConfig, first_epoch: int, comm: Comm) -> None:
        """Build the engine over the resident rows (after any resume: it binds to the optimiser's state)."""
        planned_steps = (config.epochs - first_epoch + 1) * math.ceil(self.n_rows / config.batch_size)
        compile_step = config.compile_step == "always" or (
            config.compile_step == "auto" and compile_pays_off(planned_steps))
        self.engine = make_engine(config.engine, model, self.X, self.targets, objective, config.batch_size,
                                  optimizer, precision=config.precision, compile_step=compile_step)

    def run_epoch(self, epoch: int) -> float:
        """One epoch; the sum over its batches of loss x rows."""
        order = torch.randperm(self.n_rows, generator=self.generator, device=self.X.device)
        return self.engine.run_epoch(order)

    @property
    def engine_name(self) -> str:
        return f"{self.engine.name} ({self.engine.backend})"  # after training: a failed capture changes it


class SparseData:
    """Training rows held as a CSR matrix (TF-IDF text): a dense copy would take (rows x vocabulary) floats.

    Each epoch is a permutation from the seeded generator, cut into contiguous batches. `multiclass.engine.sparse.
    SparseEngine` steps each batch on its own terms (the first layer's columns of the terms it uses, lazy Adam);
    ``engine="eager"`` asks for the reference instead: each batch densified -- (batch x features) floats -- and
    stepped by autograd (`multiclass.engine.stream.StreamEngine`, the streamed step, here on one process).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (n, F), float32
    targets : ndarray of shape (n,), int64 class codes
    device : torch.device
    seed : int
    """

    def __init__(self, X, targets: np.ndarray, device: torch.device, seed: int):
        if targets.ndim != 1:
            raise DataError("sparse features train on class codes; one-hot or soft target rows need dense `X`.")
        self.X, self.targets, self.device = X, targets, device
        self.n_rows = X.shape[0]
        self.generator = torch.Generator().manual_seed(seed)  # the permutation is drawn on the CPU, beside X
        self.engine = None
        self.batch_size = 0
        self.densify = False

    def class_counts(self, n_classes: int) -> np.ndarray:
        return np.bincount(self.targets, minlength=n_classes)

    def make_optimizer(self, model, config: TrainConfig):
        """torch's Adam: this step is autograd's."""
        return make_optimizer("stream", model.parameters(), config.lr)

    def start(self, model, objective: Objective, optimizer, config: TrainConfig, first_epoch: int, comm: Comm) -> None:
        self.batch_size = config.batch_size
        self.densify = config.engine == "eager"
        if self.densify:
            self.engine = StreamEngine(model, model, objective, optimizer, comm, precision=config.precision)
        else:
            self.engine = SparseEngine(model, objective, optimizer, comm.device, precision=config.precision)

    def run_epoch(self, epoch: int) -> float:
        order = torch.randperm(self.n_rows, generator=self.generator).numpy()
        X, y = self.X[order], self.targets[order]  # one gather per epoch; batches are then contiguous slices
        batches = (slice(start, start + self.batch_size) for start in range(0, self.n_rows, self.batch_size))
        return self.engine.run_epoch((dense_rows(X, rows) if self.densify else X[rows], y[rows], len(y[rows]))
                                     for rows in batches)

    @property
    def engine_name(self) -> str:
        return f"{self.engine.name} ({self.engine.backend}, sparse rows)"
