"""What a suspect row looks like, for a reviewer: a thumbnail of an image row, a snippet of a text row.

Images come from the dataset's own pixels (``Dataset.image_shape``: image folders, IDX); texts are read again from
the source table's text column, since the dataset keeps only TF-IDF features.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from multiclass.audit.result import Example
from multiclass.data import Dataset, read_table

__all__ = ["SNIPPET_CHARS", "dataset_examples", "snippet", "thumbnail"]

SNIPPET_CHARS = 160  # two lines of a table cell: enough to judge a label, short enough for a page of suspects
THUMBNAIL_PIXELS = 64  # longest side: a 28 x 28 digit is drawn at 2x, a photo shrunk to a recognisable icon


def thumbnail(pixels: np.ndarray) -> str:
    """A PNG ``data:`` URI of one image (H, W, C) with values in [0, 1]."""
    array = (np.clip(pixels, 0, 1) * 255).round().astype(np.uint8)
    image = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    scale = THUMBNAIL_PIXELS / max(image.size)
    image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                         Image.NEAREST if scale >= 1 else Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """`text` on one line (runs of whitespace as one space), cut to `limit` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _texts(dataset: Dataset, rows: np.ndarray) -> list[str] | None:
    column = dataset.load_options.get("text_column")
    if dataset.kind != "text" or column is None:
        return None
    frame = read_table(dataset.source, string_columns=[column])
    values = frame[column]
    return ["" if values.isna().iloc[r] else str(values.iloc[r]) for r in rows]


def dataset_examples(dataset: Dataset, rows: np.ndarray) -> dict[int, Example]:
    """Thumbnails (image data) or snippets (text data) of `rows`; empty for other data."""
    rows = np.asarray(rows, dtype=np.int64)
    if dataset.image_shape is not None:
        return {int(r): Example(thumbnail=thumbnail(dataset.X[r].reshape(dataset.image_shape))) for r in rows}
    texts = _texts(dataset, rows)
    if texts is None:
        return {}
    return {int(r): Example(snippet=snippet(text)) for r, text in zip(rows, texts)}
