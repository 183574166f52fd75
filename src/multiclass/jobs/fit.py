"""The `fit` verb: from data to a trained model (and its model directory), in memory or streamed, on 1 or N ranks.

`fit` decides how the work runs -- the data read whole (`fit_dataset`), or a table streamed batch by batch on one
process or on every rank under torchrun (`fit_stream`, in `multiclass.jobs.streamed`) -- and owns the run's files:
the checkpoint beside the model directory (written every ``checkpoint_every`` epochs, resumed with ``resume=True``,
removed once the model is saved) and the model directory itself, which is written before anything else is
reported, so no later failure can lose a trained model. The estimator calls `fit_arrays`.

In memory, the stratified validation split (``config.val_split``) -- or the validation data given -- feeds early
stopping, the decision policy (temperature, recall offsets; fitted after training) and the validation report, so
the three see the same held-out rows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

import multiclass.data as data
from multiclass.atomic import remove_stale_temporaries
from multiclass.data.labels import errors_about
from multiclass.data.split import stratified_split
from multiclass.data.stream import StreamConfig
from multiclass.decisions import DecisionConfig, fit_policy
from multiclass.devices import resolve_device
from multiclass.exceptions import ConfigError, DataError
from multiclass.data.summary import summarize_dataset
from multiclass.jobs.audit import critical_classes, drop_for_training
from multiclass.jobs.critical import check_calibration_rows, check_streamed, fit_critical, watch_critical
from multiclass.jobs.cross_sets import FoldSource
from multiclass.jobs.evaluate import evaluate_arrays, validation_summary
from multiclass.jobs.inputs import check_output_path, wants_stream
from multiclass.jobs.crossval import FOLD_AVERAGE, FOLD_CONVERGED, FOLD_FIXED, averaged_network
from multiclass.jobs.fit_result import FitResult, build_network, data_info
from multiclass.jobs.streamed import STREAM_HIDDEN, fit_stream, fit_streamed
from multiclass.jobs.plan import plan
from multiclass.jobs.recipe import search
from multiclass.training.recipes import SEED, Recipe, with_candidate
from multiclass.persistence import save_model
from multiclass.report import Report
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig, TrainResult, train
from multiclass.training.loop import warn_if_still_improving
from multiclass.training.arrays import check_training_data, is_sparse
from multiclass.training.checkpoint import checkpoint_path

__all__ = ["FitResult", "data_info", "fit", "fit_arrays", "fit_dataset", "fit_stream"]

# Reader options of `fit` saved with the model and reused by `evaluate` / `predict`.
READ_OPTIONS = ("kind", "target", "id_column", "ignore", "categorical", "text_column", "labels", "split", "data_dir")


def fit(source, *, out=None, resume: bool = False, stream="auto", hidden=None, activation: str = "relu",
        dropout=None, config: TrainConfig | None = None, decision: DecisionConfig | None = None, recipe="auto",
        stream_config: StreamConfig | None = None, val_data=None, announce=None, drop_suspects=None,
        drop_critical: bool = False, **read_options) -> FitResult:
    """Train a model on `source` and, with `out`, write its model directory.

    Parameters
    ----------
    source : str or Path
        A table, text table, IDX, NPZ, image folder, folder of table shards or built-in dataset name.
    out : str or Path, optional
        The model directory to write; its checkpoint is the sibling ``<out>.checkpoint.safetensors``.
    resume : bool, default=False
        Continue the interrupted run that was writing `out` from its checkpoint (the same bytes as an
        uninterrupted run on the CPU).
    stream : bool or "auto", default="auto"
        Read a table batch by batch: "auto" streams a folder of shards, a table file larger than 1/8 of the
        memory, and always under torchrun (each rank then trains its replica with DistributedDataParallel).
    hidden, activation, dropout
        The network (`multiclass.models.ModelConfig`); `hidden` and `dropout` None: the recipe's.
    config : TrainConfig, optional
    decision : DecisionConfig, optional
        Temperature, recall targets or a cost matrix, fitted on the validation rows (in memory only).
    recipe : {"auto", "seed"} or Recipe, default="auto"
        How the network and its training are chosen (`multiclass.training.recipes`); what the caller gives is
        kept fixed.
    stream_config : StreamConfig, optional
    val_data : str or Path, optional
        Validation data instead of a split of `source`, read the way `source` is.
    announce : callable, optional
        Called once the data is read (or scanned) and before training, with what was read: ``{"rows", "features",
        "classes", "read": "memory" | "streamed", "ranks"}`` (on rank 0 only), and in memory ``"summary"``
        (`multiclass.data.summary.summarize_dataset`).
    drop_suspects : str or Path, optional
        An audit folder (`multiclass.jobs.audit`): its suspects are left out of training, except rows of the
        classes given a recall target unless `drop_critical` (in memory only; recorded in the model's data info).
    **read_options
        ``kind``, ``target``, ``id_column``, ``ignore``, ``categorical``, ``text_column``, ``labels``, ``split``,
        ``data_dir`` (see `multiclass.data.load_dataset`).
    """
    config = config or TrainConfig()
    if resume and out is None:
        raise ConfigError("`resume` needs `out`, the model directory the interrupted run was writing.")
    if out is not None:
        check_output_path(out, model_dir=True)
    resolve_device(config.device)  # `device="cuda"` without a GPU fails now, not after reading the data
    checkpoint = checkpoint_path(out) if out is not None else None
    for written in (out, checkpoint):  # leftovers of a run that was killed while writing
        if written is not None:
            remove_stale_temporaries(written)
    network = {"hidden": hidden, "activation": activation, "dropout": dropout}
    if wants_stream(source, stream, options=read_options):
        network = {"hidden": STREAM_HIDDEN if hidden is None else hidden, "activation": activation,
                   "dropout": 0.0 if dropout is None else dropout}
        seeded = None
        if (recipe.name if isinstance(recipe, Recipe) else str(recipe)) == "seed":  # the course's, streamed too
            seeded = plan(recipe, hidden=hidden, dropout=dropout, config=config, n_rows=0, n_features=0, n_classes=0)
            network = {"hidden": seeded.candidates[0].hidden, "activation": activation,
                       "dropout": seeded.candidates[0].dropout}
            config = with_candidate(seeded.config, seeded.candidates[0])
        if drop_suspects is not None:
            raise ConfigError("`drop_suspects` applies to data read whole; a streamed table cannot drop rows.")
        if decision is not None and not decision.is_default:
            raise ConfigError("`calibrate`, `target_recall` and `cost_matrix` are fitted on held-out "
                              "probabilities, which streamed training does not keep; train in memory.")
        check_streamed(decision)
        config = watch_critical(config, config, recipe, decision)
        result = fit_streamed(source, config, stream_config or StreamConfig(), val_data, checkpoint, resume,
                               network, read_options, announce)
        if seeded is not None:
            result.trained.recipe = {**seeded.recipe.to_dict(), "chosen": seeded.candidates[0].to_dict()}
        fit_critical(result.trained, decision or DecisionConfig())
    else:
        dataset, dropped = data.load_dataset(source, **read_options), None
        if drop_suspects is not None:
            critical = critical_classes(decision, dataset.classes)
            dataset, dropped = drop_for_training(dataset, drop_suspects, critical=critical, drop_critical=drop_critical)
        if announce is not None:
            announce({"rows": dataset.n_samples, "features": dataset.n_features, "classes": dataset.n_classes,
                      "read": "memory", "ranks": 1, "summary": summarize_dataset(dataset)})
        val_dataset = None
        if val_data is not None:
            val_dataset = data.load_for_prediction(val_data, dataset.preprocessor, classes=dataset.classes,
                                                   target_dtype=dataset.target_dtype, **dataset.load_options)
        result = fit_dataset(dataset, **network, config=config, decision=decision, recipe=recipe,
                             val_dataset=val_dataset, checkpoint=checkpoint, resume=resume)
        if dropped is not None:
            result.trained.data_info["dropped_suspects"] = dropped
    if out is not None and result.is_main:
        result.written = save_model(result.trained, out)
        if result.trained.stop_reason != "interrupted" and checkpoint is not None:
            checkpoint.unlink(missing_ok=True)  # kept after Ctrl-C: `resume=True` continues from it
    return result


def fit_dataset(dataset, *, hidden=None, activation: str = "relu", dropout=None,
                config: TrainConfig | None = None, decision: DecisionConfig | None = None, recipe="auto",
                val_dataset=None, checkpoint=None, resume: bool = False) -> FitResult:
    """Train a network on a labelled `Dataset` held in memory (see the module docstring).

    `val_dataset` (read through ``dataset.preprocessor``) replaces the stratified split of ``config.val_split``.
    """
    config = config or TrainConfig()
    if dataset.y is None:
        raise DataError(f"{dataset.source}: training needs labels; the data has no target.")
    if dataset.n_classes < 2:
        raise DataError(f"{dataset.source}: training needs at least 2 classes; got {dataset.n_classes}.")
    X, y, X_val, y_val = dataset.X, dataset.y, None, None
    if val_dataset is not None:
        if val_dataset.y is None:
            raise DataError(f"{val_dataset.source}: validation data needs labels; the data has none.")
        X_val, y_val = val_dataset.X, val_dataset.y
    elif config.val_split > 0:
        with errors_about(str(dataset.source)):
            train_idx, val_idx = stratified_split(y, config.val_split, seed=config.seed, classes=dataset.classes)
        X, y, X_val, y_val = X[train_idx], y[train_idx], X[val_idx], y[val_idx]
    trained, validation = fit_arrays(X, y, classes=dataset.classes, hidden=hidden, activation=activation,
                                     dropout=dropout, config=config, decision=decision, X_val=X_val, y_val=y_val,
                                     recipe=recipe, checkpoint=checkpoint, resume=resume)
    trained.preprocessor = dataset.preprocessor
    trained.data_info = data_info(dataset)
    return FitResult(trained, validation)


def fit_arrays(X, y, *, classes, hidden=None, activation: str = "relu", dropout=None,
               config: TrainConfig | None = None, decision: DecisionConfig | None = None, X_val=None, y_val=None,
               early_stopping: bool = True, recipe="auto", checkpoint=None,
               resume: bool = False) -> tuple[TrainedModel, Report | None]:
    """Train on ready features `X` (n, F) and class codes `y` (n,) of `classes`; validate on `X_val`, `y_val`
    when given (no split is made here). Returns the model, with its decision policy fitted on the validation rows,
    and the validation report.

    The network and its training are the `recipe`'s (`multiclass.training.recipes`): "auto" searches the
    candidates on the validation rows (`multiclass.jobs.recipe`) and trains the winner; "seed" is the course's.
    `hidden` and `dropout` (None: the recipe's), and the fields of `config` set away from their defaults, are kept
    fixed. ``early_stopping=False`` keeps the validation rows from training (no early stopping: the last epoch's
    weights, and no search); they then only fit the decision policy and make the validation report.
    """
    config = config or TrainConfig()
    decision = (decision or DecisionConfig()).resolve(classes)  # a bad class name or cost file fails first
    if decision.needs_validation and X_val is None:
        raise ConfigError("`calibrate` and `target_recall` are fitted on validation rows; set `val_split` > 0 or "
                          "give validation data.")
    n_features = np.shape(X)[1]
    X, y = check_training_data(X, y, n_features, len(classes))  # float32 (dense or CSR) and int64, checked once
    if X_val is not None:
        X_val, y_val = check_training_data(X_val, y_val, n_features, len(classes), name="X_val")
    check_calibration_rows(decision, classes, y, y_val)  # too few rows for the sets: refused before training
    n_rows = X.shape[0]
    chosen = plan(recipe, hidden=hidden, dropout=dropout, config=config, n_rows=n_rows, n_features=n_features,
                  n_classes=len(classes), sparse=is_sparse(X))
    chosen = replace(chosen, config=watch_critical(chosen.config, config, recipe, decision))
    winner, found = chosen.candidates[0], None
    if len(chosen.candidates) > 1 and X_val is not None and early_stopping:
        found = search(X, y, X_val, y_val, chosen.candidates, classes=classes, base=chosen.config,
                       activation=activation, fixed=chosen.recipe.fixed, cross_validated=chosen.cross_validated)
        winner = found.winner
    config = chosen.config
    if len(chosen.candidates) > 1 and found is None:
        # nothing to rank them on: the seed's network with the middle of its regularisation, for the seed's epochs
        # (no early stopping to end a 500-epoch limit)
        seedlike = [c for c in chosen.candidates if c.hidden == SEED["hidden"]] or chosen.candidates
        winner = seedlike[len(seedlike) // 2]
        if "epochs" not in chosen.recipe.fixed:
            config = replace(config, epochs=SEED["epochs"])
    config = with_candidate(config, winner)
    if found is not None and found.fold_states:
        result = _fold_average(found, n_features, len(classes), activation, winner, config.seed)
    else:
        model = build_network(n_features, len(classes), winner.hidden, activation, winner.dropout, config.seed)
        # a fixed-length winner keeps its last epoch: no validation rows to pick another
        watched = (X_val, y_val) if early_stopping and not winner.fixed_epochs else (None, None)
        result = train(model, X, y, config, X_val=watched[0], y_val=watched[1], classes=classes,
                       checkpoint=checkpoint, resume=resume)
    model = result.model
    trained = TrainedModel(model=model.cpu(), classes=tuple(classes), train_config=config, history=result.history,
                           best_epoch=result.best_epoch, stop_reason=result.stop_reason,
                           recipe={**chosen.recipe.to_dict(), **(found.to_dict() if found else
                                                                  {"chosen": winner.to_dict()})})
    folds = FoldSource(X, y, winner, activation, found)  # what `set_calibration="cross"` calibrates on
    if X_val is None:
        fit_critical(trained, decision, folds=folds)
        return trained, None
    if not decision.is_default:
        trained.decision = fit_policy(trained.predict_log_proba(X_val, calibrated=False), y_val, decision,
                                      trained.classes)
    fit_critical(trained, decision, X_val, y_val, folds=folds)
    validation = evaluate_arrays(trained, X_val, y_val, subject="validation", tuned_here=True)
    trained.validation = validation_summary(validation)
    return trained, validation


def _fold_average(found, n_features: int, n_classes: int, activation: str, winner, seed: int) -> TrainResult:
    """The cross-validated search's final model (`multiclass.jobs.crossval`): its winner's fold models, each
    early-stopped on its own fold (or trained for the winner's fixed epochs, or fitted to convergence by L-BFGS),
    averaged into one network; the learning curve is fold 1's."""
    hidden, state = averaged_network(found.fold_states, winner.hidden)
    model = build_network(n_features, n_classes, hidden, activation, winner.dropout, seed)
    model.load_state_dict(state)
    model.eval()
    cut_short = [fold for fold in found.fold_results if fold.stop_reason == "max_epochs"]
    if cut_short:  # a fold model still improving at the epoch limit: say so, as a single training would
        warn_if_still_improving(max(cut_short, key=lambda fold: fold.best_epoch))
    first = found.fold_results[0]
    reason = FOLD_CONVERGED if winner.solver == "lbfgs" else FOLD_FIXED if winner.fixed_epochs else FOLD_AVERAGE
    return TrainResult(model=model, history=first.history, best_epoch=first.best_epoch, stop_reason=reason)


