"""Conformal prediction sets as columns of the predictions file: ``set`` (the labels in the row's set, joined by
``|``), ``set_size``, ``abstain`` (the set is not exactly one class: escalate the row to a person) and a flag per
class ``in_set_<class>``. The numpy runtime, the torch path and the server compute them with this one function
from the same calibrated probabilities, so they write the same sets.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence

import numpy as np

from multiclass.conformal.calibration import ConformalCalibration
from multiclass.conformal.sets import predict_sets
from multiclass.conformal.stored import read_critical_entries
from multiclass.exceptions import ConfigError

__all__ = ["SEPARATOR", "add_set_columns", "calibration_of", "set_columns"]

SEPARATOR = "|"


def calibration_of(document: dict, classes: Sequence[str]) -> ConformalCalibration:
    """The prediction-set calibration of a model.json, or a ConfigError when the model has none."""
    calibration = read_critical_entries(document, classes)["conformal"]
    if calibration is None:
        raise ConfigError("the model has no prediction sets; train it with `coverage` (--coverage) set.")
    return calibration


def set_columns(probs: np.ndarray, calibration: ConformalCalibration, classes: Sequence[str],
                labels: Callable[[np.ndarray], np.ndarray]) -> dict[str, np.ndarray]:
    """The set columns (see the module docstring) of calibrated probabilities (N, K)."""
    members = predict_sets(np.ascontiguousarray(probs, dtype=np.float64), calibration)  # (N, K) bool
    names = [str(label) for label in labels(np.arange(len(classes)))]
    text = np.array([SEPARATOR.join(names[k] for k in np.flatnonzero(row)) for row in members], dtype=object)
    sizes = members.sum(axis=1)
    columns = {"set": text, "set_size": sizes.astype(np.int64), "abstain": sizes != 1}
    for code, name in enumerate(classes):
        columns[f"in_set_{name}"] = members[:, code]
    return columns


def add_set_columns(columns: MutableMapping, calibration: ConformalCalibration, classes: Sequence[str],
                    labels: Callable[[np.ndarray], np.ndarray]) -> MutableMapping:
    """Append the set columns to a predictions table (a dict of columns or a DataFrame) from its own ``p_<class>``
    columns, in place; returned."""
    probs = np.column_stack([np.asarray(columns[f"p_{name}"], dtype=np.float64) for name in classes])  # (N, K)
    for name, values in set_columns(probs.reshape(-1, len(classes)), calibration, classes, labels).items():
        columns[name] = values
    return columns
