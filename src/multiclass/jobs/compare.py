"""The `compare` verb: is model B better than model A on the same labelled data?

Each model reads the data through its own preprocessing and decides under its own policy; the decisions are
compared row by row with a paired bootstrap of the score differences (B - A) and McNemar's test
(`multiclass.metrics.compare_predictions`).
"""

from __future__ import annotations

import numpy as np

from multiclass.exceptions import DataError
from multiclass.jobs.inputs import load_for_model
from multiclass.metrics import PairedComparison, compare_predictions
from multiclass.trained import TrainedModel

__all__ = ["compare"]


def compare(trained_a: TrainedModel, trained_b: TrainedModel, data, *, n_resamples: int = 1000, seed: int = 0,
            confidence: float = 0.95, **options) -> PairedComparison:
    """Compare the decisions of two models on the same labelled data (`options`: reader options, as
    `multiclass.jobs.inputs.load_for_model`).

    Raises
    ------
    DataError
        The models' classes differ, the data has no labels, or the two models read different labels.
    """
    if set(trained_a.classes) != set(trained_b.classes):
        raise DataError(f"the models must know the same classes to be compared; got {list(trained_a.classes)[:10]} "
                        f"and {list(trained_b.classes)[:10]}.")
    datasets = [load_for_model(trained, data, **options) for trained in (trained_a, trained_b)]
    for dataset in datasets:
        if dataset.y is None:
            raise DataError(f"{dataset.source}: comparing models needs labels; the data has none.")
    to_a = np.array([trained_a.classes.index(name) for name in trained_b.classes])  # B's codes -> A's codes
    y_a, y_b = datasets[0].y, to_a[datasets[1].y]
    if len(y_a) != len(y_b) or not np.array_equal(y_a, y_b):
        raise DataError(f"{datasets[0].source}: the two models read different labels from the data; compare them "
                        "on data both read the same way.")
    pred_a = trained_a.predict_codes(datasets[0].X)
    pred_b = to_a[trained_b.predict_codes(datasets[1].X)]
    return compare_predictions(y_a, pred_a, pred_b, n_resamples=n_resamples, seed=seed, confidence=confidence)
