"""Training: configuration, early stopping, the stratified split and the loop itself."""

from multiclass.training.config import MONITORS, TrainConfig, validate_train_config
from multiclass.training.early_stopping import EarlyStopping
from multiclass.training.loop import TrainResult, check_training_data, train

__all__ = [
    "MONITORS",
    "TrainConfig",
    "validate_train_config",
    "EarlyStopping",
    "TrainResult",
    "check_training_data",
    "train",
]
