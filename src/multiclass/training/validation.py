"""One epoch's validation: class totals and loss sums on held-out rows, then the scores early stopping watches.

Whatever holds the rows -- device-resident arrays (`ResidentValidation`), a CSR matrix of TF-IDF rows
(`SparseValidation`) or batches streamed from a table and spread over ranks (`StreamedValidation`) -- a validation
pass produces the same vector of sums, and `validation_scores` turns it into the epoch's record with the one
definition of the scores (`multiclass.metrics.headline_scores`); the sweep's M stacked models go through the same
function.

The totals vector, float64, ``(3K + 4,)``: ``[tp (K), pred_sum (K), true_sum (K), loss_sum, weight_sum,
nll_sum, cost_sum]``. ``loss_sum / weight_sum`` is the validation loss weighted by the class weights exactly as the
training loss is (so early stopping on val_loss optimises the objective the user asked for); ``nll_sum`` is the
plain log-loss sum (the report's log-loss); ``cost_sum`` the summed cost of the minimum-expected-cost decisions
under a ``val_cost`` monitor's matrix (`multiclass.training.monitor`; 0 without one) -- a sum, so it adds up over
chunks and ranks like the other totals.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from multiclass.classes import Watched
from multiclass.distributed import Comm
from multiclass.exceptions import DataError
from multiclass.metrics.totals import headline_scores
from multiclass.models import MLP, chunk_rows, sparse_logits
from multiclass.training.monitor import Priced, decision_costs

__all__ = ["EVAL_CHUNK", "ResidentValidation", "SparseValidation", "StreamedValidation", "monitored_value",
           "scores_of_totals", "summary_from_totals", "tiebreak_of", "validation_scores", "watched_score"]

# Rows per forward pass when scoring validation rows (fewer for a wide network: `models.chunk_rows`): large enough
# to amortise per-call overhead, small enough that (rows x widest layer) activations stay in the tens of MB.
EVAL_CHUNK = 8192


def validation_scores(tp, pred_sum, true_sum, loss_sum, weight_sum, recall_of: Watched | Priced | int | None = None,
                      cost_sum=None) -> dict:
    """The record of a validation pass: val_loss, val_accuracy, val_macro_f1 (and val_recall, the score of the
    watched classes `recall_of`: `multiclass.classes.Watched`; an int is one class's recall; or, when `recall_of`
    is `multiclass.training.monitor.Priced`, val_cost: `cost_sum` over the rows), as floats for one model or as
    arrays over leading axes (the sweep's (M, K) totals)."""
    if np.any(np.sum(true_sum, axis=-1) == 0):
        raise DataError("the validation rows are empty; give more data, a larger val_split or validation data.")
    scores = headline_scores(tp, pred_sum, true_sum)
    record = {"val_loss": np.asarray(loss_sum, np.float64) / np.asarray(weight_sum, np.float64),
              "val_accuracy": scores["accuracy"], "val_macro_f1": scores["macro_f1"]}
    if isinstance(recall_of, Priced):
        record["val_cost"] = np.asarray(cost_sum, np.float64) / np.sum(true_sum, axis=-1)
    elif recall_of is not None:
        record["val_recall"] = watched_score(scores, recall_of)
    if np.ndim(record["val_loss"]) == 0:
        record = {name: float(value) for name, value in record.items()}
    return record


def watched_score(scores: dict, watched: Watched | int) -> np.ndarray:
    """The score of the watched classes (defined in `multiclass.classes.Watched`) from `headline_scores`'
    per-class ``precision``, ``recall`` and ``f1`` (..., K); shape (...)."""
    if not isinstance(watched, Watched):
        watched = Watched((int(watched),))
    codes = list(watched.codes)
    recall = scores["recall"][..., codes].mean(axis=-1)
    if watched.floor is None:
        return recall
    above = np.all(scores["precision"][..., codes] >= watched.floor, axis=-1)
    return np.where(above, recall, scores["f1"][..., codes].mean(axis=-1) - 1.0)


def tiebreak_of(record: dict, recall_of: Watched | Priced | int | None) -> float | None:
    """What ranks epochs of equal score for early stopping (`EarlyStopping.step`): the validation loss of `record`
    for a ``val_critical`` or ``val_cost`` monitor, whose score of a few rows' decisions stays equal for many
    epochs (at -1 while a rare class is never decided, where the first epoch would otherwise be kept); None for
    other monitors."""
    counted = isinstance(recall_of, Priced) or (isinstance(recall_of, Watched) and recall_of.floor is not None)
    return record["val_loss"] if counted else None


def monitored_value(record: dict, monitor: str) -> float:
    """The monitored score of a validation `record` (`validation_scores`), taken out of it when it is the
    watched classes' ``val_recall`` (the history keeps it as ``val_score``)."""
    return record.pop("val_recall") if "val_recall" in record else record[monitor]


def _split_totals(totals: np.ndarray, n_classes: int):
    k = n_classes
    tp, pred_sum, true_sum = (totals[i * k:(i + 1) * k].astype(np.int64) for i in range(3))
    return tp, pred_sum, true_sum, totals[3 * k], totals[3 * k + 1], totals[3 * k + 2], totals[3 * k + 3]


def scores_of_totals(totals: np.ndarray, n_classes: int, recall_of: Watched | Priced | None) -> dict:
    """`validation_scores` of a totals vector (see the module docstring)."""
    tp, pred_sum, true_sum, loss_sum, weight_sum, _, cost_sum = _split_totals(totals, n_classes)
    return validation_scores(tp, pred_sum, true_sum, loss_sum, weight_sum, recall_of, cost_sum)


def summary_from_totals(totals: np.ndarray, n_classes: int) -> dict:
    """The evaluation summary of the validation rows (n_samples, the headline scores and log_loss)."""
    tp, pred_sum, true_sum, _, _, nll_sum, _ = _split_totals(totals, n_classes)
    n = int(true_sum.sum())
    scores = headline_scores(tp, pred_sum, true_sum)
    return {"n_samples": n, **{name: float(scores[name]) for name in ("accuracy", "balanced_accuracy", "macro_f1",
                                                                       "weighted_f1")},
            "log_loss": float(nll_sum / n)}


@torch.no_grad()
def _add_chunk(totals: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor, labels: torch.Tensor,
               class_weight: torch.Tensor | None, k: int, costs: torch.Tensor | None = None) -> None:
    """Add one chunk's class totals and loss sums (and decision costs under `costs` (K, K)) to `totals`
    (3K + 4,) in place."""
    pred = logits.argmax(dim=1)
    totals[:k] += torch.bincount(labels[pred == labels], minlength=k)
    totals[k:2 * k] += torch.bincount(pred, minlength=k)
    totals[2 * k:3 * k] += torch.bincount(labels, minlength=k)
    totals[3 * k] += F.cross_entropy(logits, targets, weight=class_weight, reduction="sum").double()
    soft = targets.dim() == 2  # soft targets average over rows whatever the class weights (torch's rule)
    totals[3 * k + 1] += len(labels) if class_weight is None or soft else class_weight[labels].double().sum()
    totals[3 * k + 2] += F.cross_entropy(logits.double(), labels, reduction="sum")
    if costs is not None:
        totals[3 * k + 3] += decision_costs(logits, labels, costs).sum()


class ResidentValidation:
    """Validation rows held on the training device.

    Parameters
    ----------
    X : tensor of shape (n, F)
    targets : tensor of shape (n,) int64 codes, or (n, K) one-hot / soft rows
    """

    def __init__(self, X: torch.Tensor, targets: torch.Tensor):
        self.X, self.targets = X, targets
        self.labels = targets if targets.dim() == 1 else targets.argmax(dim=1)

    def logits(self, model: MLP, rows: slice) -> torch.Tensor:
        return model(self.X[rows])

    @torch.no_grad()
    def totals(self, model: MLP, class_weight: torch.Tensor | None, costs: torch.Tensor | None = None) -> np.ndarray:
        """The totals vector of `model` on these rows (see the module docstring); `costs`: a ``val_cost``
        monitor's (K, K) float64 matrix on the device."""
        toggle = model.training and model.config.dropout > 0  # eval mode changes nothing else in an MLP
        if toggle:
            model.eval()
        k = model.config.n_classes
        totals = torch.zeros(3 * k + 4, dtype=torch.float64, device=self.targets.device)
        step = chunk_rows(model, most=EVAL_CHUNK)
        for start in range(0, self.X.shape[0], step):
            rows = slice(start, start + step)
            _add_chunk(totals, self.logits(model, rows), self.targets[rows], self.labels[rows], class_weight, k, costs)
        if toggle:
            model.train()
        return totals.cpu().numpy()


class SparseValidation(ResidentValidation):
    """Validation rows held as a CSR matrix (TF-IDF text) in memory, their class codes on the device: each chunk's
    logits by `models.sparse_logits` (the first layer as a sparse product, never densified).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (n, F), float32
    y : ndarray of shape (n,), int64 class codes
    device : torch.device
    """

    def __init__(self, X, y: np.ndarray, device: torch.device):
        super().__init__(X, torch.from_numpy(y).to(device))

    def logits(self, model: MLP, rows: slice) -> torch.Tensor:
        return sparse_logits(model, self.X[rows])


class StreamedValidation:
    """Validation rows read batch by batch (a table larger than memory), each rank its own pieces.

    Parameters
    ----------
    batches : callable
        ``batches()`` returns a fresh iterable of ``(X (b, F) float32, y (b,) int64)`` numpy batches of this rank's
        validation rows (one pass per call).
    comm : Comm
        The totals are summed over the ranks and rank 0's are broadcast, so every rank decides from the very same
        numbers.
    """

    def __init__(self, batches, comm: Comm):
        self.batches, self.comm = batches, comm

    @torch.no_grad()
    def totals(self, model: MLP, class_weight: torch.Tensor | None, costs: torch.Tensor | None = None) -> np.ndarray:
        """The totals vector of `model` on the validation rows of every rank (see the module docstring); the
        decision costs of a ``val_cost`` monitor are a sum like the rest, so they add up over the ranks too."""
        model.eval()
        k, device = model.config.n_classes, self.comm.device
        totals = torch.zeros(3 * k + 4, dtype=torch.float64, device=device)
        step = chunk_rows(model, most=EVAL_CHUNK)
        for X, y in self.batches():
            for start in range(0, len(y), step):
                xb = torch.from_numpy(X[start:start + step]).to(device)
                yb = torch.from_numpy(y[start:start + step]).to(device)
                _add_chunk(totals, model(xb), yb, yb, class_weight, k, costs)
        model.train()
        return self.comm.broadcast_(self.comm.all_reduce_sum(totals)).cpu().numpy()
