"""`FusedStep`: one training step of an `MLP` written out by hand, with no autograd.

Forward (addmm per layer, caching pre-activations), the cross-entropy loss and its gradient on the logits,
backward (one matmul per weight gradient and per hidden layer, activation derivatives by the same ATen
``*_backward`` kernels autograd uses), then Adam exactly as ``torch.optim.Adam`` (foreach). About 30 tensor
operations per step instead of autograd's ~40 plus graph bookkeeping.

This file is the readable reference of what every fast engine computes: the compiled C epoch repeats it
operation for operation, and the CUDA-graph engine captures it as is. Its loss gradient is derived from
``torch.nn.functional.cross_entropy``'s definition (see `multiclass.functional.cross_entropy`): with a row
target ``R_i`` (labels: ``(1-e) w[y_i] onehot(y_i) + (e/K) w``; soft rows ``t_i``: ``w * ((1-e) t_i + e/K)``;
``w`` = 1 without class weights), ``loss_i = -sum_c R_ic log p_ic`` and ``dloss_i/dz_i = p_i sum_c R_ic - R_i``;
the mean divides by ``sum_i w[y_i]`` for weighted labels and by the batch size otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from multiclass.models import MLP

__all__ = ["ACTIVATION_CODES", "AdamState", "FusedStep", "Objective", "adam_update", "supports"]

# The activations the hand-written backward knows, with their code in the C engine.
ACTIVATION_CODES = {"relu": 0, "tanh": 1, "sigmoid": 2, "gelu": 3, "elu": 4}

_FORWARD = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": F.gelu, "elu": F.elu}


def _activation_backward(name: str, grad: torch.Tensor, z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``grad * act'(z)`` by the kernel autograd itself calls (from the output a or the input z, as it does)."""
    aten = torch.ops.aten
    if name == "relu":
        return aten.threshold_backward(grad, a, 0)
    if name == "tanh":
        return aten.tanh_backward(grad, a)
    if name == "sigmoid":
        return aten.sigmoid_backward(grad, a)
    if name == "gelu":
        return aten.gelu_backward(grad, z)
    return aten.elu_backward(grad, 1.0, 1, 1, False, z)  # ELU(alpha=1), backward from its input


@dataclass(frozen=True)
class Objective:
    """What a training step minimises: cross-entropy (torch's semantics) plus ``l2 * sum(W**2)``.

    Parameters
    ----------
    class_weight : tensor of shape (K,), optional
        Per-class weights, on the training device.
    label_smoothing : float in [0, 1], default=0.0
    l2 : float >= 0, default=0.0
        Penalty on the weight matrices (not biases), as `multiclass.functional.l2_penalty`.
    """

    class_weight: torch.Tensor | None = None
    label_smoothing: float = 0.0
    l2: float = 0.0


def supports(model) -> bool:
    """Whether the hand-written step can train `model`: an `MLP` with a known activation, float32 weights."""
    return (
        isinstance(model, MLP)
        and model.config.activation in ACTIVATION_CODES
        and all(p.dtype == torch.float32 for p in model.parameters())
    )


class AdamState:
    """Adam's moments kept in ``optimizer.state`` in torch's own layout, so every engine shares one state.

    ``torch.optim.Adam`` creates ``{"step", "exp_avg", "exp_avg_sq"}`` per parameter on its first step; the fast
    engines create the same entries (zeros) and update them in place, so switching engines, or reading
    ``optimizer.state_dict()``, sees one consistent optimiser. `lr`, `betas` and `eps` are read from the
    optimiser's param group at every epoch, which is what lets ``ReduceLROnPlateau`` drive the fast engines.
    """

    def __init__(self, optimizer: torch.optim.Adam, params: list[torch.Tensor]):
        group = optimizer.param_groups[0]
        if len(optimizer.param_groups) != 1 or group["weight_decay"] or group["amsgrad"] or group["maximize"]:
            raise ValueError("the fused engines implement plain Adam: one param group, no weight_decay/amsgrad/maximize")
        self.optimizer, self.params = optimizer, params
        for p in params:
            state = optimizer.state[p]
            if not state:
                # torch's layout for capturable=False: a float32 CPU scalar per parameter (engines count on the host)
                state["step"] = torch.tensor(0.0, dtype=torch.float32)
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        self.exp_avgs = [optimizer.state[p]["exp_avg"] for p in params]
        self.exp_avg_sqs = [optimizer.state[p]["exp_avg_sq"] for p in params]
        self.steps = [optimizer.state[p]["step"] for p in params]

    def hyper(self) -> tuple[float, float, float, float]:
        """(lr, beta1, beta2, eps) of the param group now."""
        group = self.optimizer.param_groups[0]
        return float(group["lr"]), float(group["betas"][0]), float(group["betas"][1]), float(group["eps"])

    def n_steps(self) -> int:
        return int(self.steps[0])

    def set_steps(self, value: int) -> None:
        for step in self.steps:
            step.fill_(value)

    def update(self, grads: list[torch.Tensor], step: int) -> None:
        """One Adam update with host scalars: `step` is the 1-based count including this update."""
        adam_update(self.params, self.exp_avgs, self.exp_avg_sqs, grads, self.hyper(), step)

    def bias_corrections(self, first_step: int, n_steps: int) -> torch.Tensor:
        """Rows (-lr / (1 - beta1**t), sqrt(1 - beta2**t)) for t = first_step .. first_step + n_steps - 1.  (n, 2)

        Computed on the host in double precision exactly as torch's (non-capturable) Adam does, then rounded
        to float32 as its kernels round them, so an engine reading them on the device matches it to float
        rounding. (torch's ``capturable=True`` instead raises float32 betas to a float32 step on the device,
        ~1e-5 off in the first steps: enough for a ReLU net at lr 1e-2 to drift visibly from the reference.)
        """
        lr, beta1, beta2, _ = self.hyper()
        rows = [(-lr / (1 - beta1**t), (1 - beta2**t) ** 0.5) for t in range(first_step, first_step + n_steps)]
        return torch.tensor(rows, dtype=torch.float32).view(n_steps, 2)

    def update_on_device(self, grads: list[torch.Tensor], neg_step_size: torch.Tensor,
                         bias_correction2_sqrt: torch.Tensor) -> None:
        """The same update with its two step-dependent scalars as 0-d device tensors (rows of
        `bias_corrections`): no host value is read, so CUDA graphs can capture it."""
        _, beta1, beta2, eps = self.hyper()
        self._moments(grads, beta1, beta2)
        denom = torch._foreach_sqrt(self.exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, eps)
        torch._foreach_div_(denom, neg_step_size)  # p + m / (denom / -step_size) = p - step_size * m / denom
        torch._foreach_addcdiv_(self.params, self.exp_avgs, denom)

    def _moments(self, grads, beta1: float, beta2: float) -> None:
        _moments(self.exp_avgs, self.exp_avg_sqs, grads, beta1, beta2)


def _moments(exp_avgs, exp_avg_sqs, grads, beta1: float, beta2: float) -> None:
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)


def adam_update(params: list[torch.Tensor], exp_avgs: list[torch.Tensor], exp_avg_sqs: list[torch.Tensor],
                grads: list[torch.Tensor], hyper: tuple[float, float, float, float], step: int) -> None:
    """``torch.optim.Adam``'s update (foreach, host scalars) of `params` in place, their moments with them: the
    optimiser's own tensors (`AdamState.update`) or gathered parts of them (the sparse engine's columns).
    `hyper` is (lr, beta1, beta2, eps); `step` the 1-based count including this update."""
    lr, beta1, beta2, eps = hyper
    _moments(exp_avgs, exp_avg_sqs, grads, beta1, beta2)
    bias_correction1, bias_correction2 = 1 - beta1**step, 1 - beta2**step
    denom = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denom, bias_correction2**0.5)
    torch._foreach_add_(denom, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denom, -lr / bias_correction1)


class FusedStep:
    """Forward, loss gradient, backward and Adam for one batch of an `MLP`, under ``no_grad``.

    Parameters
    ----------
    model : MLP
        Trained in place (its parameters are updated by `adam`).
    objective : Objective
    adam : AdamState
    compute_dtype : torch.dtype, optional
        torch.bfloat16: mixed precision -- every matrix product (forward, weight gradients, backpropagated
        gradients) takes bfloat16 operands and gives a bfloat16 result (accumulated in float32 by the kernel),
        cast back to float32, as under ``torch.autocast``; the weights, Adam, activations, the loss and its
        gradient stay float32.
        None: float32 throughout.
    """

    def __init__(self, model: MLP, objective: Objective, adam: AdamState, compute_dtype: torch.dtype | None = None):
        if not supports(model):
            raise ValueError("FusedStep trains float32 MLPs with a known activation")
        self.low = compute_dtype
        self.weights = [linear.weight for linear in model.linears]  # (out, in) each
        self.biases = [linear.bias for linear in model.linears]
        self.activation = model.config.activation
        self.dropout = float(model.config.dropout)
        self.l2 = float(objective.l2)
        self.adam = adam
        n_classes = model.config.n_classes
        e = float(objective.label_smoothing)
        self.n_classes, self.smoothing = n_classes, e
        weight = objective.class_weight
        self.class_weight = None if weight is None else weight.to(torch.float32)
        device = self.weights[0].device
        w = torch.ones(n_classes, device=device) if weight is None else self.class_weight
        # Row targets for integer labels, one row per class: (1 - e) w[y] onehot(y) + (e / K) w.   (K, K)
        self.label_rows = torch.diag(w * (1 - e)) + (e / n_classes) * w
        self.label_row_sums = self.label_rows.sum(dim=1)  # (K,)

    def loss_and_grad(self, logits: torch.Tensor, target: torch.Tensor):
        """Mean cross-entropy of the batch and its gradient with respect to `logits` (B, K)."""
        log_probs = torch.log_softmax(logits, dim=1)  # (B, K)
        probs = log_probs.exp()
        n_rows = logits.shape[0]
        if target.dim() == 1:
            rows = self.label_rows.index_select(0, target)  # (B, K)
            if self.class_weight is None:  # rows sum to 1: torch's (softmax - smoothed one-hot) / B
                grad = probs - rows
                denominator = n_rows
            else:
                grad = probs * self.label_row_sums.index_select(0, target)[:, None] - rows
                denominator = self.class_weight.index_select(0, target).sum()  # torch's weighted mean
        else:
            rows = target if self.smoothing == 0 else target * (1 - self.smoothing) + self.smoothing / self.n_classes
            if self.class_weight is not None:
                rows = rows * self.class_weight
            grad = probs * rows.sum(dim=1, keepdim=True) - rows  # soft rows need not sum to 1
            denominator = n_rows
        loss = torch.sum(rows * log_probs).neg_().div_(denominator)
        return loss, grad.div_(denominator)

    def _mm(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``a @ b`` in float32, or from bfloat16 operands (mixed precision)."""
        if self.low is None:
            return torch.mm(a, b)
        return torch.mm(a.to(self.low), b.to(self.low)).float()

    def _linear(self, h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``h @ weight.T + bias``  (B, out)."""
        if self.low is None:
            return torch.addmm(bias, h, weight.t())
        return self._mm(h, weight.t()).add_(bias)

    def forward_backward(self, x: torch.Tensor, target: torch.Tensor):
        """Return (loss incl. L2, gradients in ``model.parameters()`` order) for the batch (B, F)."""
        n_layers = len(self.weights)
        inputs, pre, post, keeps = [x], [], [], []
        h = x
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            z = self._linear(h, weight, bias)  # (B, out)
            if layer == n_layers - 1:
                break
            a = _FORWARD[self.activation](z)
            pre.append(z)
            post.append(a)
            if self.dropout > 0:  # inverted dropout, as torch: keep with probability 1 - p, scale by 1 / (1 - p)
                keep = torch.empty_like(a).bernoulli_(1 - self.dropout).div_(1 - self.dropout)
                keeps.append(keep)
                a = a * keep
            inputs.append(a)
            h = a
        loss, grad = self.loss_and_grad(z, target)  # grad: (B, K)
        if self.l2 > 0:
            squares = torch.stack([torch.dot(w.view(-1), w.view(-1)) for w in self.weights]).sum()
            loss = loss + self.l2 * squares
        grads = [None] * (2 * n_layers)
        for layer in range(n_layers - 1, -1, -1):
            weight = self.weights[layer]
            if self.l2 > 0 and self.low is None:  # d(l2 * sum W^2)/dW = 2 l2 W, added in the same call
                grads[2 * layer] = torch.addmm(weight, grad.t(), inputs[layer], beta=2 * self.l2)  # (out, in)
            else:
                grads[2 * layer] = self._mm(grad.t(), inputs[layer])  # (out, in)
                if self.l2 > 0:
                    grads[2 * layer].add_(weight, alpha=2 * self.l2)
            grads[2 * layer + 1] = grad.sum(dim=0)  # (out,)
            if layer == 0:
                break
            grad = self._mm(grad, weight)  # (B, in)
            if keeps:
                grad = grad * keeps[layer - 1]
            grad = _activation_backward(self.activation, grad, pre[layer - 1], post[layer - 1])
        return loss, grads

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, target: torch.Tensor, step: int) -> torch.Tensor:
        """Train on one batch with host scalars (`step` is Adam's 1-based step count); return the loss."""
        loss, grads = self.forward_backward(x, target)
        self.adam.update(grads, step)
        return loss

    @torch.no_grad()
    def on_device(self, x: torch.Tensor, target: torch.Tensor, corrections: torch.Tensor):
        """Train on one batch without reading any value back to the host (CUDA-graph capturable).

        `corrections` is this step's row of `AdamState.bias_corrections`, on the device.  (2,)
        """
        loss, grads = self.forward_backward(x, target)
        self.adam.update_on_device(grads, corrections[0], corrections[1])
        return loss
