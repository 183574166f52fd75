"""The package's own error and warning classes.

Every error the library raises on purpose is a `MulticlassError`, so callers (and the CLI, which maps them to
exit code 2) can tell an expected problem with the input from a bug. Each also subclasses the builtin that
describes it (`ValueError`, `TypeError`, ...) so ordinary ``except ValueError`` code keeps working.

The two classes that also subclass scikit-learn's (`NotFittedError`, `UndefinedMetricWarning`) are made on first
use (PEP 562 module ``__getattr__``): importing scikit-learn costs ~1.7 s of CPU, and the torch-free runtime
(`multiclass.runtime`) needs the other errors without it.
"""

from __future__ import annotations

__all__ = [
    "MulticlassError",
    "ConfigError",
    "DataError",
    "ModelFileError",
    "NotFittedError",
    "LikelyLogitsWarning",
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


class LikelyLogitsWarning(UserWarning):
    """Probabilities were expected but the rows look like logits (the double-softmax mistake)."""


def _sklearn_subclasses() -> dict[str, type]:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefinedMetricWarning

    class NotFittedError(MulticlassError, SklearnNotFittedError):
        """A model or estimator is used before it was fitted (also scikit-learn's NotFittedError)."""

    class UndefinedMetricWarning(SklearnUndefinedMetricWarning):
        """A metric is ill-defined (e.g. precision of a class never predicted) and `zero_division` decided it."""

    for cls in (NotFittedError, UndefinedMetricWarning):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__  # as if defined at the top level
    return {"NotFittedError": NotFittedError, "UndefinedMetricWarning": UndefinedMetricWarning}


def __getattr__(name: str) -> type:
    if name in ("NotFittedError", "UndefinedMetricWarning"):
        globals().update(_sklearn_subclasses())  # made once; later lookups find them in the module namespace
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
