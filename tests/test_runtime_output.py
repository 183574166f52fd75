"""Predictions files written without pandas: the CSV bytes equal pandas' ``to_csv`` (on extreme floats, quoted
text, missing ids), the Parquet columns have pandas' types, and `predict` writes what `multiclass predict`
writes (the torch path) up to float32 rounding."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

from multiclass.exceptions import ConfigError, DataError
from multiclass.predictions import write_predictions
from multiclass.runtime.csvtext import _ARROW_FROM, csv_chunks
from multiclass.runtime.output import write_columns
from multiclass.jobs.predict import predict
from tests.runtime_helpers import table_frame, train_table

torch.set_num_threads(1)

SPECIAL = [0.0, 1.0, 1e-4, 9.999999999999999e-05, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 0.1, 0.5,
           0.30000000000000004, 0.9999999999999999, 5e-324, 2.2250738585072014e-308, 1e-100, 1.5e-05, 2.5e-07]
TEXTS = ["a", "b,c", 'd"e', None, "x\ny", "", " sp ", "ñ", "r\rs", "'q'"]


def _columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    probs = np.concatenate([10 ** rng.uniform(-330, 0, n // 2), rng.random(n - n // 2) ** 8])
    probs[: len(SPECIAL)] = SPECIAL[:n]
    return {
        "id": np.array([TEXTS[i] for i in rng.integers(0, len(TEXTS), n)], dtype=object),
        "predicted": np.array(rng.choice(["x", "y,z", 'q"'], n), dtype=object),
        "probability": probs,
        "code": rng.integers(-5, 5, n),
        "p_a": probs[::-1].copy(),
    }


@pytest.mark.parametrize("n", [40, _ARROW_FROM + 5, 70_000])  # the csv-module path and the Arrow path
def test_csv_bytes_equal_pandas_to_csv(n):
    columns = _columns(n)
    assert b"".join(csv_chunks(columns)) == pd.DataFrame(columns).to_csv(index=False).encode()


def test_a_column_outside_zero_one_is_written_by_repr_too():
    columns = {"value": np.array([1e20, -3.5, 1e15, 123456.0, 2.5e-7] * 2000)}
    assert b"".join(csv_chunks(columns)) == pd.DataFrame(columns).to_csv(index=False).encode()


def test_parquet_has_the_types_pandas_would_give(tmp_path):
    columns = _columns(50)
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    write_columns(ours, columns)
    write_predictions(theirs, pd.DataFrame(columns))
    assert pq.read_schema(ours).remove_metadata() == pq.read_schema(theirs).remove_metadata()
    pd.testing.assert_frame_equal(pd.read_parquet(ours), pd.read_parquet(theirs))


@pytest.fixture(scope="module")
def table_model(tmp_path_factory):
    return train_table(tmp_path_factory.mktemp("runtime_output"))


@pytest.mark.parametrize("out_name", ["p.csv", "p.parquet"])
@pytest.mark.parametrize("top_k", [1, 3])
def test_predict_writes_what_the_torch_path_writes(table_model, tmp_path, out_name, top_k):
    source = tmp_path / "new.csv"
    table_frame(300, seed=11).to_csv(source, index=False)
    ours, theirs = tmp_path / f"numpy_{out_name}", tmp_path / f"torch_{out_name}"
    assert predict(table_model, source, ours, top_k=top_k) == 300
    assert predict(table_model, source, theirs, top_k=top_k, runtime="torch") == 300
    read = pd.read_parquet if out_name.endswith(".parquet") else pd.read_csv
    a, b = read(ours), read(theirs)
    assert list(a.columns) == list(b.columns) and list(a.columns)[:3] == ["id", "predicted", "probability"]
    assert (a.dtypes == b.dtypes).all()
    numeric = a.select_dtypes("number").columns
    np.testing.assert_allclose(a[numeric], b[numeric], rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric))


def test_predict_reads_a_large_table_through_the_data_package(table_model, tmp_path, monkeypatch):
    import multiclass.runtime.predict as runtime_predict

    monkeypatch.setattr(runtime_predict, "SMALL_TABLE_BYTES", 10)  # any table is "large" now
    source = tmp_path / "new.csv"
    table_frame(200, seed=12).to_csv(source, index=False)
    predict(table_model, source, tmp_path / "big.csv")
    monkeypatch.undo()
    predict(table_model, source, tmp_path / "small.csv")
    assert (tmp_path / "big.csv").read_bytes() == (tmp_path / "small.csv").read_bytes()


def test_a_large_table_is_read_without_sklearn_scipy_or_torch(table_model, tmp_path):
    source = tmp_path / "new.csv"
    table_frame(200, seed=12).to_csv(source, index=False)
    code = (
        "import sys\n"
        "import multiclass.runtime.predict as runtime_predict\n"
        "from multiclass.jobs.predict import predict\n"
        "runtime_predict.SMALL_TABLE_BYTES = 10\n"  # any table is "large": read by pandas (`read_table`)
        f"predict({str(table_model)!r}, {str(source)!r}, {str(tmp_path / 'out.csv')!r})\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'scipy', 'pandas') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['pandas']"  # pandas read the table; nothing else heavy was imported
    predict(table_model, source, tmp_path / "small.csv")
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "small.csv").read_bytes()


def test_small_pages_restores_numpy_huge_page_setting():
    from numpy._core.multiarray import _set_madvise_hugepage

    from multiclass.runtime.memory import small_pages

    before = _set_madvise_hugepage(True)
    try:
        with small_pages():
            assert _set_madvise_hugepage(False) is False  # inside: off
        assert _set_madvise_hugepage(True) is True  # after: back on
        with pytest.raises(RuntimeError), small_pages():
            raise RuntimeError
        assert _set_madvise_hugepage(True) is True  # restored after an error too
    finally:
        _set_madvise_hugepage(before)


def test_predict_errors_name_the_file_column_and_row(table_model, tmp_path):
    source = tmp_path / "bad.csv"
    frame = table_frame(5)
    frame["age"] = frame["age"].astype(object)
    frame.loc[3, "age"] = "forty"
    frame.to_csv(source, index=False)
    with pytest.raises(DataError, match=r"bad\.csv: column 'age' row 4: must be a number\.$"):
        predict(table_model, source, tmp_path / "out.csv")
    with pytest.raises(ConfigError, match=r"`runtime` must be one of auto, numpy, onnx, torch; got 'tf'\."):
        predict(table_model, source, tmp_path / "out.csv", runtime="tf")
    with pytest.raises(ConfigError, match=r"`top_k` must be an integer in \[1, 3\]; got 4\."):
        predict(table_model, source, tmp_path / "out.csv", top_k=4)
    with pytest.raises(DataError, match=r"is also the input data"):
        predict(table_model, source, source)
    assert not (tmp_path / "out.csv").exists()
