"""What a training run is about to learn from, before it starts: rows, columns by type, what was left out or encoded
and how wide, class counts with the rare ones named, and the loader's pixel, text and format decisions.

`summarize_dataset` returns a JSON-able dict (for a model file or a report); `summary_lines` says it in a few
lines for a terminal. Both read only the `Dataset` (its preprocessor and ``notes``): nothing is recomputed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from multiclass.data.dataset import Dataset

__all__ = ["RARE_ROWS", "summarize_dataset", "summary_lines"]

RARE_ROWS = 10  # a class with fewer rows than this is named as rare: its scores rest on a handful of examples
_NAMED = 10  # names listed in a line before "and N more"


def _columns(dataset: Dataset) -> dict[str, Any] | None:
    """The table preprocessor's columns by type, with the width each one takes in ``X``."""
    if dataset.preprocessor.kind != "table":
        return None
    specs = dataset.preprocessor.specs_
    by_type: dict[str, Any] = {"numeric": [], "bool": [], "categorical": {}}
    for spec in specs:
        if spec["type"] == "categorical":
            # one column per kept category, one for <missing> if training had gaps, one for <unknown>
            by_type["categorical"][spec["name"]] = len(spec["categories"]) + spec["missing_indicator"] + 1
        else:
            by_type[spec["type"]].append(spec["name"])
    by_type["with_missing"] = [s["name"] for s in specs if s["missing_indicator"]]
    return by_type


def _classes(dataset: Dataset) -> dict[str, Any]:
    counts = np.bincount(dataset.y, minlength=dataset.n_classes) if dataset.y is not None else None
    summary: dict[str, Any] = {"count": dataset.n_classes}
    if counts is not None:
        summary["rows"] = {name: int(n) for name, n in zip(dataset.classes, counts)}
        summary["rare"] = [name for name, n in zip(dataset.classes, counts) if n < RARE_ROWS]
        summary["single"] = [name for name, n in zip(dataset.classes, counts) if n == 1]
        summary["imbalance_ratio"] = float(counts.max() / max(counts.min(), 1))
    return summary


def summarize_dataset(dataset: Dataset) -> dict[str, Any]:
    """A JSON-able summary of `dataset` as training will see it.

    Returns
    -------
    dict
        ``source``, ``kind``, ``rows``, ``features`` (the width of ``X``), ``sparse``; ``columns`` for a table
        (``numeric`` and ``bool`` names, ``categorical`` name -> one-hot width, ``with_missing`` names);
        ``classes`` (``count``, and for labelled data ``rows`` per class, ``rare`` (fewer than `RARE_ROWS`),
        ``single`` (1 row: not validated) and ``imbalance_ratio``); the loader's decisions ``left_out``,
        ``format``, ``pixels``, ``text`` where it made them; ``image_shape`` for pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from multiclass.data import ScalePreprocessor
    >>> X = np.zeros((3, 4), dtype=np.float32)
    >>> ds = Dataset(X, np.array([0, 0, 1]), ("a", "b"), ("p", "q", "r", "s"), "x.npz", "npz",
    ...              ScalePreprocessor().fit(X))
    >>> summarize_dataset(ds)["classes"]["rare"]
    ['a', 'b']
    """
    summary: dict[str, Any] = {
        "source": dataset.source,
        "kind": dataset.kind,
        "rows": dataset.n_samples,
        "features": dataset.n_features,
        "sparse": dataset.is_sparse,
    }
    columns = _columns(dataset)
    if columns is not None:
        summary["columns"] = columns
    summary["classes"] = _classes(dataset)
    for key in ("left_out", "format", "pixels", "text"):
        if key in dataset.notes:
            summary[key] = dataset.notes[key]
    if dataset.image_shape is not None:
        summary["image_shape"] = list(dataset.image_shape)
    return summary


def _named(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_NAMED])
    return shown + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The summary as a few lines of text (what a CLI prints before training).

    Examples
    --------
    >>> summary_lines({"source": "t.csv", "kind": "table", "rows": 10, "features": 3, "sparse": False,
    ...                "classes": {"count": 2, "rare": ["b"], "single": []}})
    ['t.csv: 10 rows, 3 features (table), 2 classes', "rare classes (< 10 rows): 'b'"]
    """
    classes = summary["classes"]
    lines = [f"{summary['source']}: {summary['rows']:,} rows, {summary['features']:,} features "
             f"({summary['kind']}{', sparse' if summary['sparse'] else ''}), {classes['count']} classes"]
    columns = summary.get("columns")
    if columns is not None:
        parts = [f"{len(columns['numeric'])} numeric", f"{len(columns['bool'])} bool"]
        if columns["categorical"]:
            widths = ", ".join(f"{name} -> {width}" for name, width in list(columns["categorical"].items())[:_NAMED])
            parts.append(f"{len(columns['categorical'])} categorical one-hot encoded ({widths})")
        lines.append("columns: " + ", ".join(parts))
    for name, reason in summary.get("left_out", {}).items():
        lines.append(f"left out: {name!r} ({reason})")
    if "format" in summary:
        fmt = summary["format"]
        lines.append(f"read with delimiter {fmt['sep']!r}, {'a' if fmt['header'] else 'no'} header line, "
                     f"decimal mark {fmt['decimal']!r}")
    if "pixels" in summary:
        pixels = summary["pixels"]
        lines.append(f"pixels: {pixels['columns']} columns scaled /{pixels['divisor']:g} as images "
                     f"({'x'.join(map(str, pixels['image_shape'][:2]))}), not standardised")
    if "text" in summary:
        text = summary["text"]
        lines.append(f"text: TF-IDF of {text['vocabulary']:,} terms, n-grams {tuple(text['ngram_range'])}, "
                     f"min_df {text['min_df']}, {'sublinear' if text['sublinear_tf'] else 'raw'} tf")
    if classes.get("rare"):
        lines.append(f"rare classes (< {RARE_ROWS} rows): {_named(classes['rare'])}")
    return lines
