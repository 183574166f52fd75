"""Streamed rows -> training batches: encode with the fitted preprocessor, split, shard across ranks, shuffle.

Shuffling is two-level, so memory stays bounded by the buffer whatever the file size:

1. *pieces* (Parquet row groups, CSV files) are permuted at every epoch by ``numpy.random.default_rng([seed,
   epoch])``; rank r of W reads pieces ``r, r + W, ...`` of that permutation (the same permutation on every rank);
2. *rows* are gathered into a buffer of `shuffle_buffer` rows, the buffer is permuted with
   ``torch.randperm(len(buffer), generator=...)`` and cut into batches; the rows left over (fewer than a batch)
   open the next buffer. Only the epoch's last batch may be smaller than `batch_size`.

So every rank emits ``ceil(rows / batch_size)`` batches per epoch, known in advance from the scan's row counts;
with one piece and a buffer at least as large as the training rows, the epoch order is exactly
``torch.randperm(n, generator)``, the order of the in-memory loop (`multiclass.training.loop`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import torch

from multiclass.exceptions import DataError
from multiclass.data.labels import listing
from multiclass.data.stream.scan import TableScan
from multiclass.data.stream.source import TableSource

__all__ = ["encode_frame", "epoch_batches", "epoch_pieces", "iter_encoded", "rows_of", "steps_per_epoch"]

PARTS = ("train", "validation", "all")


def _codes(series: pd.Series, scan: TableScan) -> np.ndarray:
    """Class codes of raw labels: by the raw values seen in training, else normalised as `encode_labels` would."""
    codes = series.map(scan.label_codes).to_numpy(dtype=np.float64, na_value=np.nan)  # NaN: missing or new
    unknown = np.isnan(codes)
    if unknown.any():
        index = {name: code for code, name in enumerate(scan.classes)}
        for i in np.flatnonzero(unknown):
            raw = series.iloc[i]
            if pd.isna(raw):
                raise DataError(f"column {scan.target!r} row {i + 1}: the label is missing.")
            name = str(raw)
            if scan.target_dtype == "int":
                try:
                    number = float(raw)
                    name = str(int(number)) if number.is_integer() else name
                except ValueError:
                    pass
            if name not in index:
                unseen = sorted({str(v) for v in series[unknown].tolist() if str(v) not in index})
                raise DataError(f"column {scan.target!r}: labels never seen in training: {listing(unseen)}; the "
                                f"model knows {listing(list(scan.classes))}.")
            codes[i] = index[name]
    return codes.astype(np.int64)


def encode_frame(frame: pd.DataFrame, scan: TableScan) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, n_features) float32 and class codes (n,) int64 of one frame, as `load_table` encodes them."""
    return scan.preprocessor.transform(frame), _codes(frame[scan.target], scan)


def _read_columns(scan: TableScan) -> tuple[list[str], list[str]]:
    specs = scan.preprocessor.specs_
    return [scan.target, *(s["name"] for s in specs)], [s["name"] for s in specs if s["type"] == "numeric"]


def iter_encoded(source: TableSource, scan: TableScan, pieces: Sequence[int], part: str = "all"
                 ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Encoded ``(X, y)`` per record batch of `pieces` (indices into ``source.pieces``), in order.

    `part` keeps the rows outside the validation split ("train"), inside it ("validation") or all ("all"). A
    row's side is decided from its class code and its place among the rows of its class (``scan.split``), so
    a batch's labels are encoded before its rows are selected.
    """
    if part not in PARTS:
        raise ValueError(f"`part` must be one of {PARTS}; got {part!r}.")
    split = scan.split if part != "all" and scan.val_fraction > 0 else None
    if split is None and part != "all" and scan.val_fraction > 0:
        raise ValueError("`scan` must hold its validation split (`split`, made by `scan_table`) to read the "
                         f"{part!r} rows; got a scan with val_fraction={scan.val_fraction!r} and split=None.")
    if part == "validation" and split is None:
        return  # no validation split: no validation rows
    columns, numeric = _read_columns(scan)
    for index in pieces:
        piece = source.pieces[index]
        start = piece.first_row
        position = split.positions(index) if split is not None else None  # (K,) next within-class index
        for frame in source.frames(piece, columns, numeric=numeric):
            n = len(frame)
            try:
                if split is not None:
                    y = _codes(frame[scan.target], scan)  # (n,)
                    held = split.held_out(y, position)
                    frame = frame[held if part == "validation" else ~held].reset_index(drop=True)
                if len(frame):
                    yield encode_frame(frame, scan)
            except DataError as error:
                raise DataError(f"{source.shards[piece.shard]} (a batch starting at row {start + 1}): {error}"
                                ) from None
            start += n


def epoch_pieces(n_pieces: int, seed: int, epoch: int, shuffle: bool) -> np.ndarray:
    """The order in which the pieces are read in `epoch` (1-based): a seeded permutation, or file order."""
    if not shuffle:
        return np.arange(n_pieces)
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n_pieces)


def rows_of(scan: TableScan, pieces: Sequence[int], part: str = "train") -> int:
    """Rows of `pieces` in `part`, from the scan's counts (no reading)."""
    train = sum(scan.piece_train_rows[i] for i in pieces)
    total = sum(scan.piece_rows[i] for i in pieces)
    return {"train": train, "validation": total - train, "all": total}[part]


def steps_per_epoch(scan: TableScan, order: np.ndarray, batch_size: int, world_size: int) -> list[int]:
    """Batches each rank emits in an epoch whose piece order is `order`."""
    return [math.ceil(rows_of(scan, order[r::world_size]) / batch_size) for r in range(world_size)]


def epoch_batches(source: TableSource, scan: TableScan, *, epoch: int, batch_size: int, shuffle: bool = True,
                  shuffle_buffer: int = 262_144, generator: torch.Generator | None = None, rank: int = 0,
                  world_size: int = 1) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """This rank's training batches ``(X (B, F) float32, y (B,) int64)`` of one epoch (see the module docstring)."""
    order = epoch_pieces(len(source.pieces), scan.seed, epoch, shuffle)
    X_parts: list[np.ndarray] = []
    y_parts: list[np.ndarray] = []
    held = 0
    for X, y in iter_encoded(source, scan, order[rank::world_size], "train"):
        X_parts.append(X)
        y_parts.append(y)
        held += len(y)
        if held >= shuffle_buffer:
            X_all, y_all = _shuffled(X_parts, y_parts, shuffle, generator)
            full = len(y_all) - len(y_all) % batch_size
            yield from _cut(X_all[:full], y_all[:full], batch_size)
            X_parts, y_parts, held = [X_all[full:]], [y_all[full:]], len(y_all) - full
    if held:
        X_all, y_all = _shuffled(X_parts, y_parts, shuffle, generator)
        yield from _cut(X_all, y_all, batch_size)


def _shuffled(X_parts, y_parts, shuffle: bool, generator) -> tuple[np.ndarray, np.ndarray]:
    X = np.concatenate(X_parts) if len(X_parts) > 1 else X_parts[0]  # (n, F)
    y = np.concatenate(y_parts) if len(y_parts) > 1 else y_parts[0]  # (n,)
    if not shuffle:
        return X, y
    order = torch.randperm(len(y), generator=generator).numpy()
    return X[order], y[order]


def _cut(X: np.ndarray, y: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(y), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]
