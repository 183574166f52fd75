"""Resolve a user's device string ("cpu", "cuda", "cuda:1", "auto") to a `torch.device`, with a clear error."""

from __future__ import annotations

import torch

from multiclass.exceptions import ConfigError

__all__ = ["resolve_device"]


def resolve_device(device: str) -> torch.device:
    """Return the torch device for `device`, refusing CUDA when no GPU is present.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"`device` must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}.") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"`device` is {device!r} but no CUDA GPU is available here; use 'cpu' or 'auto'.")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ConfigError(
                f"`device` is {device!r} but only {torch.cuda.device_count()} CUDA device(s) are visible."
            )
    elif resolved.type != "cpu":
        raise ConfigError(f"`device` must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}.")
    return resolved
