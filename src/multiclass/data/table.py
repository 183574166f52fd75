"""Tables (CSV, TSV, Parquet) -> `Dataset`: typed columns, standardization, one-hot encoding and imputation.

Column types are decided on the training data and stored, so prediction files are read the same way:
- *numeric* (int/float columns): standardized with the training mean and population std (std 0 -> 1); a
  heavy-tailed column on a log scale first, ``sign(x) ln(1 + |x|)`` (`multiclass.skew`: spec ``"log": true``);
- *bool* (``True``/``False`` values): 0/1, not standardized;
- *categorical* (anything else, or named in ``categorical=``): one-hot over the training categories (sorted; the
  ``max_categories`` most frequent kept; in a column of more than 30, those seen once left out:
  `multiclass.data.columns.kept_categories`) plus an ``<unknown>`` column for the categories left out and, at
  prediction time, those never seen in training.
Missing values: numeric/bool columns are imputed with the training mean, and a column that had missing values in
training gets a 0/1 indicator column ``name=<missing>``; a categorical column with missing values in training gets
a ``name=<missing>`` category (missing values in other columns at prediction time go to ``<unknown>``).
Rows in messages are 1-based data rows (the header is not counted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from multiclass.exceptions import ConfigError, DataError, ModelFileError
from multiclass.savedstate import is_table_column_spec
from multiclass.skew import central_moments, signed_log, standardization
from multiclass.data.columns import (bool_values, category_values, infer_column_type, kept_categories, numeric_values,
                                     warn_codes)
from multiclass.data.table_format import format_load_options, given_formats
from multiclass.data.column_names import available_columns, check_listed, columns_listing
from multiclass.data.table_io import read_table
from multiclass.data.dataset import Dataset
from multiclass.data.labels import encode_labels, errors_about, fit_classes, labelled_rows
from multiclass.data.pixels import apply_pixel_scale, column_stats, pixel_divisor, pixel_note
from multiclass.data.screening import screen_columns
from multiclass.data.preprocessing import (
    Preprocessor,
    SavedState,
    is_positive_int,
    register_preprocessor,
)

__all__ = ["TablePreprocessor", "load_table", "read_table"]

MISSING, UNKNOWN = "<missing>", "<unknown>"


@register_preprocessor
class TablePreprocessor(Preprocessor):
    """Typed columns of a DataFrame -> standardized numbers, 0/1 booleans, one-hot categories, missing indicators.

    Parameters
    ----------
    columns : sequence of str, optional
        Feature columns, in output order; default every column of the training frame.
    categorical : sequence of str, default=()
        Columns to treat as categorical whatever their values look like.
    max_categories : int, default=1000
        Most frequent categories kept per column (ties by name); rarer ones share the ``<unknown>`` column.
        Bounds the width of the dense float32 output.
    """

    kind = "table"

    def __init__(
        self, columns: Sequence[str] | None = None, categorical: Sequence[str] = (), max_categories: int = 1000
    ):
        self.columns = columns
        self.categorical = categorical
        self.max_categories = max_categories
        self.specs_: list[dict[str, Any]] | None = None

    def fit(self, raw: pd.DataFrame) -> TablePreprocessor:
        """Decide each column's type and learn means, stds, categories and which columns had missing values."""
        if not is_positive_int(self.max_categories):
            raise ConfigError(f"`max_categories` must be an int >= 1; got {self.max_categories!r}.")
        columns = list(raw.columns) if self.columns is None else list(self.columns)
        if not columns:
            raise DataError("there are no feature columns left to learn from.")
        self._check_columns(raw, columns)
        specs, means, scales, fills = [], [], [], []
        for name in columns:
            series = raw[name]
            kind = "categorical" if name in self.categorical else infer_column_type(series, name)
            spec: dict[str, Any] = {"name": name, "type": kind, "missing_indicator": bool(series.isna().any())}
            if kind == "categorical":
                counts = Counter(v for v in category_values(series) if v is not None)
                spec["categories"] = kept_categories(counts, self.max_categories)
            else:
                values = numeric_values(series, name) if kind == "numeric" else bool_values(series, name)
                present = values[~np.isnan(values)]
                if present.size == 0:
                    raise DataError(f"column {name!r}: every value is missing; drop it with `ignore`.")
                if kind == "numeric":
                    with np.errstate(invalid="ignore", over="ignore"):
                        log, mean, scale = standardization(central_moments(present),
                                                           central_moments(signed_log(present)))
                    if log:  # heavy-tailed: on a log scale
                        spec["log"] = True
                    means.append(mean)
                    scales.append(scale)
                else:
                    fills.append(present.mean())
            specs.append(spec)
        self.specs_ = specs
        self.mean_ = np.array(means, dtype=np.float64)
        self.scale_ = np.array(scales, dtype=np.float64)
        self.bool_fill_ = np.array(fills, dtype=np.float64)
        return self

    @staticmethod
    def _check_columns(raw: pd.DataFrame, columns: Sequence[str]) -> None:
        missing = [c for c in columns if c not in raw.columns]
        if missing:
            raise DataError(
                f"missing column {missing[0]!r} needed by the model; "
                f"the data has columns: {columns_listing(raw.columns)}."
            )

    def transform(self, raw: pd.DataFrame) -> np.ndarray:
        """Encode the model's columns of ``raw`` (found by name: order and extra columns do not matter)."""
        self._check_fitted("specs_")
        self._check_columns(raw, [s["name"] for s in self.specs_])
        blocks: list[np.ndarray] = []  # each (N, width) float64
        numeric = boolean = 0
        for spec in self.specs_:
            name, series = spec["name"], raw[spec["name"]]
            if spec["type"] == "categorical":
                blocks.append(self._one_hot(spec, category_values(series)))
                continue
            if spec["type"] == "numeric":
                values = numeric_values(series, name)
                if spec.get("log"):
                    values = signed_log(values)
                values = (values - self.mean_[numeric]) / self.scale_[numeric]
                fill, numeric = 0.0, numeric + 1  # the mean, standardized
            else:
                values = bool_values(series, name)
                fill, boolean = self.bool_fill_[boolean], boolean + 1
            missing = np.isnan(values)
            columns = [np.where(missing, fill, values)]
            if spec["missing_indicator"]:
                columns.append(missing.astype(np.float64))
            blocks.append(np.stack(columns, axis=1))
        X = np.concatenate(blocks, axis=1)  # (N, n_features)
        return np.ascontiguousarray(X.astype(np.float32))

    @staticmethod
    def _one_hot(spec: Mapping[str, Any], values: list[str | None]) -> np.ndarray:
        categories = list(spec["categories"]) + ([MISSING] if spec["missing_indicator"] else [])
        index = {c: i for i, c in enumerate(categories)}
        unknown = len(categories)  # the last column
        codes = [index.get(MISSING if v is None else v, unknown) for v in values]
        block = np.zeros((len(values), unknown + 1))
        block[np.arange(len(values)), codes] = 1.0
        return block

    @property
    def feature_names_(self) -> tuple[str, ...]:
        self._check_fitted("specs_")
        names: list[str] = []
        for spec in self.specs_:
            name = spec["name"]
            if spec["type"] == "categorical":
                names += [f"{name}={c}" for c in spec["categories"]]
                names += [f"{name}={MISSING}"] * spec["missing_indicator"] + [f"{name}={UNKNOWN}"]
            else:
                names += [name] + [f"{name}={MISSING}"] * spec["missing_indicator"]
        return tuple(names)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``params = {"columns": [{"name", "type", "missing_indicator"[, "categories"]}, ...], "max_categories"}``;
        ``arrays = {"mean", "scale"}`` (one per numeric column) and ``{"bool_fill"}`` (one per bool column)."""
        self._check_fitted("specs_")
        params = {"columns": [dict(s) for s in self.specs_], "max_categories": int(self.max_categories)}
        return params, {"mean": self.mean_.copy(), "scale": self.scale_.copy(), "bool_fill": self.bool_fill_.copy()}

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> TablePreprocessor:
        saved = SavedState(
            cls.kind,
            params,
            arrays,
            param_names=("columns", "max_categories"),
            array_names=("mean", "scale", "bool_fill"),
        )
        max_categories = saved.param("max_categories", is_positive_int, "an int >= 1")
        specs = saved.param("columns", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list of column specs")
        for spec in specs:
            if not is_table_column_spec(spec):
                raise ModelFileError(
                    "preprocessor 'table': column spec must be {name, type, missing_indicator[, categories][, log]}; "
                    f"got {spec!r}."
                )
        n_numeric = sum(s["type"] == "numeric" for s in specs)
        n_bool = sum(s["type"] == "bool" for s in specs)
        pre = cls([s["name"] for s in specs], [s["name"] for s in specs if s["type"] == "categorical"], max_categories)
        pre.specs_ = [dict(s) for s in specs]
        pre.mean_, pre.scale_ = saved.array("mean", (n_numeric,)), saved.array("scale", (n_numeric,))
        pre.bool_fill_ = saved.array("bool_fill", (n_bool,))
        return pre


# --- the loader ---------------------------------------------------------------------------------------------


def load_table(
    path: str | Path,
    *,
    target: str | None = None,
    id_column: str | None = None,
    ignore: Sequence[str] = (),
    categorical: Sequence[str] = (),
    max_categories: int = 1000,
    sep: str | None = None,
    header: bool | None = None,
    names: Sequence[str] | None = None,
    preprocessor: TablePreprocessor | None = None,
    classes: Sequence[str] = (),
    target_dtype: str = "str",
    na_values: Sequence[str] | None = None,
) -> Dataset:
    """Load a CSV/TSV/Parquet table as a `Dataset`, fitting a `TablePreprocessor` unless one is given.

    Before fitting, columns that are entirely missing or look like row identifiers are left out with a
    `DataWarning` (`multiclass.data.screening`; ``Dataset.notes["left_out"]``). A table of pixel columns
    (`multiclass.data.pixels`: 64+ columns, a square number, 8-bit grey levels or values in [0, 1]) is scaled as
    images are, /255, not standardised per column (``Dataset.notes["pixels"]``, ``Dataset.image_shape``).

    Parameters
    ----------
    path : str or Path
        The table file.
    target : str
        The label column (required for training; optional at prediction: if the file has it, ``y`` is filled).
    id_column : str, optional
        A column carried through to predictions as ``ids`` (never a feature).
    ignore : sequence of str, default=()
        Columns that are not features (training only).
    categorical : sequence of str, default=()
        Columns forced to categorical (training only).
    max_categories : int, default=1000
        See `TablePreprocessor`.
    sep, header, names : optional
        How a delimited text file is written: delimiter (one character or ``"whitespace"``), whether the first
        line holds the names, the column names to use. Read off the file when not given
        (`multiclass.data.table_format`); given ones are kept in ``load_options`` for prediction.
    preprocessor : TablePreprocessor, optional
        A fitted preprocessor: prediction mode (no fitting; ``classes`` encode the labels if present).
    classes, target_dtype
        The training classes and label dtype, used in prediction mode.
    na_values : sequence of str, optional
        The only texts (with the empty cell) that mean a missing value, instead of pandas' list: ``[""]`` keeps a
        class named ``NA``. Kept in ``load_options``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Unreadable file, missing target/required column, bad values (naming file, column and row).
    ConfigError
        Options naming columns the file lacks, or training-only options in prediction mode.
    """
    path = Path(path)
    fitting = preprocessor is None
    if not (fitting or isinstance(preprocessor, TablePreprocessor)):
        raise ConfigError(f"`preprocessor` must be a TablePreprocessor; got {type(preprocessor).__name__}.")
    if not fitting and (ignore or categorical):
        raise ConfigError(
            "`ignore` and `categorical` apply only when fitting; the preprocessor already knows its columns."
        )
    text_columns = list(categorical) + ([id_column] if id_column else [])
    if not fitting:
        text_columns += [s["name"] for s in preprocessor.specs_ if s["type"] == "categorical"]
    formats = given_formats({"sep": sep, "header": header, "names": names})
    frame = read_table(path, string_columns=text_columns, na_values=na_values, label_column=target, **formats)
    with errors_about(str(path)):
        if fitting:
            if target is None:
                raise ConfigError(
                    f"`target` must name the label column of {path}; got None. Available columns: "
                    f"{columns_listing(frame.columns)}."
                )
            if target not in frame.columns:
                raise DataError(f"target column {target!r} not found; {available_columns(frame.columns, target)}.")
            check_listed("ignore", ignore, frame.columns, path)
            check_listed("categorical", categorical, frame.columns, path)
        if id_column is not None and fitting and id_column not in frame.columns:
            raise DataError(f"id column {id_column!r} not found; {available_columns(frame.columns)}.")
        y, left_out, divisor = None, {}, None
        if target is not None and target in frame.columns:
            kept = labelled_rows(frame[target].to_numpy(), source=str(path), column=target,
                                 purpose="training" if fitting else "the evaluation")
            frame = frame if kept is None else frame.loc[kept].reset_index(drop=True)
        if fitting:
            classes, target_dtype, y = fit_classes(frame[target].to_numpy(), where=f"column {target!r}")
            excluded = {target, id_column, *ignore}
            features, left_out = screen_columns(
                frame, [c for c in frame.columns if c not in excluded], keep=categorical, where=str(path)
            )
            preprocessor = TablePreprocessor(features, categorical, max_categories)
            preprocessor.fit(frame)
            warn_codes(str(path), frame, preprocessor.specs_, categorical)
            kinds = [spec["type"] for spec in preprocessor.specs_]
            if set(kinds) == {"numeric"}:
                divisor = pixel_divisor(kinds, [column_stats(frame[name]) for name in features])
            if divisor is not None:  # a table of pixels: scaled as the same images from a folder
                apply_pixel_scale(preprocessor, divisor)
        elif target is not None and target in frame.columns and frame[target].notna().any():
            y = encode_labels(frame[target].to_numpy(), classes, where=f"column {target!r}")
        X = preprocessor.transform(frame)
    ids = frame[id_column].to_numpy() if id_column is not None and id_column in frame.columns else None
    options = {k: v for k, v in (("target", target), ("id_column", id_column)) if v is not None}
    options.update(format_load_options(formats))
    if na_values is not None:
        options["na_values"] = sorted({"", *na_values})
    notes = {"left_out": left_out} if left_out else {}
    image_shape = None
    if fitting and divisor is not None:
        notes["pixels"] = pixel_note(len(features), divisor)
        image_shape = tuple(notes["pixels"]["image_shape"])
    if "format" in frame.attrs:
        notes["format"] = frame.attrs["format"]
    return Dataset(
        X,
        y,
        tuple(classes),
        preprocessor.feature_names_,
        str(path),
        "table",
        preprocessor,
        ids=ids,
        image_shape=image_shape,
        target_dtype=target_dtype,
        load_options=options,
        notes=notes,
    )
