"""The audit folder: ``suspects.csv`` for relabelling, ``audit.json``, the HTML report; and dropping suspects.

Every file is written atomically (`multiclass.atomic`). ``suspects.csv`` is meant to be opened in a spreadsheet,
so a text cell that starts with ``= + - @`` (or a tab or carriage return) gets a leading ``'``: a class name or
id such as ``=HYPERLINK(...)`` stays text instead of becoming a formula (OWASP's CSV-injection advice). Numbers
are written in full precision. `suspects_to_drop` reads the ``row`` column back -- after a reviewer deleted the
lines of rows that are fine -- and refuses an audit made on other data (``labels_sha256`` of ``audit.json``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from multiclass.atomic import write_bytes_atomic
from multiclass.audit.render import SCHEMA, audit_to_json, render_html
from multiclass.audit.result import AuditResult, labels_fingerprint
from multiclass.data import Dataset
from multiclass.exceptions import ConfigError, DataError

__all__ = ["CSV_COLUMNS", "drop_suspects", "guard_cell", "suspects_csv", "suspects_to_drop", "write_audit"]

CSV_COLUMNS = ("row", "id", "given", "likely", "probability", "self_confidence", "normalized_margin", "snippet")
SUSPECTS, JSON_NAME = "suspects.csv", "audit.json"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(text: str) -> str:
    """`text`, prefixed with a quote if a spreadsheet would read it as a formula.

    Examples
    --------
    >>> guard_cell("=1+1"), guard_cell("cat"), guard_cell("-3")
    ("'=1+1", 'cat', "'-3")
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def suspects_csv(result: AuditResult) -> str:
    """The suspects as CSV text, most likely wrong first (columns `CSV_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180 CRLF: a field holding \r or \n gets quoted
    writer.writerow(CSV_COLUMNS)
    found, names = result.suspects, result.classes
    for i in range(len(found)):
        row = int(found.row[i])
        example = result.examples.get(row)
        text = [result.suspect_id(row) or "", names[found.given[i]], names[found.likely[i]],
                (example.snippet or "") if example else ""]
        writer.writerow([row, *map(guard_cell, text[:3]), repr(float(found.probability[i])),
                         repr(float(found.self_confidence[i])), repr(float(found.normalized_margin[i])),
                         guard_cell(text[3])])
    return buffer.getvalue()


def write_audit(result: AuditResult, out_dir, *, lang: str = "en", html: bool = True) -> dict[str, Path]:
    """Write ``suspects.csv``, ``audit.json`` and (with `html`) ``audit.<lang>.html`` into `out_dir` (created).

    Returns
    -------
    dict of str -> Path
        The files written, by kind ("csv", "json", "html").
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"csv": out / SUSPECTS, "json": out / JSON_NAME}
    page = render_html(result, lang=lang) if html else None  # rendered first: a bad `lang` writes nothing
    write_bytes_atomic(written["csv"], suspects_csv(result).encode("utf-8"))
    write_bytes_atomic(written["json"], audit_to_json(result).encode("utf-8"))
    if page is not None:
        written["html"] = out / f"audit.{lang}.html"
        write_bytes_atomic(written["html"], page.encode("utf-8"))
    return written


def _read_record(folder: Path) -> dict:
    path = folder / JSON_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; pass the folder `write_audit` wrote (it holds {JSON_NAME} and "
                        f"{SUSPECTS}).") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not valid JSON ({error}).") from None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise DataError(f"{path}: is not an audit record (schema {SCHEMA!r}).")
    return record


def _read_rows(folder: Path, n_samples: int) -> np.ndarray:
    path = folder / SUSPECTS
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "row" not in reader.fieldnames:
                raise DataError(f"{path}: needs a 'row' column; found {reader.fieldnames!r}.")
            rows = []
            for line, record in enumerate(reader, start=2):
                text = (record["row"] or "").strip()
                if not text.isdigit() or int(text) >= n_samples:
                    raise DataError(f"{path}: line {line}: 'row' must be a row number in [0, {n_samples}); got "
                                    f"{text!r}.")
                rows.append(int(text))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file.") from None
    return np.unique(np.array(rows, dtype=np.int64))


def suspects_to_drop(audit_dir, labels, classes: Sequence, *, critical: Sequence = (),
                     drop_critical: bool = False) -> np.ndarray:
    """The rows listed in ``audit_dir/suspects.csv`` to leave out of training (sorted, unique).

    Parameters
    ----------
    audit_dir : path
        A folder written by `write_audit`.
    labels : array-like (N,) int codes
        The given labels of the data about to be trained on: they must be the audited ones.
    classes : sequence of K names
    critical : sequence of class names
        Rows given one of these classes are kept (a rare, costly class loses no examples) ...
    drop_critical : bool, default=False
        ... unless this is True.

    Raises
    ------
    DataError
        No audit there, or one made on other data (other labels or classes, another row count).
    ConfigError
        A critical class that is not one of `classes`.
    """
    folder = Path(audit_dir)
    record = _read_record(folder)
    labels = np.asarray(labels, dtype=np.int64)
    names = [str(c) for c in classes]
    if record.get("labels_sha256") is None:
        raise DataError(f"{folder}: the audit holds no fingerprint of its labels (a streamed audit), so its row "
                        "numbers cannot be checked against these rows; drop the rows of suspects.csv yourself.")
    if record.get("labels_sha256") != labels_fingerprint(labels, names):
        raise DataError(f"{folder}: the audit was made on other data ({record.get('n_samples')} rows, classes "
                        f"{record.get('classes')!r}); its row numbers do not apply to these {len(labels)} rows.")
    for name in critical:
        if str(name) not in names:
            raise ConfigError(f"`critical` names class {name!r}, which is not one of the classes {names}.")
    rows = _read_rows(folder, len(labels))
    if critical and not drop_critical:
        protected = np.isin(labels[rows], [names.index(str(name)) for name in critical])
        rows = rows[~protected]
    return rows


def drop_suspects(data, audit_dir, *, y=None, classes: Sequence | None = None, critical: Sequence = (),
                  drop_critical: bool = False):
    """Training data without the audit's suspects (rows of `critical` classes kept unless `drop_critical`).

    Parameters
    ----------
    data : Dataset or array-like (N, F)
        A `Dataset` gives back a `Dataset` (ids kept aligned); an array, with `y`, gives back ``(X, y)``.
    y : array-like (N,) int codes, optional
    classes : sequence of names, optional
        For array data (default "0", "1", ...).
    audit_dir, critical, drop_critical
        See `suspects_to_drop`.
    """
    if isinstance(data, Dataset):
        if data.y is None:
            raise DataError(f"{data.source}: has no labels to check against the audit.")
        rows = suspects_to_drop(audit_dir, data.y, data.classes, critical=critical, drop_critical=drop_critical)
        keep = np.setdiff1d(np.arange(data.n_samples), rows)
        return replace(data, X=data.X[keep], y=data.y[keep], ids=None if data.ids is None else data.ids[keep])
    if y is None:
        raise DataError("`y` must be given with an array `X` (or pass a Dataset).")
    X, y = np.asarray(data), np.asarray(y)
    names = classes if classes is not None else [str(c) for c in range(int(y.max()) + 1)]
    rows = suspects_to_drop(audit_dir, y, names, critical=critical, drop_critical=drop_critical)
    keep = np.setdiff1d(np.arange(len(y)), rows)
    return X[keep], y[keep]
