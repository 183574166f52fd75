"""The `audit` verb: from labelled data to the audit folder (``suspects.csv``, ``audit.json``, the HTML report).

The fold models are the model `train` would fit: the recipe (`multiclass.jobs.plan.plan`, then
`multiclass.jobs.recipe.search` on a stratified ``val_split`` of all the rows) picks one network and its training
ONCE, and that candidate trains on each of the K folds (`multiclass.audit.folds`). The search is not repeated per fold: K searches would cost K
times as much and could pick K different networks, whose probabilities would not be comparable.

`drop_for_training` is what ``train --drop-suspects AUDIT_DIR`` does to the data before training: it leaves out the
rows listed in the audit's ``suspects.csv`` (after a reviewer deleted the lines of rows that are fine), never rows
of a critical class unless ``drop_critical``.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import multiclass.data as data
from multiclass.audit import AuditConfig, AuditResult, FoldRecipe, drop_suspects, suspects_to_drop, write_audit
from multiclass.audit import audit as audit_arrays
from multiclass.data.labels import errors_about
from multiclass.data.split import stratified_split
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs.inputs import wants_stream
from multiclass.jobs.plan import plan
from multiclass.jobs.recipe import search
from multiclass.training import TrainConfig
from multiclass.training.arrays import is_sparse
from multiclass.training.recipes import with_candidate

__all__ = ["AuditRun", "audit", "choose_fold_recipe", "critical_classes", "drop_for_training"]


@dataclass
class AuditRun:
    """What `audit` returns.

    Attributes
    ----------
    result : AuditResult
    written : dict of str -> Path
        The files written by kind ("csv", "json", "html"); empty without `out`.
    recipe : dict
        The recipe's choice: ``{"name", "fixed", "chosen", "search_seconds"}``.
    """

    result: AuditResult
    written: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)


def choose_fold_recipe(X, y, classes, *, recipe="auto", hidden=None, activation: str = "relu", dropout=None,
                       config: TrainConfig | None = None, source="the data") -> tuple[FoldRecipe, dict]:
    """The network and training `train` would choose for these rows, chosen once on all of them.

    As `multiclass.jobs.fit.fit_arrays`: the recipe's candidates are searched on a stratified ``val_split`` of the
    rows (``val_split`` 0: the middle candidate, and the audit then refuses the config); what the caller fixed is
    kept; `source` names the data in the split's errors. Returns the `FoldRecipe` (quiet) and the record of the
    choice.
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    tr = va = None  # train's split of the rows: the candidates are sized for, and searched on, its training part
    if config.val_split > 0:
        with errors_about(str(source)):
            tr, va = stratified_split(y, config.val_split, seed=config.seed, classes=classes)
    chosen = plan(recipe, hidden=hidden, dropout=dropout, config=config, n_rows=len(y) if tr is None else len(tr),
                  n_features=X.shape[1], n_classes=len(classes), sparse=is_sparse(X))
    winner = chosen.candidates[len(chosen.candidates) // 2]
    if len(chosen.candidates) > 1 and tr is not None:
        winner = search(X[tr], y[tr], X[va], y[va], chosen.candidates, classes=classes, base=chosen.config,
                        activation=activation, fixed=chosen.recipe.fixed, cross_validated=chosen.cross_validated).winner
    fold_config = replace(with_candidate(chosen.config, winner), verbose=False)
    record = {**chosen.recipe.to_dict(), "chosen": winner.to_dict(), "search_seconds": time.perf_counter() - started}
    return FoldRecipe(tuple(winner.hidden), activation, winner.dropout, fold_config, bool(winner.fixed_epochs),
                      winner.solver), record


def _check_out(out) -> Path:
    """The audit folder: not a file; its nearest existing folder writable (checked before minutes of training)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: is a file; give a folder for the audit's files.")
    parent = out if out.is_dir() else out.resolve().parent
    if not parent.is_dir():
        raise DataError(f"{out}: the directory {parent} does not exist.")
    try:
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as error:
        raise DataError(f"{out}: cannot write into {parent} ({error.strerror or error}).") from None
    return out


def audit(source, *, out=None, folds: int = 5, recipe="auto", hidden=None, activation: str = "relu", dropout=None,
          config: TrainConfig | None = None, audit_config: AuditConfig | None = None, engine: str = "auto",
          lang: str = "en", html: bool = True, announce=None, **read_options) -> AuditRun:
    """Audit the labels of `source`: the recipe chosen once, K out-of-fold models, confident learning.

    Parameters
    ----------
    source : str or Path
        Labelled data read whole (table, text table, IDX, NPZ, image folder or built-in dataset name).
    out : str or Path, optional
        The audit folder to write (created): ``suspects.csv``, ``audit.json``, ``audit.<lang>.html``.
    folds : int >= 2, default=5
    recipe, hidden, activation, dropout, config
        As in `multiclass.jobs.fit.fit`: how the network and its training are chosen.
    audit_config : AuditConfig, optional
        The rule, ranking and kept suspects (cleanlab's defaults).
    engine : {"auto", "stacked", "separate"}, default="auto"
        How the fold models train (`multiclass.audit.folds`).
    lang : {"en", "es"}, default="en"
        Language of the HTML report.
    html : bool, default=True
    announce : callable, optional
        Called with ``{"rows", "features", "classes", "read": "memory", "ranks": 1}`` once the data is read.
    **read_options
        As in `multiclass.data.load_dataset`.
    """
    config = config or TrainConfig()
    audit_config = audit_config or AuditConfig()
    if out is not None:
        out = _check_out(out)
    if wants_stream(source, "auto", options=read_options):
        raise ConfigError(f"{source}: an audit reads its data whole (it trains {folds} fold models on it); a "
                          "folder of shards or a table larger than memory is not supported yet.")
    dataset = data.load_dataset(source, **read_options)
    if dataset.y is None:
        raise DataError(f"{dataset.source}: an audit needs the given labels; the data has no target.")
    if announce is not None:
        announce({"rows": dataset.n_samples, "features": dataset.n_features, "classes": dataset.n_classes,
                  "read": "memory", "ranks": 1})
    fold_recipe, record = choose_fold_recipe(dataset.X, dataset.y, dataset.classes, recipe=recipe, hidden=hidden,
                                             activation=activation, dropout=dropout, config=config,
                                             source=dataset.source)
    result = audit_arrays(dataset, folds=folds, recipe=fold_recipe, engine=engine, **asdict(audit_config))
    result.folds["recipe"] = record
    written = write_audit(result, out, lang=lang, html=html) if out is not None else {}
    return AuditRun(result, written, record)


def critical_classes(decision, classes) -> tuple[str, ...]:
    """The classes whose rows `drop_for_training` keeps: those given a recall target (``--target-recall``),
    checked against `classes` first (an unknown class fails with the decision's own message)."""
    if decision is None or not (decision.target_recall or decision.critical):
        return ()
    decision.resolve(classes)
    return tuple(dict.fromkeys([*(str(name) for name in dict(decision.target_recall or {})),
                                *(str(name) for name in decision.critical)]))  # and those named --critical


def drop_for_training(dataset, audit_dir, *, critical=(), drop_critical: bool = False):
    """`dataset` without the rows listed in ``audit_dir/suspects.csv`` (rows of `critical` classes kept unless
    `drop_critical`), and the record of what was dropped: ``{"audit": str, "dropped": n, "kept_critical": m}``.

    Raises
    ------
    DataError
        No audit in `audit_dir`, or one made on other data (`multiclass.audit.suspects_to_drop`).
    """
    cleaned = drop_suspects(dataset, audit_dir, critical=critical, drop_critical=drop_critical)  # checks first
    listed = suspects_to_drop(audit_dir, dataset.y, dataset.classes, critical=critical, drop_critical=True)
    dropped = dataset.n_samples - cleaned.n_samples
    if cleaned.n_samples == 0:
        raise DataError(f"{audit_dir}: lists every row of {dataset.source} as a suspect; nothing is left to train on.")
    return cleaned, {"audit": str(audit_dir), "dropped": int(dropped), "kept_critical": int(len(listed) - dropped)}
