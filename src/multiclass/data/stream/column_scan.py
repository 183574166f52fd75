"""What one column's values tell, batch after batch: the counts `scan_table` replays `infer_column_type` and
`TablePreprocessor.fit` on (see `multiclass.data.stream.scan`).

Per column: present, missing, bool-word and number counts, the first offending value with its place (for the
in-memory loader's error messages), numeric moments (up to the third, of the numbers and of their signed log: the
skew rule of `multiclass.skew`) merged by Chan, Golub & LeVeque's parallel update (a batch's terms computed exactly
as ``np.mean`` / ``np.std`` compute them), and exact category counts up to `MAX_DISTINCT`
distinct values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from multiclass.exceptions import DataError
from multiclass.data.columns import NUMERIC_TYPO_FRACTION, category_values, is_code
from multiclass.skew import central_moments, merge_moments, signed_log

__all__ = ["MAX_DISTINCT"]

# Distinct values counted per column: 200,000 short strings are ~30 MB of Counter; a column with more distinct
# values than this is an identifier, and keeping all of them would make memory grow with the file.
MAX_DISTINCT = 200_000


def _first(a, b):
    """The earlier of two ``(location, value)`` records (None = none seen)."""
    return b if a is None or (b is not None and b[0] < a[0]) else a


@dataclass
class _Moments:
    """Count, mean and sums of squared and cubed deviations, merged by Chan, Golub & LeVeque (1979) and Pébay
    (2008) (`multiclass.skew.merge_moments`)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0

    def add(self, values: np.ndarray) -> None:
        if len(values):
            with np.errstate(invalid="ignore", over="ignore"):  # an infinity is reported by its row, later
                self.merge(_Moments(*central_moments(values)))  # as np.mean / np.std compute them

    def merge(self, other: _Moments) -> None:
        with np.errstate(invalid="ignore", over="ignore"):
            self.n, self.mean, self.m2, self.m3 = merge_moments(self.state, other.state)

    @property
    def state(self) -> tuple[int, float, float, float]:
        return self.n, self.mean, self.m2, self.m3


@dataclass
class ColumnScan:
    """What one column's values tell, batch after batch."""

    name: str
    n_present: int = 0
    n_missing: int = 0
    n_bool: int = 0
    n_true: int = 0
    n_number: int = 0
    numeric_dtype: bool = True  # every batch had a numeric (not bool) pandas dtype: Parquet int/float columns
    integer_dtype: bool = True  # every batch had an integer dtype (as `pandas.read_csv` gives whole numbers)
    low: float = np.inf  # smallest and largest number seen (for the row-number test of `data.screening`)
    high: float = -np.inf
    bool_dtype: bool = True  # every batch had pandas' bool dtype
    moments: _Moments = field(default_factory=_Moments)
    log_moments: _Moments = field(default_factory=_Moments)  # of `signed_log` of the numbers (`multiclass.skew`)
    first_text: tuple | None = None  # (location, value) of the first present value that is not a number
    first_inf: tuple | None = None
    categories: Counter | None = field(default_factory=Counter)
    complete: bool = True  # `categories` has counted every present value
    overflow: bool = False

    def update(self, series: pd.Series, shard: int, first_row: int, forced: bool) -> None:
        """Add one batch of the column; `forced` columns (named categorical) always count their categories."""
        missing = series.isna().to_numpy()
        n_present = int(len(series) - missing.sum())
        self.n_missing += len(series) - n_present
        self.n_present += n_present
        is_bool = pd.api.types.is_bool_dtype(series)
        is_numeric = pd.api.types.is_numeric_dtype(series) and not is_bool
        self.bool_dtype &= is_bool
        self.numeric_dtype &= is_numeric
        self.integer_dtype &= is_numeric and pd.api.types.is_integer_dtype(series)
        if n_present == 0:
            return
        if is_bool:
            self.n_bool += n_present
            self.n_true += int(series.to_numpy().sum())
        elif is_numeric:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)  # as columns.numeric_values
            self._numbers(values[~missing], np.flatnonzero(~missing), shard, first_row)
        present = series[~missing]
        if is_numeric and not forced:
            self.complete = False  # not counted: recounted in a second pass if the column ends categorical
            return
        counts = present.value_counts(sort=False, dropna=True)
        uniques = pd.Series(counts.index.to_numpy(dtype=object), dtype=object)  # (U,) distinct values
        n = counts.to_numpy()  # (U,) rows of each
        if not (is_bool or is_numeric):
            self._text(present, missing, uniques, n, shard, first_row)
        self._count(uniques, n)

    def _numbers(self, present: np.ndarray, positions: np.ndarray, shard: int, first_row: int) -> None:
        """Present values (in row order) of a batch that holds only numbers; `positions` are their batch rows."""
        self.n_number += len(present)
        self.moments.add(present)
        with np.errstate(invalid="ignore", over="ignore"):
            self.log_moments.add(signed_log(present))
        if len(present):
            self.low, self.high = min(self.low, float(present.min())), max(self.high, float(present.max()))
        infinite = np.isinf(present)
        if infinite.any() and self.first_inf is None:
            i = int(np.flatnonzero(infinite)[0])
            self.first_inf = ((shard, first_row + int(positions[i])), float(present[i]))

    def _text(self, present, missing, uniques, n, shard: int, first_row: int) -> None:
        """Which values of a text batch are bool words and which are numbers (`columns.infer_column_type`)."""
        words = uniques.astype(str).str.strip().str.lower()
        self.n_bool += int(n[words.isin(("true", "false")).to_numpy()].sum())
        self.n_true += int(n[(words == "true").to_numpy()].sum())
        not_bool = uniques.where(uniques.map(type) != bool)  # True is not the number 1 here
        is_number = pd.to_numeric(not_bool, errors="coerce").notna().to_numpy()
        if is_number.all():  # the batch may belong to a numeric column: its values in row order
            values = pd.to_numeric(present, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            self._numbers(values, np.flatnonzero(~missing), shard, first_row)
            return
        self.n_number += int(n[is_number].sum())
        if self.first_text is None:
            i = int(np.flatnonzero(present.isin(set(uniques[~is_number].tolist())).to_numpy())[0])
            self.first_text = ((shard, first_row + int(np.flatnonzero(~missing)[i])), present.iloc[i])

    def _count(self, uniques: pd.Series, n: np.ndarray) -> None:
        if self.categories is None:
            return
        for key, count in zip(category_values(uniques), n.tolist()):
            self.categories[key] += count
        if len(self.categories) > MAX_DISTINCT:
            self.categories, self.overflow = None, True

    def merge(self, other: ColumnScan) -> None:
        for name in ("n_present", "n_missing", "n_bool", "n_true", "n_number"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.numeric_dtype &= other.numeric_dtype
        self.integer_dtype &= other.integer_dtype
        self.bool_dtype &= other.bool_dtype
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.moments.merge(other.moments)
        self.log_moments.merge(other.log_moments)
        self.first_text = _first(self.first_text, other.first_text)
        self.first_inf = _first(self.first_inf, other.first_inf)
        self.complete &= other.complete
        self.overflow |= other.overflow
        if self.categories is None or other.categories is None:
            self.categories, self.overflow = None, True
        else:
            self.categories.update(other.categories)
            if len(self.categories) > MAX_DISTINCT:
                self.categories, self.overflow = None, True

    @property
    def integer_range(self) -> tuple[int, int] | None:
        """(min, max) of an integer column with no missing value (`data.screening.ColumnFacts`), else None."""
        if not (self.integer_dtype and self.n_missing == 0 and self.n_present):
            return None
        return int(self.low), int(self.high)

    def is_code(self) -> bool:
        """Mostly numbers and some text, with few distinct values (`columns.is_code`, all counted): a code read as
        categories. A column with batches of numbers only is not counted and stays a typo's error."""
        return (0 < self.n_number < self.n_present and self.n_number / self.n_present >= NUMERIC_TYPO_FRACTION
                and self.complete and self.categories is not None and is_code(len(self.categories), self.n_present))

    def kind(self, forced: bool, fmt: str) -> str:
        """`columns.infer_column_type` on the whole column, from the counts."""
        if forced:
            return "categorical"
        if self.bool_dtype and self.n_present:
            return "bool"
        if fmt == "parquet" and self.numeric_dtype:
            return "numeric"
        if self.n_present == 0:
            return "numeric" if fmt == "csv" else "categorical"  # pandas reads an empty CSV column as float NaN
        if self.n_bool == self.n_present:
            return "bool"
        if self.n_number == self.n_present:
            return "numeric"
        if self.is_code():
            return "categorical"
        if self.n_number / self.n_present >= NUMERIC_TYPO_FRACTION:
            (_, row), value = self.first_text
            raise DataError(
                f"column {self.name!r} row {row + 1}: value {value!r} is not numeric (the other values are numbers; "
                "fix it, or name the column in `categorical` to treat it as categories)."
            )
        return "categorical"
