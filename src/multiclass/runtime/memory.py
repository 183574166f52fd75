"""Memory settings for one large batch prediction on numpy: `small_pages`, a context in which numpy does not ask
the kernel for transparent huge pages.

numpy advises huge pages (``madvise(MADV_HUGEPAGE)``) for every array of 4 MiB or more. A batch prediction
allocates and frees arrays of tens to hundreds of MiB one after the other (the parsed columns, the features, the
probabilities, the text of the output), and each new huge page is zeroed by the kernel when first touched: on the
2-core VM of bench/RESULTS.md section 8 that system time was about half of the CPU time of ``multiclass predict``
on 1,000,000 rows (7.6 of 16.8 s; 3.8 s with small pages). The setting is numpy's own switch
(``numpy._core.multiarray._set_madvise_hugepage``, the ``NUMPY_MADVISE_HUGEPAGE=0`` environment variable at import
time), set for the duration of the context and restored after; without that switch the context does nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["small_pages"]


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """numpy allocates without huge-page advice inside the context (the previous setting restored after)."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # pragma: no cover - a numpy without the switch
        yield
        return
    previous = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(previous)
