"""multiclass.data.column_names: the names read off a file's first line are the table reader's own (the oracle is
`read_table`, pandas), so the command line's early `--target` check never disagrees with the reader."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multiclass.data import load_table
from multiclass.data.column_names import (
    FIRST_LISTED,
    LAST_LISTED,
    LISTED_COLUMNS,
    available_columns,
    check_named_columns,
    columns_listing,
    file_column_names,
)
from multiclass.data.table_io import read_table
from multiclass.exceptions import ConfigError, DataError

FILES = [
    ("a.csv", "a,b,label\n1,2,x\n3,4,y\n", {}),
    ("semi.csv", "a;b;label\n1,5;2;x\n3;4;y\n", {}),  # a ';' file with a decimal comma
    ("t.tsv", "a b\tc\tlabel\n1\t2\tx\n", {}),
    ("w.txt", "a  b   label\n1  2   x\n3 4 y\n", {}),  # runs of blanks
    ("h.csv", "1.5,2,x\n2.5,3,y\n", {}),  # no header line: column_1, ...
    ("n.csv", "1.5,2,x\n2.5,3,y\n", {"names": ("p", "q", "r")}),
    ("r.csv", "a,b,label\n1,2,x\n", {"names": ("p", "q", "r")}),  # names replace a header line
    ("f.csv", "1.5,2,x\n2.5,3,y\n", {"header": False}),
    ("e.csv", ",x,,label\n1,2,3,a\n4,5,6,b\n", {}),  # empty header cells: pandas' 'Unnamed: <i>'
    ("bom.csv", "\ufeffa,b\n1,x\n", {}),
    ("q.csv", '"a,1"," b ",label\n1,2,x\n', {}),  # quoted names with the delimiter and blanks
    ("s.csv", "a|b|label\n1|2|x\n", {"sep": "|"}),
    ("cs.csv", "a, b, label\n1, 2, x\n3, 4, y\n", {}),  # a blank after every delimiter: skipped
    ("cse.csv", "a, , label\n1, 2, x\n3, 4, y\n", {}),
]


@pytest.mark.parametrize("name, text, formats", FILES, ids=[f[0] for f in FILES])
def test_the_names_are_the_table_readers(tmp_path, name, text, formats):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert file_column_names(path, **formats) == list(read_table(path, **formats).columns)


def test_a_compressed_csv_is_read_and_what_cannot_be_told_is_none(tmp_path):
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(b"a,b,label\n1,2,x\n"))
    assert file_column_names(path) == list(read_table(path).columns) == ["a", "b", "label"]
    pd.DataFrame({"a": [1], "label": ["x"]}).to_parquet(tmp_path / "p.parquet")
    (tmp_path / "latin.csv").write_bytes("caf\xe9,label\n1,x\n".encode("latin-1"))  # Windows-1252: read so
    assert file_column_names(tmp_path / "latin.csv") == list(read_table(tmp_path / "latin.csv").columns)
    (tmp_path / "damaged.csv").write_bytes("thé,".encode() + "caf\xe9,label\n1,2,x\n".encode("latin-1"))
    (tmp_path / "notes.md").write_text("a,b\n1,2\n")
    (tmp_path / "bytes.csv").write_bytes(b"\x00\x01\x02 not a table")
    for other in ("p.parquet", "damaged.csv", "notes.md", "missing.csv", "bytes.csv"):
        assert file_column_names(tmp_path / other) is None
        check_named_columns(tmp_path / other, "nothing", ignore=["x"])  # the reader says what is wrong, not this check


def test_a_missing_target_is_said_in_the_readers_words(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("sepal,species\n1,a\n")
    with pytest.raises(DataError) as early:
        check_named_columns(path, "Species")
    with pytest.raises(DataError) as late:
        load_table(path, target="Species")
    assert str(early.value) == str(late.value) == (
        f"{path}: target column 'Species' not found; available columns: 'sepal', 'species' (did you mean "
        "'species'?).")
    check_named_columns(path, "species")
    for option in ("ignore", "categorical"):
        with pytest.raises(ConfigError) as early:
            check_named_columns(path, "species", **{option: ["sepal", "Sepal"]})
        with pytest.raises(ConfigError) as late:
            load_table(path, target="species", **{option: ["sepal", "Sepal"]})
        assert str(early.value) == str(late.value) == (
            f"`{option}` must name columns of {path}; got 'Sepal'. Available columns: 'sepal', 'species'.")


_NAME = st.text(st.sampled_from("ab yZ,;\"'_-.1é"), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_NAME, min_size=2, max_size=5, unique=True), sep=st.sampled_from([",", ";", "\t", "|"]))
def test_any_header_pandas_writes_is_read_by_the_same_names_or_left_to_the_reader(tmp_path, names, sep):
    if sum(n == "" for n in names) or len({n.strip() for n in names}) < len(names):
        names = [f"{n}{i}" for i, n in enumerate(names)]  # one empty name at most is pandas' own business
    frame = pd.DataFrame({n: [1.5, 2.5, 3.5] for n in names})
    frame[names[-1]] = ["x", "y", "x"]
    path = tmp_path / "g.csv"
    frame.to_csv(path, index=False, sep=sep)
    found = file_column_names(path)
    try:
        expected = list(read_table(path).columns)
    except DataError:  # names made of delimiters and quotes can defeat the sniffing: the reader's error stands
        return
    assert found is None or found == expected  # None: not told early, the reader says it
    if all(ch not in n for n in names for ch in ",;\t|\""):
        assert found == expected


def test_a_wide_tables_listing_shows_its_first_and_last_columns_and_a_slip_is_named():
    names = [f"pixel{i}" for i in range(784)] + ["label"]
    listing = columns_listing(names)
    assert listing == ", ".join([*(repr(n) for n in names[:FIRST_LISTED]), "...",
                                 *(repr(n) for n in names[-LAST_LISTED:])])
    assert columns_listing(names[:LISTED_COLUMNS]) == ", ".join(repr(n) for n in names[:LISTED_COLUMNS])
    assert available_columns(names, "labl").endswith("'label' (did you mean 'label'?)")
    assert available_columns(["Species", "a"], "species").endswith("(did you mean 'Species'?)")
    assert "did you mean" not in available_columns(["sepal", "petal"], "target")  # nothing close
