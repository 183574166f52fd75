"""Serving a model over HTTP: `serve` runs `InferenceApp` (a raw ASGI app on the numpy runtime, no torch) on
uvicorn, with the Open Inference Protocol v2 routes, /predict, /metrics and /openapi.json. See docs/serving.md."""

from multiclass.serve.app import InferenceApp
from multiclass.serve.config import ServeConfig
from multiclass.serve.server import serve

__all__ = ["InferenceApp", "ServeConfig", "serve"]
