"""The package's own error and warning classes.

Every error the library raises on purpose is a `MulticlassError`, so callers (and the CLI, which maps them to
exit code 2) can tell an expected problem with the input from a bug. Each also subclasses the builtin that
describes it (`ValueError`, `TypeError`, ...) so ordinary ``except ValueError`` code keeps working.

Two classes also subclass scikit-learn's (`NotFittedError`, `UndefinedMetricWarning`), so that scikit-learn's own
checks recognise them. Importing scikit-learn costs ~2 s of CPU, so those two are made on first use (PEP 562
module ``__getattr__``): ``from multiclass.exceptions import DataError`` never imports scikit-learn.
"""

from __future__ import annotations

__all__ = [
    "MulticlassError",
    "ConfigError",
    "DataError",
    "ModelFileError",
    "DivergedError",
    "NotFittedError",
    "EngineFallbackWarning",
    "LikelyLogitsWarning",
    "DataWarning",
    "EpochLimitWarning",
    "UndefinedMetricWarning",
]


class MulticlassError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(MulticlassError, ValueError):
    """A configuration value (hyperparameter, option) is invalid."""


class DataError(MulticlassError, ValueError):
    """Input data cannot be used: wrong shape, bad values, too few examples of a class."""


class DivergedError(ConfigError):
    """Training produced a non-finite loss: the options (learning rate, L2, class weights) make it diverge."""


class ModelFileError(MulticlassError, ValueError):
    """A model directory is missing, corrupt, tampered with or of an unknown format version."""


class LikelyLogitsWarning(UserWarning):
    """Probabilities were expected but the rows look like logits (the double-softmax mistake)."""


class DataWarning(UserWarning):
    """The data was used, but not as given: a column left out, a class too small to validate, a guessed format.

    One line that names the file, column or class and what was done; a face (CLI) prints each as one line.
    """


class EpochLimitWarning(UserWarning):
    """Training stopped at its epoch limit while the model was still improving (its best epoch in the last 10 %)."""


class EngineFallbackWarning(UserWarning):
    """A fast training engine could not run as asked (e.g. a failed CUDA-graph capture) and a slower one took over."""


def _not_fitted_error() -> type:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(MulticlassError, SklearnNotFittedError):
        """A model or estimator is used before it was fitted (also scikit-learn's NotFittedError)."""

    return NotFittedError


def _undefined_metric_warning() -> type:
    from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefinedMetricWarning

    class UndefinedMetricWarning(SklearnUndefinedMetricWarning):
        """A metric is ill-defined (e.g. precision of a class never predicted) and `zero_division` decided it."""

    return UndefinedMetricWarning


_LAZY = {"NotFittedError": _not_fitted_error, "UndefinedMetricWarning": _undefined_metric_warning}


def __getattr__(name: str):
    """Build the scikit-learn subclasses on first use, once (PEP 562)."""
    if name in _LAZY:
        cls = _LAZY[name]()
        cls.__module__ = __name__
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
