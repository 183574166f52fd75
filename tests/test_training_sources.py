"""multiclass.training.sources: sparse rows (TF-IDF) train as the same rows held dense do, and no source's
optimiser imports torch._dynamo."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from multiclass.exceptions import DataError
from multiclass.models import ModelConfig, build_model
from multiclass.trained import TrainedModel
from multiclass.training import TrainConfig, train


def weights(model) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


@pytest.mark.parametrize("hidden, options", [((), {}), ((8,), {"l2": 1e-3, "class_weight": "balanced",
                                                               "label_smoothing": 0.1})])
def test_sparse_rows_train_as_the_same_rows_dense(text_like, hidden, options):
    X, y = text_like
    config = TrainConfig(epochs=4, lr=1e-2, val_split=0.2, engine="eager", verbose=False, **options)
    sparse_model, dense_model = build_model(ModelConfig(400, 3, hidden), seed=3), build_model(ModelConfig(400, 3, hidden),
                                                                                                seed=3)
    found = train(sparse_model, X, y, config)
    expected = train(dense_model, X.toarray(), y, config)
    assert "sparse rows" in found.engine
    np.testing.assert_allclose(weights(sparse_model), weights(dense_model), rtol=0, atol=1e-6)
    for mine, theirs in zip(found.history, expected.history, strict=True):
        for key in ("train_loss", "val_loss", "val_accuracy", "val_macro_f1"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-5), key


def test_a_trained_model_predicts_sparse_rows_as_dense_ones(text_like):
    X, y = text_like
    model = build_model(ModelConfig(400, 3, (8,)), seed=0)
    train(model, X, y, TrainConfig(epochs=2, verbose=False))
    trained = TrainedModel(model=model, classes=("a", "b", "c"))
    sparse, dense = trained.predict_log_proba(X), trained.predict_log_proba(X.toarray())
    # the first layer as scipy's sparse product, not torch's dense one: float32 rounding apart
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(sparse.argmax(axis=1), dense.argmax(axis=1))


def test_sparse_input_needs_class_codes_and_finite_values(text_like):
    X, y = text_like
    with pytest.raises(DataError, match=r"sparse features train on class codes"):
        train(build_model(ModelConfig(400, 3, ())), X, np.eye(3, dtype=np.float32)[y], TrainConfig(epochs=1,
              verbose=False))
    bad = X.copy()
    bad.data[5] = np.inf
    with pytest.raises(DataError, match=r"`X` must be finite; got inf at row \d+, column \d+\."):
        train(build_model(ModelConfig(400, 3, ())), bad, y, TrainConfig(epochs=1, verbose=False))


PROBE = """
import json, sys
import numpy as np, scipy.sparse as sp
from multiclass.models import ModelConfig, build_model
from multiclass.training import TrainConfig, train
X = np.random.default_rng(0).normal(size=(128, 6)).astype(np.float32)
y = (X[:, 0] > 0).astype(np.int64)
data = sp.csr_matrix(X) if sys.argv[1] == "sparse" else X
train(build_model(ModelConfig(6, 2, (4,))), data, y, TrainConfig(epochs=2, verbose=False, engine=sys.argv[2]))
print(json.dumps(sorted(m for m in ("torch._dynamo", "pandas", "pyarrow") if m in sys.modules)))
"""


@pytest.mark.parametrize("rows, engine, loaded", [
    ("dense", "auto", []),  # the fused engine: its Adam is written out
    ("sparse", "auto", []),  # the sparse rows' autograd step: likewise
    ("dense", "eager", ["torch._dynamo"]),  # the reference engine calls torch.optim.Adam, which imports dynamo
])
def test_training_imports_neither_dynamo_nor_pandas(rows, engine, loaded):
    done = subprocess.run([sys.executable, "-c", PROBE, rows, engine], capture_output=True, text=True, timeout=120,
                          check=True)
    assert json.loads(done.stdout) == loaded
