"""`TrainConfig`: every training hyperparameter, with its unit and the seed recipe's default."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from multiclass.classes import CRITICAL_MONITOR_PREFIX, CRITICAL_PRECISION_FLOOR, RECALL_MONITOR_PREFIX
from multiclass.engine.options import COMPILE_STEP, ENGINES, FUSED_IS_FLOAT32, PRECISIONS
from multiclass.exceptions import ConfigError

__all__ = ["MONITORS", "TrainConfig", "check_monitor_costs", "monitor_mode", "validate_train_config"]

# What early stopping can watch, and whether larger is better. "val_recall:<class>" watches one class's recall,
# "val_critical:<class>[,<class>]" the critical classes' recall at a precision floor (`multiclass.classes.Watched`);
# both increase. "val_cost" watches the mean cost per validation row of the minimum-expected-cost decisions under
# `TrainConfig.cost_matrix` (`multiclass.training.monitor`); it decreases.
MONITORS = {"val_loss": "min", "val_accuracy": "max", "val_macro_f1": "max", "val_cost": "min"}


@dataclass(frozen=True)
class TrainConfig:
    """Training hyperparameters (saved with the model).

    Parameters
    ----------
    lr : float, default=1e-3
        Adam learning rate (Keras' and PyTorch's default).
    batch_size : int, default=32
        Examples per optimisation step (the seed recipe; also Keras' default).
    epochs : int, default=100
        Upper bound on passes over the training data; early stopping usually ends sooner.
    l2 : float, default=0.0
        Penalty ``l2 * sum(W**2)`` over weight matrices (not biases); identical to Keras' ``l2(l2)``.
    label_smoothing : float in [0, 1], default=0.0
    val_split : float in [0, 1), default=0.1
        Fraction of the training data held out, stratified by class, for validation when no explicit
        validation data is given. 0 disables validation (and so early stopping).
    monitor : str, default="val_loss"
        "val_loss", "val_accuracy", "val_macro_f1", "val_cost", "val_recall:<class name>" or
        "val_critical:<class name>[,<class name>]" (the mean recall of those classes while each keeps precision
        >= `precision_floor` on the validation rows; `multiclass.classes.Watched`). "val_cost" is the mean cost
        per validation row of the decisions the model makes under `cost_matrix` (minimum expected cost from the
        uncalibrated softmax; `multiclass.training.monitor`), lower is better. ``fit`` watches "val_cost" when a
        cost matrix is given and no monitor is, else "val_critical:..." when critical classes are named: the cost
        wins, being the user's own statement of what each error costs.
    precision_floor : float in (0, 1], default=0.5
        The precision each critical class must keep for a "val_critical:..." monitor to count its recall
        (`multiclass.classes.CRITICAL_PRECISION_FLOOR`: at most one false alarm per case found).
    cost_matrix : tuple of tuples of float, shape (K, K), or None, default=None
        The costs a "val_cost" monitor prices decisions with, rows = true class and columns = decided class in
        class order; ``fit`` sets it from the decision's cost matrix (`multiclass.decisions.DecisionConfig`).
    patience : int or None, default=10
        Epochs without an improvement of more than `min_delta` before stopping; None never stops early
        (the best epoch is still restored).
    min_delta : float, default=0.0
        Smallest change of the monitored value that counts as an improvement (in its own units).
    lr_patience : int or None, default=None
        Multiply the learning rate by `lr_factor` after this many epochs without improvement of `monitor`
        (Keras' ReduceLROnPlateau); None keeps it constant. Keep it below `patience` to have an effect.
    lr_factor : float in (0, 1), default=0.2
    class_weight : None, "none", "balanced", "sqrt_balanced" or mapping class -> weight, default=None
        "balanced" uses ``n_samples / (n_classes * count_c)``, as scikit-learn; "sqrt_balanced" its square root.
        None: no weights, except that the auto recipe weighs tables and images "sqrt_balanced" and TF-IDF text
        "balanced" (`multiclass.jobs.plan.plan`); "none": no weights, said.
    seed : int, default=0
        Seeds the split, the initialisation, the shuffling and dropout.
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).
    checkpoint_every : int, default=1
        Epochs between checkpoints, when `train` is given a checkpoint path (one checkpoint costs a few ms for
        the seed network).
    engine : str, default="auto"
        What runs each epoch's steps (`multiclass.engine`): "eager" (autograd, the reference), "fused" (a
        hand-written step; on CPU a whole epoch in one compiled call, falling back to Python without a C
        compiler), "cuda_graph" (the step replayed from CUDA graphs; CUDA only) or "auto" (cuda_graph on CUDA,
        fused on CPU). All give the same training to float rounding, except that dropout masks differ. Sparse
        (CSR) rows train on `multiclass.engine.sparse.SparseEngine` (each batch's terms alone, lazy Adam) but with
        "eager", which densifies each batch (the reference).
    precision : {"float32", "bfloat16"}, default="float32"
        Arithmetic of the training steps' matrix products. "bfloat16" is mixed precision: products in bfloat16
        with float32 accumulation, while the weights (the master copy), Adam's moments, activations' gradients
        and the loss stay float32 -- ``torch.autocast`` on the eager engine, explicit casts in the CUDA-graph
        step ("auto" picks cuda_graph on CUDA, eager on CPU; the compiled CPU engine is float32 only).
        It pays off for wide layers on a GPU with bfloat16 tensor cores; the seed network's step is bound by
        kernel launches, not arithmetic, and gains nothing. Validation and predictions are float32.
    compile_step : {"auto", "always", "never"}, default="auto"
        Whether the CUDA-graph engine passes its step through ``torch.compile`` before capturing it: fused
        kernels, 2.4x faster per epoch for the seed network on an H100, same results to float rounding, for a
        one-off compile of ~13 s. "auto" compiles when ``epochs x batches per epoch`` is at least
        `multiclass.engine.cuda_graph.COMPILE_MIN_STEPS` (150,000; the seed job's 100 MNIST epochs with
        the default 10 % validation split are 168,750; early stopping may end a run sooner). Other engines never compile. A failed compile warns and trains with the plain step.
    verbose : bool, default=True
        Show the training progress on stderr: a live bar on a terminal, a line per epoch otherwise.
    log_every : int or None, default=None
        Write a progress line every this many epochs instead of the live bar (None: the bar on a terminal, a
        line every epoch when stderr is a file or a pipe).
    """

    lr: float = 1e-3
    batch_size: int = 32
    epochs: int = 100
    l2: float = 0.0
    label_smoothing: float = 0.0
    val_split: float = 0.1
    monitor: str = "val_loss"
    precision_floor: float = CRITICAL_PRECISION_FLOOR
    cost_matrix: tuple[tuple[float, ...], ...] | None = None
    patience: int | None = 10
    min_delta: float = 0.0
    lr_patience: int | None = None
    lr_factor: float = 0.2
    class_weight: str | Mapping[Any, float] | None = None
    seed: int = 0
    device: str = "cpu"
    engine: str = "auto"
    precision: str = "float32"
    compile_step: str = "auto"
    checkpoint_every: int = 1
    verbose: bool = True
    log_every: int | None = None

    def __post_init__(self):
        validate_train_config(self)
        if self.cost_matrix is not None:  # a list of lists (model.json) -> hashable tuples of floats
            object.__setattr__(self, "cost_matrix", check_monitor_costs(self.cost_matrix))

    def to_dict(self) -> dict:
        data = asdict(self)
        if isinstance(self.class_weight, Mapping):
            data["class_weight"] = {str(k): float(v) for k, v in self.class_weight.items()}
        return data


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_monitor_costs(costs, n_classes: int | None = None) -> tuple[tuple[float, ...], ...] | None:
    """`costs` as a (K, K) tuple of tuples of floats, K >= 2 (and K = `n_classes` when given); None stays None.
    ConfigError names what is wrong. (Plain Python: the config module imports neither numpy nor torch.)

    >>> check_monitor_costs([[0, 1], [5, 0]])
    ((0.0, 1.0), (5.0, 0.0))
    """
    if costs is None:
        return None
    try:
        rows = [[float(v) for v in row] for row in costs]
    except (TypeError, ValueError):
        raise ConfigError(f"`cost_matrix` must be a square matrix of numbers; got {costs!r}.") from None
    k = len(rows)
    if k < 2 or any(len(row) != k for row in rows):
        raise ConfigError(f"`cost_matrix` must be a square matrix (K, K) with K >= 2; got {costs!r}.")
    if n_classes is not None and k != n_classes:
        raise ConfigError(f"`cost_matrix` must be ({n_classes}, {n_classes}), one row and column per class; got "
                          f"({k}, {k}).")
    if not all(math.isfinite(v) for row in rows for v in row):
        raise ConfigError("`cost_matrix` must hold finite numbers; got NaN or infinity.")
    return tuple(tuple(row) for row in rows)


def validate_train_config(config: TrainConfig) -> None:
    """Raise `ConfigError` naming the first invalid field of `config`."""
    if not (_is_real(config.lr) and config.lr > 0):
        raise ConfigError(f"`lr` must be a finite number > 0; got {config.lr!r}.")
    for name in ("batch_size", "epochs"):
        value = getattr(config, name)
        if not (_is_int(value) and value >= 1):
            raise ConfigError(f"`{name}` must be an integer >= 1; got {value!r}.")
    if not (_is_real(config.l2) and config.l2 >= 0):
        raise ConfigError(f"`l2` must be a finite number >= 0; got {config.l2!r}.")
    if not (_is_real(config.label_smoothing) and 0 <= config.label_smoothing <= 1):
        raise ConfigError(f"`label_smoothing` must be in [0, 1]; got {config.label_smoothing!r}.")
    if not (_is_real(config.val_split) and 0 <= config.val_split < 1):
        raise ConfigError(f"`val_split` must be in [0, 1); got {config.val_split!r}.")
    if config.monitor not in MONITORS and not (
        isinstance(config.monitor, str)
        and any(config.monitor.startswith(prefix) and len(config.monitor) > len(prefix)
                for prefix in (RECALL_MONITOR_PREFIX, CRITICAL_MONITOR_PREFIX))
    ):
        raise ConfigError(
            f"`monitor` must be one of {sorted(MONITORS)}, 'val_recall:<class>' or 'val_critical:<class>[,<class>]'; "
            f"got {config.monitor!r}."
        )
    if not (_is_real(config.precision_floor) and 0 < config.precision_floor <= 1):
        raise ConfigError(f"`precision_floor` must be in (0, 1]; got {config.precision_floor!r}.")
    check_monitor_costs(config.cost_matrix)
    if config.patience is not None and not (_is_int(config.patience) and config.patience >= 1):
        raise ConfigError(f"`patience` must be an integer >= 1 or None; got {config.patience!r}.")
    if config.lr_patience is not None and not (_is_int(config.lr_patience) and config.lr_patience >= 1):
        raise ConfigError(f"`lr_patience` must be an integer >= 1 or None; got {config.lr_patience!r}.")
    if not (_is_real(config.lr_factor) and 0 < config.lr_factor < 1):
        raise ConfigError(f"`lr_factor` must be in (0, 1); got {config.lr_factor!r}.")
    if not (_is_real(config.min_delta) and config.min_delta >= 0):
        raise ConfigError(f"`min_delta` must be a finite number >= 0; got {config.min_delta!r}.")
    weight = config.class_weight
    if not (weight is None or weight in ("balanced", "sqrt_balanced", "none") or isinstance(weight, Mapping)):
        raise ConfigError(f"`class_weight` must be None, 'none', 'balanced', 'sqrt_balanced' or a mapping class -> "
                          f"weight; got {weight!r}.")
    if isinstance(weight, Mapping):
        for key, value in weight.items():
            if not (_is_real(value) and value >= 0):
                raise ConfigError(f"`class_weight` values must be finite numbers >= 0; got {value!r} for {key!r}.")
    if not _is_int(config.seed):
        raise ConfigError(f"`seed` must be an integer; got {config.seed!r}.")
    if not isinstance(config.device, str):
        raise ConfigError(f"`device` must be a string such as 'cpu' or 'cuda'; got {config.device!r}.")
    if not (_is_int(config.checkpoint_every) and config.checkpoint_every >= 1):
        raise ConfigError(f"`checkpoint_every` must be an integer >= 1; got {config.checkpoint_every!r}.")
    if config.log_every is not None and not (_is_int(config.log_every) and config.log_every >= 1):
        raise ConfigError(f"`log_every` must be an integer >= 1 or None; got {config.log_every!r}.")
    if config.engine not in ENGINES:
        raise ConfigError(f"`engine` must be one of {list(ENGINES)}; got {config.engine!r}.")
    if config.precision not in PRECISIONS:
        raise ConfigError(f"`precision` must be one of {list(PRECISIONS)}; got {config.precision!r}.")
    if config.compile_step not in COMPILE_STEP:
        raise ConfigError(f"`compile_step` must be one of {list(COMPILE_STEP)}; got {config.compile_step!r}.")
    if config.precision == "bfloat16" and config.engine == "fused":
        raise ConfigError(FUSED_IS_FLOAT32)


def monitor_mode(monitor: str) -> str:
    """'min' or 'max': the direction in which `monitor` improves."""
    return MONITORS.get(monitor, "max")
