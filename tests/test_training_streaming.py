"""multiclass.training.stream: streamed training is in-memory training when the batches are the same."""

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.data import load_table
from multiclass.data.stream import TableSource, scan_table
from multiclass.exceptions import ConfigError, DataError, DataWarning
from multiclass.models import ModelConfig, build_model
from multiclass.persistence import load_model, save_model
from multiclass.data.split import stratified_split
from multiclass.training import TrainConfig, train
from multiclass.data.stream import StreamConfig
from multiclass.jobs import fit_stream as fit_table_stream
from multiclass.training import train_stream

torch.set_num_threads(1)

N_ROWS = 900


def fit_stream(*args, **kwargs):
    """`multiclass.jobs.fit_stream`'s trained model."""
    return fit_table_stream(*args, **kwargs).trained


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A 3-class table with numeric, categorical and bool columns (and missing values), as Parquet."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, N_ROWS)
    frame = pd.DataFrame({
        "a": rng.standard_normal(N_ROWS) + y,
        "b": np.where(rng.random(N_ROWS) < 0.1, np.nan, rng.standard_normal(N_ROWS) - y),
        "c": rng.choice(["u", "v", "w", None], N_ROWS),
        "d": rng.choice([True, False], N_ROWS),
        "label": np.array(["cat", "dog", "eel"])[y],
    })
    path = tmp_path_factory.mktemp("scale") / "table.parquet"
    frame.to_parquet(path)
    return path


def weights_of(model) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


@pytest.mark.parametrize("options", [
    {},
    {"class_weight": "balanced", "label_smoothing": 0.1, "l2": 1e-3},
    {"monitor": "val_recall:dog", "lr_patience": 1},
    {"monitor": "val_critical:dog,eel", "lr_patience": 1},
])
def test_streamed_training_equals_in_memory_training_with_the_same_batches(table, options):
    config = TrainConfig(epochs=4, batch_size=32, val_split=0.2, patience=2, engine="eager", verbose=False, **options)
    dataset = load_table(table, target="label")
    source = TableSource(table)
    scan = scan_table(source, target="label", val_fraction=config.val_split, seed=config.seed)
    held = scan.split.mask(dataset.y)  # the streamed split's rows, from the labels in file order
    in_memory = build_model(ModelConfig(dataset.n_features, 3), seed=0)
    expected = train(in_memory, dataset.X[~held], dataset.y[~held], config, X_val=dataset.X[held],
                     y_val=dataset.y[held], classes=dataset.classes)
    streamed = build_model(ModelConfig(scan.n_features, 3), seed=0)
    # One piece and a buffer holding every row: the epoch order is torch.randperm(n, generator), as in memory.
    found = train_stream(streamed, source, scan, config, StreamConfig(shuffle_buffer=N_ROWS))
    np.testing.assert_allclose(weights_of(streamed), weights_of(in_memory), rtol=0, atol=1e-6)
    assert (found.best_epoch, found.stop_reason) == (expected.best_epoch, expected.stop_reason)
    for mine, theirs in zip(found.history, expected.history, strict=True):
        for key in ("val_loss", "val_accuracy", "val_macro_f1", "val_score", "lr"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-6), key
        assert mine["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-5)


def test_small_buffers_and_row_groups_still_learn_and_restore_the_best_epoch(tmp_path, table):
    frame = pd.read_parquet(table)
    path = tmp_path / "groups.parquet"
    frame.to_parquet(path, row_group_size=100)
    config = TrainConfig(epochs=6, batch_size=16, lr=1e-2, val_split=0.2, patience=2, verbose=False)
    trained = fit_stream(path, target="label", config=config, stream=StreamConfig(shuffle_buffer=64, batch_rows=30))
    best = trained.history[trained.best_epoch - 1]
    assert best["val_loss"] == min(h["val_loss"] for h in trained.history)
    assert trained.validation["accuracy"] == pytest.approx(best["val_accuracy"])
    assert trained.validation["accuracy"] > 0.6  # the classes are separable by a and b
    assert set(trained.validation) == {"n_samples", "accuracy", "balanced_accuracy", "macro_f1", "weighted_f1",
                                       "log_loss"}


def test_the_model_file_is_the_in_memory_one(tmp_path, table):
    config = TrainConfig(epochs=2, verbose=False)
    trained = fit_stream(table, target="label", config=config)
    save_model(trained, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    expected = load_table(table, target="label")
    assert loaded.preprocessor.state()[0] == expected.preprocessor.state()[0]
    assert loaded.classes == expected.classes
    assert loaded.data_info["stream"]["shuffle_buffer"] == StreamConfig().shuffle_buffer
    probs = loaded.predict_proba(expected.X)
    np.testing.assert_allclose(probs, trained.predict_proba(expected.X))


def test_explicit_validation_data_replaces_the_split(tmp_path, table):
    frame = pd.read_parquet(table)
    frame.iloc[:700].to_parquet(tmp_path / "train.parquet")
    frame.iloc[700:].to_csv(tmp_path / "val.csv", index=False)
    trained = fit_stream(tmp_path / "train.parquet", target="label", val_data=tmp_path / "val.csv",
                         config=TrainConfig(epochs=2, verbose=False))
    assert trained.validation["n_samples"] == 200


def test_messages(tmp_path, table):
    with pytest.raises(ConfigError, match=r"`shuffle_buffer` must be an integer >= 1; got 0"):
        StreamConfig(shuffle_buffer=0)
    frame = pd.DataFrame({"x": [1.0, 2.0], "label": ["a", "a"]})
    frame.to_parquet(tmp_path / "one.parquet")
    with pytest.raises(DataError, match=r"one.parquet: training needs at least 2 classes; got 1"):
        fit_stream(tmp_path / "one.parquet", target="label", config=TrainConfig(val_split=0.0, verbose=False))
    source = TableSource(table)
    scan = scan_table(source, target="label")
    with pytest.raises(DataError, match=r"`model` must take 9 features and give 3 classes; got 5 and 3"):
        train_stream(build_model(ModelConfig(5, 3)), source, scan, TrainConfig(verbose=False))


def test_a_folder_of_csv_shards_some_gzipped_trains_with_a_held_out_split(tmp_path, table):
    frame = pd.read_parquet(table)
    (tmp_path / "csv").mkdir()
    frame.iloc[:300].to_csv(tmp_path / "csv" / "a.csv", index=False)
    frame.iloc[300:650].to_csv(tmp_path / "csv" / "b.csv.gz", index=False)
    frame.iloc[650:].to_csv(tmp_path / "csv" / "c.csv", index=False)
    frame.to_csv(tmp_path / "whole.csv", index=False)
    trained = fit_stream(tmp_path / "csv", target="label", config=TrainConfig(epochs=2, val_split=0.2, verbose=False))
    assert trained.data_info["n_samples"] == N_ROWS
    whole = load_table(tmp_path / "whole.csv", target="label")
    _, val_idx = stratified_split(whole.y, 0.2)  # the in-memory split holds out as many rows of every class
    assert trained.validation["n_samples"] == len(val_idx)
    expected = whole.preprocessor
    assert trained.preprocessor.state()[0] == expected.state()[0]
    np.testing.assert_allclose(trained.preprocessor.mean_, expected.mean_, rtol=1e-13)


def test_a_rare_class_keeps_its_share_in_the_streamed_validation_rows(tmp_path, table):
    frame = pd.read_parquet(table)
    frame.loc[[3, 400, 888], "label"] = "fox"  # 3 rows: 1 held out (round(0.2 * 3) = 1), wherever they fall
    frame.to_parquet(tmp_path / "rare.parquet", row_group_size=128)
    config = TrainConfig(epochs=2, val_split=0.2, verbose=False)
    trained = fit_stream(tmp_path / "rare.parquet", target="label", config=config,
                         stream=StreamConfig(batch_rows=50))
    y = load_table(tmp_path / "rare.parquet", target="label").y
    counts = np.bincount(y)
    n_val = np.clip(np.round(0.2 * counts), 1, counts - 1)  # the in-memory rule, written out
    assert trained.validation["n_samples"] == n_val.sum() == len(stratified_split(y, 0.2)[1])
    scan = scan_table(TableSource(tmp_path / "rare.parquet"), target="label", val_fraction=0.2)
    np.testing.assert_array_equal(np.bincount(y[scan.split.mask(y)]), n_val)
    frame.loc[[3], "label"] = "owl"
    frame.to_parquet(tmp_path / "one.parquet")
    with pytest.warns(DataWarning, match=r"class 'owl' has 1 example: kept in training, not in the validation split"):
        trained = fit_stream(tmp_path / "one.parquet", target="label", config=config)
    one = load_table(tmp_path / "one.parquet", target="label")
    y_one, owl = one.y, one.classes.index("owl")
    with pytest.warns(DataWarning, match=r"class 'owl' has 1 example"):
        _, val_idx = stratified_split(y_one, 0.2, classes=one.classes)
    assert trained.validation["n_samples"] == len(val_idx) and owl not in y_one[val_idx]
