"""`PlateauSchedule`: lower the learning rate when the monitored score stops improving (Keras' ReduceLROnPlateau).

The rule of ``torch.optim.lr_scheduler.ReduceLROnPlateau(mode, factor, patience, threshold, threshold_mode="abs")``
with no cooldown and no floor, written out so that it drives any object holding ``param_groups`` -- also the
fast engines' `multiclass.engine.adam.AdamSlots`, which is not a torch optimiser.
"""

from __future__ import annotations

import math

__all__ = ["PlateauSchedule"]

# torch's `eps`: a reduction smaller than this is not applied.
_EPS = 1e-8


class PlateauSchedule:
    """Multiply every group's ``lr`` by `factor` after more than `patience` epochs without an improvement larger
    than `threshold`.

    Examples
    --------
    >>> class Holder:
    ...     param_groups = [{"lr": 1.0}]
    >>> schedule = PlateauSchedule(Holder(), mode="min", factor=0.5, patience=1)
    >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9]:
    ...     schedule.step(loss)
    >>> Holder.param_groups[0]["lr"]
    0.5
    """

    def __init__(self, optimizer, *, mode: str, factor: float, patience: int, threshold: float = 0.0):
        self.optimizer, self.mode, self.factor, self.patience, self.threshold = (optimizer, mode, factor, patience,
                                                                                 threshold)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.last_epoch = 0

    def _is_better(self, score: float) -> bool:
        if self.mode == "min":
            return score < self.best - self.threshold
        return score > self.best + self.threshold

    def step(self, score: float) -> None:
        """Record the epoch's monitored `score` (NaN never improves)."""
        score = float(score)
        self.last_epoch += 1
        if self._is_better(score):
            self.best, self.num_bad_epochs = score, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                old = float(group["lr"])
                new = old * self.factor
                if old - new > _EPS:
                    group["lr"] = new
            self.num_bad_epochs = 0

    def state_dict(self) -> dict:
        return {"best": self.best, "num_bad_epochs": self.num_bad_epochs, "last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.num_bad_epochs = float(state["best"]), int(state["num_bad_epochs"])
        self.last_epoch = int(state["last_epoch"])
