"""The `evaluate` verb: the evaluation report of a model on labelled data, read whole or streamed.

In memory, the rows are read through the model's preprocessing (`inputs.load_for_model`) and the report is built
from them (`multiclass.report.build_report`: bootstrap intervals from the rows, the most confidently wrong
images). Streamed (a table larger than memory, a folder of shards, ``stream=True``), each record batch is added to
`metrics.EvaluationCounts` (and, under a decision policy, to `DecisionCounts`) in file order and the report is
built from the counts: the same confusion matrix, scores, per-class table, bootstrap intervals of the
confusion-based scores and calibration; the log-loss and mean-cost intervals are then the normal approximation
of their stratified bootstrap (exact variance), and there are no confidently wrong images (tables have none).
Under its decision policy (`TrainedModel.decide`) the report also holds the decision section.
"""

from __future__ import annotations

import multiclass.metrics as metrics
from multiclass.classes import resolve_class
from multiclass.conformal.stored import critical_codes
from multiclass.data.stream.shards import DEFAULT_BATCH_ROWS
from multiclass.exceptions import DataError
from multiclass.jobs.inputs import load_for_model, model_scan, model_source, wants_stream
from multiclass.predictions import read_predictions
from multiclass.report import Report, ReportConfig, build_report
from multiclass.report.build import build_report_from_counts
from multiclass.report.critical import with_critical
from multiclass.report.decision import DecisionCounts, build_decision, build_decision_from_counts
from multiclass.trained import TrainedModel

__all__ = ["evaluate", "evaluate_arrays", "evaluate_dataset", "evaluate_predictions", "row_chunks",
           "validation_summary"]

# Rows x classes of probabilities handled at once: a record batch of 65,536 rows at K = 10,000 would be 5 GB of
# float64 probabilities, so each batch is cut into chunks of about this many entries (16 MiB per float64 array).
CHUNK_ENTRIES = 1 << 21


def row_chunks(n_rows: int, n_classes: int):
    """Row slices of a batch, each at most `CHUNK_ENTRIES` probabilities (at least one row)."""
    step = max(1, CHUNK_ENTRIES // n_classes)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def evaluate(trained: TrainedModel, data, *, kind: str | None = None, labels=None, data_dir=None,
             config: ReportConfig | None = None, stream="auto", batch_rows: int = DEFAULT_BATCH_ROWS, subject=None,
             model_dir=None) -> Report:
    """The evaluation report of `trained` on labelled data (a file, folder of shards or built-in name).

    Parameters
    ----------
    trained : TrainedModel
    data : str or Path
    kind, labels, data_dir : optional
        Reader options (see `multiclass.data.load_dataset`).
    config : ReportConfig, optional
    stream : bool or "auto", default="auto"
        Read a table batch by batch: "auto" streams a folder of shards or a file too large to load, for a model
        trained on a table.
    batch_rows : int, default=65536
        Rows per Parquet record batch when streaming.
    subject, model_dir : optional
        What the report's title and provenance name.

    Raises
    ------
    DataError
        No labels, a missing column, an unseen label, a bad value (named by file and row), no rows.
    """
    options = {"kind": kind, "labels": labels, "data_dir": data_dir}
    if wants_stream(data, stream, options=options, table_model=trained.data_info.get("kind") == "table"):
        return _evaluate_stream(trained, data, config=config or ReportConfig(), batch_rows=batch_rows,
                                subject=subject, model_dir=model_dir)
    dataset = load_for_model(trained, data, kind=kind, labels=labels, data_dir=data_dir)
    return evaluate_dataset(trained, dataset, config=config, subject=subject, model_dir=model_dir)


def _decision_section(trained: TrainedModel, y_true, log_probs, config: ReportConfig, tuned_here: bool):
    if trained.decision is None:
        return None
    return build_decision(y_true, log_probs, trained.decision, classes=trained.classes, config=config,
                          tuned_here=tuned_here)


def evaluate_dataset(trained: TrainedModel, dataset, *, config: ReportConfig | None = None, subject=None,
                     model_dir=None) -> Report:
    """The report of `trained` on a labelled `Dataset` read through its preprocessor, with the learning curves of
    its training record and, for image data, the most confidently wrong images."""
    if dataset.y is None:
        target = trained.data_info.get("load_options", {}).get("target")
        where = f" (column {target!r})" if target else ""
        raise DataError(f"{dataset.source}: evaluation needs labels{where}; the data has none.")
    config = config or ReportConfig()
    log_probs, probs, decided = trained.outputs(dataset.X)
    report = build_report(
        dataset.y, decided, trained.classes, probs=probs, config=config, history=trained.history,
        best_epoch=trained.best_epoch, stop_reason=trained.stop_reason, recipe=trained.recipe,
        images=dataset.X if dataset.image_shape else None, image_shape=dataset.image_shape,
        subject=str(dataset.source) if subject is None else str(subject),
        source={"model": None if model_dir is None else str(model_dir), "data": str(dataset.source)},
        decision=_decision_section(trained, dataset.y, log_probs, config, tuned_here=False))
    return with_critical(report, critical_codes(trained.critical, trained.classes), dataset.y, decided, dataset.ids,
                         probs=probs)


def evaluate_arrays(trained: TrainedModel, X, y, *, config: ReportConfig | None = None, subject: str = "",
                    tuned_here: bool = False) -> Report:
    """The report of `trained` on ready features `X` (n, F) and class codes `y` (n,): the validation view of
    `fit` (`tuned_here`: the decision policy was fitted on these very rows, which the report then says)."""
    config = config or ReportConfig(bootstrap=0)
    log_probs, probs, decided = trained.outputs(X)
    # The decision section keeps its Wilson intervals (a recall target met on 20 rows is not met on 2,000).
    section = _decision_section(trained, y, log_probs, ReportConfig(), tuned_here=tuned_here)
    report = build_report(y, decided, trained.classes, probs=probs, config=config, subject=subject, decision=section)
    return with_critical(report, critical_codes(trained.critical, trained.classes), y, decided, probs=probs)


def _evaluate_stream(trained: TrainedModel, path, *, config: ReportConfig, batch_rows: int, subject,
                     model_dir) -> Report:
    from multiclass.data.stream import iter_encoded  # the streamed reader (torch) only here

    source = model_source(trained, path, batch_rows=batch_rows)
    scan = model_scan(trained, source, with_labels=True)
    k = len(trained.classes)
    counts = metrics.EvaluationCounts(k, n_bins=config.n_bins, sparse=k > metrics.DENSE_MAX_CLASSES)
    decision = None if trained.decision is None else DecisionCounts(trained.decision, k, n_bins=config.n_bins)
    for X_batch, y_batch in iter_encoded(source, scan, range(len(source.pieces)), "all"):
        for rows in row_chunks(len(y_batch), k):
            y = y_batch[rows]
            log_probs, probs, decided = trained.outputs(X_batch[rows])
            counts.update(y, decided, probs)
            if decision is not None:
                decision.update(y, log_probs)
    if counts.n_samples == 0:
        raise DataError(f"{source.path}: the table has no rows to evaluate.")
    section = None if decision is None else build_decision_from_counts(decision, classes=trained.classes,
                                                                          config=config)
    report = build_report_from_counts(
        counts, trained.classes, config=config, history=trained.history, best_epoch=trained.best_epoch,
        stop_reason=trained.stop_reason, recipe=trained.recipe, subject=str(path) if subject is None else str(subject), decision=section,
        source={"model": None if model_dir is None else str(model_dir), "data": str(path), "read": "streamed"})
    # only counts here: no missed rows and no what-if sentence (it needs every row's probabilities)
    return with_critical(report, critical_codes(trained.critical, trained.classes))


def evaluate_predictions(path, *, config: ReportConfig | None = None, critical=()) -> Report:
    """The evaluation report of any classifier's predictions file (see `multiclass.report.read_predictions`);
    `critical`: the names of the classes that matter (the report's verdict speaks of them first)."""
    predictions = read_predictions(path)
    report = build_report(predictions.y_true, predictions.y_pred, predictions.classes, probs=predictions.probs,
                          config=config, subject=str(path), source={"predictions": str(path)})
    names = list(predictions.classes)
    codes = tuple(resolve_class(name, names, len(names), "critical") for name in critical)
    return with_critical(report, codes, predictions.y_true, predictions.y_pred, probs=predictions.probs)


def validation_summary(report: Report) -> dict:
    """The summary a model file keeps of its validation rows: n_samples, the headline scores and log_loss."""
    summary = {"n_samples": int(report.n_samples)}
    for name, estimate in report.headline.items():
        summary[name] = None if estimate is None else estimate.value
    return summary

