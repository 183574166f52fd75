"""`multiclass train` on tables larger than memory and under torchrun: flags, then `training.stream.fit_stream`.

Streaming is used with ``--stream``, for a folder of Parquet/CSV shards, for a table file larger than 1/8 of the
machine's memory (`multiclass.data.stream.should_stream`), and always under torchrun (``WORLD_SIZE`` > 1): each
rank then reads its own pieces and trains its replica with DistributedDataParallel. Only rank 0 prints and
writes the model directory.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from multiclass.data.stream import should_stream
from multiclass.exceptions import ConfigError
from multiclass.persistence import save_model
from multiclass.distributed import distributed_env, init_distributed, shutdown
from multiclass.training.stream import StreamConfig, fit_stream

__all__ = ["add_stream_options", "train", "wanted"]

# Options of `train` that do not apply to a streamed table (other kinds of data; decisions fitted on held-out
# probabilities, which streaming does not keep).
_NOT_STREAMED = ("text_column", "labels", "split", "data_dir", "calibrate", "cost_matrix", "target_recall")


def add_stream_options(parser: argparse.ArgumentParser) -> None:
    """The flags of streamed training (each maps onto a `StreamConfig` field, or names validation data)."""
    group = parser.add_argument_group("tables larger than memory, and torchrun")
    group.add_argument("--stream", action="store_true",
                       help="read the table (a Parquet/CSV file or a folder of shards) in batches instead of "
                            "loading it; automatic for a folder of shards, a file over 1/8 of RAM, and torchrun")
    group.add_argument("--val-data", metavar="PATH",
                       help="validation table when streaming (default: a stratified --val-split of the rows)")
    group.add_argument("--shuffle-buffer", type=int, default=StreamConfig.shuffle_buffer, metavar="ROWS",
                       help="rows shuffled together when streaming (default: %(default)s)")
    group.add_argument("--batch-rows", type=int, default=StreamConfig.batch_rows, metavar="ROWS",
                       help="rows per Parquet record batch read from disk (default: %(default)s)")


def wanted(args) -> bool:
    """Whether `train` streams: asked for, a folder of shards, a table too large to load, or under torchrun."""
    return bool(getattr(args, "stream", False)) or distributed_env() or should_stream(args.data)


def train(args, console: Console, config, out) -> int:
    """Scan and train streaming (every rank under torchrun); rank 0 prints and writes the model to `out`."""
    for name in _NOT_STREAMED:
        if getattr(args, name, None):
            raise ConfigError(f"`--{name.replace('_', '-')}` does not apply to a streamed table; streaming reads "
                              "Parquet or CSV tables (options: --target, --id-column, --ignore, --categorical).")
    if getattr(args, "kind", None) not in (None, "table"):
        raise ConfigError(f"`--kind` must be 'table' when streaming; got {args.kind!r}.")
    if getattr(args, "resume", None):
        raise ConfigError("`--resume` does not apply to streamed training; start it again with --out.")
    stream = StreamConfig(shuffle_buffer=args.shuffle_buffer, batch_rows=args.batch_rows)
    comm = init_distributed(config.device)
    try:
        trained = fit_stream(args.data, target=args.target, id_column=args.id_column, ignore=args.ignore,
                             categorical=args.categorical, hidden=args.hidden, activation=args.activation,
                             dropout=args.dropout, config=config, stream=stream, val_data=args.val_data, comm=comm)
        if comm.is_main:
            ranks = f" on {comm.world_size} ranks" if comm.distributed else ""
            console.print(f"streamed {trained.data_info['n_samples']:,} rows{ranks}; best epoch {trained.best_epoch} "
                          f"of {len(trained.history)} ({trained.stop_reason})")
            if trained.validation:
                v = trained.validation
                console.print(f"validation: {v['n_samples']:,} rows, accuracy {v['accuracy']:.4f}, macro-F1 "
                              f"{v['macro_f1']:.4f}, log-loss {v['log_loss']:.4f}")
            save_model(trained, out)
            console.print(f"model written to {out}")
        comm.barrier()  # no rank leaves (and tears the group down) before rank 0 has written the model
    finally:
        shutdown(comm)
    return 0
