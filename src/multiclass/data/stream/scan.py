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
out categorical is an error (such a column is an identifier, not a feature: ``ignore`` it). The per-column counts
live in `multiclass.data.stream.column_scan`; this module reads the pieces, merges the ranks' counts and decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from multiclass.exceptions import ConfigError, DataError
from multiclass.skew import standardization
from multiclass.data.pixels import apply_pixel_scale, pixel_divisor, pixel_note
from multiclass.data.columns import kept_categories, warn_code
from multiclass.data.preprocessing import is_positive_int
from multiclass.data.screening import (
    ID_FRACTION,
    ColumnFacts,
    counts_distinct,
    left_out_reason,
    no_features_error,
    warn_left_out,
)
from multiclass.data.column_names import available_columns
from multiclass.data.table import TablePreprocessor
from multiclass.data.stream import column_scan
from multiclass.data.stream.column_scan import MAX_DISTINCT, ColumnScan
from multiclass.data.stream.labels import LabelScan, fit_labels, located
from multiclass.data.stream.source import TableSource
from multiclass.data.stream.split import StreamSplit, fit_split

__all__ = ["MAX_DISTINCT", "TableScan", "scan_table"]


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
    notes : dict, default={}
        What the loader decided, as ``Dataset.notes``: ``left_out`` (column -> why, `multiclass.data.screening`),
        ``format`` (a CSV's delimiter, header and decimal mark) and ``pixels`` (`multiclass.data.pixels`).
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
    notes: dict = field(default_factory=dict)

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
        raise DataError(f"{source.path}: target column {target!r} not found; "
                        f"{available_columns(source.columns, target)}.")
    if id_column is not None and id_column not in source.columns:
        raise DataError(f"{source.path}: id column {id_column!r} not found; {available_columns(source.columns)}.")
    for option, names in (("ignore", ignore), ("categorical", categorical)):
        unknown = [n for n in names if n not in source.columns]
        if unknown:
            raise ConfigError(f"`{option}` must name columns of {source.path}; got {unknown[0]!r}. Available "
                              f"columns: {', '.join(repr(c) for c in source.columns)}.")


def _scan_pieces(source, pieces, target, features, categorical, by_piece):
    """This rank's share of the pass: per-piece row counts, column scans, label scan (`by_piece`: per piece too)."""
    columns = {name: ColumnScan(name) for name in features}
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
    scans = {name: ColumnScan(name) for name in names}
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


def _kind(source, scan: ColumnScan, forced: bool) -> str:
    """`ColumnScan.kind`, its typo error located in the shard file as the in-memory loader names the file."""
    try:
        return scan.kind(forced, source.format)
    except DataError as error:
        raise DataError(f"{located(source, scan.first_text[0][0])}: {error}") from None


def _screen(source, pieces, features, categorical, columns, gather) -> tuple[list[str], dict[str, str]]:
    """`multiclass.data.screening.screen_columns` on the scans: (features kept, {name: reason} left out)."""
    n_rows = {name: scan.n_present + scan.n_missing for name, scan in columns.items()}
    candidates = [n for n in features if n not in categorical
                  and counts_distinct(n, n_rows[n], columns[n].integer_range)]
    distinct = {}
    if candidates:  # integers that may identify rows (`counts_distinct`): are they distinct? (counted, for these only)
        recounted = _recount(source, pieces, candidates)
        merged = _merge_all([({}, r, LabelScan()) for r in (gather(recounted) if gather is not None else [recounted])])
        distinct = {n: None if s.categories is None else len(s.categories) for n, s in merged[1].items()}
    kept, left_out = [], {}
    for name in features:
        scan = columns[name]
        reason = None
        if name not in categorical:
            kind = "categorical" if scan.n_present == 0 else _kind(source, scan, False)
            n_distinct = distinct.get(name)
            if kind == "categorical":
                # past MAX_DISTINCT the count stops: an identifier if that already makes ID_FRACTION of the rows
                overflowing = scan.overflow and column_scan.MAX_DISTINCT >= ID_FRACTION * n_rows[name]
                n_distinct = column_scan.MAX_DISTINCT + 1 if overflowing else (
                    None if scan.overflow else len(scan.categories))
            facts = ColumnFacts(n_rows[name], scan.n_present, kind, n_distinct, scan.integer_range, name)
            reason = left_out_reason(facts)
        if reason is None:
            kept.append(name)
        else:
            left_out[name] = reason
    warn_left_out(str(source.path), left_out)
    return kept, left_out


def _fit_columns(source, features, categorical, max_categories, columns) -> TablePreprocessor:
    """`TablePreprocessor.fit` from the column scans."""
    specs, means, scales, fills = [], [], [], []
    for name in features:
        scan = columns[name]
        kind = _kind(source, scan, name in categorical)
        spec = {"name": name, "type": kind, "missing_indicator": scan.n_missing > 0}
        if kind == "categorical":
            if scan.overflow:
                raise DataError(f"{source.path}: column {name!r} has more than {column_scan.MAX_DISTINCT:,} distinct values; "
                                "streaming counts categories exactly up to that many. Leave it out with `ignore` "
                                "(an identifier is not a feature).")
            counts = scan.categories
            if name not in categorical and scan.is_code():
                (shard, row), value = scan.first_text
                warn_code(located(source, shard), name, row + 1, value, len(counts))
            spec["categories"] = kept_categories(counts, max_categories)
        elif scan.first_inf is not None and kind == "numeric":
            (shard, row), value = scan.first_inf
            raise DataError(f"{located(source, shard)}: column {name!r} row {row + 1}: value {value!r} is not finite.")
        elif kind == "numeric":
            log, mean, scale = standardization(scan.moments.state, scan.log_moments.state)
            if log:  # heavy-tailed: on a log scale
                spec["log"] = True
            means.append(mean)
            scales.append(scale)
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
    features, left_out = _screen(source, mine, features, set(categorical), columns, gather)
    if not features:
        raise DataError(f"{source.path}: {no_features_error(left_out)}")
    preprocessor = _fit_columns(source, features, set(categorical), max_categories, columns)
    notes = {"left_out": left_out} if left_out else {}
    if source.format == "csv":
        notes["format"] = source.formats[0].note()  # the first shard's (each shard is sniffed alike)
    kinds = [spec["type"] for spec in preprocessor.specs_]
    divisor = pixel_divisor(kinds, [(columns[n].low, columns[n].high, columns[n].integer_dtype,
                                     columns[n].n_missing > 0) for n in features])
    if divisor is not None:  # as `load_table`: a table of pixels is scaled as images
        apply_pixel_scale(preprocessor, divisor)
        notes["pixels"] = pixel_note(len(features), divisor)
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
                     float(val_fraction), int(seed), split, notes)
