"""The network's forward pass on numpy: the same layers, order and activations as `multiclass.models.MLP` in eval
mode (dropout is the identity), in float32, then a float64 log-softmax as `multiclass.models.predict_log_proba`.

``erf`` (for the exact GELU, torch's default) is Cephes' rational approximation (ndtr.c, S. L. Moshier), accurate to
a few float64 ulps (tested against ``math.erf``); numpy has no erf and scipy is not imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["ACTIVATIONS", "ERF_P", "ERF_Q", "ERF_R", "ERF_S", "ERF_T", "ERF_U", "Network", "erf", "log_softmax"]

# Cephes ndtr.c: erf(x) = x T(x^2) / U(x^2) for |x| < 1; erfc(x) = exp(-x^2) P(x) / Q(x) for 1 <= x < 8, and
# exp(-x^2) R(x) / S(x) beyond (Q, U and S have an implicit leading coefficient 1).
ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3,
      5.55923013010394962768e4)
ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4,
      4.92673942608635921086e4)
ERF_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1,
      1.96520832956077098242e2, 5.26445194995477358631e2, 9.34528527171957607540e2, 1.02755188689515710272e3,
      5.57535335369399327526e2)
ERF_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2,
      1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2)
ERF_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0,
      7.40974269950448939160e0, 2.97886665372100240670e0)
ERF_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1, 1.70814450747565897222e1,
      9.60896809063285878198e0, 3.36907645100081516050e0)


def _poly(x: np.ndarray, coefficients: Sequence[float], *, monic: bool = False) -> np.ndarray:
    """Horner's rule, highest power first; `monic` adds an implicit leading 1."""
    result = x + coefficients[0] if monic else np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        result = result * x + c
    return result


def erf(x) -> np.ndarray:
    """The error function in float64, elementwise."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        inner = x * _poly(x * x, ERF_T) / _poly(x * x, ERF_U, monic=True)
        tail = np.exp(-a * a) * np.where(a < 8, _poly(a, ERF_P) / _poly(a, ERF_Q, monic=True),
                                         _poly(a, ERF_R) / _poly(a, ERF_S, monic=True))
    return np.where(a < 1, inner, np.sign(x) * (1.0 - tail))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0, out=x)


def _gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + erf(x * np.sqrt(0.5)))).astype(np.float32)  # exact GELU, computed in float64


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x < -88: the result is 0, as it should be
        return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0))).astype(np.float32)  # alpha = 1, torch's default


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": _relu, "tanh": np.tanh, "gelu": _gelu, "sigmoid": _sigmoid, "elu": _elu,
}
# Entries of (rows x widest layer) per forward pass: 2**22 float32 are 16 MiB, as `multiclass.models.chunk_rows`.
_ACTIVATION_ENTRIES = 1 << 22


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64 (N, K): ``z - max - log(sum(exp(z - max)))``."""
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)  # (N, K)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class Network:
    """Linear layers with an activation between them; logits out.

    Parameters
    ----------
    weights : sequence of ndarray
        Each (fan_out, fan_in), as torch's ``nn.Linear.weight``; stored transposed in float32 for ``x @ W``.
    biases : sequence of ndarray
        Each (fan_out,).
    activation : str
        A key of `ACTIVATIONS`.
    """

    def __init__(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], activation: str) -> None:
        self.weights = [np.ascontiguousarray(np.asarray(w, dtype=np.float32).T) for w in weights]  # (in, out)
        self.biases = [np.asarray(b, dtype=np.float32) for b in biases]
        self.activation = ACTIVATIONS[activation]
        self.n_features = self.weights[0].shape[0]
        self.n_classes = self.weights[-1].shape[1]
        self.chunk = max(1, _ACTIVATION_ENTRIES // max(w.shape[1] for w in self.weights))

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Float32 logits (N, K) of float32 features X (N, n_features)."""
        x = X
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = np.asarray(x @ weight, dtype=np.float32)  # (N, width_i); a CSR product gives an ndarray too
            x += bias
            if i < len(self.weights) - 1:
                x = self.activation(x)
        return x

    def log_proba(self, X: np.ndarray) -> np.ndarray:
        """Float64 log-probabilities (N, K), in chunks of bounded memory; `X` may be a scipy CSR matrix (TF-IDF
        rows: the first product is then the sparse one)."""
        chunks = [log_softmax(self.logits(X[start:start + self.chunk]))
                  for start in range(0, X.shape[0], self.chunk)]
        return np.concatenate(chunks) if chunks else np.empty((0, self.n_classes))
