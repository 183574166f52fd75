"""Softmax regression fitted to convergence by L-BFGS: the search's convex candidates on small data.

A network with no hidden layer is a convex problem: its regularised loss has one minimum, and a quasi-Newton method
reaches it in tens of full-batch iterations. Adam in batches of 32, stopped early on a fold of a few dozen rows, may
stop well short of it (on small tables the search's softmax candidates reached its 300-epoch limit; bench/RESULTS.md
7a, 7c). `fit_softmax` minimises the training objective of `multiclass.engine.step.Objective` -- the cross-entropy
weighted by the class weights as torch weighs it, with label smoothing, plus ``l2 * sum(W**2)`` on the weights (not
the bias) -- in float64 with SciPy's L-BFGS-B, the solver of scikit-learn's LogisticRegression; with
``l2 = 1 / (2 C n)`` it is that model (tests/test_sweep_converged.py). `train_converged` makes it a trial of a sweep:
the same `TrialResult` as a stacked trial, its one record scored on the validation rows as every epoch is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from multiclass.classes import Watched
from multiclass.models import build_model
from multiclass.sweep.grid import Trial, TrialResult
from multiclass.training.monitor import Priced, cost_tensor
from multiclass.training.validation import ResidentValidation, monitored_value, scores_of_totals

__all__ = ["CONVERGED", "ITERATION_LIMIT", "MAX_ITER", "SoftmaxFit", "fit_softmax", "softmax_objective",
           "train_converged"]

# Most L-BFGS iterations of one fit (scikit-learn's LogisticRegression is run with max_iter=2000 in bench/quality.py;
# these fits converge in 20-250 on the tables measured).
MAX_ITER = 2_000
# Convergence: the largest gradient component below GTOL (scikit-learn's tol=1e-4 is looser) or a relative change
# of the objective below FTOL (scikit-learn's 64 machine epsilons).
GTOL = 1e-6
FTOL = 64 * np.finfo(np.float64).eps
# Stop reasons of a trial fitted here.
CONVERGED = "converged"
ITERATION_LIMIT = "iteration_limit"


@dataclass
class SoftmaxFit:
    """A fitted softmax regression: ``weight`` (K, F) and ``bias`` (K,) float32, the objective at the end, the
    iterations taken and whether L-BFGS stopped before its iteration limit (at its tolerance, or where float64 could
    no longer decrease the objective along its direction: SciPy's "abnormal termination in line search")."""

    weight: np.ndarray
    bias: np.ndarray
    loss: float
    iterations: int
    converged: bool


def softmax_objective(params: np.ndarray, X: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 0.0,
                      class_weight: np.ndarray | None = None, label_smoothing: float = 0.0) -> tuple[float, np.ndarray]:
    """The training objective of softmax regression and its gradient, in float64.

    ``params`` is ``concat(W.ravel(), b)`` with W (K, F). The loss is torch's ``cross_entropy(X @ W.T + b, y,
    weight=class_weight, label_smoothing=label_smoothing)`` -- each row's target ``(1 - s) onehot + s / K``, each
    class's term weighted by its class weight, the sum divided by the summed weight of the rows' true classes -- plus
    ``l2 * sum(W**2)``.
    """
    n, n_features = X.shape
    W = params[: n_classes * n_features].reshape(n_classes, n_features)
    b = params[n_classes * n_features:]
    logits = X @ W.T + b
    logits -= logits.max(axis=1, keepdims=True)
    log_proba = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    target = np.full((n, n_classes), label_smoothing / n_classes)
    target[np.arange(n), y] += 1.0 - label_smoothing
    weight = np.ones(n_classes) if class_weight is None else np.asarray(class_weight, np.float64)
    weighted = target * weight  # (n, K): each class's share of each row's loss
    denominator = weight[y].sum()
    loss = -(weighted * log_proba).sum() / denominator + l2 * np.sum(W * W)
    grad_logits = (weighted.sum(axis=1, keepdims=True) * np.exp(log_proba) - weighted) / denominator
    grad_W = grad_logits.T @ X + 2.0 * l2 * W
    return float(loss), np.concatenate([grad_W.ravel(), grad_logits.sum(axis=0)])


def fit_softmax(X, y, n_classes: int, *, l2: float = 0.0, class_weight=None, label_smoothing: float = 0.0,
                max_iter: int | None = None) -> SoftmaxFit:
    """Minimise `softmax_objective` on (`X` (n, F), `y` (n,) int codes) from zero weights with L-BFGS-B, for at
    most `max_iter` iterations (default `MAX_ITER`).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> fit = fit_softmax(X, y, 2, l2=0.01)
    >>> fit.converged, (X @ fit.weight.T + fit.bias).argmax(axis=1).tolist()
    (True, [0, 0, 1, 1])
    """
    from scipy.optimize import minimize  # ~0.2 s to import: only when a search fits one

    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.int64)
    n_features = X.shape[1]
    result = minimize(softmax_objective, np.zeros(n_classes * (n_features + 1)), jac=True, method="L-BFGS-B",
                      args=(X, y, n_classes, l2, class_weight, label_smoothing),
                      options={"maxiter": max_iter or MAX_ITER, "gtol": GTOL, "ftol": FTOL})
    weight = result.x[: n_classes * n_features].reshape(n_classes, n_features)
    return SoftmaxFit(weight.astype(np.float32), result.x[n_classes * n_features:].astype(np.float32),
                      float(result.fun), int(result.nit), result.status != 1)


def train_converged(trial: Trial, X_tr, y_tr, X_va, y_va, *, class_weight=None,
                    recall_of: Watched | Priced | None = None) -> TrialResult:
    """Fit `trial` (a network with no hidden layer) with `fit_softmax` on (`X_tr`, `y_tr`) and score it on
    (`X_va`, `y_va`) as a sweep scores an epoch: its `TrialResult`, one record (``iterations`` says how many
    L-BFGS took), best epoch 1, stop reason `CONVERGED` (`ITERATION_LIMIT` when `MAX_ITER` ran out first)."""
    config, model_config = trial.train_config, trial.model_config
    if model_config.hidden:
        raise ValueError(f"L-BFGS fits softmax regression only; this trial has hidden layers {model_config.hidden}.")
    tic = time.perf_counter()
    weight = None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32)
    fit = fit_softmax(np.asarray(X_tr), np.asarray(y_tr), model_config.n_classes, l2=config.l2,
                      class_weight=None if weight is None else weight.double().numpy(),
                      label_smoothing=config.label_smoothing)
    model = build_model(model_config, seed=config.seed)
    state = {"linears.0.weight": torch.from_numpy(fit.weight), "linears.0.bias": torch.from_numpy(fit.bias)}
    model.load_state_dict(state)
    model.eval()
    X_va, y_va = torch.as_tensor(X_va), torch.as_tensor(y_va)
    totals = ResidentValidation(X_va, y_va).totals(model, weight, cost_tensor(recall_of, X_va.device))
    scores = scores_of_totals(totals, model_config.n_classes, recall_of)
    value = monitored_value(scores, config.monitor)
    record = {"epoch": 1, "train_loss": fit.loss, "lr": config.lr, **scores, "val_score": value,
              "epoch_time": time.perf_counter() - tic, "iterations": fit.iterations}
    return TrialResult(trial=trial, history=[record], best_epoch=1, best_score=value, monitor=config.monitor,
                       stop_reason=CONVERGED if fit.converged else ITERATION_LIMIT, state=state)
