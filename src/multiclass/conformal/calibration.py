"""`ConformalCalibration`: what a calibrated set predictor stores (in model.json), and how it is read back.

A frozen value: the method (split or cross-conformal), the score and its parameters, the coverage (1 - alpha)
and optional confidence (1 - delta), the class groups (one group: marginal; one per class: class-conditional
"Mondrian"; named classes alone and the rest pooled), one threshold per group, the calibration rows' counts per
class and the seed of the randomisation. `to_dict` gives plain JSON types; `from_dict` checks every field and
names the one that is wrong, since the file may have been edited by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from multiclass.conformal.scores import SCORES
from multiclass.exceptions import ModelFileError

__all__ = ["METHODS", "ConformalCalibration"]

METHODS = ("split", "cross")
_FIELDS = ("method", "score", "coverage", "confidence", "randomized", "groups", "quantiles", "class_counts",
           "random_state", "raps_lambda", "raps_k_reg", "n_folds")


@dataclass(frozen=True)
class ConformalCalibration:
    """A calibrated prediction-set rule; build it with `calibrate_sets` or `calibrate_cross_sets`.

    Attributes
    ----------
    method : {"split", "cross"}
        Split conformal (a held-out calibration set) or cross-conformal (out-of-fold probabilities).
    score : {"lac", "aps", "raps"}
        The non-conformity score (see `multiclass.conformal.scores`).
    coverage : float
        1 - alpha: the asked probability that a set holds the true class.
    confidence : float or None
        1 - delta when the coverage is guaranteed with that probability over calibration sets
        (training-conditional, "PAC"); None when it holds on average.
    randomized : bool
        Sets are the randomised ones (exact coverage, may be empty) rather than the non-randomised ones.
    groups : tuple of int, length n_classes
        The group of each class; classes in one group share a threshold.
    quantiles : tuple of float, length n_groups
        The threshold of each group (a calibration score).
    class_counts : tuple of int, length n_classes
        Calibration rows of each class.
    random_state : int
        Seed of the calibration's uniform draws (APS/RAPS); predictions draw from another stream of it.
    raps_lambda, raps_k_reg : float, int
        RAPS's penalty per label beyond the first `raps_k_reg` (unused by the other scores).
    n_folds : int or None
        Folds of a cross-conformal calibration.
    """

    method: str
    score: str
    coverage: float
    confidence: float | None
    randomized: bool
    groups: tuple[int, ...]
    quantiles: tuple[float, ...]
    class_counts: tuple[int, ...]
    random_state: int
    raps_lambda: float = 0.01
    raps_k_reg: int = 1
    n_folds: int | None = None

    @property
    def alpha(self) -> float:
        """1 - coverage."""
        return 1.0 - self.coverage

    @property
    def n_classes(self) -> int:
        return len(self.groups)

    @property
    def thresholds(self) -> np.ndarray:
        """(n_classes,) float64: the threshold each class's label is compared with."""
        return np.asarray(self.quantiles, dtype=np.float64)[np.asarray(self.groups, dtype=np.int64)]

    @property
    def mondrian(self) -> str | tuple[int, ...] | None:
        """None (one group), "all" (a group per class) or the classes calibrated alone (the rest pooled)."""
        if len(self.quantiles) == 1:
            return None
        if len(self.quantiles) == len(self.groups):
            return "all"
        return tuple(c for c, g in enumerate(self.groups) if g != 0)

    def to_dict(self) -> dict:
        """Plain JSON types (lists, floats, ints, strings, None)."""
        return {
            "method": self.method, "score": self.score, "coverage": self.coverage, "confidence": self.confidence,
            "randomized": self.randomized, "groups": list(self.groups), "quantiles": list(self.quantiles),
            "class_counts": list(self.class_counts), "random_state": self.random_state,
            "raps_lambda": self.raps_lambda, "raps_k_reg": self.raps_k_reg, "n_folds": self.n_folds,
        }

    @classmethod
    def from_dict(cls, data) -> ConformalCalibration:
        """Read back `to_dict`'s output, checking each field; raises ModelFileError naming the bad one."""
        if not isinstance(data, dict):
            raise ModelFileError(f"the conformal calibration must be a JSON object; got {type(data).__name__}.")
        missing = [name for name in _FIELDS if name not in data]
        unknown = sorted(set(data) - set(_FIELDS))
        if missing or unknown:
            what = f"misses {missing}" if missing else f"has unknown fields {unknown}"
            raise ModelFileError(f"the conformal calibration {what}.")
        _pick(data, "method", lambda v: v in METHODS, f"one of {METHODS}")
        _pick(data, "score", lambda v: v in SCORES, f"one of {SCORES}")
        _pick(data, "coverage", lambda v: _number(v) and 0 < v < 1, "a number in (0, 1)")
        _pick(data, "confidence", lambda v: v is None or (_number(v) and 0 < v < 1), "null or a number in (0, 1)")
        _pick(data, "randomized", lambda v: isinstance(v, bool), "true or false")
        _pick(data, "random_state", lambda v: _integer(v) and v >= 0, "an integer >= 0")
        _pick(data, "raps_lambda", lambda v: _number(v) and v >= 0, "a number >= 0")
        _pick(data, "raps_k_reg", lambda v: _integer(v) and v >= 0, "an integer >= 0")
        _pick(data, "n_folds", lambda v: v is None or (_integer(v) and v >= 2), "null or an integer >= 2")
        groups = _pick(data, "groups", lambda v: isinstance(v, list) and len(v) >= 2 and all(
            _integer(g) and g >= 0 for g in v), "a list of >= 2 integers >= 0 (one per class)")
        n_groups = max(groups) + 1
        _pick(data, "groups", lambda v: set(v) == set(range(n_groups)), f"numbered 0..{n_groups - 1} without gaps")
        _pick(data, "quantiles", lambda v: isinstance(v, list) and len(v) == n_groups and all(
            _number(q) for q in v), f"a list of {n_groups} finite numbers (one per group)")
        _pick(data, "class_counts", lambda v: isinstance(v, list) and len(v) == len(groups) and all(
            _integer(c) and c >= 0 for c in v), f"a list of {len(groups)} integers >= 0 (one per class)")
        if (data["method"] == "cross") != (data["n_folds"] is not None):
            raise ModelFileError("the conformal calibration field `n_folds` must be set for method 'cross' and "
                                 f"null for 'split'; got {data['n_folds']!r} with {data['method']!r}.")
        if data["randomized"] and data["score"] == "lac":
            raise ModelFileError("the conformal calibration field `randomized` must be false for score 'lac'.")
        return cls(method=data["method"], score=data["score"], coverage=float(data["coverage"]),
                   confidence=None if data["confidence"] is None else float(data["confidence"]),
                   randomized=data["randomized"], groups=tuple(int(g) for g in groups),
                   quantiles=tuple(float(q) for q in data["quantiles"]),
                   class_counts=tuple(int(c) for c in data["class_counts"]), random_state=int(data["random_state"]),
                   raps_lambda=float(data["raps_lambda"]), raps_k_reg=int(data["raps_k_reg"]),
                   n_folds=data["n_folds"])


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pick(data: dict, name: str, valid, constraint: str):
    value = data[name]
    if not valid(value):
        raise ModelFileError(f"the conformal calibration field `{name}` must be {constraint}; got {value!r}.")
    return value
