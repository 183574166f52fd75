"""Where an epoch's training rows come from: the one seam between resident and streamed training.

The loop (`multiclass.training.loop`) is the same for both; a source knows its rows and how one epoch of steps
runs over them:

- `ResidentData`: arrays held on the training device; each epoch is ``torch.randperm(n, generator)`` and a
  resident engine (`multiclass.engine`: eager, fused, CUDA graphs) runs its batches by index;
- `StreamedData`: a table read batch by batch (`multiclass.data.stream`), each rank its own pieces; each epoch
  permutes the pieces, shuffles rows within a buffer, and `multiclass.engine.stream.StreamEngine` steps with the
  DistributedDataParallel loss scaling.

Both hold the generator of their data order, which a checkpoint saves and a resumed run restores.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from multiclass.data.stream import StreamConfig, TableScan, TableSource, epoch_batches, epoch_pieces, rows_of
from multiclass.distributed import Comm
from multiclass.engine.adam import make_optimizer
from multiclass.engine.select import make_engine, resolve_engine
from multiclass.engine.step import Objective
from multiclass.engine.cuda_graph import compile_pays_off
from multiclass.engine.stream import StreamEngine
from multiclass.training.config import TrainConfig

__all__ = ["ResidentData", "StreamedData"]


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


def _step_rows(rows: list[int], batch_size: int, step: int) -> int:
    """Rows in step `step` over every rank: full batches, then each rank's remainder, then nothing."""
    return sum(min(batch_size, max(0, n - step * batch_size)) for n in rows)


class StreamedData:
    """Training rows of a streamed table (`scan`'s training side), this rank's share of them.

    Parameters
    ----------
    source : TableSource
    scan : TableScan
        The encoding, the row counts and the validation split (`multiclass.data.stream.scan_table`).
    stream : StreamConfig
    comm : Comm
    seed : int
        Seeds the row shuffles within the buffer (the pieces are permuted by the scan's seed and the epoch).
    """

    def __init__(self, source: TableSource, scan: TableScan, stream: StreamConfig, comm: Comm, seed: int):
        self.source, self.scan, self.stream, self.comm = source, scan, stream, comm
        self.n_rows = int(sum(scan.piece_train_rows))
        self.generator = torch.Generator().manual_seed(seed)  # the buffer permutations (CPU, like the buffer)
        self.engine = None
        self.batch_size = 0

    def class_counts(self, n_classes: int) -> np.ndarray:
        """Training rows of each class (K,), from the scan (no reading)."""
        return np.asarray(self.scan.train_class_counts)

    def make_optimizer(self, model, config: TrainConfig):
        """torch's Adam: the streamed step is autograd's."""
        return make_optimizer("stream", model.parameters(), config.lr)

    def start(self, model, objective: Objective, optimizer, config: TrainConfig, first_epoch: int, comm: Comm) -> None:
        """Build the streamed step (DDP-wrapped under torchrun)."""
        self.batch_size = config.batch_size
        self.engine = StreamEngine(model, comm.wrap(model), objective, optimizer, comm, precision=config.precision)

    def run_epoch(self, epoch: int) -> float:
        """One epoch of this rank's batches; the sum over steps of loss x rows, summed over the ranks."""
        scan, world, batch = self.scan, self.comm.world_size, self.batch_size
        order = epoch_pieces(len(self.source.pieces), scan.seed, epoch, self.stream.shuffle)
        rows = [rows_of(scan, order[r::world]) for r in range(world)]  # training rows of each rank
        batches = epoch_batches(self.source, scan, epoch=epoch, batch_size=batch, shuffle=self.stream.shuffle,
                                shuffle_buffer=self.stream.shuffle_buffer, generator=self.generator,
                                rank=self.comm.rank, world_size=world)
        empty = (np.zeros((0, scan.n_features), np.float32), np.zeros(0, np.int64))

        def steps():
            for step in range(math.ceil(max(rows) / batch)):  # every rank takes the same number of steps
                X, y = next(batches, empty)
                yield X, y, _step_rows(rows, batch, step)

        return self.engine.run_epoch(steps())

    @property
    def engine_name(self) -> str:
        return f"{self.engine.name} ({self.engine.backend})"
