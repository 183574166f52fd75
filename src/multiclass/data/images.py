"""Image folders (one sub-folder per class; PNG, JPEG or anything Pillow reads) -> `Dataset` of pixels in [0, 1].

Rules, decided on the training images and stored:
- *size*: the most common (height, width) among the training images (ties: more pixels, then taller); every image
  is resized to it with Pillow's bilinear filter (antialiased when shrinking), so a few odd-sized images
  neither set the size nor break the load. Pass ``size=`` to choose it yourself.
- *mode*: ``"L"`` (1 channel) if most training images are greyscale (modes 1, L, LA, I, F), otherwise ``"RGB"``
  (3 channels; a tie gives RGB, which loses nothing). Pass ``mode=`` to choose.
- EXIF orientation is applied first, and transparency is composited onto white before dropping alpha, so a
  transparent-background PNG looks the same as it does in a viewer.
Files and folders whose names start with ``.`` are skipped; any other file must be an image.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from multiclass.data.bitdepth import MAX_PIXELS, to_eight_bit
from multiclass.exceptions import ConfigError, DataError
from multiclass.safetext import file_name_text
from multiclass.data.dataset import Dataset
from multiclass.data.labels import encode_labels, errors_about
from multiclass.data.preprocessing import (
    Preprocessor,
    SavedState,
    is_positive_int,
    pixel_names,
    register_preprocessor,
)

__all__ = ["ImagePreprocessor", "load_images", "list_image_folder"]

MODES = {"L": 1, "RGB": 3}
GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
RESAMPLE = {"bilinear": Image.Resampling.BILINEAR}
PIXEL_MAX = 255.0  # 8-bit channels: /255 maps them onto [0, 1]
_ORIENTATION_TAG = 0x0112  # EXIF orientation; values 5-8 rotate by 90 degrees, swapping width and height


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def list_image_folder(root: str | Path, what: str = "images") -> tuple[list[Path], list[str] | None]:
    """List the files of an image folder: ``(paths, class_names)`` for class sub-folders, ``(paths, None)`` if flat.

    `what` names the files in messages (a text folder has the same layout: ``"text files"``).

    Raises
    ------
    DataError
        No such folder, an empty class folder, a stray file beside class folders, or no files at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder.")
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    folders = [p for p in entries if p.is_dir()]
    files = [p for p in entries if p.is_file()]
    if not folders:
        if not files:
            raise DataError(f"{root}: the folder holds no {what}.")
        return files, None
    if files:
        raise DataError(f"{files[0]}: stray file beside the class folders; move it into a class folder or remove it.")
    paths: list[Path] = []
    labels: list[str] = []
    for folder in folders:
        found = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
        if not found:
            raise DataError(f"{folder}: class folder {folder.name!r} holds no {what}.")
        paths += found
        labels += [file_name_text(folder.name)] * len(found)  # a name that is not UTF-8: escaped
    return paths, labels


def _open(path: Path) -> Image.Image:
    """Decode the whole file now (a truncated file fails here, naming itself), upright per its EXIF orientation."""
    try:
        with Image.open(path) as image:
            _check_pixels(path, image)
            image.load()
            return ImageOps.exif_transpose(to_eight_bit(image))  # a new image: the file is closed on return
    except DataError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        reason = "not an image Pillow can read" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise DataError(f"{path}: {reason}.") from None


def _check_pixels(path: Path, image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise DataError(f"{path}: the image has {image.width} x {image.height} pixels, more than the {MAX_PIXELS:,} "
                        "that are read; make it smaller.")


def _header(path: Path) -> tuple[tuple[int, int], str]:
    """(height, width) as displayed and the channel mode, reading only the header."""
    try:
        with Image.open(path) as image:
            _check_pixels(path, image)
            width, height = image.size
            if image.getexif().get(_ORIENTATION_TAG, 1) in (5, 6, 7, 8):
                width, height = height, width
            return (height, width), "L" if image.mode in GREY_MODES else "RGB"
    except DataError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        _open(path)  # raises the one-line DataError
        raise


@register_preprocessor
class ImagePreprocessor(Preprocessor):
    """Image files -> fixed size and mode -> float32 pixels / 255, flattened in (H, W, C) order.

    Parameters
    ----------
    size : (int, int), optional
        Output (height, width); default the most common size among the training images.
    mode : {"L", "RGB"}, optional
        Output channels; default greyscale if most training images are greyscale, else RGB.
    """

    kind = "image"

    def __init__(self, size: tuple[int, int] | None = None, mode: str | None = None) -> None:
        self.size = size
        self.mode = mode
        self.size_: tuple[int, int] | None = None
        self.mode_: str | None = None

    def fit(self, raw: Sequence[str | Path]) -> ImagePreprocessor:
        """Choose the output size and mode from the training images (see the module docstring)."""
        if self.size is not None and not (
            isinstance(self.size, (tuple, list)) and len(self.size) == 2 and all(is_positive_int(s) for s in self.size)
        ):
            raise ConfigError(f"`size` must be (height, width) with positive ints; got {self.size!r}.")
        if self.mode is not None and self.mode not in MODES:
            raise ConfigError(f"`mode` must be 'L' or 'RGB'; got {self.mode!r}.")
        if len(raw) == 0:
            raise DataError("there are no images to learn from.")
        headers = [_header(Path(p)) for p in raw]
        sizes = Counter(size for size, _ in headers)
        modes = Counter(mode for _, mode in headers)
        self.size_ = tuple(self.size) if self.size else max(sizes, key=lambda s: (sizes[s], s[0] * s[1], s))
        self.mode_ = self.mode or ("L" if modes["L"] > modes["RGB"] else "RGB")
        return self

    @property
    def image_shape_(self) -> tuple[int, int, int]:
        """(height, width, channels) of the output."""
        self._check_fitted("size_")
        return (*self.size_, MODES[self.mode_])

    def load_pixels(self, path: str | Path) -> np.ndarray:
        """One image file as uint8 (H, W, C) in the fitted size and mode."""
        image = _open(Path(path))
        if image.mode in ("RGBA", "LA", "La", "PA", "RGBa") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        image = image.convert(self.mode_)
        height, width = self.size_
        if image.size != (width, height):
            image = image.resize((width, height), RESAMPLE["bilinear"])
        return np.asarray(image, dtype=np.uint8).reshape(self.image_shape_)

    def transform(self, raw: Sequence[str | Path]) -> np.ndarray:
        """Load every file and return float32 (N, H*W*C) pixels / 255."""
        self._check_fitted("size_")
        pixels = np.empty((len(raw), *self.image_shape_), dtype=np.uint8)  # (N, H, W, C)
        for i, path in enumerate(raw):
            pixels[i] = self.load_pixels(path)
        return np.ascontiguousarray(pixels.reshape(len(raw), -1).astype(np.float32) / np.float32(PIXEL_MAX))

    @property
    def feature_names_(self) -> tuple[str, ...]:
        return pixel_names(self.image_shape_)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``params = {"height", "width", "mode", "resample"}``; no arrays."""
        self._check_fitted("size_")
        height, width = self.size_
        return {"height": height, "width": width, "mode": self.mode_, "resample": "bilinear"}, {}

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> ImagePreprocessor:
        saved = SavedState(cls.kind, params, arrays, param_names=("height", "width", "mode", "resample"))
        height = saved.param("height", is_positive_int, "an int >= 1")
        width = saved.param("width", is_positive_int, "an int >= 1")
        mode = saved.param("mode", lambda v: v in MODES, "'L' or 'RGB'")
        saved.param("resample", lambda v: v in RESAMPLE, "'bilinear'")
        pre = cls((int(height), int(width)), mode)
        pre.size_, pre.mode_ = (int(height), int(width)), mode
        return pre


def load_images(
    root: str | Path,
    *,
    size: tuple[int, int] | None = None,
    mode: str | None = None,
    preprocessor: ImagePreprocessor | None = None,
    classes: Sequence[str] = (),
    with_labels: bool = True,
    target_dtype: str = "str",
) -> Dataset:
    """Load an image folder as a `Dataset`: ``root/<class>/<image>`` (training), or flat ``root/<image>`` too when
    predicting. ``ids`` are the paths relative to ``root`` (``"cat/001.png"``); classes are folder names, sorted.

    Parameters
    ----------
    root : str or Path
        The folder.
    size, mode
        Override the size/mode rules (training only); see `ImagePreprocessor`.
    preprocessor : ImagePreprocessor, optional
        A fitted preprocessor: prediction mode (the stored size and mode are applied; class folders optional).
    classes, target_dtype
        The training classes, used in prediction mode when the folder has class sub-folders.

    Raises
    ------
    DataError
        A non-image file (named), an empty class folder (named), a flat folder when training, unknown classes.
    """
    root = Path(root)
    if not (preprocessor is None or isinstance(preprocessor, ImagePreprocessor)):
        raise ConfigError(f"`preprocessor` must be an ImagePreprocessor; got {type(preprocessor).__name__}.")
    paths, labels = list_image_folder(root)
    y = None
    if preprocessor is None:
        if labels is None:
            raise DataError(f"{root}: no class sub-folders; training needs one folder of images per class.")
        classes, target_dtype = tuple(sorted(set(labels))), "str"
        y = encode_labels(labels, classes)
        preprocessor = ImagePreprocessor(size, mode).fit(paths)
    else:
        if size is not None or mode is not None:
            raise ConfigError("`size` and `mode` apply only when fitting; the preprocessor already stores them.")
        if labels is not None and with_labels:
            with errors_about(str(root)):
                y = encode_labels(labels, classes, where="class folders")
    X = preprocessor.transform(paths)  # (N, H*W*C)
    ids = np.array([file_name_text(p.relative_to(root).as_posix()) for p in paths], dtype=object)
    return Dataset(
        X,
        y,
        tuple(classes),
        preprocessor.feature_names_,
        str(root),
        "images",
        preprocessor,
        ids=ids,
        image_shape=preprocessor.image_shape_,
        target_dtype=target_dtype,
    )
