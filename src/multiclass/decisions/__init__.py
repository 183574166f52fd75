"""Decisions that respect the cost of errors: calibrated probabilities, then the decision a user asks for.

A model gives log-probabilities; a `DecisionPolicy` turns them into decisions:

1. **Temperature scaling** (`fit_temperature`, `apply_temperature`): one T > 0 fitted on validation rows makes
   the probabilities honest without moving the argmax.
2. **One rule**: the argmax; the argmax after per-class log-prior offsets tuned to reach recall targets on
   validation rows (`fit_recall_offsets`); or the Bayes decision of a K x K cost matrix, rows = true class and
   columns = decided class as in the confusion matrix (`bayes_decision`, `expected_cost`, `cost_matrix_from`).

`DecisionConfig` + `fit_policy` fit a policy and `decide` applies it. Modules: `temperature`, `cost`, `costfile`
(reading cost matrices named by class), `offsets`, `policy`. Whether one model's decisions beat another's is a
metric: `multiclass.metrics.compare`.

>>> import numpy as np
>>> log_probs = np.log([[0.7, 0.3], [0.95, 0.05]])
>>> decide(log_probs, DecisionPolicy(cost_matrix=[[0, 1], [5, 0]])).tolist()  # missing class 1 costs 5
[1, 0]
"""

from multiclass.decisions.cost import (
    bayes_decision,
    check_cost_matrix,
    expected_cost,
    zero_one_cost,
)
from multiclass.decisions.costfile import cost_matrix_from, read_cost_matrix
from multiclass.decisions.offsets import check_recall_targets, fit_recall_offsets
from multiclass.decisions.policy import (
    DecisionConfig,
    DecisionPolicy,
    decide,
    fit_policy,
)
from multiclass.decisions.temperature import (
    apply_temperature,
    fit_temperature,
    nll_at_temperature,
)

__all__ = [
    "DecisionConfig",
    "DecisionPolicy",
    "apply_temperature",
    "bayes_decision",
    "check_cost_matrix",
    "check_recall_targets",
    "cost_matrix_from",
    "decide",
    "expected_cost",
    "fit_policy",
    "fit_recall_offsets",
    "fit_temperature",
    "nll_at_temperature",
    "read_cost_matrix",
    "zero_one_cost",
]
