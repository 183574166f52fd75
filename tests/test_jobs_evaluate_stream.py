"""`multiclass evaluate` and `predict` on tables read in batches (--stream, folders of shards): the same report and
the same predictions file as reading the table whole, in bounded memory, with clear errors."""

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.cli import main
from multiclass.exceptions import ConfigError, DataError
from multiclass.persistence import load_model
from multiclass.report import ReportConfig
from multiclass.jobs import evaluate_dataset, load_for_model
from multiclass.jobs.evaluate import evaluate
from multiclass.jobs.predict import predict

torch.set_num_threads(1)
QUICK = ["--hidden", "8", "--epochs", "3", "--quiet"]


def table(n, seed=0, k=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return pd.DataFrame({"id": np.arange(n) + 1000, "a": rng.standard_normal(n) + y,
                         "b": rng.standard_normal(n) - y, "c": rng.choice(["u", "v", "w"], n),
                         "label": np.array([f"k{i}" for i in range(k)])[y]})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained on a CSV (with a cost matrix), plus the same held-out table as CSV, Parquet and shards."""
    root = tmp_path_factory.mktemp("streamed")
    table(600, seed=1).to_csv(root / "train.csv", index=False)
    test = table(500, seed=2)
    test.to_csv(root / "test.csv", index=False)
    test.to_parquet(root / "test.parquet", row_group_size=64)
    (root / "shards").mkdir()
    for i, part in enumerate(np.array_split(np.arange(500), 3)):
        test.iloc[part].to_parquet(root / "shards" / f"part-{i}.parquet")
    (root / "cost.csv").write_text(",k0,k1,k2\nk0,0,1,1\nk1,5,0,1\nk2,1,1,0\n")
    assert main(["train", str(root / "train.csv"), "--target", "label", "--id-column", "id", "--calibrate",
                 "--out", str(root / "model"), *QUICK]) == 0
    return root


def report_json(args, path):
    assert main([*args, "--json", str(path)]) == 0
    return json.loads(path.read_text())


@pytest.mark.parametrize("data, flags", [("test.csv", ["--stream"]), ("test.parquet", ["--stream", "--batch-rows",
                                                                                        "50"]), ("shards", [])])
def test_a_streamed_evaluation_reports_what_the_whole_table_gives(trained, tmp_path, capsys, data, flags):
    model = str(trained / "model")
    whole = report_json(["evaluate", model, str(trained / "test.csv"), "--bootstrap", "200"], tmp_path / "a.json")
    streamed = report_json(["evaluate", model, str(trained / data), "--bootstrap", "200", *flags],
                           tmp_path / "b.json")
    assert streamed["source"]["read"] == "streamed"
    summary, expected = dict(streamed["summary"]), dict(whole["summary"])
    assert summary.pop("log_loss") == pytest.approx(expected.pop("log_loss"), rel=1e-7) and summary == expected
    intervals, expected = dict(streamed["intervals"]), dict(whole["intervals"])
    loss, expected_loss = intervals.pop("log_loss"), expected.pop("log_loss")
    assert intervals == expected  # the bootstrap of the confusion matrix: the same draws
    assert loss["method"] == "normal" and loss["low"] == pytest.approx(expected_loss["low"], abs=0.02)
    assert streamed["per_class"] == whole["per_class"] and streamed["confusion_matrix"] == whole["confusion_matrix"]
    for name in ("ece_top_label", "ece_classwise", "brier"):  # float32 matmuls of other batch sizes: ~1e-9
        assert streamed["calibration"][name] == pytest.approx(whole["calibration"][name], rel=1e-7)
    assert streamed["decision"]["temperature"] == whole["decision"]["temperature"] != 1.0
    assert streamed["decision"]["scores"] == whole["decision"]["scores"]


def test_the_streamed_reports_method_says_why_its_intervals_are_normal(trained, tmp_path, capsys):
    assert main(["evaluate", str(trained / "model"), str(trained / "shards"), "--bootstrap", "50",
                 "--details"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "The table was read in batches and its rows were not kept" in out and "10^8" not in out


def test_a_streamed_evaluation_under_a_cost_matrix_has_the_decision_section(trained, tmp_path):
    model, cost = str(trained / "model"), str(trained / "cost.csv")
    whole = report_json(["evaluate", model, str(trained / "test.csv"), "--cost-matrix", cost], tmp_path / "a.json")
    streamed = report_json(["evaluate", model, str(trained / "shards"), "--cost-matrix", cost], tmp_path / "b.json")
    assert streamed["decision"]["rule"] == whole["decision"]["rule"] == "cost"
    for name in ("policy", "argmax", "difference"):
        assert streamed["decision"]["cost"][name]["value"] == pytest.approx(whole["decision"]["cost"][name]["value"])
    assert streamed["decision"]["n_changed"] == whole["decision"]["n_changed"]


@pytest.mark.parametrize("data, flags", [("test.csv", ["--stream"]), ("test.parquet", ["--stream", "--batch-rows",
                                                                                        "37"]), ("shards", [])])
def test_streamed_predictions_are_the_same_file(trained, tmp_path, data, flags):
    model = str(trained / "model")
    assert main(["predict", model, str(trained / "test.csv"), "--out", str(tmp_path / "a.csv"), "--top-k", "2"]) == 0
    assert main(["predict", model, str(trained / data), "--out", str(tmp_path / "b.csv"), "--top-k", "2",
                 *flags]) == 0
    whole, streamed = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert list(streamed.columns) == list(whole.columns) and streamed.columns[0] == "id"
    for column in ("id", "predicted", "top2"):
        assert streamed[column].tolist() == whole[column].tolist()
    numbers = [c for c in whole.columns if "probability" in c or c.startswith("p_")]
    # The same up to float32 rounding: BLAS picks its kernel by batch size, so a row's logits may move by ~1e-7.
    np.testing.assert_allclose(streamed[numbers].to_numpy(), whole[numbers].to_numpy(), rtol=1e-5)


def test_streamed_predictions_of_a_table_without_labels_or_ids(trained, tmp_path):
    bare = table(40, seed=3).drop(columns=["label", "id"])
    bare.to_parquet(tmp_path / "bare.parquet")
    rows = predict(load_model(trained / "model"), tmp_path / "bare.parquet", tmp_path / "p.csv", stream=True)
    frame = pd.read_csv(tmp_path / "p.csv")
    assert rows == len(frame) == 40 and list(frame.columns[:2]) == ["predicted", "probability"]
    bare.iloc[:0].to_parquet(tmp_path / "empty.parquet")
    assert predict(load_model(trained / "model"), tmp_path / "empty.parquet", tmp_path / "e.csv", stream=True) == 0
    assert (tmp_path / "e.csv").read_text().startswith("predicted,probability,p_k0")


def test_a_bad_row_stops_streamed_predictions_without_writing(trained, tmp_path, capsys):
    bad = table(300, seed=4)
    bad["a"] = bad["a"].astype(object)
    bad.loc[250, "a"] = "oops"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "p.csv"
    out.write_text("old\n")
    code = main(["predict", str(trained / "model"), str(tmp_path / "bad.csv"), "--out", str(out), "--stream"])
    err = capsys.readouterr().err
    assert code == 2 and "bad.csv" in err and "'oops'" in err and "Traceback" not in err
    assert out.read_text() == "old\n" and not list(tmp_path.glob(".p.csv.*"))  # untouched, no temporary left


@pytest.mark.parametrize("change, error, message", [
    (lambda f: f.drop(columns=["label"]), DataError, r"evaluation needs labels \(column 'label'\); the data has none"),
    (lambda f: f.drop(columns=["b"]), DataError, r"missing column 'b' needed by the model; the data has columns: "),
    (lambda f: f.assign(label="k9"), DataError, r"labels never seen in training: 'k9'"),
])
def test_streamed_evaluation_errors_name_the_problem(trained, tmp_path, change, error, message):
    change(table(50, seed=5)).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(error, match=message):
        evaluate(load_model(trained / "model"), tmp_path / "t.parquet", stream=True)


def test_streaming_refuses_models_of_other_data_and_flags_that_do_not_apply(trained, tmp_path, digits, capsys):
    X, y = digits
    np.savez(tmp_path / "d.npz", X=X[:200], y=y[:200])
    assert main(["train", str(tmp_path / "d.npz"), "--out", str(tmp_path / "m"), *QUICK]) == 0
    with pytest.raises(ConfigError, match=r"streaming reads Parquet or CSV tables; this model was trained on npz"):
        evaluate(load_model(tmp_path / "m"), trained / "test.csv", stream=True)
    assert main(["evaluate", str(trained / "model"), str(trained / "test.csv"), "--stream", "--kind", "npz"]) == 2
    assert "`--kind` must be 'table' when streaming; got 'npz'" in capsys.readouterr().err


def test_streamed_evaluation_memory_is_bounded_by_the_batch(tmp_path):
    """200k rows x K = 40: the in-memory evaluation holds (N, K) probabilities (64 MB); streamed, one batch."""
    n, k = 200_000, 40
    frame = table(n, seed=6, k=k)
    frame.to_parquet(tmp_path / "big.parquet", row_group_size=20_000)
    small = tmp_path / "small.csv"
    frame.iloc[:2000].to_csv(small, index=False)
    assert main(["train", str(small), "--target", "label", "--out", str(tmp_path / "m"), *QUICK]) == 0
    model = load_model(tmp_path / "m")
    tracemalloc.start()
    try:
        report = evaluate(model, tmp_path / "big.parquet", stream=True, config=ReportConfig(bootstrap=50),
                                 batch_rows=10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.n_samples == n
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.1f} MiB"  # (N, K) float64 alone would be 61 MiB
    whole = evaluate_dataset(model, load_for_model(model, small), config=ReportConfig(bootstrap=0))
    assert whole.n_samples == 2000  # the in-memory path still reads the small table


def test_ctrl_c_during_streamed_predictions_leaves_the_previous_file(trained, tmp_path, monkeypatch):
    import multiclass.jobs.predict_trained as streamed

    calls = []
    real = streamed.prediction_rows

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second record batch: half the file would be written by now
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(streamed, "prediction_rows", interrupted)
    out = tmp_path / "p.csv"
    out.write_text("previous\n")
    with pytest.raises(KeyboardInterrupt):
        predict(load_model(trained / "model"), trained / "test.parquet", out, stream=True, batch_rows=100)
    assert out.read_text() == "previous\n" and sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_many_classes_are_evaluated_in_chunks_of_rows(tmp_path):
    """K = 2,000 and one record batch of every row: the probabilities are never held for the whole batch."""
    k = 2000
    rng = np.random.default_rng(7)
    y = np.repeat(np.arange(k), 3)
    frame = pd.DataFrame({"a": rng.standard_normal(len(y)) + y / k, "label": [f"c{v}" for v in y]})
    frame.to_parquet(tmp_path / "t.parquet")
    assert main(["train", str(tmp_path / "t.parquet"), "--target", "label", "--hidden", "none", "--epochs", "1",
                 "--val-split", "0", "--quiet", "--out", str(tmp_path / "m")]) == 0
    model = load_model(tmp_path / "m")
    peaks = {}
    for copies in (1, 3):
        pd.concat([frame] * copies).to_parquet(tmp_path / f"t{copies}.parquet")
        tracemalloc.start()
        try:
            report = evaluate(model, tmp_path / f"t{copies}.parquet", stream=True, config=ReportConfig(bootstrap=0))
            peaks[copies] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert report.n_samples == copies * len(y) and report.n_classes == k
    whole_batch = 3 * len(y) * k * 8  # one float64 (N, K) array of the 3-copy batch: 288 MB
    assert peaks[3] < whole_batch / 2 and peaks[3] < 1.5 * peaks[1], peaks


def test_streamed_parquet_predictions_match_the_in_memory_ones(trained, tmp_path):
    model = str(trained / "model")
    assert main(["predict", model, str(trained / "test.parquet"), "--out", str(tmp_path / "a.parquet")]) == 0
    assert main(["predict", model, str(trained / "shards"), "--out", str(tmp_path / "b.parquet")]) == 0
    whole, streamed = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    assert list(streamed.columns) == list(whole.columns) and len(streamed) == 500
    assert streamed["id"].tolist() == whole["id"].tolist()
    assert streamed["predicted"].tolist() == whole["predicted"].tolist()
    numbers = [c for c in whole.columns if c.startswith("p_")]
    np.testing.assert_allclose(streamed[numbers].to_numpy(), whole[numbers].to_numpy(), rtol=1e-5)


def test_parquet_predictions_come_in_row_groups_of_bounded_size(trained, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    import multiclass.predictions as files

    monkeypatch.setattr(files, "_ROW_GROUP_CELLS", 100 * 6)  # 6 columns: 100 rows per row group
    rows = predict(load_model(trained / "model"), trained / "test.parquet", tmp_path / "p.parquet", stream=True,
                          batch_rows=64)
    meta = pq.ParquetFile(tmp_path / "p.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert rows == sum(sizes) == 500 and max(sizes) < 100 + 64 and len(sizes) >= 4


def test_only_table_models_stream_a_large_file_on_their_own(trained, tmp_path, monkeypatch, capsys):
    import multiclass.jobs.inputs as inputs

    monkeypatch.setattr(inputs, "should_stream", lambda path: True)  # as if the file were over 1/8 of RAM
    words = pd.DataFrame({"text": ["red apple", "green apple", "blue sky", "grey sky"] * 10,
                          "label": ["fruit", "fruit", "sky", "sky"] * 10})
    words.to_csv(tmp_path / "words.csv", index=False)
    assert main(["train", str(tmp_path / "words.csv"), "--target", "label", "--text-column", "text",
                 "--out", str(tmp_path / "text-model"), *QUICK]) == 0
    assert main(["predict", str(tmp_path / "text-model"), str(tmp_path / "words.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 0  # a text model reads the file whole, as before
    document = report_json(["evaluate", str(trained / "model"), str(trained / "test.csv"), "--bootstrap", "0"],
                           tmp_path / "r.json")
    assert document["source"]["read"] == "streamed"  # a table model streams it
    capsys.readouterr()
