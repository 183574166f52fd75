"""Conformal prediction sets, and alarms for the critical classes, as columns of the predictions file: ``set`` (the labels in the row's set, joined by
``|``), ``set_size``, ``abstain`` (the set is not exactly one class: escalate the row to a person) and a flag per
class ``in_set_<class>``. The numpy runtime, the torch path and the server compute them with this one function
from the same calibrated probabilities, so they write the same sets. With critical classes (``predict --critical``)
an ``alarm`` column is True where the decision is a critical class or, with the sets, a critical class is in the
row's set (a fault that cannot be ruled out).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence

import numpy as np

from multiclass.conformal.calibration import ConformalCalibration
from multiclass.conformal.sets import predict_sets
from multiclass.conformal.stored import NO_SETS, read_critical_entries
from multiclass.exceptions import ConfigError

__all__ = ["SEPARATOR", "add_alarm_column", "add_set_columns", "calibration_of", "critical_names", "set_columns"]

SEPARATOR = "|"


def calibration_of(document: dict, classes: Sequence[str]) -> ConformalCalibration:
    """The prediction-set calibration of a model.json, or a ConfigError when the model has none."""
    calibration = read_critical_entries(document, classes)["conformal"]
    if calibration is None:
        raise ConfigError(NO_SETS)
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


def critical_names(critical, classes: Sequence[str]) -> tuple[str, ...]:
    """The critical class names, checked against `classes` (ConfigError naming the unknown one)."""
    names = [str(c) for c in classes]
    for name in critical:
        if str(name) not in names:
            raise ConfigError(f"`critical` names class {name!r}, which is not one of the classes {names}.")
    return tuple(str(name) for name in critical)


def add_alarm_column(columns: MutableMapping, critical: Sequence[str], classes: Sequence[str],
                     labels: Callable[[np.ndarray], np.ndarray]) -> MutableMapping:
    """Append ``alarm`` (see the module docstring) to a predictions table, in place; returned."""
    names = [str(c) for c in classes]
    codes = np.array([names.index(str(name)) for name in critical], dtype=np.int64)
    wanted = {str(label) for label in labels(codes)}
    decided = np.asarray(columns["predicted"])
    alarm = np.isin(decided.astype(str), sorted(wanted))
    for name in critical:
        flag = f"in_set_{name}"
        if flag in columns:
            alarm |= np.asarray(columns[flag], dtype=bool)
    columns["alarm"] = alarm
    return columns
