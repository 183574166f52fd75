"""What a training run is about to learn from, before it starts: rows, columns by type, what was left out or encoded
and how wide, class counts with the rare ones named, and the loader's pixel, text and format decisions.

`summarize_dataset` returns a JSON-able dict (for a model file or a report), `summarize_scan` the same dict for a
streamed table from its one pass; `summary_lines` says it in a few lines for a terminal. They read only the
`Dataset` or the scan (its preprocessor, class counts and ``notes``): nothing is recomputed.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from multiclass.data.csv_checks import TextCode
from multiclass.data.dataset import Dataset
from multiclass.data.screening import ROW_INDEX_REASON

__all__ = ["RARE_ROWS", "summarize_dataset", "summarize_scan", "summary_lines"]

RARE_ROWS = 10  # a class with fewer rows than this is named as rare: its scores rest on a handful of examples
_NAMED = 10  # names listed in a line before "and N more"


def _columns(preprocessor) -> dict[str, Any] | None:
    """A table preprocessor's columns by type, with the width each one takes in ``X``."""
    if preprocessor.kind != "table":
        return None
    specs = preprocessor.specs_
    by_type: dict[str, Any] = {"numeric": [], "bool": [], "categorical": {}}
    for spec in specs:
        if spec["type"] == "categorical":
            # one column per kept category, one for <missing> if training had gaps, one for <unknown>
            by_type["categorical"][spec["name"]] = len(spec["categories"]) + spec["missing_indicator"] + 1
        else:
            by_type[spec["type"]].append(spec["name"])
    by_type["with_missing"] = [s["name"] for s in specs if s["missing_indicator"]]
    by_type["log_scale"] = [s["name"] for s in specs if s.get("log")]
    return by_type


def _classes(classes, counts: np.ndarray | None) -> dict[str, Any]:
    summary: dict[str, Any] = {"count": len(classes)}
    if counts is not None:
        summary["rows"] = {name: int(n) for name, n in zip(classes, counts)}
        summary["rare"] = [name for name, n in zip(classes, counts) if n < RARE_ROWS]
        summary["single"] = [name for name, n in zip(classes, counts) if n == 1]
        summary["imbalance_ratio"] = float(counts.max() / max(counts.min(), 1))
    return summary


def summarize_dataset(dataset: Dataset) -> dict[str, Any]:
    """A JSON-able summary of `dataset` as training will see it.

    Returns
    -------
    dict
        ``source``, ``kind``, ``rows``, ``features`` (the width of ``X``), ``sparse``; ``columns`` for a table
        (``numeric`` and ``bool`` names, ``categorical`` name -> one-hot width, ``with_missing`` names,
        ``log_scale``: the heavy-tailed numeric columns read as ``sign(x) ln(1 + |x|)``, `multiclass.skew`);
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
    counts = np.bincount(dataset.y, minlength=dataset.n_classes) if dataset.y is not None else None
    summary = _summary(dataset.source, dataset.kind, dataset.n_samples, dataset.n_features, dataset.is_sparse,
                       dataset.preprocessor, dataset.classes, counts, dataset.notes)
    if dataset.image_shape is not None:
        summary["image_shape"] = list(dataset.image_shape)
    return summary


def summarize_scan(source: str, scan) -> dict[str, Any]:
    """The same summary of a streamed table, from its one pass (`multiclass.data.stream.TableScan`): what
    ``--stream`` training is about to learn from, counted over every row without loading them."""
    return _summary(str(source), "table", scan.n_rows, scan.n_features, False, scan.preprocessor, scan.classes,
                    scan.class_counts, scan.notes)


def _summary(source: str, kind: str, rows: int, features: int, sparse: bool, preprocessor, classes,
             counts: np.ndarray | None, notes: dict) -> dict[str, Any]:
    summary: dict[str, Any] = {"source": source, "kind": kind, "rows": rows, "features": features, "sparse": sparse}
    columns = _columns(preprocessor)
    if columns is not None:
        summary["columns"] = columns
    summary["classes"] = _classes(classes, counts)
    for key in ("left_out", "format", "pixels", "text"):
        if key in notes:
            summary[key] = notes[key]
    return summary


# The summary's words, English and Spanish side by side (the CLI's ``--lang``).
_WORDS = {
    "head": ("{source}: {rows} rows, {features} features ({kind}{sparse}), {classes} classes",
             "{source}: {rows} filas, {features} variables ({kind}{sparse}), {classes} clases"),
    "sparse": (", sparse", ", dispersa"),
    "numeric": ("{n} numeric", "{n} numéricas"),
    "bool": ("{n} bool", "{n} booleanas"),
    "categorical": ("{n} categorical one-hot encoded ({widths})", "{n} categóricas en one-hot ({widths})"),
    "columns": ("columns: {parts}", "columnas: {parts}"),
    "log_scale": ("on a log scale (heavy-tailed): {names}", "en escala logarítmica (cola pesada): {names}"),
    "left_out": ("left out: {name!r} ({reason})", "excluida: {name!r} ({reason})"),
    "format": ("read with delimiter {sep!r}, {header} header line, decimal mark {decimal!r}",
               "leído con separador {sep!r}, {header} línea de cabecera, separador decimal {decimal!r}"),
    "encoding": (", in {name}", ", en {name}"),
    "header_yes": ("a", "con"),
    "header_no": ("no", "sin"),
    "pixels": ("pixels: {columns} columns scaled /{divisor:g} as images ({shape}), not standardised",
               "píxeles: {columns} columnas escaladas /{divisor:g} como imágenes ({shape}), sin estandarizar"),
    "text": ("text: TF-IDF of {vocabulary} terms, n-grams {ngrams}, min_df {min_df}, {tf} tf",
             "texto: TF-IDF de {vocabulary} términos, n-gramas {ngrams}, min_df {min_df}, tf {tf}"),
    "sublinear": ("sublinear", "sublineal"),
    "raw": ("raw", "bruto"),
    "rare": ("rare classes (< {rows} rows): {names}", "clases raras (< {rows} filas): {names}"),
    "more": (" and {n} more", " y {n} más"),
    # the loader's reasons for leaving a column out (`multiclass.data.screening`), in Spanish by pattern
    "reason_missing": ("every value is missing", "todos los valores faltan"),
}
_REASONS_ES = (
    (re.compile(r"it looks like a row identifier \(([\d,]+) distinct values in ([\d,]+) rows\)"),
     "parece un identificador de fila ({0} valores distintos en {1} filas)"),
    (re.compile(r"it looks like a row number \(each integer from (-?\d+) to (-?\d+) once\)"),
     "parece un número de fila (cada entero de {0} a {1} una vez)"),
    (re.compile(re.escape(ROW_INDEX_REASON)),
     "no tiene nombre en la cabecera y un valor distinto en cada fila: un índice de filas escrito con los datos"),
)


def _say(key: str, lang: str, **values) -> str:
    return _WORDS[key][lang == "es"].format(**values)


def _count(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "." if lang == "es" else ",")


def _reason(reason: str, lang: str) -> str:
    if lang != "es":
        return reason
    if reason == _WORDS["reason_missing"][0]:
        return _WORDS["reason_missing"][1]
    for pattern, spanish in _REASONS_ES:
        match = pattern.fullmatch(reason)
        if match:
            return spanish.format(*(g.replace(",", ".") for g in match.groups()))
    return reason


def _named(names: list[str], lang: str = "en") -> str:
    shown = ", ".join(repr(n) for n in names[:_NAMED])
    return shown + (_say("more", lang, n=len(names) - _NAMED) if len(names) > _NAMED else "")


def summary_lines(summary: dict[str, Any], lang: str = "en") -> list[str]:
    """The summary as a few lines of text (what a CLI prints before training), in English or Spanish (`lang`).

    Examples
    --------
    >>> summary_lines({"source": "t.csv", "kind": "table", "rows": 10, "features": 3, "sparse": False,
    ...                "classes": {"count": 2, "rare": ["b"], "single": []}})
    ['t.csv: 10 rows, 3 features (table), 2 classes', "rare classes (< 10 rows): 'b'"]
    """
    classes = summary["classes"]
    lines = [_say("head", lang, source=summary["source"], rows=_count(summary["rows"], lang),
                  features=_count(summary["features"], lang), kind=summary["kind"],
                  sparse=_say("sparse", lang) if summary["sparse"] else "", classes=classes["count"])]
    columns = summary.get("columns")
    if columns is not None:
        parts = [_say("numeric", lang, n=len(columns["numeric"])), _say("bool", lang, n=len(columns["bool"]))]
        if columns["categorical"]:
            widths = ", ".join(f"{name} -> {width}" for name, width in list(columns["categorical"].items())[:_NAMED])
            parts.append(_say("categorical", lang, n=len(columns["categorical"]), widths=widths))
        lines.append(_say("columns", lang, parts=", ".join(parts)))
        if columns.get("log_scale"):
            lines.append(_say("log_scale", lang, names=_named(columns["log_scale"], lang)))
    for name, reason in summary.get("left_out", {}).items():
        lines.append(_say("left_out", lang, name=name, reason=_reason(reason, lang)))
    if "format" in summary:
        fmt = summary["format"]
        line = _say("format", lang, sep=fmt["sep"], decimal=fmt["decimal"],
                    header=_say("header_yes" if fmt["header"] else "header_no", lang))
        if "encoding" in fmt:  # not UTF-8 (the reader warned)
            line += _say("encoding", lang, name=TextCode(fmt["encoding"]).name)
        lines.append(line)
    if "pixels" in summary:
        pixels = summary["pixels"]
        lines.append(_say("pixels", lang, columns=pixels["columns"], divisor=pixels["divisor"],
                          shape="x".join(map(str, pixels["image_shape"][:2]))))
    if "text" in summary:
        text = summary["text"]
        lines.append(_say("text", lang, vocabulary=_count(text["vocabulary"], lang),
                          ngrams=tuple(text["ngram_range"]), min_df=text["min_df"],
                          tf=_say("sublinear" if text["sublinear_tf"] else "raw", lang)))
    if classes.get("rare"):
        lines.append(_say("rare", lang, rows=RARE_ROWS, names=_named(classes["rare"], lang)))
    return lines
