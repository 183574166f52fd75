"""multiclass.data.stream: one streaming pass fits the state `load_table` fits; batches cover every row once."""

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.data import load_table
from multiclass.data.stream import (
    TableSource,
    epoch_batches,
    epoch_pieces,
    iter_encoded,
    scan,
    scan_table,
    should_stream,
    source,
    steps_per_epoch,
    validation_mask,
)
from multiclass.exceptions import ConfigError, DataError

torch.set_num_threads(1)


def mixed_frame(n: int = 600, seed: int = 0, labels: str = "str") -> pd.DataFrame:
    """Every column type the table loader knows, with missing values in some."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return pd.DataFrame({
        "x": rng.standard_normal(n) * 3 + y,
        "count": rng.integers(0, 50, n),
        "color": rng.choice(["red", "green", "blue", None], n),
        "member": rng.choice([True, False], n),
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "zip": rng.choice([10, 20, 30], n),  # numeric, forced categorical below
        "label": np.array(["cat", "dog", "eel"])[y] if labels == "str" else y * 10,
    })


def write(frame: pd.DataFrame, path, **kwargs):
    if str(path).endswith(".parquet"):
        frame.to_parquet(path, **kwargs)
    else:
        frame.to_csv(path, index=False, **kwargs)
    return path


def assert_same_state(pre_a, pre_b, exact: bool) -> None:
    (params_a, arrays_a), (params_b, arrays_b) = pre_a.state(), pre_b.state()
    assert params_a == params_b
    for name in arrays_a:
        if exact:
            assert arrays_a[name].tobytes() == arrays_b[name].tobytes(), name
        else:
            np.testing.assert_allclose(arrays_a[name], arrays_b[name], rtol=1e-13, atol=0)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("labels", ["str", "int"])
def test_scan_fits_the_state_and_classes_of_the_in_memory_loader_to_the_bit(tmp_path, suffix, labels):
    path = write(mixed_frame(labels=labels), tmp_path / f"t{suffix}")
    options = {"target": "label", "categorical": ["zip"]}
    expected = load_table(path, **options)
    found = scan_table(TableSource(path), **options)  # one record batch: every statistic exactly as in memory
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)
    assert (found.classes, found.target_dtype) == (expected.classes, expected.target_dtype)
    np.testing.assert_array_equal(found.class_counts, np.bincount(expected.y))
    assert found.n_rows == expected.n_samples and found.n_features == expected.n_features


def test_many_batches_and_shards_agree_to_float64_rounding(tmp_path):
    frame = mixed_frame(900)
    single = write(frame, tmp_path / "all.parquet")
    (tmp_path / "shards").mkdir()
    for i in range(3):
        write(frame.iloc[300 * i:300 * (i + 1)], tmp_path / "shards" / f"part-{i}.parquet", row_group_size=70)
    expected = load_table(single, target="label")
    for path, batch_rows in ((single, 64), (tmp_path / "shards", 50)):
        found = scan_table(TableSource(path, batch_rows=batch_rows), target="label")
        assert_same_state(expected.preprocessor, found.preprocessor, exact=False)
        assert found.classes == expected.classes
    assert len(TableSource(tmp_path / "shards").pieces) == 3 * 5  # 300 rows per shard in row groups of 70


def test_features_and_labels_of_a_stream_are_the_in_memory_ones(tmp_path):
    path = write(mixed_frame(), tmp_path / "t.csv")
    expected = load_table(path, target="label")
    table = TableSource(path)
    found = scan_table(table, target="label")
    X, y = (np.concatenate(parts) for parts in zip(*iter_encoded(table, found, range(len(table.pieces)))))
    assert X.tobytes() == expected.X.tobytes()
    np.testing.assert_array_equal(y, expected.y)


def test_a_csv_column_that_turns_to_text_late_is_recounted(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "_CSV_BLOCK_BYTES", 256)  # many small batches
    values = [str(i % 7) for i in range(200)] + ["a", "b"] * 50  # numbers first, then 33% text: categorical
    frame = pd.DataFrame({"mixed": values, "label": np.arange(300) % 2})
    path = write(frame, tmp_path / "late.csv")
    expected = load_table(path, target="label")
    found = scan_table(TableSource(path), target="label")
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)
    assert found.preprocessor.specs_[0]["categories"] == ["0", "1", "2", "3", "4", "5", "6", "a", "b"]


def _messages(path, **options):
    with pytest.raises((DataError, ConfigError)) as memory:
        load_table(path, **options)
    with pytest.raises((DataError, ConfigError)) as streamed:
        scan_table(TableSource(path), **options)
    return str(memory.value), str(streamed.value)


@pytest.mark.parametrize("column, values, options", [
    ("typo", [str(v) for v in range(19)] + ["seven"], {}),  # 95% numbers: a typo, named with its row
    ("big", [1.0] * 5 + [np.inf] + [2.0] * 4, {}),
    ("empty", [np.nan] * 10, {}),
    ("label", ["a"] * 4 + [None] + ["b"] * 5, {}),
    ("label", [1.0, 2.0, 1.5] + [1.0] * 7, {}),
    ("x", list(range(10)), {"target": "nope"}),
    ("x", list(range(10)), {"ignore": ["nope"]}),
    ("x", list(range(10)), {"id_column": "nope"}),
])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_errors_are_the_in_memory_loaders_word_for_word(tmp_path, column, values, options, suffix):
    n = len(values)
    frame = pd.DataFrame({"x": np.arange(n, dtype=float), "label": ["a", "b"] * (n // 2)})
    frame[column] = values
    if suffix == ".parquet" and column == "typo":
        frame[column] = frame[column].astype(object)
    path = write(frame, tmp_path / f"bad{suffix}")
    memory, streamed = _messages(path, **{"target": "label", **options})
    assert streamed == memory


def test_a_column_with_too_many_distinct_values_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(scan, "MAX_DISTINCT", 50)
    frame = pd.DataFrame({"user": [f"u{i}" for i in range(120)], "x": np.arange(120.0), "label": np.arange(120) % 2})
    path = write(frame, tmp_path / "ids.parquet")
    with pytest.raises(DataError, match=r"column 'user' has more than 50 distinct values.*`ignore`"):
        scan_table(TableSource(path), target="label")
    assert scan_table(TableSource(path), target="label", ignore=["user"]).n_features == 1


def test_source_messages(tmp_path):
    with pytest.raises(DataError, match=r"no such file or folder"):
        TableSource(tmp_path / "missing.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"holds no .parquet, .pq, .csv"):
        TableSource(tmp_path / "empty")
    (tmp_path / "mixed").mkdir()
    write(mixed_frame(10), tmp_path / "mixed" / "a.parquet")
    write(mixed_frame(10), tmp_path / "mixed" / "b.csv")
    with pytest.raises(DataError, match=r"mixes Parquet and CSV"):
        TableSource(tmp_path / "mixed")
    (tmp_path / "ragged").mkdir()
    write(mixed_frame(10), tmp_path / "ragged" / "a.parquet")
    write(mixed_frame(10).drop(columns="x"), tmp_path / "ragged" / "b.parquet")
    with pytest.raises(DataError, match=r"b.parquet: lacks column 'x'"):
        TableSource(tmp_path / "ragged")


def test_should_stream_a_folder_of_shards_or_a_file_over_the_memory_budget(tmp_path):
    path = write(mixed_frame(50), tmp_path / "t.parquet")
    assert not should_stream(path) and not should_stream(tmp_path / "absent")
    assert should_stream(path, memory_bytes=path.stat().st_size)  # 8x the file would not fit
    assert should_stream(tmp_path)
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "0.png").write_bytes(b"\x89PNG")
    assert not should_stream(tmp_path)  # an image folder, even with a table in it


def test_validation_mask_is_a_seeded_fraction_of_rows():
    rows = np.arange(100_000)
    held = validation_mask(3, 0, rows, 0.2)
    assert abs(held.mean() - 0.2) < 0.01
    np.testing.assert_array_equal(held[500:600], validation_mask(3, 0, rows[500:600], 0.2))
    assert (held != validation_mask(4, 0, rows, 0.2)).any() and (held != validation_mask(3, 1, rows, 0.2)).any()
    assert not validation_mask(3, 0, rows, 0.0).any()


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_an_epoch_gives_every_training_row_once_in_the_announced_number_of_batches(tmp_path, world_size):
    frame = mixed_frame(500)
    frame["row"] = np.arange(500, dtype=float)
    path = write(frame, tmp_path / "t.parquet", row_group_size=45)
    table = TableSource(path, batch_rows=20)
    found = scan_table(table, target="label", val_fraction=0.25, seed=1)
    rows_column = found.preprocessor.feature_names_.index("row")
    mean, scale = found.preprocessor.mean_[-1], found.preprocessor.scale_[-1]  # "row" is the last numeric column
    seen, batch = [], 16
    order = epoch_pieces(len(table.pieces), 1, 2, True)
    for rank in range(world_size):
        generator = torch.Generator().manual_seed(0)
        batches = list(epoch_batches(table, found, epoch=2, batch_size=batch, shuffle_buffer=100,
                                     generator=generator, rank=rank, world_size=world_size))
        assert len(batches) == steps_per_epoch(found, order, batch, world_size)[rank]
        assert all(len(y) == batch for _, y in batches[:-1])
        seen += [np.rint(X[:, rows_column] * scale + mean).astype(int) for X, _ in batches]
    seen = np.sort(np.concatenate(seen))
    expected = np.flatnonzero(~validation_mask(1, 0, np.arange(500), 0.25))
    np.testing.assert_array_equal(seen, expected)
    assert sum(found.piece_train_rows) == len(expected)
