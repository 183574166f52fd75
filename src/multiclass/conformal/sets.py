"""Prediction sets for new rows from a `ConformalCalibration`: the public verb over the compiled kernel."""

from __future__ import annotations

import numpy as np

from multiclass.conformal.calibration import ConformalCalibration
from multiclass.conformal.kernel import compute_sets
from multiclass.conformal.scores import check_probs
from multiclass.exceptions import ConfigError, DataError

__all__ = ["predict_sets", "set_draws"]

# Predictions draw their uniforms from this stream of the calibration's seed, never the calibration's own draws:
# a test row sharing its u with a calibration row would not be exchangeable with it.
_PREDICT_STREAM = 1


def set_draws(n: int, calibration: ConformalCalibration, random_state=None) -> np.ndarray:
    """Uniform draws (n,) for randomised sets: int or None -> a numpy Generator (None: seeded from the
    calibration); a ``np.random.RandomState`` -> its ``uniform(size=n)`` (MAPIE's draws); a Generator -> its own."""
    if random_state is None:
        return np.random.default_rng([calibration.random_state, _PREDICT_STREAM]).random(n)
    if isinstance(random_state, np.random.RandomState):
        return random_state.uniform(size=n)
    if isinstance(random_state, np.random.Generator):
        return random_state.random(n)
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool) and random_state >= 0:
        return np.random.default_rng(int(random_state)).random(n)
    raise ConfigError(f"`random_state` must be None, an integer >= 0, a numpy Generator or RandomState; "
                      f"got {random_state!r}.")


def predict_sets(probs, calibration: ConformalCalibration, *, nonempty: bool = False, random_state=None,
                 out: np.ndarray | None = None, n_threads: int = 1) -> np.ndarray:
    """Prediction sets of new rows: a bool matrix, True where the class is in the row's set.

    Parameters
    ----------
    probs : array-like of shape (n_samples, n_classes)
        Probabilities of the new rows, float32 or float64 (for a cross-conformal calibration: the mean of the
        fold models' probabilities, or the final model's).
    calibration : ConformalCalibration
        From `calibrate_sets` or `calibrate_cross_sets`.
    nonempty : bool, default=False
        Put the most probable class (all of them on a tie) in a set that would be empty. Coverage can only
        grow; the randomised sets lose their upper bound.
    random_state : None, int, numpy Generator or RandomState, optional
        Uniform draws of randomised sets, one per row; None draws from the calibration's seed (a stream of its
        own), so the same rows give the same sets.
    out : ndarray of bool, shape (n_samples, n_classes), optional
        Written in place and returned (C-contiguous), to avoid allocating.
    n_threads : int, default=1
        Threads splitting the rows (at least 16,384 rows each). More help on an idle multi-core machine; on a
        busy one a thread waiting for a core makes the call slower, hence the default.

    Returns
    -------
    ndarray of bool, shape (n_samples, n_classes)

    Raises
    ------
    DataError
        `probs` is not probabilities (NaN, or outside [0, 1]) of the calibration's classes, or `out` has the
        wrong shape or dtype. Row sums are checked at calibration, not here (it would cost more than the sets).

    Examples
    --------
    >>> from multiclass.conformal import calibrate_sets
    >>> rng = np.random.default_rng(0)
    >>> probs = rng.dirichlet([4, 1, 1], size=200)
    >>> y = np.array([rng.choice(3, p=p) for p in probs])
    >>> calibration = calibrate_sets(probs, y, coverage=0.9, score="aps")
    >>> predict_sets([[0.9, 0.06, 0.04], [0.4, 0.35, 0.25]], calibration).astype(int).tolist()
    [[1, 0, 0], [1, 1, 1]]
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise ConfigError(f"`n_threads` must be an integer >= 1; got {n_threads!r}.")
    if not isinstance(calibration, ConformalCalibration):
        raise ConfigError(f"`calibration` must be a ConformalCalibration; got {type(calibration).__name__}.")
    values = check_probs(probs, scan=False)  # values: checked by the kernel as it reads them
    if values.shape[1] != calibration.n_classes:
        raise DataError(f"`probs` has {values.shape[1]} classes but the calibration has {calibration.n_classes}.")
    draws = set_draws(len(values), calibration, random_state) if calibration.randomized else None
    return compute_sets(values, calibration.thresholds, score=calibration.score, randomized=calibration.randomized,
                        u=draws, raps_lambda=calibration.raps_lambda, raps_k_reg=calibration.raps_k_reg,
                        nonempty=bool(nonempty), out=out, n_threads=n_threads)
