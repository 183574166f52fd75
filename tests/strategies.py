"""Shared hypothesis strategies for the test suite."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def logits(max_rows: int = 16, max_classes: int = 12, max_abs: float = 1e4):
    """Float32 logit matrices (N, K) with finite entries up to +-max_abs."""
    shapes = st.tuples(st.integers(1, max_rows), st.integers(1, max_classes))
    elements = st.floats(-max_abs, max_abs, allow_nan=False, allow_infinity=False, width=32)
    return hnp.arrays(np.float32, shapes, elements=elements)


# --- metrics (tests/test_metrics_*.py) -------------------------------------------------------------------------


@st.composite
def label_pairs(draw, max_rows: int = 40, max_classes: int = 6, weighted: bool | None = None):
    """(y_true, y_pred, sample_weight or None): int labels in [0, max_classes), some classes possibly absent.

    Weights are multiples of 1/4 in [0, 4], not all zero, exact in float64, so sums do not depend on their order.
    """
    n = draw(st.integers(1, max_rows))
    k = draw(st.integers(1, max_classes))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    y_pred = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    if weighted is None:
        weighted = draw(st.booleans())
    weights = draw(hnp.arrays(np.float64, n, elements=st.integers(0, 16).map(lambda q: q / 4))) if weighted else None
    if weights is not None and not weights.any():
        weights[0] = 1.0
    return y_true, y_pred, weights


@st.composite
def chunk_bounds(draw, n: int):
    """Sorted cut points 0 = c0 <= c1 <= ... <= n splitting range(n) into chunks (empty chunks allowed)."""
    cuts = draw(st.lists(st.integers(0, n), max_size=6))
    return [0, *sorted(cuts), n]


def class_labels(max_size: int = 30):
    """1-D label arrays as sources hand them over: non-negative ints (a few classes) or short strings."""
    ints = hnp.arrays(np.int64, st.integers(1, max_size), elements=st.integers(0, 12))
    words = st.lists(st.sampled_from(["cat", "dog", "Émile", "niño", "a b", "10", "9"]), min_size=1, max_size=max_size)
    return st.one_of(ints, words.map(lambda w: np.array(w, dtype=object)))


@st.composite
def table_frames(draw, max_rows: int = 12):
    """(frame, same frame with columns shuffled and an extra column): numeric (with NaN), bool and text columns."""
    import pandas as pd

    n = draw(st.integers(1, max_rows))
    numbers = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))
    columns = {
        "num": draw(st.lists(numbers, min_size=n, max_size=n).filter(lambda v: any(x is not None for x in v))),
        "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "word": draw(st.lists(st.one_of(st.none(), st.sampled_from(["red", "año", "x y", "7"])), min_size=n, max_size=n)),
    }
    frame = pd.DataFrame({"num": pd.Series(columns["num"], dtype="float64"), "flag": columns["flag"],
                          "word": pd.Series(columns["word"], dtype=object)})
    order = draw(st.permutations(list(frame.columns)))
    return frame, frame[order].assign(extra=1)


# --- streamed validation split (tests/test_data_stream.py) ------------------------------------------------------


@st.composite
def pieced_labels(draw, max_rows: int = 80, max_classes: int = 6):
    """(codes (N,) int64 with every class in [0, K) at least twice, piece bounds 0 = b0 <= ... <= N)."""
    raw = draw(hnp.arrays(np.int64, st.integers(2, max_rows), elements=st.integers(0, max_classes - 1)))
    codes = np.unique(raw, return_inverse=True)[1].astype(np.int64)
    counts = np.bincount(codes)
    for code in np.flatnonzero(counts == 1):  # a class of one row is an error; give it a second row
        codes = np.insert(codes, draw(st.integers(0, len(codes))), code)
    return codes, draw(chunk_bounds(len(codes)))


# --- conformal (tests/test_conformal_*.py) -------------------------------------------------------------------------


@st.composite
def tied_probs(draw, max_rows: int = 70, max_classes: int = 40):
    """(N, K) probabilities made from small integer weights, so rows are full of ties (and zeros); float64 or
    float32. Up to 70 rows (more than one 64-row block) and 40 classes (both kernel paths)."""
    n = draw(st.integers(1, max_rows))
    k = draw(st.integers(2, max_classes))
    weights = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, 4)))
    weights[weights.sum(axis=1) == 0, 0] = 1
    probs = weights / weights.sum(axis=1, keepdims=True)
    return probs.astype(draw(st.sampled_from([np.float64, np.float32])))
