"""Shared fixtures: small datasets built in memory, and the path to ../shared when it is there."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings
from sklearn.datasets import load_digits, make_blobs, make_classification

# The gate (.ci/run sets CI) replays the same property-test examples on every run, so a commit passes or fails it
# for its code alone; elsewhere the examples are random, and what they find becomes a regression test (as the CSV
# guard's "'\t" did, tests/test_reliability_terminal.py).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# One intra-op thread: the tests train tiny models, and on a loaded 2-core machine torch's spinning worker
# threads slow small operations by 10x or more (measured; see bench/RESULTS.md). Results do not depend on it.
torch.set_num_threads(1)

# ../shared beside the project; MULTICLASS_SHARED names it elsewhere (a git worktree's parent has none).
SHARED = Path(os.environ.get("MULTICLASS_SHARED") or Path(__file__).resolve().parents[1].parent / "shared")
MNIST_DIR = SHARED / "datasets" / "mnist"


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled 8x8 digits: (1797, 64) float32 in [0, 1], 10 classes."""
    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


@pytest.fixture(scope="session")
def blobs():
    """Three well-separated Gaussian blobs: (300, 4) float32."""
    X, y = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)
    return X.astype(np.float32), y.astype(np.int64)


@pytest.fixture(scope="session")
def imbalanced():
    """A two-class problem where class 1 is 10% of the rows and overlaps class 0."""
    X, y = make_classification(
        n_samples=600, n_features=6, n_informative=3, weights=[0.9, 0.1], class_sep=0.5, random_state=0
    )
    return X.astype(np.float32), y.astype(np.int64)


@pytest.fixture(scope="session")
def text_like():
    """600 rows of a 400-term vocabulary as CSR, ~2 % non-zero (as TF-IDF rows are), 3 classes."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = sp.random(600, 400, density=0.02, format="csr", random_state=1, dtype=np.float32)
    y = np.argmax(X @ rng.normal(size=(400, 3)) + rng.normal(scale=0.01, size=(600, 3)), axis=1)
    return X, y


@pytest.fixture(scope="session")
def mnist_dir():
    """The shared MNIST IDX files; tests needing them skip when ../shared is absent."""
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"needs the MNIST IDX files in {MNIST_DIR} (../shared beside the project)")
    return MNIST_DIR
