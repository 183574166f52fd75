"""Issue 15, classes 4, 6 and 8: resource bombs refused from declared sizes under a memory budget, images read at
their real bit depth and size, file names that are not UTF-8. The resource tests run under a small budget
(MULTICLASS_MAX_MEMORY), so a regression fails the test instead of the machine."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from multiclass.cli import main
from multiclass.data import load_dataset
from multiclass.data.table_io import read_table
from multiclass.data.bitdepth import to_eight_bit
from multiclass.exceptions import DataError
from multiclass.runtime.inputs import csv_columns
from multiclass.membudget import BUDGET_VARIABLE, check_allocation, memory_budget
from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    GOOD,
    QUIET,
    case,
    cases_of,
    check_case,
    q,
    train,
    train_table,
    trained_model,
    write,
)

_BUDGET = "64M"


def _budget(monkeypatch, tmp):
    monkeypatch.setenv(BUDGET_VARIABLE, _BUDGET)


def _npz(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(f"{name}.npy", payload)
    return path


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _header_only(shape, descr="<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buffer.getvalue()


@case("a 1 KB .npz declaring a 7.28 TiB array", patch=_budget)
def npz_declared_shape(tmp, model):
    p = _npz(tmp / "data.npz", {"X": _header_only((10**6, 10**6)), "y": _npy(np.zeros(4))})
    return train(p), (rf"^{q(p)}: array 'X' declares shape \(1000000, 1000000\) \(7\.28 TiB\) but the archive "
                      r"holds 0 bytes for it\.$")


@case("a .npz that inflates past the memory budget (a zip bomb)", patch=_budget)
def npz_zip_bomb(tmp, model):
    p = _npz(tmp / "data.npz", {"X": _npy(np.zeros((120_000, 100))), "y": _npy(np.arange(120_000) % 2)},
             compression=zipfile.ZIP_DEFLATED)
    assert p.stat().st_size < 1_000_000
    return train(p), (rf"^{q(p)}: array 'X' of shape \(120000, 100\) needs 91\.6 MiB, more than the memory budget "
                      r"of 64 MiB \(set MULTICLASS_MAX_MEMORY to change it\)\.$")


@case("`--hidden` too wide for the memory budget", patch=_budget)
def network_over_budget(tmp, model):
    p = write(tmp / "data.csv", GOOD)
    return (train_table(p, "--hidden", "10000000"),
            r"^the network 2-10000000-3 \(60,000,003 parameters, with gradients and Adam's state\) needs 916 MiB, "
            r"more than the memory budget of 64 MiB \(set MULTICLASS_MAX_MEMORY to change it\)\.$")


@case("an image above 40 megapixels (refused from its header)")
def image_over_pixel_cap(tmp, model):
    for i in range(2):
        write(tmp / "photos" / "a" / f"{i}.png", b"")
        Image.new("L", (4, 4)).save(tmp / "photos" / "a" / f"{i}.png")
        Image.new("L", (4, 4), 255).save(write(tmp / "photos" / "b" / f"{i}.png", b""))
    big = tmp / "photos" / "a" / "big.png"
    Image.new("1", (8000, 6000)).save(big)  # 1-bit: a few KB on disk
    return train(tmp / "photos"), (rf"^{q(big)}: the image has 8000 x 6000 pixels, more than the 40,000,000 that "
                                   r"are read; make it smaller\.$")


# --- messages -------------------------------------------------------------------------------------------------------


@case("a FIFO given as the data file")
def fifo_as_data(tmp, model):
    fifo = tmp / "data.csv"
    os.mkfifo(fifo)
    return train_table(fifo), rf"^{q(fifo)}: not a regular file \(a pipe, a device or a socket\); give a file\.$"


@case("a gzip file named .csv")
def gzip_named_csv(tmp, model):
    import gzip

    p = write(tmp / "data.csv", gzip.compress(GOOD.encode()))
    return train_table(p), (rf"^{q(p)}: is gzip-compressed \(it starts with gzip's bytes 1F 8B\) but its name does "
                            r"not say so; name it \.gz \(data\.csv\.gz\) or decompress it\.$")


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(0, 2**40), min_size=1, max_size=4), held=st.integers(0, 4096),
       descr=st.sampled_from(["<f8", "<f4", "|u1", "<i8"]))
def test_random_declared_npz_sizes_never_allocate_more_than_held(tmp_path_factory, monkeypatch, shape, held, descr):
    """Any declared shape with any number of bytes behind it: read exactly, or refused as a DataError."""
    monkeypatch.setenv(BUDGET_VARIABLE, _BUDGET)
    path = _npz(tmp_path_factory.mktemp("npz") / "x.npz", {"X": _header_only(shape, descr) + b"\0" * held,
                                                            "y": _npy(np.zeros(2))})
    declared = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
    try:
        arrays = np.load(path, allow_pickle=False)  # the reference: what numpy alone would do, for small ones
    except Exception:  # noqa: BLE001
        arrays = None
    try:
        load_dataset(path)
    except DataError as error:
        assert declared != held or "must be" in str(error) or "shape" in str(error) or "labels" in str(error) \
            or arrays is None
    del arrays


def test_budget_variable_is_parsed_and_checked(monkeypatch):
    monkeypatch.setenv(BUDGET_VARIABLE, "1.5GiB")
    assert memory_budget() == int(1.5 * 2**30)
    monkeypatch.setenv(BUDGET_VARIABLE, "10")
    check_allocation(10, "x")
    with pytest.raises(DataError, match=r"^x needs 11 bytes, more than the memory budget of 10 bytes"):
        check_allocation(11, "x")
    monkeypatch.setenv(BUDGET_VARIABLE, "lots")
    with pytest.raises(DataError, match=r"^MULTICLASS_MAX_MEMORY must be a size in bytes such as 512M or 8G; got "
                                        r"'lots'\.$"):
        memory_budget()
    monkeypatch.delenv(BUDGET_VARIABLE)
    assert memory_budget() > 0


# --- images ----------------------------------------------------------------------------------------------------


def test_sixteen_bit_images_keep_their_levels(tmp_path):
    """Two classes that differ only above level 255 of 16 stay apart (they were both clipped to white)."""
    for i in range(4):
        Image.fromarray(np.full((4, 4), 1000 + i, np.uint16)).save(write(tmp_path / "a" / f"{i}.png", b""))
        Image.fromarray(np.full((4, 4), 60000 - i, np.uint16)).save(write(tmp_path / "b" / f"{i}.png", b""))
    assert Image.open(tmp_path / "a" / "0.png").mode.startswith("I")
    dataset = load_dataset(tmp_path)
    expected = np.rint(np.array([1000, 60000]) / 257) / 255
    assert np.allclose(dataset.X[dataset.y == 0, 0], expected[0], atol=1 / 255)
    assert np.allclose(dataset.X[dataset.y == 1, 0], expected[1], atol=1 / 255)


@pytest.mark.parametrize(("mode", "values", "levels"), [
    ("I;16", [0, 257, 65535], [0, 1, 255]),
    ("I", [0, 257, 65535], [0, 1, 255]),
    ("F", [0.0, 0.5, 1.0], [0, 128, 255]),
    ("L", [0, 7, 255], [0, 7, 255]),
])
def test_to_eight_bit_scales_by_the_real_depth(mode, values, levels):
    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32, "L": np.uint8}[mode]
    image = Image.fromarray(np.array([values], dtype=dtype))
    assert image.mode == mode
    assert np.asarray(to_eight_bit(image)).ravel().tolist() == levels


def test_sixteen_bit_images_predict_the_same_on_both_runtimes(tmp_path):
    for i in range(4):
        Image.fromarray(np.full((4, 4), 1000 + 100 * i, np.uint16)).save(write(tmp_path / "d" / "a" / f"{i}.png", b""))
        Image.fromarray(np.full((4, 4), 60000 - 100 * i, np.uint16)).save(write(tmp_path / "d" / "b" / f"{i}.png",
                                                                                b""))
    model = tmp_path / "m"
    assert main(["train", str(tmp_path / "d"), "--hidden", "none", "--epochs", "30", "--quiet", "--out",
                 str(model)]) == 0
    rows = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(model), str(tmp_path / "d"), "--runtime", runtime, "--out", str(out)]) == 0
        rows[runtime] = [line.split(",")[:2] for line in out.read_text().splitlines()]
    assert rows["numpy"] == rows["torch"]


@pytest.mark.skipif(os.name != "posix", reason="file names as bytes")
def test_folder_names_that_are_not_utf8_are_escaped_everywhere(tmp_path, capsys):
    root = os.fsencode(tmp_path / "photos")
    for name, colour in ((b"caf\xe9", (200, 10, 10)), (b"dog", (10, 10, 200))):
        os.makedirs(os.path.join(root, name))
        for i in range(3):
            Image.new("RGB", (4, 4), colour).save(os.path.join(root, name, b"%d.png" % i))
    folder, model = tmp_path / "photos", tmp_path / "m"
    assert main(["train", str(folder), "--hidden", "none", *QUIET, "--out", str(model)]) == 0
    assert json.loads((model / "model.json").read_text())["classes"] == ["caf\\xe9", "dog"]
    assert main(["evaluate", str(model), str(folder), "--json", str(tmp_path / "r.json"), "--html",
                 str(tmp_path / "r.html")]) == 0
    assert main(["predict", str(model), str(folder), "--out", str(tmp_path / "p.csv")]) == 0
    assert "caf\\xe9/0.png" in (tmp_path / "p.csv").read_text(encoding="utf-8")
    capsys.readouterr()


# --- a class named NA -------------------------------------------------------------------------------------------


def test_na_values_keeps_a_class_named_na(tmp_path, capsys):
    rows = "".join(f"{i % 5},{(i * 3) % 7},{['NA', 'x', 'y'][i % 3]}\n" for i in range(30))
    data = write(tmp_path / "data.csv", "a,b,y\n" + rows)
    model = tmp_path / "m"
    assert main(["train", str(data), "--target", "y", "--hidden", "none", *QUIET, "--out", str(model)]) == 0
    assert ("10 of 30 rows have no label in column 'y' (the first: row 1); they are left out of training."
            in capsys.readouterr().err)  # NA is a missing label by default
    assert json.loads((model / "model.json").read_text())["classes"] == ["x", "y"]
    assert main(["train", str(data), "--target", "y", "--hidden", "none", "--na-values", "", *QUIET, "--out",
                 str(model)]) == 0
    document = json.loads((model / "model.json").read_text())
    assert document["classes"] == ["NA", "x", "y"] and document["data"]["load_options"]["na_values"] == [""]
    assert main(["evaluate", str(model), str(data)]) == 0
    kept = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(model), str(data), "--runtime", runtime, "--keep-columns", "y", "--out",
                     str(out)]) == 0
        kept[runtime] = [line.split(",")[0] for line in out.read_text().splitlines()[1:]]
    assert kept["numpy"] == kept["torch"] == [["NA", "x", "y"][i % 3] for i in range(30)]


def test_a_class_named_none_is_a_class_not_a_missing_label(tmp_path, capsys):
    """MASS's survey: Exer is "Freq", "Some" or "None". pandas reads the word None as missing; in the label column it
    is a class (a missing Python None is written as an empty field), while "NA" stays missing there and "None" in a
    feature column stays missing too; in memory and streamed alike."""
    rows = "".join(f"{i % 5},{['None', 'a'][i % 2]},{['None', 'Some', 'Freq'][i % 3]}\n" for i in range(30))
    data = write(tmp_path / "data.csv", "a,b,Exer\n" + rows)
    model = tmp_path / "m"
    assert main(["train", str(data), "--target", "Exer", "--hidden", "none", *QUIET, "--out", str(model)]) == 0
    document = json.loads((model / "model.json").read_text())
    assert document["classes"] == ["Freq", "None", "Some"]
    report = tmp_path / "r.json"
    assert main(["evaluate", str(model), str(data), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["summary"]["n_samples"] == 30
    for runtime in ("numpy", "torch", "stream"):  # the label kept as y_true keeps its class "None" (the numpy
        out = tmp_path / f"p-{runtime}.csv"  # runtime's csv reader wrote it as an empty, missing label)
        how = ["--stream"] if runtime == "stream" else ["--runtime", runtime]
        assert main(["predict", str(model), str(data), *how, "--keep-columns", "Exer,b", "--out", str(out)]) == 0
        kept = [line.split(",")[:2] for line in out.read_text().splitlines()[1:]]
        assert kept == [[["None", "Some", "Freq"][i % 3], ["", "a"][i % 2]] for i in range(30)]
    streamed = tmp_path / "s"  # the streamed reader alike: the same classes and the same preprocessor
    assert main(["train", str(data), "--target", "Exer", "--stream", "--hidden", "none", *QUIET, "--out",
                 str(streamed)]) == 0
    twin = json.loads((streamed / "model.json").read_text())
    assert twin["classes"] == document["classes"] and twin["preprocessor"] == document["preprocessor"]
    assert main(["evaluate", str(streamed), str(data), "--stream", "--json", str(report)]) == 0
    assert json.loads(report.read_text())["summary"]["n_samples"] == 30
    missing = write(tmp_path / "missing.csv", "a,b,Exer\n" + rows + "1,a,NA\n")
    capsys.readouterr()
    assert main(["train", str(missing), "--target", "Exer", "--hidden", "none", *QUIET, "--out",
                 str(tmp_path / "m2")]) == 0
    assert "1 of 31 rows have no label in column 'Exer' (the first: row 31)" in capsys.readouterr().err
    assert main(["train", str(missing), "--target", "Exer", "--stream", "--hidden", "none", *QUIET, "--out",
                 str(tmp_path / "m3")]) == 2  # the streamed reader needs every row labelled
    assert "column 'Exer' row 31: the label is missing." in capsys.readouterr().err


def test_a_cell_of_whitespace_is_missing_in_every_reader(tmp_path, capsys):
    """VGAM's car.all pads a missing number with a space: 'Eng.Rev2' row 37 is ' ' among numbers, and training
    stopped with "value ' ' is not numeric". A cell of only whitespace is missing like the empty cell, in memory,
    streamed and in the numpy runtime's csv reader alike; a text column's blank cells too."""
    rows = "".join(f"{i % 7},{' ' if i % 9 == 3 else '  ' if i % 11 == 5 else f'{i % 10 + 0.25}'},"
                   f"{chr(9) if i % 13 == 2 else 'ab'[i % 2]},{'pq'[i % 2]}\n" for i in range(60))
    data = write(tmp_path / "cars.csv", "x,rev,kind,y\n" + rows)
    models = {}
    for how in ("memory", "stream"):
        models[how] = tmp_path / how
        assert main(["train", str(data), "--target", "y", "--hidden", "none", *QUIET, "--out", str(models[how]),
                     *(["--stream"] if how == "stream" else [])]) == 0
    documents = [json.loads((models[how] / "model.json").read_text()) for how in models]
    assert documents[0]["preprocessor"] == documents[1]["preprocessor"]
    columns = {c["name"]: c for c in documents[0]["preprocessor"]["params"]["columns"]}
    assert columns["rev"]["type"] == "numeric" and columns["rev"]["missing_indicator"]
    assert columns["kind"]["categories"] == ["a", "b"]  # no category of a tab
    predicted = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(models["memory"]), str(data), "--runtime", runtime, "--out", str(out)]) == 0
        predicted[runtime] = [line.split(",")[0] for line in out.read_text().splitlines()[1:]]
    assert predicted["numpy"] == predicted["torch"] and len(predicted["numpy"]) == 60
    assert csv_columns("a,b\n1, \n\t,x\n") == {"a": ["1", None], "b": [None, "x"]}
    assert read_table(data)["rev"].dtype == np.float64


@pytest.mark.parametrize("mark", ["?", "."])
def test_a_question_mark_or_a_lone_point_is_a_missing_value(tmp_path, capsys, mark):
    """UCI's .data files mark a missing value with '?' (breast-cancer-wisconsin's bare nuclei), SAS and Stata with
    '.': a column of numbers with the mark in it is numbers with some missing, read alike in memory, streamed and by
    the numpy runtime."""
    rows = "".join(f"{mark if i % 7 == 0 else i % 10},{['x', 'z', mark][i % 3]},{['benign', 'malignant'][i % 2]}\n"
                   for i in range(60))
    data = write(tmp_path / "cancer.data", rows)
    names = ["--no-header", "--names", "nuclei,shape,class"]
    model = tmp_path / "m"
    assert main(["train", str(data), "--target", "class", *names, "--hidden", "none", *QUIET, "--out",
                 str(model)]) == 0
    document = json.loads((model / "model.json").read_text())
    columns = {c["name"]: c for c in document["preprocessor"]["params"]["columns"]}
    assert columns["nuclei"]["type"] == "numeric" and columns["nuclei"]["missing_indicator"]
    assert columns["shape"]["categories"] == ["x", "z"] and columns["shape"]["missing_indicator"]  # '?': missing
    streamed = tmp_path / "s"
    assert main(["train", str(data), "--target", "class", *names, "--stream", "--hidden", "none", *QUIET, "--out",
                 str(streamed)]) == 0
    assert json.loads((streamed / "model.json").read_text())["preprocessor"]["params"]["columns"] == \
        document["preprocessor"]["params"]["columns"]
    for model_dir in (model, streamed):  # the streamed readers read it with the model's --names too
        assert main(["evaluate", str(model_dir), str(data), "--stream", "--json", str(tmp_path / "r.json")]) == 0
        assert json.loads((tmp_path / "r.json").read_text())["summary"]["n_samples"] == 60
        assert main(["predict", str(model_dir), str(data), "--stream", "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["predict", str(model), str(data), "--out", str(tmp_path / "p.csv")]) == 0
    assert main(["predict", str(model), str(data), "--runtime", "torch", "--out", str(tmp_path / "t.csv")]) == 0
    numpy_rows, torch_rows = ((tmp_path / f).read_text().splitlines() for f in ("p.csv", "t.csv"))
    assert [r.split(",")[0] for r in numpy_rows] == [r.split(",")[0] for r in torch_rows]
    capsys.readouterr()
