"""The ASGI plumbing the server needs and nothing more: read a body within a size limit and a time limit, send a
JSON or text response, and `HTTPError`, the one way a request fails (a status and a one-line JSON error that names
the field and the row, never the values sent)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

__all__ = ["ClientGone", "HTTPError", "header", "read_body", "send_bytes", "send_json"]

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
_JSON = b"application/json"


class ClientGone(Exception):
    """The client closed the connection before its body was read: nothing to answer."""


class HTTPError(Exception):
    """A request that fails with `status` and a JSON body ``{"error": message[, "field", "row"]}``.

    Parameters
    ----------
    status : int
    message : str
        One line, naming what is wrong; never a value the client sent.
    field, row : str or int, optional
    headers : sequence of (bytes, bytes)
        Extra headers (``Retry-After`` with 429 and 503, ``Allow`` with 405).
    """

    def __init__(self, status: int, message: str, *, field: str | None = None, row: int | None = None,
                 headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.row, self.headers = status, message, field, row, list(headers)

    def body(self) -> bytes:
        payload: dict[str, Any] = {"error": self.message.replace("\n", " ")}
        if self.field is not None:
            payload["field"] = self.field
        if self.row is not None:
            payload["row"] = self.row
        return json.dumps(payload).encode()


def header(scope: dict, name: bytes) -> bytes | None:
    """The value of header `name` (lowercase), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


if sys.version_info >= (3, 11):
    async def _receive_before(receive: Receive, deadline: float) -> dict:
        async with asyncio.timeout_at(deadline):  # no extra task per message, unlike wait_for
            return await receive()
else:  # pragma: no cover - Python 3.10
    async def _receive_before(receive: Receive, deadline: float) -> dict:
        return await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))


async def read_body(scope: dict, receive: Receive, *, max_bytes: int, timeout_s: float) -> bytes:
    """The whole request body.

    Raises
    ------
    HTTPError
        413 when Content-Length or the bytes received pass `max_bytes`; 408 when the body takes longer than
        `timeout_s` (a slowloris sender); 400 for a malformed Content-Length.
    ClientGone
        The client disconnected.
    """
    length = header(scope, b"content-length")
    if length is not None:
        if not length.isdigit():
            raise HTTPError(400, "the Content-Length header is not a number.")
        if int(length) > max_bytes:
            raise HTTPError(413, f"the body is larger than the limit of {max_bytes} bytes.")
    deadline = asyncio.get_running_loop().time() + timeout_s
    chunks, size = [], 0
    while True:
        try:
            message = await _receive_before(receive, deadline)
        except TimeoutError:
            raise HTTPError(408, f"the body was not received within {timeout_s:g} s.") from None
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise HTTPError(413, f"the body is larger than the limit of {max_bytes} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_bytes(send: Send, status: int, body: bytes, *, content_type: bytes = _JSON,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """One complete response."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, payload: Any, *, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    await send_bytes(send, status, json.dumps(payload, separators=(",", ":")).encode(), headers=headers)
