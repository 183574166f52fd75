"""Evaluate and predict with a saved model on tables larger than memory, one record batch at a time.

A Parquet or CSV file, or a folder of shards (`multiclass.data.stream.TableSource`), is read through the model's
own preprocessing (its `TablePreprocessor` and classes, as `workflow.load_for_model` reads a table), in file
order, a record batch at a time (cut into chunks of at most `_CHUNK_ENTRIES` probabilities when K is large), so
memory is bounded by a batch and the counts, whatever the file size:

- `evaluate_stream` adds each batch's decisions and probabilities to `metrics.EvaluationCounts` (and, for a
  model with a decision policy, to `report.decision.DecisionCounts`) and builds the report in-memory evaluation
  builds (`report.build_report_from_counts`): the same confusion matrix, scores, per-class table, bootstrap
  intervals of the confusion-based scores and calibration. Two things differ because the rows are gone: the
  log-loss and mean-cost intervals are the normal approximation of their stratified bootstrap (with its exact
  variance), and there are no confidently wrong images (tables have none anyway).
- `predict_stream` writes the predictions (CSV, or Parquet) batch by batch, in input order, with the columns and decisions of
  `workflow.predictions_frame`, into a temporary file renamed over the output at the end
  (`atomic.open_atomic`): an interrupted run leaves no half-written file.

Numbers agree with reading the table whole up to float32 rounding (relative ~1e-7): BLAS chooses its kernel by
the batch size, so the network's logits of a row can differ in their last bits between batch sizes.
"""

from __future__ import annotations

import numpy as np

from multiclass import metrics
from multiclass.atomic import open_atomic
from multiclass.data.labels import decode_labels
from multiclass.data.stream import DEFAULT_BATCH_ROWS, TableScan, TableSource, iter_encoded
from multiclass.data.table_io import columns_listing
from multiclass.decisions import DecisionPolicy, decide
from multiclass.exceptions import ConfigError, DataError
from multiclass.prediction_files import PredictionWriter, is_parquet
from multiclass.report import Report, ReportConfig
from multiclass.report.build import build_report_from_counts
from multiclass.report.decision import DecisionCounts, build_decision_from_counts
from multiclass.trained import TrainedModel
from multiclass.workflow import check_top_k, policy_probs, prediction_rows

__all__ = ["evaluate_stream", "predict_stream"]

# Rows x classes of probabilities handled at once: a record batch of 65,536 rows at K = 10,000 would be 5 GB of
# float64 probabilities, so each batch is cut into chunks of about this many entries (16 MiB per float64 array).
_CHUNK_ENTRIES = 1 << 21


def _chunks(n_rows: int, n_classes: int):
    """Row slices of a record batch, each at most `_CHUNK_ENTRIES` probabilities (at least one row)."""
    step = max(1, _CHUNK_ENTRIES // n_classes)
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _model_scan(trained: TrainedModel, source: TableSource, *, with_labels: bool) -> TableScan:
    """The `TableScan` that reads `source` the way `trained` read its training table (nothing is scanned)."""
    kind = trained.data_info.get("kind")
    if kind != "table" or getattr(trained.preprocessor, "kind", None) != "table":
        raise ConfigError(f"{source.path}: streaming reads Parquet or CSV tables; this model was trained on "
                          f"{kind or 'other'} data (leave out --stream).")
    options = trained.data_info.get("load_options", {})
    target, target_dtype = options.get("target"), trained.data_info.get("target_dtype", "str")
    needed = [spec["name"] for spec in trained.preprocessor.specs_]
    if with_labels:
        if target is None or target not in source.columns:
            where = f" (column {target!r})" if target else ""
            raise DataError(f"{source.path}: evaluation needs labels{where}; the data has none.")
        needed = [target, *needed]
    missing = [name for name in needed if name not in source.columns]
    if missing:
        raise DataError(f"{source.path}: missing column {missing[0]!r} needed by the model; the data has columns: "
                        f"{columns_listing(source.columns)}.")
    codes = {name: code for code, name in enumerate(trained.classes)}  # CSV labels are read as text
    if target_dtype == "int":  # Parquet integer labels come as numbers
        codes.update({int(name): code for code, name in enumerate(trained.classes)})
    k = len(trained.classes)
    return TableScan(preprocessor=trained.preprocessor, classes=tuple(trained.classes), target_dtype=target_dtype,
                     label_codes=codes, class_counts=np.zeros(k, np.int64), train_class_counts=np.zeros(k, np.int64),
                     piece_rows=(), piece_train_rows=(), target=target, id_column=options.get("id_column"),
                     val_fraction=0.0, seed=0)


def evaluate_stream(trained: TrainedModel, path, *, config: ReportConfig | None = None,
                    batch_rows: int = DEFAULT_BATCH_ROWS, subject=None, model_dir=None) -> Report:
    """The evaluation report of `trained` on a labelled table read batch by batch (see the module docstring).

    Parameters
    ----------
    trained : TrainedModel
        A model trained on a table (its target column names the labels).
    path : str or Path
        A Parquet/CSV file or a folder of shards.
    config : ReportConfig, optional
    batch_rows : int, default=65536
        Rows per Parquet record batch.
    subject, model_dir : optional
        What the report's title and provenance name.

    Raises
    ------
    ConfigError
        The model was not trained on a table.
    DataError
        A missing target or feature column, an unseen label, a bad value (named by file and row), no rows.
    """
    config = config or ReportConfig()
    source = TableSource(path, batch_rows=batch_rows)
    scan = _model_scan(trained, source, with_labels=True)
    k = len(trained.classes)
    policy = trained.decision or DecisionPolicy()
    counts = metrics.EvaluationCounts(k, n_bins=config.n_bins, sparse=k > metrics.DENSE_MAX_CLASSES)
    decision = None if trained.decision is None else DecisionCounts(policy, k, n_bins=config.n_bins)
    for X_batch, y_batch in iter_encoded(source, scan, range(len(source.pieces)), "all"):
        for rows in _chunks(len(y_batch), k):
            X, y = X_batch[rows], y_batch[rows]
            log_probs = trained.predict_log_proba(X, calibrated=False)  # (n, K)
            counts.update(y, decide(log_probs, policy), policy_probs(trained, log_probs))
            if decision is not None:
                decision.update(y, log_probs)
    if counts.n_samples == 0:
        raise DataError(f"{source.path}: the table has no rows to evaluate.")
    section = None
    if decision is not None:
        section = build_decision_from_counts(decision, classes=trained.classes, config=config)
    return build_report_from_counts(
        counts, trained.classes, config=config, history=trained.history, best_epoch=trained.best_epoch,
        stop_reason=trained.stop_reason, subject=str(path) if subject is None else str(subject), decision=section,
        source={"model": None if model_dir is None else str(model_dir), "data": str(path), "read": "streamed"})


def predict_stream(trained: TrainedModel, path, out, *, top_k: int = 1, batch_rows: int = DEFAULT_BATCH_ROWS) -> int:
    """Write the predictions of a table read batch by batch to `out` (atomically): a CSV, or Parquet for a
    ``.parquet`` / ``.pq`` path (`multiclass.prediction_files`). Returns the rows written.

    The file has the columns of `workflow.predictions_frame(...).to_csv(index=False)` for the same table: the id
    column (the model's ``id_column``, when the table has it), the decision, its probability, the top-k and one
    ``p_<class>`` column per class. The target column, when present, is not read.

    Raises
    ------
    ConfigError
        The model was not trained on a table, or `top_k` is out of [1, K].
    DataError
        A missing feature column or a bad value (named by file and row).
    OSError
        `out` cannot be written (nothing is left behind).
    """
    check_top_k(trained, top_k)
    source = TableSource(path, batch_rows=batch_rows)
    scan = _model_scan(trained, source, with_labels=False)
    specs = trained.preprocessor.specs_
    id_column = scan.id_column if scan.id_column in source.columns else None
    columns = ([id_column] if id_column else []) + [s["name"] for s in specs]
    numeric = [s["name"] for s in specs if s["type"] == "numeric"]

    def decode(codes):
        return decode_labels(codes, trained.classes, scan.target_dtype)

    with open_atomic(out) as handle:
        writer = PredictionWriter(handle, parquet=is_parquet(out))
        for piece in source.pieces:
            start = piece.first_row
            for frame in source.frames(piece, columns, numeric=numeric):
                try:
                    X_batch = trained.preprocessor.transform(frame)  # (n, F)
                except DataError as error:
                    raise DataError(f"{source.shards[piece.shard]} (a batch starting at row {start + 1}): {error}"
                                    ) from None
                ids = None if id_column is None else frame[id_column].to_numpy()
                for part in _chunks(len(frame), len(trained.classes)):
                    writer.write(prediction_rows(trained, trained.predict_log_proba(X_batch[part], calibrated=False),
                                                 decode, top_k=top_k, ids=None if ids is None else ids[part],
                                                 id_name=id_column or "id"))
                start += len(frame)
        if writer.rows == 0:  # an empty table: the header (CSV) or the schema (Parquet) alone
            empty = np.zeros((0, len(trained.classes)))
            writer.write(prediction_rows(trained, empty, decode, top_k=top_k,
                                         ids=None if id_column is None else np.array([]), id_name=id_column or "id"))
        writer.close()
        written = writer.rows
    return written

