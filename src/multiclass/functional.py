"""Pure math on logits: softmax, log_softmax, cross-entropy (sparse, one-hot, soft) and the L2 penalty.

Everything here works on the logits a model returns and never takes ``log`` of a softmax output: the loss is
``-log_softmax(logits)[true class]``, computed with the log-sum-exp shift, so it equals ``-log p(true class)``
exactly and cannot overflow for any finite logits.

Half-precision inputs (float16, bfloat16) are computed and returned in float32: a probability row stored in
float16 can only sum to 1 within ~1e-3 (its epsilon), which is too coarse for calibrated probabilities.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import torch

from multiclass.exceptions import ConfigError, DataError, LikelyLogitsWarning

__all__ = ["softmax", "log_softmax", "cross_entropy", "l2_penalty"]

_REDUCTIONS = ("mean", "sum", "none")
# A row of probabilities must sum to 1; rows further off than this are taken for logits in from_logits=False.
_PROB_ROW_SUM_TOL = 1e-3


def _as_float_tensor(x, name: str) -> torch.Tensor:
    """Return `x` as a floating tensor, upcasting float16/bfloat16 to float32 (see the module docstring)."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(x)
    if not x.is_floating_point():
        raise TypeError(f"`{name}` must be a floating-point tensor; got dtype {x.dtype}.")
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    return x


def softmax(logits, dim: int = -1) -> torch.Tensor:
    """Probabilities from logits: ``exp(z - max z) / sum exp(z - max z)`` along `dim`.

    Parameters
    ----------
    logits : tensor or array-like of shape (..., K)
        Unnormalised scores. float16/bfloat16 are computed in float32.
    dim : int, default=-1
        The class dimension.

    Returns
    -------
    probs : tensor of the same shape, non-negative, each row summing to 1.

    Examples
    --------
    >>> softmax(torch.tensor([[0.0, 0.0], [1e4, -1e4]]))
    tensor([[0.5000, 0.5000],
            [1.0000, 0.0000]])
    """
    return torch.softmax(_as_float_tensor(logits, "logits"), dim=dim)


def log_softmax(logits, dim: int = -1) -> torch.Tensor:
    """Log-probabilities from logits, ``z - logsumexp(z)``, finite for every finite input.

    Examples
    --------
    >>> log_softmax(torch.tensor([[0.0, 0.0]]))
    tensor([[-0.6931, -0.6931]])
    """
    return torch.log_softmax(_as_float_tensor(logits, "logits"), dim=dim)


def _log_probs_from_probs(probs: torch.Tensor) -> torch.Tensor:
    """``log(clip(p))`` for rows given as probabilities, warning if they look like logits instead."""
    row_sums = probs.sum(dim=-1)
    if bool((probs < 0).any()) or bool(((row_sums - 1).abs() > _PROB_ROW_SUM_TOL).any()):
        warnings.warn(
            "`from_logits=False` but the rows of the input are not probabilities (negative entries or rows "
            "not summing to 1): this looks like logits. Pass the model's raw outputs with from_logits=True "
            "instead of applying softmax yourself.",
            LikelyLogitsWarning,
            stacklevel=3,
        )
    # Clip at the dtype's epsilon (Keras clips at 1e-7) so log(0) never appears; the upper clip keeps
    # p <= 1 for rows that came out of a softmax with rounding error.
    eps = torch.finfo(probs.dtype).eps
    return probs.clamp(eps, 1.0).log()


def _check_target(target: torch.Tensor, n_rows: int, n_classes: int) -> bool:
    """Validate `target`; return True for integer labels (sparse CE), False for rows of class weights."""
    if target.shape[0] != n_rows:
        raise DataError(f"`target` must have one entry per row of `logits` ({n_rows}); got {target.shape[0]}.")
    if target.dim() == 1:
        if target.is_floating_point() or target.dtype == torch.bool:
            raise TypeError(f"`target` given as labels must be an integer tensor; got dtype {target.dtype}.")
        if target.numel() and (int(target.min()) < 0 or int(target.max()) >= n_classes):
            raise DataError(
                f"`target` labels must be in [0, {n_classes - 1}]; got values in "
                f"[{int(target.min())}, {int(target.max())}]."
            )
        return True
    if target.dim() == 2:
        if target.shape[1] != n_classes:
            raise DataError(f"`target` rows must have {n_classes} entries (one per class); got {target.shape[1]}.")
        return False
    raise DataError(f"`target` must be 1-D labels or 2-D (N, K) rows; got shape {tuple(target.shape)}.")


def _reduce(losses: torch.Tensor, reduction: str, denominator: torch.Tensor | None = None) -> torch.Tensor:
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / denominator if denominator is not None else losses.mean()


def cross_entropy(
    logits,
    target,
    *,
    from_logits: bool = True,
    class_weight=None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> torch.Tensor:
    """Cross-entropy between predictions and targets, always through ``log_softmax``.

    Matches ``torch.nn.functional.cross_entropy`` term for term, including how class weights and label
    smoothing combine and how ``reduction="mean"`` normalises:

    - integer labels (sparse CE): ``l_i = -w[y_i] log p_i[y_i]``; the mean divides by ``sum_i w[y_i]``.
      With smoothing ``e``: ``(1 - e) * nll + e / K * sum_i sum_c -w[c] log p_i[c]`` (same denominator).
    - one-hot or soft rows ``t_i`` (categorical CE): smoothing first turns ``t`` into
      ``(1 - e) t + e / K``, then ``l_i = -sum_c w[c] t_ic log p_i[c]``; the mean divides by N.

    Parameters
    ----------
    logits : tensor of shape (N, K)
        Raw model outputs, or probabilities when ``from_logits=False``.
    target : tensor of shape (N,) with integer labels in [0, K), or (N, K) one-hot / soft rows.
    from_logits : bool, default=True
        False means `logits` holds probabilities: they are clipped to ``[eps, 1]`` before the log, and a
        `LikelyLogitsWarning` is issued when rows are negative or do not sum to 1 (the double-softmax mistake).
    class_weight : tensor of shape (K,), optional
        A weight per class, as torch's `weight`.
    label_smoothing : float in [0, 1], default=0
    reduction : {"mean", "sum", "none"}, default="mean"

    Returns
    -------
    loss : scalar tensor, or shape (N,) for ``reduction="none"``.

    Examples
    --------
    >>> logits = torch.tensor([[2.0, 0.0, 0.0]])
    >>> float(cross_entropy(logits, torch.tensor([0])))  # -log(e^2 / (e^2 + 2))
    0.23954...
    """
    if reduction not in _REDUCTIONS:
        raise ConfigError(f"`reduction` must be one of {_REDUCTIONS}; got {reduction!r}.")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ConfigError(f"`label_smoothing` must be in [0, 1]; got {label_smoothing!r}.")
    logits = _as_float_tensor(logits, "logits")
    if logits.dim() != 2:
        raise DataError(f"`logits` must be 2-D (N, K); got shape {tuple(logits.shape)}.")
    n_rows, n_classes = logits.shape
    target = torch.as_tensor(target, device=logits.device)
    sparse = _check_target(target, n_rows, n_classes)
    log_probs = log_softmax(logits) if from_logits else _log_probs_from_probs(logits)  # (N, K)
    weight = None
    if class_weight is not None:
        weight = torch.as_tensor(class_weight, dtype=log_probs.dtype, device=log_probs.device)
        if weight.shape != (n_classes,):
            raise DataError(f"`class_weight` must have shape ({n_classes},); got {tuple(weight.shape)}.")
    eps = float(label_smoothing)

    if sparse:
        nll = -log_probs.gather(1, target[:, None]).squeeze(1)  # (N,)
        denominator = None
        if weight is not None:
            sample_weight = weight[target]  # (N,)
            nll = nll * sample_weight
            denominator = sample_weight.sum()
        losses = nll
        if eps > 0:
            weighted = log_probs * weight if weight is not None else log_probs
            losses = (1 - eps) * nll + (eps / n_classes) * -weighted.sum(dim=1)
        return _reduce(losses, reduction, denominator)

    target = target.to(log_probs.dtype)
    if eps > 0:
        target = target * (1 - eps) + eps / n_classes
    terms = log_probs * target if weight is None else log_probs * target * weight
    return _reduce(-terms.sum(dim=1), reduction)


def l2_penalty(weights: Iterable[torch.Tensor], l2: float) -> torch.Tensor:
    """``l2 * sum(W**2)`` over the given weight matrices (pass weights only, never biases).

    This is exactly what Keras adds to the loss for ``kernel_regularizer=keras.regularizers.l2(l2)`` on each
    layer. It equals PyTorch's ``weight_decay=2 * l2`` for plain SGD (and for Adam's coupled L2, which also
    decays biases unless excluded), and scikit-learn MLP's ``alpha = 2 * l2 * n_samples`` (sklearn divides its
    penalty by the number of samples).

    Examples
    --------
    >>> float(l2_penalty([torch.ones(2, 3)], 0.5))
    3.0
    """
    weights = list(weights)
    if not weights:
        return torch.zeros(())
    return l2 * torch.stack([w.pow(2).sum() for w in weights]).sum()
