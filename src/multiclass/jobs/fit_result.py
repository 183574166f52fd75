"""What `fit` returns and keeps, shared by the in-memory and the streamed paths (`multiclass.jobs.fit`,
`multiclass.jobs.streamed`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from multiclass.models import ModelConfig, build_model
from multiclass.report import Report
from multiclass.trained import TrainedModel

__all__ = ["FitResult", "build_network", "data_info"]


@dataclass
class FitResult:
    """What `fit` returns.

    Attributes
    ----------
    trained : TrainedModel
    validation : Report or None
        The report of the validation rows (no intervals): what `render_report(..., details=False)` shows.
    written : Path or None
        The model directory written (None without `out`, and on every rank but rank 0).
    is_main : bool
        False on the ranks of a torchrun job other than rank 0, which print and write nothing.
    n_ranks : int
    """

    trained: TrainedModel
    validation: Report | None = None
    written: Path | None = None
    is_main: bool = True
    n_ranks: int = 1


def data_info(dataset) -> dict:
    """The JSON-able description of the training data that a model file keeps."""
    return {
        "kind": dataset.kind,
        "source": str(dataset.source),
        "n_samples": int(dataset.n_samples),
        "feature_names": list(dataset.feature_names),
        "target_dtype": dataset.target_dtype,
        "image_shape": list(dataset.image_shape) if dataset.image_shape else None,
        "load_options": dataset.load_options,
    }


def build_network(n_features: int, n_classes: int, hidden, activation: str, dropout: float, seed: int):
    """The network of that shape, initialised from `seed`."""
    return build_model(ModelConfig(n_features, n_classes, tuple(hidden), activation, dropout), seed=seed)
