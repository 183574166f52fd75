"""One streaming pass over a table -> the `TablePreprocessor` state and class list `load_table` would fit in memory.

Per column it keeps counts (present, missing, bool words, numbers), the first offending value (for the same error
messages as the in-memory loader), numeric moments and, for columns that may be categorical, exact category
counts; per label, the rows of each distinct value -- and, when rows are held out for validation, per piece too
(for the stratified split, `multiclass.data.stream.split`). Memory is bounded by the number of distinct
categories and labels (times the pieces, for the split), never by the number of rows.

The decisions are `multiclass.data.columns.infer_column_type` and `TablePreprocessor.fit`, replayed on the counts:
bool when every value is a bool (word); numeric when every value is a number (a CSV's all-missing column too:
pandas reads it as float); a typo error when at least 90% are numbers; categorical otherwise. Means and
population stds are merged batch by batch with Chan et al.'s parallel update (float64), the batch terms being
computed exactly as ``np.mean``/``np.std`` compute them -- so a table read in one batch gives bit-identical
statistics, and several batches agree to float64 rounding (relative 1e-15).

Exact category counts need one entry per distinct value: past `MAX_DISTINCT` distinct values a column that turns
out categorical is an error (such a column is an identifier, not a feature: ``ignore`` it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd

from ...exceptions import ConfigError, DataError
from ..columns import _NUMERIC_TYPO_FRACTION, category_values
from ..preprocessing import is_positive_int
from ..table import TablePreprocessor, available_columns
from .labels import LabelScan, fit_labels, located
from .source import TableSource
from .split import StreamSplit, fit_split

__all__ = ["MAX_DISTINCT", "TableScan", "scan_table"]

# Distinct values counted per column: 200,000 short strings are ~30 MB of Counter; a column with more distinct
# values than this is an identifier, and keeping all of them would make memory grow with the file.
MAX_DISTINCT = 200_000


def _first(a, b):
    """The earlier of two ``(location, value)`` records (None = none seen)."""
    return b if a is None or (b is not None and b[0] < a[0]) else a


@dataclass
class _Moments:
    """Count, mean and sum of squared deviations, merged by Chan, Golub & LeVeque (1979)."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, values: np.ndarray) -> None:
        if len(values):
            with np.errstate(invalid="ignore", over="ignore"):  # an infinity is reported by its row, later
                mean = values.mean()  # as np.mean / np.std compute it: pairwise sum / n
                self.merge(_Moments(len(values), float(mean), float(np.sum(np.square(values - mean)))))

    def merge(self, other: _Moments) -> None:
        if other.n == 0:
            return
        if self.n == 0:  # exact copy: one batch gives np.mean / np.std to the bit
            self.n, self.mean, self.m2 = other.n, other.mean, other.m2
            return
        n = self.n + other.n
        with np.errstate(invalid="ignore", over="ignore"):
            delta = other.mean - self.mean
            self.mean += delta * (other.n / n)
            self.m2 += other.m2 + delta * delta * (self.n * other.n / n)
        self.n = n


@dataclass
class _ColumnScan:
    """What one column's values tell, batch after batch."""

    name: str
    n_present: int = 0
    n_missing: int = 0
    n_bool: int = 0
    n_true: int = 0
    n_number: int = 0
    numeric_dtype: bool = True  # every batch had a numeric (not bool) pandas dtype: Parquet int/float columns
    bool_dtype: bool = True  # every batch had pandas' bool dtype
    moments: _Moments = field(default_factory=_Moments)
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

    def merge(self, other: _ColumnScan) -> None:
        for name in ("n_present", "n_missing", "n_bool", "n_true", "n_number"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.numeric_dtype &= other.numeric_dtype
        self.bool_dtype &= other.bool_dtype
        self.moments.merge(other.moments)
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
        if self.n_number / self.n_present >= _NUMERIC_TYPO_FRACTION:
            (_, row), value = self.first_text
            raise DataError(
                f"column {self.name!r} row {row + 1}: value {value!r} is not numeric (the other values are numbers; "
                "fix it, or name the column in `categorical` to treat it as categories)."
            )
        return "categorical"


@dataclass(frozen=True)
class TableScan:
    """What one pass over a streamed table learnt: everything training and the model file need from the data.

    Attributes
    ----------
    preprocessor : TablePreprocessor
        Fitted: the state `load_table` would fit on the same rows (see the module docstring).
    classes : tuple of str
    target_dtype : {"int", "str"}
    label_codes : dict
        Raw label value (as read) -> class code.
    class_counts, train_class_counts : ndarray of int64, shape (n_classes,)
        Rows per class, over all rows and over the rows outside the validation split (exact: the stratified
        split holds out ``clip(round(val_fraction * n_c), 1, n_c - 1)`` rows of class c).
    piece_rows, piece_train_rows : tuple of int
        Rows of each piece of the source (in `TableSource.pieces` order), and those outside the validation split.
    target, id_column : str or None
    val_fraction : float
    seed : int
    split : StreamSplit or None, default=None
        Which rows are held out (the per-piece class counts); None when `val_fraction` is 0. A scan built by
        hand with ``val_fraction=0.0`` needs none (reading ``part="all"`` or ``"train"``).
    """

    preprocessor: TablePreprocessor
    classes: tuple[str, ...]
    target_dtype: str
    label_codes: dict
    class_counts: np.ndarray
    train_class_counts: np.ndarray
    piece_rows: tuple[int, ...]
    piece_train_rows: tuple[int, ...]
    target: str
    id_column: str | None
    val_fraction: float
    seed: int
    split: StreamSplit | None = None

    @property
    def n_rows(self) -> int:
        return int(sum(self.piece_rows))

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_features(self) -> int:
        return len(self.preprocessor.feature_names_)


Gather = Callable[[object], list]  # one rank's object -> every rank's, in rank order (all_gather_object)


def _check_options(source: TableSource, target, id_column, ignore, categorical, max_categories,
                   val_fraction) -> None:
    if not is_positive_int(max_categories):
        raise ConfigError(f"`max_categories` must be an int >= 1; got {max_categories!r}.")
    if isinstance(val_fraction, bool) or not (isinstance(val_fraction, Real) and 0 <= val_fraction < 1):
        raise ConfigError(f"`val_fraction` must be in [0, 1); got {val_fraction!r}.")
    if target is None:
        raise ConfigError(f"`target` must name the label column of {source.path}; got None. Available columns: "
                          f"{', '.join(repr(c) for c in source.columns)}.")
    if target not in source.columns:
        raise DataError(f"{source.path}: target column {target!r} not found; {available_columns(source.columns)}.")
    if id_column is not None and id_column not in source.columns:
        raise DataError(f"{source.path}: id column {id_column!r} not found; {available_columns(source.columns)}.")
    for option, names in (("ignore", ignore), ("categorical", categorical)):
        unknown = [n for n in names if n not in source.columns]
        if unknown:
            raise ConfigError(f"`{option}` must name columns of {source.path}; got {unknown[0]!r}. Available "
                              f"columns: {', '.join(repr(c) for c in source.columns)}.")


def _scan_pieces(source, pieces, target, features, categorical, by_piece):
    """This rank's share of the pass: per-piece row counts, column scans, label scan (`by_piece`: per piece too)."""
    columns = {name: _ColumnScan(name) for name in features}
    labels = LabelScan(by_piece=by_piece)
    rows: dict[int, int] = {}
    read = [target, *features]
    for index, piece in pieces:
        n = 0
        for frame in source.frames(piece, read, numeric=features):
            start = piece.first_row + n
            labels.update(frame[target], piece.shard, start)
            for name in features:
                columns[name].update(frame[name], piece.shard, start, name in categorical)
            n += len(frame)
        labels.end_piece(index)
        rows[index] = n
    return rows, columns, labels


def _recount(source, pieces, names) -> dict[str, Counter]:
    """Exact category counts of `names`, read again as text (columns whose first pass could not count them)."""
    scans = {name: _ColumnScan(name) for name in names}
    for _, piece in pieces:
        for frame in source.frames(piece, list(names)):
            for name in names:
                scans[name].update(frame[name].astype(object), piece.shard, 0, True)
    return {name: scan for name, scan in scans.items()}


def _merge_all(parts: list) -> tuple:
    rows, columns, labels = {}, None, None
    for part_rows, part_columns, part_labels in parts:
        rows.update(part_rows)
        if columns is None:
            columns, labels = part_columns, part_labels
            continue
        for name, scan in part_columns.items():
            columns[name].merge(scan)
        labels.merge(part_labels)
    return rows, columns, labels


def _fit_columns(source, features, categorical, max_categories, columns) -> TablePreprocessor:
    """`TablePreprocessor.fit` from the column scans."""
    specs, means, scales, fills = [], [], [], []
    for name in features:
        scan = columns[name]
        try:
            kind = scan.kind(name in categorical, source.format)
        except DataError as error:
            raise DataError(f"{located(source, scan.first_text[0][0])}: {error}") from None
        spec = {"name": name, "type": kind, "missing_indicator": scan.n_missing > 0}
        if kind == "categorical":
            if scan.overflow:
                raise DataError(f"{source.path}: column {name!r} has more than {MAX_DISTINCT:,} distinct values; "
                                "streaming counts categories exactly up to that many. Leave it out with `ignore` "
                                "(an identifier is not a feature).")
            counts = scan.categories
            kept = sorted(counts, key=lambda c: (-counts[c], c))[:max_categories]
            spec["categories"] = sorted(kept)
        elif scan.first_inf is not None and kind == "numeric":
            (shard, row), value = scan.first_inf
            raise DataError(f"{located(source, shard)}: column {name!r} row {row + 1}: value {value!r} is not finite.")
        elif scan.n_present == 0:
            raise DataError(f"{source.path}: column {name!r}: every value is missing; drop it with `ignore`.")
        elif kind == "numeric":
            std = np.sqrt(scan.moments.m2 / scan.moments.n)  # population std, as np.std
            means.append(scan.moments.mean)
            scales.append(std if std > 0 else 1.0)  # a constant column maps to 0, not NaN
        else:
            fills.append(scan.n_true / scan.n_present)  # the mean of 0/1 values
        specs.append(spec)
    arrays = {"mean": np.array(means, dtype=np.float64), "scale": np.array(scales, dtype=np.float64),
              "bool_fill": np.array(fills, dtype=np.float64)}
    return TablePreprocessor.from_state({"columns": specs, "max_categories": int(max_categories)}, arrays)


def scan_table(source: TableSource, *, target: str | None, id_column: str | None = None, ignore: Sequence[str] = (),
               categorical: Sequence[str] = (), max_categories: int = 1000, val_fraction: float = 0.0,
               seed: int = 0, rank: int = 0, world_size: int = 1, gather: Gather | None = None) -> TableScan:
    """Read `source` once and fit what `load_table` fits: the preprocessor (on every row) and the classes.

    Parameters
    ----------
    source : TableSource
    target, id_column, ignore, categorical, max_categories
        As in `multiclass.data.load_table`.
    val_fraction : float in [0, 1), default=0.0
        Fraction of each class held out for validation, stratified as `stratified_split` (see
        `multiclass.data.stream.split`); the rows of each class in each piece are counted for it.
    seed : int, default=0
        Seed of the validation split.
    rank, world_size : int
        This process reads pieces ``rank, rank + world_size, ...``; with `gather` (all_gather_object) the
        partial scans of every rank are merged in rank order, so every rank returns the same result.

    Raises
    ------
    DataError, ConfigError
        As `load_table` would, with the same messages (a row is located in its shard file); with `val_fraction`,
        a class of 1 row, as `stratified_split` (prefixed by the path).
    """
    _check_options(source, target, id_column, ignore, categorical, max_categories, val_fraction)
    excluded = {target, id_column, *ignore}
    features = [c for c in source.columns if c not in excluded]
    if not features:
        raise DataError(f"{source.path}: there are no feature columns left to learn from.")
    mine = [(i, p) for i, p in enumerate(source.pieces) if i % world_size == rank]
    part = _scan_pieces(source, mine, target, features, set(categorical), val_fraction > 0)
    rows, columns, labels = _merge_all(gather(part) if gather is not None else [part])
    if sum(rows.values()) == 0:
        raise DataError(f"{source.path}: the table has no data rows.")
    classes, target_dtype, label_codes, counts = fit_labels(source, target, labels)
    again = [n for n in features if not columns[n].complete and not columns[n].overflow
             and columns[n].kind(n in categorical, source.format) == "categorical"]
    if again:  # rare: a CSV column whose first batches were all numbers and later ones text
        recounted = _recount(source, mine, again)
        for name, scan in _merge_all([({}, r, LabelScan()) for r in
                                      (gather(recounted) if gather is not None else [recounted])])[1].items():
            columns[name].categories, columns[name].overflow = scan.categories, scan.overflow
    preprocessor = _fit_columns(source, features, set(categorical), max_categories, columns)
    piece_rows = np.array([rows[i] for i in range(len(source.pieces))], dtype=np.int64)
    split, held = None, np.zeros_like(piece_rows)
    if val_fraction > 0:  # after the column checks, as `stratified_split` runs after `load_table`
        try:
            split, held = fit_split(*labels.piece_counts(label_codes), n_pieces=len(piece_rows), class_counts=counts,
                                    fraction=val_fraction, seed=seed, classes=classes)
        except DataError as error:
            raise DataError(f"{source.path}: {error}") from None
    train = counts - split.n_val if split is not None else counts.copy()
    return TableScan(preprocessor, tuple(classes), target_dtype, label_codes, counts, train,
                     tuple(piece_rows.tolist()), tuple((piece_rows - held).tolist()), target, id_column,
                     float(val_fraction), int(seed), split)
