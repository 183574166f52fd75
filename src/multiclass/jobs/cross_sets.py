"""Cross-conformal calibration rows for `train --coverage P --set-calibration cross`: every row's probabilities
from a model that did not train on it, so the sets are calibrated on all the rows instead of the validation split.

Two sources, the cheaper first:

- The recipe's search already cross-validated the final model (small tables, `multiclass.jobs.crossval`): the
  winner's fold models, each trained on the training rows outside its fold, predict their fold (the folds are
  dealt again by `crossval.fold_rows`, a function of the labels and the seed alone); the validation rows, which
  no fold model saw, are scored by the final model (their average) as one more fold. Nothing is trained again.
- Otherwise `CV_FOLDS` fold models of the final model's recipe (its network, L2, dropout, learning rate, batch
  size, epochs and monitor) train on the training and validation rows together, on the stacked many-models engine
  (`multiclass.audit.folds.out_of_fold_probabilities`; one after another when the stack cannot run the recipe:
  CSR rows, ``lr_patience``, a precision other than float32); each early-stops on a ``val_split`` share of the
  rows outside its fold and predicts its fold.

The fold models' log-probabilities are divided by the final model's temperature (`--calibrate`) as the final
model's are, so the calibration scores are those of the probabilities the sets are then computed from. Which
coverage this gives is `multiclass.conformal.calibrate_cross_sets`'s to say (close to P for stable training; no
finite-sample guarantee); tests/test_jobs_conformal_options.py measures it on new rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from multiclass.audit.folds import FoldRecipe, out_of_fold_probabilities
from multiclass.decisions.temperature import apply_temperature
from multiclass.jobs.crossval import CV_FOLDS, fold_rows
from multiclass.models import build_model, predict_log_proba
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig
from multiclass.training.arrays import is_sparse
from multiclass.training.recipes import Candidate

__all__ = ["FoldSource", "cross_calibration_rows"]

# The smallest probability kept when the fold models' probabilities are turned back into log-probabilities for
# the temperature: exp(-690), far below any score a set threshold can fall on.
_TINY = 1e-300


@dataclass(frozen=True, eq=False)
class FoldSource:
    """What cross-conformal calibration needs of a training.

    Attributes
    ----------
    X, y : ndarray (n, F) float32 (or CSR) and (n,) int64
        The training rows (the validation rows are given apart).
    winner : Candidate
        The recipe's winner: the final model's network, regularisation, learning rate and batch size.
    activation : str
    search : SearchResult or None
        The recipe's search, whose cross-validated fold models are reused when it kept them.
    """

    X: Any
    y: np.ndarray
    winner: Candidate
    activation: str = "relu"
    search: Any = None


def _reused(trained: TrainedModel, source: FoldSource) -> tuple[np.ndarray, np.ndarray]:
    """(log-probabilities (n, K), fold (n,)) of the training rows from the search's fold models."""
    results = source.search.fold_results
    _, predicted = fold_rows(source.y, len(results), trained.train_config.seed)  # the search's folds again
    log_probs = np.empty((len(source.y), len(trained.classes)))
    folds = np.empty(len(source.y), dtype=np.int64)
    for j, (result, rows) in enumerate(zip(results, predicted)):
        model = build_model(result.trial.model_config, seed=result.trial.train_config.seed)
        model.load_state_dict(result.state)
        log_probs[rows] = predict_log_proba(model, source.X[rows])  # (n_j, K)
        folds[rows] = j
    return log_probs, folds


def _trained_again(trained: TrainedModel, source: FoldSource, X, y) -> tuple[np.ndarray, np.ndarray]:
    """(log-probabilities (n, K), fold (n,)) of `X` from `CV_FOLDS` fold models of the final model's recipe."""
    config = trained.train_config
    # each fold model early-stops on a share of its rows, as the final model does on the validation split
    config = replace(config, val_split=config.val_split or TrainConfig().val_split)
    stackable = not is_sparse(X) and config.lr_patience is None and config.precision == "float32"
    recipe = FoldRecipe(tuple(source.winner.hidden), source.activation, source.winner.dropout, config)
    out = out_of_fold_probabilities(X, y, folds=CV_FOLDS, recipe=recipe, classes=trained.classes,
                                    engine="stacked" if stackable else "separate")
    if "interrupted" in out.stop_reasons:  # Ctrl-C: no sets from models cut short
        raise KeyboardInterrupt
    return np.log(np.maximum(out.probs, _TINY)), out.plan.fold


def cross_calibration_rows(trained: TrainedModel, source: FoldSource, X_val=None,
                           y_val=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold probabilities of every training and validation row, for `calibrate_cross_sets`.

    Parameters
    ----------
    trained : TrainedModel
        The final model (its temperature, seed and training config).
    source : FoldSource
    X_val, y_val : ndarray, optional
        The validation rows.

    Returns
    -------
    probs : ndarray (n, K) float64
        Each row's probabilities from a model that did not train on it, after the final model's temperature.
    y : ndarray (n,) int64
    folds : ndarray (n,) int64
        The fold of each row (the validation rows are a fold of their own when the search's models are reused).
    """
    temperature = trained.decision.temperature if trained.decision is not None else 1.0
    search = source.search
    if search is not None and search.folds and search.fold_results:
        log_probs, folds = _reused(trained, source)
        y = source.y
        if X_val is not None:  # scored by the final model, which none of the fold models' training saw
            log_probs = np.concatenate([log_probs, trained.predict_log_proba(X_val, calibrated=False)])
            folds = np.concatenate([folds, np.full(len(y_val), folds.max() + 1)])
            y = np.concatenate([y, y_val])
    else:
        X, y = source.X, source.y
        if X_val is not None:
            X = sp.vstack([X, X_val], format="csr") if is_sparse(X) else np.concatenate([X, X_val])
            y = np.concatenate([y, y_val])
        log_probs, folds = _trained_again(trained, source, X, y)
    probs = np.exp(apply_temperature(log_probs, temperature) if temperature != 1.0 else log_probs)  # (n, K)
    return probs, y.astype(np.int64, copy=False), folds
