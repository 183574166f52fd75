"""A decoded image brought to 8 bits per channel by its real bit depth, and the largest image decoded at all.

Pillow opens a 16-bit PNG in mode ``I;16`` (or ``I``), and ``convert("L")`` clips every value above 255 to 255:
two classes of 16-bit images whose levels differ only above 255 would become the same white image, silently.
`to_eight_bit` scales instead (16-bit levels / 257, so 65535 -> 255; float images in [0, 1] x 255). Both readers of
images -- `multiclass.data.images` for training and evaluation, `multiclass.runtime.features.image` for predictions
-- call it, and both refuse an image of more than `MAX_PIXELS` pixels from its header, before decoding it (a small
compressed file can declare a huge size; Pillow's own limit only warns on stderr below ~179 megapixels).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["MAX_PIXELS", "to_eight_bit"]

MAX_PIXELS = 40_000_000  # a 40-megapixel photo (120 MB as RGB)
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def to_eight_bit(image: Image.Image) -> Image.Image:
    """`image` itself when it has 8-bit channels, else its levels scaled onto 0-255 as a greyscale ``L`` image.

    16-bit integer modes are divided by 257 (an ``I`` image whose values exceed 65535 by its maximum); a float
    ``F`` image is taken as [0, 1] when it stays there, else scaled by its maximum.
    """
    if image.mode not in (*_SIXTEEN_BIT, "F"):
        return image
    levels = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        top = 1.0 if levels.size == 0 or levels.max() <= 1.0 else float(levels.max())
    else:
        top = 65535.0 if levels.size == 0 or levels.max() <= 65535 else float(levels.max())
    scaled = np.clip(np.rint(levels * (255.0 / top)), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled, mode="L")
