"""Out-of-fold probabilities: K stratified folds, model j trained on the rows outside fold j, predicting fold j.

Every row then has probabilities from a model that never saw it, which confident learning needs. The K models
are one network shape, so they train together on the stacked many-models engine (`multiclass.sweep.loop`), each
with its own rows, early stopping and best weights; or one after another with `multiclass.training.train`. Both
give the same models (to float rounding, dropout 0): the choice is one of speed (``engine``).

The rows of model j: every row outside fold j; of those, a stratified ``val_split`` share early-stops it, and
the rest train it. The training sets are made equally long (the longer ones move their few surplus rows, at
random, to their validation part) so the stacked engine steps every model through exactly one pass of its own
rows per epoch, as `train` would -- no row repeated, none skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from multiclass.classes import resolve_class_weight
from multiclass.devices import resolve_device
from multiclass.exceptions import ConfigError, DataError
from multiclass.models import ModelConfig, build_model, predict_log_proba
from multiclass.sweep.grid import Trial
from multiclass.sweep.loop import FIXED_LENGTH, train_stacked, train_trials
from multiclass.training import TrainConfig, train
from multiclass.training.monitor import watched_of

__all__ = ["ENGINES", "FoldPlan", "FoldRecipe", "OutOfFold", "out_of_fold_probabilities", "plan_folds",
           "stratified_folds"]

ENGINES = ("auto", "stacked", "separate")


@dataclass(frozen=True)
class FoldRecipe:
    """The network and training of every fold model (the seed recipe by default).

    This is the seam for `train`'s automatic recipe: once `train` picks its network and hyperparameters from
    the data, build a `FoldRecipe` from the same choice so the audit's models are the ones `train` would fit.
    ``config.val_split`` is each fold model's early-stopping share of its rows; ``config.seed`` seeds the folds,
    the splits and every model's initialisation and data order.
    """

    hidden: tuple[int, ...] = (25, 15)
    activation: str = "relu"
    dropout: float = 0.0
    config: TrainConfig = field(default_factory=lambda: TrainConfig(verbose=False))
    # a fixed-length recipe (`multiclass.training.recipes.fixed_length_candidates`): every fold model runs
    # ``config.epochs`` and keeps its last epoch's weights
    keep_last: bool = False
    # "lbfgs": every fold model is a softmax regression fitted to convergence (`multiclass.sweep.converged`; the
    # recipe's cross-validated winner can be one), on its training rows, whatever the engine; its early-stopping
    # rows only score it
    solver: str = "adam"

    def model_config(self, n_features: int, n_classes: int) -> ModelConfig:
        return ModelConfig(n_features, n_classes, tuple(self.hidden), self.activation, self.dropout)


@dataclass(frozen=True, eq=False)
class FoldPlan:
    """Which rows each fold model predicts, trains on and early-stops on (index arrays into the data)."""

    fold: np.ndarray  # (N,) the fold of each row
    train_rows: list[np.ndarray]  # K arrays, all of one length
    val_rows: list[np.ndarray]  # K arrays


@dataclass(eq=False)
class OutOfFold:
    """Out-of-fold probabilities and how the fold models trained.

    Attributes
    ----------
    probs : ndarray (N, K) float64
        Row i's probabilities from the model of its fold, which never saw it.
    plan : FoldPlan
    histories : list of list of dict
        Each fold model's per-epoch record (the keys of `TrainResult.history`).
    best_epochs : list of int
    stop_reasons : list of str
    engine : str
        "stacked" or "separate".
    train_time : float
        Seconds for training and predicting all folds.
    """

    probs: np.ndarray
    plan: FoldPlan
    histories: list
    best_epochs: list
    stop_reasons: list
    engine: str
    train_time: float


def stratified_folds(labels: np.ndarray, n_folds: int, *, seed: int = 0) -> np.ndarray:
    """The fold (0..n_folds-1) of each row: each class shuffled and dealt round the folds.

    Each class's deal starts where the previous class's ended, so fold sizes differ by at most one row.

    Examples
    --------
    >>> np.bincount(stratified_folds(np.array([0] * 7 + [1] * 5), 3))
    array([4, 4, 4])
    """
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    start = 0
    for code in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == code))
        fold[members] = (start + np.arange(len(members))) % n_folds
        start = (start + len(members)) % n_folds
    return fold


def plan_folds(labels: np.ndarray, n_folds: int, val_split: float, *, seed: int = 0) -> FoldPlan:
    """Folds, and per fold model its training and early-stopping rows (training sets of one length).

    Each class outside fold j sends ``round(val_split * n)`` rows (at most ``n - 1``) to validation.
    """
    rng = np.random.default_rng([seed, 1])  # a stream of its own, apart from the folds'
    fold = stratified_folds(labels, n_folds, seed=seed)
    train_rows, val_rows = [], []
    for j in range(n_folds):
        outside = np.flatnonzero(fold != j)
        val_parts = []
        for code in np.unique(labels[outside]):
            members = outside[labels[outside] == code]
            n_val = min(int(np.round(val_split * len(members))), len(members) - 1)
            val_parts.append(rng.choice(members, size=n_val, replace=False))
        val = np.concatenate(val_parts)
        if len(val) == 0 or len(val) == len(outside):
            raise DataError(f"fold {j}: the {len(outside)} rows outside it are too few to both train and early-stop "
                            f"a model (val_split={val_split}); pass more rows or use fewer folds.")
        train_rows.append(np.setdiff1d(outside, val))
        val_rows.append(val)
    shortest = min(len(rows) for rows in train_rows)
    for j, rows in enumerate(train_rows):
        surplus = rng.choice(len(rows), size=len(rows) - shortest, replace=False)
        val_rows[j] = np.sort(np.concatenate([val_rows[j], rows[surplus]]))
        train_rows[j] = np.delete(rows, surplus)
    return FoldPlan(fold, train_rows, val_rows)


def _check(labels, n_folds, recipe: FoldRecipe, engine: str) -> None:
    if engine not in ENGINES:
        raise ConfigError(f"`engine` must be one of {list(ENGINES)}; got {engine!r}.")
    if not (isinstance(n_folds, (int, np.integer)) and not isinstance(n_folds, bool) and n_folds >= 2):
        raise ConfigError(f"`folds` must be an integer >= 2; got {n_folds!r}.")
    if n_folds > len(labels):
        raise DataError(f"`folds` ({n_folds}) must not exceed the number of rows ({len(labels)}).")
    config = recipe.config
    if config.val_split == 0:
        raise ConfigError("`val_split` must be > 0 for an audit: each fold model early-stops on a share of its rows; "
                          "got 0.")
    if engine == "stacked" and (config.lr_patience is not None or config.precision != "float32"):
        raise ConfigError("the stacked engine trains float32 models without `lr_patience`; got "
                          f"lr_patience={config.lr_patience!r}, precision={config.precision!r} "
                          "(use engine='separate').")


def _resolve_engine(engine: str, device, config: TrainConfig) -> str:
    """'auto': stacked on a GPU (M models cost about one); one after another on a CPU, where the compiled
    single-model epoch is faster per model than the stacked step (bench/audit.py), and for a training the stacked
    engine does not run (`lr_patience`, as the seed recipe's; a precision other than float32)."""
    if engine != "auto":
        return engine
    stackable = config.lr_patience is None and config.precision == "float32"
    return "stacked" if device.type == "cuda" and stackable else "separate"


def out_of_fold_probabilities(X: np.ndarray, y: np.ndarray, *, folds: int = 5, recipe: FoldRecipe | None = None,
                              classes=None, engine: str = "auto") -> OutOfFold:
    """Train `folds` models, each on the rows outside its fold, and return every row's out-of-fold probabilities.

    Parameters
    ----------
    X : ndarray (N, F) float32
    y : ndarray (N,) int64 codes in [0, K)
    folds : int >= 2, default=5
    recipe : FoldRecipe, optional
        Network and training of every fold model (default: the seed recipe, quiet).
    classes : sequence of K str, optional
        Class names: the number of classes, and names for ``class_weight`` / ``val_recall:<class>`` /
        ``val_critical:<classes>``.
    engine : {"auto", "stacked", "separate"}, default="auto"
        "stacked" trains the fold models together (`train_stacked`); "separate" one after another (`train`);
        "auto" picks stacked on CUDA and separate on a CPU.

    Returns
    -------
    OutOfFold
    """
    recipe = recipe or FoldRecipe()
    config = recipe.config
    _check(y, folds, recipe, engine)
    n_classes = len(classes) if classes is not None else int(y.max()) + 1
    names = tuple(str(c) for c in classes) if classes is not None else None
    device = resolve_device(config.device)
    engine = _resolve_engine(engine, device, config)
    plan = plan_folds(y, folds, config.val_split, seed=config.seed)
    model_config = recipe.model_config(X.shape[1], n_classes)
    weight = resolve_class_weight(config.class_weight, np.bincount(y, minlength=n_classes), names)
    if weight is not None:  # one set of weights for every fold model, whichever engine trains them
        config = replace(config, class_weight={str(c) if names is None else names[c]: float(w)
                                               for c, w in enumerate(weight)})
    started = time.perf_counter()
    if engine == "stacked" or recipe.solver == "lbfgs":
        states, histories, best, stops = _train_stacked(X, y, plan, model_config, config, weight, names, n_classes,
                                                        device, recipe.keep_last, recipe.solver)
    else:
        states, histories, best, stops = _train_separately(X, y, plan, model_config, config, names, recipe.keep_last)
    probs = np.empty((len(y), n_classes))
    for j, state in enumerate(states):
        model = build_model(model_config, seed=config.seed)
        model.load_state_dict(state)
        rows = np.flatnonzero(plan.fold == j)
        probs[rows] = np.exp(predict_log_proba(model, X[rows]))  # (n_j, K)
    return OutOfFold(probs, plan, histories, best, stops, engine, time.perf_counter() - started)


def _train_stacked(X, y, plan, model_config, config, weight, names, n_classes, device, keep_last=False,
                   solver="adam"):
    trials = [Trial((("fold", j),), config, model_config, keep_last, solver) for j in range(len(plan.train_rows))]
    trainer = train_trials if solver == "lbfgs" else train_stacked  # train_trials fits L-BFGS trials one by one
    results = trainer(trials, X, y, X, y, class_weight=weight, recall_of=watched_of(config, names, n_classes),
                      device=device, dropout_seed=config.seed, verbose=config.verbose, rows=plan.train_rows,
                      val_rows=plan.val_rows)
    return ([r.state for r in results], [r.history for r in results], [r.best_epoch for r in results],
            [r.stop_reason for r in results])


def _train_separately(X, y, plan, model_config, config, names, keep_last=False):
    states, histories, best, stops = [], [], [], []
    for rows, val in zip(plan.train_rows, plan.val_rows):
        model = build_model(model_config, seed=config.seed)
        if keep_last:  # no validation rows: `train` keeps the last epoch's weights
            result = train(model, X[rows], y[rows], replace(config, val_split=0.0), classes=names)
        else:
            result = train(model, X[rows], y[rows], config, X_val=X[val], y_val=y[val], classes=names)
        states.append({k: v.detach().cpu() for k, v in result.model.state_dict().items()})
        histories.append(result.history)
        best.append(result.best_epoch)
        stops.append(FIXED_LENGTH if keep_last and result.stop_reason == "max_epochs" else result.stop_reason)
    return states, histories, best, stops
