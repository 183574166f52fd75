"""Training: the configuration, the one loop (resident or streamed rows, one or N ranks), validation, early
stopping, checkpoints and progress. Names are imported on first use (`multiclass.lazy`): the configuration
does not import torch."""

from multiclass.lazy import lazy_face

_EXPORTS = {
    "MONITORS": "multiclass.training.config:MONITORS",
    "TrainConfig": "multiclass.training.config:TrainConfig",
    "validate_train_config": "multiclass.training.config:validate_train_config",
    "EarlyStopping": "multiclass.training.early_stopping:EarlyStopping",
    "TrainResult": "multiclass.training.loop:TrainResult",
    "check_training_data": "multiclass.training.arrays:check_training_data",
    "train": "multiclass.training.loop:train",
    "train_stream": "multiclass.training.streaming:train_stream",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
