"""The `sweep` verb -- many models at once: train every configuration of a hyperparameter grid together and rank
them.

`sweep` splits the data once (stratified, by the base config's seed) so every configuration is scored on
the same validation rows, groups the configurations whose parameters have the same shapes, and trains each
group as one stack of weights (`multiclass.sweep.stacked`, `multiclass.sweep.loop`). Each model still has
its own initialisation, data order, hyperparameters and early stopping. The result ranks them by validation
macro-F1 and turns any of them back into an ordinary `MLP` / `TrainedModel` that `save_model` can write.

Examples
--------
>>> from sklearn.datasets import load_digits
>>> X, y = load_digits(return_X_y=True)
>>> result = sweep(X / 16, y, grid="lr=1e-3,1e-2;seed=0,1", config=TrainConfig(epochs=2, verbose=False))
>>> len(result.leaderboard())
4
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from multiclass.data import Dataset
from multiclass.devices import resolve_device
from multiclass.exceptions import ConfigError, DataError
from multiclass.models import MLP, build_model
from multiclass.sweep.grid import TrialResult, expand_grid
from multiclass.sweep.leaderboard import LeaderboardRow, leaderboard
from multiclass.sweep.loop import train_trials
from multiclass.jobs.evaluate import evaluate_arrays, validation_summary
from multiclass.jobs.fit_result import data_info
from multiclass.trained import TrainedModel
from multiclass.classes import resolve_class_weight
from multiclass.data.split import stratified_split
from multiclass.training import TrainConfig, check_training_data
from multiclass.training.monitor import watched_of

__all__ = ["SweepResult", "sweep"]



@dataclass(eq=False)
class SweepResult:
    """Every configuration's training record, in grid order, and the means to rank and rebuild them.

    Attributes
    ----------
    results : list of TrialResult
    classes : tuple of str
    X_val, y_val : ndarray
        The validation rows every configuration was scored on.
    preprocessor, data_info
        Carried from a `Dataset` into `trained_model`, so the saved model reads raw data.
    train_time : float
        Seconds for the whole sweep.
    """

    results: list[TrialResult] = field(repr=False)
    classes: tuple[str, ...]
    X_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    preprocessor: Any = field(default=None, repr=False)
    data_info: dict = field(default_factory=dict, repr=False)
    train_time: float = 0.0

    def leaderboard(self) -> list[LeaderboardRow]:
        """Configurations ranked by validation macro-F1 at their best epoch, best first."""
        return leaderboard(self.results)

    @property
    def best_index(self) -> int:
        """Grid position of the top configuration."""
        return self.leaderboard()[0].index

    @property
    def best(self) -> TrialResult:
        return self.results[self.best_index]

    def model(self, index: int | None = None) -> MLP:
        """The configuration at grid position `index` (default: the best) as an `MLP` holding its best weights."""
        result = self.results[self.best_index if index is None else index]
        network = build_model(result.trial.model_config, seed=result.trial.train_config.seed)
        network.load_state_dict(result.state)
        return network.eval()

    def trained_model(self, index: int | None = None) -> TrainedModel:
        """A `TrainedModel` (what `multiclass.persistence.save_model` writes) of one configuration."""
        index = self.best_index if index is None else index
        result = self.results[index]
        trained = TrainedModel(
            model=self.model(index), classes=self.classes, preprocessor=self.preprocessor,
            train_config=result.trial.train_config, history=result.history, best_epoch=result.best_epoch,
            stop_reason=result.stop_reason, data_info=self.data_info,
        )
        trained.validation = validation_summary(evaluate_arrays(trained, self.X_val, self.y_val))
        return trained


def _features_and_codes(data, y, classes):
    """(X, y codes, class names, preprocessor, data_info) from a `Dataset` or from arrays."""
    if isinstance(data, Dataset):
        if data.y is None:
            raise DataError(f"{data.source}: a sweep needs labels; the data has no target.")
        if data.n_classes < 2:
            raise DataError(f"{data.source}: a sweep needs at least 2 classes; got {data.n_classes}.")
        # data_info as fit_dataset records it, so a saved best model reads raw data the same way
        return data.X, data.y, tuple(data.classes), data.preprocessor, data_info(data)
    if y is None:
        raise DataError("`y` must be given with an array `X` (or pass a Dataset).")
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"`y` must be 1-D integer class codes for a sweep; got shape {y.shape}, dtype {y.dtype}.")
    n_classes = len(classes) if classes is not None else int(y.max()) + 1 if len(y) else 0
    names = tuple(str(c) for c in classes) if classes is not None else tuple(str(c) for c in range(n_classes))
    if n_classes < 2:
        raise DataError(f"a sweep needs at least 2 classes; got {n_classes}.")
    X = np.asarray(data)
    X, y = check_training_data(X, y, X.shape[1] if X.ndim == 2 else -1, n_classes)
    return X, y, names, None, {}


def sweep(
    data, y=None, *, grid=None, config: TrainConfig | None = None, hidden: Sequence[int] = (25, 15),
    activation: str = "relu", dropout: float = 0.0, X_val=None, y_val=None, classes: Sequence | None = None,
) -> SweepResult:
    """Train every configuration of `grid` at once and return them ranked-ready.

    Parameters
    ----------
    data : Dataset or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), optional
        Integer class codes when `data` is an array.
    grid : str, sequence of str, mapping, or None
        See `parse_grid`: ``"lr=1e-3,3e-3;l2=0,1e-4;seed=0,1,2"``. None trains the base config alone.
    config : TrainConfig, optional
        The base training config; grid keys override its fields. Its `seed` also seeds the validation split
        and the dropout masks; its `monitor`, `patience` and `min_delta` drive every model's early stopping.
    hidden, activation, dropout
        The base network (grid keys ``hidden``, ``activation``, ``dropout`` override them).
    X_val, y_val : array-like, optional
        Explicit validation rows instead of a split of ``config.val_split``.
    classes : sequence, optional
        Class names for array data (default "0", "1", ...).

    Returns
    -------
    SweepResult

    Raises
    ------
    ConfigError
        A bad grid, no validation data (``val_split=0`` and no `X_val`), ``lr_patience`` or a ``precision`` other
        than float32 (not supported).
    DataError
        Unusable data (as `train`).
    """
    config = config or TrainConfig()
    if config.lr_patience is not None:
        raise ConfigError(f"`lr_patience` is not supported by sweep; got {config.lr_patience!r} (use None).")
    if config.precision != "float32":
        raise ConfigError(f"`precision` {config.precision!r} is not supported by sweep (stacked float32 models).")
    X, codes, names, preprocessor, data_info = _features_and_codes(data, y, classes)
    n_classes = len(names)
    if X_val is not None or y_val is not None:
        if X_val is None or y_val is None:
            raise DataError("`X_val` and `y_val` must be given together.")
        X_tr, y_tr = X, codes
        X_va, y_va = check_training_data(X_val, y_val, X.shape[1], n_classes, name="X_val")
        if y_va.ndim != 1:
            raise DataError("`y_val` must be 1-D integer class codes for a sweep.")
    elif config.val_split > 0:
        train_idx, val_idx = stratified_split(codes, config.val_split, seed=config.seed, classes=names)
        X_tr, y_tr, X_va, y_va = X[train_idx], codes[train_idx], X[val_idx], codes[val_idx]
    else:
        raise ConfigError("`val_split` must be > 0 for a sweep (it ranks models on validation data); got 0, "
                          "or pass X_val and y_val.")
    trials = expand_grid(grid, config, n_features=X.shape[1], n_classes=n_classes, hidden=hidden,
                         activation=activation, dropout=dropout)
    recall_of = watched_of(config, names, n_classes)
    class_weight = resolve_class_weight(config.class_weight, np.bincount(y_tr, minlength=n_classes), names)
    device = resolve_device(config.device)

    started = time.perf_counter()
    results = train_trials(trials, X_tr, y_tr, X_va, y_va, class_weight=class_weight, recall_of=recall_of,
                           device=device, dropout_seed=config.seed, verbose=config.verbose)
    return SweepResult(results=results, classes=names, X_val=X_va, y_val=y_va, preprocessor=preprocessor,
                       data_info=data_info, train_time=time.perf_counter() - started)
