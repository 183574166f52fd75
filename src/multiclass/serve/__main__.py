"""``python -m multiclass.serve MODEL [--host] [--port] [--workers] ...``: `multiclass.serve.serve` from a shell,
until the ``multiclass serve`` subcommand takes its place (the flags are the ones proposed for it)."""

from __future__ import annotations

import argparse
import sys

from multiclass.exceptions import MulticlassError
from multiclass.serve.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m multiclass.serve", description="Serve a model over HTTP.")
    parser.add_argument("model_dir")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-batch", type=int, default=256)
    parser.add_argument("--max-queue", type=int, default=512)
    parser.add_argument("--deadline-ms", type=float, default=1000.0)
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    try:
        serve(args.model_dir, args.host, args.port, args.workers, max_batch=args.max_batch,
              max_queue=args.max_queue, deadline_ms=args.deadline_ms, access_log=not args.no_access_log)
    except (MulticlassError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
