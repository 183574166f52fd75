"""The package's own error and warning classes.

Every error the library raises on purpose is a `MulticlassError`, so callers (and the CLI, which maps them to
exit code 2) can tell an expected problem with the input from a bug. Each also subclasses the builtin that
describes it (`ValueError`, `TypeError`, ...) so ordinary ``except ValueError`` code keeps working.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.exceptions import UndefinedMetricWarning as _SklearnUndefinedMetricWarning

__all__ = [
    "MulticlassError",
    "ConfigError",
    "DataError",
    "ModelFileError",
    "NotFittedError",
    "LikelyLogitsWarning",
    "DataWarning",
    "UndefinedMetricWarning",
]


class MulticlassError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(MulticlassError, ValueError):
    """A configuration value (hyperparameter, option) is invalid."""


class DataError(MulticlassError, ValueError):
    """Input data cannot be used: wrong shape, bad values, too few examples of a class."""


class ModelFileError(MulticlassError, ValueError):
    """A model directory is missing, corrupt, tampered with or of an unknown format version."""


class NotFittedError(MulticlassError, _SklearnNotFittedError):
    """A model or estimator is used before it was fitted (also scikit-learn's NotFittedError)."""


class LikelyLogitsWarning(UserWarning):
    """Probabilities were expected but the rows look like logits (the double-softmax mistake)."""


class DataWarning(UserWarning):
    """The data was used, but not as given: a column left out, a class too small to validate, a guessed format.

    One line that names the file, column or class and what was done; a face (CLI) prints each as one line.
    """


class UndefinedMetricWarning(_SklearnUndefinedMetricWarning):
    """A metric is ill-defined (e.g. precision of a class never predicted) and `zero_division` decided it."""
