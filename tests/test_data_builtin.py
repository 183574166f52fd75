"""multiclass.data.builtin: offline iris/wine/digits, mnist-like sets from a data folder, and checked downloads."""

import hashlib

import numpy as np
import pytest

from multiclass.data import (
    builtin,
    download,
    list_datasets,
    load_builtin,
    load_dataset,
    load_for_prediction,
    write_idx,
)
from multiclass.data.builtin import verify_checksum
from multiclass.exceptions import ConfigError, DataError

from .data_helpers import (
    SHARED_MNIST,
    assert_dataset_invariants,
    assert_same_bytes,
    needs_shared_mnist,
    through_model_file,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any fetch a test does not replace itself fails loudly instead of reaching the network."""

    def refuse(url):
        raise AssertionError(f"tests must not download: {url}")

    monkeypatch.setattr(builtin, "_fetch", refuse)
    monkeypatch.delenv(builtin.ENV_VAR, raising=False)


def _fake_idx_folder(folder, n_train=8, n_test=4):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))
    return folder


@pytest.mark.parametrize(
    ("name", "n", "d", "classes"),
    [
        ("iris", 150, 4, ("setosa", "versicolor", "virginica")),
        ("wine", 178, 13, ("class_0", "class_1", "class_2")),
        ("digits", 1797, 64, tuple("0123456789")),
    ],
)
def test_bundled_sets_load_offline_with_names_and_a_stratified_split(name, n, d, classes):
    train, test, everything = (load_builtin(name, split=s) for s in ("train", "test", "all"))
    for ds in (train, test, everything):
        assert_dataset_invariants(ds)
        assert ds.classes == classes and ds.n_features == d and ds.kind == "builtin" and ds.source == name
    assert train.n_samples + test.n_samples == everything.n_samples == n
    assert abs(test.n_samples - n / 4) <= len(classes)
    np.testing.assert_array_equal(np.bincount(test.y), np.bincount(everything.y) // 4)  # every 4th of each class
    again = load_for_prediction(name, through_model_file(train.preprocessor), classes=train.classes)
    assert_same_bytes(again.X, test.X)  # prediction on a built-in name reads the test split, fitted on train


def test_scaling_matches_each_dataset():
    iris = load_builtin("iris")
    np.testing.assert_allclose(iris.X.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(iris.X.std(axis=0), 1, atol=1e-5)
    digits = load_builtin("digits", split="all")
    from sklearn.datasets import load_digits

    assert_same_bytes(digits.X, load_digits().data.astype(np.float32) / np.float32(16))
    assert digits.image_shape == (8, 8, 1) and digits.target_dtype == "int"
    np.testing.assert_array_equal(digits.decode(digits.y[:3]), load_digits().target[:3])


def test_mnist_from_data_dir_and_environment(tmp_path, monkeypatch):
    _fake_idx_folder(tmp_path / "mnist")
    train = load_dataset("mnist", data_dir=tmp_path)
    assert train.X.shape == (8, 784) and train.image_shape == (28, 28, 1) and train.classes == tuple("0123456789")
    monkeypatch.setenv(builtin.ENV_VAR, str(tmp_path))
    assert load_builtin("mnist", split="test").n_samples == 4
    assert load_builtin("mnist", split="all").n_samples == 12
    assert {i.name: i.available for i in list_datasets()} == {
        "iris": True,
        "wine": True,
        "digits": True,
        "mnist": True,
        "fashion-mnist": False,
    }


def test_fashion_mnist_class_names_and_no_mnist_impostor(tmp_path):
    _fake_idx_folder(tmp_path / "fashion-mnist")
    ds = load_builtin("fashion-mnist", data_dir=tmp_path)
    assert ds.classes[:3] == ("T-shirt/top", "Trouser", "Pullover") and ds.classes[-1] == "Ankle boot"
    assert ds.decode(ds.y[:2]).tolist() == ["T-shirt/top", "Trouser"]
    mnist_only = _fake_idx_folder(tmp_path / "x" / "mnist")
    with pytest.raises(
        DataError, match=r"fashion-mnist: IDX files not found in .*mnist/fashion-mnist or .*mnist; expected"
    ):
        load_builtin("fashion-mnist", data_dir=mnist_only)


def test_missing_data_folder_and_files_say_how_to_fix_it(tmp_path):
    with pytest.raises(
        DataError, match=r"mnist: no data folder; pass `data_dir` or set MULTICLASS_DATA_DIR .*download"
    ):
        load_builtin("mnist")
    with pytest.raises(
        DataError, match=r"mnist: IDX files not found in .*; expected train-images-idx3-ubyte\[\.gz\], "
    ):
        load_builtin("mnist", data_dir=tmp_path)
    with pytest.raises(
        ConfigError, match=r"`name` must be one of iris, wine, digits, mnist, fashion-mnist; got 'cifar'\."
    ):
        load_builtin("cifar")
    with pytest.raises(ConfigError, match=r"`split` must be one of train, test, all; got 'valid'\."):
        load_builtin("iris", split="valid")


def test_list_datasets_describes_every_set():
    infos = {info.name: info for info in list_datasets()}
    assert list(infos) == ["iris", "wine", "digits", "mnist", "fashion-mnist"]
    assert (infos["wine"].n_samples, infos["wine"].n_features, infos["wine"].n_classes) == (178, 13, 3)
    assert infos["mnist"].available is False and "MULTICLASS_DATA_DIR" in infos["mnist"].source


@needs_shared_mnist
@pytest.mark.needs_shared
def test_real_mnist_test_split_via_data_dir():
    ds = load_builtin("mnist", split="test", data_dir=SHARED_MNIST.parent)
    assert ds.X.shape == (10000, 784) and np.bincount(ds.y).size == 10
    assert ds.X.max() == 1.0 and ds.X.min() == 0.0


@needs_shared_mnist
def test_published_checksum_of_a_real_file():
    verify_checksum(
        (SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes(),
        builtin._IDX_SETS["mnist"].md5["t10k-labels-idx1-ubyte.gz"],
        what="t10k labels",
    )


def _serve(monkeypatch, files, broken_mirror=None):
    """Replace the fetch function with one that serves ``files`` by name (and garbage from ``broken_mirror``)."""
    fetched = []

    def fetch(url):
        fetched.append(url)
        if broken_mirror and url.startswith(broken_mirror):
            return b"garbage"
        return files[url.rsplit("/", 1)[1]]

    monkeypatch.setattr(builtin, "_fetch", fetch)
    spec = builtin._IDX_SETS["mnist"]
    md5 = {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
    monkeypatch.setitem(
        builtin._IDX_SETS,
        "mnist",
        builtin._IdxSpec(spec.description, spec.classes, spec.target_dtype, spec.mirrors, md5),
    )
    return fetched


def test_download_verifies_checksums_and_writes_atomically(tmp_path, monkeypatch):
    files = {name: f"the bytes of {name}".encode() for name in builtin._IDX_SETS["mnist"].md5}
    fetched = _serve(monkeypatch, files, broken_mirror=builtin._IDX_SETS["mnist"].mirrors[0])
    folder = download("mnist", tmp_path / "data")
    assert folder == tmp_path / "data" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)  # no temporary files left
    assert len(fetched) == 8  # each file: the broken mirror first, then the good one
    for name, data in files.items():
        assert (folder / name).read_bytes() == data
    download("mnist", tmp_path / "data")
    assert len(fetched) == 8  # files with the right checksum are kept, not fetched again


def test_download_refuses_a_file_with_the_wrong_checksum(tmp_path, monkeypatch):
    _serve(monkeypatch, {"train-images-idx3-ubyte.gz": b"x"}, broken_mirror="http")  # every mirror serves garbage
    with pytest.raises(
        DataError,
        match=r"mnist: could not download train-images-idx3-ubyte\.gz: https://.*: MD5 "
        r"[0-9a-f]{32} does not match the published [0-9a-f]{32}; the file was not saved",
    ):
        download("mnist", tmp_path)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_verify_checksum_and_download_options(tmp_path):
    payload = b"hello"
    verify_checksum(payload, hashlib.md5(payload).hexdigest(), what="hello.gz")
    with pytest.raises(
        DataError, match=r"^hello\.gz: MD5 5d41402abc4b2a76b9719d911017c592 does not match the published"
    ):
        verify_checksum(payload, "0" * 32, what="hello.gz")
    with pytest.raises(
        ConfigError, match=r"`name` must be one of mnist, fashion-mnist \(the others are bundled\); got 'iris'\."
    ):
        download("iris", tmp_path)
    with pytest.raises(
        ConfigError, match=r"`data_dir` must be a folder path \(or set MULTICLASS_DATA_DIR\); got None\."
    ):
        download("mnist")


def test_mnist_files_of_the_wrong_shape_are_rejected(tmp_path):
    folder = _fake_idx_folder(tmp_path / "mnist")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(
        DataError,
        match=r"t10k-images-idx3-ubyte\.gz: expected \(N, 28, 28\) images and N labels; got "
        r"\(4, 8, 8\) and \(4,\)\.$",
    ):
        load_builtin("mnist", split="test", data_dir=tmp_path)
