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
