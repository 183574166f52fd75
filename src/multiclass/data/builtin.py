"""Built-in datasets by name: iris, wine, digits (bundled with scikit-learn, offline) and mnist, fashion-mnist (IDX
files in a data folder; fetched only by an explicit `download`).

Splits. ``"train"``/``"test"``/``"all"``. MNIST-like sets use their published 60000/10000 split. The small sets
have none, so every 4th sample of each class (file order) is the test set: a stratified 75/25 split that needs no
random generator and so cannot change between library versions. The preprocessing is always fitted on the train
split (on everything for ``"all"``).

Data folder for mnist/fashion-mnist: ``data_dir``, else the environment variable ``MULTICLASS_DATA_DIR``; the files
(``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``, ``t10k-...``, gzipped or not) are looked for in
``<data_dir>/<name>/`` first, then in ``<data_dir>/`` itself.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multiclass.exceptions import ConfigError, DataError
from multiclass.data.dataset import Dataset
from multiclass.data.idx import PIXEL_MAX, atomic_write, read_idx
from multiclass.data.labels import encode_labels, errors_about
from multiclass.data.names import BUILTIN_NAMES
from multiclass.data.preprocessing import Preprocessor, ScalePreprocessor, StandardizePreprocessor

__all__ = ["DatasetInfo", "BUILTIN_NAMES", "list_datasets", "load_builtin", "download", "verify_checksum"]

ENV_VAR = "MULTICLASS_DATA_DIR"
SPLITS = ("train", "test", "all")
TEST_EVERY = 4  # every 4th sample of each class is a test sample (25%)
DIGITS_MAX = 16.0  # scikit-learn's digits are 4-bit counts 0..16: /16 maps them onto [0, 1]
FETCH_TIMEOUT_S = 60
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class _IdxSpec:
    description: str
    classes: tuple[str, ...]
    target_dtype: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]  # published MD5 of each .gz file (torchvision / Zalando list the same values)


_IDX_SETS = {
    "mnist": _IdxSpec(
        "Handwritten digits 0-9, 28x28 greyscale (LeCun et al.)",
        tuple(str(d) for d in range(10)),
        "int",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        {
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
    ),
    "fashion-mnist": _IdxSpec(
        "Zalando clothing images in 10 classes, 28x28 greyscale",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "str",
        (
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        {
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
    ),
}
# name -> (description, n_samples, n_features, n_classes, image_shape)
_SKLEARN_SETS = {
    "iris": ("Fisher's iris flowers: 4 measurements, 3 species", 150, 4, 3, None),
    "wine": ("Italian wines: 13 chemical measurements, 3 cultivars", 178, 13, 3, None),
    "digits": ("Handwritten digits 0-9, 8x8 pixels of 0..16 (UCI)", 1797, 64, 10, (8, 8, 1)),
}
if BUILTIN_NAMES != tuple(_SKLEARN_SETS) + tuple(_IDX_SETS):  # the light list of names is these sets'
    raise ImportError("multiclass.data.names.BUILTIN_NAMES must list the built-in sets in order")


@dataclass(frozen=True)
class DatasetInfo:
    """One line of ``multiclass datasets``: what a built-in dataset is and where it comes from."""

    name: str
    description: str
    n_samples: int
    n_features: int
    n_classes: int
    source: str
    available: bool


def _check_name(name: str) -> None:
    if name not in BUILTIN_NAMES:
        raise ConfigError(f"`name` must be one of {', '.join(BUILTIN_NAMES)}; got {name!r}.")


def _data_root(data_dir: str | Path | None) -> Path | None:
    root = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    return Path(root) if root else None


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def _idx_folder(name: str, data_dir: str | Path | None) -> Path:
    """The folder holding all four IDX files of ``name``; a `DataError` that says how to get them otherwise."""
    root = _data_root(data_dir)
    if root is None:
        raise DataError(
            f"{name}: no data folder; pass `data_dir` or set {ENV_VAR} to a folder holding the IDX files "
            f"(multiclass.data.download({name!r}, data_dir) fetches them)."
        )
    stems = [stem for pair in IDX_FILES.values() for stem in pair]
    for folder in (root / name, root):
        if folder == root and root.name in _IDX_SETS and root.name != name:
            continue  # data_dir=.../mnist must not pass MNIST off as fashion-mnist (the file names are the same)
        if all(_find(folder, stem) for stem in stems):
            return folder
    raise DataError(
        f"{name}: IDX files not found in {root / name} or {root}; expected {', '.join(s + '[.gz]' for s in stems)}."
    )


def list_datasets(data_dir: str | Path | None = None) -> list[DatasetInfo]:
    """Describe every built-in dataset (for ``multiclass datasets``); ``available``: it loads offline now."""
    infos = [
        DatasetInfo(name, desc, n, d, k, "scikit-learn (bundled)", True)
        for name, (desc, n, d, k, _) in _SKLEARN_SETS.items()
    ]
    for name, spec in _IDX_SETS.items():
        try:
            source, available = str(_idx_folder(name, data_dir)), True
        except DataError:
            source, available = f"not found: set {ENV_VAR} or call download({name!r}, data_dir)", False
        infos.append(DatasetInfo(name, spec.description, 70_000, 784, len(spec.classes), source, available))
    return infos


def _sklearn_raw(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    from sklearn import (
        datasets,  # reads the CSV files bundled in the wheel; never the network
    )

    bunch = {"iris": datasets.load_iris, "wine": datasets.load_wine, "digits": datasets.load_digits}[name]()
    return (
        bunch.data,
        bunch.target.astype(np.int64),
        tuple(str(c) for c in bunch.target_names),
        tuple(bunch.feature_names),
    )


def _split_rows(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Row indices of each split: every TEST_EVERY-th sample of each class, in file order, is a test sample."""
    rank = np.zeros(len(labels), dtype=np.int64)  # position of each sample within its class
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rank[members] = np.arange(len(members))
    test = rank % TEST_EVERY == TEST_EVERY - 1
    return {"train": np.flatnonzero(~test), "test": np.flatnonzero(test), "all": np.arange(len(labels))}


def _idx_raw(name: str, split: str, data_dir: str | Path | None) -> tuple[np.ndarray, np.ndarray]:
    folder = _idx_folder(name, data_dir)
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    for part in parts:
        image_file, label_file = (_find(folder, stem) for stem in IDX_FILES[part])
        images.append(read_idx(image_file))
        labels.append(read_idx(label_file).astype(np.int64))
        if labels[-1].shape != images[-1].shape[:1] or images[-1].shape[1:] != (28, 28):
            raise DataError(
                f"{image_file}: expected (N, 28, 28) images and N labels; "
                f"got {images[-1].shape} and {labels[-1].shape}."
            )
    return np.concatenate(images), np.concatenate(labels)


def _new_preprocessor(name: str, feature_names: Sequence[str] | None) -> Preprocessor:
    if name in _IDX_SETS:
        return ScalePreprocessor(PIXEL_MAX)
    return ScalePreprocessor(DIGITS_MAX) if name == "digits" else StandardizePreprocessor(feature_names)


def load_builtin(
    name: str,
    *,
    split: str = "train",
    data_dir: str | Path | None = None,
    preprocessor: Preprocessor | None = None,
    classes: Sequence[str] = (),
    target_dtype: str = "str",
) -> Dataset:
    """Load a built-in dataset.

    Parameters
    ----------
    name : {"iris", "wine", "digits", "mnist", "fashion-mnist"}
    split : {"train", "test", "all"}, default="train"
    data_dir : str or Path, optional
        Folder with the mnist/fashion-mnist IDX files (default ``$MULTICLASS_DATA_DIR``).
    preprocessor : Preprocessor, optional
        A fitted preprocessor: prediction mode (labels encoded with ``classes``).
    classes, target_dtype
        The training classes and label dtype, used in prediction mode.

    Returns
    -------
    Dataset
        Pixels /255 (mnist-like) or /16 (digits), z-scores fitted on the train split (iris, wine).
    """
    _check_name(name)
    if split not in SPLITS:
        raise ConfigError(f"`split` must be one of {', '.join(SPLITS)}; got {split!r}.")
    feature_names = None
    if name in _IDX_SETS:
        spec = _IDX_SETS[name]
        raw, labels = _idx_raw(name, split, data_dir)
        fit_raw = raw  # dividing by 255 learns nothing, so there is no need to read the train split for "test"
        names, dtype, image_shape = spec.classes, spec.target_dtype, (28, 28, 1)
    else:
        data, all_labels, names, feature_names = _sklearn_raw(name)
        rows = _split_rows(all_labels)
        image_shape = _SKLEARN_SETS[name][4]
        if image_shape is not None:
            data = data.reshape(-1, *image_shape[:2])  # (N, 8, 8): ScalePreprocessor then names pixels by row/col
        raw, labels = data[rows[split]], all_labels[rows[split]]
        fit_raw = data[rows["all" if split == "all" else "train"]]
        dtype = "int" if name == "digits" else "str"
    with errors_about(name):
        if preprocessor is None:
            preprocessor = _new_preprocessor(name, feature_names).fit(fit_raw)
            classes, target_dtype, y = names, dtype, labels
        else:
            y = encode_labels(np.array(names, dtype=object)[labels], classes, where="labels")
        X = preprocessor.transform(raw)
    return Dataset(
        X,
        y,
        tuple(classes),
        preprocessor.feature_names_,
        name,
        "builtin",
        preprocessor,
        image_shape=image_shape,
        target_dtype=target_dtype,
    )


# --- download (explicit only; never called by tests or loaders) ------------------------------------------------


def verify_checksum(payload: bytes, expected_md5: str, *, what: str) -> None:
    """Raise a `DataError` naming ``what`` unless ``payload`` has the expected MD5 (lowercase hex).

    MD5 because that is what the publishers list; it guards against truncated, corrupted or wrong files.
    """
    got = hashlib.md5(payload, usedforsecurity=False).hexdigest()
    if got != expected_md5:
        raise DataError(f"{what}: MD5 {got} does not match the published {expected_md5}; the file was not saved.")


def _fetch(url: str) -> bytes:
    """GET ``url`` and return the body (module-level so tests can replace it)."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
        return response.read()


def download(name: str, data_dir: str | Path | None = None) -> Path:
    """Fetch the four IDX files of ``mnist`` or ``fashion-mnist`` into ``<data_dir>/<name>/`` and return that folder.

    Files already present with the published checksum are kept. Each download is checked against the MD5
    constants above before it is written (atomically: temporary file + ``os.replace``); mirrors are tried in
    order.

    Raises
    ------
    ConfigError
        Unknown name, or no ``data_dir`` and no ``MULTICLASS_DATA_DIR``.
    DataError
        Every mirror failed or served a file with the wrong checksum.
    """
    if name not in _IDX_SETS:
        raise ConfigError(f"`name` must be one of {', '.join(_IDX_SETS)} (the others are bundled); got {name!r}.")
    root = _data_root(data_dir)
    if root is None:
        raise ConfigError(f"`data_dir` must be a folder path (or set {ENV_VAR}); got None.")
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = _IDX_SETS[name]
    for filename, md5 in spec.md5.items():
        destination = folder / filename
        if destination.is_file():
            try:
                verify_checksum(destination.read_bytes(), md5, what=str(destination))
                continue
            except DataError:
                pass  # a partial or foreign file: fetch it again
        errors = []
        for mirror in spec.mirrors:
            url = mirror + filename
            try:
                payload = _fetch(url)
                verify_checksum(payload, md5, what=url)
            except (OSError, DataError) as exc:  # URLError and timeouts are OSErrors
                errors.append(str(exc))
                continue
            atomic_write(destination, payload)
            break
        else:
            raise DataError(f"{name}: could not download {filename}: {'; '.join(errors)}")
    return folder
