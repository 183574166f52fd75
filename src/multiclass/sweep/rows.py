"""Models of one stack that train (or validate) on rows of their own: out-of-fold models of the audit and of the
auto recipe's cross-validation (`multiclass.sweep.loop.train_stacked`'s ``rows`` and ``val_rows``).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["own_order", "padded", "row_sets"]


def own_order(rows: torch.Tensor, length: int, generator) -> torch.Tensor:
    """One epoch of a model with its own rows: `train`'s permutation of them, cycled up to `length` entries."""
    order = rows[torch.randperm(len(rows), generator=generator, device=rows.device)]
    if len(order) == length:
        return order
    return order[torch.arange(length, device=rows.device) % len(order)]


def row_sets(name: str, sets, n_models: int, n_rows: int, device) -> list[torch.Tensor]:
    """Per-model index arrays into `n_rows` rows, checked."""
    if len(sets) != n_models:
        raise ValueError(f"`{name}` must hold one index array per trial ({n_models}); got {len(sets)}.")
    out = []
    for m, values in enumerate(sets):
        values = np.asarray(values)
        if values.ndim != 1 or len(values) == 0 or values.dtype.kind not in "iu" or values.min() < 0 \
                or values.max() >= n_rows:
            raise ValueError(f"`{name}[{m}]` must be a non-empty 1-D array of row indices in [0, {n_rows}).")
        out.append(torch.as_tensor(values, dtype=torch.int64, device=device))
    return out


def padded(sets: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(index (M, n_max), valid (M, n_max)): the sets side by side, short ones padded with their first row."""
    n_max = max(len(rows) for rows in sets)
    index = torch.stack([torch.cat([rows, rows[:1].expand(n_max - len(rows))]) for rows in sets])
    valid = torch.arange(n_max, device=index.device) < torch.tensor([len(rows) for rows in sets],
                                                                    device=index.device).unsqueeze(1)
    return index, valid
