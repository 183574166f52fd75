"""Dataset-level jobs the command-line tool runs: fit a `Dataset`, evaluate a model on one, predict a table.

These are library functions (the CLI only parses flags and prints), so everything the CLI does can be done
from Python too.
"""

from __future__ import annotations

import tempfile

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from multiclass import data, metrics
from multiclass.data.labels import errors_about
from multiclass.decisions import (
    DecisionConfig,
    DecisionPolicy,
    apply_temperature,
    cost_matrix_from,
    decide,
    fit_policy,
)
from multiclass.exceptions import ConfigError, DataError
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import CONFIG_FILE
from multiclass.metrics import compare_predictions
from multiclass.report import Report, ReportConfig, build_report, read_predictions
from multiclass.report.build import summary_scores
from multiclass.report.decision import build_decision
from multiclass.trained import TrainedModel
from multiclass.data.split import stratified_split
from multiclass.training import TrainConfig, train

__all__ = [
    "Evaluation",
    "check_output_path",
    "check_top_k",
    "compare_models",
    "evaluate",
    "evaluate_dataset",
    "evaluation_from_counts",
    "fit_dataset",
    "load_for_model",
    "policy_probs",
    "prediction_rows",
    "predictions_frame",
    "report_for_model",
    "report_for_predictions",
    "with_cost_matrix",
]


@dataclass(frozen=True)
class Evaluation:
    """Predictions of a model on labelled data and the numbers that describe them.

    Attributes
    ----------
    classes : tuple of str
    y_true, y_pred : ndarray of int64 codes, shape (n_samples,), or None
        None when the rows were streamed past (`multiclass.streamed`): only `counts` remain.
    probs : ndarray of shape (n_samples, K), or None
    confusion : ndarray of shape (K, K), rows = true class, columns = predicted; or a `metrics.SparseConfusion`
        above `metrics.DENSE_MAX_CLASSES` classes
    report : multiclass.metrics.ClassificationReport
    summary : dict
        accuracy, balanced_accuracy, macro_f1, weighted_f1, log_loss, n_samples.
    decision : multiclass.report.model.Decision or None
        What the model's decision policy changes on these rows (`fit_dataset` sets it on the validation rows).
    counts : multiclass.metrics.EvaluationCounts
        The sums every score is computed from (what a report of these rows needs).
    """

    classes: tuple[str, ...]
    y_true: np.ndarray | None
    y_pred: np.ndarray | None
    probs: np.ndarray | None
    confusion: Any
    report: metrics.ClassificationReport
    summary: dict
    decision: Any = None
    counts: metrics.EvaluationCounts | None = None

    def to_dict(self) -> dict:
        """JSON-able: summary, classes, confusion matrix (rows = true; COO cells when sparse), per-class report."""
        sparse = isinstance(self.confusion, metrics.SparseConfusion)
        return {
            "summary": self.summary,
            "classes": list(self.classes),
            "confusion_matrix": self.confusion.to_dict() if sparse else self.confusion.tolist(),
            "per_class": self.report.to_dict(),
        }


def evaluate(probs: np.ndarray, y_true: np.ndarray, classes, *, y_pred: np.ndarray | None = None) -> Evaluation:
    """Score predicted probabilities (N, K) against integer codes `y_true` of the K `classes`; the decisions
    are `y_pred` when given (a decision policy's), else the argmax of `probs`."""
    classes = tuple(classes)
    y_pred = probs.argmax(axis=1) if y_pred is None else np.asarray(y_pred)
    counts = metrics.EvaluationCounts(len(classes))
    counts.update(y_true, y_pred, probs)
    return evaluation_from_counts(counts, classes, y_true=y_true, y_pred=y_pred, probs=probs)


def evaluation_from_counts(counts: metrics.EvaluationCounts, classes, *, y_true=None, y_pred=None, probs=None,
                           decision=None) -> Evaluation:
    """The `Evaluation` of counts added up batch by batch (the arrays, when the rows are still at hand)."""
    classes = tuple(classes)
    confusion = counts.confusion  # dense (K, K), or sparse above metrics.DENSE_MAX_CLASSES classes
    report = metrics.classification_report_from_confusion(confusion, target_names=list(classes), zero_division=0.0)
    # Averages over the classes that occur (in truth or prediction), as scikit-learn does without `labels`:
    # the same numbers as the evaluation report's headline.
    summary = {"n_samples": counts.n_samples, **summary_scores(confusion),
               "log_loss": counts.log_loss() if counts.has_probs else None}
    return Evaluation(classes, y_true, y_pred, probs, confusion, report, summary, decision, counts)


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
    dataset, *, hidden=(25, 15), activation="relu", dropout=0.0, config: TrainConfig | None = None,
    decision: DecisionConfig | None = None, checkpoint=None, resume: bool = False,
) -> tuple[TrainedModel, Evaluation | None]:
    """Train a network on a labelled `Dataset`; return the trained model and its validation evaluation.

    The stratified validation split (``config.val_split``) is made here, so the same held-out rows feed early
    stopping, the decision policy (`decision`: temperature, recall offsets; fitted after training) and the
    validation report.
    """
    config = config or TrainConfig()
    decision = decision or DecisionConfig()
    if decision.needs_validation and config.val_split == 0:
        raise ConfigError("`calibrate` and `target_recall` are fitted on validation rows; set `val_split` > 0.")
    decision = decision.resolve(dataset.classes)  # a bad class name or cost file fails before training
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
    result = train(model, X, y, config, X_val=val and val[0], y_val=val and val[1], classes=dataset.classes,
                   checkpoint=checkpoint, resume=resume)
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
    log_probs = None if val is None else trained.predict_log_proba(val[0], calibrated=False)  # (N_val, K)
    if not decision.is_default:
        trained.decision = fit_policy(log_probs, None if val is None else val[1], decision, dataset.classes)
    evaluation = None
    if val is not None:
        evaluation = _evaluate_log_probs(trained, log_probs, val[1], tuned_here=True)
        trained.validation = evaluation.summary
    return trained, evaluation


def _evaluate_log_probs(trained: TrainedModel, log_probs, y_true, *, tuned_here: bool = False,
                        config: ReportConfig | None = None) -> Evaluation:
    """The evaluation of the model's uncalibrated `log_probs` under its decision policy (and its section)."""
    policy = trained.decision or DecisionPolicy()
    evaluation = evaluate(policy_probs(trained, log_probs), y_true, trained.classes, y_pred=decide(log_probs, policy))
    if trained.decision is None:
        return evaluation
    section = build_decision(y_true, log_probs, policy, classes=trained.classes, config=config,
                             tuned_here=tuned_here)
    return replace(evaluation, decision=section)


def with_cost_matrix(trained: TrainedModel, cost_matrix) -> TrainedModel:
    """A copy of `trained` deciding by minimum expected cost (a file, mapping or array; see
    `multiclass.decisions.cost_matrix_from`); its temperature is kept, recall offsets are replaced."""
    temperature = trained.decision.temperature if trained.decision else 1.0
    policy = DecisionPolicy(temperature=temperature, cost_matrix=cost_matrix_from(cost_matrix, trained.classes))
    return replace(trained, decision=policy)


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


def evaluate_dataset(trained: TrainedModel, dataset, *, config: ReportConfig | None = None) -> Evaluation:
    """Evaluate `trained` on a labelled dataset read through its preprocessor, under its decision policy
    (`config`: the intervals of the decision section)."""
    if dataset.y is None:
        target = trained.data_info.get("load_options", {}).get("target")
        where = f" (column {target!r})" if target else ""
        raise DataError(f"{dataset.source}: evaluation needs labels{where}; the data has none.")
    return _evaluate_log_probs(trained, trained.predict_log_proba(dataset.X, calibrated=False), dataset.y,
                               config=config)


def predictions_frame(trained: TrainedModel, dataset, *, top_k: int = 1) -> pd.DataFrame:
    """One row per input row, in input order: the ids (if any), predicted class, its probability, the top-k
    classes when ``top_k > 1``, and one probability column per class (``p_<class>``).

    The ids column keeps the name of the input's id column (``id_column``), so predictions join back onto
    the input; it is ``path`` for image folders and ``id`` otherwise (or when that name is taken).

    The predicted class is the decision policy's (a cost matrix or recall offsets may pick a class that is not
    the most probable; ``top2``... rank the classes by probability); probabilities are calibrated ones.
    """
    check_top_k(trained, top_k)
    id_name = dataset.load_options.get("id_column") or ("path" if dataset.kind == "images" else "id")
    return prediction_rows(trained, trained.predict_log_proba(dataset.X, calibrated=False), dataset.decode,
                           top_k=top_k, ids=dataset.ids, id_name=id_name)


def check_top_k(trained: TrainedModel, top_k) -> None:
    """`top_k` must be an integer in [1, K] (checked before any data is read)."""
    n_classes = len(trained.classes)
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= n_classes:
        raise ConfigError(f"`top_k` must be an integer in [1, {n_classes}]; got {top_k!r}.")


def policy_probs(trained: TrainedModel, log_probs: np.ndarray) -> np.ndarray:
    """(N, K) probabilities under the model's decision policy: its temperature applied, if any."""
    policy = trained.decision or DecisionPolicy()
    return np.exp(log_probs if policy.temperature == 1.0 else apply_temperature(log_probs, policy.temperature))


def prediction_rows(trained: TrainedModel, log_probs: np.ndarray, decode, *, top_k: int = 1, ids=None,
                    id_name: str = "id") -> pd.DataFrame:
    """The rows of `predictions_frame` from uncalibrated `log_probs` (N, K); `decode` maps class codes to labels.
    Used batch by batch for tables larger than memory (`multiclass.streamed.predict_stream`)."""
    probs = policy_probs(trained, log_probs)  # (N, K)
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top_k]  # (N, top_k)
    chosen = decide(log_probs, trained.decision or DecisionPolicy()) if len(probs) else order[:, 0]  # (N,)
    columns = {"predicted": decode(chosen)}
    columns["probability"] = probs[np.arange(len(probs)), chosen]
    for rank in range(1, top_k):
        columns[f"top{rank + 1}"] = decode(order[:, rank])
        columns[f"top{rank + 1}_probability"] = probs[np.arange(len(probs)), order[:, rank]]
    for code, name in enumerate(trained.classes):
        columns[f"p_{name}"] = probs[:, code]
    if ids is not None:
        columns = {(id_name if id_name not in columns else "id"): ids, **columns}
    return pd.DataFrame(columns)


def report_for_model(trained: TrainedModel, dataset, *, config: ReportConfig | None = None, subject=None,
                     model_dir=None) -> Report:
    """The evaluation report of `trained` on a labelled dataset read through its preprocessor.

    Adds the learning curves of the training record and, for image data (``dataset.image_shape``), the most
    confidently wrong images.
    """
    evaluation = evaluate_dataset(trained, dataset, config=config)
    images = dataset.X if dataset.image_shape else None
    return build_report(evaluation.y_true, evaluation.y_pred, trained.classes, probs=evaluation.probs,
                        decision=evaluation.decision,
                        config=config, history=trained.history, best_epoch=trained.best_epoch,
                        stop_reason=trained.stop_reason, images=images, image_shape=dataset.image_shape,
                        subject=str(dataset.source) if subject is None else str(subject),
                        source={"model": None if model_dir is None else str(model_dir), "data": str(dataset.source)})


def report_for_predictions(path, *, config: ReportConfig | None = None) -> Report:
    """The evaluation report of any classifier's predictions file (see `multiclass.report.read_predictions`)."""
    predictions = read_predictions(path)
    return build_report(predictions.y_true, predictions.y_pred, predictions.classes, probs=predictions.probs,
                        config=config, subject=str(path), source={"predictions": str(path)})


def compare_models(trained_a: TrainedModel, trained_b: TrainedModel, path_or_name, *, n_resamples: int = 1000,
                   seed: int = 0, confidence: float = 0.95, **options):
    """Compare the decisions of two models on the same labelled data: a paired bootstrap of the accuracy and
    macro-F1 differences (B - A) and McNemar's test (`multiclass.metrics.compare_predictions`).

    Each model reads the data through its own preprocessing (`load_for_model`; `options` as there), under its
    own decision policy; both must know the same classes, and the labels they read must agree row by row.

    Raises
    ------
    DataError
        The models' classes differ, the data has no labels, or the two models read different labels.
    """
    if set(trained_a.classes) != set(trained_b.classes):
        raise DataError(f"the models must know the same classes to be compared; got {list(trained_a.classes)[:10]} "
                        f"and {list(trained_b.classes)[:10]}.")
    datasets = [load_for_model(trained, path_or_name, **options) for trained in (trained_a, trained_b)]
    for dataset in datasets:
        if dataset.y is None:
            raise DataError(f"{dataset.source}: comparing models needs labels; the data has none.")
    to_a = np.array([trained_a.classes.index(name) for name in trained_b.classes])  # B's codes -> A's codes
    y_a, y_b = datasets[0].y, to_a[datasets[1].y]
    if len(y_a) != len(y_b) or not np.array_equal(y_a, y_b):
        raise DataError(f"{datasets[0].source}: the two models read different labels from the data; compare them "
                        "on data both read the same way.")
    pred_a = trained_a.predict_codes(datasets[0].X)
    pred_b = to_a[trained_b.predict_codes(datasets[1].X)]
    return compare_predictions(y_a, pred_a, pred_b, n_resamples=n_resamples, seed=seed, confidence=confidence)
