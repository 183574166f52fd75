"""A table whose columns are all pixels is scaled as the same images from a folder are: /255, not per column.

Standardising each pixel column separately (the table default) gives a border pixel that is almost always 0 a
huge weight whenever it is not, and scores the same images differently as a CSV and as a PNG folder (3 points
apart on Fashion-MNIST, issue 14). So a table is read as *pixels* when every feature column

- is numeric with no missing value, and there are at least `MIN_PIXELS` of them, a square number (28 x 28);
- holds whole numbers in [0, 255] reaching past 127 (8-bit grey levels) -> divided by 255; or numbers in [0, 1]
  (already scaled) -> left as they are.

The table preprocessor then keeps ``mean = 0`` and ``scale = 255`` (or 1) for those columns instead of their
means and standard deviations: the model file's format does not change, and a model predicts a pixel CSV through
the usual table path. ``Dataset.notes["pixels"]`` records the decision and ``Dataset.image_shape`` is the square
(so a report can draw rows as images). In-memory (`column_stats`) and streamed (`multiclass.data.stream.scan`)
loaders feed the same `pixel_divisor`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MIN_PIXELS", "PIXEL_MAX", "apply_pixel_scale", "column_stats", "pixel_divisor", "pixel_note"]

MIN_PIXELS = 64  # 8 x 8, the smallest images in common use (UCI's optdigits); fewer columns is an ordinary table
PIXEL_MAX = 255.0  # 8-bit grey levels
_HIGH_HALF = 127  # a column set whose largest value stays at or below this is not 8-bit pixels (optdigits: 0-16)


def column_stats(series: pd.Series) -> tuple[float, float, bool, bool]:
    """(min, max, whole numbers (an integer dtype), any missing) of an in-memory numeric column."""
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = bool(np.isnan(values).any())
    present = values[~np.isnan(values)]
    low, high = (float(present.min()), float(present.max())) if present.size else (np.inf, -np.inf)
    integer = pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return low, high, integer, missing


def pixel_divisor(kinds: Sequence[str], stats: Sequence[tuple[float, float, bool, bool]]) -> float | None:
    """255 or 1 when the feature columns are pixels (see the module docstring), None otherwise.

    Parameters
    ----------
    kinds : sequence of {"numeric", "bool", "categorical"}
        Each feature column's type.
    stats : sequence of (min, max, integer, missing)
        Each feature column's `column_stats` (or the streamed scan's equivalent).
    """
    n = len(kinds)
    if n < MIN_PIXELS or math.isqrt(n) ** 2 != n or any(k != "numeric" for k in kinds):
        return None
    if any(missing for *_, missing in stats):
        return None
    low = min(s[0] for s in stats)
    high = max(s[1] for s in stats)
    if all(integer for _, _, integer, _ in stats) and low >= 0 and _HIGH_HALF < high <= PIXEL_MAX:
        return PIXEL_MAX
    if low >= 0 and high <= 1:
        return 1.0
    return None


def apply_pixel_scale(preprocessor, divisor: float) -> None:
    """Make a fitted table preprocessor map every (numeric) column x to x / divisor (no log scale: a border
    pixel is heavy-tailed, but an image's pixels are read alike)."""
    for spec in preprocessor.specs_:
        spec.pop("log", None)
    preprocessor.mean_ = np.zeros_like(preprocessor.mean_)
    preprocessor.scale_ = np.full_like(preprocessor.scale_, divisor)


def pixel_note(n_columns: int, divisor: float) -> dict:
    """``Dataset.notes["pixels"]``: the columns, the divisor and the square image shape."""
    side = math.isqrt(n_columns)
    return {"columns": n_columns, "divisor": divisor, "image_shape": [side, side, 1]}
