"""The runtime's parts against their oracles: numbers parsed as pandas parses them, pandas' missing-value words,
erf and the activations against math/torch, the decision policy against `multiclass.decisions`, the model-file
checks shared with `multiclass.persistence`, and the import budget (no torch, pandas, sklearn or scipy)."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from pandas._libs.parsers import STR_NA_VALUES

from multiclass.decisions import DecisionPolicy, apply_temperature, decide
from multiclass.exceptions import ModelFileError
from multiclass.models import ACTIVATIONS as TORCH_ACTIVATIONS
from multiclass.persistence import _canonical, load_model
from multiclass.runtime import InputError, load_runtime
from multiclass.runtime.inputs import NA_STRINGS, csv_columns, record_columns
from multiclass.runtime.network import ACTIVATIONS, erf, log_softmax
from multiclass.runtime.policy import Policy
from multiclass.runtime.values import bool_column, category_column, numeric_column, parse_number
from tests.runtime_helpers import train_table

NUMBER_TEXTS = [" 1.5", "1.5 ", "+1", "-.5", ".5", "5.", "1e3", "1E+3", "1_000", "0x10", "inf", "-inf", "Infinity",
                "nan", "NaN", "1,5", "\t2", "1e400", "INF", "+inf", "iNf", "-0", "00012", "1.5e", "1 2", "", "١٢",
                "１２", "e5", "1e", "--1", "0.1e-3", "True"]


@pytest.mark.parametrize("text", NUMBER_TEXTS)
def test_parse_number_takes_what_pandas_takes(text):
    parsed = pd.to_numeric(pd.Series([text], dtype=object), errors="coerce").iloc[0]
    ours = parse_number(text)
    if pd.isna(parsed):
        assert ours is None
    else:
        assert ours == parsed  # -0 may come back as 0: the same number once standardized


def test_missing_value_words_are_pandas_words():
    assert NA_STRINGS == frozenset(STR_NA_VALUES) | {"?", "."}  # pandas' words, UCI's and SAS's marks (data/missing.py)


def test_value_errors_name_field_and_row_but_not_the_value():
    secret = "s3cr3t-value"
    for call in (lambda: numeric_column(["1", secret], "age"), lambda: bool_column([True, secret], "member"),
                 lambda: numeric_column([1.0, "2"], "age", strict=True),
                 lambda: category_column(["a", ["nested"]], "city", strict=True)):
        with pytest.raises(InputError, match=r"^field '\w+' row 2: must be ") as caught:
            call()
        assert secret not in str(caught.value) and caught.value.row == 2
    with pytest.raises(InputError, match=r"^field 'age' row 1: must be finite\.$"):
        numeric_column([float("inf")], "age")


def test_record_and_csv_errors():
    with pytest.raises(InputError, match=r"^field 'b' row 2: is required and missing\.$"):
        record_columns([{"a": 1, "b": 2}, {"a": 1}], ["a", "b"])
    with pytest.raises(InputError, match=r"^field 'zz' row 1: is not an input of this model\.$"):
        record_columns([{"a": 1, "zz": 2}], ["a"])
    with pytest.raises(InputError, match=r"^line 3: 3 fields, the header has 2\.$"):
        csv_columns("a,b\n1,2\n1,2,3\n")
    with pytest.raises(InputError, match=r"^field 'a': line 1: the column name appears twice\.$"):
        csv_columns("a,a\n1,2\n")
    with pytest.raises(InputError, match=r"^the CSV has no data rows\.$"):
        csv_columns("a,b\n\n")
    assert csv_columns("\ufeffa,b\n\n1,NA\n") == {"a": ["1"], "b": [None]}


def test_an_empty_header_cell_is_named_as_pandas_names_it():
    text = ",x,,y\n1,2,3,4\n"
    names = ["Unnamed: 0", "x", "Unnamed: 2", "y"]
    assert list(csv_columns(text)) == list(pd.read_csv(io.StringIO(text)).columns) == names


def test_category_strings_follow_the_table_reader():
    assert category_column([3.0, 3, 2.5, None, float("nan"), "x", True], "c") == ["3", "3", "2.5", None, None, "x",
                                                                                  "True"]


def test_erf_matches_math_erf_to_a_few_ulps():
    x = np.concatenate([np.linspace(-9, 9, 20001), [0.0, -0.0, 1e-300, 30.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=4e-16, atol=2e-16)


@pytest.mark.parametrize("name", sorted(TORCH_ACTIVATIONS))
def test_activations_match_torch(name):
    x = np.linspace(-30, 30, 4001, dtype=np.float32)
    expected = TORCH_ACTIVATIONS[name]()(torch.from_numpy(x)).numpy()
    # torch's float32 GELU loses digits to cancellation in 1 + erf(x / sqrt 2) near x = -4 (5e-7 absolute); ours is
    # computed in float64, checked to float32 rounding against math.erf below.
    atol = 1e-6 if name == "gelu" else 2e-7
    np.testing.assert_allclose(ACTIVATIONS[name](x.copy()), expected, rtol=2e-6, atol=atol)
    assert set(ACTIVATIONS) == set(TORCH_ACTIVATIONS)


def test_gelu_is_the_exact_erf_gelu():
    x = np.linspace(-30, 30, 4001, dtype=np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    np.testing.assert_array_equal(ACTIVATIONS["gelu"](x.copy()), exact.astype(np.float32))


@pytest.mark.parametrize("policy", [
    DecisionPolicy(), DecisionPolicy(temperature=2.5), DecisionPolicy(temperature=0.7, offsets=(0.0, 1.5, -0.3, 0.2)),
    DecisionPolicy(temperature=1.3, cost_matrix=[[0, 1, 2, 3], [5, 0, 1, 1], [1, 1, 0, 1], [9, 1, 1, 0]]),
])
def test_policy_matches_multiclass_decisions(policy):
    rng = np.random.default_rng(0)
    log_probs = log_softmax(rng.normal(0, 3, (500, 4)))
    ours = Policy.from_document(policy.to_dict(), 4)
    np.testing.assert_array_equal(ours.decide(log_probs), decide(log_probs, policy))
    expected = log_probs if policy.temperature == 1.0 else apply_temperature(log_probs, policy.temperature)
    np.testing.assert_array_equal(ours.calibrated(log_probs), expected)


def test_policy_rejects_a_forged_decision():
    with pytest.raises(ModelFileError, match=r"bad decision: temperature must be a finite number > 0\)\.$"):
        Policy.from_document({"temperature": -1.0}, 3)
    with pytest.raises(ModelFileError, match=r"bad decision: offsets must be 3 finite numbers\)\.$"):
        Policy.from_document({"offsets": [0.0, 1.0]}, 3)
    with pytest.raises(ModelFileError, match=r"bad decision: unknown field 'zz'\)\.$"):
        Policy.from_document({"zz": 1}, 3)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return train_table(tmp_path_factory.mktemp("runtime_parts"), n=200)


def _forge(model_dir, tmp_path, edit):
    import shutil

    forged = tmp_path / "forged"
    shutil.copytree(model_dir, forged)
    document = json.loads((forged / "model.json").read_text())
    document.pop("checksum")
    edit(document)
    import hashlib

    document["checksum"] = hashlib.sha256(_canonical(document)).hexdigest()
    (forged / "model.json").write_text(json.dumps(document))
    return forged


def test_runtime_refuses_what_persistence_refuses(model_dir, tmp_path):
    damaged = tmp_path / "damaged"
    import shutil

    shutil.copytree(model_dir, damaged)
    (damaged / "model.json").write_text((damaged / "model.json").read_text().replace('"relu"', '"tanh"'))
    for loader in (load_runtime, load_model):
        with pytest.raises(ModelFileError, match=r"checksum mismatch"):
            loader(damaged)
    forged = _forge(model_dir, tmp_path, lambda d: d["model_config"].update(activation="swish"))
    with pytest.raises(ModelFileError, match=r"unknown activation 'swish'"):
        load_runtime(forged)
    with pytest.raises(ModelFileError):
        load_model(forged)


def test_runtime_refuses_a_forged_preprocessor(model_dir, tmp_path):
    forged = _forge(model_dir, tmp_path, lambda d: d["preprocessor"]["params"].update(max_categories=0))
    with pytest.raises(ModelFileError, match=r"preprocessor 'table': parameter 'max_categories' must be an int >= 1"):
        load_runtime(forged)


def test_importing_and_predicting_loads_no_heavy_package(model_dir, tmp_path):
    source = tmp_path / "one.csv"
    source.write_text("age,income,constant,member,city\n41,1000,1,True,Lima\n")
    code = (
        "import sys\n"
        "from multiclass.jobs.predict import predict\n"
        f"predict({str(model_dir)!r}, {str(source)!r}, {str(tmp_path / 'out.csv')!r})\n"
        "import multiclass.serve\n"
        "print(sorted(m for m in ('torch', 'pandas', 'sklearn', 'scipy', 'matplotlib', 'pyarrow') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "out.csv").read_text().startswith("predicted,probability,p_high,p_low,p_mid\n")
