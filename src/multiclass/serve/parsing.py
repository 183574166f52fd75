"""Request bodies -> input columns, by Content-Type, checked against the model's fields.

- ``application/json``: a list of records (``[{"age": 41, "city": "Lima"}]``), or an object with one key:
  ``{"records": [...]}``, ``{"columns": {"age": [41], "city": ["Lima"]}}`` or ``{"instances": [...]}`` (rows: a
  record each, or for a one-field model that field's value, e.g. 784 pixel values). JSON types are strict;
  NaN/Infinity and documents nested deeper than `MAX_DEPTH` are refused.
- ``text/csv``: a header line and rows (pandas' missing-value words are missing).
- ``application/vnd.apache.parquet`` and ``application/vnd.apache.arrow.stream`` / ``.file``: one table.
- ``image/*``: one encoded image, for image models.
- the Open Inference Protocol v2 infer body (`oip_columns`).
Every problem is an `HTTPError` (400, 413, 415) naming the field and the row.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from multiclass.runtime import InputError, RuntimeModel
from multiclass.runtime.inputs import arrow_columns, columns_from_mapping, csv_columns, record_columns
from multiclass.serve.http import HTTPError

__all__ = ["MAX_DEPTH", "loads", "oip_columns", "request_columns"]

MAX_DEPTH = 32  # nesting of a JSON body: records are 2-3 levels, a nested image tensor 4-5
_PARQUET = {b"application/vnd.apache.parquet", b"application/x-parquet", b"application/parquet"}
_ARROW = {b"application/vnd.apache.arrow.stream": "stream", b"application/vnd.apache.arrow.file": "file"}
_OIP_NUMBERS = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16", "FP32", "FP64"}
_OIP_TYPES = {"number": _OIP_NUMBERS, "boolean": {"BOOL"}, "category": {"BYTES"} | _OIP_NUMBERS,
              "text": {"BYTES"}, "image": {"BYTES"}, "tensor": _OIP_NUMBERS}


def _no_constant(name: str) -> Any:
    raise HTTPError(400, f"the JSON body holds {name}, which is not JSON; send null for a missing value.")


def _depth(text: bytes) -> int:
    """Deepest bracket nesting of a JSON text (brackets inside strings are counted too: an upper bound)."""
    opens = np.frombuffer(text, dtype=np.uint8)
    steps = (opens == ord("[")).astype(np.int32) + (opens == ord("{")) - (opens == ord("]")) - (opens == ord("}"))
    return int(np.cumsum(steps).max(initial=0))


def loads(body: bytes) -> Any:
    """The JSON value of a body: UTF-8, no NaN/Infinity, nested at most `MAX_DEPTH` deep."""
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _depth(body) > MAX_DEPTH:  # counted in C: cheap
        raise HTTPError(400, f"the JSON body is nested deeper than {MAX_DEPTH} levels.")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise HTTPError(400, "the body is not UTF-8 text.") from None
    except json.JSONDecodeError as error:  # its message gives the position, never the text
        raise HTTPError(400, f"the body is not valid JSON ({error.msg} at line {error.lineno} column "
                             f"{error.colno}).") from None
    except RecursionError:
        raise HTTPError(400, f"the JSON body is nested deeper than {MAX_DEPTH} levels.") from None


def _json_columns(document: Any, model: RuntimeModel) -> dict[str, Any]:
    names = [f.name for f in model.features.fields]
    if isinstance(document, list):
        return record_columns(document, names)
    if isinstance(document, dict) and len(document) == 1:
        (key, value), = document.items()
        if key == "records":
            return record_columns(value, names)
        if key == "columns" and isinstance(value, dict):
            return columns_from_mapping(value)
        if key == "instances" and isinstance(value, list):
            if len(names) == 1 and not all(isinstance(v, dict) for v in value):
                return {names[0]: value}
            return record_columns(value, names)
    raise HTTPError(400, "the JSON body must be a list of records, or an object with one key: records, columns "
                         "or instances.")


def _table(body: bytes, media: bytes):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if media in _PARQUET:
            return pq.read_table(io.BytesIO(body))
        reader = pa.ipc.open_stream if _ARROW[media] == "stream" else pa.ipc.open_file
        return reader(pa.BufferReader(body)).read_all()
    except (pa.ArrowException, OSError, ValueError):
        kind = "Parquet" if media in _PARQUET else "Arrow IPC"
        raise HTTPError(400, f"the body is not a readable {kind} table.") from None


def request_columns(body: bytes, content_type: bytes | None, model: RuntimeModel) -> tuple[dict, bool]:
    """``(columns, strict)`` of a /predict body; `strict` is True for JSON (see `multiclass.runtime.values`).

    Raises
    ------
    HTTPError
        415 for an unsupported Content-Type, 400 for a body that cannot be read.
    """
    media = (content_type or b"").split(b";", 1)[0].strip().lower()
    try:
        if media == b"application/json" or media.endswith(b"+json"):
            return _json_columns(loads(body), model), True
        if media == b"text/csv":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPError(400, "the body is not UTF-8 text.") from None
            return csv_columns(text), False
        if media in _PARQUET or media in _ARROW:
            return arrow_columns(_table(body, media)), False
        if media.startswith(b"image/") and model.features.kind == "image":
            return {"image": [body]}, False
    except InputError as error:
        raise HTTPError(400, str(error), field=error.field, row=error.row) from None
    kinds = "application/json, text/csv, application/vnd.apache.parquet, application/vnd.apache.arrow.stream"
    kinds += ", image/*" if model.features.kind == "image" else ""
    raise HTTPError(415, f"the Content-Type must be one of {kinds}.")


def _bad(name: str, message: str) -> HTTPError:
    return HTTPError(400, f"field {name!r}: {message}", field=name)


def _oip_input(entry: Any, fields: dict, index: int) -> tuple[str, Any, int]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise HTTPError(400, f"inputs[{index}] must be an object with a name, shape, datatype and data.")
    name = entry["name"]
    if name not in fields:
        raise _bad(name[:100], "is not an input of this model.")
    shape, datatype, data = entry.get("shape"), entry.get("datatype"), entry.get("data")
    if not (isinstance(shape, list) and shape and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                                     for n in shape)):
        raise _bad(name, "shape must be a list of integers >= 0.")
    field = fields[name]
    if datatype not in _OIP_TYPES[field.type]:
        raise _bad(name, f"datatype must be one of {', '.join(sorted(_OIP_TYPES[field.type]))}.")
    if not isinstance(data, list):
        raise _bad(name, "data must be a list.")
    per_row = int(np.prod(field.shape)) if field.type == "tensor" else 1
    n = shape[0]
    if int(np.prod(shape)) != n * per_row or (field.type == "tensor" and len(shape) < 2):
        expected = f"[N, {per_row}]" if field.type == "tensor" else "[N] or [N, 1]"
        raise _bad(name, f"shape must be {expected}.")
    flat = data
    if any(isinstance(v, list) for v in data):
        try:
            flat = np.asarray(data, dtype=object).reshape(-1).tolist()
        except ValueError:
            raise _bad(name, "data must be a rectangular list matching the shape.") from None
    if len(flat) != n * per_row:
        raise _bad(name, f"data holds {len(flat)} values; the shape asks for {n * per_row}.")
    if datatype == "BOOL" and not all(v is None or isinstance(v, bool) for v in flat):
        raise _bad(name, "data of datatype BOOL must be true or false.")
    values = [flat[i * per_row:(i + 1) * per_row] for i in range(n)] if field.type == "tensor" else flat
    return name, values, n


def oip_columns(document: Any, model: RuntimeModel) -> tuple[dict, str | None, list[str] | None]:
    """``(columns, id, requested outputs)`` of an Open Inference Protocol v2 infer request.

    Raises
    ------
    HTTPError
        400 naming the input (``field``) that is missing, unknown, of the wrong datatype or shape.
    """
    if not isinstance(document, dict) or not isinstance(document.get("inputs"), list):
        raise HTTPError(400, "the infer request must be an object with a list of inputs.")
    request_id = document.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise HTTPError(400, "id must be a string.")
    fields = {f.name: f for f in model.features.fields}
    columns, counts = {}, set()
    for index, entry in enumerate(document["inputs"]):
        name, values, n = _oip_input(entry, fields, index)
        if name in columns:
            raise _bad(name, "is given twice.")
        columns[name], counts = values, counts | {n}
    for name in fields:
        if name not in columns:
            raise _bad(name, "is required and missing.")
    if len(counts) != 1:
        raise HTTPError(400, "every input must have the same first dimension (rows).")
    outputs = document.get("outputs")
    names = None
    if outputs is not None:
        if not (isinstance(outputs, list) and all(isinstance(o, dict) and isinstance(o.get("name"), str)
                                                  for o in outputs)):
            raise HTTPError(400, "outputs must be a list of objects with a name.")
        names = [o["name"] for o in outputs]
    return columns, request_id, names
