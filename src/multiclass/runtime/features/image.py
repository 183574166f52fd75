"""``image`` state -> features: an encoded image (PNG, JPEG, anything Pillow reads) decoded, turned upright by its
EXIF orientation, composited onto white if transparent, converted to the saved mode, resized bilinearly to the saved
size, and scaled to [0, 1] as `multiclass.data.images.ImagePreprocessor` does.

One field, ``image``: bytes or a file path (Python callers), or base64 text (JSON, `strict`).
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from multiclass.data.bitdepth import MAX_PIXELS, to_eight_bit  # the largest image decoded (header first)
from multiclass.runtime.features.base import FeatureMap
from multiclass.savedstate import is_positive_int
from multiclass.runtime.schema import Field
from multiclass.runtime.values import InputError

__all__ = ["ImageFeatures"]

MODES = {"L": 1, "RGB": 3}
PIXEL_MAX = 255.0  # 8-bit channels: /255 maps them onto [0, 1]
_DECODE_ERRORS = (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError, SyntaxError)


class ImageFeatures(FeatureMap):
    """Encoded images -> the saved (height, width, mode) -> float32 pixels / 255 in (H, W, C) order."""

    kind = "image"
    params_names = ("height", "width", "mode", "resample")

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], data: Mapping) -> None:
        super().__init__(params, arrays)
        self.height = self.param("height", is_positive_int, "an int >= 1")
        self.width = self.param("width", is_positive_int, "an int >= 1")
        self.mode = self.param("mode", lambda v: v in MODES, "'L' or 'RGB'")
        self.param("resample", lambda v: v == "bilinear", "'bilinear'")
        self.shape = (self.height, self.width, MODES[self.mode])
        self.n_features = self.height * self.width * MODES[self.mode]
        self.fields = (Field("image", "image", nullable=False),)

    def pixels(self, source: Any, row: int, *, strict: bool) -> np.ndarray:
        """uint8 (H, W, C) of one image."""
        if strict and isinstance(source, str):
            try:
                source = base64.b64decode(source, validate=True)
            except (binascii.Error, ValueError):
                raise InputError("must be a base64-encoded image.", field="image", row=row) from None
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(source)
        elif strict or not isinstance(source, (str, Path)):
            raise InputError("must be an encoded image" + (" (base64 text)." if strict else " or a path."),
                             field="image", row=row)
        try:
            with Image.open(source) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise InputError(f"is larger than {MAX_PIXELS} pixels.", field="image", row=row)
                opened.load()
                image = ImageOps.exif_transpose(to_eight_bit(opened))  # 16-bit levels scaled, not clipped
            if image.mode in ("RGBA", "LA", "La", "PA", "RGBa") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            image = image.convert(self.mode)
            if image.size != (self.width, self.height):
                image = image.resize((self.width, self.height), Image.Resampling.BILINEAR)
        except InputError:
            raise
        except _DECODE_ERRORS:
            raise InputError("is not an image Pillow can read.", field="image", row=row) from None
        return np.asarray(image, dtype=np.uint8).reshape(self.shape)

    def transform(self, columns, *, strict: bool = False, allow_extra: bool = True) -> np.ndarray:
        (column,), n = self.columns(columns, allow_extra=allow_extra)
        pixels = np.empty((n, *self.shape), dtype=np.uint8)  # (N, H, W, C)
        for i, source in enumerate(column):
            pixels[i] = self.pixels(source, i + 1, strict=strict)
        return np.ascontiguousarray(pixels.reshape(n, -1).astype(np.float32) / np.float32(PIXEL_MAX))
