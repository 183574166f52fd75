"""Tables larger than memory: stream a Parquet file, a CSV, or a folder of shards in record batches.

The pieces, in the order a training run uses them:

1. `TableSource` (``source``): the files and their *pieces* (Parquet row groups, whole CSV files), read with
   pyarrow one record batch at a time, typed as the in-memory reader types them;
2. `scan_table` (``scan``): one pass that fits the same `TablePreprocessor` state and the same classes as
   `multiclass.data.load_table` on the same rows -- so the model file, `predict` and `evaluate` are shared --
   and counts the rows of each class in each piece for the validation split (``split``);
3. `epoch_batches` (``batches``): encoded, shuffled training batches of one epoch for one rank (pieces permuted
   per epoch by the seed, rows shuffled within a buffer of `shuffle_buffer` rows), and `iter_encoded` for
   validation or evaluation passes.

Memory is bounded by the record batch (`DEFAULT_BATCH_ROWS` rows, or an 8 MiB CSV block), the shuffle buffer
and a Parquet row group -- not by the file. The validation split is stratified with the in-memory split's counts
(`StreamSplit`): each class's held-out rows are spaced evenly through the file, at seeded offsets, so any rank
tells them apart from the scan's per-piece class counts without reading anything else.
"""

from multiclass.data.stream.batches import (
    encode_frame,
    epoch_batches,
    epoch_pieces,
    iter_encoded,
    rows_of,
    steps_per_epoch,
)
from multiclass.data.stream.config import StreamConfig
from multiclass.data.stream.scan import MAX_DISTINCT, TableScan, scan_table
from multiclass.data.stream.source import DEFAULT_BATCH_ROWS, Piece, TableSource, is_table_shards, should_stream
from multiclass.data.stream.split import StreamSplit

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "MAX_DISTINCT",
    "Piece",
    "StreamConfig",
    "StreamSplit",
    "TableScan",
    "TableSource",
    "encode_frame",
    "epoch_batches",
    "epoch_pieces",
    "is_table_shards",
    "iter_encoded",
    "rows_of",
    "scan_table",
    "should_stream",
    "steps_per_epoch",
]
