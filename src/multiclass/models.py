"""The network: a `ModelConfig` (frozen, saved with the weights) and the MLP it builds, which returns logits.

The default is the classic MNIST recipe, Dense 25 relu -> Dense 15 relu -> K linear outputs. ``hidden=()``
gives multinomial softmax regression (one linear layer). The model never applies softmax: the loss works on
logits (see `multiclass.functional`) and probabilities are made only at predict time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from multiclass.exceptions import ConfigError
from multiclass.membudget import check_allocation

__all__ = ["ModelConfig", "MLP", "build_model", "macs_per_row", "predict_log_proba", "sparse_logits", "ACTIVATIONS"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid, "elu": nn.ELU}


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network (stored in ``model.json``).

    Parameters
    ----------
    n_features : int
        Width of the input rows.
    n_classes : int
        Number of classes K (= number of output logits), at least 2.
    hidden : tuple of int, default=(25, 15)
        Width of each hidden layer; ``()`` is softmax regression.
    activation : str, default="relu"
        One of `ACTIVATIONS`.
    dropout : float in [0, 1), default=0.0
        Dropout rate applied after every hidden activation (never on inputs or logits).
    """

    n_features: int
    n_classes: int
    hidden: tuple[int, ...] = (25, 15)
    activation: str = "relu"
    dropout: float = 0.0

    def __post_init__(self):
        # Lists (from JSON) become tuples so the config stays hashable and compares equal after a round trip.
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        validate_model_config(self)

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden": list(self.hidden)}


def validate_model_config(config: ModelConfig) -> None:
    """Raise `ConfigError` naming the first invalid field of `config`."""
    if not isinstance(config.n_features, int) or config.n_features < 1:
        raise ConfigError(f"`n_features` must be a positive integer; got {config.n_features!r}.")
    if not isinstance(config.n_classes, int) or config.n_classes < 2:
        raise ConfigError(
            f"`n_classes` must be an integer >= 2 (a classifier needs two classes); got {config.n_classes!r}."
        )
    if any(h < 1 for h in config.hidden):
        raise ConfigError(f"`hidden` sizes must all be positive integers; got {config.hidden!r}.")
    if config.activation not in ACTIVATIONS:
        raise ConfigError(f"`activation` must be one of {sorted(ACTIVATIONS)}; got {config.activation!r}.")
    if not (isinstance(config.dropout, (int, float)) and 0.0 <= config.dropout < 1.0):
        raise ConfigError(f"`dropout` must be a float in [0, 1); got {config.dropout!r}.")


class MLP(nn.Module):
    """Linear layers with an activation (and optional dropout) between them; the output is K logits."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        widths = (config.n_features, *config.hidden, config.n_classes)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.act = ACTIVATIONS[config.activation]()
        self.drop = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.linears[0](x))  # (N, K) logits

    def head(self, z: torch.Tensor) -> torch.Tensor:
        """The logits (N, K) from the first layer's output `z` (N, width of the first layer): what follows the first
        linear layer (the sparse engine computes that layer itself, on each batch's vocabulary terms alone)."""
        if len(self.linears) == 1:
            return z  # softmax regression: the first layer is the output
        x = self.drop(self.act(z))
        for linear in self.linears[1:-1]:
            x = self.drop(self.act(linear(x)))  # (N, hidden_i)
        return self.linears[-1](x)

    def weight_matrices(self) -> list[torch.Tensor]:
        """The weight matrices (no biases): what the L2 penalty applies to."""
        return [linear.weight for linear in self.linears]


def init_parameters(model: MLP, generator: torch.Generator) -> None:
    """Glorot-uniform weights and zero biases, as Keras' Dense (the seed recipe), drawn from `generator`."""
    with torch.no_grad():
        for linear in model.linears:
            fan_out, fan_in = linear.weight.shape
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            linear.weight.uniform_(-limit, limit, generator=generator)
            linear.bias.zero_()


def build_model(config: ModelConfig, *, seed: int = 0) -> MLP:
    """Build the network for `config` with reproducible Glorot initialisation from `seed`."""
    widths = (config.n_features, *config.hidden, config.n_classes)
    n_parameters = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    # float32 weights, gradients and Adam's two moments, before any of it is allocated
    check_allocation(16 * n_parameters, f"the network {'-'.join(map(str, widths))} ({n_parameters:,} parameters, "
                                        "with gradients and Adam's state)")
    with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from the global RNG; leave it as it was
        model = MLP(config)
    generator = torch.Generator().manual_seed(int(seed))
    init_parameters(model, generator)
    return model


def macs_per_row(config: ModelConfig) -> int:
    """Multiply-adds of one training row through the network, forward and backward (about 3x the forward): the
    cost model of the recipe's budget and of the engines' thread choice."""
    widths = (config.n_features, *config.hidden, config.n_classes)
    return 3 * sum(a * b for a, b in zip(widths[:-1], widths[1:]))


# Entries of (rows x widest layer) per forward pass when scoring many rows: 2**22 float32 are 16 MiB. The seed
# network (widest layer 25) takes every row of a chunk; K = 10,000 classes, 419 rows at a time.
_ACTIVATION_ENTRIES = 1 << 22


def chunk_rows(model: MLP, most: int = 65536) -> int:
    """Rows per forward pass when scoring many rows: (rows x widest layer) within `_ACTIVATION_ENTRIES`, at most
    `most` rows (few calls for a narrow network, bounded memory for a wide one or many classes)."""
    widest = max((*model.config.hidden, model.config.n_classes))
    return max(1, min(most, _ACTIVATION_ENTRIES // widest))


def sparse_logits(model: MLP, X) -> torch.Tensor:
    """The logits (n, K) of CSR rows `X` (n, n_features), never densified: the first layer is the sparse product
    (nnz x width multiply-adds, not n x n_features x width), the rest `MLP.head`. Call under ``torch.no_grad``."""
    first = model.linears[0]
    weight = first.weight.detach()  # (width, n_features)
    if weight.device.type == "cpu":
        z = torch.from_numpy(np.ascontiguousarray(X @ weight.numpy().T, dtype=np.float32))  # scipy's CSR product
    else:
        X = X.tocsr()
        rows = torch.sparse_csr_tensor(torch.from_numpy(X.indptr.astype(np.int64)),
                                       torch.from_numpy(X.indices.astype(np.int64)),
                                       torch.from_numpy(X.data.astype(np.float32)), size=X.shape, device=weight.device)
        z = rows @ weight.T
    return model.head(z + first.bias.detach())


def predict_log_proba(model: MLP, X: np.ndarray) -> np.ndarray:
    """Log-probabilities (N, K) in float64 of float32 features X (N, n_features), in chunks, in eval mode.

    float64 so that probability rows sum to 1 within 1e-15, not float32's 1e-7. `X` may be a scipy sparse matrix
    (TF-IDF rows): its first layer is then the sparse product (`sparse_logits`).
    """
    model.eval()
    chunks = []
    sparse = hasattr(X, "tocsr")
    step = chunk_rows(model)
    with torch.no_grad():
        for start in range(0, X.shape[0], step):
            part = X[start : start + step]
            # (n, K); a dense chunk is copied: X may be read-only
            logits = sparse_logits(model, part) if sparse else model(torch.tensor(part, dtype=torch.float32))
            chunks.append(torch.log_softmax(logits.double(), dim=1).numpy())
    return np.concatenate(chunks) if chunks else np.empty((0, model.config.n_classes))
