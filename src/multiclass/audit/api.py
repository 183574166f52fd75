"""The audit verbs: find the rows whose label is probably wrong, from data, from probabilities, or streamed.

`audit` trains K out-of-fold models (`multiclass.audit.folds`) and audits their probabilities;
`audit_probabilities` audits out-of-sample probabilities the caller already has; `audit_batches` does the same
for probabilities streamed in batches. All return an `AuditResult`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from multiclass.audit.config import AuditConfig
from multiclass.audit.examples import dataset_examples
from multiclass.audit.findings import findings_from_probabilities
from multiclass.audit.folds import FoldRecipe, out_of_fold_probabilities
from multiclass.audit.joint import check_probabilities
from multiclass.audit.result import AuditResult, labels_fingerprint
from multiclass.audit.stream import Batches, findings_from_batches
from multiclass.data import Dataset
from multiclass.exceptions import DataError
from multiclass.training import check_training_data

__all__ = ["audit", "audit_batches", "audit_probabilities"]

# Suspects drawn as thumbnails / snippets in the report: a page a reviewer can go through (the CSV lists all).
N_EXAMPLES = 200


def _names(classes, n_classes: int) -> tuple[str, ...]:
    names = tuple(str(c) for c in classes) if classes is not None else tuple(str(c) for c in range(n_classes))
    if len(names) != n_classes:
        raise DataError(f"`classes` must name the {n_classes} classes; got {len(names)} names.")
    return names


def audit_probabilities(labels, probs, *, classes: Sequence | None = None, config: AuditConfig | None = None,
                        **options) -> AuditResult:
    """Audit given labels against out-of-sample probabilities held in memory.

    Parameters
    ----------
    labels : array-like (N,) of int codes in [0, K)
    probs : array-like (N, K)
        Out-of-sample probabilities: each row from a model that did not train on it (cross-validation).
    classes : sequence of K names, optional
    config : AuditConfig, optional
        Or its fields as keyword `options` (``filter_by``, ``rank_by``, ``top_n``, ...).

    Returns
    -------
    AuditResult
    """
    config = config or AuditConfig(**options)
    labels, probs = check_probabilities(labels, probs)
    names = _names(classes, probs.shape[1])
    return AuditResult(classes=names, findings=findings_from_probabilities(labels, probs, config), config=config,
                       fingerprint=labels_fingerprint(labels, names), probs=probs)


def audit_batches(batches: Batches, classes: Sequence, *, config: AuditConfig | None = None,
                  **options) -> AuditResult:
    """Audit out-of-sample probabilities streamed as (labels, probs) batches (three passes; see `stream`).

    `batches` is called once per pass and must yield the same rows each time. Only counts and the suspects stay
    in memory; set ``top_n`` to bound the suspects kept per class. The result has no fingerprint (the labels
    are never held at once), so ``drop_suspects`` cannot check it against the data.
    """
    config = config or AuditConfig(**options)
    names = tuple(str(c) for c in classes)
    return AuditResult(classes=names, findings=findings_from_batches(batches, len(names), config), config=config)


def audit(data, y=None, *, folds: int = 5, filter_by: str = "prune_by_noise_rate",
          rank_by: str = "self_confidence", frac_noise: float = 1.0, min_examples_per_class: int = 1,
          num_to_remove_per_class=None, top_n: int | None = None, confidence: float = 0.95,
          recipe: FoldRecipe | None = None, engine: str = "auto", classes: Sequence | None = None,
          n_examples: int = N_EXAMPLES) -> AuditResult:
    """Find the rows whose label is probably wrong: K out-of-fold models, then confident learning.

    Parameters
    ----------
    data : Dataset or array-like (N, F)
        A `multiclass.data.Dataset` (from `load_dataset`: its ids, images and texts are attached to the suspects)
        or a feature matrix with `y`.
    y : array-like (N,) of int codes, optional
        The given labels when `data` is an array.
    folds : int >= 2, default=5
        Out-of-fold models; each row's probabilities come from the one model that did not see it.
    filter_by, rank_by, frac_noise, min_examples_per_class, num_to_remove_per_class, top_n, confidence
        See `AuditConfig`.
    recipe : FoldRecipe, optional
        The fold models' network and training (default: the seed recipe).
    engine : {"auto", "stacked", "separate"}, default="auto"
        How the fold models train (`multiclass.audit.folds.out_of_fold_probabilities`).
    classes : sequence of K names, optional
        Class names for array data (default "0", "1", ...).
    n_examples : int, default=200
        Suspects, most likely wrong first, given a thumbnail or snippet for the report.

    Returns
    -------
    AuditResult

    Raises
    ------
    DataError, ConfigError
        Unusable data or options, named.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from multiclass.training import TrainConfig
    >>> X, y = load_digits(return_X_y=True)
    >>> recipe = FoldRecipe(config=TrainConfig(epochs=3, verbose=False))
    >>> result = audit(X / 16, y, folds=3, recipe=recipe)
    >>> result.n_samples, result.n_classes
    (1797, 10)
    """
    config = AuditConfig(filter_by=filter_by, rank_by=rank_by, frac_noise=frac_noise,
                         min_examples_per_class=min_examples_per_class,
                         num_to_remove_per_class=num_to_remove_per_class, top_n=top_n, confidence=confidence)
    dataset = data if isinstance(data, Dataset) else None
    if dataset is not None:
        if dataset.y is None:
            raise DataError(f"{dataset.source}: an audit needs the given labels; the data has no target.")
        X, codes, names = dataset.X, dataset.y, dataset.classes
    else:
        if y is None:
            raise DataError("`y` must be given with an array `X` (or pass a Dataset).")
        y = np.asarray(y)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or not len(y):
            raise DataError(f"`y` must be 1-D integer class codes; got shape {y.shape}, dtype {y.dtype}.")
        n_classes = len(classes) if classes is not None else int(y.max()) + 1
        X = np.asarray(data)
        X, codes = check_training_data(X, y, X.shape[1] if X.ndim == 2 else -1, n_classes)
        names = _names(classes, n_classes)
    if len(names) < 2:
        raise DataError(f"an audit needs at least 2 classes; got {len(names)}.")
    oof = out_of_fold_probabilities(X, codes, folds=folds, recipe=recipe, classes=names, engine=engine)
    result = audit_probabilities(codes, oof.probs, classes=names, config=config)
    result.folds = {"n_folds": folds, "engine": oof.engine, "train_time": oof.train_time,
                    "best_epochs": oof.best_epochs, "stop_reasons": oof.stop_reasons}
    if dataset is not None:
        result.source = {"data": dataset.source, "kind": dataset.kind}
        result.ids = dataset.ids
        result.examples = dataset_examples(dataset, result.suspects.row[:n_examples])
    return result
