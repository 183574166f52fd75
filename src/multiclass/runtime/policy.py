"""The saved decision policy on numpy: temperature, then the argmax, offsets + argmax, or the Bayes decision of a cost
matrix; the same numbers as `multiclass.decisions.decide` and `multiclass.trained.TrainedModel.outputs` (tested against
them), without importing `multiclass.decisions` (scipy and the training package come with it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from multiclass.exceptions import ModelFileError
from multiclass.runtime.network import log_softmax

__all__ = ["Policy"]


def _numbers(value: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.shape == shape and np.isfinite(array).all() else None


@dataclass(frozen=True)
class Policy:
    """Temperature and decision rule of a model (see `multiclass.decisions.DecisionPolicy`).

    Attributes
    ----------
    temperature : float
    offsets : ndarray (K,) or None
    cost_matrix : ndarray (K, K) or None
        Rows = true class, columns = decided class.
    """

    temperature: float = 1.0
    offsets: np.ndarray | None = None
    cost_matrix: np.ndarray | None = None

    @property
    def rule(self) -> str:
        """"cost", "offsets" or "argmax"."""
        return "cost" if self.cost_matrix is not None else "offsets" if self.offsets is not None else "argmax"

    @classmethod
    def from_document(cls, decision: Mapping[str, Any] | None, n_classes: int) -> Policy:
        """The policy of model.json's ``decision`` entry (None: the plain argmax).

        Raises
        ------
        ModelFileError
            Unknown keys, a temperature that is not a finite number > 0, offsets or a cost matrix of the wrong
            shape or not finite, or both rules at once.
        """
        if not decision:
            return cls()
        where = "model.json: malformed model file (bad decision"
        unknown = set(decision) - {"temperature", "offsets", "cost_matrix", "target_recall"}
        if unknown:
            raise ModelFileError(f"{where}: unknown field {min(unknown)!r}).")
        temperature = decision.get("temperature", 1.0)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
                or not (math.isfinite(temperature) and temperature > 0):
            raise ModelFileError(f"{where}: temperature must be a finite number > 0).")
        offsets = decision.get("offsets")
        cost = decision.get("cost_matrix")
        if offsets is not None and cost is not None:
            raise ModelFileError(f"{where}: offsets and cost_matrix are two rules).")
        if offsets is not None and (offsets := _numbers(offsets, (n_classes,))) is None:
            raise ModelFileError(f"{where}: offsets must be {n_classes} finite numbers).")
        if cost is not None and (cost := _numbers(cost, (n_classes, n_classes))) is None:
            raise ModelFileError(f"{where}: cost_matrix must be {n_classes} x {n_classes} finite numbers).")
        return cls(float(temperature), offsets, cost)

    def calibrated(self, log_probs: np.ndarray) -> np.ndarray:
        """Calibrated log-probabilities (N, K) float64: ``log_softmax(log_probs / T)``, or `log_probs` at T = 1."""
        return log_probs if self.temperature == 1.0 else log_softmax(log_probs / self.temperature)

    def decide(self, log_probs: np.ndarray, calibrated: np.ndarray | None = None) -> np.ndarray:
        """Decided class codes (N,) int64 from uncalibrated `log_probs` (N, K); `calibrated` saves recomputing."""
        if self.rule == "argmax":
            return log_probs.argmax(axis=1).astype(np.int64)
        calibrated = self.calibrated(log_probs) if calibrated is None else calibrated  # (N, K)
        if self.rule == "cost":
            return (np.exp(calibrated) @ self.cost_matrix).argmin(axis=1).astype(np.int64)  # minimum expected cost
        return (calibrated + self.offsets).argmax(axis=1).astype(np.int64)
