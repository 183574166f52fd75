"""The confident joint of given and true labels (Northcutt et al., JAIR 2021), from out-of-sample probabilities.

Everything here works on counts: per-class thresholds, the K x K confident joint, its calibration to the given
label counts, the estimated joint and noise matrix, and the prune counts the filtering rules use
(`multiclass.audit.rules`). The definitions are cleanlab's (``cleanlab/count.py``, ``filter.py``), constant for
constant, so the same probabilities give the same numbers; ``tests/test_audit_joint.py`` checks them against it.

Orientation: ``cj[i, j]`` counts rows whose *given* label is i and whose confidently guessed *true* label is j
(rows = given, as cleanlab's `confident_joint`). The noise matrix is ``P(given = i | true = j)`` (columns sum to 1).

Ties: where cleanlab orders values with numpy's default (unstable, SIMD-dependent) ``argsort``, we use a stable
sort, so ties are broken by position (the earlier row or class first) and results do not depend on the CPU. That
is exactly what cleanlab gives when ``np.argsort`` is stable, which the tests check.

Probabilities are used as float64 (cleanlab keeps float32 input in float32 in places; convert first to compare).
"""

from __future__ import annotations

import numpy as np

from multiclass.exceptions import ConfigError, DataError

__all__ = [
    "SLACK",
    "calibrate_joint",
    "check_probabilities",
    "confident_guess",
    "confident_joint",
    "confident_thresholds",
    "count_confident",
    "estimate_joint",
    "noise_matrix",
    "prune_counts",
    "round_preserving_row_totals",
    "thresholds_from_means",
    "wrong_label_counts",
]

# cleanlab's constants (cleanlab/internal/constants.py), named for what they do here.
SLACK = 1e-6  # FLOATING_POINT_COMPARISON: p >= threshold - SLACK counts as confident; a tie margin for the argmax
THRESHOLD_FLOOR = 2 * SLACK  # CONFIDENT_THRESHOLDS_LOWER_BOUND: a threshold is never below the slack
ABSENT_THRESHOLD = 2.0  # BIG_VALUE: a class nobody was given gets a threshold no probability reaches
TINY = 1e-100  # TINY_VALUE: the floor of a divisor
NOISE_RATE_MAX = 0.9999  # clip_noise_rates: an off-diagonal noise rate stays below 1


def check_probabilities(labels, probs) -> tuple[np.ndarray, np.ndarray]:
    """Validate given labels (N,) and out-of-sample probabilities (N, K); return int64 codes and float64 rows.

    Raises
    ------
    DataError
        Shapes that disagree, fewer than 2 classes, labels that are not codes in [0, K), probabilities that are not
        finite or lie outside [0, 1] (logits passed by mistake).
    """
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise DataError(f"`probs` must have shape (n_samples, n_classes) with n_classes >= 2; got {probs.shape}.")
    if probs.dtype.kind not in "biuf":
        raise DataError(f"`probs` must hold numbers; got dtype {probs.dtype}.")
    probs = np.ascontiguousarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(probs):
        raise DataError(f"`labels` must be 1-D with one entry per row of `probs` ({len(probs)}); got shape "
                        f"{labels.shape}.")
    if len(labels) == 0:
        raise DataError("`labels` must have at least one row; got 0.")
    if labels.dtype.kind not in "iu":
        raise DataError(f"`labels` must hold integer class codes; got dtype {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= probs.shape[1]:
        raise DataError(f"`labels` codes must be in [0, {probs.shape[1]}); got values in "
                        f"[{labels.min()}, {labels.max()}].")
    # min and max propagate NaN and see infinities: two passes without a temporary, the search only on failure
    if not (probs.min() >= 0 and probs.max() <= 1):
        row, col = np.argwhere(~((probs >= 0) & (probs <= 1)))[0]
        raise DataError(f"`probs` must be probabilities in [0, 1]; got {float(probs[row, col])!r} at row {row}, column "
                        f"{col} (pass softmax outputs, not logits).")
    return labels.astype(np.int64), probs


def thresholds_from_means(means: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """Per-class thresholds from the mean self-confidence of each given class (K,); absent classes get 2."""
    values = np.where(np.asarray(label_counts) > 0, means, ABSENT_THRESHOLD)
    return np.clip(values, THRESHOLD_FLOOR, None)


def confident_thresholds(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """The threshold of class k: the mean probability of k over the rows given k (cleanlab's self-confidence mean).

    Each class's mean is numpy's mean of that class's values in row order, the very sum cleanlab computes, so
    thresholds match to the bit.

    Returns
    -------
    ndarray of shape (K,)
    """
    n_classes = probs.shape[1]
    counts = np.bincount(labels, minlength=n_classes)
    self_confidence = probs[np.arange(len(labels)), labels]  # (N,)
    by_class = self_confidence[np.argsort(labels, kind="stable")]  # (N,) class 0's rows, then class 1's, ...
    ends = np.cumsum(counts)
    means = np.zeros(n_classes)
    for k in np.flatnonzero(counts):
        means[k] = np.mean(by_class[ends[k] - counts[k] : ends[k]])
    return thresholds_from_means(means, counts)


def confident_guess(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Each row's confidently guessed true class, or -1 where no class reaches its threshold.

    A class is confident for a row when its probability is at least its threshold (less `SLACK`); with several,
    the row's most probable class is the guess.

    Returns
    -------
    ndarray of int64, shape (N,)
    """
    confident = probs >= thresholds - SLACK  # (N, K)
    n_confident = confident.sum(axis=1)  # (N,)
    guess = np.where(n_confident > 1, probs.argmax(axis=1), confident.argmax(axis=1))
    return np.where(n_confident > 0, guess, -1).astype(np.int64)


def count_confident(labels: np.ndarray, guess: np.ndarray, n_classes: int) -> np.ndarray:
    """The uncalibrated confident joint: ``cj[given, guess]`` over the rows with a guess (K, K) int64."""
    seen = guess >= 0
    flat = labels[seen] * n_classes + guess[seen]
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def round_preserving_row_totals(matrix: np.ndarray) -> np.ndarray:
    """Round each row to integers whose sum is the row's sum rounded (cleanlab's ``round_preserving_sum``).

    Values are rounded half to even; then, while the row total is off, the entries rounded down the most get +1
    (or the ones rounded up the most get -1). Ties go by a stable sort (see the module docstring).
    """
    out = np.empty(matrix.shape, dtype=np.int64)
    for i, row in enumerate(np.asarray(matrix, dtype=np.float64)):
        ints = row.round()
        target, total = np.sum(row).round(), np.sum(ints).round()
        while abs(total - target) > SLACK:
            diff = np.round(target - total)
            step = -1 if diff < 0 else 1
            changes = min(int(abs(diff)), len(row))
            # ascending order of (value - rounded), read from the end to add and from the start to subtract
            ints[np.argsort(row - ints, kind="stable")[::-step][:changes]] += step
            total = np.sum(ints).round()
        out[i] = ints
    return out


def calibrate_joint(counts: np.ndarray, label_counts: np.ndarray) -> np.ndarray:
    """Scale each row of a confident joint to its class's given count, the whole to N, and round (K, K) int64.

    cleanlab's ``calibrate_confident_joint``: afterwards row i sums to the number of rows given class i.
    """
    label_counts = np.asarray(label_counts)
    # Column-major, as cleanlab's joint (a transposed confusion matrix): the total below is then summed in the same
    # order, to the same last bit -- which decides the rounding of entries whose fractions nearly tie.
    counts = np.asfortranarray(counts)
    scaled = (counts.T / np.clip(counts.sum(axis=1), TINY, None) * label_counts).T  # rows sum to label_counts
    scaled = scaled / np.clip(np.sum(scaled), TINY, None) * int(label_counts.sum())
    return round_preserving_row_totals(scaled)


def confident_joint(labels: np.ndarray, probs: np.ndarray, *, thresholds: np.ndarray | None = None,
                    calibrate: bool = True) -> np.ndarray:
    """The confident joint ``cj[given, true]`` (K, K) int64 of validated labels and probabilities.

    Every diagonal entry is at least 1 before calibration (cleanlab's guarantee that each class keeps a
    correctly labelled row). With ``calibrate=True`` (the default, as cleanlab) rows sum to the given counts.
    """
    n_classes = probs.shape[1]
    if thresholds is None:
        thresholds = confident_thresholds(labels, probs)
    counts = count_confident(labels, confident_guess(probs, thresholds), n_classes)
    np.fill_diagonal(counts, counts.diagonal().clip(min=1))
    if not calibrate:
        return counts
    return calibrate_joint(counts, np.bincount(labels, minlength=n_classes))


def estimate_joint(calibrated: np.ndarray) -> np.ndarray:
    """The estimated joint distribution ``P(given = i, true = j)`` (K, K): the calibrated joint over its total."""
    return calibrated / np.clip(float(np.sum(calibrated)), TINY, None)


def noise_matrix(calibrated: np.ndarray) -> np.ndarray:
    """``P(given = i | true = j)`` (K, K), columns summing to 1 (cleanlab's `estimate_latent`, without converging).

    Off-diagonal rates are clipped to [0, 0.9999] and each column renormalised, as ``clip_noise_rates``.
    """
    rates = calibrated / np.clip(calibrated.sum(axis=0).astype(float), TINY, None)
    diagonal = np.diagonal(rates).copy()
    rates = np.clip(rates, 0, NOISE_RATE_MAX)
    np.fill_diagonal(rates, diagonal)
    return rates / np.clip(rates.sum(axis=0), TINY, None)


def wrong_label_counts(calibrated: np.ndarray) -> np.ndarray:
    """Per given class, the estimated number of wrongly labelled rows: the row total less the diagonal (K,)."""
    return calibrated.sum(axis=1) - np.diagonal(calibrated)


def _keep_at_least(pcm: np.ndarray, n: int) -> np.ndarray:
    """Raise each diagonal entry of the (true, given) prune matrix to at least `n`, taking the rows added evenly
    from the column's non-zero noise counts (cleanlab's ``_keep_at_least_n_per_class``, before its rounding)."""
    diagonal = np.diagonal(pcm)
    new_diagonal = np.maximum(diagonal, n)
    added = new_diagonal - diagonal  # (K,) per column
    n_noise = np.maximum(np.count_nonzero(pcm, axis=0) - 1.0, 1.0)  # non-zero entries per column, less the diagonal
    out = pcm - added / n_noise
    out[out < 0] = 0
    np.fill_diagonal(out, new_diagonal)
    return out


def _scale_noise(pcm: np.ndarray, frac_noise: float) -> np.ndarray:
    """Multiply the off-diagonal counts by `frac_noise`, move what was removed onto the diagonal, truncate to ints."""
    scaled = pcm * frac_noise
    np.fill_diagonal(scaled, pcm.diagonal())
    np.fill_diagonal(scaled, pcm.diagonal() + np.sum(pcm - scaled, axis=0))
    return scaled.astype(np.int64)


def prune_counts(calibrated: np.ndarray, label_counts: np.ndarray, *, min_examples_per_class: int = 1,
                 frac_noise: float = 1.0, num_to_remove_per_class=None) -> np.ndarray:
    """How many rows each rule prunes: ``pcm[j, k]`` rows given k that truly look like j (the transpose of the joint).

    Parameters
    ----------
    calibrated : ndarray (K, K) int
        The calibrated confident joint.
    label_counts : ndarray (K,) int
    min_examples_per_class : int, default=1
        Every class keeps at least this many rows (the diagonal is raised to it).
    frac_noise : float in (0, 1], default=1.0
        Prune only this fraction of the estimated noise of each pair.
    num_to_remove_per_class : sequence of K ints, optional
        Prune exactly this many rows of each given class, spread over the pairs as the joint's noise rates.

    Returns
    -------
    ndarray (K, K) int64
    """
    pcm = _scale_noise(_keep_at_least(calibrated.T, min_examples_per_class), frac_noise)
    if num_to_remove_per_class is None:
        return pcm
    remove = np.asarray(num_to_remove_per_class)
    with np.errstate(invalid="ignore", divide="ignore"):
        # cleanlab's arithmetic as written, including its broadcast (column j over row total j)
        rates = pcm / np.sum(pcm, axis=1)
        noise_per_class = rates.sum(axis=1) - rates.diagonal()
        spread = (rates.T * remove / noise_per_class).T
    np.fill_diagonal(spread, np.asarray(label_counts) - remove)
    if not np.isfinite(spread).all():
        k = int(np.flatnonzero(~np.isfinite(spread).all(axis=1))[0])
        raise ConfigError(f"`num_to_remove_per_class` cannot be spread for class {k}: the joint estimates no noise "
                          f"there; got {remove.tolist()!r}.")
    return round_preserving_row_totals(spread)
