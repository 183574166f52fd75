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

from multiclass.lazy import lazy_face

_EXPORTS = {
    "DEFAULT_BATCH_ROWS": "multiclass.data.stream.shards:DEFAULT_BATCH_ROWS",
    "MAX_DISTINCT": "multiclass.data.stream.scan:MAX_DISTINCT",
    "Piece": "multiclass.data.stream.source:Piece",
    "StreamConfig": "multiclass.data.stream.config:StreamConfig",
    "StreamSplit": "multiclass.data.stream.split:StreamSplit",
    "TableScan": "multiclass.data.stream.scan:TableScan",
    "TableSource": "multiclass.data.stream.source:TableSource",
    "encode_frame": "multiclass.data.stream.batches:encode_frame",
    "epoch_batches": "multiclass.data.stream.batches:epoch_batches",
    "epoch_pieces": "multiclass.data.stream.batches:epoch_pieces",
    "is_table_shards": "multiclass.data.stream.shards:is_table_shards",
    "iter_encoded": "multiclass.data.stream.batches:iter_encoded",
    "rows_of": "multiclass.data.stream.batches:rows_of",
    "scan_table": "multiclass.data.stream.scan:scan_table",
    "should_stream": "multiclass.data.stream.shards:should_stream",
    "steps_per_epoch": "multiclass.data.stream.batches:steps_per_epoch",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
