"""Where a text model's documents come from: a column of a table (CSV/TSV/Parquet) or a folder of class
sub-folders of text files -- the texts, their labels and ids, and the load options to keep for prediction.
`multiclass.data.text` turns them into TF-IDF rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from multiclass.exceptions import ConfigError, DataError
from multiclass.data.labels import errors_about, labelled_rows
from multiclass.data.column_names import available_columns
from multiclass.data.table import read_table
from multiclass.data.table_format import format_load_options
from multiclass.data.text_folder import read_text_folder

__all__ = ["read_texts"]


def _texts(series: pd.Series) -> list[str]:
    return ["" if missing else str(v) for v, missing in zip(series.tolist(), series.isna().tolist())]


def read_texts(path: Path, text_column: str, target: str | None, id_column: str | None,
                fitting: bool, formats: dict) -> tuple[list[str], Any, Any, dict[str, str]]:
    """(texts, raw labels or None, ids or None, load options) from a table (read with `formats`: ``sep``,
    ``header``, ``names`` given) or a text folder."""
    if path.is_dir():
        if formats:
            raise ConfigError(f"`{next(iter(formats))}` applies to a table; {path} is a folder of text files.")
        if not (text_column == "text" and id_column is None):
            raise ConfigError(f"`text_column` and `id_column` apply to a table; {path} is a folder of text files.")
        texts, labels, paths = read_text_folder(path)
        if fitting and labels is None:
            raise DataError(f"{path}: no class sub-folders; training needs one folder of text files per class.")
        ids = np.array([p.relative_to(path).as_posix() for p in paths], dtype=object)
        return texts, None if labels is None else np.asarray(labels, dtype=object), ids, {}
    frame = read_table(path, string_columns=[text_column] + ([id_column] if id_column else []), label_column=target,
                       **formats)
    listing = available_columns(frame.columns)
    with errors_about(str(path)):
        for option, name in (("text", text_column), ("target", target), ("id", id_column)):
            if name is not None and name not in frame.columns and (fitting or option == "text"):
                raise DataError(f"{option} column {name!r} not found; {available_columns(frame.columns, name)}.")
        if fitting and target is None:
            raise ConfigError(f"`target` must name the label column of {path}; got None. A{listing[1:]}.")
    labels = None
    if target is not None and target in frame.columns and (fitting or frame[target].notna().any()):
        kept = labelled_rows(frame[target].to_numpy(), source=str(path), column=target,
                             purpose="training" if fitting else "the evaluation")
        frame = frame if kept is None else frame.loc[kept].reset_index(drop=True)
        labels = frame[target].to_numpy()
    ids = frame[id_column].to_numpy() if id_column is not None and id_column in frame.columns else None
    options = {
        k: v for k, v in (("text_column", text_column), ("target", target), ("id_column", id_column)) if v is not None
    }
    options.update(format_load_options(formats))
    return _texts(frame[text_column]), labels, ids, options
