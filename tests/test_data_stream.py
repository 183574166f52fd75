"""multiclass.data.stream: one streaming pass fits the state `load_table` fits; batches cover every row once;
the validation split holds out `stratified_split`'s counts, the same rows whoever reads them."""

import copy
import threading
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.data import load_table
from multiclass.data.stream import (
    StreamSplit,
    TableScan,
    TableSource,
    epoch_batches,
    epoch_pieces,
    iter_encoded,
    column_scan,
    scan_table,
    should_stream,
    source,
    steps_per_epoch,
)
from multiclass.data.stream.split import fit_split, held_before
from multiclass.exceptions import ConfigError, DataError, DataWarning
from multiclass.data.split import stratified_split

from .strategies import chunk_bounds, pieced_labels

torch.set_num_threads(1)


def mixed_frame(n: int = 600, seed: int = 0, labels: str = "str") -> pd.DataFrame:
    """Every column type the table loader knows, with missing values in some, and a heavy-tailed column."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return pd.DataFrame({
        "x": rng.standard_normal(n) * 3 + y,
        "count": rng.integers(0, 50, n),
        "color": rng.choice(["red", "green", "blue", None], n),
        "member": rng.choice([True, False], n),
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "zip": rng.choice([10, 20, 30], n),  # numeric, forced categorical below
        "amount": np.where(rng.random(n) < 0.05, np.nan, rng.lognormal(3, 1.5, n)),  # heavy-tailed: a log scale
        "label": np.array(["cat", "dog", "eel"])[y] if labels == "str" else y * 10,
    })


def write(frame: pd.DataFrame, path, **kwargs):
    if str(path).endswith(".parquet"):
        frame.to_parquet(path, **kwargs)
    else:
        frame.to_csv(path, index=False, **kwargs)
    return path


def read_both(path, **options):
    """`path` read in memory (`load_table`) and streamed (`scan_table`), each with the warnings it gave (at least
    one: the tests using it are about what is left out or re-read, and say so)."""
    with pytest.warns(DataWarning) as memory:
        expected = load_table(path, **options)
    with pytest.warns(DataWarning) as streamed:
        found = scan_table(TableSource(path), **options)
    return expected, found, [str(w.message) for w in memory], [str(w.message) for w in streamed]


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
    ("label", [None] * 10, {}),  # every label missing (one missing: see the test below)
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


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_row_without_a_label_is_left_out_in_memory_and_refused_streamed(tmp_path, suffix):
    """The one documented difference (docs/errors.md): in memory a row without a label is left out with a
    warning; the streamed reader, whose passes and split count every row, still needs every row labelled."""
    frame = pd.DataFrame({"x": np.arange(10, dtype=float), "label": ["a"] * 4 + [None] + ["b"] * 5})
    path = write(frame, tmp_path / f"bad{suffix}")
    with pytest.warns(DataWarning, match=r"1 of 10 rows have no label in column 'label' \(the first: row 5\)"):
        assert load_table(path, target="label").n_samples == 9
    with pytest.raises(DataError, match=r"column 'label' row 5: the label is missing\.$"):
        scan_table(TableSource(path), target="label")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_columns_are_left_out_as_in_memory_with_the_same_warnings(tmp_path, suffix):
    n = 40
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "empty": [np.nan] * n,
        "code": [f"c{i:03d}" for i in rng.permutation(n)],  # unique text: an identifier
        "row": np.arange(5, 5 + n)[rng.permutation(n)],  # each integer of a run once: a row number
        "count": rng.integers(0, 1000, n),  # unique by chance maybe, but not a run: a feature
        "size": rng.standard_normal(n),  # float: never an identifier
        "kept": [f"k{i}" for i in range(n)],  # unique, but named categorical
        "label": ["a", "b"] * (n // 2),
    })
    path = write(frame, tmp_path / f"ids{suffix}")
    expected, found, memory, streamed = read_both(path, target="label", categorical=["kept"])
    assert streamed == memory
    assert memory == [
        f"{path}: column 'empty' is left out: every value is missing.",
        f"{path}: column 'code' is left out: it looks like a row identifier (40 distinct values in 40 rows); name "
        "it in `categorical` to keep it as a feature, or in `id_column` to carry it to the predictions.",
        f"{path}: column 'row' is left out: it looks like a row number (each integer from 5 to 44 once); name it "
        "in `categorical` to keep it as a feature, or in `id_column` to carry it to the predictions.",
    ]
    assert found.notes == expected.notes and list(found.notes["left_out"]) == ["empty", "code", "row"]
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)


def test_a_row_index_written_with_the_data_is_left_out_as_in_memory(tmp_path):
    """R's write.csv and pandas' to_csv put the row index first, under an empty header cell: distinct integers
    (no run once the rows are shuffled) or names. Both readers name an empty header cell as pandas does
    ('Unnamed: 0') and leave the index out; an unnamed column that repeats a value is data and stays."""
    rng = np.random.default_rng(4)
    n = 40
    frame = pd.DataFrame({"x": rng.standard_normal(n), "label": ["a", "b"] * (n // 2)},
                         index=rng.permutation(1000)[:n])  # a subset of an index, shuffled: not a row number
    frame.to_csv(tmp_path / "ints.csv")
    named = frame.set_axis([f"car {i}" for i in range(n)])
    named.insert(1, "", rng.integers(0, 5, n))  # a second unnamed column, of repeated values: kept
    named.to_csv(tmp_path / "names.csv")
    reason = ("is left out: it has no name in the header and a different value on every row: a row index written "
              "with the data; name it in `categorical` to keep it as a feature, or in `id_column` to carry it to the "
              "predictions.")
    for path, kept in ((tmp_path / "ints.csv", ["x"]), (tmp_path / "names.csv", ["x", "Unnamed: 2"])):
        expected, found, memory, streamed = read_both(path, target="label")
        assert memory == streamed == [
            f"{path}: column 'Unnamed: 0' {reason}"]
        assert list(expected.notes["left_out"]) == list(found.notes["left_out"]) == ["Unnamed: 0"]
        assert [spec["name"] for spec in expected.preprocessor.specs_] == kept
        assert_same_state(expected.preprocessor, found.preprocessor, exact=True)


def test_a_blank_after_every_delimiter_is_skipped_as_in_memory(tmp_path):
    """'a, b, label' and '1.5, red, x': a hand-written file (or R's write.table(sep=", ")). The blank after each
    delimiter is no part of the names or values: `--target label` finds its column, 'x' is the class, 1.5 a number."""
    rng = np.random.default_rng(8)
    lines = ["size, colour, label"] + [f"{rng.normal():.3f}, {'red' if i % 3 else 'blue'}, {'xy'[i % 2]}"
                                       for i in range(40)]
    path = tmp_path / "blanks.csv"
    path.write_text("\n".join(lines) + "\n")
    expected = load_table(path, target="label")
    found = scan_table(TableSource(path), target="label")
    assert list(expected.classes) == ["x", "y"] and list(found.classes) == ["x", "y"]
    assert [(spec["name"], spec["type"]) for spec in expected.preprocessor.specs_] == [
        ("size", "numeric"), ("colour", "categorical")]
    assert expected.preprocessor.specs_[1]["categories"] == ["blue", "red"]
    assert expected.notes["format"]["sep"] == ", "
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)


def test_a_delimiter_at_the_end_of_every_line_makes_an_empty_column_left_out_as_in_memory(tmp_path):
    """'a,b,label,' then '1,2,x,': a last column with no name and no value. The in-memory reader's missing-value
    words are given per column, by name: they must name it as pandas does ('Unnamed: 3'), or its empty cells stay
    '' -- a category, one-hot encoded, instead of a column every value of which is missing."""
    rng = np.random.default_rng(7)
    lines = ["a,b,label,"] + [f"{rng.normal():.3f},{rng.normal():.3f},{'xy'[i % 2]}," for i in range(30)]
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join(lines) + "\n")
    expected_warning = [f"{path}: column 'Unnamed: 3' is left out: every value is missing."]
    expected, found, memory, streamed = read_both(path, target="label")
    assert memory == streamed == expected_warning
    assert [spec["name"] for spec in expected.preprocessor.specs_] == ["a", "b"]
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_integer_column_named_as_an_identifier_is_left_out_as_in_memory(tmp_path, suffix):
    """A file split or sampled before it reaches us keeps its ids but no run of them: an integer column named as an
    identifier (`has_id_name`) with a different value on every row is left out; unique integers under another
    name (a count, a price in cents) are a feature, and so is an id column that repeats (a customer's rows)."""
    rng = np.random.default_rng(6)
    n = 40
    frame = pd.DataFrame({
        "PassengerId": rng.permutation(900)[:n] + 1,  # a sample of ids: distinct, no run
        "customer_id": rng.integers(0, 10, n),  # repeats: several rows per customer, kept
        "cents": rng.permutation(10_000)[:n],  # distinct, no run, not an id's name: kept
        "Kid": rng.permutation(900)[:n],  # a word ending in "id": kept
        "label": ["a", "b"] * (n // 2),
    })
    path = write(frame, tmp_path / f"ids{suffix}")
    expected, found, memory, streamed = read_both(path, target="label")
    assert memory == streamed == [
        f"{path}: column 'PassengerId' is left out: it looks like a row identifier (40 distinct values in 40 rows); "
        "name it in `categorical` to keep it as a feature, or in `id_column` to carry it to the predictions."]
    assert [spec["name"] for spec in expected.preprocessor.specs_] == ["customer_id", "cents", "Kid"]
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_wide_columns_categories_seen_once_share_unknown_as_in_memory(tmp_path, suffix):
    rng = np.random.default_rng(5)
    streets = [f"st{i}" for i in rng.integers(0, 30, 90)] + [f"lane{i}" for i in range(10)]  # 10 seen once
    frame = pd.DataFrame({"street": streets, "x": rng.standard_normal(100), "label": ["a", "b"] * 50})
    path = write(frame, tmp_path / f"streets{suffix}")
    expected = load_table(path, target="label")
    found = scan_table(TableSource(path), target="label")
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)
    spec = found.preprocessor.specs_[0]
    assert spec["name"] == "street" and not any(c.startswith("lane") for c in spec["categories"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_code_of_numbers_and_text_is_read_as_categories_as_in_memory(tmp_path, suffix):
    n = 40  # cars93's cylinders: 3, 4, 5, 6, 8 and one 'rotary'
    cylinders = [str(v) for v in np.random.default_rng(0).choice([3, 4, 5, 6, 8], n)]
    cylinders[23] = "rotary"
    frame = pd.DataFrame({"cylinders": pd.Series(cylinders, dtype=object), "x": np.arange(n, dtype=float),
                          "label": ["a", "b"] * (n // 2)})
    path = write(frame, tmp_path / f"cars{suffix}")
    expected, found, memory, streamed = read_both(path, target="label")
    assert streamed == memory == [
        f"{path}: column 'cylinders' holds numbers and text (row 24: 'rotary'): read as 6 categories; name it in "
        "`categorical` to say so, or fix the value."]
    assert expected.preprocessor.specs_[0]["categories"] == ["3", "4", "5", "6", "8", "rotary"]
    assert_same_state(expected.preprocessor, found.preprocessor, exact=True)


def test_a_column_with_too_many_distinct_values_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(column_scan, "MAX_DISTINCT", 50)
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


# --- the stratified validation split ---------------------------------------------------------------------------


def _entries(codes: np.ndarray, bounds: list[int], k: int):
    """(piece, code, rows) of every class present in each piece -- what the scan counts."""
    rows = [np.bincount(codes[a:b], minlength=k) for a, b in pairwise(bounds)]
    return tuple(np.array(v, dtype=np.int64) for v in zip(*[(p, c, n) for p, r in enumerate(rows)
                                                             for c, n in enumerate(r) if n]))


@settings(max_examples=80, deadline=None)
@given(pieced=pieced_labels(), fraction=st.floats(0.01, 0.99), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_the_split_holds_out_stratified_splits_counts_whatever_the_piece_order(pieced, fraction, seed, data):
    codes, bounds = pieced
    k, n_pieces = int(codes.max()) + 1, len(bounds) - 1
    split, piece_held = fit_split(*_entries(codes, bounds, k), n_pieces=n_pieces, class_counts=np.bincount(codes),
                                  fraction=fraction, seed=seed)
    held = split.mask(codes)  # the whole table in file order
    _, val_idx = stratified_split(codes, fraction, seed=seed)
    np.testing.assert_array_equal(np.bincount(codes[held], minlength=k), np.bincount(codes[val_idx], minlength=k))
    for c in range(k):  # evenly spread: consecutive held rows of a class are n_c / n_val_c apart, rounded
        n, n_val = int(split.n_rows[c]), int(split.n_val[c])
        gaps = np.diff(np.flatnonzero(held[codes == c]))
        assert set(gaps.tolist()) <= {n // n_val, -(-n // n_val)}
    # Pieces read in any order, each cut into record batches anywhere, decide the same rows.
    found = np.zeros(len(codes), bool)
    for p in data.draw(st.permutations(range(n_pieces))):
        piece, position = codes[bounds[p]:bounds[p + 1]], split.positions(p)
        cuts = data.draw(chunk_bounds(len(piece)))
        parts = [split.held_out(piece[a:b], position) for a, b in pairwise(cuts)]
        found[bounds[p]:bounds[p + 1]] = np.concatenate(parts)
        assert found[bounds[p]:bounds[p + 1]].sum() == piece_held[p]
    np.testing.assert_array_equal(found, held)


def test_repeated_piece_class_entries_are_summed():
    """Two raw labels of one class (CSV "1" and "1.0") give two entries of a piece: counted as one class."""
    codes = np.array([0, 1, 0, 0, 1, 1, 0, 1])
    one, held_one = fit_split(*_entries(codes, [0, 3, 8], 2), n_pieces=2, class_counts=np.array([4, 4]),
                              fraction=0.5, seed=3)
    two, held_two = fit_split(np.array([1, 0, 0, 1, 1]), np.array([0, 0, 1, 1, 0]), np.array([1, 2, 1, 3, 1]),
                              n_pieces=2, class_counts=np.array([4, 4]), fraction=0.5, seed=3)
    np.testing.assert_array_equal(held_one, held_two)
    for name in ("indptr", "codes", "offsets"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))


@pytest.mark.parametrize("start, expected", [(0, [3, 6, 9]), (5, [1, 4, 8])])
def test_a_worked_example_of_systematic_sampling(start, expected):
    """10 rows, 3 held: H(i) = floor((3 i + s) / 10); s = 0 gives 0 0 0 0 1 1 1 2 2 2 3, held where H steps."""
    split = StreamSplit(n_rows=np.array([10]), n_val=np.array([3]), start=np.array([start]),
                        indptr=np.array([0, 1]), codes=np.array([0], np.int32), offsets=np.array([0]))
    assert np.flatnonzero(split.mask(np.zeros(10, np.int64))).tolist() == expected


def test_held_counts_stay_exact_past_int64_products():
    n, n_val, start = 6 * 10**9, 3 * 10**9 - 1, 6 * 10**9 - 1  # i * n_val passes 2**63
    index = np.array([0, 1, 12_345_678_901 % n, n - 1, n])
    found = held_before(index, np.full(5, n_val), np.full(5, n), np.full(5, start))
    assert found.tolist() == [(int(i) * n_val + start) // n for i in index]
    assert found[-1] == n_val


def _thread_ranks(world_size: int, work):
    """`work(rank, gather)` on `world_size` threads; `gather` is all_gather_object (objects pickled, as torch)."""
    slots, results = [None] * world_size, [None] * world_size
    barrier = threading.Barrier(world_size)

    def gather_of(rank):
        def gather(obj):
            slots[rank] = obj
            barrier.wait()
            out = [copy.deepcopy(o) for o in slots]
            barrier.wait()
            return out
        return gather

    threads = [threading.Thread(target=lambda r=r: results.__setitem__(r, work(r, gather_of(r))))
               for r in range(world_size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_every_rank_in_any_piece_order_holds_out_the_rows_of_the_file_order(tmp_path):
    rng = np.random.default_rng(4)
    labels = rng.choice(["a", "b", "c", "d"], 700, p=[0.6, 0.3, 0.095, 0.005])
    labels[[5, 650]] = "e"  # a class of 2 rows, in two shards
    frame = pd.DataFrame({"row": np.arange(700, dtype=float), "label": labels})
    (tmp_path / "shards").mkdir()
    for i, (a, b) in enumerate([(0, 250), (250, 251), (251, 700)]):
        write(frame.iloc[a:b], tmp_path / "shards" / f"part-{i}.parquet", row_group_size=60)
    table = TableSource(tmp_path / "shards", batch_rows=25)
    options = {"target": "label", "val_fraction": 0.3, "seed": 7}
    single = scan_table(table, **options)
    codes = np.searchsorted(np.array(single.classes), labels)  # file order
    held = single.split.mask(codes)
    _, val_idx = stratified_split(codes, 0.3, classes=single.classes)
    np.testing.assert_array_equal(np.bincount(codes[held]), np.bincount(codes[val_idx]))
    np.testing.assert_array_equal(single.class_counts - single.train_class_counts, np.bincount(codes[val_idx]))
    ranks = _thread_ranks(2, lambda r, gather: scan_table(table, **options, rank=r, world_size=2, gather=gather))
    row_of = lambda X: np.rint(X[:, 0] * single.preprocessor.scale_[0] + single.preprocessor.mean_[0]).astype(int)
    order = epoch_pieces(len(table.pieces), 7, 3, shuffle=True)
    for part, expected in (("validation", np.flatnonzero(held)), ("train", np.flatnonzero(~held))):
        seen = [row_of(X) for r, found in enumerate(ranks) for X, _ in iter_encoded(table, found, order[r::2], part)]
        np.testing.assert_array_equal(np.sort(np.concatenate(seen)), expected)
    for found in ranks:
        assert (found.piece_train_rows, found.train_class_counts.tolist()) == (single.piece_train_rows,
                                                                               single.train_class_counts.tolist())
    assert sum(single.piece_rows) - sum(single.piece_train_rows) == held.sum()
    other = scan_table(table, **{**options, "seed": 8}).split.mask(codes)  # the seed moves the rows, not the counts
    assert (other != held).any() and (np.bincount(codes[other]) == np.bincount(codes[held])).all()


def test_a_class_of_one_row_stays_in_training_as_in_memory(tmp_path):
    frame = pd.DataFrame({"x": np.arange(9.0), "label": ["a"] * 4 + ["rare"] + ["b"] * 4})
    path = write(frame, tmp_path / "rare.parquet")
    codes = np.array([0] * 4 + [2] + [1] * 4)
    with pytest.warns(DataWarning) as memory:
        _, val_idx = stratified_split(codes, 0.2, classes=("a", "b", "rare"))
    with pytest.warns(DataWarning) as streamed:
        scan = scan_table(TableSource(path), target="label", val_fraction=0.2)
    assert str(streamed[0].message) == str(memory[0].message)
    assert str(memory[0].message).startswith("class 'rare' has 1 example: kept in training")
    held = scan.split.mask(codes)
    assert not held[4] and np.bincount(codes[held], minlength=3).tolist() == np.bincount(codes[val_idx], minlength=3).tolist()
    one_each = write(pd.DataFrame({"x": [1.0, 2.0], "label": ["p", "q"]}), tmp_path / "one_each.parquet")
    with pytest.raises(DataError) as memory_error:
        stratified_split(np.array([0, 1]), 0.2, classes=("p", "q"))
    with pytest.raises(DataError) as streamed_error:
        scan_table(TableSource(one_each), target="label", val_fraction=0.2)
    assert str(streamed_error.value) == f"{one_each}: {memory_error.value}"
    assert scan_table(TableSource(path), target="label").split is None  # no split asked: no error
    with pytest.raises(ConfigError, match=r"`val_fraction` must be in \[0, 1\); got 1.0"):
        scan_table(TableSource(path), target="label", val_fraction=1.0)


def test_a_scan_built_from_the_original_fields_reads_every_row(tmp_path):
    """`TableScan(...)` without `split` (a saved model evaluated on a streamed table) still reads "all"."""
    path = write(mixed_frame(60), tmp_path / "t.parquet")
    table = TableSource(path)
    found = scan_table(table, target="label", val_fraction=0.2)
    fields = ("preprocessor", "classes", "target_dtype", "label_codes", "class_counts", "train_class_counts",
              "piece_rows", "piece_train_rows", "target", "id_column")
    bare = TableScan(**{name: getattr(found, name) for name in fields}, val_fraction=0.0, seed=0)
    assert sum(len(y) for _, y in iter_encoded(table, bare, [0], "all")) == 60
    assert list(iter_encoded(table, bare, [0], "validation")) == []
    with pytest.raises(ValueError, match=r"`scan` must hold its validation split .* val_fraction=0.2 and split=None"):
        next(iter_encoded(table, TableScan(**{name: getattr(found, name) for name in fields}, val_fraction=0.2,
                                           seed=0), [0], "train"))


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
    expected = np.flatnonzero(~found.split.mask(load_table(path, target="label").y))  # codes in file order
    np.testing.assert_array_equal(seen, expected)
    assert sum(found.piece_train_rows) == len(expected)
