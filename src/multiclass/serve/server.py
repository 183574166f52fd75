"""`serve`: run the model server on uvicorn (a real ASGI server: httptools and uvloop when installed), one process
or ``workers`` processes under uvicorn's supervisor (SIGHUP then replaces the workers one by one, each new one
ready before the old one retires; a single process swaps its model in place)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from multiclass.runtime import load_runtime
from multiclass.serve.app import InferenceApp
from multiclass.serve.config import ServeConfig

__all__ = ["app_from_environment", "serve"]

_ENVIRONMENT = "MULTICLASS_SERVE_CONFIG"
# Seconds uvicorn waits for requests in flight after SIGTERM before closing their connections.
GRACEFUL_SHUTDOWN_S = 30


def app_from_environment() -> InferenceApp:
    """The app of a worker process (uvicorn imports it by name when ``workers > 1``)."""
    return InferenceApp(ServeConfig.from_json(os.environ[_ENVIRONMENT]))


def uvicorn_options(config: ServeConfig) -> dict:
    """What `serve` passes to ``uvicorn.run`` besides the app."""
    return {
        "host": config.host, "port": config.port, "workers": config.workers,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "lifespan": "on", "access_log": False, "log_level": "warning", "server_header": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S, "timeout_keep_alive": 5,
    }


def serve(model_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *,
          max_batch: int = 256, max_queue: int = 512, **options) -> None:
    """Serve the model in `model_dir` over HTTP until SIGTERM/SIGINT (graceful: requests in flight finish).

    Parameters
    ----------
    model_dir : str or Path
        A model directory; it is checked before the port is opened.
    host : str, default="127.0.0.1"
        Loopback by default; publish it through a reverse proxy (TLS, auth: docs/serving.md).
    port : int, default=8000
    workers : int, default=1
        Processes; each serves on one core.
    max_batch, max_queue
        See `ServeConfig`.
    **options
        Other `ServeConfig` fields: ``name``, ``max_body_bytes``, ``max_rows``, ``deadline_ms``,
        ``body_timeout_s``, ``top_k``, ``access_log``.

    Raises
    ------
    ConfigError
        A bad setting.
    ModelFileError
        The model directory is missing or damaged.
    """
    import uvicorn

    config = ServeConfig(str(model_dir), host, port, workers, max_batch=max_batch, max_queue=max_queue, **options)
    model = load_runtime(config.model_dir)  # a damaged model fails here, before the port is taken
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # workers: a request is a few rows, BLAS threads only spin
    if config.workers == 1:
        uvicorn.run(InferenceApp(config, model), **uvicorn_options(config))
    else:
        os.environ[_ENVIRONMENT] = config.to_json()
        uvicorn.run(f"{__name__}:app_from_environment", factory=True, **uvicorn_options(config))
