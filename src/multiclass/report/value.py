"""The `Report` value: every number of an evaluation report, language-neutral, built once and rendered three ways.

`multiclass.report.build.build_report` makes it; `terminal`, `jsondoc` and `html` render it. Class-level fields
hold class *indices* into `Report.classes`; the renderers turn them into names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from multiclass.exceptions import ConfigError
from multiclass.metrics import ReliabilityBins

__all__ = [
    "HEADLINE",
    "candidates_tried",
    "Calibration",
    "ClassChange",
    "ClassStats",
    "ConfusedPair",
    "CriticalView",
    "Decision",
    "Estimate",
    "Mistakes",
    "Notice",
    "Report",
    "ReportConfig",
    "TargetCheck",
    "Training",
]

# The headline metrics, in display order (`*_loss` lower is better, the others higher).
HEADLINE = ("accuracy", "balanced_accuracy", "macro_f1", "weighted_f1", "log_loss")


@dataclass(frozen=True)
class ReportConfig:
    """How the report is computed. CLI flags: ``--bootstrap`` and ``--seed``.

    Attributes
    ----------
    bootstrap : int, default=1000
        Stratified bootstrap resamples behind every interval; 0 turns intervals off.
    seed : int, default=0
        Seed of the resampling: the same seed gives the same intervals.
    confidence : float, default=0.95
        Coverage of the intervals.
    n_bins : int, default=15
        Equal-width confidence bins for ECE and the reliability diagram (Guo et al. 2017).
    small_count : int, default=30
        A class with fewer true examples is flagged, and a precision or recall whose denominator is below this
        gets a Wilson interval: 30 is the usual rule of thumb below which a percentile bootstrap of a proportion
        is too discrete (and too narrow) to trust.
    top_n : int, default=20
        Rows of the truncated views: most confused pairs, and weakest classes in the per-class table.
    n_examples : int, default=16
        Confidently wrong images shown (a 4 x 4 grid).
    """

    bootstrap: int = 1000
    seed: int = 0
    confidence: float = 0.95
    n_bins: int = 15
    small_count: int = 30
    top_n: int = 20
    n_examples: int = 16

    def __post_init__(self) -> None:
        for name, minimum in (("bootstrap", 0), ("seed", 0), ("n_bins", 1), ("small_count", 1), ("top_n", 1),
                              ("n_examples", 0)):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
                raise ConfigError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
        if not isinstance(self.confidence, Real) or isinstance(self.confidence, bool) or not 0 < self.confidence < 1:
            raise ConfigError(f"`confidence` must be a number in (0, 1); got {self.confidence!r}.")


@dataclass(frozen=True)
class Estimate:
    """A point value and, when intervals are on, its interval and how it was obtained.

    `method` is "bootstrap" (percentile), "wilson" (score interval of a proportion), "normal" (normal
    approximation of the bootstrap, for a mean over very many rows) or None (no interval: intervals are off
    or the value is undefined, e.g. the precision of a class never predicted).
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    method: str | None = None


@dataclass(frozen=True)
class ClassStats:
    """Precision, recall and F1 of one class; `index` points into `Report.classes`."""

    index: int
    support: int  # true rows of the class
    n_predicted: int  # rows predicted as the class
    precision: Estimate
    recall: Estimate
    f1: Estimate


@dataclass(frozen=True)
class ConfusedPair:
    """An off-diagonal cell: `count` rows of class `true` predicted as `predicted`; `rate` = count / support."""

    true: int
    predicted: int
    count: int
    rate: float


@dataclass(frozen=True)
class Calibration:
    """Calibration of the probabilities; `bins` is the top-label reliability diagram."""

    ece_top_label: float
    ece_classwise: float
    brier: float  # unscaled: mean sum_k (p_k - onehot_k)^2, in [0, 2], the same definition for every K
    bins: ReliabilityBins


@dataclass(frozen=True)
class Training:
    """The learning curves of a trained model: one dict per epoch (epoch, train_loss, val_loss, val_macro_f1)."""

    epochs: tuple[dict, ...]
    best_epoch: int  # 1-based, the epoch whose weights were restored
    stop_reason: str
    recipe: dict | None = None  # how the network was chosen (model.json's training.recipe), when known


def candidates_tried(recipe: dict) -> int:
    """The distinct configurations a recipe's search trained, over every stage (a candidate may run in several)."""
    return len({tuple(map(str, (e["hidden"], e["dropout"], e["l2"], e["lr"], e["batch_size"], e.get("solver"))))
                for e in recipe.get("candidates") or ()})


@dataclass(frozen=True)
class Mistakes:
    """The most confidently wrong rows of image data, most confident first."""

    rows: np.ndarray  # (M,) row numbers in the evaluated data (0-based)
    true: np.ndarray  # (M,) class indices
    predicted: np.ndarray  # (M,)
    probability: np.ndarray  # (M,) probability given to the predicted class
    pixels: np.ndarray  # (M, H, W, C) in [0, 1]


@dataclass(frozen=True)
class TargetCheck:
    """A recall target on the evaluated rows: class `index`, its `target`, the recall reached and whether it is met."""

    index: int
    target: float
    recall: Estimate  # with a Wilson interval when intervals are on
    met: bool | None  # None when the class has no row here


@dataclass(frozen=True)
class ClassChange:
    """Precision and recall of one class under the plain argmax and under the decision policy."""

    index: int
    precision_argmax: Estimate
    precision_policy: Estimate
    recall_argmax: Estimate
    recall_policy: Estimate

    @property
    def changed(self) -> bool:
        return (self.precision_argmax.value != self.precision_policy.value
                or self.recall_argmax.value != self.recall_policy.value)


@dataclass(frozen=True)
class Decision:
    """What the model's decision policy (`multiclass.decisions.DecisionPolicy`) does on the evaluated rows.

    Attributes
    ----------
    rule : {"argmax", "offsets", "cost"}
    temperature : float
    calibration : dict or None
        ``{"before": {...}, "after": {...}}``: ece_top_label, ece_classwise, brier and log_loss at T = 1 and at
        the fitted temperature; None when the model is not calibrated.
    cost : dict or None
        ``{"policy": Estimate, "argmax": Estimate, "difference": Estimate}``: the mean cost per row actually
        incurred by each rule, and policy minus argmax (paired); None without a cost matrix.
    targets : tuple of TargetCheck
    changes : tuple of ClassChange
        Every class, in class order: the price of the policy in precision and recall.
    scores : dict
        ``{"argmax": {...}, "policy": {...}}``: accuracy, balanced accuracy, macro- and weighted-F1 of each rule.
    n_changed : int
        Rows whose decision differs from the argmax.
    tuned_here : bool
        True when these are the rows the policy was fitted on: its numbers are then optimistic.
    notices : tuple of Notice
    """

    rule: str
    temperature: float
    calibration: dict | None
    cost: dict | None
    targets: tuple[TargetCheck, ...]
    changes: tuple[ClassChange, ...]
    scores: dict
    n_changed: int
    tuned_here: bool = False
    notices: tuple = ()


@dataclass(frozen=True)
class CriticalView:
    """The classes that matter on the evaluated rows (`multiclass.report.critical`).

    Attributes
    ----------
    classes : tuple of int
        The critical classes.
    recall : tuple of Estimate
        Each one's recall with a Wilson interval (always: the report's first sentence quotes it).
    missed : tuple of dict
        Rows of a critical class decided otherwise: ``{"row": 0-based row, "id": the row's id or None, "true":
        class index, "predicted": class index}``, at most `MAX_MISSED`.
    n_missed : int
        All such rows (the list may be cut).
    what_if : tuple of (dict or None)
        Per class, what a threshold on its probability costs on these rows: ``{"recall": the target share, "k":
        the rows to find, "found": the rows found (>= k with ties), "alarms": rows flagged, "n": rows evaluated}``;
        None when the decided rows already find k, the class is small, or there were no probabilities.
    """

    classes: tuple[int, ...]
    recall: tuple[Estimate, ...]
    missed: tuple[dict, ...] = ()
    n_missed: int = 0
    what_if: tuple = ()


@dataclass(frozen=True)
class Notice:
    """A warning or note for the reader: `code` selects the sentence in each language, `params` fill it."""

    code: str
    level: str  # "warning" or "note"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """Everything an evaluation report shows. Build it with `build_report`.

    Attributes
    ----------
    subject : str
        What was evaluated (the data file or name); the renderers' default title names it.
    source : dict
        JSON-able provenance: ``model``, ``data``, ``predictions`` (paths; None when not applicable).
    config : ReportConfig
    classes : tuple of str
    confusion : ndarray of int64, shape (K, K), or metrics.SparseConfusion
        Rows = true class, columns = predicted class; sparse (its non-zero cells) above
        ``metrics.DENSE_MAX_CLASSES`` classes. Both have ``sum(axis)``, ``diagonal()`` and ``shape``.
    headline : dict of str to Estimate
        The metrics of `HEADLINE`; ``log_loss`` is None without probabilities.
    baselines : dict
        ``{"majority": {...}, "prior": {...}}``: the headline metrics of always predicting the majority class,
        and of guessing classes at their frequencies (the scores of the expected confusion matrix ``n_i pi_j``);
        log-loss of the class frequencies as probabilities (None for "majority": it is infinite).
    per_class : tuple of ClassStats
        In class order.
    ranking : tuple of int
        The classes that occur in the data, weakest first (F1, then recall).
    most_confused : tuple of ConfusedPair
        The `top_n` largest off-diagonal cells.
    calibration, training, mistakes : optional
    decision : Decision, optional
        The model's decision policy and what it changes, when it has one.
    notices : tuple of Notice
    verdict : Notice, tuple of Notice or str, optional
        One or two sentences that sum the report up, shown first after the title by every rendering (a
        `Notice` is written in the report's language from its ``notice_<code>`` sentence, a tuple of them one
        after the other; a string as it is).
    critical : CriticalView, optional
        The critical classes' recall and missed rows, when the model names critical classes.
    """

    subject: str
    source: dict
    config: ReportConfig
    classes: tuple[str, ...]
    confusion: np.ndarray
    headline: dict
    baselines: dict
    per_class: tuple[ClassStats, ...]
    ranking: tuple[int, ...]
    most_confused: tuple[ConfusedPair, ...]
    calibration: Calibration | None = None
    training: Training | None = None
    mistakes: Mistakes | None = None
    notices: tuple[Notice, ...] = ()
    decision: Decision | None = None
    verdict: Notice | tuple | str | None = None
    critical: CriticalView | None = None

    @property
    def n_samples(self) -> int:
        return int(self.confusion.sum())

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def support(self) -> np.ndarray:
        """(K,) true rows per class: the class distribution."""
        return self.confusion.sum(axis=1)

    @property
    def majority(self) -> int:
        """Index of the most frequent true class (the first one on ties)."""
        return int(np.argmax(self.support))

    @property
    def imbalance_ratio(self) -> float:
        """Rows of the largest class over rows of the smallest class that occurs."""
        present = self.support[self.support > 0]
        return float(present.max() / present.min())

    @property
    def weakest(self) -> tuple[int, ...]:
        """The classes to highlight: the `HIGHLIGHTED` weakest, one per three classes at most (highlighting 3 of 3
        classes, or all 20 weak classes of a truncated table sorted weakest first, would single out none)."""
        return self.ranking[:min(HIGHLIGHTED, self.n_classes // 3)]

    def class_rows(self) -> tuple[list[int | None], int]:
        """The per-class table's rows (class indices; None marks the cut) and the number of classes left out.

        Every class in class order up to `FULL_TABLE` classes; beyond, the `top_n` weakest then the
        `STRONGEST` strongest, weakest first.
        """
        if self.n_classes <= FULL_TABLE:
            return list(range(self.n_classes)), 0
        weak = list(self.ranking[: self.config.top_n])
        strong = [c for c in self.ranking[-STRONGEST:] if c not in weak]
        hidden = self.n_classes - len(weak) - len(strong)
        return weak + ([None] if hidden else []) + strong, hidden


# Up to this many classes every view is complete (per-class table, matrix as a table or heatmap); beyond it the
# views are truncated to the weakest/strongest classes and the most confused pairs (the JSON stays complete).
FULL_TABLE = 30
# Up to this many classes the confusion matrix alone is readable (it fits 100 terminal columns); beyond, the most
# confused pairs are listed too (in the terminal instead of the matrix).
MATRIX_CLASSES = 12
# Weakest classes highlighted in the per-class table.
HIGHLIGHTED = 3
# Strongest classes kept at the bottom of a truncated per-class table, for contrast with the weakest.
STRONGEST = 5
