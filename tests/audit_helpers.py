"""What the audit tests share: probability strategies (hypothesis) and cleanlab as the oracle.

cleanlab is AGPL and a test-only dependency: it is imported here, never from src/. Where cleanlab sorts with
numpy's default argsort (unstable, so ties go any way the CPU's SIMD sort puts them), `cleanlab_stable` runs it
with a stable argsort: our documented tie rule, so results must then agree exactly, ties included.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

cleanlab = pytest.importorskip("cleanlab")
from cleanlab import count as cl_count  # noqa: E402
from cleanlab import filter as cl_filter  # noqa: E402
from cleanlab import rank as cl_rank  # noqa: E402

_ARGSORT = np.argsort


@contextlib.contextmanager
def stable_argsort():
    """numpy's argsort made stable while cleanlab runs (the tie rule of multiclass.audit)."""
    with mock.patch.object(np, "argsort", functools.partial(_ARGSORT, kind="stable")):
        yield


def cleanlab_issues(labels, probs, filter_by, **options) -> np.ndarray:
    """cleanlab's boolean mask, one process, warnings about tiny classes silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cl_filter.find_label_issues(labels, probs, filter_by=filter_by, n_jobs=1, **options)


def cleanlab_joint(labels, probs) -> np.ndarray:
    return cl_count.compute_confident_joint(labels, probs, calibrate=True)


def cleanlab_scores(labels, probs, method) -> np.ndarray:
    return cl_rank.get_label_quality_scores(labels, probs, method=method)


@st.composite
def audit_inputs(draw, max_rows: int = 60, max_classes: int = 6, ties: bool | None = None):
    """(labels (N,), probs (N, K) float64): rows summing to 1, at least two distinct labels (cleanlab's rule).

    With `ties`, probabilities are small integers over their row total, so equal values (and equal margins) are
    common; otherwise they are continuous (ties have probability 0). Some classes may never be given, or never be
    the most probable.
    """
    k = draw(st.integers(2, max_classes))
    n = draw(st.integers(2, max_rows))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    if len(np.unique(labels)) < 2:
        labels[0], labels[1] = 0, 1
    if ties is None:
        ties = draw(st.booleans())
    if ties:
        weights = draw(hnp.arrays(np.float64, (n, k), elements=st.integers(0, 4).map(float)))
    else:  # from a seeded generator: hypothesis would shrink drawn floats towards equal values
        weights = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random((n, k)) + 1e-3
    weights[weights.sum(axis=1) == 0, 0] = 1.0
    return labels, weights / weights.sum(axis=1, keepdims=True)


def noisy_problem(n: int = 2000, k: int = 5, noise: float = 0.1, seed: int = 0):
    """(given labels, probabilities, true labels): a sharp model on data whose labels were flipped at random."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), true] += 3.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    given = true.copy()
    flip = rng.random(n) < noise
    given[flip] = (true[flip] + rng.integers(1, k, flip.sum())) % k
    return given, probs, true
