"""Class names and class codes: which code a name means, the weight of each class, the class a metric watches.

One definition for every layer: training, the sweep, the decision policies and the report all resolve a class a
user names (``class_weight={"fault": 5}``, ``monitor="val_recall:fault"``, ``target_recall={"fault": 0.95}``)
through `resolve_class`, so a misspelt name gets the same message everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from multiclass.exceptions import ConfigError

__all__ = ["RECALL_MONITOR_PREFIX", "monitored_class", "resolve_class", "resolve_class_weight"]

# A monitor "val_recall:<class>" watches the validation recall of one class.
RECALL_MONITOR_PREFIX = "val_recall:"


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
    """A (K,) weight per class code from None, "balanced" or a mapping class -> weight (missing classes: 1).

    "balanced" is scikit-learn's ``n_samples / (n_classes * count_c)``, over the classes present.

    Parameters
    ----------
    class_weight : None, "balanced" or mapping class -> weight
    counts : array-like of int, shape (n_classes,)
        Training rows of each class (``np.bincount(y, minlength=K)``; a streamed scan's class counts).
    classes : sequence of K names, optional
        Lets the mapping name classes; without names its keys are codes.

    Examples
    --------
    >>> resolve_class_weight("balanced", np.array([3, 1]))
    array([0.66666667, 2.        ])
    """
    counts = np.asarray(counts, dtype=np.float64)
    n_classes = len(counts)
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        n_present = np.count_nonzero(counts)
        return np.where(counts > 0, counts.sum() / (n_present * np.maximum(counts, 1)), 1.0)
    if isinstance(class_weight, Mapping):
        weights = np.ones(n_classes)
        for key, value in class_weight.items():
            weights[resolve_class(key, classes, n_classes, "class_weight")] = float(value)
        if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
            raise ConfigError("`class_weight` must give every class a finite weight >= 0, and some class a positive "
                              f"one; got {dict(class_weight)!r}.")
        return weights
    raise ConfigError(f"`class_weight` must be None, 'balanced' or a mapping class -> weight; got {class_weight!r}.")


def monitored_class(monitor: str, classes: Sequence | None, n_classes: int) -> int | None:
    """The code of the class whose recall a ``"val_recall:<class>"`` monitor watches; None for other monitors.

    Examples
    --------
    >>> monitored_class("val_recall:dog", ["cat", "dog"], 2), monitored_class("val_loss", ["cat", "dog"], 2)
    (1, None)
    """
    if not monitor.startswith(RECALL_MONITOR_PREFIX):
        return None
    return resolve_class(monitor[len(RECALL_MONITOR_PREFIX):], classes, n_classes, "monitor")
