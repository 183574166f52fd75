"""What a monitor watches beyond the headline scores, resolved from a `TrainConfig`: the classes of a
``val_recall`` / ``val_critical`` monitor (`multiclass.classes.Watched`, at the config's precision floor) or the
cost matrix of a ``val_cost`` monitor (`Priced`), and the costs of the decisions a ``val_cost`` monitor prices.

``val_cost`` is the expected cost per validation row of the decisions the saved model will make: each row is
decided by the minimum expected cost under the cost matrix, ``argmin_j sum_i p_i cost[i, j]``
(`multiclass.decisions.bayes_decision`, ties to the lowest code), from the softmax of the network's logits, and
costs ``cost[y, decided]``; the monitor is the mean over the rows, unweighted by any class weight (the matrix
already says what each error costs), and lower is better. The probabilities are the uncalibrated ones: a
temperature (``calibrate``) is fitted only after training, on the same validation rows, so during training the
model has none yet. Without ``calibrate`` the monitored cost is exactly what the saved model's decisions cost on
the validation rows (tests/test_cost_monitor.py); with it, the saved model decides from tempered probabilities,
which keeps the argmax but can move a cost decision, so its cost may differ from the monitored one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from multiclass.classes import Watched, monitored_class
from multiclass.exceptions import ConfigError
from multiclass.training.config import check_monitor_costs

__all__ = ["COST_MONITOR", "MISSING_COSTS", "Priced", "cost_tensor", "decision_costs", "watched_of"]

# The monitor of a cost matrix: the mean cost per validation row of the minimum-expected-cost decisions.
COST_MONITOR = "val_cost"
MISSING_COSTS = ("`monitor` 'val_cost' prices the validation decisions with a cost matrix; give one with "
                 "`cost_matrix`.")


@dataclass(frozen=True)
class Priced:
    """The cost matrix a ``val_cost`` monitor prices validation decisions with (see the module docstring).

    Parameters
    ----------
    costs : tuple of tuples of float, shape (K, K)
        Rows = true class, columns = decided class.
    """

    costs: tuple[tuple[float, ...], ...]


def watched_of(config, classes: Sequence | None, n_classes: int) -> Watched | Priced | None:
    """What `config`'s monitor watches: `Priced` for ``val_cost`` (its ``cost_matrix``), `Watched` for
    ``val_recall:`` / ``val_critical:`` (the latter at ``config.precision_floor``), None for the headline scores.

    Raises
    ------
    ConfigError
        ``val_cost`` without a cost matrix, or one of the wrong size.
    """
    if config.monitor == COST_MONITOR:
        if config.cost_matrix is None:
            raise ConfigError(MISSING_COSTS)
        return Priced(check_monitor_costs(config.cost_matrix, n_classes))
    return monitored_class(config.monitor, classes, n_classes, floor=config.precision_floor)


def cost_tensor(watched, device) -> torch.Tensor | None:
    """The (K, K) float64 cost matrix of a `Priced` on `device`; None for any other watch."""
    if not isinstance(watched, Priced):
        return None
    return torch.tensor(watched.costs, dtype=torch.float64, device=device)


@torch.no_grad()
def decision_costs(logits: torch.Tensor, labels: torch.Tensor, costs: torch.Tensor) -> torch.Tensor:
    """The cost ``costs[y, decided]`` of each row's minimum-expected-cost decision (see the module docstring).

    Parameters
    ----------
    logits : tensor (..., n, K)
    labels : int64 tensor broadcastable to (..., n)
    costs : float64 tensor (K, K)

    Returns
    -------
    tensor (..., n) float64
    """
    probs = torch.softmax(logits.double(), dim=-1)  # (..., n, K), float64 as the saved model's numpy decision
    decided = (probs @ costs).argmin(dim=-1)  # (..., n): the first minimum on ties, as numpy's argmin
    return costs[labels, decided]
