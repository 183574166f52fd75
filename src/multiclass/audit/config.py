"""`AuditConfig`: how rows are flagged and ranked, and how many suspects are kept, checked once."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from numbers import Integral, Real

from multiclass.audit.rules import RANKINGS, check_choice, check_rule
from multiclass.exceptions import ConfigError

__all__ = ["AuditConfig"]


@dataclass(frozen=True)
class AuditConfig:
    """The options of the confident-learning rules (cleanlab's names and defaults).

    Parameters
    ----------
    filter_by : str, default="prune_by_noise_rate"
        The rule that flags rows (`multiclass.audit.rules.FILTERS`).
    rank_by : {"self_confidence", "normalized_margin"}, default="self_confidence"
        The score that orders the suspects, lowest (most likely wrong) first.
    frac_noise : float in (0, 1], default=1.0
        Flag only this share of the estimated noise (pruning rules only).
    min_examples_per_class : int >= 0, default=1
        A class with this many rows or fewer is never pruned.
    num_to_remove_per_class : tuple of int, optional
        Flag exactly this many rows of each class (pruning rules only).
    top_n : int >= 1 or None, default=None
        Keep at most this many suspects per given class, most likely wrong first (None: all of them). The counts,
        intervals and metrics always use every flagged row.
    confidence : float in (0, 1), default=0.95
        Level of the intervals of each class's share of wrong labels.
    """

    filter_by: str = "prune_by_noise_rate"
    rank_by: str = "self_confidence"
    frac_noise: float = 1.0
    min_examples_per_class: int = 1
    num_to_remove_per_class: tuple[int, ...] | None = None
    top_n: int | None = None
    confidence: float = 0.95

    def __post_init__(self):
        check_rule(self.filter_by)
        check_choice(self.rank_by, RANKINGS, "rank_by")
        if not (isinstance(self.frac_noise, Real) and 0 < self.frac_noise <= 1):
            raise ConfigError(f"`frac_noise` must be in (0, 1]; got {self.frac_noise!r}.")
        if not (isinstance(self.min_examples_per_class, Integral) and self.min_examples_per_class >= 0):
            raise ConfigError(f"`min_examples_per_class` must be an integer >= 0; got {self.min_examples_per_class!r}.")
        if self.num_to_remove_per_class is not None:
            values = tuple(self.num_to_remove_per_class)
            if not all(isinstance(v, Integral) and v >= 0 for v in values):
                raise ConfigError(f"`num_to_remove_per_class` must hold integers >= 0; got {values!r}.")
            object.__setattr__(self, "num_to_remove_per_class", tuple(int(v) for v in values))
        check_rule(self.filter_by, self.frac_noise, self.num_to_remove_per_class)
        if self.top_n is not None and not (isinstance(self.top_n, Integral) and self.top_n >= 1):
            raise ConfigError(f"`top_n` must be an integer >= 1 or None; got {self.top_n!r}.")
        if not (isinstance(self.confidence, Real) and 0 < self.confidence < 1):
            raise ConfigError(f"`confidence` must be in (0, 1); got {self.confidence!r}.")

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.num_to_remove_per_class is not None:
            data["num_to_remove_per_class"] = list(self.num_to_remove_per_class)
        return data

    def check_classes(self, n_classes: int) -> None:
        """ConfigError unless `num_to_remove_per_class` has one entry per class."""
        if self.num_to_remove_per_class is not None and len(self.num_to_remove_per_class) != n_classes:
            raise ConfigError(f"`num_to_remove_per_class` must have one entry per class ({n_classes}); got "
                              f"{len(self.num_to_remove_per_class)}.")
