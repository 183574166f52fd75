"""Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one scalar T > 0 that
divides the logits, fitted on held-out rows by minimising their negative log-likelihood.

Dividing by T changes the confidence, never the order of the logits, so the argmax stays what it was. The same
T works on logits or on log-probabilities: ``log_softmax(z) = z - logsumexp(z)`` differs from ``z`` by one
number per row, and dividing a per-row shift by T leaves another per-row shift, which softmax ignores.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, logsumexp

from multiclass.exceptions import ConfigError, DataError

__all__ = ["apply_temperature", "check_log_probs", "check_temperature", "fit_temperature", "nll_at_temperature"]

# T is searched in [1e-2, 1e2]: a network a hundred times over- or under-confident is far outside anything
# temperature scaling is meant to fix, and the bound keeps a degenerate fit (logits unrelated to y) finite.
_LOG_T_BOUND = math.log(100.0)
# Tolerance of the search on log T: T is found to within 1e-6 relative, far below any change in NLL that matters.
_LOG_T_TOL = 1e-6


def check_log_probs(log_probs, name: str = "log_probs") -> np.ndarray:
    """(N, K) float64 from finite logits or log-probabilities; DataError otherwise."""
    values = np.asarray(log_probs, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < 2:
        raise DataError(f"`{name}` must be a 2-D array (n_samples, n_classes) with n_classes >= 2; "
                        f"got shape {values.shape}.")
    if not np.isfinite(values).all():
        raise DataError(f"`{name}` must be finite; got NaN or infinity (take logits, or log-probabilities "
                        "clipped away from 0).")
    return values


def check_codes(y, n_samples: int, n_classes: int) -> np.ndarray:
    codes = np.asarray(y)
    if codes.shape != (n_samples,) or codes.dtype.kind not in "iu":
        raise DataError(f"`y` must be {n_samples} integer class codes; got dtype {codes.dtype} and shape "
                        f"{codes.shape}.")
    if n_samples and (codes.min() < 0 or codes.max() >= n_classes):
        bad = codes.min() if codes.min() < 0 else codes.max()
        raise DataError(f"`y` must hold class codes in [0, {n_classes}); got {int(bad)!r}.")
    return codes.astype(np.intp)


def check_temperature(temperature) -> float:
    """A finite float > 0; ConfigError otherwise."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)):
        raise ConfigError(f"`temperature` must be a number > 0; got {temperature!r}.")
    value = float(temperature)
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"`temperature` must be a finite number > 0; got {temperature!r}.")
    return value


def apply_temperature(logits, temperature) -> np.ndarray:
    """Calibrated log-probabilities ``log_softmax(logits / T)``, shape (N, K), float64.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Logits or log-probabilities (the result is the same).
    temperature : float
        T > 0; T > 1 softens over-confident probabilities, T = 1 leaves them as they are.

    Examples
    --------
    >>> np.exp(apply_temperature([[2.0, 0.0]], 2.0)).round(4).tolist()
    [[0.7311, 0.2689]]
    """
    return log_softmax(check_log_probs(logits, "logits") / check_temperature(temperature), axis=1)


def nll_at_temperature(logits, y, temperature) -> float:
    """Mean negative log-likelihood of the true classes `y` (int codes) under ``softmax(logits / T)``."""
    z = check_log_probs(logits, "logits")
    codes = check_codes(y, len(z), z.shape[1])
    scaled = z / check_temperature(temperature)  # (N, K)
    return float(np.mean(logsumexp(scaled, axis=1) - scaled[np.arange(len(z)), codes]))


def fit_temperature(logits, y) -> float:
    """The temperature T > 0 that minimises the mean NLL of `y` under ``softmax(logits / T)``.

    The NLL is a convex function of 1/T (a log-sum-exp of linear functions minus a linear one), so it has one
    minimum; a bounded Brent search over log T finds it (T in [0.01, 100]).

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Logits or log-probabilities of held-out rows (never the training rows: there the model is over-confident
        by construction).
    y : array-like of int, shape (n_samples,)
        Their true class codes.

    Returns
    -------
    temperature : float

    Raises
    ------
    DataError
        Non-finite logits, codes out of range, no rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> z = rng.normal(size=(2000, 3)) + 2.0 * np.eye(3)[y]  # unit Gaussians around 2 * onehot(y)
    >>> logits = 2.0 * z  # their exact log-posterior up to a per-row constant: calibrated at T = 1 ...
    >>> round(fit_temperature(5 * logits, y))  # ... so five times those logits want T close to 5
    5
    """
    z = check_log_probs(logits, "logits")
    codes = check_codes(y, len(z), z.shape[1])
    if len(z) == 0:
        raise DataError("`logits` must hold at least one row to fit a temperature; got 0 rows.")
    z = z - z.max(axis=1, keepdims=True)  # (N, K) per-row shift: same softmax, no overflow in logsumexp
    true = z[np.arange(len(z)), codes]  # (N,)

    def nll(log_t: float) -> float:
        scaled = z * math.exp(-log_t)
        return float(np.mean(logsumexp(scaled, axis=1) - true * math.exp(-log_t)))

    result = minimize_scalar(nll, bounds=(-_LOG_T_BOUND, _LOG_T_BOUND), method="bounded",
                             options={"xatol": _LOG_T_TOL})
    return float(math.exp(result.x))
