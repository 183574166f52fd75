"""Parse a hyperparameter grid (``"lr=1e-3,3e-3;l2=0,1e-4"``) into the list of configurations it spans.

A grid names each key once with one or more comma-separated values; the configurations are the cartesian
product, in the order the keys and values were written (the last key varies fastest, like nested loops).
Every value is checked against the rule `TrainConfig` / `ModelConfig` applies to its field, so a bad value is
refused before any training with that field's own message.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from multiclass.exceptions import ConfigError, MulticlassError
from multiclass.models import ModelConfig
from multiclass.training import TrainConfig

__all__ = ["GRID_KEYS", "Trial", "TrialResult", "expand_grid", "parse_grid"]


def _float(text: str) -> float:
    return float(text)


def _int(text: str) -> int:
    return int(text)


def _patience(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def _hidden(text: str) -> tuple[int, ...]:
    """'25x15' -> (25, 15); 'none' -> () (softmax regression). Commas separate values, so widths use 'x'."""
    return () if text.lower() == "none" else tuple(int(part) for part in text.split("x"))


# key -> (parser of one value, what a value looks like). Keys of TrainConfig fields first, then model fields.
GRID_KEYS = {
    "lr": (_float, "a number such as 1e-3"),
    "l2": (_float, "a number such as 1e-4"),
    "label_smoothing": (_float, "a number in [0, 1]"),
    "seed": (_int, "an integer"),
    "batch_size": (_int, "an integer"),
    "epochs": (_int, "an integer"),
    "patience": (_patience, "an integer or 'none'"),
    "dropout": (_float, "a number in [0, 1)"),
    "hidden": (_hidden, "widths joined by 'x' such as 25x15, or 'none'"),
    "activation": (str, "an activation name such as relu"),
}
_ALIASES = {"batch": "batch_size", "batch-size": "batch_size", "label-smoothing": "label_smoothing"}
_MODEL_KEYS = ("dropout", "hidden", "activation")


@dataclass(frozen=True)
class Trial:
    """One configuration of a sweep.

    Attributes
    ----------
    params : tuple of (key, value) pairs
        The grid values that define this configuration (what a leaderboard shows).
    train_config : TrainConfig
        The base training config with the grid's training keys applied.
    model_config : ModelConfig
        The network; all trials of one stack share its shape (`stack_key`).
    keep_last : bool, default=False
        A fixed-length training: it runs its ``train_config.epochs`` (give it ``patience=None``) and keeps its last
        epoch's weights, as scikit-learn's MLPClassifier does; else the best epoch's (the validation rows still
        score every epoch).
    solver : {"adam", "lbfgs"}, default="adam"
        "lbfgs": a network with no hidden layer fitted to convergence by L-BFGS on all its rows at once
        (`multiclass.sweep.converged`), not trained in epochs; its learning rate and batch size are unused.
    """

    params: tuple[tuple[str, Any], ...]
    train_config: TrainConfig
    model_config: ModelConfig
    keep_last: bool = False
    solver: str = "adam"

    @property
    def stack_key(self) -> tuple:
        """Trials with equal keys have identically shaped parameters and batches, so they can train stacked."""
        return (self.model_config.hidden, self.model_config.activation, self.train_config.batch_size)

    def label(self) -> str:
        """'lr=0.001 l2=0' (or 'base' for a grid without keys)."""
        return " ".join(f"{key}={_show(value)}" for key, value in self.params) or "base"


@dataclass(eq=False)  # holds tensors: compare results by identity
class TrialResult:
    """How one configuration trained: the same fields as `multiclass.training.TrainResult`, minus the model.

    Attributes
    ----------
    trial : Trial
    history : list of dict
        One record per epoch with the eager loop's keys (epoch, train_loss, lr, val_loss, val_accuracy,
        val_macro_f1, val_score, epoch_time); epoch_time is the time of the whole stacked epoch (of the model's own
        epoch when it trained alone, `multiclass.sweep.alone`).
    best_epoch : int
    best_score : float or None
    monitor : str
    stop_reason : {"early_stopping", "max_epochs", "fixed_length", "interrupted", "converged", "iteration_limit"}
    state : dict of str -> Tensor
        The best epoch's weights as an `MLP` state dict (CPU).
    """

    trial: Trial
    history: list[dict] = field(default_factory=list, repr=False)
    best_epoch: int = 0
    best_score: float | None = None
    monitor: str = "val_loss"
    stop_reason: str = "max_epochs"
    state: dict = field(default_factory=dict, repr=False)

    @classmethod
    def not_started(cls, trial: Trial) -> TrialResult:
        """The result of a trial Ctrl-C kept from starting: no epochs, stop reason ``"interrupted"``."""
        return cls(trial=trial, monitor=trial.train_config.monitor, stop_reason="interrupted")

    @property
    def n_epochs(self) -> int:
        return len(self.history)

    @property
    def best_record(self) -> dict:
        """The history record of the best epoch."""
        return self.history[self.best_epoch - 1] if self.history else {}


def _show(value) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value)) or "none"
    return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _split_spec(spec: str) -> list[tuple[str, str]]:
    """'lr=1,2; l2=0' -> [('lr', '1,2'), ('l2', '0')]."""
    parts = []
    for chunk in spec.split(";"):
        if not chunk.strip():
            continue
        key, sep, values = chunk.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"`grid` entries must look like key=value1,value2; got {chunk.strip()!r}.")
        parts.append((key.strip(), values))
    return parts


def _check_value(key: str, value, base: TrainConfig, model: ModelConfig) -> None:
    """Apply `value` to the config field `key` so its own validation runs; re-raise naming the grid."""
    try:
        if key in _MODEL_KEYS:
            replace(model, **{key: value})
        else:
            replace(base, **{key: value})
    except MulticlassError as error:
        raise ConfigError(f"grid key `{key}`: {error}") from None
    except (TypeError, ValueError):  # e.g. ModelConfig's int() of a width that is not a number
        raise ConfigError(f"grid key `{key}` values must each be {GRID_KEYS[key][1]}; got {value!r}.") from None


def parse_grid(grid: str | Sequence[str] | Mapping[str, Sequence] | None) -> dict[str, list]:
    """Turn a grid spec into ``{key: [values]}`` (keys in the order given).

    Parameters
    ----------
    grid : str, sequence of str, mapping key -> values, or None
        ``"lr=1e-3,3e-3;l2=0,1e-4"``, or one such string per key (the CLI's repeated ``--grid``), or a mapping
        ``{"lr": [1e-3, 3e-3]}``. Keys are those of `GRID_KEYS` (``batch`` is an alias of ``batch_size``).

    Raises
    ------
    ConfigError
        Unknown or repeated key, missing or unparsable value, a value listed twice.

    Examples
    --------
    >>> parse_grid("lr=1e-3,3e-3; seed=0,1")
    {'lr': [0.001, 0.003], 'seed': [0, 1]}
    """
    if grid is None:
        return {}
    if isinstance(grid, Mapping):
        items = [(str(key), list(values) if isinstance(values, (list, tuple)) else [values])
                 for key, values in grid.items()]
    else:
        specs = [grid] if isinstance(grid, str) else list(grid)
        items = [(key, text) for spec in specs for key, text in _split_spec(spec)]
    parsed: dict[str, list] = {}
    for raw_key, raw_values in items:
        key = _ALIASES.get(raw_key, raw_key)
        if key not in GRID_KEYS:
            raise ConfigError(f"`grid` key must be one of {sorted(GRID_KEYS)}; got {raw_key!r}.")
        if key in parsed:
            raise ConfigError(f"`grid` names the key {key!r} twice; list all its values once: {key}=a,b.")
        parse, looks_like = GRID_KEYS[key]
        if isinstance(raw_values, str):
            texts = [text.strip() for text in raw_values.split(",")]
            if not raw_values.strip() or any(not text for text in texts):
                raise ConfigError(f"grid key `{key}` needs comma-separated values; got {raw_values!r}.")
            try:
                values = [parse(text) for text in texts]
            except ValueError:
                bad = next(text for text in texts if not _parses(parse, text))
                raise ConfigError(f"grid key `{key}` values must each be {looks_like}; got {bad!r}.") from None
        else:
            values = raw_values
        if not values:
            raise ConfigError(f"grid key `{key}` needs at least one value; got none.")
        for value in values:
            if values.count(value) > 1:
                raise ConfigError(f"grid key `{key}` lists the value {_show(value)!r} twice.")
        parsed[key] = values
    return parsed


def _parses(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def expand_grid(
    grid, base: TrainConfig, *, n_features: int, n_classes: int, hidden=(25, 15), activation: str = "relu",
    dropout: float = 0.0,
) -> list[Trial]:
    """Every configuration of the cartesian product of `grid` over the base configs, as `Trial` values.

    Keys absent from the grid keep the base value (`base`, `hidden`, `activation`, `dropout`). Each value is
    validated by the config field it sets, and the error names the grid key.

    Raises
    ------
    ConfigError
        From `parse_grid`, or a value its config field refuses, e.g.
        ``grid key `lr`: `lr` must be a finite number > 0; got -1.0.``
    """
    values = parse_grid(grid)
    model = ModelConfig(n_features, n_classes, tuple(hidden), activation, dropout)
    for key, options in values.items():
        for value in options:
            _check_value(key, value, base, model)
    trials = []
    for combo in itertools.product(*values.values()):
        params = tuple(zip(values, combo))
        train_fields = {k: v for k, v in params if k not in _MODEL_KEYS}
        model_fields = {k: v for k, v in params if k in _MODEL_KEYS}
        trials.append(Trial(params, replace(base, **train_fields), replace(model, **model_fields)))
    return trials
