"""The exported ONNX graph on onnxruntime against the numpy runtime and the torch path: 10,000 rows with categorical,
missing, unknown and text values, every decision rule, image and pixel models; the checker, the pinned opset, the
metadata, the text limit (tokens in), int8 quantisation's accuracy change, and `predict(runtime="onnx")`."""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import torch

from multiclass import data
from multiclass.decisions import DecisionConfig
from multiclass.export import OPSET, build_onnx, export_onnx, onnx_inputs
from multiclass.persistence import load_model
from multiclass.runtime import load_runtime
from multiclass.runtime.inputs import csv_columns
from multiclass.jobs.predict import predict
from tests.runtime_helpers import table_frame, text_frame, train_images, train_pixels, train_table, train_text

torch.set_num_threads(1)

ROWS = 10_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("export_onnx")


def _session(model):
    return ort.InferenceSession(build_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])


def _check_all_agree(model_dir, csv_path, columns):
    """numpy runtime, onnxruntime and the torch path on the same rows."""
    model = load_runtime(model_dir)
    expected = model.predict(columns)
    probs, labels = _session(model).run(None, onnx_inputs(model, columns))
    np.testing.assert_allclose(probs, expected.probs, rtol=0, atol=1e-6)
    assert labels.tolist() == model.labels(expected.codes).tolist()
    trained = load_model(model_dir)
    dataset = data.load_for_prediction(csv_path, trained.preprocessor, classes=trained.classes, with_labels=False,
                                       **trained.data_info["load_options"])
    np.testing.assert_allclose(probs, trained.predict_proba(dataset.X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(model.labels(expected.codes), dataset.decode(trained.predict_codes(dataset.X)))


@pytest.mark.parametrize("decision", [None, DecisionConfig(calibrate=True, target_recall={"low": 0.9}),
                                      DecisionConfig(calibrate=True, cost_matrix=[[0, 1, 1], [6, 0, 1], [1, 1, 0]])],
                         ids=["argmax", "temperature_offsets", "cost"])
def test_table_graph_agrees_on_10000_rows_with_missing_and_unknown_values(folder, decision):
    model_dir = train_table(folder, n=500, decision=decision, name=f"t{id(decision)}")
    frame = table_frame(ROWS, seed=4)
    unknown = np.random.default_rng(4).random(ROWS) < 0.02
    frame.loc[unknown, "city"] = "Atlantis"  # never seen in training
    path = folder / f"rows_{id(decision)}.csv"
    frame.to_csv(path, index=False)
    _check_all_agree(model_dir, path, csv_columns(path.read_text()))


@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_text_graph_agrees_on_10000_rows(folder, sublinear_tf):
    model_dir = train_text(folder, n=300, ngram_range=(1, 2), sublinear_tf=sublinear_tf)
    frame = text_frame(ROWS, seed=5)
    frame.loc[0, "body"] = unicodedata.normalize("NFD", "Canción del NIÑO")  # combining accents: NFC first
    frame.loc[1, "body"] = "!!!"  # no word at all: a zero row
    path = folder / "texts.csv"
    frame.to_csv(path, index=False)
    _check_all_agree(model_dir, path, csv_columns(path.read_text()))


def test_text_limit_the_graph_takes_tokens_made_outside(folder):
    model = load_runtime(train_text(folder, n=120, ngram_range=(1, 1)))
    feed = onnx_inputs(model, {"body": ["Canción DEL niño", None]})["body"]
    assert feed.tolist() == [["canción", "del", "niño"], ["", "", ""]]
    inputs = {i.name: i for i in build_onnx(model).graph.input}
    assert inputs["body"].type.tensor_type.elem_type == onnx.TensorProto.STRING


def test_image_and_pixel_graphs_agree(folder):
    image_dir = train_images(folder)  # GELU: the graph's float64 erf is the runtime's
    model = load_runtime(image_dir)
    columns = {"image": sorted((folder / "images").rglob("*.png"))}
    probs, _ = _session(model).run(None, onnx_inputs(model, columns))
    np.testing.assert_allclose(probs, model.predict(columns).probs, rtol=0, atol=1e-6)
    for standardize in (False, True):
        model = load_runtime(train_pixels(folder, standardize=standardize))
        columns = {"input": np.load(folder / "pixels.npz")["X"].reshape(240, -1)}
        probs, labels = _session(model).run(None, onnx_inputs(model, columns))
        expected = model.predict(columns)
        np.testing.assert_allclose(probs, expected.probs, rtol=0, atol=1e-6)
        assert labels.dtype == np.int64 and (labels == model.labels(expected.codes)).all()


def test_graph_is_checked_pinned_and_describes_itself(folder, tmp_path):
    model_dir = train_table(folder, n=200, name="meta")
    out = export_onnx(model_dir, tmp_path / "model.onnx")
    proto = onnx.load(out)
    onnx.checker.check_model(proto, full_check=True)
    assert {(o.domain, o.version) for o in proto.opset_import} == {("", OPSET), ("ai.onnx.ml", 3)}
    meta = {p.key: p.value for p in proto.metadata_props}
    model = load_runtime(model_dir)
    assert json.loads(meta["classes"]) == list(model.classes) and meta["model_version"] == model.version
    assert [i.name for i in proto.graph.input] == ["age", "income", "constant", "member", "city"]
    outputs = {o.name: o.type.tensor_type.elem_type for o in proto.graph.output}
    assert outputs == {"probabilities": onnx.TensorProto.FLOAT, "label": onnx.TensorProto.STRING}


def test_int8_quantisation_is_smaller_and_close(folder, tmp_path):
    model_dir = train_table(folder, n=500, name="quant", hidden=(32, 16))
    full = export_onnx(model_dir, tmp_path / "full.onnx")
    small = export_onnx(model_dir, tmp_path / "int8.onnx", quantize=True)
    model = load_runtime(model_dir)
    columns = csv_columns(table_frame(ROWS, seed=6).to_csv(index=False))
    feed = onnx_inputs(model, columns)
    p_full, l_full = ort.InferenceSession(str(full), providers=["CPUExecutionProvider"]).run(None, feed)
    p_small, l_small = ort.InferenceSession(str(small), providers=["CPUExecutionProvider"]).run(None, feed)
    change, agreement = float(np.abs(p_full - p_small).max()), float((l_full == l_small).mean())
    print(f"int8: max |probability change| {change:.2e}, same label on {agreement:.2%} of {ROWS} rows, "
          f"{full.stat().st_size} -> {small.stat().st_size} bytes")
    assert 0 < change < 0.1 and agreement > 0.95  # the figures for the seed networks: bench/RESULTS.md
    assert any(n.op_type == "DynamicQuantizeLinear" or n.op_type == "MatMulInteger"
               for n in onnx.load(small).graph.node)


def test_predict_on_onnx_writes_the_numpy_predictions(folder, tmp_path):
    model_dir = train_table(folder, n=300, name="pf")
    source = tmp_path / "rows.csv"
    table_frame(200, seed=8).to_csv(source, index=False)
    predict(model_dir, source, tmp_path / "numpy.csv", top_k=2)
    predict(model_dir, source, tmp_path / "onnx.csv", top_k=2, runtime="onnx")
    a, b = pd.read_csv(tmp_path / "numpy.csv"), pd.read_csv(tmp_path / "onnx.csv")
    assert list(a.columns) == list(b.columns)
    numeric = a.select_dtypes("number").columns
    np.testing.assert_allclose(a[numeric], b[numeric], rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric))
