"""Class names and class codes: which code a name means, the weight of each class, the classes a metric watches.

One definition for every layer: training, the sweep, the decision policies and the report all resolve a class a
user names (``class_weight={"fault": 5}``, ``monitor="val_recall:fault"``, ``target_recall={"fault": 0.95}``)
through `resolve_class`, so a misspelt name gets the same message everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from multiclass.exceptions import ConfigError

__all__ = ["CRITICAL_MONITOR_PREFIX", "CRITICAL_PRECISION_FLOOR", "RECALL_MONITOR_PREFIX", "Watched", "critical_monitor",
           "monitored_class", "resolve_class", "resolve_class_weight"]

# A monitor "val_recall:<class>" watches the validation recall of one class.
RECALL_MONITOR_PREFIX = "val_recall:"
# A monitor "val_critical:<class>[,<class>]" watches the critical classes' recall at a precision floor (`Watched`);
# training monitors it when critical classes are named and no monitor is given.
CRITICAL_MONITOR_PREFIX = "val_critical:"
# The precision each critical class must keep on the validation rows for an epoch's recall to count, by default
# (``TrainConfig.precision_floor``, --precision-floor): at most one false alarm per real case found. Below it an
# epoch scores lower than any epoch above it.
CRITICAL_PRECISION_FLOOR = 0.5


@dataclass(frozen=True)
class Watched:
    """The classes a class monitor watches: their codes, and the precision floor of a ``val_critical`` monitor.

    Its score (`multiclass.training.validation.validation_scores`, ``val_recall`` of the record): with no floor
    (``val_recall:<class>``), the recall of the one class; with a floor, the mean recall of the classes when every
    one of them has precision >= `floor`, and otherwise their mean F1 - 1 (in [-1, 0)). An epoch above the floor
    always beats one below it: above it each class has tp > 0, so the score is > 0. The mean, not the minimum,
    so that early stopping sees progress on any critical class; the floor already makes every class count (a class
    not found has precision 0, below any floor). Below the floor the F1 ranks epochs by both what they find and
    the alarms they raise, so neither flooding a class nor never deciding it wins. Epochs of equal score (counts
    of a few rows stay equal for many epochs) are ranked by validation loss (`training.validation.tiebreak_of`).

    Parameters
    ----------
    codes : tuple of int
        The watched classes' codes.
    floor : float in (0, 1] or None, default=None
    """

    codes: tuple[int, ...]
    floor: float | None = None


def critical_monitor(critical: Sequence) -> str:
    """The monitor that watches the classes `critical` (names) at the precision floor.

    >>> critical_monitor(["fault", "leak"])
    'val_critical:fault,leak'
    """
    return CRITICAL_MONITOR_PREFIX + ",".join(str(name) for name in critical)


def resolve_class(key, classes: Sequence | None, n_classes: int, what: str) -> int:
    """The integer code of the class named `key` (a class name, or a code when there are no names)."""
    if classes is not None:
        names = [str(c) for c in classes]
        if str(key) in names:
            return names.index(str(key))
        raise ConfigError(f"`{what}` names class {key!r}, which is not one of the classes {names}.")
    try:
        code = int(key)
    except (TypeError, ValueError):
        code = -1
    if not 0 <= code < n_classes:
        raise ConfigError(f"`{what}` names class {key!r}; without class names it must be a code in [0, {n_classes}).")
    return code


def resolve_class_weight(class_weight, counts, classes: Sequence | None = None) -> np.ndarray | None:
    """A (K,) weight per class code from None, "none", "balanced", "sqrt_balanced" or a mapping class -> weight
    (missing classes: 1).

    "balanced" is scikit-learn's ``n_samples / (n_classes * count_c)``, over the classes present; "sqrt_balanced" its
    square root (a class 100 times rarer weighs 10 times more, not 100); "none" is None said outright (the auto
    recipe weighs tables and images "sqrt_balanced" and TF-IDF text "balanced" unless told:
    `multiclass.jobs.plan.plan`).

    Parameters
    ----------
    class_weight : None, "none", "balanced", "sqrt_balanced" or mapping class -> weight
    counts : array-like of int, shape (n_classes,)
        Training rows of each class (``np.bincount(y, minlength=K)``; a streamed scan's class counts).
    classes : sequence of K names, optional
        Lets the mapping name classes; without names its keys are codes.

    Examples
    --------
    >>> resolve_class_weight("balanced", np.array([3, 1]))
    array([0.66666667, 2.        ])
    >>> resolve_class_weight("sqrt_balanced", np.array([3, 1]))
    array([0.81649658, 1.41421356])
    """
    counts = np.asarray(counts, dtype=np.float64)
    n_classes = len(counts)
    if class_weight is None or (isinstance(class_weight, str) and class_weight == "none"):
        return None
    if isinstance(class_weight, str) and class_weight in ("balanced", "sqrt_balanced"):
        n_present = np.count_nonzero(counts)
        balanced = np.where(counts > 0, counts.sum() / (n_present * np.maximum(counts, 1)), 1.0)
        return balanced if class_weight == "balanced" else np.sqrt(balanced)
    if isinstance(class_weight, Mapping):
        weights = np.ones(n_classes)
        for key, value in class_weight.items():
            weights[resolve_class(key, classes, n_classes, "class_weight")] = float(value)
        if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
            raise ConfigError("`class_weight` must give every class a finite weight >= 0, and some class a positive "
                              f"one; got {dict(class_weight)!r}.")
        return weights
    raise ConfigError(f"`class_weight` must be None, 'none', 'balanced', 'sqrt_balanced' or a mapping class -> weight; "
                      f"got {class_weight!r}.")


def monitored_class(monitor: str, classes: Sequence | None, n_classes: int,
                    floor: float = CRITICAL_PRECISION_FLOOR) -> Watched | None:
    """The classes a ``"val_recall:<class>"`` or ``"val_critical:<class>[,<class>]"`` monitor watches (the latter
    at the precision `floor`, ``TrainConfig.precision_floor``); None for other monitors.

    Examples
    --------
    >>> monitored_class("val_recall:dog", ["cat", "dog"], 2), monitored_class("val_loss", ["cat", "dog"], 2)
    (Watched(codes=(1,), floor=None), None)
    >>> monitored_class("val_critical:dog,cat", ["cat", "dog"], 2)
    Watched(codes=(1, 0), floor=0.5)
    """
    if monitor.startswith(RECALL_MONITOR_PREFIX):
        return Watched((resolve_class(monitor[len(RECALL_MONITOR_PREFIX):], classes, n_classes, "monitor"),))
    if monitor.startswith(CRITICAL_MONITOR_PREFIX):
        names = monitor[len(CRITICAL_MONITOR_PREFIX):].split(",")
        # named as `critical`: these are the critical classes (an unknown one in streamed training, which resolves
        # the names only here, gets the message of data read whole)
        codes = tuple(dict.fromkeys(resolve_class(name, classes, n_classes, "critical") for name in names))
        return Watched(codes, float(floor))
    return None
