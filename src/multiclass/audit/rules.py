"""Which rows are label issues: the confident-learning rules and the label-quality scores that rank them.

The rules are cleanlab's `find_label_issues` filters (``cleanlab/filter.py``), with its guards:

- ``prune_by_class``: in each given class k, the ``n_k - pcm[k, k]`` rows with the lowest probability of k;
- ``prune_by_noise_rate``: in each given class k and for each other class j, the ``pcm[j, k]`` rows with the
  largest margin ``p_j - p_k``;
- ``both``: rows flagged by both; ``confident_learning``: rows whose confident guess is not their label;
  ``predicted_neq_given``: rows whose most probable class is not their label;
- ``low_self_confidence`` / ``low_normalized_margin``: the rows of lowest score, as many as `num_label_issues`.

A class with ``min_examples_per_class`` rows or fewer (or a single row) is never pruned by the first three. Every
rule but the last two then un-flags rows whose label is the most probable class once it gets `SLACK` extra
(cleanlab's ``_reduce_issues``). Ties are broken by row order (see `multiclass.audit.joint`).
"""

from __future__ import annotations

import numpy as np

from multiclass.audit.joint import SLACK, confident_guess, confident_joint, confident_thresholds, prune_counts
from multiclass.exceptions import ConfigError

__all__ = [
    "FILTERS",
    "RANKINGS",
    "find_label_issues",
    "label_quality_scores",
    "normalized_margin",
    "num_label_issues",
    "rank_label_issues",
    "reduce_mask",
    "self_confidence",
]

FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
           "low_self_confidence", "low_normalized_margin")
PRUNING = ("prune_by_noise_rate", "prune_by_class", "both")  # the rules that read the prune counts
RANKINGS = ("self_confidence", "normalized_margin")


def check_choice(value, allowed: tuple, name: str) -> str:
    """ConfigError unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ConfigError(f"`{name}` must be one of {list(allowed)}; got {value!r}.")
    return value


def check_rule(filter_by, frac_noise: float = 1.0, num_to_remove_per_class=None) -> None:
    """ConfigError for an unknown rule, or for the pruning-only options given to another rule."""
    check_choice(filter_by, FILTERS, "filter_by")
    if filter_by not in PRUNING and (frac_noise != 1.0 or num_to_remove_per_class is not None):
        raise ConfigError(f"`frac_noise` and `num_to_remove_per_class` apply only to {list(PRUNING)}; got "
                          f"filter_by={filter_by!r}.")


def self_confidence(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """The probability of each row's given label (N,)."""
    return probs[np.arange(len(labels)), labels]


def normalized_margin(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``(p_given - max_{j != given} p_j + 1) / 2`` in [0, 1] (N,)."""
    others = probs.copy()
    others[np.arange(len(labels)), labels] = -np.inf
    return (self_confidence(labels, probs) - others.max(axis=1) + 1) / 2


def label_quality_scores(labels: np.ndarray, probs: np.ndarray, method: str = "self_confidence") -> np.ndarray:
    """A score per row, lower for a label more likely wrong (cleanlab's `get_label_quality_scores`)."""
    check_choice(method, RANKINGS, "rank_by")
    return self_confidence(labels, probs) if method == "self_confidence" else normalized_margin(labels, probs)


def reduce_mask(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Rows whose label is the most probable class once given `SLACK` extra: never reported by the pruning rules."""
    boosted = probs.copy()
    boosted[np.arange(len(labels)), labels] += SLACK
    return boosted.argmax(axis=1) == labels


def num_label_issues(labels: np.ndarray, probs: np.ndarray) -> int:
    """cleanlab's default estimate of how many labels are wrong: off-diagonal confident rows not reduced away."""
    guess = confident_guess(probs, confident_thresholds(labels, probs))
    off = (guess >= 0) & (guess != labels)
    return int(np.count_nonzero(off & ~reduce_mask(labels, probs)))


def _by_class(labels: np.ndarray, n_classes: int) -> list[np.ndarray]:
    """The row indices of each given class, in row order."""
    order = np.argsort(labels, kind="stable")
    ends = np.cumsum(np.bincount(labels, minlength=n_classes))
    return [order[end - n : end] for n, end in zip(np.diff(ends, prepend=0), ends)]


def _prune_by_class(labels, probs, pcm, rows_of, floor) -> np.ndarray:
    flagged = np.zeros(len(labels), dtype=bool)
    for k, rows in enumerate(rows_of):
        n_issues = len(rows) - pcm[k, k]
        if len(rows) > floor and n_issues >= 1:
            flagged[rows[np.argsort(probs[rows, k], kind="stable")[:n_issues]]] = True
    return flagged


def _prune_by_noise_rate(labels, probs, pcm, rows_of, floor) -> np.ndarray:
    flagged = np.zeros(len(labels), dtype=bool)
    for k, rows in enumerate(rows_of):
        take = pcm[:, k].copy()  # (K,) rows to prune towards each class j
        take[k] = 0
        columns = np.flatnonzero(take > 0)
        if len(rows) <= floor or not len(columns):
            continue
        given = probs[rows, k]  # (n_k,)
        margins = probs[np.ix_(rows, columns)] - given[:, None]  # (n_k, J): p_j - p_k
        order = np.argsort(-margins, axis=0, kind="stable")  # largest margin first, per column
        chosen = order[np.arange(len(rows))[:, None] < take[columns]]  # the first take[j] of column j
        flagged[rows[chosen]] = True
    return flagged


def find_label_issues(labels: np.ndarray, probs: np.ndarray, *, filter_by: str = "prune_by_noise_rate",
                      frac_noise: float = 1.0, num_to_remove_per_class=None, min_examples_per_class: int = 1,
                      calibrated: np.ndarray | None = None) -> np.ndarray:
    """A boolean mask (N,) of the rows whose label is probably wrong, by the rule `filter_by`.

    Parameters
    ----------
    labels, probs : ndarray
        Validated codes (N,) and out-of-sample probabilities (N, K) (`multiclass.audit.joint.check_probabilities`).
    filter_by : str, default="prune_by_noise_rate"
        One of `FILTERS` (see the module docstring).
    frac_noise, num_to_remove_per_class, min_examples_per_class
        See `multiclass.audit.joint.prune_counts`; the first two apply to the pruning rules only.
    calibrated : ndarray (K, K), optional
        The calibrated confident joint, when already computed.

    Returns
    -------
    ndarray of bool, shape (N,)
    """
    check_rule(filter_by, frac_noise, num_to_remove_per_class)
    if filter_by.startswith("low_"):
        scores = label_quality_scores(labels, probs, filter_by[len("low_"):])
        flagged = np.zeros(len(labels), dtype=bool)
        flagged[np.argsort(scores, kind="stable")[: num_label_issues(labels, probs)]] = True
        return flagged
    if filter_by == "confident_learning":
        guess = confident_guess(probs, confident_thresholds(labels, probs))
        flagged = (guess >= 0) & (guess != labels)
    elif filter_by == "predicted_neq_given":
        flagged = probs.argmax(axis=1) != labels
    else:
        n_classes = probs.shape[1]
        if calibrated is None:
            calibrated = confident_joint(labels, probs)
        label_counts = np.bincount(labels, minlength=n_classes)
        pcm = prune_counts(calibrated, label_counts, min_examples_per_class=min_examples_per_class,
                           frac_noise=frac_noise, num_to_remove_per_class=num_to_remove_per_class)
        rows_of = _by_class(labels, n_classes)
        floor = max(min_examples_per_class, 1)  # cleanlab also skips a class of a single row
        flagged = np.ones(len(labels), dtype=bool)
        if filter_by in ("prune_by_class", "both"):
            flagged &= _prune_by_class(labels, probs, pcm, rows_of, floor)
        if filter_by in ("prune_by_noise_rate", "both"):
            flagged &= _prune_by_noise_rate(labels, probs, pcm, rows_of, floor)
    return flagged & ~reduce_mask(labels, probs)


def rank_label_issues(flagged: np.ndarray, labels: np.ndarray, probs: np.ndarray,
                      rank_by: str = "self_confidence") -> np.ndarray:
    """The flagged row indices, most likely wrong first (lowest score; ties by row), as cleanlab's ranked output."""
    scores = label_quality_scores(labels, probs, rank_by)
    rows = np.flatnonzero(flagged)
    return rows[np.argsort(scores[rows], kind="stable")]
