"""CLI exit codes and messages: 0 ok, 2 bad usage or bad input (one `error:` line), 1 a bug (one line).

Also what `predict` tolerates (columns reordered, extra columns, unseen categories, unlabelled or never-seen
labels in the target column) and what it refuses (a missing feature column) without writing anything.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import multiclass.cli.commands
from multiclass.cli import main

CLASSES = ("bird", "cat", "dog")


def _table(n_per_class: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    animal = rng.permutation(np.repeat(CLASSES, n_per_class))
    code = np.searchsorted(CLASSES, animal)
    colour = np.array(["blue", "grey", "brown"], dtype=object)[code]
    size = code * 4.0 + rng.normal(0, 0.3, len(animal))
    return pd.DataFrame({"row_id": [f"r{i}" for i in range(len(animal))], "size": size, "colour": colour,
                         "animal": animal})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(folder, training CSV, model directory): one quick model shared by the tests of this file."""
    root = tmp_path_factory.mktemp("cli_errors")
    csv = root / "train.csv"
    _table().to_csv(csv, index=False)
    model = root / "model"
    argv = ["train", str(csv), "--target", "animal", "--id-column", "row_id", "--hidden", "none", "--lr", "0.1",
            "--epochs", "3", "--quiet", "--out", str(model)]
    assert main(argv) == 0
    return root, csv, model


def _one_error_line(err: str) -> str:
    """The whole stderr is one `error: ...` line and no traceback (a usage error adds its hint line)."""
    lines = [line for line in err.strip().splitlines() if not line.startswith("(run 'multiclass")]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def _probabilities(path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    return frame[[f"p_{c}" for c in CLASSES]]


def test_predict_tolerates_reordered_and_extra_columns_and_unseen_category(trained, tmp_path, capsys):
    _, csv, model = trained
    table = _table()
    shuffled = table[["colour", "animal", "size", "row_id"]].assign(extra=1.5)  # new order + a column never seen
    shuffled.loc[0, "colour"] = "purple"  # a category never seen in training
    new = tmp_path / "new.csv"
    shuffled.to_csv(new, index=False)
    assert main(["predict", str(model), str(csv), "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["predict", str(model), str(new), "--out", str(tmp_path / "b.csv")]) == 0
    capsys.readouterr()
    a, b = _probabilities(tmp_path / "a.csv"), _probabilities(tmp_path / "b.csv")
    assert len(b) == len(table)
    # Same rows, same numbers whatever the column order; only the row with the unseen category differs.
    pd.testing.assert_frame_equal(a.iloc[1:], b.iloc[1:])
    assert not np.allclose(a.iloc[0], b.iloc[0])
    assert pd.read_csv(tmp_path / "b.csv")["row_id"].tolist() == table["row_id"].tolist()


def test_predict_ignores_missing_or_unseen_labels(trained, tmp_path, capsys):
    """Prediction needs features only: an unlabelled row or a label never seen in training is no error."""
    _, _, model = trained
    table = _table().astype({"animal": object})
    table.loc[0, "animal"] = "unicorn"
    table.loc[1, "animal"] = None
    path = tmp_path / "partly_labelled.csv"
    table.to_csv(path, index=False)
    assert main(["predict", str(model), str(path), "--out", str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(table)
    # evaluate leaves the unlabelled row out, saying so, and stops at the label it cannot score
    assert main(["evaluate", str(model), str(path)]) == 2
    err = capsys.readouterr().err
    assert f"warning: {path}: 1 of 30 rows have no label in column 'animal' (the first: row 2); they are left out " \
           "of the evaluation." in err
    assert err.strip().splitlines()[-1].endswith("labels never seen in training: 'unicorn'; the model knows 'bird', "
                                                 "'cat', 'dog'.")
    table.loc[0, "animal"] = "cat"
    table.to_csv(path, index=False)
    report = tmp_path / "r.json"
    assert main(["evaluate", str(model), str(path), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["summary"]["n_samples"] == len(table) - 1


def test_predict_missing_column_is_exit_2_and_writes_nothing(trained, tmp_path, capsys):
    _, _, model = trained
    path = tmp_path / "no_size.csv"
    _table().drop(columns=["size"]).to_csv(path, index=False)
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model), str(path), "--out", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "missing column 'size'" in line and str(path) in line
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind either


def test_evaluate_without_target_column(trained, tmp_path, capsys):
    _, _, model = trained
    path = tmp_path / "unlabelled.csv"
    _table().drop(columns=["animal"]).to_csv(path, index=False)
    assert main(["evaluate", str(model), str(path)]) == 2
    assert "evaluation needs labels (column 'animal')" in _one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "x.csv", "--out", "m", "--no-such-flag"],
        ["train", "x.csv"],  # --out is required
        ["predict", "m", "x.csv", "--out", "p.csv", "--top-k", "two"],
        ["train", "x.csv", "--out", "m", "--hidden", "25,a"],
        ["train", "x.csv", "--out", "m", "--class-weight", "cat"],
        ["train", "x.csv", "--out", "m", "--patience", "soon"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_usage_is_exit_2_with_one_line_and_a_hint(argv, capsys):
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and "usage:" not in lines[0], lines
    assert lines[1].startswith("(run 'multiclass") and lines[1].endswith("--help' for the options and examples)")


def test_class_weight_usage_message(capsys):
    assert main(["train", "x.csv", "--out", "m", "--class-weight", "cat=heavy"]) == 2
    assert "error: `--class-weight` must be 'balanced', 'sqrt_balanced', 'none' or name=weight" in capsys.readouterr().err


def test_a_mistyped_command_or_choice_is_named_with_the_closest_one(capsys):
    assert main(["trian", "x.csv"]) == 2
    assert "did you mean 'train'?" in capsys.readouterr().err
    assert main(["train", "x.csv", "--out", "m", "--engine", "fuzed"]) == 2
    assert "`--engine`: invalid choice: 'fuzed'" in capsys.readouterr().err


def test_version_and_help_are_exit_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("multiclass ")
    assert main(["train", "--help"]) == 0
    assert "--class-weight" in capsys.readouterr().out


def test_missing_data_file_is_exit_2(tmp_path, capsys):
    missing = tmp_path / "nope.csv"
    assert main(["train", str(missing), "--target", "y", "--out", str(tmp_path / "m")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(missing) in line and "no such file" in line
    assert not (tmp_path / "m").exists()


def test_missing_model_dir_is_exit_2(trained, tmp_path, capsys):
    _, csv, _ = trained
    assert main(["predict", str(tmp_path / "nomodel"), str(csv), "--out", str(tmp_path / "p.csv")]) == 2
    assert "not a model directory" in _one_error_line(capsys.readouterr().err)


def test_edited_model_file_is_exit_2(trained, tmp_path, capsys):
    _, csv, model = trained
    edited = tmp_path / "edited"
    edited.mkdir()
    for name in ("model.json", "weights.safetensors"):
        (edited / name).write_bytes((model / name).read_bytes())
    document = json.loads((edited / "model.json").read_text())
    document["classes"][0] = "eagle"
    (edited / "model.json").write_text(json.dumps(document))
    assert main(["evaluate", str(edited), str(csv)]) == 2
    assert "checksum mismatch" in _one_error_line(capsys.readouterr().err)


def test_unexpected_exception_is_exit_1_one_line(trained, tmp_path, monkeypatch, capsys):
    _, csv, _ = trained

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.delenv("MULTICLASS_DEBUG", raising=False)
    monkeypatch.setattr(multiclass.cli.commands, "fit", broken)
    assert main(["train", str(csv), "--target", "animal", "--quiet", "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["internal error: RuntimeError: boom (set MULTICLASS_DEBUG=1 for the traceback)"]
    monkeypatch.setenv("MULTICLASS_DEBUG", "1")  # and the traceback is there for whoever asks
    with pytest.raises(RuntimeError, match="boom"):
        main(["train", str(csv), "--target", "animal", "--quiet", "--out", str(tmp_path / "m")])


def test_cuda_without_gpu_is_exit_2_before_reading_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    # The data file is not readable data: the device is refused first, so the message is about the device. (A file
    # that does not exist is said before either: `multiclass.cli.plan.check_command_inputs`.)
    (tmp_path / "later.csv").write_bytes(b"\x00\x01\x02 not a table")
    argv = ["train", str(tmp_path / "later.csv"), "--target", "y", "--device", "cuda", "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "`--device` is 'cuda' but no CUDA GPU is available" in line
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("top_k, message", [
    ("0", "`--top-k` must be an integer in [1, 1,000,000]; got '0'"),  # refused while parsing
    ("4", "`--top-k` must be an integer in [1, 3]; got 4."),  # K = 3: refused by the model before reading data
])
def test_top_k_out_of_range_is_exit_2(trained, tmp_path, capsys, top_k, message):
    _, csv, model = trained
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(csv), "--top-k", top_k, "--out", str(out)]) == 2
    assert message in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_outputs_that_cannot_be_written_fail_before_the_work(trained, tmp_path, capsys):
    _, csv, model = trained
    cases = [
        (["train", str(csv), "--target", "animal", "--out", str(csv)], "is also the input data"),
        (["train", str(csv), "--target", "animal", "--out", str(tmp_path / "no" / "m")], "does not exist"),
        (["predict", str(model), str(csv), "--out", str(tmp_path)], "is a folder"),
        (["evaluate", str(model), str(csv), "--json", str(tmp_path / "no" / "e.json")], "does not exist"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        assert message in _one_error_line(capsys.readouterr().err)
    assert csv.read_text().startswith("row_id,")  # the training file was not replaced


def test_option_that_does_not_apply_is_exit_2(tmp_path, capsys):
    path = tmp_path / "x.npz"
    np.savez(path, X=np.eye(4), y=np.array([0, 1, 0, 1]))
    assert main(["train", str(path), "--target", "y", "--out", str(tmp_path / "m")]) == 2
    assert "`--target` does not apply to npz data" in _one_error_line(capsys.readouterr().err)


def test_brackets_in_paths_and_class_names_are_printed_as_they_are(tmp_path, capsys):
    """Nothing the user names goes through rich markup: '[/x]' would otherwise crash it, '[final]' vanish."""
    folder = tmp_path / "runs[final]"
    folder.mkdir()
    table = _table().replace({"animal": {"bird": "[/bird]", "cat": "[cat]"}})
    path, model = folder / "[b]data.csv", folder / "model[1]"
    table.to_csv(path, index=False)
    assert main(["train", str(path), "--target", "animal", "--hidden", "none", "--epochs", "2", "--quiet",
                 "--out", str(model)]) == 0
    assert main(["evaluate", str(model), str(path)]) == 0
    out = capsys.readouterr().out
    assert f"model written to {model}" in out and f"evaluation on {path}" in out
    assert "│ [/bird] " in out and "│ [cat] " in out


@pytest.mark.parametrize("source", ["images", "npz"])
def test_predict_ignores_labels_never_seen_in_training(tmp_path, capsys, source):
    """Prediction reads features only: a class folder or y value unknown to the model is no error there."""
    from tests.data_helpers import make_image

    if source == "images":
        for i, (name, color) in enumerate([("red", (220, 20, 20)), ("blue", (20, 20, 220))] * 4):
            make_image(tmp_path / "train" / name / f"{i}.png", color=color)
        make_image(tmp_path / "new" / "fox" / "a.png", color=(220, 20, 20))
        train_data, new_data = tmp_path / "train", tmp_path / "new"
    else:
        rng = np.random.default_rng(0)
        np.savez(tmp_path / "train.npz", X=rng.normal(size=(20, 3)), y=np.array(["a", "b"] * 10))
        np.savez(tmp_path / "new.npz", X=rng.normal(size=(4, 3)), y=np.array(["zebra"] * 4))
        train_data, new_data = tmp_path / "train.npz", tmp_path / "new.npz"
    model = tmp_path / "model"
    assert main(["train", str(train_data), "--out", str(model), "--epochs", "2", "--quiet", "--val-split", "0"]) == 0
    assert main(["predict", str(model), str(new_data), "--out", str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == (1 if source == "images" else 4)
    capsys.readouterr()
    assert main(["evaluate", str(model), str(new_data)]) == 2  # evaluation does need known labels
    assert "never seen in training" in capsys.readouterr().err


def test_predict_refuses_to_overwrite_its_input(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "train.npz", X=rng.normal(size=(20, 3)), y=np.array(["a", "b"] * 10))
    pd.DataFrame(rng.normal(size=(4, 3))).to_csv(tmp_path / "new.csv", index=False)
    model = tmp_path / "model"
    assert main(["train", str(tmp_path / "train.npz"), "--out", str(model), "--epochs", "1", "--quiet"]) == 0
    before = (tmp_path / "train.npz").read_bytes()
    capsys.readouterr()
    assert main(["predict", str(model), str(tmp_path / "train.npz"), "--out", str(tmp_path / "train.npz")]) == 2
    assert "is also the input data" in capsys.readouterr().err
    assert (tmp_path / "train.npz").read_bytes() == before
