"""multiclass: K-class classification with softmax neural networks.

The library in one screen: `ModelConfig` + `build_model` make the network (logits out), `TrainConfig` +
`train` fit it with early stopping, `multiclass.metrics` measures it, and `SoftmaxClassifier` wraps it all
for scikit-learn.

The names below are imported on first use (PEP 562 ``__getattr__``), so ``import multiclass.runtime`` loads
neither torch nor scikit-learn: ``from multiclass import train`` works as before.
"""

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it (a module name alone: the name is that submodule)
_LAZY = {
    "decisions": "multiclass.decisions",
    "functional": "multiclass.functional",
    "metrics": "multiclass.metrics",
    "SoftmaxClassifier": "multiclass.estimator",
    "ConfigError": "multiclass.exceptions",
    "DataError": "multiclass.exceptions",
    "ModelFileError": "multiclass.exceptions",
    "MulticlassError": "multiclass.exceptions",
    "NotFittedError": "multiclass.exceptions",
    "MLP": "multiclass.models",
    "ModelConfig": "multiclass.models",
    "build_model": "multiclass.models",
    "EarlyStopping": "multiclass.training",
    "TrainConfig": "multiclass.training",
    "TrainResult": "multiclass.training",
    "train": "multiclass.training",
}

__all__ = [
    "__version__",
    "decisions",
    "functional",
    "metrics",
    "SoftmaxClassifier",
    "ModelConfig",
    "MLP",
    "build_model",
    "TrainConfig",
    "TrainResult",
    "EarlyStopping",
    "train",
    "MulticlassError",
    "ConfigError",
    "DataError",
    "ModelFileError",
    "NotFittedError",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"{__name__}.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
