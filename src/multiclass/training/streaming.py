"""Training on a table larger than memory: `train_stream`, its source of rows (`StreamedData`) and validation
batches, on one process or every rank of a torchrun job.

Each epoch permutes the table's pieces (Parquet row groups, CSV files), shuffles rows within a buffer of
`StreamConfig.shuffle_buffer` rows, and `multiclass.engine.stream.StreamEngine` steps on the batches with the
DistributedDataParallel loss scaling; validation counts are summed over the ranks. The loop itself is
`multiclass.training.loop`'s, the one in-memory training runs: only the source of rows differs. Kept apart from
`sources` so that training arrays never imports pandas and pyarrow.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from multiclass.data.stream import (
    StreamConfig,
    TableScan,
    TableSource,
    epoch_batches,
    epoch_pieces,
    iter_encoded,
    rows_of,
)
from multiclass.devices import resolve_device
from multiclass.distributed import Comm
from multiclass.engine.adam import make_optimizer
from multiclass.engine.step import Objective
from multiclass.engine.stream import StreamEngine
from multiclass.exceptions import DataError
from multiclass.models import MLP
from multiclass.training.checkpoint import fingerprint
from multiclass.training.config import TrainConfig
from multiclass.training.loop import TrainResult, run_training, settings_of, run_of
from multiclass.training.validation import StreamedValidation

__all__ = ["StreamedData", "train_stream", "validation_batches"]


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


def train_stream(model: MLP, source: TableSource, scan: TableScan, config: TrainConfig | None = None,
                 stream: StreamConfig | None = None, *, val_source: TableSource | None = None,
                 comm: Comm | None = None, checkpoint: str | Path | None = None, resume: bool = False) -> TrainResult:
    """Train `model` in place on the streamed rows of `source`; return a `TrainResult` with the best weights.

    Parameters
    ----------
    model : MLP
        Built for ``scan.n_features`` inputs and ``scan.n_classes`` outputs.
    source : TableSource
    scan : TableScan
        From `scan_table` on `source`: the encoding, the row counts and the validation split.
    config : TrainConfig, optional
        ``val_split`` is the scan's (``scan.val_fraction``); ``engine`` does not apply (autograd steps).
    stream : StreamConfig, optional
    val_source : TableSource, optional
        Validation data read through the scan's encoding; otherwise the scan's held-out rows validate.
    comm : Comm, optional
        From `multiclass.distributed.init_distributed`; default one process on ``config.device``.
    checkpoint, resume
        As in `train`. Under torchrun rank 0 writes the checkpoint (holding every rank's random state); resuming
        needs the same number of ranks.
    """
    config = config or TrainConfig()
    stream = stream or StreamConfig()
    comm = comm or Comm(device=resolve_device(config.device))
    if (model.config.n_features, model.config.n_classes) != (scan.n_features, scan.n_classes):
        raise DataError(f"`model` must take {scan.n_features} features and give {scan.n_classes} classes; got "
                        f"{model.config.n_features} and {model.config.n_classes}.")
    if sum(scan.piece_train_rows) == 0:
        raise DataError(f"{source.path}: no rows are left for training after the validation split.")
    data = StreamedData(source, scan, stream, comm, config.seed)
    validation = None
    if val_source is not None or scan.val_fraction > 0:
        validation = StreamedValidation(lambda: validation_batches(source, scan, val_source, comm), comm)
    run = run_of(checkpoint, resume, lambda: _scan_fingerprint(source, scan, val_source, config, model, stream,
                                                                comm))
    return run_training(model, config, data, validation, scan.classes, comm, run)


def validation_batches(source: TableSource, scan: TableScan, val_source: TableSource | None, comm: Comm):
    """This rank's validation batches: its pieces of the validation data, or of the scan's held-out rows."""
    if val_source is not None:
        pieces = range(comm.rank, len(val_source.pieces), comm.world_size)
        return iter_encoded(val_source, replace(scan, val_fraction=0.0), pieces, "all")
    return iter_encoded(source, scan, range(comm.rank, len(source.pieces), comm.world_size), "validation")


def _scan_fingerprint(source, scan, val_source, config, model, stream: StreamConfig, comm: Comm) -> str:
    """The identity of a streamed run: what the scan read (files, sizes, counts, encoding) and the settings."""
    params, arrays = scan.preprocessor.state()
    files = [(Path(p).name, Path(p).stat().st_size) for p in source.shards]
    if val_source is not None:
        files += [("validation", Path(p).name, Path(p).stat().st_size) for p in val_source.shards]
    counts = np.concatenate([np.asarray(scan.class_counts), np.asarray(scan.piece_rows),
                             np.asarray(scan.piece_train_rows)]).astype(np.int64)
    state = np.concatenate([np.ravel(a).astype(np.float64) for a in arrays.values()] or [np.zeros(0)])
    return fingerprint(state, counts, settings_of(config, model, files=files, encoding=params, classes=scan.classes,
                                                stream=stream.to_dict(), world_size=comm.world_size))
