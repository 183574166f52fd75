"""Recall targets as guarantees: a threshold on a critical class's probability, from its calibration rows.

Deciding class c when ``p_c >= t`` finds a new row of class c when its p_c is at least t. With the n rows of
class c held out (exchangeable with new ones) and t their j-th smallest p_c, a new row of class c clears t with
probability ``(n + 1 - j) / (n + 1)`` on average over calibration sets (exactly, for continuous probabilities):
split conformal on the one class, with score ``1 - p_c``. So ``j = n + 1 - ceil((n + 1) r)`` gives expected
recall >= r, and the Beta/binomial rule of `multiclass.conformal.quantile` gives recall >= r with a confidence.

Tuning a rule to reach r on the same few rows it is then judged on (`multiclass.decisions.fit_recall_offsets`)
puts the threshold at about the ``ceil(n r)``-th order statistic instead: with 20 rows and r = 0.95, expected
recall 19/21 = 0.90 and a 26 % chance of really reaching 0.95 (``P(Beta(19, 2) >= 0.95)``); the rule here
takes the 20th (expected 20/21 = 0.952), and refuses 95 % at 95 % confidence below 59 rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from multiclass.conformal.calibrate import check_labels, class_name
from multiclass.conformal.quantile import check_level, format_level, order_index, rows_needed
from multiclass.conformal.scores import check_probs
from multiclass.exceptions import ConfigError, DataError, ModelFileError

__all__ = ["RecallGuarantee", "decide_with_guarantee", "fit_recall_guarantee"]


@dataclass(frozen=True)
class RecallGuarantee:
    """Thresholds that give critical classes their recall targets; build it with `fit_recall_guarantee`.

    Attributes
    ----------
    classes : tuple of int
        The critical classes, in priority order (the first wins when several thresholds are met).
    targets : tuple of float
        Their recall targets.
    thresholds : tuple of float
        Decide class ``classes[i]`` when its probability is >= ``thresholds[i]``.
    expected_recall : tuple of float
        ``k / (n + 1)``: the recall expected on new rows (exact for continuous probabilities).
    class_counts : tuple of int
        Calibration rows of each critical class.
    confidence : float or None
        When set, recall >= target holds with this probability over calibration sets.
    """

    classes: tuple[int, ...]
    targets: tuple[float, ...]
    thresholds: tuple[float, ...]
    expected_recall: tuple[float, ...]
    class_counts: tuple[int, ...]
    confidence: float | None = None

    @property
    def rows_needed(self) -> tuple[int, ...]:
        """The fewest calibration rows each critical class needs for its target (and confidence)."""
        return tuple(rows_needed(r, self.confidence) for r in self.targets)

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return {"classes": list(self.classes), "targets": list(self.targets), "thresholds": list(self.thresholds),
                "expected_recall": list(self.expected_recall), "class_counts": list(self.class_counts),
                "confidence": self.confidence}

    @classmethod
    def from_dict(cls, data) -> RecallGuarantee:
        """Read back `to_dict`'s output; raises ModelFileError naming the bad field."""
        names = ("classes", "targets", "thresholds", "expected_recall", "class_counts", "confidence")
        if not isinstance(data, dict) or sorted(data) != sorted(names):
            raise ModelFileError(f"the recall guarantee must be an object with fields {list(names)}; got {data!r}.")
        n = len(data["classes"]) if isinstance(data["classes"], list) else -1
        for name in names[:-1]:
            value = data[name]
            integer = name in ("classes", "class_counts")
            ok = isinstance(value, list) and len(value) == n and n >= 1 and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 if integer else
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in value)
            if not ok:
                kind = "integers >= 0" if integer else "numbers in [0, 1]"
                raise ModelFileError(f"the recall guarantee field `{name}` must be a non-empty list of {kind}, one "
                                     f"per critical class; got {value!r}.")
        confidence = data["confidence"]
        if confidence is not None and not (isinstance(confidence, float) and 0 < confidence < 1):
            raise ModelFileError(f"the recall guarantee field `confidence` must be null or a number in (0, 1); "
                                 f"got {confidence!r}.")
        return cls(tuple(data["classes"]), *(tuple(float(v) for v in data[name]) for name in names[1:4]),
                   tuple(data["class_counts"]), confidence)


def fit_recall_guarantee(probs, y, targets: Mapping[int, float], *, confidence: float | None = None,
                         classes: Sequence | None = None) -> RecallGuarantee:
    """Thresholds on critical classes' probabilities that give recall >= target on new rows.

    Parameters
    ----------
    probs : array-like of shape (n_samples, n_classes)
        Probabilities of held-out calibration rows (not the rows the model trained on, nor those the result is
        judged on).
    y : array-like of int, shape (n_samples,)
        Their true class codes.
    targets : mapping
        Critical class code -> recall target in (0, 1), in priority order.
    confidence : float, optional
        Also guarantee recall >= target with this probability over calibration sets.
    classes : sequence of str, optional
        Class names, for messages.

    Returns
    -------
    RecallGuarantee

    Raises
    ------
    ConfigError
        A target or confidence out of (0, 1), or an unknown class.
    DataError
        A critical class with too few calibration rows for its target (the message says how many it needs).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> probs = rng.dirichlet([1, 1], size=400)
    >>> y = (rng.random(400) < probs[:, 1]).astype(int)
    >>> guarantee = fit_recall_guarantee(probs, y, {1: 0.9})
    >>> guarantee.class_counts, round(guarantee.expected_recall[0], 3), guarantee.rows_needed
    ((202,), 0.901, (9,))
    >>> fit_recall_guarantee(probs[:30], y[:30], {1: 0.95}, confidence=0.95, classes=["ok", "critical"])
    Traceback (most recent call last):
    ...
    multiclass.exceptions.DataError: class 'critical' has 13 calibration rows; 95 % recall at 95 % confidence needs at least 59.
    """
    values = check_probs(probs)
    n, k = values.shape
    codes = check_labels(y, n, k)
    confidence = None if confidence is None else check_level(confidence, "confidence")
    if not isinstance(targets, Mapping) or not targets:
        raise ConfigError(f"`targets` must be a non-empty mapping class code -> recall; got {targets!r}.")
    rows = []
    for c, r in targets.items():
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < k:
            raise ConfigError(f"`targets` must name class codes in [0, {k}); got {c!r}.")
        r = check_level(r, f"targets[{c}]")
        p_c = np.sort(values[codes == c, c].astype(np.float64))  # (n_c,) ascending
        n_c = len(p_c)
        order = order_index(n_c, r, confidence)
        if order is None:
            level = f"{format_level(r)} recall" + (f" at {format_level(confidence)} confidence" if confidence else "")
            raise DataError(f"{class_name(int(c), classes)} has {n_c} calibration rows; {level} needs at least "
                            f"{rows_needed(r, confidence)}.")
        # Deciding c when p_c >= the (n + 1 - order)-th smallest keeps `order` of the n rows: recall order/(n+1).
        rows.append((int(c), r, float(p_c[n_c - order]), order / (n_c + 1), n_c))
    return RecallGuarantee(*(tuple(column) for column in zip(*rows, strict=True)), confidence=confidence)


def decide_with_guarantee(probs, guarantee: RecallGuarantee) -> np.ndarray:
    """Decisions (N,) int64: the first critical class (in priority order) whose probability reaches its
    threshold, else the argmax.

    Each class's recall guarantee holds for the rows it is decided on; a row that reaches the thresholds of two
    critical classes goes to the first, so a later class's recall is guaranteed only when their thresholds do
    not overlap on its rows (check it on evaluation data).

    Examples
    --------
    >>> guarantee = RecallGuarantee(classes=(2,), targets=(0.9,), thresholds=(0.2,), expected_recall=(0.91,),
    ...                             class_counts=(30,))
    >>> decide_with_guarantee([[0.7, 0.1, 0.2], [0.7, 0.15, 0.15]], guarantee).tolist()
    [2, 0]
    """
    values = check_probs(probs)
    if not isinstance(guarantee, RecallGuarantee):
        raise ConfigError(f"`guarantee` must be a RecallGuarantee; got {type(guarantee).__name__}.")
    if max(guarantee.classes) >= values.shape[1]:
        raise DataError(f"`probs` has {values.shape[1]} classes but the guarantee names class "
                        f"{max(guarantee.classes)}.")
    decided = values.argmax(axis=1)  # (N,)
    for c, t in reversed(list(zip(guarantee.classes, guarantee.thresholds, strict=True))):  # the first wins
        decided[values[:, c] >= t] = c
    return decided.astype(np.int64)
