"""Stop a run whose loss is no longer a number, at the epoch it happens, with the likely cause.

A learning rate or an L2 penalty far too large, or features of wildly different scales, make Adam's steps blow
the weights up: the loss becomes infinite, then NaN, and every later epoch trains a network that predicts NaN.
Such a run is stopped at the first epoch whose training loss is not finite (`check_loss`), and its checkpoint is
removed: resuming it would diverge again, and nothing of it is worth keeping.
"""

from __future__ import annotations

import math
from pathlib import Path

from multiclass.exceptions import DivergedError

__all__ = ["check_loss"]


def check_loss(loss: float, epoch: int, *, lr: float, l2: float, checkpoint: Path | None = None) -> None:
    """Raise `DivergedError` when the mean training loss of `epoch` is not finite.

    Raises
    ------
    DivergedError
        ``training diverged at epoch <epoch>: the training loss is nan; ...`` naming the learning rate and the L2
        penalty; the checkpoint at `checkpoint` (if any) is removed first.
    """
    if math.isfinite(loss):
        return
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    raise DivergedError(f"training diverged at epoch {epoch}: the training loss is {loss!r}; the learning rate "
                        f"`lr` ({lr:g}) or the L2 penalty `l2` ({l2:g}) is likely too large (or the features have "
                        "very different scales: standardise them); lower it and train again.")
