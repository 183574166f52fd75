"""CSV text of prediction columns, byte for byte as ``pandas.DataFrame.to_csv(index=False)`` writes it, fast.

pandas prints a float as Python's ``repr`` (the shortest text that reads back to the same double) through the csv
module, about 1 microsecond per number: most of the cost of a large CSV prediction. Here whole columns are cast to
text by Arrow, whose shortest-round-trip digits are the same as ``repr``'s; only its layout differs, and only for
whole numbers and numbers below 1e-4 (Arrow: ``0``, ``0.00001``, ``1e-8``; Python: ``0.0``, ``1e-05``,
``1e-08``), which a few string kernels rewrite (`_float_text`); a column that is not probabilities in [0, 1] is
written by the csv module itself.
Text cells are quoted as the csv module's QUOTE_MINIMAL does (a comma, a quote or a line break inside; quotes
doubled), missing ones left empty. A test compares the bytes with pandas' on random and extreme values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["csv_chunks"]

_ROWS = 1 << 18  # rows turned into text at a time: bounded memory (~20 MB of text for 10 classes)
_ARROW_FROM = 4096  # fewer rows than this: the csv module is faster than importing pyarrow
_THREADS = 2  # chunks formatted at once


def _quoted_characters() -> str:
    """The characters that make the csv module quote a cell (as pandas calls it: lineterminator "\n"); asked of
    the csv module itself, since "\r" is quoted by some Python versions and not by others."""
    quoted = ""
    for char in ',"\r\n':
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow(["a" + char, "b"])
        quoted += char if text.getvalue().startswith('"') else ""
    return quoted


_QUOTED = _quoted_characters()


def _plain_rows(columns: dict[str, np.ndarray], start: int, stop: int) -> bytes:
    text = io.StringIO()
    cells = []
    for values in columns.values():
        part = values[start:stop].tolist()
        if values.dtype == object:
            part = [None if v is None or (isinstance(v, float) and v != v) else v for v in part]
        cells.append(part)
    csv.writer(text, lineterminator="\n").writerows(zip(*cells))
    return text.getvalue().encode()


def _arrow_ready(columns: dict[str, np.ndarray]) -> bool:
    for values in columns.values():
        if values.dtype.kind == "f" and not ((values >= 0) & (values <= 1)).all():
            return False
        if values.dtype == object and not all(v is None or isinstance(v, str) for v in values.tolist()):
            return False
        if values.dtype.kind not in "fiuO":
            return False
    return True


def _float_text(values: np.ndarray):
    """Arrow string array of the repr of float64 `values` in [0, 1].

    Arrow and repr write the same digits; the layouts differ in three ranges, rewritten here with plain string
    kernels (no regular expressions: ten times faster): [1e-6, 1e-4) Arrow writes positionally (``0.0000123``,
    repr ``1.23e-05``), [1e-9, 1e-6) with a one-digit exponent (``1.5e-7``, repr ``1.5e-07``), and whole numbers
    without '.0'. Below 1e-9 and from 1e-4 to 1 the texts are equal.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(pa.array(values), pa.string())
    pieces, index = [text], np.arange(len(values))  # rewritten cells are appended and taken in their place

    def rewrite(mask: np.ndarray, fixed) -> None:
        index[mask] = sum(len(p) for p in pieces) + np.arange(len(fixed))
        pieces.append(fixed)

    for zeros, exponent in ((4, "e-05"), (5, "e-06")):  # 0.<zeros x 0><digits> -> d.ddde-0x
        mask = (values >= 10.0 ** -(zeros + 1)) & (values < 10.0 ** -zeros)
        if mask.any():
            digits = pc.filter(text, pa.array(mask))
            first, rest = pc.utf8_slice_codeunits(digits, 2 + zeros, 3 + zeros), pc.utf8_slice_codeunits(digits, 3 + zeros)
            rewrite(mask, pc.replace_substring(pc.binary_join_element_wise(first, ".", rest, exponent, ""), ".e", "e"))
    mask = (values >= 1e-9) & (values < 1e-6)
    if mask.any():
        rewrite(mask, pc.replace_substring(pc.filter(text, pa.array(mask)), "e-", "e-0"))
    whole = values == np.floor(values)  # 0 and 1
    if whole.any():
        rewrite(whole, pa.array([repr(v) for v in values[whole].tolist()], type=pa.string()))
    return text if len(pieces) == 1 else pa.concat_arrays(pieces).take(pa.array(index))


def _string_text(values: np.ndarray):
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.tolist(), type=pa.string())
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.fill_null(pc.if_else(pc.match_substring_regex(text, "[" + _QUOTED + "]"), quoted, text), "")


def _arrow_rows(columns: dict[str, np.ndarray], start: int, stop: int) -> bytes:
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = []
    for values in columns.values():
        part = values[start:stop]
        if part.dtype.kind == "f":
            cells.append(_float_text(part))
        elif part.dtype == object:
            cells.append(_string_text(part))
        else:
            cells.append(pc.cast(pa.array(part), pa.string()))
    cells[-1] = pc.binary_join_element_wise(cells[-1], "\n", "")  # the line terminator: on the last cell, not
    lines = pc.binary_join_element_wise(*cells, ",")  # on whole lines (a second copy of the text)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2][int(offsets[0]) : int(offsets[-1])].to_pybytes()  # sliced, then copied once


def csv_chunks(columns: dict[str, np.ndarray]) -> Iterator[bytes]:
    """The CSV file of `columns` (name -> N values), header first, in pieces of bounded size."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(columns))
    yield header.getvalue().encode()
    n = len(next(iter(columns.values()))) if columns else 0
    starts = list(range(0, n, _ROWS))
    if not (n >= _ARROW_FROM and _arrow_ready(columns)):
        for start in starts:
            yield _plain_rows(columns, start, min(n, start + _ROWS))
        return
    # Arrow's kernels release the GIL: chunks are formatted _THREADS at a time (memory: that many chunks of text)
    with ThreadPoolExecutor(_THREADS) as pool:
        for window in range(0, len(starts), _THREADS):
            yield from pool.map(lambda start: _arrow_rows(columns, start, min(n, start + _ROWS)),
                                starts[window : window + _THREADS])
