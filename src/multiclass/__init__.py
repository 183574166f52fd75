"""multiclass: K-class classification with softmax neural networks.

The library on one screen -- each name is imported on first use (PEP 562, `multiclass.lazy`), so importing
the package costs nothing until a name is used:

- the verbs: `fit` (data -> model directory), `evaluate` (model + labelled data -> report), `predict` (model +
  data -> predictions file), `compare`, `sweep`;
- the model: `load_model`, `save_model`, `TrainedModel`; `SoftmaxClassifier` for scikit-learn;
- the parts: `ModelConfig` + `build_model` (the network, logits out), `TrainConfig` + `train` (the loop with early
  stopping), `metrics`, `decisions`, `functional`;
- the errors: `MulticlassError`, `ConfigError`, `DataError`, `ModelFileError`, `NotFittedError`.
"""

from multiclass._version import __version__
from multiclass.lazy import lazy_face

_EXPORTS = {
    "fit": "multiclass.jobs.fit:fit",
    "evaluate": "multiclass.jobs.evaluate:evaluate",
    "predict": "multiclass.jobs.predict:predict",
    "compare": "multiclass.jobs.compare:compare",
    "sweep": "multiclass.jobs.sweep:sweep",
    "load_model": "multiclass.persistence:load_model",
    "save_model": "multiclass.persistence:save_model",
    "TrainedModel": "multiclass.trained:TrainedModel",
    "SoftmaxClassifier": "multiclass.estimator:SoftmaxClassifier",
    "ModelConfig": "multiclass.models:ModelConfig",
    "MLP": "multiclass.models:MLP",
    "build_model": "multiclass.models:build_model",
    "TrainConfig": "multiclass.training.config:TrainConfig",
    "TrainResult": "multiclass.training.loop:TrainResult",
    "EarlyStopping": "multiclass.training.early_stopping:EarlyStopping",
    "train": "multiclass.training.loop:train",
    "metrics": "multiclass.metrics",
    "decisions": "multiclass.decisions",
    "functional": "multiclass.functional",
    "MulticlassError": "multiclass.exceptions:MulticlassError",
    "ConfigError": "multiclass.exceptions:ConfigError",
    "DataError": "multiclass.exceptions:DataError",
    "ModelFileError": "multiclass.exceptions:ModelFileError",
    "NotFittedError": "multiclass.exceptions:NotFittedError",
}
__all__ = ["__version__", *_EXPORTS]
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
