"""Issue 15, classes 1-3: outputs that would destroy inputs or each other, all-or-nothing outputs and the cleanup of
stale temporaries, numbers out of range. The cases of the bad-input catalogue (tests/catalogue.py) run in English
and Spanish and check that nothing on disk changed; the rest test `multiclass.jobs.outputs` directly."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multiclass.jobs.outputs as outputs
from multiclass.cli import main
from multiclass.exceptions import DataError, DivergedError
from multiclass.jobs.outputs import Output, check_outputs, write_together
from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    GOOD,
    QUIET,
    case,
    cases_of,
    check_case,
    q,
    train_table,
    trained_model,
    write,
)

# --- 1. no output over an input or over another output ---------------------------------------------------------


@case("`predict --out` inside the model directory (it would destroy model.json)")
def predict_out_inside_model(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    out = model / "model.json"
    return (["predict", str(model), str(data), "--out", str(out)],
            rf"^{q(out)}: is inside the input {q(model)}; write the output elsewhere\.$")


@case("`predict --out` is the model directory itself")
def predict_out_is_model(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    return (["predict", str(model), str(data), "--out", str(model)],
            rf"^{q(model)}: is also the input folder {q(model)}; write the output elsewhere\.$")


@case("`evaluate --json` names the test data")
def evaluate_json_over_data(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    return (["evaluate", str(model), str(data), "--json", str(data)],
            rf"^{q(data)}: is also the input data {q(data)}; write the output to another file\.$")


@case("`report --html` names its own predictions file")
def report_html_over_predictions(tmp, model):
    predictions = write(tmp / "p.csv", "y_true,y_pred\nx,x\ny,x\n")
    return (["report", "--predictions", str(predictions), "--html", str(predictions)],
            rf"^{q(predictions)}: is also the input data {q(predictions)}; write the output to another file\.$")


@case("`--json` and `--html` name the same file")
def json_and_html_same_file(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    out = tmp / "r.out"
    return (["evaluate", str(model), str(data), "--json", str(out), "--html", str(out)],
            rf"^{q(out)}: is given to both --json and --html \({q(out)}\); each output needs its own file\.$")


@case("an output through a symbolic link to the input data")
def output_symlink_to_data(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    link = tmp / "link.csv"
    link.symlink_to(data)
    return (["predict", str(model), str(data), "--out", str(link)],
            rf"^{q(link)}: is also the input data {q(data)}; write the output to another file\.$")


@case("an output hard-linked to the input data")
def output_hard_link_to_data(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    other = tmp / "copy.csv"
    os.link(data, other)
    return (["predict", str(model), str(data), "--out", str(other)],
            rf"^{q(other)}: is also the input data {q(data)}; write the output to another file\.$")


@case("`train --out` a model directory that holds the training data")
def train_out_holds_data(tmp, model):
    data = write(model / "data.csv", GOOD)
    return (train_table(data, out=model),
            rf"^{q(model)}: holds the input {q(data)}, which writing it would replace; write the output elsewhere\.$")


# --- 3. numbers out of range -----------------------------------------------------------------------------------


@case("a feature beyond float32's range (1e308)")
def feature_beyond_float32(tmp, model):
    rows = "".join(f"{[1e308, -2, 3][i % 3]},{'xyz'[i % 3]}\n" for i in range(12))
    p = write(tmp / "data.csv", "a,y\n" + rows)
    return train_table(p), (rf"^{q(p)}: column 'a' row 1: value 1e\+308 is too large; the network computes in "
                            r"float32, whose numbers reach 3\.403e\+38 \(rescale the column\)\.$")


@case("`--class-weight` giving every class weight 0")
def class_weight_all_zero(tmp, model):
    p = write(tmp / "data.csv", GOOD)
    return (train_table(p, "--class-weight", "x=0,y=0,z=0"),
            r"^`--class-weight` must give every class a finite weight >= 0, and some class a positive one; got "
            r"\{'x': 0\.0, 'y': 0\.0, 'z': 0\.0\}\.$")


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")


# --- the output plan, directly ---------------------------------------------------------------------------------

_NAMES = st.sampled_from(["a.csv", "b.json", "sub/c.html", "m", "m/model.json", "link"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outs=st.lists(_NAMES, min_size=1, max_size=3), ins=st.lists(_NAMES, max_size=2))
def test_random_collisions_are_refused_and_distinct_paths_pass(tmp_path_factory, outs, ins):
    """Any two outputs on one file, or an output on / inside an input, is a DataError; otherwise it passes."""
    root = tmp_path_factory.mktemp("plan")
    (root / "sub").mkdir()
    (root / "m").mkdir()
    (root / "m" / "model.json").write_text("{}")
    for name in ins:
        if not (root / name).exists() and name != "link":
            (root / name).write_text("x")
    if "link" in ins or "link" in outs:
        (root / "link").symlink_to(root / "a.csv")
    resolved = lambda name: (root / name).resolve()
    clash = len({resolved(n) for n in outs}) < len(outs) or any(
        resolved(o) == resolved(i) or resolved(i) in resolved(o).parents or resolved(o) in resolved(i).parents
        for o in outs for i in ins) or any(resolved(a) in resolved(b).parents for a in outs for b in outs)
    plan = [Output(f"--o{i}", root / name, model_dir=name == "m") for i, name in enumerate(outs)]
    if clash:
        with pytest.raises(DataError, match=r"is given to both|is also the input|is inside the input|holds the"):
            check_outputs(plan, [root / name for name in ins])
    else:
        try:
            check_outputs(plan, [root / name for name in ins])
        except DataError as error:  # only the other checks may refuse: a model output over a non-model folder
            assert "collision" not in str(error) and "input" not in str(error) and "both" not in str(error)


def test_stale_temporaries_of_every_output_are_removed(tmp_path):
    """A predict killed by SIGKILL left its temporary: the next command writing that output removes it."""
    out = tmp_path / "p.csv"
    stale = tmp_path / ".p.csv.x1y2.tmp"
    stale.write_text("half")
    check_outputs([Output("--out", out)])
    assert not stale.exists()


def test_write_together_writes_all(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.html"
    a.write_text("old")
    write_together([(a, b"A"), (b, b"B")])
    assert a.read_bytes() == b"A" and b.read_bytes() == b"B"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.html"]


def test_write_together_disk_full_touches_nothing(tmp_path, monkeypatch):
    """Disk full while the second file is written: the first output keeps its previous bytes, no temporary."""
    a, b = tmp_path / "a.json", tmp_path / "b.html"
    a.write_text("previous")
    real = outputs.fsync_write

    def full(path, payload):
        if payload == b"B":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, payload)

    monkeypatch.setattr(outputs, "fsync_write", full)
    with pytest.raises(OSError, match=r"cannot be written \(No space left on device\)") as raised:
        write_together([(a, b"A"), (b, b"B")])
    assert raised.value.filename == str(b)
    assert a.read_text() == "previous" and not b.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_write_together_failed_rename_puts_back_the_first(tmp_path, monkeypatch):
    a, b = tmp_path / "a.json", tmp_path / "b.html"
    a.write_text("previous")
    real = os.replace

    def replace(src, dst):
        if Path(dst) == b:
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", replace)
    with pytest.raises(OSError, match="cannot be written"):
        write_together([(a, b"A"), (b, b"B")])
    assert a.read_text() == "previous" and not b.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_evaluate_disk_full_on_html_leaves_no_json(trained_model, tmp_path, monkeypatch, capsys):
    """The case of the issue: the HTML cannot be written, so the JSON does not appear either."""
    data = write(tmp_path / "data.csv", GOOD)
    real = outputs.fsync_write

    def full(path, payload):
        if payload.lstrip().startswith(b"<!"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, payload)

    monkeypatch.setattr(outputs, "fsync_write", full)
    code = main(["evaluate", str(trained_model), str(data), "--json", str(tmp_path / "r.json"),
                 "--html", str(tmp_path / "r.html")])
    assert code == 2 and "r.html: cannot be written (No space left on device)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


# --- 3. labels and divergence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "name"), [("18446744073709551615", "18446744073709551615"), ("1e20", "1e+20")])
def test_labels_beyond_int64_are_kept_exact(tmp_path, capsys, label, name):
    rows = "".join(f"{i % 5},{i % 7},{[label, 3, 5][i % 3]}\n" for i in range(30))
    data = write(tmp_path / "data.csv", "a,b,y\n" + rows)
    assert main(["train", str(data), "--target", "y", "--hidden", "none", *QUIET, "--out", str(tmp_path / "m")]) == 0
    import json

    classes = json.loads((tmp_path / "m" / "model.json").read_text())["classes"]
    assert name in classes and "-1" not in classes


def test_fit_classes_never_wraps():
    from multiclass.data.labels import fit_classes

    classes, dtype, _ = fit_classes(np.array([2**64 - 1, 3, 3], dtype=np.uint64))
    assert classes == ("18446744073709551615", "3") and dtype == "str"
    assert fit_classes([1e20, 3.0])[0] == ("1e+20", "3")
    assert fit_classes([2**70, 1])[0] == ("1", str(2**70))


@pytest.mark.parametrize(("y", "message"), [
    ([None, 1, 2, 1, 2, 1], r"^`y` row 1: the label is missing\.$"),
    ([1, 2, float("nan"), 1, 2, 1], r"^`y` row 3: the label is missing\.$"),
    ([1, "a", 1, "a", 1, "a"], r"^`y` mixes numbers and text \(row 1: 1, row 2: 'a'\); give every label the same"),
])
def test_estimator_names_missing_and_mixed_labels(y, message):
    from multiclass import SoftmaxClassifier

    with pytest.raises(DataError, match=message):
        SoftmaxClassifier(max_epochs=1).fit(np.zeros((6, 2)), y)


def test_estimator_pandas_na_label():
    pd = pytest.importorskip("pandas")
    from multiclass import SoftmaxClassifier

    with pytest.raises(DataError, match=r"^`y` row 2: the label is missing\.$"):
        SoftmaxClassifier(max_epochs=1).fit(np.zeros((4, 2)), pd.Series([1, pd.NA, 2, 1], dtype="Int64"))


@pytest.mark.parametrize(("options", "named"), [({"lr": 1e308}, r"`lr` \(1e\+308\)"), ({"l2": 1e100}, r"`l2`")])
def test_divergence_stops_at_the_epoch_with_its_cause(options, named):
    from multiclass import SoftmaxClassifier

    X = np.random.default_rng(0).normal(size=(60, 3))
    with pytest.raises(DivergedError, match=rf"^training diverged at epoch 1: the training loss is nan; .*{named}"):
        SoftmaxClassifier(max_epochs=5, random_state=0, **options).fit(X, np.arange(60) % 3)


def test_divergence_removes_the_checkpoint(tmp_path):
    from multiclass.training.divergence import check_loss

    checkpoint = write(tmp_path / "m.checkpoint.safetensors", b"x")
    check_loss(1.0, 3, lr=0.1, l2=0.0, checkpoint=checkpoint)
    assert checkpoint.exists()
    with pytest.raises(DivergedError, match=r"^training diverged at epoch 3: the training loss is inf;"):
        check_loss(float("inf"), 3, lr=0.1, l2=0.0, checkpoint=checkpoint)
    assert not checkpoint.exists()
