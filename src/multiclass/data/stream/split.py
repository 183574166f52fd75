"""The streaming validation split: a seeded hash of each row's place in its file, so every rank and every epoch
agrees on which rows are held out without reading anything else (a stratified split would need the labels first)."""

from __future__ import annotations

import numpy as np

__all__ = ["validation_mask"]


def validation_mask(seed: int, shard: int, rows: np.ndarray, fraction: float) -> np.ndarray:
    """Which rows are held out for validation: ``splitmix64(seed, shard, row) < fraction`` as a uniform [0, 1).

    A pure function of the row's place in its file, so every rank and every epoch agrees without communication.
    """
    if fraction <= 0:
        return np.zeros(len(rows), dtype=bool)
    with np.errstate(over="ignore"):
        key = np.uint64(seed & 0xFFFFFFFF) << np.uint64(32) ^ np.uint64(shard & 0xFFFFFFFF)
        z = np.asarray(rows, dtype=np.uint64) + key * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53 < fraction
