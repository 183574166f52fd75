"""Calibration of predicted probabilities (N, K): reliability bins, expected calibration error, Brier score.

Binning: `n_bins` equal-width bins of [0, 1], closed on the right, ``(b/n, (b+1)/n]`` (the first also holds 0),
as in Guo et al. 2017 ("On Calibration of Modern Neural Networks"). Column j of `y_proba` belongs to the j-th
class in sorted order: the sorted unique labels of y_true, or the sorted `labels` (as in `log_loss`).

- **Top-label ECE** (Guo et al.): bin the confidence ``max_k p_k`` of every row; the sum over bins of
  ``|accuracy - mean confidence|`` weighted by the fraction of rows in the bin. "Accuracy" is that of the
  argmax of the probabilities (ties: the first column).
- **Class-wise ECE** (Kull et al. 2019, "Beyond temperature scaling"): for every class k, bin ``p_k`` of all
  rows and weigh ``|fraction of rows of class k - mean p_k|`` by the bin's share of rows; the mean over classes.
- **Brier score** (Brier 1950): ``mean_i sum_k (p_ik - [y_i = k])^2``, in [0, 2]; halved for two columns
  when ``scale_by_half='auto'``, as scikit-learn's `brier_score_loss` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks
from multiclass.metrics._encode import index_in
from multiclass.metrics.probabilistic import check_scores, score_classes

__all__ = [
    "ReliabilityBins",
    "brier_score_loss",
    "classwise_calibration_error",
    "expected_calibration_error",
    "reliability_bins",
]

# Class-wise binning and the Brier score touch N*K entries; they go through the rows in blocks of about this many
# entries (8 bytes each: ~32 MiB of temporaries) to bound memory at large N*K.
_BLOCK_ENTRIES = 1 << 22


def _check_proba(y_true, y_proba, labels) -> tuple[np.ndarray, np.ndarray]:
    """(true_idx (N,), proba (N, K) float64) after the checks of `log_loss`."""
    y_true = _checks.check_labels_1d(y_true, "y_true")
    y_proba = check_scores(y_proba, "y_proba", len(y_true)).astype(np.float64, copy=False)
    if y_proba.max() > 1 or y_proba.min() < 0:
        bad = y_proba.max() if y_proba.max() > 1 else y_proba.min()
        raise DataError(f"`y_proba` must hold probabilities in [0, 1]; got {float(bad)!r}.")
    if y_proba.ndim == 1:  # probability of the second class
        y_proba = np.stack([1 - y_proba, y_proba], axis=1)  # (N, 2)
    classes = np.sort(score_classes(y_true, labels))
    if y_proba.shape[1] != len(classes):
        source = "labels" if labels is not None else "y_true"
        fix = " Pass all classes through `labels`." if labels is None else ""
        raise DataError(f"`y_proba` must have one column per class ({len(classes)} in `{source}`); got "
                        f"{y_proba.shape[1]} columns.{fix}")
    true_idx = index_in(y_true, classes)
    if (true_idx == len(classes)).any():
        missing = y_true[true_idx == len(classes)][0]
        raise DataError(f"`y_true` must only contain labels listed in `labels`; got {missing.item()!r}.")
    return true_idx, y_proba


def _bin_index(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each value in [0, 1]: b for ``b/n < v <= (b+1)/n``, and 0 for v = 0."""
    inner = np.linspace(0, 1, n_bins + 1)[1:-1]  # (n_bins - 1,) inner edges
    return np.searchsorted(inner, values, side="left")


# --- sums over rows: what the scores need, added up batch by batch for data streamed past (see
# `multiclass.metrics.accumulate`); the functions below are these sums over one batch.

def top_label_sums(true_idx: np.ndarray, proba: np.ndarray, n_bins: int) -> tuple[np.ndarray, ...]:
    """Per top-label confidence bin: (rows, summed confidence, correct argmax predictions), each (n_bins,)."""
    predicted = proba.argmax(axis=1)  # (N,)
    confidence = proba[np.arange(len(proba)), predicted]  # (N,)
    bins = _bin_index(confidence, n_bins)
    return (np.bincount(bins, minlength=n_bins), np.bincount(bins, weights=confidence, minlength=n_bins),
            np.bincount(bins, weights=(predicted == true_idx), minlength=n_bins))


def classwise_sums(true_idx: np.ndarray, proba: np.ndarray, n_bins: int) -> tuple[np.ndarray, ...]:
    """Per (class, bin) cell, class-major (K * n_bins,): (rows, summed p_k, rows of class k), float64."""
    n, k = proba.shape
    size = k * n_bins
    count, mass, hits = np.zeros(size), np.zeros(size), np.zeros(size)
    offsets = np.arange(k) * n_bins  # (K,)
    block = max(1, _BLOCK_ENTRIES // k)
    for start in range(0, n, block):
        p = proba[start:start + block]  # (B, K)
        flat = (_bin_index(p, n_bins) + offsets).ravel()  # (B*K,) class-major (class, bin) cell of each entry
        count += np.bincount(flat, minlength=size)
        mass += np.bincount(flat, weights=p.ravel(), minlength=size)
        rows = np.arange(len(p))
        hits += np.bincount(flat.reshape(p.shape)[rows, true_idx[start:start + block]], minlength=size)
    return count, mass, hits


def classwise_error_from_sums(mass: np.ndarray, hits: np.ndarray, n_rows: int, n_classes: int) -> float:
    """Class-wise ECE from the `classwise_sums` of `n_rows` rows: ``sum_cells |hits - mass| / (N * K)``."""
    return float(np.abs(hits - mass).sum() / (n_rows * n_classes))


def brier_sum(true_idx: np.ndarray, proba: np.ndarray) -> float:
    """``sum_i sum_k (p_ik - [y_i = k])^2`` over the rows (the unscaled Brier score times N)."""
    n, k = proba.shape
    total = 0.0
    block = max(1, _BLOCK_ENTRIES // k)
    for start in range(0, n, block):
        diff = proba[start:start + block].copy()  # (B, K) p - onehot
        diff[np.arange(len(diff)), true_idx[start:start + block]] -= 1
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


@dataclass(frozen=True)
class ReliabilityBins:
    """Top-label reliability diagram: per confidence bin, the rows, their mean confidence and their accuracy.

    Attributes
    ----------
    lower, upper : ndarray of shape (n_bins,)
        Bin edges; bin b holds confidences in ``(lower[b], upper[b]]``.
    count : ndarray of int64, shape (n_bins,)
    confidence, accuracy : ndarray of shape (n_bins,)
        Mean top-label probability and fraction of correct argmax predictions; NaN in empty bins.
    """

    lower: np.ndarray
    upper: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @classmethod
    def from_sums(cls, count: np.ndarray, confidence_sum: np.ndarray, correct_sum: np.ndarray) -> ReliabilityBins:
        """The bins from `top_label_sums` (of one batch, or added up over many)."""
        n_bins = len(count)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty bins -> NaN, by design
            confidence, accuracy = confidence_sum / count, correct_sum / count
        edges = np.linspace(0, 1, n_bins + 1)
        return cls(edges[:-1], edges[1:], np.asarray(count, dtype=np.int64), confidence, accuracy)

    @property
    def ece(self) -> float:
        """Top-label expected calibration error of these bins."""
        used = self.count > 0
        gaps = np.abs(self.accuracy[used] - self.confidence[used]) * self.count[used]
        return float(gaps.sum() / self.count.sum())


def reliability_bins(y_true, y_proba, *, labels=None, n_bins=15) -> ReliabilityBins:
    """Bin the rows by top-label confidence: the data of a reliability diagram and of the top-label ECE.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Probabilities, columns in sorted class order (1-D: the second class of two).
    labels : array-like, default=None
        All classes; None: the unique labels of y_true.
    n_bins : int, default=15
        Guo et al.'s choice.

    Returns
    -------
    ReliabilityBins

    Examples
    --------
    >>> bins = reliability_bins([0, 1, 1, 0], [[.9, .1], [.2, .8], [.4, .6], [.3, .7]], n_bins=5)
    >>> bins.count.tolist(), bins.accuracy[3:].tolist()
    ([0, 0, 1, 2, 1], [0.5, 1.0])
    """
    n_bins = _checks.check_positive_int(n_bins, "n_bins")
    true_idx, proba = _check_proba(y_true, y_proba, labels)
    return ReliabilityBins.from_sums(*top_label_sums(true_idx, proba, n_bins))


def expected_calibration_error(y_true, y_proba, *, labels=None, n_bins=15) -> float:
    """Top-label expected calibration error (Guo et al. 2017); 0 is perfectly calibrated.

    ``ECE = sum_b (n_b / N) |accuracy_b - confidence_b|`` over equal-width confidence bins (see the module
    docstring). Parameters as in `reliability_bins`.

    Examples
    --------
    >>> round(expected_calibration_error([0, 1, 1, 0], [[.9, .1], [.2, .8], [.4, .6], [.3, .7]], n_bins=5), 4)
    0.25
    """
    return reliability_bins(y_true, y_proba, labels=labels, n_bins=n_bins).ece


def classwise_calibration_error(y_true, y_proba, *, labels=None, n_bins=15) -> float:
    """Class-wise expected calibration error (Kull et al. 2019): the mean over classes of the ECE of ``p_k``.

    For class k, every row's ``p_k`` is binned; a bin's gap is ``|fraction of its rows of class k - mean p_k|``,
    weighted by the bin's share of all rows. Parameters as in `reliability_bins`.

    Examples
    --------
    >>> round(classwise_calibration_error([0, 1], [[.75, .25], [.25, .75]], n_bins=4), 4)
    0.25
    """
    n_bins = _checks.check_positive_int(n_bins, "n_bins")
    true_idx, proba = _check_proba(y_true, y_proba, labels)
    _, mass, hits = classwise_sums(true_idx, proba, n_bins)
    return classwise_error_from_sums(mass, hits, len(proba), proba.shape[1])


def brier_score_loss(y_true, y_proba, *, labels=None, scale_by_half="auto") -> float:
    """Brier score: mean squared distance between the probabilities and the one-hot truth; lower is better.

    Parameters
    ----------
    y_true, y_proba, labels
        As in `reliability_bins`.
    scale_by_half : bool or "auto", default="auto"
        Halve the score; "auto" halves it for two classes, giving the binary Brier score (scikit-learn's rule).

    Returns
    -------
    loss : float
        ``mean_i sum_k (p_ik - [y_i = k])^2``, in [0, 2] (in [0, 1] when halved).

    Examples
    --------
    >>> brier_score_loss(["eggs", "ham", "spam"], [[.8, .1, .1], [.2, .7, .1], [.2, .2, .6]])
    0.146...
    """
    if scale_by_half != "auto":
        scale_by_half = _checks.check_bool(scale_by_half, "scale_by_half")
    true_idx, proba = _check_proba(y_true, y_proba, labels)
    n, k = proba.shape
    total = brier_sum(true_idx, proba)
    if scale_by_half == "auto":
        scale_by_half = k < 3
    return total / n * (0.5 if scale_by_half else 1.0)
