"""Evaluation of predictions that stream past in batches: the sums every score of the report needs, added up.

A table larger than memory is evaluated one record batch at a time; its rows, and a fortiori its (N, K)
probabilities, are never held together. `EvaluationCounts` keeps what the scores are functions of:

- the confusion matrix: dense (K, K) int64 up to `DENSE_MAX_CLASSES` classes (8 MiB), otherwise a
  `SparseConfusion` of the non-zero cells (batches' cells are merged when they outgrow the running matrix, so
  the merging costs O(nnz log nnz) amortised);
- per-class moments of the log-loss of each row (count, mean, sum of squared deviations; Chan, Golub & LeVeque's
  parallel update): the mean log-loss, and the normal interval of its stratified bootstrap, whose variance
  ``sum_c n_c s_c^2 / N^2`` is exact (what `stratified_mean_interval` uses beyond its `max_draws`);
- calibration sums (`multiclass.metrics.calibration`): per top-label confidence bin, per (class, bin) cell, and
  the summed squared error of the Brier score.

Memory is K^2 (or the non-zero cells) plus ``3 K n_bins`` floats, whatever the number of rows. Counts of two
workers (or two chunks) add with `merge`. On the same rows the numbers equal those of the in-memory functions:
the confusion matrix exactly, the others to float64 rounding (sums taken in another order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from multiclass.exceptions import DataError
from multiclass.metrics import _checks
from multiclass.metrics.calibration import (
    ReliabilityBins,
    brier_sum,
    classwise_error_from_sums,
    classwise_sums,
    top_label_sums,
)
from multiclass.metrics.intervals import check_confidence, z_quantile
from multiclass.metrics.sparse import DENSE_MAX_CLASSES, SparseConfusion, check_codes, sparse_confusion_matrix

__all__ = ["ClassMoments", "EvaluationCounts"]


@dataclass
class ClassMoments:
    """Count, mean and sum of squared deviations of a per-row value, per class (stratum); mergeable.

    Attributes
    ----------
    n : ndarray of int64, shape (K,)
    mean, m2 : ndarray of float64, shape (K,)
    """

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def empty(cls, n_classes: int) -> ClassMoments:
        return cls(np.zeros(n_classes, np.int64), np.zeros(n_classes), np.zeros(n_classes))

    def add(self, values: np.ndarray, groups: np.ndarray) -> None:
        """Add per-row `values` (float64) of rows in class `groups` (int codes)."""
        k = len(self.n)
        n = np.bincount(groups, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.bincount(groups, weights=values, minlength=k) / n, 0.0)
        m2 = np.bincount(groups, weights=np.square(values - mean[groups]), minlength=k)
        self.merge(ClassMoments(n, mean, m2))

    def merge(self, other: ClassMoments) -> None:
        """Add another set of moments of the same classes (Chan et al.'s update, class by class)."""
        n = self.n + other.n
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, other.n / np.maximum(n, 1), 0.0)
            delta = other.mean - self.mean
            self.mean = self.mean + delta * share
            self.m2 = self.m2 + other.m2 + delta * delta * self.n * share
        self.n = n

    @property
    def total(self) -> int:
        return int(self.n.sum())

    def overall_mean(self) -> float:
        """The mean over every row."""
        return float((self.n * self.mean).sum() / self.total)

    def normal_interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Normal interval of the mean under the stratified bootstrap: variance ``sum_c M2_c / N^2``."""
        confidence = check_confidence(confidence)
        mean = self.overall_mean()
        half = z_quantile(confidence) * math.sqrt(max(float(self.m2.sum()), 0.0)) / self.total
        return mean - half, mean + half


class EvaluationCounts:
    """The sufficient statistics of an evaluation, added up batch by batch (see the module docstring).

    Parameters
    ----------
    n_classes : int
        K >= 2.
    n_bins : int, default=15
        Calibration bins (as `reliability_bins`).
    sparse : bool, optional
        Keep the confusion matrix as a `SparseConfusion`; default: above `DENSE_MAX_CLASSES` classes.

    Examples
    --------
    >>> counts = EvaluationCounts(3)
    >>> counts.update([0, 1], [0, 2], probs=[[.8, .1, .1], [.2, .3, .5]])
    >>> counts.update([2], [2], probs=[[.1, .1, .8]])
    >>> counts.n_samples, counts.confusion.tolist()
    (3, [[1, 0, 0], [0, 0, 1], [0, 0, 1]])
    >>> round(counts.log_loss(), 4)
    0.5501
    """

    def __init__(self, n_classes: int, *, n_bins: int = 15, sparse: bool | None = None):
        self.n_classes = _checks.check_positive_int(n_classes, "n_classes", minimum=2)
        self.n_bins = _checks.check_positive_int(n_bins, "n_bins")
        self.sparse = self.n_classes > DENSE_MAX_CLASSES if sparse is None else bool(sparse)
        self._dense = None if self.sparse else np.zeros((self.n_classes, self.n_classes), np.int64)
        self._merged = SparseConfusion.from_cells(self.n_classes, np.zeros(0, np.int64), np.zeros(0, np.int64))
        self._pending: list[SparseConfusion] = []
        self.has_probs: bool | None = None  # fixed by the first batch
        self.loss = ClassMoments.empty(self.n_classes)
        self.top = [np.zeros(self.n_bins) for _ in range(3)]  # rows, confidence, correct per bin
        self.classwise = [np.zeros(self.n_classes * self.n_bins) for _ in range(3)]  # rows, mass, hits per cell
        self.brier_total = 0.0

    # --- adding -------------------------------------------------------------------------------------------
    def update(self, y_true, y_pred, probs=None) -> None:
        """Add a batch: class codes `y_true` and `y_pred` (n,), and optionally probabilities `probs` (n, K).

        Raises
        ------
        DataError
            Codes out of range or of other lengths, probabilities of the wrong shape or not in [0, 1], or a batch
            with probabilities after one without (or the reverse).
        """
        k = self.n_classes
        y_true, y_pred = check_codes(y_true, y_pred, k)
        has_probs = probs is not None
        if self.has_probs is not None and has_probs != self.has_probs:
            raise DataError("every batch must come with probabilities, or none; got a mix.")
        self.has_probs = has_probs
        if self.sparse:
            self._add_cells(sparse_confusion_matrix(y_true, y_pred, n_classes=k))
        else:
            self._dense += np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
        if not has_probs or len(y_true) == 0:
            return
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (len(y_true), k) or not np.isfinite(probs).all() or probs.min() < 0 or probs.max() > 1:
            raise DataError(f"`probs` must be finite probabilities of shape ({len(y_true)}, {k}); got shape "
                            f"{probs.shape}.")
        eps = np.finfo(np.float64).eps
        self.loss.add(-np.log(np.clip(probs[np.arange(len(y_true)), y_true], eps, 1 - eps)), y_true)  # as log_loss
        for total, part in zip(self.top, top_label_sums(y_true, probs, self.n_bins)):
            total += part
        for total, part in zip(self.classwise, classwise_sums(y_true, probs, self.n_bins)):
            total += part
        self.brier_total += brier_sum(y_true, probs)

    def _add_cells(self, cells: SparseConfusion) -> None:
        self._pending.append(cells)
        if sum(p.nnz for p in self._pending) > max(self._merged.nnz, 1 << 16):
            self._flush()

    def _flush(self) -> None:
        for part in self._pending:
            self._merged = self._merged.merge(part) if self._merged.nnz else part
        self._pending = []

    def merge(self, other: EvaluationCounts) -> EvaluationCounts:
        """Add the counts of `other` (another chunk or worker, same K and bins) to these; returns self."""
        if (other.n_classes, other.n_bins, other.sparse) != (self.n_classes, self.n_bins, self.sparse):
            raise DataError(f"`other` must count {self.n_classes} classes in {self.n_bins} bins, sparse={self.sparse}; "
                            f"got {other.n_classes}, {other.n_bins} and sparse={other.sparse}.")
        if None not in (self.has_probs, other.has_probs) and self.has_probs != other.has_probs:
            raise DataError("both counts must come with probabilities, or neither; got a mix.")
        self.has_probs = other.has_probs if self.has_probs is None else self.has_probs
        if self.sparse:
            self._add_cells(other.confusion)
        else:
            self._dense += other._dense
        self.loss.merge(other.loss)
        for mine, theirs in zip(self.top + self.classwise, other.top + other.classwise):
            mine += theirs
        self.brier_total += other.brier_total
        return self

    # --- reading ------------------------------------------------------------------------------------------
    @property
    def confusion(self) -> np.ndarray | SparseConfusion:
        """(K, K) int64 rows = true class, or a `SparseConfusion` above `DENSE_MAX_CLASSES` classes."""
        if not self.sparse:
            return self._dense
        self._flush()
        return self._merged

    @property
    def n_samples(self) -> int:
        return int(self.confusion.sum())

    def _need_probs(self) -> None:
        if not self.has_probs or self.loss.total == 0:
            raise DataError("these counts hold no probabilities; pass `probs` to `update`.")

    def log_loss(self) -> float:
        """Mean ``-log p[true class]`` (probabilities clipped to [eps, 1 - eps], as `metrics.log_loss`)."""
        self._need_probs()
        return self.loss.overall_mean()

    def log_loss_interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Normal interval of the mean log-loss under the stratified (per true class) bootstrap."""
        self._need_probs()
        return self.loss.normal_interval(confidence)

    def reliability(self) -> ReliabilityBins:
        """The top-label reliability bins (`metrics.reliability_bins`); ``.ece`` is the top-label ECE."""
        self._need_probs()
        return ReliabilityBins.from_sums(*self.top)

    def classwise_ece(self) -> float:
        """`metrics.classwise_calibration_error` of the rows counted."""
        self._need_probs()
        return classwise_error_from_sums(self.classwise[1], self.classwise[2], self.loss.total, self.n_classes)

    def brier(self) -> float:
        """The unscaled multiclass Brier score, in [0, 2] (`brier_score_loss(..., scale_by_half=False)`)."""
        self._need_probs()
        return self.brier_total / self.loss.total

