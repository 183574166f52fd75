"""Non-conformity scores of class probabilities (LAC, APS, RAPS) and the sets they give, in plain numpy.

A score s(x, y) is large when label y is unusual for x; a prediction set is every label whose score is at most
its class's calibrated threshold q. Definitions (MAPIE's, so its sets are an oracle for ours):

- **LAC** (Sadinle et al. 2019): ``1 - p_y``.
- **APS** (Romano et al. 2020): the mass of the labels ranked at or above y, ``A_y + p_y``, minus ``u * p_y``
  with u ~ U(0, 1) per row (the randomisation that makes the coverage exact). ``A_y`` is the mass of the labels
  with a strictly larger probability, so tied labels share a rank and are in or out together.
- **RAPS** (Angelopoulos et al. 2021): the APS score plus ``lambda * max(rank_y - k_reg, 0)``, where rank_y is
  1 + the number of labels with a larger probability; it penalises long sets.

Calibration always draws u (as MAPIE does). A set then takes one of two forms:

- **randomised** (MAPIE ``include_last_label="randomized"``): ``{y : score(x, y, u) <= q_y}`` with a fresh u per
  row. Exact: coverage in [1 - alpha, 1 - alpha + 1/(n+1)] for tie-free scores; a set may be empty.
- **non-randomised** (MAPIE ``include_last_label=True``, its default): walk the labels by decreasing
  probability and keep each one while the score of the label ranked just above it (at u = 0) is below its
  threshold, i.e. include the label that crosses q. ``{y : A_y + lambda * max(rank_y - 1 - k_reg, 0) < q_y}``,
  the top label always in. It contains the randomised set for every u, so coverage >= 1 - alpha; never empty.

MAPIE's third form (``include_last_label=False``) is not offered: it is a subset of the randomised set plus the
argmax, so nothing guarantees its coverage.

This module is the reference implementation; `multiclass.conformal.kernel` computes the same sets in C.
"""

from __future__ import annotations

import numpy as np

from multiclass.exceptions import ConfigError, DataError

__all__ = ["SCORES", "check_probs", "check_raps", "conformity_scores", "rank_mass", "sets_numpy"]

SCORES = ("lac", "aps", "raps")
# Rows may sum to 1 only up to float32 rounding of a softmax over many classes.
_SUM_TOLERANCE = 1e-3


def check_probs(probs, name: str = "probs", *, scan: bool = True) -> np.ndarray:
    """`probs` as a C-contiguous float32/float64 array (N, K), K >= 2, entries in [0, 1], rows summing to 1.

    ``scan=False`` checks only the dtype and shape: the set kernel checks the values as it reads them (four
    numpy passes over 1e7 entries cost more than computing the sets); row sums are then not checked.
    """
    values = np.asarray(probs)
    if values.dtype not in (np.float32, np.float64):
        if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.complexfloating):
            raise DataError(f"`{name}` must hold real numbers; got dtype {values.dtype}.")
        values = values.astype(np.float64)
    if values.ndim != 2 or values.shape[1] < 2:
        raise DataError(f"`{name}` must be a 2-D array (n_samples, n_classes) with n_classes >= 2; "
                        f"got shape {values.shape}.")
    if not scan:
        return np.ascontiguousarray(values)
    if values.size and not (np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1):
        raise DataError(f"`{name}` must hold probabilities in [0, 1] (no NaN); got values in "
                        f"[{np.nanmin(values)!r}, {np.nanmax(values)!r}].")
    sums = values.sum(axis=1, dtype=np.float64)
    if len(sums) and np.abs(sums - 1).max() > _SUM_TOLERANCE:
        row = int(np.abs(sums - 1).argmax())
        raise DataError(f"`{name}` rows must sum to 1 (probabilities, not logits); row {row} sums to "
                        f"{float(sums[row])!r}.")
    return np.ascontiguousarray(values)


def check_raps(raps_lambda, raps_k_reg) -> tuple[float, int]:
    """RAPS's (lambda >= 0, k_reg >= 0 integer), or a ConfigError."""
    if isinstance(raps_lambda, bool) or not isinstance(raps_lambda, (int, float)) or not (
            np.isfinite(raps_lambda) and raps_lambda >= 0):
        raise ConfigError(f"`raps_lambda` must be a finite number >= 0; got {raps_lambda!r}.")
    if isinstance(raps_k_reg, bool) or not isinstance(raps_k_reg, (int, np.integer)) or raps_k_reg < 0:
        raise ConfigError(f"`raps_k_reg` must be an integer >= 0; got {raps_k_reg!r}.")
    return float(raps_lambda), int(raps_k_reg)


def rank_mass(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(above (N, K) float64, rank (N, K) int64): the mass of the labels with a strictly larger probability, and
    1 + their number.

    Sums run in order of decreasing probability (ties by class code), one add per label, as the C kernel adds:
    calibration and prediction must agree to the last bit (a new row equal to a calibration row must get the same
    score).
    """
    p = probs.astype(np.float64, copy=False)
    n, k = p.shape
    order = np.argsort(-p, axis=1, kind="stable")  # (N, K) decreasing probability, ties by class code
    ranked = np.take_along_axis(p, order, axis=1)
    cumulative = np.cumsum(ranked, axis=1)  # (N, K) sequential sums, as the kernel does them
    starts = np.zeros((n, k), dtype=np.int64)  # position where each position's tie group starts
    starts[:, 1:] = np.where(ranked[:, 1:] != ranked[:, :-1], np.arange(1, k), 0)
    starts = np.maximum.accumulate(starts, axis=1)
    above_ranked = np.where(starts > 0, np.take_along_axis(cumulative, np.maximum(starts - 1, 0), axis=1), 0.0)
    above, rank = np.empty_like(p), np.empty((n, k), dtype=np.int64)
    np.put_along_axis(above, order, above_ranked, axis=1)
    np.put_along_axis(rank, order, starts + 1, axis=1)
    return above, rank


def _penalty(rank: np.ndarray, raps_lambda: float, raps_k_reg: int) -> np.ndarray:
    return raps_lambda * np.maximum(rank - raps_k_reg, 0)


def conformity_scores(probs, y=None, *, score: str = "aps", u=None, raps_lambda: float = 0.01,
                      raps_k_reg: int = 1) -> np.ndarray:
    """Non-conformity scores: of every label (N, K), or of the labels `y` (N,).

    Parameters
    ----------
    probs : array-like of shape (n_samples, n_classes)
        Class probabilities.
    y : array-like of int, shape (n_samples,), optional
        Class codes; when given, only their scores are returned.
    score : {"lac", "aps", "raps"}, default="aps"
        See the module docstring.
    u : array-like of shape (n_samples,), optional
        Uniform draws in [0, 1] for APS/RAPS (one per row); None means u = 0, the largest score.
    raps_lambda, raps_k_reg : float, int
        RAPS's penalty per label beyond the first `raps_k_reg`.

    Returns
    -------
    ndarray of float64, shape (n_samples,) or (n_samples, n_classes)

    Examples
    --------
    >>> probs = np.array([[0.5, 0.3, 0.2]])
    >>> conformity_scores(probs, score="lac").round(2).tolist()
    [[0.5, 0.7, 0.8]]
    >>> conformity_scores(probs, score="aps").round(2).tolist()  # mass ranked at or above each label
    [[0.5, 0.8, 1.0]]
    >>> conformity_scores(probs, [1], score="raps", raps_lambda=0.1, raps_k_reg=1).round(2).tolist()
    [0.9]
    """
    values = check_probs(probs)
    if score not in SCORES:
        raise ConfigError(f"`score` must be one of {SCORES}; got {score!r}.")
    p = values.astype(np.float64, copy=False)
    if score == "lac":
        scores = 1.0 - p
    else:
        above, rank = rank_mass(values)
        draws = np.zeros(len(p)) if u is None else np.asarray(u, dtype=np.float64)
        scores = (above + p) - draws[:, None] * p
        if score == "raps":
            scores = scores + _penalty(rank, *check_raps(raps_lambda, raps_k_reg))
    if y is None:
        return scores
    return np.take_along_axis(scores, np.asarray(y, dtype=np.int64)[:, None], axis=1)[:, 0]


def sets_numpy(probs: np.ndarray, thresholds: np.ndarray, *, score: str, randomized: bool, u: np.ndarray | None,
               raps_lambda: float, raps_k_reg: int, nonempty: bool) -> np.ndarray:
    """Prediction sets (N, K) bool from checked `probs` and per-class `thresholds` (K,); the reference for the
    C kernel (same sums in the same order, so the same sets bit for bit)."""
    p = probs.astype(np.float64, copy=False)
    if score == "lac":
        sets = (1.0 - p) <= thresholds
    else:
        above, rank = rank_mass(probs)
        lam = raps_lambda if score == "raps" else 0.0
        if randomized:
            sets = ((above + p) - u[:, None] * p) + _penalty(rank, lam, raps_k_reg) <= thresholds
        else:
            entry = np.where(rank == 1, -np.inf, above + _penalty(rank - 1, lam, raps_k_reg))
            sets = entry < thresholds
    if nonempty:
        empty = ~sets.any(axis=1)
        sets[empty] = p[empty] == p[empty].max(axis=1, keepdims=True)
    return sets
