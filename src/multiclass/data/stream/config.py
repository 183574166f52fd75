"""`StreamConfig`: how a table larger than memory is read for training (saved with the model, under
``data.stream``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from multiclass.data.stream.shards import DEFAULT_BATCH_ROWS
from multiclass.exceptions import ConfigError

__all__ = ["StreamConfig"]


@dataclass(frozen=True)
class StreamConfig:
    """How a table is streamed.

    Parameters
    ----------
    shuffle_buffer : int, default=262144
        Rows shuffled together (see `multiclass.data.stream.batches`); 262,144 rows x 100 float32 features is
        100 MB. A buffer at least as large as the training rows shuffles them all, as in-memory training does.
    batch_rows : int, default=65536
        Rows per Parquet record batch read from disk (CSV is read in 8 MiB blocks).
    shuffle : bool, default=True
        False reads pieces and rows in file order (reproducible comparisons, e.g. against several ranks).
    """

    shuffle_buffer: int = 262_144
    batch_rows: int = DEFAULT_BATCH_ROWS
    shuffle: bool = True

    def __post_init__(self):
        for name in ("shuffle_buffer", "batch_rows"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ConfigError(f"`{name}` must be an integer >= 1; got {value!r}.")
        if not isinstance(self.shuffle, bool):
            raise ConfigError(f"`shuffle` must be True or False; got {self.shuffle!r}.")

    def to_dict(self) -> dict:
        return asdict(self)
