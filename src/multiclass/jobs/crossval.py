"""The auto recipe's choice on small data: every candidate on k folds, ranked by its out-of-fold scores.

With a few hundred rows, a 10 % validation split is a few dozen rows, and a ranking of candidates on them is
mostly noise (glass, 214 rows: 16 validation rows, and the search picked softmax regression at 0.58 macro-F1 where
scikit-learn's MLP reaches 0.73). When the budget allows `CV_FOLDS` trainings of every candidate on every row,
`multiclass.jobs.recipe.search` ranks them here instead: the training rows are dealt into k stratified folds;
each candidate trains k times (on the rows outside a fold, early-stopped on the fold), all
folds of one network shape in one stack of the many-models engine (`train_trials`' per-model rows); its score is
that of its k best-epoch models on every row, each row predicted by the model that did not train on it (the
pooled out-of-fold loss, accuracy, macro-F1, recall or decision cost: the monitored one ranks).

The final model is the winner's k fold models averaged (`averaged_network`: their logits' mean, folded into one
network of k times the width, so every path that runs a network runs it unchanged): an ensemble of models each
early-stopped on its own fold, trained on the training rows only, so the validation split stays an honest check
for the report and the decision policy.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from multiclass.audit.folds import stratified_folds
from multiclass.classes import Watched
from multiclass.decisions import bayes_decision
from multiclass.models import build_model, predict_log_proba
from multiclass.sweep.loop import train_trials
from multiclass.training.recipes import Candidate
from multiclass.training.monitor import Priced
from multiclass.training.validation import monitored_value, validation_scores

__all__ = ["CV_FOLDS", "FOLD_AVERAGE", "FOLD_CONVERGED", "FOLD_FIXED", "MIN_CV_ROWS", "averaged_network",
           "cross_validate", "fold_rows", "pooled_scores"]

# Folds of the cross-validated choice: each candidate trains this many times on 80 % of the rows.
CV_FOLDS = 5
# The stop reason of a model that is the average of its fold models (model.json's training.stop_reason).
FOLD_AVERAGE = "fold_average"
# ... and of one whose fold models trained for a fixed number of epochs, keeping the last (a fixed-length winner)
FOLD_FIXED = "fold_fixed"
# ... and of one whose fold models are softmax regressions fitted to convergence by L-BFGS
# (`multiclass.sweep.converged`)
FOLD_CONVERGED = "fold_converged"
# Fewest rows to cross-validate on: 4 validation rows per fold. Fewer rows are too few to stop a training on; a
# few more are still better ranked by 5 folds than by the handful of rows a 10 % split holds (MASS's UScereal, 41
# training rows: 8 split rows chose an underfit softmax regression at 0.19 test accuracy, the folds 0.50; RESULTS 7a).
MIN_CV_ROWS = 20


def fold_rows(y: np.ndarray, k: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(training rows, validation rows) of each of `k` stratified folds of `y`: fold j validates, the rest train.
    The training sets are cut to one length (the longer lose a row at random) so the stacked engine steps every
    model through exactly one pass of its rows per epoch."""
    fold = stratified_folds(y, k, seed=seed)
    train = [np.flatnonzero(fold != j) for j in range(k)]
    shortest = min(len(rows) for rows in train)
    rng = np.random.default_rng([seed, 2])
    train = [np.sort(rng.choice(rows, size=shortest, replace=False)) if len(rows) > shortest else rows
             for rows in train]
    return train, [np.flatnonzero(fold == j) for j in range(k)]


def pooled_scores(log_proba: np.ndarray, y: np.ndarray, class_weight, recall_of: Watched | Priced | None) -> dict:
    """The validation record (`validation_scores`) of out-of-fold log-probabilities (n, K) against codes `y`; a
    ``val_cost`` monitor's cost is that of each row's minimum-expected-cost decision under its fold model
    (`multiclass.training.monitor`)."""
    n, k = log_proba.shape
    pred = log_proba.argmax(axis=1)
    weight = np.ones(k) if class_weight is None else np.asarray(class_weight, np.float64)
    nll = -log_proba[np.arange(n), y]
    cost_sum = None
    if isinstance(recall_of, Priced):
        costs = np.asarray(recall_of.costs, np.float64)  # (K, K)
        cost_sum = float(costs[y, bayes_decision(np.exp(log_proba), costs)].sum())
    return validation_scores(np.bincount(y[pred == y], minlength=k), np.bincount(pred, minlength=k),
                             np.bincount(y, minlength=k), float((weight[y] * nll).sum()), float(weight[y].sum()),
                             recall_of, cost_sum)


def cross_validate(candidates: list[Candidate], X: np.ndarray, y: np.ndarray, *, trial_of, monitor: str,
                   class_weight=None, recall_of: Watched | Priced | None = None, device="cpu", seed: int = 0,
                   verbose: bool = False, k: int = CV_FOLDS) -> list[dict]:
    """Train every candidate on `k` folds of (`X`, `y`); one record per candidate, in order.

    Parameters
    ----------
    candidates : list of Candidate
    X, y : ndarray (n, F) float32 and (n,) int64
        The training rows (the validation split stays out: the report's).
    trial_of : callable
        ``trial_of(candidate, rows)``: the `Trial` that trains `candidate` on `rows` rows to the end (its
        early stopping, every epoch it needs).
    monitor : str
        The monitored score that ranks (the record's ``val_score``).
    class_weight, recall_of, device, seed, verbose
        As `multiclass.sweep.loop.train_stacked`; `seed` also deals the folds.

    Returns
    -------
    list of dict
        Per candidate: ``val_loss``, ``val_accuracy``, ``val_macro_f1`` (and ``val_recall`` or ``val_cost``) of the pooled
        out-of-fold predictions, ``val_score``, ``best_epochs`` (one per fold), ``best_epoch`` (their median),
        ``epochs`` (run, summed over the folds), and ``folds``: the fold models' `TrialResult` (best weights,
        history, stop reason).
    """
    train_rows, val_rows = fold_rows(y, k, seed)
    jobs = [(c, j) for c in candidates for j in range(k)]
    trials = []
    for candidate, j in jobs:
        trial = trial_of(candidate, len(train_rows[j]))
        trials.append(replace(trial, params=(*trial.params, ("fold", j))))
    results = train_trials(trials, X, y, X, y, class_weight=class_weight, recall_of=recall_of, device=device,
                           dropout_seed=seed, verbose=verbose, label="search",
                           rows=[train_rows[j] for _, j in jobs], val_rows=[val_rows[j] for _, j in jobs],
                           reraise=True)
    records = []
    for c_index in range(len(candidates)):
        folds = results[c_index * k:(c_index + 1) * k]
        out_of_fold = None
        for j, result in enumerate(folds):
            model = build_model(result.trial.model_config, seed=result.trial.train_config.seed)
            model.load_state_dict(result.state)
            log_proba = predict_log_proba(model, X[val_rows[j]])
            if out_of_fold is None:
                out_of_fold = np.empty((len(y), log_proba.shape[1]))
            out_of_fold[val_rows[j]] = log_proba
        record = pooled_scores(out_of_fold, y, class_weight, recall_of)
        score = monitored_value(dict(record), monitor)
        best_epochs = [int(result.best_epoch) for result in folds]
        records.append({**record, "val_score": score, "best_epochs": best_epochs,
                        "best_epoch": max(1, int(np.median(best_epochs))),
                        "epochs": sum(result.n_epochs for result in folds), "folds": folds})
    return records


def averaged_network(states: list[dict], hidden: tuple[int, ...]) -> tuple[tuple[int, ...], dict]:
    """One network whose logits are the mean of the logits of the networks `states` (MLP state dicts of one shape
    `hidden`): the hidden layers side by side (block-diagonal between them), the output layer reading all of them
    with weights / M. Returns its hidden widths (M x each) and state dict. Softmax regression averages in place."""
    m = len(states)
    n_layers = len(hidden) + 1
    out = {}
    for layer in range(n_layers):
        weights = [s[f"linears.{layer}.weight"] for s in states]
        biases = [s[f"linears.{layer}.bias"] for s in states]
        if layer == n_layers - 1:
            merged_w = torch.cat(weights, dim=1) / m if layer else torch.stack(weights).mean(0)
            merged_b = torch.stack(biases).mean(0)
        elif layer == 0:
            merged_w, merged_b = torch.cat(weights, dim=0), torch.cat(biases)
        else:
            merged_w, merged_b = torch.block_diag(*weights), torch.cat(biases)
        out[f"linears.{layer}.weight"], out[f"linears.{layer}.bias"] = merged_w.contiguous(), merged_b.contiguous()
    return tuple(m * h for h in hidden), out
