"""The streamed path of `fit`: a table read batch by batch (a file larger than memory, a folder of shards), on one
process or on every rank under torchrun. The model file it makes is the one in-memory training makes (same
preprocessor state and classes), so `predict` and `evaluate` read new data the same way.
"""

from __future__ import annotations

import multiclass.metrics as metrics
from multiclass.data.stream import StreamConfig, TableSource, scan_table
from multiclass.data.summary import summarize_scan
from multiclass.data.table_format import FORMAT_OPTIONS, format_load_options, given_formats
from multiclass.devices import resolve_device
from multiclass.distributed import Comm, init_distributed, shutdown
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs.fit_result import FitResult, build_network
from multiclass.jobs.evaluate import validation_summary
from multiclass.report import Report, ReportConfig
from multiclass.report.build import build_report_from_counts
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig, train_stream
from multiclass.training.streaming import validation_batches

__all__ = ["STREAM_HIDDEN", "fit_stream", "fit_streamed"]

# The network of a streamed table when none is given: the rows are too many to search on, and plenty to train
# two layers of a few hundred units (the auto recipe's choice on the large tables of bench/quality.py).
STREAM_HIDDEN = (256, 128)
# What a streamed table can be read with.
STREAM_READ_OPTIONS = ("kind", "target", "id_column", "ignore", "categorical", *FORMAT_OPTIONS)


def fit_streamed(source, config, stream_config, val_data, checkpoint, resume, network, read_options,
                 announce) -> FitResult:
    """`fit_stream` as `multiclass.jobs.fit.fit` runs it: the reader options checked, the process group (torchrun)
    set up and torn down around it."""
    given = sorted(name for name in set(read_options) - set(STREAM_READ_OPTIONS) if read_options[name])
    if given:
        raise ConfigError(f"`{given[0]}` does not apply to a streamed table; streaming reads Parquet or CSV tables "
                          f"(options: {', '.join(STREAM_READ_OPTIONS[1:])}).")
    formats = given_formats(read_options)
    comm = init_distributed(config.device)
    try:
        result = fit_stream(source, target=read_options.get("target"), id_column=read_options.get("id_column"),
                            ignore=read_options.get("ignore") or (), categorical=read_options.get("categorical") or (),
                            **formats, **network, config=config, stream=stream_config, val_data=val_data, comm=comm,
                            checkpoint=checkpoint, resume=resume, announce=announce)
        comm.barrier()  # no rank leaves (and tears the group down) before every rank has finished training
        return result
    finally:
        shutdown(comm)


def fit_stream(path, *, target: str | None, id_column: str | None = None, ignore=(), categorical=(),
               max_categories: int = 1000, hidden=STREAM_HIDDEN, activation: str = "relu", dropout: float = 0.0,
               config: TrainConfig | None = None, stream: StreamConfig | None = None, val_data=None,
               comm: Comm | None = None, checkpoint=None, resume: bool = False, announce=None, sep=None,
               header=None, names=None) -> FitResult:
    """Scan a table (file or folder of shards), build the network, train it streaming.

    The model file it makes is the one in-memory training makes (same preprocessor state and classes), so
    `predict` and `evaluate` read new data the same way. ``trained.validation`` holds the validation summary of
    the restored weights, summed over the ranks.

    Parameters
    ----------
    path : str or Path
        A Parquet or CSV file, or a folder of shards.
    target, id_column, ignore, categorical, max_categories
        As in `multiclass.data.load_table`.
    hidden, activation, dropout
        The network (`multiclass.models.ModelConfig`).
    config : TrainConfig, optional
    stream : StreamConfig, optional
    val_data : str or Path, optional
        Validation data; otherwise ``config.val_split`` of each class is held out, stratified with the counts of
        in-memory training (`multiclass.data.stream.split`).
    comm : Comm, optional
        From `multiclass.distributed.init_distributed` under torchrun; each rank then reads its own pieces.
    checkpoint, resume
        As in `multiclass.training.train_stream`.
    announce : callable, optional
        As in `fit`.
    sep, header, names : optional
        How the CSV files are written, as in `multiclass.data.load_table` (the validation data's too); kept in the
        model's load options for `evaluate` and `predict`.
    """
    config = config or TrainConfig()
    stream = stream or StreamConfig()
    formats = given_formats({"sep": sep, "header": header, "names": names})
    comm = comm or Comm(device=resolve_device(config.device))
    source = TableSource(path, batch_rows=stream.batch_rows, label_column=target, **formats)
    val_source = (TableSource(val_data, batch_rows=stream.batch_rows, label_column=target, **formats)
                  if val_data is not None else None)
    scan = scan_table(source, target=target, id_column=id_column, ignore=ignore, categorical=categorical,
                      max_categories=max_categories, val_fraction=0.0 if val_source else config.val_split,
                      seed=config.seed, rank=comm.rank, world_size=comm.world_size, gather=comm.all_gather_object)
    if scan.n_classes < 2:
        raise DataError(f"{path}: training needs at least 2 classes; got {scan.n_classes}.")
    if announce is not None and comm.is_main:
        announce({"rows": scan.n_rows, "features": scan.n_features, "classes": scan.n_classes, "read": "streamed",
                  "ranks": comm.world_size, "summary": summarize_scan(path, scan)})
    model = build_network(scan.n_features, scan.n_classes, hidden, activation, dropout, config.seed)
    result = train_stream(model, source, scan, config, stream, val_source=val_source, comm=comm,
                          checkpoint=checkpoint, resume=resume)
    options = {k: v for k, v in (("target", target), ("id_column", id_column)) if v is not None}
    options.update(format_load_options(formats))
    info = {"kind": "table", "source": str(path), "n_samples": scan.n_rows,
            "feature_names": list(scan.preprocessor.feature_names_), "target_dtype": scan.target_dtype,
            "image_shape": None, "load_options": options,
            "stream": {**stream.to_dict(), "world_size": comm.world_size,
                       "val_data": None if val_data is None else str(val_data)}}
    trained = TrainedModel(model=model, classes=scan.classes, preprocessor=scan.preprocessor, train_config=config,
                           history=result.history, best_epoch=result.best_epoch, stop_reason=result.stop_reason,
                           data_info=info)
    validation = None
    if val_source is not None or scan.val_fraction > 0:
        validation = _streamed_validation(trained, validation_batches(source, scan, val_source, comm), comm)
        trained.validation = validation_summary(validation)
    trained.model = model.cpu()
    return FitResult(trained, validation, is_main=comm.is_main, n_ranks=comm.world_size)


def _streamed_validation(trained: TrainedModel, batches, comm: Comm) -> Report:
    """The validation report of the restored weights from this rank's batches, the counts merged over ranks."""
    trained.model.cpu()
    counts = metrics.EvaluationCounts(len(trained.classes), sparse=len(trained.classes) > metrics.DENSE_MAX_CLASSES)
    for X, y in batches:
        _, probs, decided = trained.outputs(X)
        counts.update(y, decided, probs)
    merged = comm.all_gather_object(counts)
    for other in merged[1:]:
        merged[0].merge(other)
    return build_report_from_counts(merged[0], trained.classes, config=ReportConfig(bootstrap=0),
                                    subject="validation")
