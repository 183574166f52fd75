"""`AuditResult`: one audit as a value -- the joint, the noise, the suspects, the metrics with and without them.

Everything shown by the renderers (`multiclass.audit.render`) and written to ``audit/`` comes from here. The
share of wrong labels of class i is ``(n_i - cj[i, i]) / n_i`` with ``cj`` the calibrated confident joint; its
interval is the Wilson score interval of that count out of the class's ``n_i`` rows: it covers the sampling of
the rows, not the uncertainty of the model that produced the probabilities.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from multiclass.audit.config import AuditConfig
from multiclass.audit.findings import Findings
from multiclass.audit.joint import estimate_joint, noise_matrix, wrong_label_counts
from multiclass.exceptions import DataError
from multiclass.metrics import scores_from_totals, wilson_interval

__all__ = ["AuditResult", "Example", "labels_fingerprint"]

METRICS = ("accuracy", "macro_f1")


def labels_fingerprint(labels: np.ndarray, classes) -> str:
    """SHA-256 of the label codes and class names: ties an audit's row numbers to the data it was run on."""
    digest = hashlib.sha256(json.dumps([str(c) for c in classes]).encode())
    digest.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Example:
    """What a suspect looks like, for review: a thumbnail (PNG data URI) and/or a text snippet."""

    thumbnail: str | None = None
    snippet: str | None = None


@dataclass(eq=False)
class AuditResult:
    """The audit of one labelled dataset.

    Attributes
    ----------
    classes : tuple of str
    findings : Findings
        The counts, flags and suspects (`multiclass.audit.findings`).
    config : AuditConfig
    fingerprint : str
        `labels_fingerprint` of the audited labels.
    source : dict
        Where the data came from and how the probabilities were made (shown in the report's header).
    ids : ndarray (N,) or None
        Row identifiers of the data (an id column, image file names).
    examples : dict of int -> Example
        Thumbnails / snippets of the first suspects, by row.
    probs : ndarray (N, K) or None
        The out-of-sample probabilities (kept in memory only; absent for a streamed audit).
    folds : dict
        How the out-of-fold models trained (engine, seconds, best epochs); empty when probabilities were given.
    """

    classes: tuple[str, ...]
    findings: Findings
    config: AuditConfig
    fingerprint: str = ""
    source: dict = field(default_factory=dict)
    ids: np.ndarray | None = field(default=None, repr=False)
    examples: dict = field(default_factory=dict, repr=False)
    probs: np.ndarray | None = field(default=None, repr=False)
    folds: dict = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(self.findings.label_counts.sum())

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def suspects(self):
        return self.findings.suspects

    @property
    def n_flagged(self) -> int:
        """Every flagged row (the suspects listed may be fewer, see ``AuditConfig.top_n``)."""
        return int(self.findings.n_flagged.sum())

    @property
    def joint(self) -> np.ndarray:
        """``P(given = i, true = j)`` (K, K)."""
        return estimate_joint(self.findings.confident_joint)

    @property
    def noise_matrix(self) -> np.ndarray:
        """``P(given = i | true = j)`` (K, K), columns summing to 1."""
        return noise_matrix(self.findings.confident_joint)

    @property
    def wrong_counts(self) -> np.ndarray:
        """Estimated wrongly labelled rows of each given class (K,)."""
        return wrong_label_counts(self.findings.confident_joint)

    def wrong_share(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(share, low, high), each (K,): the estimated share of wrong labels per class and its Wilson interval
        (NaN for a class with no rows)."""
        counts = self.findings.label_counts
        with np.errstate(invalid="ignore", divide="ignore"):
            share = self.wrong_counts / counts
            low, high = wilson_interval(self.wrong_counts, counts, confidence=self.config.confidence)
        return share, np.asarray(low), np.asarray(high)

    @property
    def noise_rate(self) -> float:
        """The estimated share of wrong labels over all rows: 1 - trace of the joint."""
        return float(1 - np.trace(self.joint))

    def metrics(self) -> dict[str, dict[str, float] | None]:
        """Accuracy and macro-F1 of the out-of-sample predictions against the given labels: on every row
        (``"all"``), and with the flagged rows left out (``"without_suspects"``; None if every row is flagged)."""
        out = {}
        for name, totals in (("all", self.findings.totals), ("without_suspects", self.findings.totals_kept)):
            try:
                scores = scores_from_totals(*totals)
            except DataError:  # no row left
                out[name] = None
                continue
            out[name] = {metric: scores[metric] for metric in METRICS}
        return out

    def suspect_id(self, row: int) -> str | None:
        """The data's identifier of `row`, when it has one."""
        return None if self.ids is None else str(self.ids[row])
