"""The ASGI application: a lean raw ASGI callable (no framework: routing is a dict lookup, parsing is
`multiclass.serve.parsing`), run by uvicorn (`multiclass.serve.server`).

Life of a prediction: read the body (size and time limits) -> columns by Content-Type -> features by the model
current at that moment (400 naming field and row) -> the micro-batcher (`multiclass.serve.batcher`) -> the JSON
answer with the model's version and the request id. Lifespan: load, warm up, then ready; SIGHUP loads the model
directory again, warms the new model up and swaps it in one assignment (requests already featurized finish on the
old one); shutdown stops readiness and drains the queue. No route takes a model, a path or a URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
import time
from typing import Any
from urllib.parse import parse_qs

from multiclass.runtime import InputError, RuntimeModel, load_runtime
from multiclass.serve.batcher import Batcher, DeadlineExceeded, QueueFull
from multiclass.serve.config import ServeConfig
from multiclass.serve.http import ClientGone, HTTPError, header, read_body, send_bytes, send_json
from multiclass.serve.metrics import Metrics
from multiclass.serve.openapi import openapi_document
from multiclass.serve.parsing import loads, oip_columns, request_columns
from multiclass.serve.responses import conformal_sets, model_metadata, oip_outputs, prediction_rows, warmup_columns

__all__ = ["InferenceApp"]

log = logging.getLogger("multiclass.serve")
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_RETRY = [(b"retry-after", b"1")]


def _one_blas_thread() -> None:
    """Requests are a few rows: BLAS threads only spin. threadpoolctl comes with scikit-learn; without it, the
    OPENBLAS_NUM_THREADS=1 that `serve` sets for its workers does the same."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return
    threadpool_limits(1, user_api="blas")


class InferenceApp:
    """The server's ASGI app for one model directory.

    Parameters
    ----------
    config : ServeConfig
    model : RuntimeModel, optional
        Already loaded (tests); by default loaded at startup from ``config.model_dir``.
    """

    def __init__(self, config: ServeConfig, model: RuntimeModel | None = None) -> None:
        self.config, self.model, self.name = config, model, config.model_name
        self.ready = False
        self.metrics = Metrics()
        self.batcher = Batcher(config.max_batch, config.max_queue)
        self.prefix, self.counter = os.urandom(4).hex(), 0
        self._reloading = False
        base = f"/v2/models/{self.name}"
        self.routes = {
            ("GET", "/v2/health/live"): self._live, ("GET", "/v2/health/ready"): self._ready,
            ("GET", "/v2"): self._server_metadata, ("GET", base): self._model_metadata,
            ("GET", f"{base}/ready"): self._ready, ("POST", f"{base}/infer"): self._infer,
            ("POST", "/predict"): self._predict, ("GET", "/metrics"): self._metrics,
            ("GET", "/openapi.json"): self._openapi,
        }
        self.methods: dict[str, list[str]] = {}
        for method, path in self.routes:
            self.methods.setdefault(path, []).append(method)

    # --- lifespan ------------------------------------------------------------------------------------------------

    def warm(self, model: RuntimeModel) -> None:
        """Predict one synthetic row and render its answer, so the first request pays for nothing."""
        prediction = model.predict(warmup_columns(model), strict=True, allow_extra=False)
        json.dumps(prediction_rows(model, prediction, min(self.config.top_k, len(model.classes))))

    async def startup(self) -> None:
        _one_blas_thread()
        if self.model is None:
            self.model = load_runtime(self.config.model_dir)
        self.warm(self.model)
        self.batcher.start()
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload()))
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no SIGHUP (Windows)
            pass
        self.ready = True
        self._event("ready", version=self.model.version)

    async def shutdown(self) -> None:
        self.ready = False
        await self.batcher.drain()
        self._event("stopped", version=self.model.version if self.model else None)

    async def reload(self) -> bool:
        """Load the model directory again, warm the new model up off the event loop, and swap it in; on any error
        keep serving the old one. Returns whether the model was swapped."""
        if self._reloading:
            return False
        self._reloading = True
        try:
            def load() -> RuntimeModel:
                model = load_runtime(self.config.model_dir)
                self.warm(model)
                return model

            model = await asyncio.get_running_loop().run_in_executor(None, load)
        except Exception as error:  # noqa: BLE001 - a bad new model must not stop the server
            self._event("reload_failed", error=str(error).splitlines()[0][:300])
            return False
        finally:
            self._reloading = False
        old, self.model = self.model, model  # one assignment: each request uses the model it read at its start
        self._event("reloaded", old_version=old.version, version=model.version)
        return True

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as error:  # noqa: BLE001 - reported to uvicorn, which exits
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- requests ------------------------------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        given = header(scope, b"x-request-id")
        if given is not None and _REQUEST_ID.fullmatch(given):
            request_id = given.decode()
        else:
            self.counter += 1
            request_id = f"{self.prefix}-{self.counter}"
        path, method = scope["path"], scope["method"]
        handler = self.routes.get((method, path))
        route = path if handler is not None else "other"
        status, version, rows = 500, None, 0
        try:
            if handler is None:
                if path in self.methods:
                    raise HTTPError(405, f"{path} takes {', '.join(self.methods[path])}.",
                                    headers=[(b"allow", ", ".join(self.methods[path]).encode())])
                raise HTTPError(404, "no such route; see /openapi.json.")
            status, version, rows = await handler(scope, receive, send, request_id)
        except HTTPError as error:
            status = error.status
            if status in (408, 413, 429, 503):
                self.metrics.rejected[{408: "slow_body", 413: "too_large", 429: "queue_full",
                                       503: "unavailable"}[status]] += 1
            headers = [(b"x-request-id", request_id.encode()), *error.headers]
            await send_bytes(send, status, error.body(), headers=headers)
        except ClientGone:
            status = 499  # nginx's "client closed request": nothing is sent
        except Exception:  # noqa: BLE001 - a bug: logged with its traceback, answered 500 without details
            log.exception("request %s failed", request_id)
            status = 500
            await send_bytes(send, 500, b'{"error":"internal error; see the server log."}',
                             headers=[(b"x-request-id", request_id.encode())])
        seconds = time.perf_counter() - started
        self.metrics.observe(route, status, seconds)
        if self.config.access_log:
            client = scope.get("client")
            sys.stderr.write(json.dumps({
                "time": round(time.time(), 6), "request_id": request_id, "method": method, "path": route,
                "status": status, "ms": round(seconds * 1000, 3), "rows": rows, "model_version": version,
                "client": client[0] if client else None}) + "\n")

    def _usable(self) -> RuntimeModel:
        if not self.ready:
            raise HTTPError(503, "the server is not ready (warming up or draining).", headers=_RETRY)
        return self.model

    def _deadline(self, scope) -> float:
        """Milliseconds the request may wait in the queue (the X-Deadline-Ms header may shorten it)."""
        limit = self.config.deadline_ms
        given = header(scope, b"x-deadline-ms")
        if given is not None:
            try:
                asked = float(given)
            except ValueError:
                raise HTTPError(400, "the X-Deadline-Ms header must be a number of milliseconds.") from None
            if not asked > 0:
                raise HTTPError(400, "the X-Deadline-Ms header must be a number of milliseconds > 0.")
            limit = min(limit, asked)
        return limit / 1000

    async def _run(self, model: RuntimeModel, columns: dict, strict: bool, wait_s: float):
        try:
            X = model.features_of(columns, strict=strict, allow_extra=False)
        except InputError as error:
            raise HTTPError(400, str(error), field=error.field, row=error.row) from None
        if len(X) > self.config.max_rows:
            raise HTTPError(413, f"the request has {len(X)} rows; the limit is {self.config.max_rows}.")
        try:
            future = self.batcher.submit(model, X, asyncio.get_running_loop().time() + wait_s)
        except QueueFull:
            raise HTTPError(429, f"the queue holds {self.config.max_queue} requests already.", headers=_RETRY) from None
        try:
            return await future
        except DeadlineExceeded:
            raise HTTPError(503, "the request waited past its deadline.", headers=_RETRY) from None

    def _count(self, model: RuntimeModel, prediction) -> None:
        counts = self.metrics.predictions
        for code in prediction.codes.tolist():
            counts[model.classes[code]] += 1
        sets = conformal_sets(model, prediction.probs)
        if sets is not None:
            self.metrics.abstentions += int(sets[1].sum())

    async def _predict(self, scope, receive, send, request_id):
        model = self._usable()  # read once: this request is answered by this version, whatever reloads
        wait_s = self._deadline(scope)
        top_k = min(self.config.top_k, len(model.classes))
        if scope.get("query_string"):
            asked = parse_qs(scope["query_string"].decode("latin-1")).get("top_k")
            if asked:
                if not (asked[0].isdigit() and 1 <= int(asked[0]) <= len(model.classes)):
                    raise HTTPError(400, f"top_k must be an integer in [1, {len(model.classes)}].", field="top_k")
                top_k = int(asked[0])
        body = await read_body(scope, receive, max_bytes=self.config.max_body_bytes,
                               timeout_s=self.config.body_timeout_s)
        columns, strict = request_columns(body, header(scope, b"content-type"), model)
        prediction = await self._run(model, columns, strict, wait_s)
        self._count(model, prediction)
        payload = {"model": self.name, "model_version": model.version, "request_id": request_id,
                   "predictions": prediction_rows(model, prediction, top_k)}
        await send_json(send, 200, payload, headers=[(b"x-request-id", request_id.encode()),
                                                     (b"x-model-version", model.version.encode())])
        return 200, model.version, len(prediction.codes)

    async def _infer(self, scope, receive, send, request_id):
        model = self._usable()
        wait_s = self._deadline(scope)
        body = await read_body(scope, receive, max_bytes=self.config.max_body_bytes,
                               timeout_s=self.config.body_timeout_s)
        media = (header(scope, b"content-type") or b"application/json").split(b";", 1)[0].strip().lower()
        if media != b"application/json":
            raise HTTPError(415, "the Content-Type of an infer request must be application/json.")
        columns, given_id, wanted = oip_columns(loads(body), model)
        if wanted is not None and any(name not in ("label", "probabilities") for name in wanted):
            raise HTTPError(400, "outputs may name label and probabilities only.")
        prediction = await self._run(model, columns, True, wait_s)
        self._count(model, prediction)
        payload = {"model_name": self.name, "model_version": model.version, "id": given_id or request_id,
                   "parameters": {"request_id": request_id, "classes": list(model.classes)},
                   "outputs": oip_outputs(model, prediction, wanted)}
        await send_json(send, 200, payload, headers=[(b"x-request-id", request_id.encode()),
                                                     (b"x-model-version", model.version.encode())])
        return 200, model.version, len(prediction.codes)

    async def _live(self, scope, receive, send, request_id):
        await send_json(send, 200, {"live": True})
        return 200, None, 0

    async def _ready(self, scope, receive, send, request_id):
        status = 200 if self.ready else 503
        await send_json(send, status, {"ready": self.ready}, headers=[] if self.ready else _RETRY)
        return status, None, 0

    async def _server_metadata(self, scope, receive, send, request_id):
        from multiclass._version import __version__

        await send_json(send, 200, {"name": "multiclass", "version": __version__, "extensions": []})
        return 200, None, 0

    async def _model_metadata(self, scope, receive, send, request_id):
        model = self._usable()
        await send_json(send, 200, model_metadata(model, self.name))
        return 200, model.version, 0

    async def _metrics(self, scope, receive, send, request_id):
        model = self.model
        body = self.metrics.render(model=self.name, version=model.version if model else "", queue=len(self.batcher.queue),
                                   batches=self.batcher.batches, rows=self.batcher.rows)
        await send_bytes(send, 200, body, content_type=b"text/plain; version=0.0.4; charset=utf-8")
        return 200, None, 0

    async def _openapi(self, scope, receive, send, request_id):
        model = self._usable()
        await send_json(send, 200, openapi_document(model, self.name))
        return 200, model.version, 0

    def _event(self, event: str, **details: Any) -> None:
        sys.stderr.write(json.dumps({"time": round(time.time(), 6), "event": event, "model": self.name,
                                     "pid": os.getpid(), **details}) + "\n")
