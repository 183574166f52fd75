"""Prediction sets through the compiled kernel (`multiclass.conformal.csrc`), or numpy when it cannot be built.

`compute_sets` takes checked probabilities (float32 or float64, C order) and per-class thresholds and fills a
bool (N, K) array, in place when `out` is given. The kernel is built on first use (`multiclass.native`);
any failure (no compiler, ``MULTICLASS_NO_COMPILE=1``) makes `status` say why and the numpy reference
`scores.sets_numpy` run instead, with the same results.
"""

from __future__ import annotations

import ctypes
import logging

import numpy as np

from multiclass.native import load_library

logger = logging.getLogger("multiclass.conformal")
from multiclass.conformal.csrc import SOURCE
from multiclass.conformal.scores import check_probs, sets_numpy
from multiclass.exceptions import DataError

__all__ = ["compute_sets", "load", "status", "vector_available"]

# -O3 vectorises the LAC loop; -ffp-contract=off keeps a * b + c as two roundings, so the sums match numpy's
# bit for bit. No -march=native: the cached library must run on any CPU sharing the cache.
CFLAGS = ("-O3", "-std=c99", "-fPIC", "-shared", "-pthread", "-ffp-contract=off", "-fno-math-errno")

# Threads split the rows; below this many rows per thread, starting one costs more than it saves (~50 us).
MIN_ROWS_PER_THREAD = 16384
MAX_THREADS = 64  # the C side's limit

_LIB: ctypes.CDLL | None = None
_STATUS = "not built yet"
_TRIED = False


def load() -> ctypes.CDLL | None:
    """The compiled kernel (built on first use), or None; `status` says which."""
    global _LIB, _STATUS, _TRIED
    if _TRIED:
        return _LIB
    _TRIED = True
    try:
        lib = load_library(SOURCE, folder="conformal", stem="sets", flags=CFLAGS, what="the conformal set kernel",
                           logger=logger)
        pointer, i64, f64 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
        lib.mc_sets.argtypes = [i64, pointer, i64, i64, pointer, i64, f64, i64, pointer, i64, pointer, i64, i64,
                                pointer]
        lib.mc_sets.restype = ctypes.c_int
        lib.mc_vector_available.argtypes = []
        lib.mc_vector_available.restype = ctypes.c_int
        _LIB, _STATUS = lib, "compiled"
    except Exception as error:  # noqa: BLE001 -- any failure means "use numpy", never a crash
        _LIB, _STATUS = None, f"unavailable: {type(error).__name__}: {error}"
        logger.info("conformal set kernel not compiled, using numpy (%s)", _STATUS)
    return _LIB


def vector_available() -> bool:
    """Whether APS/RAPS sets of up to 16 classes take the AVX-512 row kernel here (`csrc_vector`)."""
    lib = load()
    return lib is not None and bool(lib.mc_vector_available())


def status() -> str:
    """'compiled', 'not built yet' or why the kernel could not be built."""
    return _STATUS


def _output(out, shape) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=bool)
    if not (isinstance(out, np.ndarray) and out.dtype == bool and out.shape == shape and out.flags.c_contiguous):
        got = f"{out.dtype} {out.shape}" if isinstance(out, np.ndarray) else type(out).__name__
        raise DataError(f"`out` must be a C-contiguous bool array of shape {shape}; got {got}.")
    return out


def compute_sets(probs: np.ndarray, thresholds: np.ndarray, *, score: str, randomized: bool,
                 u: np.ndarray | None, raps_lambda: float, raps_k_reg: int, nonempty: bool,
                 out: np.ndarray | None = None, use_kernel: bool = True,
                 n_threads: int | None = None, vector: bool = True) -> np.ndarray:
    """Sets (N, K) bool: label j of row i is in when its score passes ``thresholds[j]`` (see `scores`).

    `probs` needs only its dtype and shape checked (``check_probs(..., scan=False)``): the kernel checks every
    value is in [0, 1] while it reads it, and the numpy path checks fully; a bad value raises DataError.
    ``vector=False`` keeps APS/RAPS off the AVX-512 row kernel (the portable path, as on a CPU without it).
    """
    out = _output(out, probs.shape)
    thresholds = np.ascontiguousarray(thresholds, dtype=np.float64)
    lib = load() if use_kernel else None
    if lib is None or probs.dtype not in (np.float32, np.float64) or not probs.flags.c_contiguous:
        check_probs(probs)
        out[...] = sets_numpy(probs, thresholds, score=score, randomized=randomized, u=u,
                              raps_lambda=raps_lambda, raps_k_reg=raps_k_reg, nonempty=nonempty)
        return out
    n, k = probs.shape
    kind = (0 if score == "lac" else 2) + (probs.dtype == np.float32)
    draws = np.ascontiguousarray(u, dtype=np.float64) if randomized and score != "lac" else None
    lam = raps_lambda if score == "raps" else 0.0
    threads = max(1, min(n_threads or 1, MAX_THREADS, n // MIN_ROWS_PER_THREAD))
    invalid = ctypes.c_int64(0)
    code = lib.mc_sets(kind, probs.ctypes.data, n, k, thresholds.ctypes.data, int(randomized), lam, raps_k_reg,
                       draws.ctypes.data if draws is not None else None, int(nonempty), out.ctypes.data, threads,
                       int(vector), ctypes.byref(invalid))
    if invalid.value:
        check_probs(probs)  # raises the usual message
        raise DataError("`probs` must hold probabilities in [0, 1] (no NaN).")
    if code != 0:
        raise MemoryError("the conformal set kernel could not allocate its work space")
    return out
