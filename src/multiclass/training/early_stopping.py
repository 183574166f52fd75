"""`EarlyStopping`: decides, one score per epoch, whether training should end. Control flow by return value."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from multiclass.exceptions import ConfigError

__all__ = ["EarlyStopping", "LOSS_TOLERANCE"]

# A loss (mode "min") that has fallen by less than this in `patience` epochs has converged: the run stops, though
# its best weights still follow every improvement. Without it a separable table's validation loss falls by 1e-6 an
# epoch to the epoch limit (plm's Produc: every fold model ran to the search's cap). Measured on 97 sets: the same
# macro-F1 on 94, a mean of -0.02 points, 14 % less wall time (bench/RESULTS.md 7a).
LOSS_TOLERANCE = 1e-4


@dataclass
class EarlyStopping:
    """Track the best score; `step` returns True once `patience` epochs pass without an improvement.

    An improvement is a score better than the best so far by more than `min_delta` (Keras' rule), or, when `step`
    is given a `tiebreak`, the very same score with a lower tiebreak (the validation loss, for a score of counts
    that stays equal over many epochs: ``val_critical``). With ``patience=None`` it only tracks the best epoch and
    never asks to stop. A loss (mode "min") stops `patience` epochs after it last fell by more than `LOSS_TOLERANCE`
    (`stop_epoch`): the improvements since then still move the best epoch, but no longer keep the run going.

    Examples
    --------
    >>> stopper = EarlyStopping(mode="min", patience=2)
    >>> [stopper.step(loss) for loss in [1.0, 0.5, 0.6, 0.7]]
    [False, False, False, True]
    >>> stopper.best_epoch, stopper.best_score
    (2, 0.5)
    >>> stopper = EarlyStopping(mode="max", patience=2)
    >>> [stopper.step(score, loss) for score, loss in [(-1.0, 0.9), (-1.0, 0.8), (-1.0, 0.85), (0.5, 0.9)]]
    [False, False, False, False]
    >>> stopper.best_epoch, stopper.best_score
    (4, 0.5)
    >>> stopper = EarlyStopping(mode="min", patience=2)  # converged: falls by 1e-6 an epoch after the first
    >>> [stopper.step(loss) for loss in [0.1, 0.099999, 0.099998]], stopper.best_epoch, stopper.stop_epoch
    ([False, False, True], 3, 1)
    """

    mode: str = "min"
    patience: int | None = 10
    min_delta: float = 0.0
    best_score: float = field(default=math.nan, init=False)
    best_epoch: int = field(default=0, init=False)
    best_tiebreak: float = field(default=math.nan, init=False)
    epoch: int = field(default=0, init=False)
    improved: bool = field(default=False, init=False)
    stop_score: float = field(default=math.nan, init=False)  # the last improvement that keeps the run going
    stop_epoch: int = field(default=0, init=False)

    def __post_init__(self):
        if self.mode not in ("min", "max"):
            raise ConfigError(f"`mode` must be 'min' or 'max'; got {self.mode!r}.")

    def step(self, score: float, tiebreak: float | None = None) -> bool:
        """Record the score of the next epoch (1-based), and the tiebreak that ranks equal scores (lower is better;
        None: ties never improve); return True when training should stop."""
        self.epoch += 1
        sign = 1.0 if self.mode == "max" else -1.0
        tiebreak = math.nan if tiebreak is None else float(tiebreak)
        # NaN never improves (a diverged epoch must not become "best").
        self.improved = not math.isnan(score) and (
            self.best_epoch == 0 or sign * (score - self.best_score) > self.min_delta
            or (score == self.best_score and tiebreak < self.best_tiebreak)
        )
        if self.improved:
            self.best_score, self.best_epoch, self.best_tiebreak = float(score), self.epoch, tiebreak
            if self.mode == "max" or self.stop_epoch == 0 or self.stop_score - score > LOSS_TOLERANCE:
                self.stop_score, self.stop_epoch = float(score), self.epoch
        return self.patience is not None and self.epoch - self.stop_epoch >= self.patience

    def state_dict(self) -> dict:
        return {"best_score": self.best_score, "best_epoch": self.best_epoch, "epoch": self.epoch,
                "best_tiebreak": self.best_tiebreak, "stop_score": self.stop_score, "stop_epoch": self.stop_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best_score, self.best_epoch, self.epoch = state["best_score"], state["best_epoch"], state["epoch"]
        self.best_tiebreak = state.get("best_tiebreak", math.nan)  # checkpoints written before it: no tiebreak
        # checkpoints written before the loss tolerance: the clock ran from the best epoch
        self.stop_score = state.get("stop_score", self.best_score)
        self.stop_epoch = state.get("stop_epoch", self.best_epoch)
