"""multiclass: K-class classification with softmax neural networks.

The library in one screen: `ModelConfig` + `build_model` make the network (logits out), `TrainConfig` +
`train` fit it with early stopping, `multiclass.metrics` measures it, and `SoftmaxClassifier` wraps it all
for scikit-learn.
"""

from multiclass._version import __version__

from multiclass import decisions, functional, metrics
from multiclass.estimator import SoftmaxClassifier
from multiclass.exceptions import ConfigError, DataError, ModelFileError, MulticlassError, NotFittedError
from multiclass.models import MLP, ModelConfig, build_model
from multiclass.training import EarlyStopping, TrainConfig, TrainResult, train

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
