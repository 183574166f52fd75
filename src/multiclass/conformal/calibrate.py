"""Calibrate prediction sets: split conformal on held-out rows, or cross-conformal on out-of-fold rows.

Both compute every calibration row's score of its true class and take, in each group of classes, the order
statistic of `multiclass.conformal.quantile`; a group with too few rows for the asked coverage (and confidence)
is refused with the number of rows it needs, instead of a threshold that promises nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from multiclass.conformal.calibration import ConformalCalibration
from multiclass.conformal.quantile import check_level, format_level, order_index, rows_needed, threshold
from multiclass.conformal.scores import SCORES, check_probs, check_raps, conformity_scores
from multiclass.exceptions import ConfigError, DataError

__all__ = ["calibrate_cross_sets", "calibrate_sets", "check_group_rows", "check_labels", "class_name", "group_classes"]


def check_labels(y, n: int, k: int, name: str = "y") -> np.ndarray:
    """`y` as int64 class codes (n,) in [0, k), or a DataError."""
    codes = np.asarray(y)
    if codes.ndim != 1 or len(codes) != n:
        raise DataError(f"`{name}` must be 1-D with one class code per row of probabilities ({n}); "
                        f"got shape {codes.shape}.")
    if n and (not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0 or codes.max() >= k):
        raise DataError(f"`{name}` must hold integer class codes in [0, {k}); got dtype {codes.dtype}, values "
                        f"{codes.min()}..{codes.max()}.")
    return codes.astype(np.int64, copy=False)


def class_name(code: int, classes: Sequence | None) -> str:
    """'class 'critical'' or 'class 3', for messages."""
    return f"class {classes[code]!r}" if classes is not None else f"class {code}"


def group_classes(mondrian, k: int) -> np.ndarray:
    """Group id of each class (K,): None -> one group; "all" -> one per class; codes -> each named class alone
    (groups 1, 2, ... in the order given) and the others pooled in group 0."""
    if mondrian is None:
        return np.zeros(k, dtype=np.int64)
    if isinstance(mondrian, str):
        if mondrian != "all":
            raise ConfigError(f"`mondrian` must be None, 'all' or a list of class codes; got {mondrian!r}.")
        return np.arange(k, dtype=np.int64)
    named = list(mondrian) if isinstance(mondrian, (list, tuple, np.ndarray)) else None
    if not named or any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < k
                        for c in named) or len(set(named)) != len(named):
        raise ConfigError(f"`mondrian` must be None, 'all' or a non-empty list of distinct class codes in "
                          f"[0, {k}); got {mondrian!r}.")
    if len(named) == k:  # nothing left to pool: a group per class, numbered in class order
        return np.arange(k, dtype=np.int64)
    groups = np.zeros(k, dtype=np.int64)
    groups[np.asarray(named, dtype=np.int64)] = np.arange(1, len(named) + 1)
    return groups


def check_group_rows(class_counts, groups: np.ndarray, coverage: float, confidence: float | None = None,
                     classes: Sequence | None = None) -> None:
    """Refuse a group of classes with too few calibration rows for `coverage` (at `confidence`).

    The counts alone decide it, so a caller that knows the calibration rows' labels before it has their
    probabilities (`train` before fitting any model) refuses with the same message the calibration would.

    Parameters
    ----------
    class_counts : array-like of int, shape (K,)
        Calibration rows of each class.
    groups : ndarray of int, shape (K,)
        Group id of each class (`group_classes`).
    coverage : float
        1 - alpha, in (0, 1).
    confidence : float, optional
        1 - delta; None for coverage on average.
    classes : sequence of str, optional
        Class names, for the message.

    Raises
    ------
    DataError
        The first group (by id) with too few rows: how many it has and how many it needs (`rows_needed`).

    Examples
    --------
    >>> check_group_rows([30, 5], np.arange(2), 0.9, classes=["ok", "fault"])
    Traceback (most recent call last):
    ...
    multiclass.exceptions.DataError: class 'fault' has 5 calibration rows; 90 % coverage needs at least 9.
    """
    counts = np.bincount(groups, weights=np.asarray(class_counts, dtype=np.float64), minlength=int(groups.max()) + 1)
    for group, n_rows in enumerate(counts.astype(np.int64)):
        if order_index(int(n_rows), coverage, confidence) is None:
            raise DataError(_refusal(group, groups, int(n_rows), coverage, confidence, classes))


def _refusal(group: int, groups: np.ndarray, n_rows: int, coverage, confidence, classes) -> str:
    members = np.flatnonzero(groups == group)
    if len(np.unique(groups)) == 1:
        who = f"the calibration set has {n_rows} rows"
    elif len(members) == 1:
        who = f"{class_name(int(members[0]), classes)} has {n_rows} calibration rows"
    else:
        alone = [class_name(int(c), classes) for c in np.flatnonzero(groups != group)]
        who = f"the classes pooled apart from {', '.join(alone)} have {n_rows} calibration rows"
    level = format_level(coverage) + " coverage"
    if confidence is not None:
        level += f" at {format_level(confidence)} confidence"
    return f"{who}; {level} needs at least {rows_needed(coverage, confidence)}."


def _calibrate(probs, y, *, method: str, n_folds, coverage, score, randomized, mondrian, confidence, raps_lambda,
               raps_k_reg, classes, random_state) -> ConformalCalibration:
    values = check_probs(probs)
    n, k = values.shape
    codes = check_labels(y, n, k)
    coverage = check_level(coverage, "coverage")
    confidence = None if confidence is None else check_level(confidence, "confidence")
    if score not in SCORES:
        raise ConfigError(f"`score` must be one of {SCORES}; got {score!r}.")
    if not isinstance(randomized, bool) or (randomized and score == "lac"):
        raise ConfigError(f"`randomized` must be True or False, and False for score 'lac'; got {randomized!r}.")
    raps_lambda, raps_k_reg = check_raps(raps_lambda, raps_k_reg)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise ConfigError(f"`random_state` must be an integer >= 0; got {random_state!r}.")
    if classes is not None and len(classes) != k:
        raise ConfigError(f"`classes` must name the {k} classes of `probs`; got {len(classes)} names.")
    groups = group_classes(mondrian, k)
    class_counts = np.bincount(codes, minlength=k)  # (K,)
    check_group_rows(class_counts, groups, coverage, confidence, classes)  # before any score is computed
    # MAPIE's draws: one uniform per calibration row from RandomState(seed), in row order.
    draws = np.random.RandomState(int(random_state)).uniform(size=n) if score != "lac" else None
    scores = conformity_scores(values, codes, score=score, u=draws, raps_lambda=raps_lambda,
                               raps_k_reg=raps_k_reg)  # (N,)
    row_groups = groups[codes]  # (N,)
    quantiles = [threshold(scores[row_groups == group], coverage, confidence)  # each exists: the rows were counted
                 for group in range(int(groups.max()) + 1)]
    return ConformalCalibration(
        method=method, score=score, coverage=coverage, confidence=confidence, randomized=randomized,
        groups=tuple(int(g) for g in groups), quantiles=tuple(quantiles),
        class_counts=tuple(int(c) for c in class_counts), random_state=int(random_state),
        raps_lambda=raps_lambda, raps_k_reg=raps_k_reg, n_folds=n_folds)


def calibrate_sets(probs, y, *, coverage: float = 0.9, score: str = "aps", randomized: bool = False,
                   mondrian=None, confidence: float | None = None, raps_lambda: float = 0.01, raps_k_reg: int = 1,
                   classes: Sequence | None = None, random_state: int = 0) -> ConformalCalibration:
    """Split-conformal calibration of prediction sets on held-out rows.

    With the calibration rows and new rows exchangeable (drawn alike, the model fitted without them), a set
    holds the true class with probability >= `coverage` on average over calibration sets, and below
    ``coverage + 1/(n+1)`` for LAC and randomised APS/RAPS with continuous probabilities; with `confidence`,
    coverage >= `coverage` holds for this calibration set with that probability. Class-conditional ("Mondrian")
    groups make the statement hold for each group's classes separately (n = the group's rows).

    Parameters
    ----------
    probs : array-like of shape (n_samples, n_classes)
        Probabilities of the calibration rows (from a model that did not train on them).
    y : array-like of int, shape (n_samples,)
        Their true class codes.
    coverage : float, default=0.9
        1 - alpha.
    score : {"lac", "aps", "raps"}, default="aps"
        Non-conformity score; see `multiclass.conformal.scores`.
    randomized : bool, default=False
        Randomised sets (exact coverage, may be empty); False gives MAPIE's default non-randomised sets
        (coverage >= asked, never empty). Must be False for "lac".
    mondrian : None, "all" or sequence of int, default=None
        None: one threshold for all classes (marginal coverage). "all": one per class (coverage given each
        class). Class codes: those classes alone, the others pooled.
    confidence : float, optional
        1 - delta for training-conditional coverage; needs ``ln(delta) / ln(1 - alpha)`` rows per group.
    raps_lambda, raps_k_reg : float, int, default=0.01, 1
        RAPS's penalty per label beyond the first `raps_k_reg`. Fixed in advance: tuning them on these rows
        voids the guarantee (MAPIE holds out 20 % of them for that).
    classes : sequence of str, optional
        Class names, for messages.
    random_state : int, default=0
        Seed of the per-row uniform draws of APS/RAPS (numpy ``RandomState(seed).uniform``, as MAPIE).

    Returns
    -------
    ConformalCalibration

    Raises
    ------
    ConfigError
        A parameter out of range.
    DataError
        Bad shapes or values, or a group with too few rows for the asked coverage (the message says how many).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> probs = rng.dirichlet([4, 1, 1], size=200)
    >>> y = np.array([rng.choice(3, p=p) for p in probs])
    >>> calibration = calibrate_sets(probs, y, coverage=0.9, score="lac")
    >>> calibration.class_counts, round(calibration.quantiles[0], 3)
    ((135, 40, 25), 0.782)
    >>> calibrate_sets(probs[:10], y[:10], coverage=0.95, score="lac")
    Traceback (most recent call last):
    ...
    multiclass.exceptions.DataError: the calibration set has 10 rows; 95 % coverage needs at least 19.
    """
    return _calibrate(probs, y, method="split", n_folds=None, coverage=coverage, score=score, randomized=randomized,
                      mondrian=mondrian, confidence=confidence, raps_lambda=raps_lambda, raps_k_reg=raps_k_reg,
                      classes=classes, random_state=random_state)


def calibrate_cross_sets(oof_probs, y, folds, *, coverage: float = 0.9, score: str = "aps",
                         randomized: bool = False, mondrian=None, confidence: float | None = None,
                         raps_lambda: float = 0.01, raps_k_reg: int = 1, classes: Sequence | None = None,
                         random_state: int = 0) -> ConformalCalibration:
    """Cross-conformal calibration from out-of-fold probabilities (MAPIE's ``CrossConformalClassifier`` with
    ``agg_scores="mean"``).

    Every training row is scored by the fold model that did not see it; the threshold is the split-conformal
    order statistic of all n out-of-fold scores. New rows are then scored on the mean of the K fold models'
    probabilities (MAPIE's definition: pass ``fold_probs.mean(axis=0)`` to `predict_sets`) or, as commonly
    done, on the final model's.

    What holds: no finite-sample guarantee. The new row's probabilities come from a different model (the mean,
    or the final one fitted on all rows) than the calibration scores, so the exchangeability the split argument
    needs is broken; coverage is close to `coverage` when the fold models agree with each other (stable
    training), and can fall below it for unstable models or few rows per fold. The guaranteed cross-conformal
    forms (Vovk's p-value averaging; CV+/MAPIE ``agg_scores="crossval"``, Romano et al. 2020 alg. 2) give
    ``1 - 2 alpha`` and need every fold model at prediction time; they are not provided. For a guarantee use
    `calibrate_sets` on held-out rows.

    Parameters
    ----------
    oof_probs : array-like of shape (n_samples, n_classes)
        Out-of-fold probabilities: row i predicted by the model of the fold that left row i out.
    y : array-like of int, shape (n_samples,)
    folds : array-like of int, shape (n_samples,)
        The fold of each row (>= 2 folds).
    coverage, score, randomized, mondrian, confidence, raps_lambda, raps_k_reg, classes, random_state
        As in `calibrate_sets`.

    Returns
    -------
    ConformalCalibration
        With ``method="cross"`` and `n_folds`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> oof = rng.dirichlet([3, 1], size=50)
    >>> y, folds = (rng.random(50) > oof[:, 0]).astype(int), np.arange(50) % 5
    >>> calibration = calibrate_cross_sets(oof, y, folds, coverage=0.8, score="lac")
    >>> calibration.method, calibration.n_folds
    ('cross', 5)
    """
    values = check_probs(oof_probs, "oof_probs")
    fold_ids = np.asarray(folds)
    if fold_ids.shape != (len(values),) or not np.issubdtype(fold_ids.dtype, np.integer):
        raise DataError(f"`folds` must be 1-D integer fold ids, one per row ({len(values)}); got dtype "
                        f"{fold_ids.dtype}, shape {fold_ids.shape}.")
    n_folds = len(np.unique(fold_ids))
    if n_folds < 2:
        raise DataError(f"`folds` must hold at least 2 distinct folds; got {n_folds}.")
    return _calibrate(values, y, method="cross", n_folds=n_folds, coverage=coverage, score=score,
                      randomized=randomized, mondrian=mondrian, confidence=confidence, raps_lambda=raps_lambda,
                      raps_k_reg=raps_k_reg, classes=classes, random_state=random_state)
