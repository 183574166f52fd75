"""A bounded HTTP/1.1 load generator on asyncio: keep-alive connections to one loopback server, each sending the
given requests in turn, for at most `duration_s` seconds and `max_requests` requests, as fast as the server answers
(closed loop) or paced to `rate` requests per second in all. Not a benchmark by itself: `bench/serve.py` and the
soak test use it (and wrk, when installed, for the highest rates).

Only loopback addresses are accepted: this workplace forbids load on anything else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import statistics
import time
from dataclasses import dataclass, field

__all__ = ["Load", "Request", "run_load"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    content_type: str = "application/json"

    def wire(self, host: str) -> bytes:
        head = f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}\r\n"
        if self.body or self.method == "POST":
            head += f"Content-Type: {self.content_type}\r\nContent-Length: {len(self.body)}\r\n"
        return head.encode() + b"\r\n" + self.body


@dataclass
class Load:
    """What a run saw: latencies (s) of answered requests, status counts, transport errors, answers kept."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    answers: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def summary(self) -> dict:
        return {"requests": self.count, "seconds": round(self.seconds, 3), "rps": round(self.rps, 1),
                "p50_ms": round(self.percentile(50) * 1000, 3), "p99_ms": round(self.percentile(99) * 1000, 3),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 3) if self.latencies else None,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "errors": self.errors,
                "non_2xx": self.non_2xx}


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def _connection(host: str, port: int, requests: list[Request], load: Load, stop_at: float, budget: list,
                      interval: float | None, keep: bool, offset: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    wires = [r.wire(host) for r in requests]
    i, next_at = offset, time.perf_counter()
    try:
        while time.perf_counter() < stop_at and budget[0] > 0:
            budget[0] -= 1
            if interval is not None:
                next_at += interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            started = time.perf_counter()
            try:
                writer.write(wires[i % len(wires)])
                await writer.drain()
                status, body = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                load.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            load.latencies.append(time.perf_counter() - started)
            load.statuses[status] = load.statuses.get(status, 0) + 1
            if keep:
                load.answers.append((status, body))
            i += 1
    finally:
        writer.close()


async def run_load(url: str, requests: list[Request], *, connections: int = 1, duration_s: float = 10.0,
                   max_requests: int = 1_000_000, rate: float | None = None, keep_answers: bool = False) -> Load:
    """Send `requests` (in turn) over `connections` keep-alive connections to `url` (``http://127.0.0.1:PORT``).

    Bounded by `duration_s` and `max_requests`; `rate` (requests/s in all) paces the connections.

    Raises
    ------
    ValueError
        `url` is not a loopback address.
    """
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    if not (host == "localhost" or ipaddress.ip_address(host).is_loopback):
        raise ValueError(f"`url` must be a loopback address; got {url!r}.")
    load, budget = Load(), [max_requests]
    interval = connections / rate if rate else None
    started = time.perf_counter()
    stop_at = started + duration_s
    await asyncio.gather(*(_connection(host, int(port), requests, load, stop_at, budget, interval, keep_answers, c)
                           for c in range(connections)))
    load.seconds = time.perf_counter() - started
    return load
