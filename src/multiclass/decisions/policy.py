"""`DecisionPolicy`: how a model's log-probabilities become decisions, saved with the model.

A policy is a temperature (calibration), then one rule: the argmax, the argmax after per-class offsets (tuned to
reach recall targets), or the Bayes decision of a cost matrix. `DecisionConfig` says what to fit and
`fit_policy` fits it on validation rows; `decide` applies it. Everything here is numbers in, numbers out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from multiclass.classes import resolve_class
from multiclass.decisions.cost import bayes_decision, check_cost_matrix
from multiclass.decisions.costfile import cost_matrix_from
from multiclass.decisions.offsets import check_recall_targets, fit_recall_offsets
from multiclass.decisions.temperature import (
    apply_temperature,
    check_log_probs,
    check_temperature,
    fit_temperature,
)
from multiclass.exceptions import ConfigError

__all__ = ["SET_CALIBRATIONS", "SET_GROUPS", "DecisionConfig", "DecisionPolicy", "decide", "fit_policy"]

# Which classes get a threshold of their own (`DecisionConfig.set_groups`), and what the sets are calibrated on.
SET_GROUPS = ("auto", "marginal", "critical", "all")
SET_CALIBRATIONS = ("split", "cross")


@dataclass(frozen=True)
class DecisionConfig:
    """What to fit besides the network. CLI flags: ``--calibrate``, ``--cost-matrix``, ``--target-recall``.

    Attributes
    ----------
    calibrate : bool, default=False
        Fit a temperature on the validation rows (Guo et al. 2017).
    cost_matrix : str, Path, mapping, array-like or None, default=None
        A CSV/JSON file, ``{true: {decided: cost}}`` or a (K, K) array in class order (rows = true class):
        decide by minimum expected cost instead of maximum probability.
    target_recall : mapping or None, default=None
        Class name -> minimum recall in (0, 1], reached on the validation rows by per-class offsets.
    critical : sequence of str, default=()
        The classes that matter most (``--critical``): saved with the model, named first by its reports.
    coverage : float or None, default=None
        Calibrate conformal prediction sets on the validation rows to hold the true class with this probability
        (``--coverage``; `multiclass.conformal`), per critical class when there are critical classes.
    set_score : {"lac", "aps", "raps"}, default="aps"
        The non-conformity score of the sets.
    set_groups : {"auto", "marginal", "critical", "all"}, default="auto"
        The classes with a threshold of their own (``--set-groups``): "marginal" none (coverage on average over
        classes), "critical" each critical class (the others pooled), "all" every class (coverage given each
        class, "Mondrian"); "auto" is "critical" when critical classes are named, else "marginal".
    set_calibration : {"split", "cross"}, default="split"
        Calibrate the sets on the validation rows ("split") or on every row's out-of-fold probabilities of 5 fold
        models of the final model's recipe ("cross", cross-conformal; ``--set-calibration``).
    """

    calibrate: bool = False
    cost_matrix: Any = None
    target_recall: Mapping | None = None
    critical: tuple = ()
    coverage: float | None = None
    set_score: str = "aps"
    set_groups: str = "auto"
    set_calibration: str = "split"

    def __post_init__(self) -> None:
        _check_set_options(self)
        if not isinstance(self.calibrate, (bool, np.bool_)):
            raise ConfigError(f"`calibrate` must be True or False; got {self.calibrate!r}.")
        if self.target_recall is not None:
            if not isinstance(self.target_recall, Mapping) or not self.target_recall:
                raise ConfigError(f"`target_recall` must be a non-empty mapping class -> recall; got "
                                  f"{self.target_recall!r}.")
            if self.cost_matrix is not None:
                raise ConfigError("`cost_matrix` and `target_recall` are two decision rules; give one of them.")

    @property
    def needs_validation(self) -> bool:
        """Calibration and recall targets are fitted on held-out rows; a cost matrix alone needs none."""
        return bool(self.calibrate or self.target_recall)

    @property
    def is_default(self) -> bool:
        return not (self.calibrate or self.cost_matrix is not None or self.target_recall)

    def resolve(self, classes: Sequence) -> DecisionConfig:
        """The same config with the cost matrix read into a (K, K) array and the recall targets checked against
        `classes`: call it before training, so a typo in a class name fails in milliseconds, not after it."""
        names = [str(c) for c in classes]
        if self.target_recall:
            check_recall_targets(self.target_recall, names, len(names))
        for name in self.critical:
            resolve_class(name, names, len(names), "critical")
        if self.cost_matrix is None:
            return self
        return replace(self, cost_matrix=cost_matrix_from(self.cost_matrix, names))


def _check_set_options(config: DecisionConfig) -> None:
    """ConfigError for set options out of their choices, or given without `coverage` or the classes they need."""
    for name, choices in (("set_groups", SET_GROUPS), ("set_calibration", SET_CALIBRATIONS)):
        value = getattr(config, name)
        if value not in choices:
            raise ConfigError(f"`{name}` must be one of {', '.join(map(repr, choices))}; got {value!r}.")
        if config.coverage is None and value != choices[0]:  # the first choice is the default
            raise ConfigError(f"`{name}` shapes the prediction sets of `coverage`; set `coverage` too.")
    if config.set_groups == "critical" and not config.critical:
        raise ConfigError("`set_groups` 'critical' calibrates each critical class alone, and none is named; name "
                          "them with `critical` or choose 'all' or 'marginal'.")


@dataclass(frozen=True)
class DecisionPolicy:
    """Temperature, then argmax / offsets + argmax / minimum expected cost. JSON-able through `to_dict`.

    Attributes
    ----------
    temperature : float, default=1.0
        Logits are divided by it before the softmax; it changes the probabilities, never the argmax.
    offsets : tuple of float or None
        Per-class log-prior shifts added to the calibrated log-probabilities before the argmax.
    cost_matrix : tuple of tuples of float or None
        (K, K), rows = true class, columns = decided class; the decision minimises the expected cost.
    target_recall : tuple of (int, float)
        The recall targets the offsets were tuned for (class code, target), kept to check them on new data.
    """

    temperature: float = 1.0
    offsets: tuple[float, ...] | None = None
    cost_matrix: tuple[tuple[float, ...], ...] | None = None
    target_recall: tuple[tuple[int, float], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "temperature", check_temperature(self.temperature))
        if self.offsets is not None:
            offsets = np.asarray(self.offsets, dtype=np.float64)
            if offsets.ndim != 1 or len(offsets) < 2 or not np.isfinite(offsets).all():
                raise ConfigError(f"`offsets` must be one finite number per class; got {self.offsets!r}.")
            object.__setattr__(self, "offsets", tuple(float(v) for v in offsets))
        if self.cost_matrix is not None:
            matrix = check_cost_matrix(self.cost_matrix)
            object.__setattr__(self, "cost_matrix", tuple(tuple(float(v) for v in row) for row in matrix))
        if self.offsets is not None and self.cost_matrix is not None:
            raise ConfigError("`offsets` and `cost_matrix` are two decision rules; give one of them.")
        targets = tuple((int(c), float(r)) for c, r in dict(self.target_recall).items())
        object.__setattr__(self, "target_recall", targets)

    @property
    def rule(self) -> str:
        """"cost", "offsets" or "argmax"."""
        return "cost" if self.cost_matrix is not None else "offsets" if self.offsets is not None else "argmax"

    @property
    def n_classes(self) -> int | None:
        """K when the policy fixes it (offsets or cost), else None."""
        values = self.offsets if self.offsets is not None else self.cost_matrix
        return None if values is None else len(values)

    def check(self, n_classes: int) -> DecisionPolicy:
        """Self, after checking that it fits `n_classes` classes; ConfigError otherwise."""
        if self.n_classes not in (None, n_classes) or any(not 0 <= c < n_classes for c, _ in self.target_recall):
            raise ConfigError(f"the decision policy is for {self.n_classes} classes; the model has {n_classes}.")
        return self

    def to_dict(self) -> dict:
        """Plain JSON values (lists, floats); `from_dict` reads them back exactly."""
        return {"temperature": self.temperature,
                "offsets": None if self.offsets is None else list(self.offsets),
                "cost_matrix": None if self.cost_matrix is None else [list(row) for row in self.cost_matrix],
                "target_recall": [[c, r] for c, r in self.target_recall]}

    @classmethod
    def from_dict(cls, document: Mapping) -> DecisionPolicy:
        """The policy of a `to_dict` document; ConfigError for unknown keys or bad values."""
        if not isinstance(document, Mapping):
            raise ConfigError(f"a decision policy must be a mapping; got {type(document).__name__}.")
        unknown = set(document) - {"temperature", "offsets", "cost_matrix", "target_recall"}
        if unknown:
            raise ConfigError(f"a decision policy has no field {min(unknown)!r}.")
        targets = document.get("target_recall") or []
        if not (isinstance(targets, list) and all(isinstance(t, list) and len(t) == 2 for t in targets)):
            raise ConfigError(f"`target_recall` must be a list of [class code, recall] pairs; got {targets!r}.")
        return cls(temperature=document.get("temperature", 1.0), offsets=document.get("offsets"),
                   cost_matrix=document.get("cost_matrix"), target_recall=tuple((c, r) for c, r in targets))


def decide(log_probs, policy: DecisionPolicy | None = None) -> np.ndarray:
    """The decided class codes (N,) of uncalibrated log-probabilities (or logits) under `policy`.

    Without a rule (no offsets, no cost) the decision is the argmax of `log_probs` itself: a temperature cannot
    change it, so it is not even applied.

    Examples
    --------
    >>> log_probs = np.log([[0.6, 0.4], [0.9, 0.1]])
    >>> decide(log_probs).tolist(), decide(log_probs, DecisionPolicy(cost_matrix=[[0, 1], [2, 0]])).tolist()
    ([0, 0], [1, 0])
    """
    values = check_log_probs(log_probs)
    if policy is None or policy.rule == "argmax":
        return values.argmax(axis=1).astype(np.int64)
    policy.check(values.shape[1])
    calibrated = apply_temperature(values, policy.temperature)  # (N, K)
    if policy.rule == "cost":
        return bayes_decision(np.exp(calibrated), policy.cost_matrix)
    return (calibrated + np.asarray(policy.offsets)).argmax(axis=1).astype(np.int64)


def fit_policy(log_probs, y, config: DecisionConfig, classes: Sequence) -> DecisionPolicy:
    """Fit the policy `config` asks for on validation rows.

    Parameters
    ----------
    log_probs : array-like of shape (n_samples, n_classes) or None
        Uncalibrated log-probabilities (or logits) of the validation rows; None when there are none (only a
        cost matrix can then be used).
    y : array-like of int, shape (n_samples,) or None
        Their true class codes.
    config : DecisionConfig
    classes : sequence
        The class names, to resolve the names in the cost matrix and the recall targets.

    Raises
    ------
    ConfigError
        Calibration or recall targets without validation rows; bad cost matrix or targets.
    """
    k = len(classes)
    if config.needs_validation and log_probs is None:
        raise ConfigError("`calibrate` and `target_recall` are fitted on validation rows; set `val_split` > 0.")
    temperature = fit_temperature(log_probs, y) if config.calibrate else 1.0
    cost = None if config.cost_matrix is None else cost_matrix_from(config.cost_matrix, classes)
    offsets, targets = None, ()
    if config.target_recall:
        names = [str(c) for c in classes]
        codes = check_recall_targets(config.target_recall, names, k)
        calibrated = apply_temperature(log_probs, temperature)  # the offsets act on what `decide` will see
        offsets = fit_recall_offsets(calibrated, y, config.target_recall, classes=names)
        targets = tuple(codes.items())
    return DecisionPolicy(temperature=temperature, offsets=offsets, cost_matrix=cost, target_recall=targets)
