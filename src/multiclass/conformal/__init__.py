"""Conformal prediction sets and recall guarantees: numbers in, numbers out (numpy; a small C kernel for speed).

A set predictor is calibrated on rows the model did not train on (`calibrate_sets`; `calibrate_cross_sets` for
out-of-fold rows) into a `ConformalCalibration`, a frozen value stored in model.json (`to_dict`/`from_dict`);
`predict_sets` turns new probabilities into bool (N, K) sets. Scores: LAC, APS, RAPS (`scores`). Coverage is
marginal, per class ("Mondrian") or per named class; with a confidence it holds for this calibration set with
that probability. Too few rows for what is asked is refused, saying how many are needed (`rows_needed`).

`fit_recall_guarantee` turns a recall target for a critical class into a threshold on its probability with
the same guarantee, and `decide_with_guarantee` applies it ("decide c when p_c >= t_c, else the argmax").

Modules: `quantile` (order statistics, rows needed), `scores` (definitions, numpy reference), `csrc`/`build`/
`kernel` (the compiled sets), `calibration` (the stored value), `calibrate`, `sets`, `recall`.

>>> import numpy as np
>>> rows_needed(0.95, confidence=0.95)
59
"""

from multiclass.conformal.calibrate import calibrate_cross_sets, calibrate_sets
from multiclass.conformal.calibration import ConformalCalibration
from multiclass.conformal.quantile import rows_needed
from multiclass.conformal.recall import RecallGuarantee, decide_with_guarantee, fit_recall_guarantee
from multiclass.conformal.scores import conformity_scores
from multiclass.conformal.sets import predict_sets

__all__ = [
    "ConformalCalibration",
    "RecallGuarantee",
    "calibrate_cross_sets",
    "calibrate_sets",
    "conformity_scores",
    "decide_with_guarantee",
    "fit_recall_guarantee",
    "predict_sets",
    "rows_needed",
]
