"""Build, cache and call the compiled CPU epoch (`multiclass.engine._csrc`), or say why it is unavailable.

The C source is compiled on first use with the system C compiler (``$CC``, else ``cc``, ``gcc`` or ``clang``)
into ``<cache>/multiclass/engine/fused-<hash>.so`` -- ``<cache>`` is ``$MULTICLASS_CACHE_DIR``, else
``$XDG_CACHE_HOME``, else ``~/.cache`` -- under a file lock, so concurrent first uses build it once; the hash
covers the source, the flags and the platform, so an edit rebuilds. It is plain C (no Python or torch headers):
the build takes about a second. The library is loaded with ctypes and handed PyTorch's own ``sgemm_`` (MKL
on x86 wheels) for the matrix products when the process exposes one, after a self-test shows it gives the
same numbers as the built-in loops.

Anything that goes wrong (no compiler, a failed build, ``MULTICLASS_NO_COMPILE=1``, Windows) makes `load`
return None and `status` the reason; the fused engine then runs the same step in Python (logged at INFO on
the ``multiclass.engine`` logger, never raised).
"""

from __future__ import annotations

import ctypes
import logging
from itertools import pairwise
from pathlib import Path

import torch

import multiclass.native as native
from multiclass.engine._csrc import SOURCE

__all__ = ["CompiledEpoch", "cache_dir", "load", "status"]

logger = logging.getLogger("multiclass.engine")

# -O3 vectorises the elementwise loops; -fopenmp-simd honours the `omp simd` reductions without OpenMP itself;
# -fno-math-errno lets sqrtf vectorise (nothing reads errno), without changing any value.
# No -march=native: the cached library must run on any CPU sharing the cache, and BLAS does the heavy work.
CFLAGS = ("-O3", "-std=c99", "-fPIC", "-shared", "-fopenmp-simd", "-fno-math-errno")

_LIB: ctypes.CDLL | None = None
_SGEMM: int | None = None
_STATUS = "not built yet"
_TRIED = False


class _Args(ctypes.Structure):
    """Mirror of the C ``mc_epoch_args`` (every field 8 bytes wide, so there is no padding to get wrong)."""

    _fields_ = [
        ("n_layers", ctypes.c_int64), ("widths", ctypes.c_void_p),
        ("params", ctypes.c_void_p), ("exp_avg", ctypes.c_void_p), ("exp_avg_sq", ctypes.c_void_p),
        ("X", ctypes.c_void_p), ("labels", ctypes.c_void_p), ("soft", ctypes.c_void_p),
        ("class_weight", ctypes.c_void_p), ("order", ctypes.c_void_p),
        ("n", ctypes.c_int64), ("batch", ctypes.c_int64), ("activation", ctypes.c_int64),
        ("dropout", ctypes.c_double), ("seed", ctypes.c_uint64),
        ("lr", ctypes.c_double), ("beta1", ctypes.c_double), ("beta2", ctypes.c_double), ("eps", ctypes.c_double),
        ("step", ctypes.c_int64), ("l2", ctypes.c_double), ("label_smoothing", ctypes.c_double),
        ("sgemm", ctypes.c_void_p),
    ]


def cache_dir() -> Path:
    """Where compiled engines are kept (one file per source/flags/platform hash)."""
    return native.cache_dir("engine")


def status() -> str:
    """'compiled (BLAS sgemm)', 'compiled (built-in loops)', 'not built yet' or why compiling was impossible."""
    return _STATUS


def _torch_sgemm() -> int | None:
    """Address of the Fortran ``sgemm_`` exported by PyTorch's CPU library, if any."""
    lib_dir = Path(torch.__file__).parent / "lib"
    for name in ("libtorch_cpu.so", "libtorch_cpu.dylib"):
        if (lib_dir / name).exists():
            try:
                return ctypes.cast(ctypes.CDLL(str(lib_dir / name)).sgemm_, ctypes.c_void_p).value
            except (OSError, AttributeError):
                return None
    return None


def load() -> ctypes.CDLL | None:
    """The compiled library (building it on first use), or None when it cannot be had; see `status`."""
    global _LIB, _SGEMM, _STATUS, _TRIED
    if _TRIED:
        return _LIB
    _TRIED = True
    try:
        lib = native.load_library(SOURCE, folder="engine", stem="fused", flags=CFLAGS,
                                  what="the fused CPU engine", logger=logger)
        lib.mc_train_epoch.argtypes = [ctypes.POINTER(_Args), ctypes.POINTER(ctypes.c_double)]
        lib.mc_train_epoch.restype = ctypes.c_int
        _LIB = lib
        _SGEMM = _torch_sgemm()
        if _SGEMM is not None and not _sgemm_agrees():
            logger.info("PyTorch's sgemm_ disagreed with the built-in loops in the self-test; not using it")
            _SGEMM = None
        _STATUS = "compiled (BLAS sgemm)" if _SGEMM else "compiled (built-in loops)"
    except Exception as error:  # noqa: BLE001 -- any failure means "use the Python step", never a crash
        _LIB, _STATUS = None, f"unavailable: {type(error).__name__}: {error}"
        logger.info("fused CPU engine not compiled, using the Python step (%s)", _STATUS)
    return _LIB


def _sgemm_agrees() -> bool:
    """Train one tiny epoch with BLAS and with the built-in loops; the results must agree to float rounding."""
    generator = torch.Generator().manual_seed(0)
    widths = (7, 5, 3)
    X = torch.randn(9, widths[0], generator=generator)
    labels = torch.randint(0, widths[-1], (9,), generator=generator)
    results = []
    for sgemm in (_SGEMM, None):
        params = [torch.randn(o, i, generator=torch.Generator().manual_seed(1)) for i, o in pairwise(widths)]
        params = [t for w in params for t in (w, torch.zeros(w.shape[0]))]
        runner = CompiledEpoch(_LIB, sgemm, widths, params, [torch.zeros_like(p) for p in params],
                               [torch.zeros_like(p) for p in params], X, labels, None, activation=0, dropout=0.0)
        loss = runner.run(torch.arange(9), batch=4, lr=0.1, betas=(0.9, 0.999), eps=1e-8, step=0, l2=0.01,
                          label_smoothing=0.1, seed=0)
        results.append((loss, torch.cat([p.flatten() for p in params])))
    (loss_a, p_a), (loss_b, p_b) = results
    return abs(loss_a - loss_b) <= 1e-5 * abs(loss_b) and torch.allclose(p_a, p_b, rtol=1e-5, atol=1e-6)


def _pointers(tensors) -> ctypes.Array:
    return (ctypes.c_void_p * len(tensors))(*[t.data_ptr() for t in tensors])


class CompiledEpoch:
    """A bound call of ``mc_train_epoch`` over fixed tensors (all CPU, contiguous, float32 / int64).

    The tensors are updated in place by `run`; this object keeps them (and the pointer arrays) alive.
    """

    def __init__(self, lib, sgemm, widths, params, exp_avgs, exp_avg_sqs, X, labels, soft, *,
                 class_weight=None, activation: int, dropout: float):
        tensors = [*params, *exp_avgs, *exp_avg_sqs, X] + [t for t in (labels, soft, class_weight) if t is not None]
        if not all(t.device.type == "cpu" and t.is_contiguous() for t in tensors):
            raise ValueError("the compiled engine needs contiguous CPU tensors")
        if (labels is None) == (soft is None) or (labels is not None and labels.dtype != torch.int64):
            raise ValueError("the compiled engine needs int64 labels or float32 target rows, not both")
        if not all(t.dtype == torch.float32 for t in tensors if t is not labels):
            raise ValueError("the compiled engine needs float32 data, weights and targets")
        # The C code trusts its pointers: every shape it will assume is checked here, once.
        expected = [s for i, o in pairwise(widths) for s in ((o, i), (o,))]
        if [tuple(p.shape) for p in params] != expected or X.dim() != 2 or X.shape[1] != widths[0]:
            raise ValueError(f"the compiled engine got parameters or data not shaped for widths {tuple(widths)}")
        self.n_rows = len(X)
        self.lib, self.tensors = lib, tensors
        self.widths = (ctypes.c_int64 * len(widths))(*widths)
        self.arrays = [_pointers(params), _pointers(exp_avgs), _pointers(exp_avg_sqs)]
        self.args = _Args(
            n_layers=len(widths) - 1, widths=ctypes.addressof(self.widths),
            params=ctypes.addressof(self.arrays[0]), exp_avg=ctypes.addressof(self.arrays[1]),
            exp_avg_sq=ctypes.addressof(self.arrays[2]), X=X.data_ptr(),
            labels=labels.data_ptr() if labels is not None else None,
            soft=soft.data_ptr() if soft is not None else None,
            class_weight=class_weight.data_ptr() if class_weight is not None else None,
            activation=activation, dropout=dropout, sgemm=sgemm,
        )

    def run(self, order: torch.Tensor, *, batch: int, lr: float, betas, eps: float, step: int, l2: float,
            label_smoothing: float, seed: int) -> float:
        """Train one epoch over `order` (int64 row indices); return the sum over batches of loss x rows."""
        order = order.to(torch.int64).contiguous()
        if len(order) and not (0 <= int(order.min()) and int(order.max()) < self.n_rows):  # C indexes X with them
            raise ValueError(f"`order` must hold row indices in [0, {self.n_rows}).")
        args = self.args
        args.order, args.n, args.batch = order.data_ptr(), len(order), batch
        args.lr, args.beta1, args.beta2, args.eps = lr, betas[0], betas[1], eps
        args.step, args.l2, args.label_smoothing, args.seed = step, l2, label_smoothing, seed
        loss_sum = ctypes.c_double()
        code = self.lib.mc_train_epoch(ctypes.byref(args), ctypes.byref(loss_sum))
        if code != 0:
            raise MemoryError("the compiled engine could not allocate its work space") if code == 1 else \
                RuntimeError(f"the compiled engine rejected its arguments (code {code})")
        return loss_sum.value
