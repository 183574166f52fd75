"""The audit of probabilities streamed in batches: counts in memory, never the rows.

Three passes over the batches (a callable that starts the stream afresh each time):

1. per class, the given rows and the sum of their self-confidence -> the thresholds;
2. the confident joint, the argmax predictions' totals and cleanlab's issue count -> the calibrated joint and the
   prune counts;
3. the flags: a per-row rule (``confident_learning``, ``predicted_neq_given``) is decided row by row; a pruning
   rule keeps, per class or per pair of classes, the rows of largest key seen so far (`select.TopPool`), which
   are exactly its flagged rows once the stream ends.

Memory: K x K counts, plus, for the pruning rules, at most the number of rows they prune (the prune counts sum to
the estimated number of wrong labels; ~50 bytes each), plus one batch's (B, K) arrays. The suspects kept are the
``top_n`` per class. The result equals `findings.findings_from_probabilities` on the same rows in one array, but
for the thresholds, which are sums here and numpy's pairwise means there: they may differ in the last bit, which
changes a flag only for a probability within 1e-16 of a threshold less `joint.SLACK`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from multiclass.audit.config import AuditConfig
from multiclass.audit.findings import Findings, make_suspects, row_columns
from multiclass.audit.joint import (
    calibrate_joint,
    check_probabilities,
    confident_guess,
    count_confident,
    prune_counts,
    thresholds_from_means,
)
from multiclass.audit.rules import reduce_mask
from multiclass.audit.select import TopPool
from multiclass.exceptions import DataError
from multiclass.metrics.totals import class_totals

__all__ = ["Batches", "findings_from_batches"]

Batches = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]
_PAYLOAD = {"given": np.int64, "likely": np.int64, "probability": np.float64, "self_confidence": np.float64,
            "normalized_margin": np.float64, "reduced": bool}
_UNBOUNDED = np.iinfo(np.int64).max


def _pass(batches: Batches, n_classes: int, n_rows: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(offset, labels, probs) per batch, validated; each pass must see the same number of rows."""
    offset = 0
    for labels, probs in batches():
        try:
            labels, probs = check_probabilities(labels, probs)
        except DataError as error:
            raise DataError(f"batch starting at row {offset}: {error}") from None
        if probs.shape[1] != n_classes:
            raise DataError(f"batch starting at row {offset}: `probs` must have {n_classes} columns (n_classes); "
                            f"got {probs.shape[1]}.")
        yield offset, labels, probs
        offset += len(labels)
    if n_rows is not None and offset != n_rows:
        raise DataError(f"`batches` must yield the same rows on every pass; got {offset} rows after {n_rows}.")
    if offset == 0:
        raise DataError("`batches` yielded no rows.")


def _batch_columns(labels, probs) -> dict[str, np.ndarray]:
    """What a suspect records, for every row of a batch (B,) each: computed once, then indexed per candidate (a
    row may be a candidate of many pairs, and gathering its K probabilities each time would cost B x K again)."""
    return {"given": labels, **row_columns(labels, probs), "reduced": reduce_mask(labels, probs)}


def _payload(offset: int, columns: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {"row": offset + rows, **{name: values[rows] for name, values in columns.items()}}


class _Flags:
    """Pass 3: the rows a rule flags, batch by batch, and what is kept of them."""

    def __init__(self, config: AuditConfig, counts: np.ndarray, calibrated: np.ndarray, n_issues: int):
        k = len(counts)
        self.config, self.n_classes = config, k
        self.pools: dict[str, TopPool] = {}
        rule = config.filter_by
        if rule in ("prune_by_class", "both", "prune_by_noise_rate"):
            pcm = prune_counts(calibrated, counts, min_examples_per_class=config.min_examples_per_class,
                               frac_noise=config.frac_noise, num_to_remove_per_class=config.num_to_remove_per_class)
            eligible = counts > max(config.min_examples_per_class, 1)  # cleanlab never prunes a class this small
            if rule in ("prune_by_class", "both"):
                self.pools["class"] = TopPool(np.where(eligible, np.maximum(counts - pcm.diagonal(), 0), 0), _PAYLOAD)
            if rule in ("prune_by_noise_rate", "both"):
                pairs = np.where(eligible[:, None], pcm.T, 0)  # pairs[k, j]: rows given k to prune towards j
                np.fill_diagonal(pairs, 0)
                self.pools["pair"] = TopPool(pairs.reshape(-1), _PAYLOAD)
        elif rule.startswith("low_"):
            self.pools["low"] = TopPool(np.array([n_issues]), _PAYLOAD)
        else:  # a per-row rule: keep the top_n per class of the flagged rows, count them all
            self.pools["kept"] = TopPool(np.full(k, config.top_n or _UNBOUNDED), _PAYLOAD)
            self.n_flagged = np.zeros(k, dtype=np.int64)
            self.totals_flagged = np.zeros((3, k), dtype=np.int64)

    def update(self, offset, labels, probs, thresholds) -> None:
        rule, k = self.config.filter_by, self.n_classes
        batch = _batch_columns(labels, probs)
        self_confidence = batch["self_confidence"]  # (B,)
        for name, pool in self.pools.items():
            if name == "class":  # the lowest probabilities of the given class
                rows = np.flatnonzero(-self_confidence > pool.cut[labels])
                pool.add(labels[rows], -self_confidence[rows], **_payload(offset, batch, rows))
            elif name == "pair":  # per pair (given k, other j), the largest margins p_j - p_k
                margins = probs - self_confidence[:, None]  # (B, K): p_j - p_given
                rows, columns = np.nonzero(margins > pool.cut.reshape(k, k)[labels])
                pool.add(labels[rows] * k + columns, margins[rows, columns], **_payload(offset, batch, rows))
            elif name == "low":
                score = batch[rule[len("low_"):]]
                rows = np.flatnonzero(-score > pool.cut[0])
                pool.add(np.zeros(len(rows), np.int64), -score[rows], **_payload(offset, batch, rows))
            else:
                if rule == "confident_learning":
                    guess = confident_guess(probs, thresholds)
                    flagged = (guess >= 0) & (guess != labels)
                else:
                    flagged = batch["likely"] != labels
                rows = np.flatnonzero(flagged & ~batch["reduced"])
                payload = _payload(offset, batch, rows)
                self.n_flagged += np.bincount(labels[rows], minlength=k)
                self.totals_flagged += class_totals(labels[rows], payload["likely"], k)
                pool.add(labels[rows], -payload[self.config.rank_by], **payload)

    def finish(self) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """(columns of the flagged rows kept, flagged rows per class, their (3, K) totals)."""
        k = self.n_classes
        if "kept" in self.pools:
            return self.pools["kept"].result(), self.n_flagged, self.totals_flagged
        results = [pool.result() for pool in self.pools.values()]
        rows = [np.unique(result["row"], return_index=True) for result in results]  # a row may fill several pairs
        common = rows[0][0] if len(rows) == 1 else np.intersect1d(rows[0][0], rows[1][0])
        first = rows[0][1][np.searchsorted(rows[0][0], common)]
        columns = {name: values[first] for name, values in results[0].items()}
        if "low" not in self.pools:
            columns = {name: values[~columns["reduced"]] for name, values in columns.items()}
        n_flagged = np.bincount(columns["given"], minlength=k)
        return columns, n_flagged, class_totals(columns["given"], columns["likely"], k)


def findings_from_batches(batches: Batches, n_classes: int, config: AuditConfig | None = None) -> Findings:
    """Audit out-of-sample probabilities too large for memory, streamed as (labels (B,), probs (B, K)) batches.

    Parameters
    ----------
    batches : callable returning an iterable of (labels, probs)
        Called once per pass (three times); every call must yield the same rows in the same order.
    n_classes : int
    config : AuditConfig, optional
        Set ``top_n`` to bound the suspects kept per class.

    Returns
    -------
    Findings

    Raises
    ------
    DataError
        A bad batch (named by its first row), a batch of another width, passes of different lengths, no rows.
    """
    config = config or AuditConfig()
    config.check_classes(n_classes)
    counts, sums = np.zeros(n_classes, dtype=np.int64), np.zeros(n_classes)
    for _, labels, probs in _pass(batches, n_classes):
        counts += np.bincount(labels, minlength=n_classes)
        sums += np.bincount(labels, weights=probs[np.arange(len(labels)), labels], minlength=n_classes)
    n_rows = int(counts.sum())
    thresholds = thresholds_from_means(sums / np.maximum(counts, 1), counts)

    raw = np.zeros((n_classes, n_classes), dtype=np.int64)
    totals = np.zeros((3, n_classes), dtype=np.int64)
    n_issues = 0
    for _, labels, probs in _pass(batches, n_classes, n_rows):
        guess = confident_guess(probs, thresholds)
        raw += count_confident(labels, guess, n_classes)
        totals += class_totals(labels, probs.argmax(axis=1), n_classes)
        n_issues += int(np.count_nonzero((guess >= 0) & (guess != labels) & ~reduce_mask(labels, probs)))
    np.fill_diagonal(raw, raw.diagonal().clip(min=1))
    calibrated = calibrate_joint(raw, counts)

    flags = _Flags(config, counts, calibrated, n_issues)
    for offset, labels, probs in _pass(batches, n_classes, n_rows):
        flags.update(offset, labels, probs, thresholds)
    columns, n_flagged, totals_flagged = flags.finish()
    return Findings(label_counts=counts, thresholds=thresholds, confident_joint=calibrated, n_flagged=n_flagged,
                    totals=totals, totals_kept=totals - totals_flagged,
                    suspects=make_suspects(columns, n_classes, config))

