"""The server's OpenAPI 3.1 document, built from the model's fields (`multiclass.runtime.schema.Field`)."""

from __future__ import annotations

from typing import Any

from multiclass._version import __version__
from multiclass.runtime import RuntimeModel

__all__ = ["openapi_document"]

_ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string", "description": "One line naming what is wrong (never the values sent)."},
    "field": {"type": "string"}, "row": {"type": "integer", "minimum": 1}}}


def _response(description: str, schema: dict | None = None) -> dict:
    body = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def openapi_document(model: RuntimeModel, name: str) -> dict[str, Any]:
    """The OpenAPI document of the routes serving `model` under `name`."""
    fields = model.features.fields
    record = {"type": "object", "additionalProperties": False, "required": [f.name for f in fields],
              "properties": {f.name: f.json_schema() for f in fields}}
    columns = {"type": "object", "additionalProperties": False, "required": [f.name for f in fields],
               "properties": {f.name: {"type": "array", "items": f.json_schema()} for f in fields}}
    labels = {"type": "integer"} if model.target_dtype == "int" else {"type": "string", "enum": list(model.classes)}
    row = {"type": "object", "required": ["label", "probability", "top_k", "probabilities"], "properties": {
        "label": {**labels, "description": f"The decision under the saved policy ({model.policy.rule})."},
        "probability": {"type": "number", "description": "The label's calibrated probability."},
        "top_k": {"type": "array", "items": {"type": "object", "properties": {"label": labels,
                                                                              "probability": {"type": "number"}}}},
        "probabilities": {"type": "object", "properties": {c: {"type": "number"} for c in model.classes}},
        "set": {"type": "array", "items": labels, "description": "Conformal prediction set (conformal models)."},
        "abstain": {"type": "boolean"}}}
    errors = {str(code): _response(text, _ERROR) for code, text in (
        (400, "The body does not fit the schema (the field and row are named)."), (408, "The body came too slowly."),
        (413, "The body or its row count is over the limit."), (415, "Unsupported Content-Type."),
        (429, "The queue is full: retry after Retry-After seconds."),
        (503, "Not ready, draining, or the request's deadline passed while queued."))}
    predict_body = {"content": {
        "application/json": {"schema": {"oneOf": [
            {"type": "array", "items": record},
            {"type": "object", "required": ["records"], "properties": {"records": {"type": "array", "items": record}}},
            {"type": "object", "required": ["columns"], "properties": {"columns": columns}},
            {"type": "object", "required": ["instances"], "properties": {"instances": {"type": "array"}}}]}},
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}}}}
    plain = {"200": _response("OK", {"type": "object"})}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"multiclass model {name}", "version": __version__,
                 "description": f"Model version {model.version}; classes {', '.join(model.classes)}."},
        "paths": {
            "/predict": {"post": {
                "summary": "Predict rows", "requestBody": predict_body,
                "parameters": [{"name": "top_k", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                          "maximum": len(model.classes)}}],
                "responses": {"200": _response("Predictions", {"type": "object", "properties": {
                    "model": {"type": "string"}, "model_version": {"type": "string"},
                    "request_id": {"type": "string"}, "predictions": {"type": "array", "items": row}}}),
                    **errors}}},
            f"/v2/models/{name}/infer": {"post": {"summary": "Open Inference Protocol v2 inference",
                                                  "responses": {"200": _response("Output tensors"), **errors}}},
            f"/v2/models/{name}": {"get": {"summary": "Model metadata and input schema", "responses": plain}},
            f"/v2/models/{name}/ready": {"get": {"summary": "Model readiness", "responses": plain}},
            "/v2": {"get": {"summary": "Server metadata", "responses": plain}},
            "/v2/health/live": {"get": {"summary": "Liveness", "responses": plain}},
            "/v2/health/ready": {"get": {"summary": "Readiness (after warm-up, until draining)", "responses": plain}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": plain}},
        },
    }
