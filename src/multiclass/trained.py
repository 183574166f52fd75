"""`TrainedModel`: a network together with its classes, preprocessing and training record.

It is what the command-line tool trains, writes to a model directory, reads back and predicts with; the
file format itself lives in `multiclass.persistence`. It is also the one place where the model's decision policy
(`multiclass.decisions.DecisionPolicy`: a temperature, then argmax, recall offsets or a cost matrix) is applied:
every verb that turns log-probabilities into probabilities and decisions calls `calibrate` and `decide`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from multiclass.classes import resolve_class
from multiclass.conformal.calibration import ConformalCalibration
from multiclass.conformal.sets import predict_sets
from multiclass.conformal.stored import NO_SETS
from multiclass.decisions import (
    DecisionPolicy,
    apply_temperature,
    cost_matrix_from,
    decide,
)
from multiclass.exceptions import ConfigError, DataError
from multiclass.training.config import TrainConfig

if TYPE_CHECKING:  # torch is imported only by a model that holds a torch network
    from multiclass.models import MLP

__all__ = ["TrainedModel"]


@dataclass
class TrainedModel:
    """A trained network plus everything needed to use it on new raw data.

    Attributes
    ----------
    model : MLP, or a numpy network (`multiclass.runtime.network.Network`)
        The torch network trains; a model read to be evaluated may hold the numpy one (``load_model(path,
        network="numpy")``), which computes the same log-probabilities to float32 rounding without torch.
    classes : tuple of str
        Class names in the order of the logits.
    preprocessor : multiclass.data.Preprocessor or None
        Maps raw data to features; None when the model was trained on ready features.
    train_config : TrainConfig or None
    history : list of dict
        Per-epoch training record.
    best_epoch : int
    stop_reason : str
    data_info : dict
        JSON-able description of the training data: kind, load_options, target_dtype, image_shape, feature
        names, source, n_samples.
    validation : dict
        JSON-able validation metrics at the best epoch.
    decision : DecisionPolicy or None
        How log-probabilities become decisions (temperature, then argmax / offsets / cost matrix); None is the
        plain argmax with uncalibrated probabilities.
    recipe : dict or None
        How the network and its training were chosen (`multiclass.jobs.recipe`): the recipe, the fixed
        hyperparameters, the chosen candidate and every candidate's validation scores.
    critical : tuple of str
        The classes that matter most (``--critical``): reports speak of them first.
    conformal : ConformalCalibration or None
        Prediction sets calibrated on the validation rows (``--coverage``); `predict_set` uses them.
    """

    model: MLP | Any
    classes: tuple[str, ...]
    preprocessor: Any = None
    train_config: TrainConfig | None = None
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = ""
    data_info: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    decision: DecisionPolicy | None = None
    recipe: dict | None = None
    critical: tuple[str, ...] = ()
    conformal: ConformalCalibration | None = None

    @property
    def on_numpy(self) -> bool:
        """Whether the network is the numpy one (``load_model(path, network="numpy")``): it predicts; it is not
        saved."""
        return hasattr(self.model, "log_proba")

    @property
    def n_features(self) -> int:
        return self.model.n_features if self.on_numpy else self.model.config.n_features

    def predict_log_proba(self, X, *, calibrated: bool = True) -> np.ndarray:
        """Log-probabilities (n_samples, K) in float64 from ready features X (n_samples, n_features).

        With `calibrated` (the default) the decision policy's temperature is applied; ``calibrated=False`` gives
        the network's own log-softmax, the input of `decide`.
        """
        X = X.tocsr() if hasattr(X, "tocsr") else np.asarray(X, dtype=np.float32)  # sparse rows stay sparse
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(f"`X` must have shape (n_samples, {self.n_features}); got {X.shape}.")
        if self.on_numpy:
            log_probs = self.model.log_proba(X)  # (N, K)
        else:
            from multiclass.models import predict_log_proba  # torch: imported with a torch network only

            log_probs = predict_log_proba(self.model, X)  # (N, K)
        return self.calibrate(log_probs) if calibrated else log_probs

    def calibrate(self, log_probs: np.ndarray) -> np.ndarray:
        """The network's log-probabilities (N, K) under the policy's temperature (unchanged without one)."""
        temperature = self.decision.temperature if self.decision is not None else 1.0
        if temperature == 1.0 or not len(log_probs):
            return log_probs
        return apply_temperature(log_probs, temperature)

    def decide(self, log_probs: np.ndarray) -> np.ndarray:
        """Decided class codes (N,) from the network's log-probabilities under the decision policy (the argmax
        without one: cost matrix, recall offsets, ...)."""
        if not len(log_probs):
            return np.empty(0, dtype=np.int64)
        return decide(log_probs, self.decision or DecisionPolicy())

    def outputs(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(log_probs, probs, codes)`` of ready features X in one forward pass: the network's own
        log-probabilities (N, K), the calibrated probabilities (N, K) and the decisions (N,)."""
        log_probs = self.predict_log_proba(X, calibrated=False)
        return log_probs, np.exp(self.calibrate(log_probs)), self.decide(log_probs)

    def with_cost_matrix(self, cost_matrix) -> TrainedModel:
        """A copy deciding by minimum expected cost (a file, mapping or array; see
        `multiclass.decisions.cost_matrix_from`); its temperature is kept, recall offsets are replaced."""
        temperature = self.decision.temperature if self.decision else 1.0
        policy = DecisionPolicy(temperature=temperature, cost_matrix=cost_matrix_from(cost_matrix, self.classes))
        return replace(self, decision=policy)

    def with_critical_classes(self, critical) -> TrainedModel:
        """A copy whose critical classes are `critical` (class names; none given: this model itself, keeping the
        classes saved with it). ConfigError names an unknown class."""
        if not critical:
            return self
        names = [str(c) for c in self.classes]
        return replace(self, critical=tuple(names[resolve_class(name, names, len(names), "critical")]
                                            for name in critical))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, K): softmax of the logits, divided by the temperature when calibrated."""
        return np.exp(self.predict_log_proba(X))

    def predict_codes(self, X) -> np.ndarray:
        """Decided class codes (n_samples,) under the decision policy (the argmax without one)."""
        return self.decide(self.predict_log_proba(X, calibrated=False))

    def predict_set(self, X) -> np.ndarray:
        """Conformal prediction sets (n_samples, K) bool of ready features X: True where the class is in the row's
        set (`multiclass.conformal.predict_sets` on the calibrated probabilities)."""
        if self.conformal is None:
            raise ConfigError(NO_SETS)
        return predict_sets(self.predict_proba(X), self.conformal)
