"""Calling the server: in process (the ASGI app with scripted receive/send, no sockets) and over loopback HTTP
(a real uvicorn in a child process, on a free port of 127.0.0.1, stopped at the end)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from multiclass.serve import InferenceApp, ServeConfig

SRC = Path(__file__).resolve().parents[1] / "src"


class Response:
    def __init__(self, status: int, headers: dict, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


async def call(app: InferenceApp, method: str, path: str, body: bytes = b"", *, content_type: str | None = None,
               headers: dict | None = None, query: bytes = b"", chunks: list | None = None,
               delay_s: float = 0.0) -> Response:
    """One request through the app. `chunks` sends the body in pieces (more_body), `delay_s` waits before each."""
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if content_type is not None:
        raw.append((b"content-type", content_type.encode()))
    pieces = chunks if chunks is not None else [body]
    if chunks is None and "content-length" not in (headers or {}):
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": raw,
             "client": ("127.0.0.1", 5000)}
    queue = list(pieces)

    async def receive():
        if delay_s:
            await asyncio.sleep(delay_s)
        if not queue:
            await asyncio.sleep(3600)  # nothing more: a client that stalls
        piece = queue.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(queue)}

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Response(start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body)


def started_app(model_dir, **options) -> InferenceApp:
    """An app after its lifespan startup, on the current event loop."""
    app = InferenceApp(ServeConfig(str(model_dir), access_log=False, **options))
    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, content_type: str = "application/json",
         timeout: float = 10.0) -> Response:
    request = urllib.request.Request(url, data=body, method=method, headers={"content-type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


@contextmanager
def running_server(model_dir, *, workers: int = 1, cli: bool = False, **options):
    """A real server (uvicorn, loopback) in a child process, started by `multiclass.serve.serve` or, with `cli`, by
    ``multiclass serve`` and the options as flags: yields (base url, process)."""
    port = free_port()
    settings = {"access_log": False, **options}
    if cli:
        flags = [f"--{name.replace('_', '-')}={value}" for name, value in settings.items() if name != "access_log"]
        argv = ["-m", "multiclass", "serve", str(model_dir), f"--port={port}", f"--workers={workers}", *flags]
        argv += [] if settings["access_log"] else ["--no-access-log"]
    else:
        argv = ["-c", "import sys; from multiclass.serve import serve; "
                      f"serve({str(model_dir)!r}, '127.0.0.1', {port}, {workers}, **{settings!r})"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    process = subprocess.Popen([sys.executable, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if http("GET", f"{base}/v2/health/ready", timeout=1).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not become ready in 60 s")
            time.sleep(0.05)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
