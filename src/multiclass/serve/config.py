"""`ServeConfig`: every setting of the model server, with its unit and why it has its default."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from multiclass.exceptions import ConfigError

__all__ = ["ServeConfig"]


@dataclass(frozen=True)
class ServeConfig:
    """Settings of `multiclass.serve.serve`. CLI flags: ``--host``, ``--port``, ``--workers``, ``--max-batch``...

    Attributes
    ----------
    model_dir : str
        The model directory (safetensors + checked JSON); the only model the server ever loads.
    host : str, default="127.0.0.1"
        Loopback by default: put a reverse proxy (TLS, auth) in front to publish it (docs/serving.md).
    port : int, default=8000
    workers : int, default=1
        Processes (uvicorn's supervisor); each holds the model (a few MB) and serves one request at a time on
        one CPU core.
    name : str or None, default=None
        The model name in the Open Inference Protocol routes; default the model directory's name.
    max_batch : int, default=256
        Most rows the micro-batcher runs through the network at once: beyond a few hundred rows a batch no longer
        amortises numpy's per-call overhead (~20 us) and only delays the requests inside it.
    max_queue : int, default=512
        Requests waiting for the batcher; one more is answered 429 with Retry-After instead of growing memory
        and latency without bound.
    max_body_bytes : int, default=16 MiB
        Larger bodies are answered 413 before they are read (Content-Length) or as soon as they pass the limit.
    max_rows : int, default=100_000
        Rows in one request; more is 413 (a larger job is `multiclass predict`'s).
    deadline_ms : float, default=1000
        A request still queued after this long is answered 503 (the client may ask for less with the
        ``X-Deadline-Ms`` header).
    body_timeout_s : float, default=10
        Seconds to receive a whole body (slowloris-style slow senders get 408).
    top_k : int, default=3
        Classes listed in each prediction's ``top_k`` (``?top_k=`` per request), at most K.
    access_log : bool, default=True
        One JSON line per request on stderr.
    """

    model_dir: str
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    name: str | None = None
    max_batch: int = 256
    max_queue: int = 512
    max_body_bytes: int = 16 * 2**20
    max_rows: int = 100_000
    deadline_ms: float = 1000.0
    body_timeout_s: float = 10.0
    top_k: int = 3
    access_log: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_dir", str(self.model_dir))
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            if self.host != "localhost":
                raise ConfigError(f"`host` must be an IP address or 'localhost'; got {self.host!r}.") from None
        if not (isinstance(self.port, int) and 0 <= self.port <= 65535):
            raise ConfigError(f"`port` must be an integer in [0, 65535]; got {self.port!r}.")
        for name in ("workers", "max_batch", "max_queue", "max_body_bytes", "max_rows", "top_k"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"`{name}` must be an integer >= 1; got {value!r}.")
        for name in ("deadline_ms", "body_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"`{name}` must be a number > 0; got {value!r}.")

    @property
    def model_name(self) -> str:
        return self.name or Path(self.model_dir).resolve().name

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        return cls(**json.loads(text))
