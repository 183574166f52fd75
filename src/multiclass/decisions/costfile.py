"""Cost matrices named by class: from a CSV or JSON file, a nested mapping, or an array in class order.

CSV: a header row, then one row per true class; the first column names the true class and the header names the
decided classes (the first header cell is a free label such as ``true\\decided``)::

    true\\decided,ok,fault_minor,fault_critical
    ok,0,1,1
    fault_minor,2,0,1
    fault_critical,50,10,0

JSON: ``{"classes": [...], "matrix": [[...], ...]}`` (rows = true), or a nested mapping
``{"fault_critical": {"ok": 50}}`` whose missing entries are those of the 0-1 cost (0 on the diagonal, 1
elsewhere), so only the costs that differ from counting errors need writing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from multiclass.decisions.cost import check_cost_matrix, zero_one_cost
from multiclass.exceptions import ConfigError

__all__ = ["cost_matrix_from", "read_cost_matrix"]

# A cost file is a K x K table: even K = 1000 is a few MB. Larger files are refused before being read.
_MAX_BYTES = 64 * 2**20


def _index(names: Sequence[str], classes: Sequence[str], where: str) -> np.ndarray:
    """Positions in `classes` of `names`, which must list every class exactly once."""
    names = [str(name).strip() for name in names]
    unknown = [name for name in names if name not in classes]
    if unknown:
        raise ConfigError(f"{where} names class {unknown[0]!r}, which is not one of the classes {list(classes)}.")
    if len(set(names)) != len(names):
        raise ConfigError(f"{where} names a class twice; got {names}.")
    missing = [name for name in classes if name not in names]
    if missing:
        raise ConfigError(f"{where} must name every class; {missing[0]!r} is missing.")
    return np.array([classes.index(name) for name in names])


def _from_table(row_names, column_names, values, classes, where: str) -> np.ndarray:
    rows = _index(row_names, classes, f"{where}: the rows")
    columns = _index(column_names, classes, f"{where}: the columns")
    matrix = np.empty((len(classes), len(classes)))
    try:
        matrix[np.ix_(rows, columns)] = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: every cost must be a number, {len(classes)} per row.") from None
    return matrix


def _from_mapping(mapping: Mapping, classes: Sequence[str], where: str) -> np.ndarray:
    matrix = zero_one_cost(len(classes))
    for true, row in mapping.items():
        if not isinstance(row, Mapping):
            raise ConfigError(f"{where}: the entry of class {true!r} must map decided classes to costs; got {row!r}.")
        i = _position(true, classes, where)
        for decided, value in row.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}: the cost of deciding {decided!r} for {true!r} must be a number; "
                                  f"got {value!r}.")
            matrix[i, _position(decided, classes, where)] = float(value)
    return matrix


def _position(name, classes: Sequence[str], where: str) -> int:
    if str(name) not in classes:
        raise ConfigError(f"{where} names class {name!r}, which is not one of the classes {list(classes)}.")
    return classes.index(str(name))


def _read_csv(text: str, classes, where: str) -> np.ndarray:
    table = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(table) < 2 or any(len(row) != len(table[0]) for row in table):
        raise ConfigError(f"{where}: expected a header of class names and one row per true class, all of "
                          f"{len(classes) + 1} cells.")
    return _from_table([row[0] for row in table[1:]], table[0][1:], [row[1:] for row in table[1:]], classes, where)


def _read_json(text: str, classes, where: str) -> np.ndarray:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ConfigError(f"{where}: not valid JSON ({error}).") from None
    if isinstance(document, Mapping) and set(document) == {"classes", "matrix"}:
        names, matrix = document["classes"], document["matrix"]
        if not (isinstance(names, list) and isinstance(matrix, list) and all(isinstance(r, list) for r in matrix)):
            raise ConfigError(f"{where}: `classes` must be a list of names and `matrix` a list of rows.")
        if len(matrix) != len(names) or any(len(row) != len(names) for row in matrix):
            raise ConfigError(f"{where}: `matrix` must be {len(names)} x {len(names)}, one row and column per name.")
        return _from_table(names, names, matrix, classes, where)
    if isinstance(document, Mapping):
        return _from_mapping(document, classes, where)
    raise ConfigError(f"{where}: expected {{\"classes\": [...], \"matrix\": [[...]]}} or {{true: {{decided: "
                      f"cost}}}}; got a JSON {type(document).__name__}.")


def read_cost_matrix(path: str | Path, classes: Sequence[str]) -> np.ndarray:
    """The (K, K) cost matrix of a CSV or JSON file (see the module docstring), in the order of `classes`.

    Raises
    ------
    ConfigError
        The file does not name every class exactly once, a cost is not a finite number, the JSON is malformed.
    OSError
        The file cannot be read.
    """
    path = Path(path)
    classes = [str(name) for name in classes]
    if path.stat().st_size > _MAX_BYTES:
        raise ConfigError(f"{path}: larger than {_MAX_BYTES} bytes; not a cost matrix.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a cost matrix is a CSV or JSON file.") from None
    where = str(path)
    is_json = path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "[")
    matrix = _read_json(text, classes, where) if is_json else _read_csv(text, classes, where)
    try:
        return check_cost_matrix(matrix, len(classes))
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def cost_matrix_from(value, classes: Sequence) -> np.ndarray:
    """A (K, K) cost matrix in the order of `classes` from a file path, a nested mapping or an array.

    Parameters
    ----------
    value : str, Path, mapping or array-like
        A CSV/JSON file, ``{true: {decided: cost}}`` (missing entries from the 0-1 cost), or a (K, K) array
        whose rows and columns follow `classes`.
    classes : sequence
        The class names (compared as strings).
    """
    names = [str(name) for name in classes]
    if isinstance(value, (str, Path)):
        return read_cost_matrix(value, names)
    if isinstance(value, Mapping):
        return check_cost_matrix(_from_mapping(value, names, "`cost_matrix`"), len(names))
    return check_cost_matrix(value, len(names))
