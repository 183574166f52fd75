"""The launcher's environment, read without importing torch: whether torchrun started this process as one of
several. `multiclass.distributed` joins the process group; this only looks at the variables."""

from __future__ import annotations

import os

__all__ = ["distributed_env"]


def distributed_env() -> bool:
    """True when a launcher such as torchrun started this process as one of several (``WORLD_SIZE`` > 1)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False
