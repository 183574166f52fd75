"""Builders shared by the tests of multiclass.data: small files written into tmp_path, and the model-file round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.numpy import load as safetensors_load
from safetensors.numpy import save as safetensors_save

from multiclass.data import Dataset, Preprocessor, preprocessor_from_state

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared/datasets/mnist"
needs_shared_mnist = pytest.mark.skipif(
    not (SHARED_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"needs the MNIST IDX files in {SHARED_MNIST} (../shared beside the repository)",
)


def through_model_file(preprocessor: Preprocessor) -> Preprocessor:
    """Save the state the way the model directory does (JSON text + safetensors bytes) and rebuild it."""
    params, arrays = preprocessor.state()
    text = json.dumps({"kind": preprocessor.kind, "params": params}, allow_nan=False)
    blob = safetensors_save({f"preprocessor.{k}": v for k, v in arrays.items()}) if arrays else b""
    loaded = json.loads(text)
    tensors = safetensors_load(blob) if blob else {}
    return preprocessor_from_state(
        loaded["kind"], loaded["params"], {k.removeprefix("preprocessor."): v for k, v in tensors.items()}
    )


def assert_same_bytes(a: np.ndarray, b: np.ndarray) -> None:
    """Byte-identical features: same dtype, shape and bits."""
    assert a.dtype == b.dtype == np.float32
    assert a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def assert_dataset_invariants(ds: Dataset) -> None:
    assert ds.X.dtype == np.float32 and ds.X.flags.c_contiguous and ds.X.ndim == 2
    assert np.isfinite(ds.X).all()
    assert len(ds.feature_names) == ds.X.shape[1]
    if ds.y is not None:
        assert ds.y.dtype == np.int64 and ds.y.shape == (ds.X.shape[0],)
        assert 0 <= ds.y.min() and ds.y.max() < len(ds.classes)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def make_image(path: Path, size=(6, 4), mode="RGB", color=(200, 30, 30), fmt=None) -> Path:
    """Write a solid-colour image of (width, height) ``size`` with one darker pixel, so images are not constant."""
    value = color if mode in ("RGB", "RGBA") else color[0]
    image = Image.new(mode, size, value)
    image.putpixel((0, 0), (0, 0, 0) if mode == "RGB" else 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=fmt)
    return path


def make_image_folder(root: Path) -> Path:
    """cat/ (three 6x4 PNG, RGB) and dog/ (two JPEG, one 6x4 and one 10x8): the most common size is 6x4, RGB."""
    make_image(root / "cat" / "a.png")
    make_image(root / "cat" / "b.png", color=(180, 40, 40))
    make_image(root / "cat" / "c.png", color=(220, 10, 10))
    make_image(root / "dog" / "d.jpg", color=(30, 30, 200))
    make_image(root / "dog" / "e.jpeg", size=(10, 8), color=(40, 40, 220))
    return root
