"""Which reader a source needs, and reading it: `load_dataset` for training (fits the source's preprocessor),
`load_for_prediction` for new data read through a fitted one (so a saved model turns the same input into
byte-identical features). Every reader returns a `Dataset`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from multiclass.exceptions import ConfigError, DataError
from multiclass.data.builtin import load_builtin
from multiclass.data.dataset import KINDS, Dataset
from multiclass.data.free_text import read_free_text
from multiclass.data.idx import is_idx_file, load_idx
from multiclass.data.images import load_images
from multiclass.data.names import check_source, is_builtin
from multiclass.data.npz import ZIP_MAGIC, load_npz
from multiclass.data.preprocessing import (
    Preprocessor,
)
from multiclass.data.table import load_table
from multiclass.data.table_format import has_table_extension, looks_like_table
from multiclass.data.text import load_text
from multiclass.data.text_folder import is_text_file, is_text_folder

_PARQUET_MAGIC = b"PAR1"
# Formats a user may hand over that no reader takes, by extension: said outright, with what to do (an .xlsx is a
# zip file, and its magic bytes alone made it an npz: "`--target` does not apply to npz data").
_NOT_READ = {".xlsx", ".xlsm", ".xls", ".ods", ".json", ".jsonl", ".feather", ".arrow", ".h5", ".hdf5", ".sav",
             ".dta", ".sas7bdat", ".rds", ".rda", ".rdata", ".pkl", ".pickle"}
_LOADERS: dict[str, Callable[..., Dataset]] = {
    "table": load_table,
    "text": load_text,
    "idx": load_idx,
    "npz": load_npz,
    "images": load_images,
    "builtin": load_builtin,
}
# Which raw data each preprocessor kind reads (a model trained on MNIST can predict an IDX or npz file).
_READS = {
    "table": ("table",),
    "tfidf": ("text", "table"),
    "image": ("images",),
    "scale": ("idx", "npz", "builtin"),
    "standardize": ("idx", "npz", "builtin"),
}
# Options that only make sense when fitting (the fitted preprocessor already holds them).
_FIT_ONLY = {
    "ignore",
    "categorical",
    "max_categories",
    "ngram_range",
    "min_df",
    "max_df",
    "max_features",
    "size",
    "mode",
    "sublinear_tf",
}
_MODE_ARGS = {"path", "images", "root", "name", "preprocessor", "classes", "target_dtype", "with_labels"}

def detect_kind(path_or_name: str | Path) -> str:
    """Which reader a path or name needs: a built-in name, a folder (text files or images, by their content), or
    by extension, then by magic bytes, then by content (a text file whose lines split into one same number of
    fields is a table).

    Raises
    ------
    DataError
        If the path does not exist (and is not a built-in name) or its format cannot be recognised.
    """
    path = Path(path_or_name)
    if is_builtin(path_or_name):
        return "builtin"
    check_source(path)
    if path.is_dir():  # class sub-folders of documents or of images, told apart by the files' content
        return "text" if is_text_folder(path) else "images"
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".xz", ".zip", ".zst")]
    if suffixes and suffixes[-1] in _NOT_READ:
        raise DataError(f"{path}: multiclass does not read {suffixes[-1]} files (spreadsheets, JSON, pickles...); "
                        "save the data as CSV (or Parquet) and pass that file.")
    if suffixes and suffixes[-1] == ".npz":
        return "npz"
    if has_table_extension(path):
        return "table"
    if is_idx_file(path):
        return "idx"
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head == ZIP_MAGIC:
        return "npz"
    if head == _PARQUET_MAGIC:
        return "table"
    if is_text_file(path) and looks_like_table(path):  # UCI's .data, .dat, a table without an extension
        return "table"
    raise DataError(
        f"{path}: cannot tell the format from the name or the first bytes; pass `kind` ({', '.join(KINDS)})."
    )

def _call(kind: str, source: str | Path, options: dict[str, Any], **mode: Any) -> Dataset:
    loader = _LOADERS[kind]
    allowed = [p for p in inspect.signature(loader).parameters if p not in _MODE_ARGS]
    if mode.get("preprocessor") is not None:
        allowed = [p for p in allowed if p not in _FIT_ONLY]
    for option in options:
        if option not in allowed:
            raise ConfigError(
                f"`{option}` does not apply to {kind} data ({source}); options for {kind} data: "
                f"{', '.join(allowed) or 'none'}."
            )
    return loader(source, **options, **mode)

def _given(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None and not (isinstance(v, (tuple, list)) and not v)}

def _resolve_kind(path_or_name: str | Path, kind: str | None, options: dict[str, Any]) -> str:
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"`kind` must be one of {', '.join(KINDS)}; got {kind!r}.")
    detected = kind or detect_kind(path_or_name)
    return "text" if detected == "table" and "text_column" in options else detected

def load_dataset(
    path_or_name: str | Path,
    *,
    kind: str | None = None,
    target: str | None = None,
    id_column: str | None = None,
    ignore: Sequence[str] = (),
    categorical: Sequence[str] = (),
    text_column: str | None = None,
    labels: str | Path | None = None,
    split: str | None = None,
    data_dir: str | Path | None = None,
    **options: Any,
) -> Dataset:
    """Load training data from a file, folder or built-in name and fit its preprocessor.

    Parameters
    ----------
    path_or_name : str or Path
        A built-in name (``multiclass datasets``), a folder of class sub-folders of images or of text files
        (`multiclass.data.text_folder`), a ``.npz``, an IDX
        file (gzipped or not; labels found by MNIST naming or ``labels``), or a CSV/TSV/TXT/Parquet table.
    kind : {"table", "text", "idx", "npz", "images", "builtin"}, optional
        Skip detection. A table with ``text_column`` is read as text.
    target, id_column, ignore, categorical
        Table and text options (see `load_table`, `load_text`).
    text_column : str, optional
        The text column: reads the table as TF-IDF text.
    labels : str or Path, optional
        The IDX labels file.
    split, data_dir
        Built-in options (see `load_builtin`).
    **options
        Source-specific options: ``max_categories`` (table), ``ngram_range``, ``min_df``, ``max_df``,
        ``max_features``, ``sublinear_tf``, ``sparse`` (text), ``size``, ``mode`` (images).

    Returns
    -------
    Dataset

    Raises
    ------
    ConfigError
        An option that does not apply to the detected kind (the message lists the ones that do).
    DataError
        The data cannot be read or used; the message names the file (and column/row where it can).
    """
    given = _given(
        {
            "target": target,
            "id_column": id_column,
            "ignore": ignore,
            "categorical": categorical,
            "text_column": text_column,
            "labels": labels,
            "split": split,
            "data_dir": data_dir,
        }
    )
    given.update(options)  # passed explicitly, so kept even when None (max_features=None means no cap)
    forced = kind
    kind = _resolve_kind(path_or_name, kind, given)
    if forced is None and kind == "table":  # a column of sentences is text, not categories
        kind, given = read_free_text(path_or_name, given)
    return _call(kind, path_or_name, given)

def load_for_prediction(
    path_or_name: str | Path,
    preprocessor: Preprocessor,
    *,
    kind: str | None = None,
    classes: Sequence[str] = (),
    target_dtype: str = "str",
    with_labels: bool = True,
    **options: Any,
) -> Dataset:
    """Load new data through a fitted preprocessor (nothing is fitted); labels, when present, fill ``y``.

    Parameters
    ----------
    path_or_name : str or Path
        As in `load_dataset`; a built-in name loads its ``"test"`` split unless ``split`` is given.
    preprocessor : Preprocessor
        The fitted preprocessor, e.g. from `preprocessor_from_state`.
    kind : str, optional
        Skip detection; a table read by a ``"tfidf"`` preprocessor is text.
    classes : sequence of str, default=()
        The training classes; labels in the data are encoded into them (unseen labels are a `DataError`).
    target_dtype : {"str", "int"}, default="str"
        The training labels' dtype, so `Dataset.decode` writes predictions back the same way.
    with_labels : bool, default=True
        False reads features only (prediction): labels in the data, even unseen or missing ones, are ignored.
    **options
        Reader options, typically the training ``Dataset.load_options`` (``target``, ``id_column``,
        ``text_column``), or ``labels``, ``split``, ``data_dir``.

    Raises
    ------
    DataError
        The data does not match the model (wrong kind, missing column, wrong feature count, unseen labels).
    """
    if not isinstance(preprocessor, Preprocessor):
        raise ConfigError(f"`preprocessor` must be a fitted Preprocessor; got {type(preprocessor).__name__}.")
    given = _given(options)
    detected = _resolve_kind(path_or_name, kind, given)
    if detected == "table" and preprocessor.kind == "tfidf":
        detected = "text"
    if detected not in _READS.get(preprocessor.kind, ()):
        raise DataError(
            f"{path_or_name}: is {detected} data, but the model's preprocessor {preprocessor.kind!r} reads "
            f"{' or '.join(_READS.get(preprocessor.kind, ('nothing known',)))} data."
        )
    if detected == "builtin":
        given.setdefault("split", "test")
    mode = {"preprocessor": preprocessor, "classes": tuple(classes), "target_dtype": target_dtype}
    if not with_labels:
        given.pop("target", None)  # tables and text: the label column is simply not read
        if detected in ("images", "npz", "idx"):
            mode["with_labels"] = False
    return _call(detected, path_or_name, given, **mode)