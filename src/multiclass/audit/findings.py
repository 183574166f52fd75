"""`Findings`: the numbers of one audit, from probabilities in memory or streamed -- the joint, the flags, the suspects.

Both paths (`findings_from_probabilities` here, `multiclass.audit.stream.findings_from_batches`) end in the same
value, so the result, the report and the tests treat them alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multiclass.audit.config import AuditConfig
from multiclass.audit.joint import confident_joint, confident_thresholds
from multiclass.audit.rules import find_label_issues, normalized_margin, self_confidence
from multiclass.audit.select import top_per_group
from multiclass.metrics.totals import class_totals

__all__ = ["Findings", "Suspects", "findings_from_probabilities", "row_columns", "make_suspects"]

SUSPECT_COLUMNS = ("row", "given", "likely", "probability", "self_confidence", "normalized_margin")


@dataclass(frozen=True, eq=False)
class Suspects:
    """The flagged rows kept for review, most likely wrong first (lowest `rank_by` score; ties by row).

    Attributes
    ----------
    row : ndarray of int64, shape (S,)
        Position of the row in the audited data (0-based).
    given, likely : ndarray of int64, shape (S,)
        The label as given, and the class the model finds most probable.
    probability : ndarray of float64, shape (S,)
        The model's probability of `likely`.
    self_confidence, normalized_margin : ndarray of float64, shape (S,)
        The two label-quality scores (lower: more likely wrong).
    rank_by : str
        Which score orders the rows.
    """

    row: np.ndarray
    given: np.ndarray
    likely: np.ndarray
    probability: np.ndarray
    self_confidence: np.ndarray
    normalized_margin: np.ndarray
    rank_by: str = "self_confidence"

    def __len__(self) -> int:
        return len(self.row)

    @property
    def score(self) -> np.ndarray:
        """The ranking score of each suspect."""
        return getattr(self, self.rank_by)


@dataclass(frozen=True, eq=False)
class Findings:
    """What an audit computed; every per-class array is in class-code order.

    Attributes
    ----------
    label_counts : ndarray (K,) int64
        Rows given each class.
    thresholds : ndarray (K,) float64
        The per-class confidence thresholds.
    confident_joint : ndarray (K, K) int64
        The calibrated confident joint ``cj[given, true]``; row i sums to ``label_counts[i]``.
    n_flagged : ndarray (K,) int64
        Flagged rows of each given class (all of them, however many suspects are kept).
    totals, totals_kept : ndarray (3, K) int64
        Correct, predicted and given rows per class of the argmax predictions: over all rows, and over the rows not
        flagged (the metrics with the suspects left out).
    suspects : Suspects
    """

    label_counts: np.ndarray
    thresholds: np.ndarray
    confident_joint: np.ndarray
    n_flagged: np.ndarray
    totals: np.ndarray
    totals_kept: np.ndarray
    suspects: Suspects


def row_columns(labels: np.ndarray, probs: np.ndarray) -> dict[str, np.ndarray]:
    """Per row: the most probable class, its probability and both label-quality scores."""
    likely = probs.argmax(axis=1)
    return {"likely": likely, "probability": probs[np.arange(len(labels)), likely],
            "self_confidence": self_confidence(labels, probs), "normalized_margin": normalized_margin(labels, probs)}


def make_suspects(columns: dict[str, np.ndarray], n_classes: int, config: AuditConfig) -> Suspects:
    """The suspects from the flagged rows' columns: at most ``config.top_n`` per given class, ranked."""
    score = columns[config.rank_by]
    keep = np.ones(len(score), dtype=bool)
    if config.top_n is not None:
        keep = top_per_group(columns["given"], -score, columns["row"], np.full(n_classes, config.top_n))
    order = np.flatnonzero(keep)[np.lexsort((columns["row"][keep], score[keep]))]  # score ascending, then row
    return Suspects(**{name: np.asarray(columns[name])[order] for name in SUSPECT_COLUMNS}, rank_by=config.rank_by)


def findings_from_probabilities(labels: np.ndarray, probs: np.ndarray, config: AuditConfig) -> Findings:
    """Audit validated labels (N,) and out-of-sample probabilities (N, K) held in memory."""
    n_classes = probs.shape[1]
    config.check_classes(n_classes)
    thresholds = confident_thresholds(labels, probs)
    calibrated = confident_joint(labels, probs, thresholds=thresholds)
    flagged = find_label_issues(labels, probs, filter_by=config.filter_by, frac_noise=config.frac_noise,
                                num_to_remove_per_class=config.num_to_remove_per_class,
                                min_examples_per_class=config.min_examples_per_class, calibrated=calibrated)
    rows = np.flatnonzero(flagged)
    columns = {"row": rows, "given": labels[rows], **row_columns(labels[rows], probs[rows])}
    predicted = probs.argmax(axis=1)
    return Findings(
        label_counts=np.bincount(labels, minlength=n_classes), thresholds=thresholds, confident_joint=calibrated,
        n_flagged=np.bincount(labels[rows], minlength=n_classes), totals=class_totals(labels, predicted, n_classes),
        totals_kept=class_totals(labels[~flagged], predicted[~flagged], n_classes),
        suspects=make_suspects(columns, n_classes, config),
    )
