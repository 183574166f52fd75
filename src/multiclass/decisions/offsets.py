"""Recall targets: per-class offsets added to the log-probabilities before the argmax, tuned on held-out rows.

Adding ``b_c`` to the log-probability of class c is a shift of its log prior (Bayes' rule with another prior),
so the decision ``argmax_k (log p_k + b_k)`` hands class c the rows where the model was close to choosing it.
With the other offsets fixed, a row goes to c once ``b_c`` exceeds its margin
``m = max_{k != c} (log p_k + b_k) - log p_c``; the recall of c grows with ``b_c`` and each row changes decision at
one point, so every decision the search can make is read from the sorted margins: the counts of all candidate
offsets come from one `np.bincount` and a cumulative sum (vectorised, no loop over candidates).

How many of a target class's held-out rows the rule keeps is the split-conformal count ``ceil((n + 1) r)``
(`guaranteed_count`), not ``ceil(n r)``: then recall >= r holds on new rows on average over validation sets, not
only on the rows the offsets were tuned on; a class with too few rows for that is refused, saying how many it
needs (19 for 95 %).

The search has two stages.

1. **Meet the targets.** The least offset that reaches class c's target grows with the other classes' offsets,
   so raising each target class to its least offset in turn, and again until none moves, climbs to the least
   offsets that meet every target together (a monotone fixed-point iteration). If it has not settled after
   `_MAX_JOINT_SWEEPS` rounds the targets conflict on these rows; they are then met one by one in the order
   given, each without breaking those before it, and the rest are missed (and reported so).
2. **Raise macro-F1.** Coordinate ascent: each class in turn takes, among the offsets that keep every target met
   so far, the one with the highest macro-F1 (ties: the offset closest to 0, the plain argmax), until no move
   raises macro-F1. Non-target classes join too (up to `MAX_TUNED_CLASSES` classes): a class that lost its rows to a
   target class can win some back from the classes that did not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from multiclass.decisions.temperature import check_codes, check_log_probs
from multiclass.exceptions import ConfigError, DataError
from multiclass.classes import resolve_class
from multiclass.metrics.totals import headline_scores

__all__ = ["check_recall_targets", "fit_recall_offsets", "guaranteed_count"]

# Beyond this many classes only the target classes get offsets: a search costs O(N K) per class, so tuning every
# class is O(N K^2) per round, seconds at K = 32 and N = 10^4 but minutes at K = 1000.
MAX_TUNED_CLASSES = 32
# Rounds of the stage-1 fixed-point iteration: feasible targets settle in a few; conflicting ones keep climbing.
_MAX_JOINT_SWEEPS = 50
# Stage-2 rounds over the classes: a move is taken only if it raises macro-F1, so the ascent cannot cycle; it
# settles in a few rounds and the cap only bounds the time on large, finely divided validation sets.
_MAX_SWEEPS = 20
# Candidate offsets per search are capped so the (candidates x K) count tables stay near 4M cells (32 MB);
# below that every distinct margin is a candidate and the search is exact.
_MAX_CELLS = 1 << 22
_MIN_CANDIDATES = 256
# Beyond the largest (smallest) margin the offset is set this many nats past it: any further is the same decision
# on these rows, and one nat leaves a margin for new rows.
_END_MARGIN = 1.0
# A coordinate move must raise macro-F1 by more than this (float noise in a sum of K ratios) to be taken.
_SCORE_TOL = 1e-12
# Float slack when turning a recall target into a count of rows (0.95 * 20 must give 19, not 19.000000000000004).
_COUNT_SLACK = 1e-9


def check_recall_targets(targets, classes: Sequence | None, n_classes: int) -> dict[int, float]:
    """{class code: recall in (0, 1]} from a mapping of class names (or codes) to targets."""
    if not isinstance(targets, Mapping) or not targets:
        raise ConfigError(f"`target_recall` must be a non-empty mapping class -> recall; got {targets!r}.")
    checked = {}
    for key, value in targets.items():
        code = resolve_class(key, classes, n_classes, "target_recall")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) <= 1:
            raise ConfigError(f"`target_recall` of class {key!r} must be a number in (0, 1]; got {value!r}.")
        checked[code] = float(value)
    return checked


def guaranteed_count(n: int, target: float, name) -> int:
    """Rows of the n held-out rows of a class the rule must keep so that recall on *new* rows is >= `target`.

    Split conformal on the one class (`multiclass.conformal.recall`): a new row of the class clears the k-th
    largest held-out margin with probability k / (n + 1), so k = ceil((n + 1) r). Tuning to ceil(n r) rows, the
    rule judged on the rows it was tuned on, gives about r n / (n + 1) instead: with 20 rows and r = 0.95, 19/21 =
    0.90 expected recall and a 26 % chance of reaching 0.95. A target of 1 keeps all n (no finite guarantee
    exists). Too few rows for the guarantee is a DataError saying how many are needed.

    Examples
    --------
    >>> guaranteed_count(20, 0.95, "fault"), guaranteed_count(20, 0.5, "fault")
    (20, 11)
    """
    if target >= 1:
        return n
    k = max(1, math.ceil((n + 1) * target - _COUNT_SLACK))
    if k > n:
        needed = max(1, math.ceil(target / (1 - target) - _COUNT_SLACK))
        raise DataError(f"class {name!r} has {n} validation rows; a recall target of {100 * target:.10g} % is "
                        f"guaranteed on new rows from {needed} rows on (use a larger validation split or a lower "
                        "target).")
    return k


def _macro_f1(tp: np.ndarray, pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Macro-F1 of each row of counts (J, K) (`multiclass.metrics.headline_scores`)."""
    return headline_scores(tp, pred, true)["macro_f1"]


def _candidates(margins: np.ndarray, required: float, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate offsets (J,) and, for each, the interval (J, 2) of offsets that make the same decisions."""
    points = np.unique(margins)  # (U,) every decision change happens at one of these
    if len(points) > limit:
        points = np.unique(np.concatenate([np.quantile(points, np.linspace(0, 1, limit)), [required]]))
    lower = np.concatenate([[-np.inf], points])  # (J,) interval j is (lower[j], upper[j])
    upper = np.concatenate([points, [np.inf]])
    middle = np.where(np.isinf(lower), upper - _END_MARGIN,
                      np.where(np.isinf(upper), lower + _END_MARGIN, (lower + upper) / 2))
    return middle, np.stack([lower, upper], axis=1)


def _margins(log_probs, offsets, c) -> tuple[np.ndarray, np.ndarray]:
    """(rival (N,), margin (N,)): each row's decision when c is not chosen, and the offset c must exceed to win."""
    others = log_probs + offsets  # (N, K)
    others[:, c] = -np.inf
    rival = others.argmax(axis=1)
    return rival, others[np.arange(len(log_probs)), rival] - log_probs[:, c]


def _least_offset(log_probs, codes, offsets, c, needed: int) -> float:
    """The smallest offset of class c (others fixed) giving it `needed` true positives, placed halfway to the next
    decision change so new rows near the boundary are not decided by rounding."""
    _, margins = _margins(log_probs, offsets, c)
    required = np.sort(margins[codes == c])[needed - 1]
    above = margins[margins > required]
    return float((required + above.min()) / 2 if len(above) else required + _END_MARGIN)


def _meet_all(log_probs, codes, needed: dict, k: int) -> np.ndarray | None:
    """Stage 1: the least offsets meeting every target together, or None when they conflict (no settling)."""
    offsets = np.zeros(k)
    for _ in range(_MAX_JOINT_SWEEPS):
        raised = False
        for c, count in needed.items():
            least = _least_offset(log_probs, codes, offsets, c, count)
            if least > offsets[c]:  # only up: the iteration is monotone, so it climbs to the least solution
                offsets[c], raised = least, True
        if not raised:
            return offsets
    return None


def _best_offset(log_probs, codes, offsets, c, needed, support) -> tuple[float, float]:
    """(offset, macro-F1): the offset of class c (others fixed) with the best macro-F1 among those reaching c's
    needed true positives (any offset when c has no target), keeping the targets met now met."""
    k = log_probs.shape[1]
    rival, margins = _margins(log_probs, offsets, c)  # (N,) each: c wins once its offset exceeds the margin
    in_c = np.sort(margins[codes == c])
    # The offset must exceed this for needed[c] rows of c to go to c (no bound without a target).
    required = in_c[needed[c] - 1] if c in needed else margins.min()
    offsets_at, intervals = _candidates(margins, required, max(_MIN_CANDIDATES, _MAX_CELLS // k))
    j = len(offsets_at)
    # Candidate index from which row i is decided c: the first candidate offset strictly above its margin.
    first = np.searchsorted(offsets_at, margins, side="right")  # (N,) in [0, J]
    to_c = np.cumsum(np.bincount(first, minlength=j + 1)[:j])  # (J,) rows decided c
    tp_c = np.cumsum(np.bincount(first[codes == c], minlength=j + 1)[:j])  # (J,)
    correct = (rival == codes).astype(np.float64)  # (N,)
    moved = np.bincount(first * k + rival, minlength=(j + 1) * k).reshape(j + 1, k)  # (J+1, K)
    moved_tp = np.bincount(first * k + rival, weights=correct, minlength=(j + 1) * k).reshape(j + 1, k)
    pred = np.bincount(rival, minlength=k) - np.cumsum(moved, axis=0)[:j]  # (J, K) rows still decided k
    tp = np.bincount(rival, weights=correct, minlength=k) - np.cumsum(moved_tp, axis=0)[:j]
    pred[:, c], tp[:, c] = to_c, tp_c
    feasible = tp[:, c] >= needed[c] if c in needed else np.ones(j, dtype=bool)  # (J,)
    current = (log_probs + offsets).argmax(axis=1)  # (N,) today's decisions
    kept = feasible.copy()
    protected = [d for d in needed if d != c and np.count_nonzero((current == d) & (codes == d)) >= needed[d]]
    for d in protected:  # targets met now stay met
        kept &= tp[:, d] >= needed[d]
    if not kept.any() and protected:
        return float(offsets[c]), -np.inf  # the targets conflict on these rows: the ones already met win
    feasible = kept if kept.any() else feasible
    score = np.where(feasible, _macro_f1(tp, pred, support), -np.inf)  # (J,)
    distance = np.where((intervals[:, 0] < 0) & (0 < intervals[:, 1]), 0.0, np.abs(offsets_at))
    best = np.lexsort((distance, -score))[0]  # highest macro-F1, then the decisions closest to the argmax
    low, high = intervals[best]
    return (0.0 if low < 0 < high else float(offsets_at[best])), float(score[best])


def fit_recall_offsets(log_probs, y, targets, *, classes: Sequence | None = None) -> np.ndarray:
    """Per-class offsets that reach recall targets on held-out rows, keeping macro-F1 as high as possible.

    Parameters
    ----------
    log_probs : array-like of shape (n_samples, n_classes)
        (Calibrated) log-probabilities of held-out rows; logits work too, as the decision is the same.
    y : array-like of int, shape (n_samples,)
        Their true class codes.
    targets : mapping
        Class code (or name, with `classes`) -> minimum recall in (0, 1].
    classes : sequence of str, optional
        Class names, so `targets` may name classes.

    Returns
    -------
    offsets : ndarray of shape (n_classes,)
        Add them to the log-probabilities and take the argmax. Every target is met on these rows unless the
        targets conflict (then the first ones, in the order given, win); on new rows a target may be missed,
        which is why the report checks it again on the evaluated data.

    Raises
    ------
    ConfigError
        A target names an unknown class or is outside (0, 1].
    DataError
        A target class has no row in `y`.

    Examples
    --------
    >>> log_probs = np.log([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    >>> y = np.array([0, 1, 1, 1])
    >>> offsets = fit_recall_offsets(log_probs, y, {1: 1.0})
    >>> (log_probs + offsets).argmax(axis=1).tolist()  # every row of class 1 found, row 0 still class 0
    [0, 1, 1, 1]
    """
    values = check_log_probs(log_probs)
    n, k = values.shape
    codes = check_codes(y, n, k)
    wanted = check_recall_targets(targets, classes, k)
    support = np.bincount(codes, minlength=k)  # (K,)
    absent = [c for c in wanted if support[c] == 0]
    if absent:
        name = classes[absent[0]] if classes is not None else absent[0]
        raise DataError(f"class {name!r} has no rows in the validation data, so its recall target cannot be tuned "
                        "(use a larger validation split).")
    needed = {c: guaranteed_count(int(support[c]), r, str(classes[c]) if classes is not None else c)
              for c, r in wanted.items()}  # true positives to keep on these rows
    offsets = _meet_all(values, codes, needed, k)
    if offsets is None:  # conflicting targets: in the order given, each without breaking those before it
        offsets = np.zeros(k)
        for c in needed:
            offsets[c] = _best_offset(values, codes, offsets, c, needed, support)[0]
    order = [*needed, *(c for c in range(k) if c not in needed and support[c] > 0 and k <= MAX_TUNED_CLASSES)]
    score = _score(values, codes, offsets, support)
    for _ in range(_MAX_SWEEPS):
        improved = False
        for c in order:
            offset, new_score = _best_offset(values, codes, offsets, c, needed, support)
            if new_score > score + _SCORE_TOL:  # strictly better only: no cycling between equal solutions
                offsets[c], score, improved = offset, new_score, True
        if not improved:
            break
    return offsets


def _score(log_probs, codes, offsets, support) -> float:
    """Macro-F1 of the decisions ``argmax(log_probs + offsets)``."""
    decided = (log_probs + offsets).argmax(axis=1)
    k = len(support)
    tp = np.bincount(decided[decided == codes], minlength=k)[None, :]  # (1, K)
    return float(_macro_f1(tp, np.bincount(decided, minlength=k)[None, :], support)[0])
