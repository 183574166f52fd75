"""The numpy runtime against the torch path (the oracle): byte-identical features from the preprocessors of
`multiclass.data`, probabilities within 1e-6 and the same decisions, on table, text, image and pixel models, with
every decision rule."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass import data
from multiclass.decisions import DecisionConfig
from multiclass.persistence import load_model
from multiclass.runtime import load_runtime
from multiclass.runtime.inputs import csv_columns, record_columns
from tests.runtime_helpers import table_frame, text_frame, train_images, train_pixels, train_table, train_text

torch.set_num_threads(1)

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("runtime_parity")


@pytest.fixture(scope="module")
def table_models(folder):
    return {
        "plain": train_table(folder, name="plain"),
        "calibrated_recall": train_table(folder, name="recall", decision=DecisionConfig(
            calibrate=True, target_recall={"low": 0.9})),
        "cost": train_table(folder, name="cost", decision=DecisionConfig(
            calibrate=True, cost_matrix=[[0, 1, 1], [6, 0, 1], [1, 1, 0]]), activation="sigmoid", hidden=(6, 4)),
    }


def _torch_outputs(model_dir, dataset):
    trained = load_model(model_dir)
    return trained.predict_proba(dataset.X), trained.predict_codes(dataset.X)


def _assert_same_predictions(model_dir, X_runtime, dataset):
    runtime = load_runtime(model_dir)
    assert X_runtime.dtype == np.float32 and X_runtime.tobytes() == dataset.X.tobytes()  # byte-identical features
    prediction = runtime.predict_features(X_runtime)
    probs, codes = _torch_outputs(model_dir, dataset)
    np.testing.assert_allclose(prediction.probs, probs, rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(prediction.codes, codes)
    np.testing.assert_allclose(prediction.probs.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("which", ["plain", "calibrated_recall", "cost"])
def test_table_model_from_csv_text_matches_the_torch_path(table_models, folder, which):
    model_dir = table_models[which]
    frame = table_frame(400, seed=7)  # new rows: unseen missing patterns, the same categories
    frame.loc[3, "city"] = "Caracas"  # never seen in training: the <unknown> column
    path = folder / f"new_{which}.csv"
    frame.to_csv(path, index=False)
    trained = load_model(model_dir)
    dataset = data.load_for_prediction(path, trained.preprocessor, classes=trained.classes, with_labels=False,
                                       **trained.data_info["load_options"])
    X = load_runtime(model_dir).features_of(csv_columns(path.read_text()))
    _assert_same_predictions(model_dir, X, dataset)


def test_table_model_from_json_records_matches_the_torch_path(table_models, folder):
    model_dir = table_models["plain"]
    frame = table_frame(120, seed=3)
    path = folder / "records.csv"
    frame.to_csv(path, index=False)
    trained = load_model(model_dir)
    dataset = data.load_for_prediction(path, trained.preprocessor, classes=trained.classes, with_labels=False,
                                       **trained.data_info["load_options"])
    runtime = load_runtime(model_dir)
    names = [f.name for f in runtime.features.fields]
    records = json.loads(frame[names].assign(member=frame["member"].map({"True": True, "False": False}))
                         .to_json(orient="records"))  # JSON types: numbers, true/false, strings, null
    X = runtime.features_of(record_columns(records, names), strict=True, allow_extra=False)
    _assert_same_predictions(model_dir, X, dataset)


def test_table_model_from_numpy_columns_matches_the_preprocessor(table_models):
    runtime = load_runtime(table_models["plain"])
    frame = table_frame(50, seed=5)
    frame["member"] = frame["member"].map({"True": True, "False": False})  # a bool column with None
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    expected = load_model(table_models["plain"]).preprocessor.transform(frame)
    assert runtime.features_of(columns).tobytes() == expected.tobytes()


@pytest.mark.parametrize("sublinear_tf", [True, False])
def test_text_model_matches_the_torch_path(folder, sublinear_tf):
    model_dir = train_text(folder, sublinear_tf=sublinear_tf)
    frame = text_frame(200, seed=9)
    frame.loc[0, "body"] = "Canción del NIÑO, código y red"  # accents, case, punctuation
    path = folder / "new_text.csv"
    frame.to_csv(path, index=False)
    trained = load_model(model_dir)
    dataset = data.load_for_prediction(path, trained.preprocessor, classes=trained.classes, with_labels=False,
                                       **trained.data_info["load_options"])
    X = load_runtime(model_dir).features_of(csv_columns(path.read_text()))
    _assert_same_predictions(model_dir, X, dataset)


def test_image_model_matches_the_torch_path(folder):
    model_dir = train_images(folder)
    root = folder / "images"
    trained = load_model(model_dir)
    dataset = data.load_for_prediction(root, trained.preprocessor, classes=trained.classes, with_labels=False)
    runtime = load_runtime(model_dir)
    paths = [root / rel for rel in dataset.ids]
    from_paths = runtime.features_of({"image": paths})
    from_bytes = runtime.features_of({"image": [p.read_bytes() for p in paths]})
    import base64

    from_base64 = runtime.features_of({"image": [base64.b64encode(p.read_bytes()).decode() for p in paths]},
                                      strict=True)
    assert from_bytes.tobytes() == from_paths.tobytes() == from_base64.tobytes()
    _assert_same_predictions(model_dir, from_paths, dataset)


@pytest.mark.parametrize("standardize", [False, True])
def test_pixel_models_match_the_torch_path(folder, standardize):
    model_dir = train_pixels(folder, standardize=standardize)
    trained = load_model(model_dir)
    raw = np.load(folder / "pixels.npz")["X"]  # (N, 4, 4) uint8
    flat = raw.reshape(len(raw), -1)
    if standardize:
        X_torch = trained.preprocessor.transform(flat)
    else:
        X_torch = trained.preprocessor.transform(raw)
    dataset = data.Dataset(X_torch, None, trained.classes, trained.preprocessor.feature_names_, "pixels", "npz",
                           trained.preprocessor)
    runtime = load_runtime(model_dir)
    X = runtime.features_of({"input": raw if not standardize else flat})
    as_lists = runtime.features_of({"input": flat.tolist()}, strict=True)  # JSON numbers, float64 on the way
    np.testing.assert_array_equal(as_lists, X)
    _assert_same_predictions(model_dir, X, dataset)


def test_labels_are_decoded_as_the_training_labels(folder):
    model_dir = train_pixels(folder)
    runtime = load_runtime(model_dir)
    assert runtime.target_dtype == "int"  # npz labels are integers
    assert runtime.labels(np.array([2, 0])).tolist() == [int(runtime.classes[2]), int(runtime.classes[0])]


def test_top_k_orders_classes_by_probability_with_ties_to_the_lower_code(table_models):
    runtime = load_runtime(table_models["plain"])
    prediction = runtime.predict(csv_columns(table_frame(30, seed=1).to_csv(index=False)))
    top = prediction.top_k(3)  # (N, 3)
    ranked = np.take_along_axis(prediction.probs, top, axis=1)
    assert (np.diff(ranked, axis=1) <= 0).all()
    expected = np.argsort(-prediction.probs, axis=1, kind="stable")
    np.testing.assert_array_equal(top, expected)


def test_csv_missing_value_words_are_missing_as_pandas_reads_them(table_models):
    runtime = load_runtime(table_models["plain"])
    text = "age,income,constant,member,city\nNA,1000,1,n/a,NULL\n,1000,1,,\n"
    frame = pd.read_csv(io.StringIO(text), dtype={"city": str})
    expected = load_model(table_models["plain"]).preprocessor.transform(frame)
    assert runtime.features_of(csv_columns(text)).tobytes() == expected.tobytes()
