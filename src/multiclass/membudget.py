"""The memory budget: every allocation that input or options can size is estimated first and refused above it.

The budget is ``MULTICLASS_MAX_MEMORY`` when set (bytes, or with a unit: ``512M``, ``8G``, ``1.5GiB``), else half of
the memory available when the process starts (Linux' ``MemAvailable``; elsewhere half of the physical memory).
`check_allocation` is called with an estimate before the allocation is made -- an .npz array's declared shape, the
parameters and Adam state of a network -- and refuses with a message naming what would be allocated and its size,
so a forged file or a mistyped option fails at once instead of swapping the machine to a halt. Tests run under a
small budget, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import os
import re

from multiclass.exceptions import DataError

__all__ = ["BUDGET_VARIABLE", "check_allocation", "human_bytes", "memory_budget"]

BUDGET_VARIABLE = "MULTICLASS_MAX_MEMORY"
_FRACTION = 0.5
_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
          "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}


def human_bytes(n: float) -> str:
    """``7.28 TiB``, ``512 MiB``, ``900 bytes``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def _available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**34  # 16 GiB when nothing can be asked


def memory_budget() -> int:
    """The budget in bytes (see the module docstring).

    Raises
    ------
    DataError
        ``MULTICLASS_MAX_MEMORY`` is not a size.
    """
    text = os.environ.get(BUDGET_VARIABLE, "").strip()
    if not text:
        return int(_available() * _FRACTION)
    found = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)", text.lower())
    if not found or found.group(2) not in _UNITS or float(found.group(1)) <= 0:
        raise DataError(f"{BUDGET_VARIABLE} must be a size in bytes such as 512M or 8G; got {text!r}.")
    return int(float(found.group(1)) * _UNITS[found.group(2)])


def check_allocation(n_bytes: int, what: str) -> None:
    """Refuse to allocate `n_bytes` for `what` (``"data.npz: array 'X' of shape (10, 10)"``) above the budget.

    Raises
    ------
    DataError
        ``<what> needs <size>, more than the memory budget of <budget> (set MULTICLASS_MAX_MEMORY to change it).``
    """
    budget = memory_budget()
    if n_bytes > budget:
        raise DataError(f"{what} needs {human_bytes(n_bytes)}, more than the memory budget of {human_bytes(budget)} "
                        f"(set {BUDGET_VARIABLE} to change it).")
