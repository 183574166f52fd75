"""Dataset-level jobs the command-line tool runs: fit a `Dataset`, evaluate a model on one, predict a table.

These are library functions (the CLI only parses flags and prints), so everything the CLI does can be done
from Python too.
"""

from __future__ import annotations

import tempfile

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from multiclass import data, metrics
from multiclass.data.labels import errors_about
from multiclass.exceptions import ConfigError, DataError
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import CONFIG_FILE
from multiclass.report import Report, ReportConfig, build_report, read_predictions
from multiclass.report.build import summary_scores
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig, stratified_split, train

__all__ = [
    "Evaluation",
    "check_output_path",
    "evaluate",
    "evaluate_dataset",
    "fit_dataset",
    "load_for_model",
    "predictions_frame",
    "report_for_model",
    "report_for_predictions",
]


@dataclass(frozen=True)
class Evaluation:
    """Predictions of a model on labelled data and the numbers that describe them.

    Attributes
    ----------
    classes : tuple of str
    y_true, y_pred : ndarray of int64 codes, shape (n_samples,)
    probs : ndarray of shape (n_samples, K)
    confusion : ndarray of shape (K, K), rows = true class, columns = predicted
    report : multiclass.metrics.ClassificationReport
    summary : dict
        accuracy, balanced_accuracy, macro_f1, weighted_f1, log_loss, n_samples.
    """

    classes: tuple[str, ...]
    y_true: np.ndarray
    y_pred: np.ndarray
    probs: np.ndarray
    confusion: np.ndarray
    report: metrics.ClassificationReport
    summary: dict

    def to_dict(self) -> dict:
        """JSON-able: summary, classes, confusion matrix (rows = true), per-class report."""
        return {
            "summary": self.summary,
            "classes": list(self.classes),
            "confusion_matrix": self.confusion.tolist(),
            "per_class": self.report.to_dict(),
        }


def evaluate(probs: np.ndarray, y_true: np.ndarray, classes) -> Evaluation:
    """Score predicted probabilities (N, K) against integer codes `y_true` of the K `classes`."""
    classes = tuple(classes)
    codes = np.arange(len(classes))
    y_pred = probs.argmax(axis=1)
    confusion = metrics.confusion_matrix(y_true, y_pred, labels=codes)
    report = metrics.classification_report_from_confusion(confusion, target_names=list(classes), zero_division=0.0)
    # Averages over the classes that occur (in truth or prediction), as scikit-learn does without `labels`:
    # the same numbers as the evaluation report's headline.
    summary = {"n_samples": len(y_true), **summary_scores(confusion),
               "log_loss": metrics.log_loss(y_true, probs, labels=codes)}
    return Evaluation(classes, y_true, y_pred, probs, confusion, report, summary)


def _data_info(dataset) -> dict:
    return {
        "kind": dataset.kind,
        "source": str(dataset.source),
        "n_samples": int(dataset.n_samples),
        "feature_names": list(dataset.feature_names),
        "target_dtype": dataset.target_dtype,
        "image_shape": list(dataset.image_shape) if dataset.image_shape else None,
        "load_options": dataset.load_options,
    }


def fit_dataset(
    dataset, *, hidden=(25, 15), activation="relu", dropout=0.0, config: TrainConfig | None = None
) -> tuple[TrainedModel, Evaluation | None]:
    """Train a network on a labelled `Dataset`; return the trained model and its validation evaluation.

    The stratified validation split (``config.val_split``) is made here, so the same held-out rows feed early
    stopping and the validation report.
    """
    config = config or TrainConfig()
    if dataset.y is None:
        raise DataError(f"{dataset.source}: training needs labels; the data has no target.")
    if dataset.n_classes < 2:
        raise DataError(f"{dataset.source}: training needs at least 2 classes; got {dataset.n_classes}.")
    model = build_model(
        ModelConfig(dataset.n_features, dataset.n_classes, tuple(hidden), activation, dropout), seed=config.seed
    )
    X, y = dataset.X, dataset.y
    val = None
    if config.val_split > 0:
        with errors_about(str(dataset.source)):
            train_idx, val_idx = stratified_split(y, config.val_split, seed=config.seed, classes=dataset.classes)
        val = (X[val_idx], y[val_idx])
        X, y = X[train_idx], y[train_idx]
    result = train(model, X, y, config, X_val=val and val[0], y_val=val and val[1], classes=dataset.classes)
    trained = TrainedModel(
        model=model,
        classes=dataset.classes,
        preprocessor=dataset.preprocessor,
        train_config=config,
        history=result.history,
        best_epoch=result.best_epoch,
        stop_reason=result.stop_reason,
        data_info=_data_info(dataset),
    )
    evaluation = None
    if val is not None:
        evaluation = evaluate(trained.predict_proba(val[0]), val[1], dataset.classes)
        trained.validation = evaluation.summary
    return trained, evaluation


def check_output_path(path: str | Path, *, model_dir: bool = False, inputs=()) -> None:
    """Fail before any work, not after it, when `path` cannot be written.

    Raises
    ------
    DataError
        The parent folder is missing; a file output is an existing folder; a model directory output exists and
        is not a model directory (`multiclass.persistence.save_model` never replaces one).
    """
    path = Path(path)
    parent = path.resolve().parent
    for source in inputs:
        if Path(source).exists() and path.exists() and path.resolve() == Path(source).resolve():
            raise DataError(f"{path}: is also the input data; write the output to another file.")
    if not parent.is_dir():
        raise DataError(f"{path}: the directory {parent} does not exist.")
    if not model_dir and path.is_dir():
        raise DataError(f"{path}: is a folder; give a file name.")
    if model_dir and path.exists():
        is_model = path.is_dir() and (path / CONFIG_FILE).is_file()
        if not is_model and not (path.is_dir() and not any(path.iterdir())):
            raise DataError(f"{path}: exists and is not a model directory; it would not be replaced.")
    try:  # a read-only or full file system fails here, before minutes of training are lost
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as error:
        raise DataError(f"{path}: cannot write into {parent} ({error.strerror or error}).") from None


def load_for_model(trained: TrainedModel, path_or_name, *, kind: str | None = None, with_labels: bool = True,
                   **options) -> data.Dataset:
    """Read new data the way `trained` read its training data (same columns, preprocessing and label coding).

    Parameters
    ----------
    trained : TrainedModel
    path_or_name : str or Path
        A file, folder or built-in name.
    kind : str, optional
        Skip format detection.
    with_labels : bool, default=True
        False for prediction: a table's target column is then not read, so missing or never-seen labels in it
        are no error (only the features matter).
    **options
        Reader options given now (``labels``, ``data_dir``, ``split``); None values are ignored. They override
        the training ``load_options`` (``target``, ``id_column``, ``text_column``).
    """
    saved = dict(trained.data_info.get("load_options", {}))
    saved.update({k: v for k, v in options.items() if v is not None})
    return data.load_for_prediction(path_or_name, trained.preprocessor, kind=kind, classes=trained.classes,
                                    target_dtype=trained.data_info.get("target_dtype", "str"),
                                    with_labels=with_labels, **saved)


def evaluate_dataset(trained: TrainedModel, dataset) -> Evaluation:
    """Evaluate `trained` on a labelled dataset read through its preprocessor."""
    if dataset.y is None:
        target = trained.data_info.get("load_options", {}).get("target")
        where = f" (column {target!r})" if target else ""
        raise DataError(f"{dataset.source}: evaluation needs labels{where}; the data has none.")
    return evaluate(trained.predict_proba(dataset.X), dataset.y, trained.classes)


def predictions_frame(trained: TrainedModel, dataset, *, top_k: int = 1) -> pd.DataFrame:
    """One row per input row, in input order: the ids (if any), predicted class, its probability, the top-k
    classes when ``top_k > 1``, and one probability column per class (``p_<class>``).

    The ids column keeps the name of the input's id column (``id_column``), so predictions join back onto
    the input; it is ``path`` for image folders and ``id`` otherwise (or when that name is taken).
    """
    n_classes = len(trained.classes)
    if not isinstance(top_k, int) or not 1 <= top_k <= n_classes:
        raise ConfigError(f"`top_k` must be an integer in [1, {n_classes}]; got {top_k!r}.")
    probs = trained.predict_proba(dataset.X)  # (N, K)
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]  # (N, top_k)
    columns = {"predicted": dataset.decode(order[:, 0])}
    columns["probability"] = probs[np.arange(len(probs)), order[:, 0]]
    for rank in range(1, top_k):
        columns[f"top{rank + 1}"] = dataset.decode(order[:, rank])
        columns[f"top{rank + 1}_probability"] = probs[np.arange(len(probs)), order[:, rank]]
    for code, name in enumerate(trained.classes):
        columns[f"p_{name}"] = probs[:, code]
    if dataset.ids is not None:
        id_name = dataset.load_options.get("id_column") or ("path" if dataset.kind == "images" else "id")
        columns = {(id_name if id_name not in columns else "id"): dataset.ids, **columns}
    return pd.DataFrame(columns)


def report_for_model(trained: TrainedModel, dataset, *, config: ReportConfig | None = None, subject=None,
                     model_dir=None) -> Report:
    """The evaluation report of `trained` on a labelled dataset read through its preprocessor.

    Adds the learning curves of the training record and, for image data (``dataset.image_shape``), the most
    confidently wrong images.
    """
    evaluation = evaluate_dataset(trained, dataset)
    images = dataset.X if dataset.image_shape else None
    return build_report(evaluation.y_true, evaluation.y_pred, trained.classes, probs=evaluation.probs,
                        config=config, history=trained.history, best_epoch=trained.best_epoch,
                        stop_reason=trained.stop_reason, images=images, image_shape=dataset.image_shape,
                        subject=str(dataset.source) if subject is None else str(subject),
                        source={"model": None if model_dir is None else str(model_dir), "data": str(dataset.source)})


def report_for_predictions(path, *, config: ReportConfig | None = None) -> Report:
    """The evaluation report of any classifier's predictions file (see `multiclass.report.read_predictions`)."""
    predictions = read_predictions(path)
    return build_report(predictions.y_true, predictions.y_pred, predictions.classes, probs=predictions.probs,
                        config=config, subject=str(path), source={"predictions": str(path)})
