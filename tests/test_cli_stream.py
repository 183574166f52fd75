"""`multiclass train` streaming: --stream, a folder of shards found on its own, and the flags that do not apply."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.cli import main
from multiclass.data import load_table
from multiclass.persistence import load_model

torch.set_num_threads(1)
QUICK = ["--hidden", "8", "--epochs", "2", "--quiet"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Three Parquet shards of one 3-class table, plus the whole table as one CSV."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    frame = pd.DataFrame({"id": np.arange(300), "a": rng.standard_normal(300) + y,
                          "c": rng.choice(["u", "v"], 300), "label": np.array(["x", "y", "z"])[y]})
    folder = tmp_path_factory.mktemp("shards")
    for i in range(3):
        frame.iloc[100 * i:100 * (i + 1)].to_parquet(folder / f"part-{i}.parquet")
    whole = folder.parent / "whole.csv"
    frame.to_csv(whole, index=False)
    return folder, whole


def test_a_folder_of_shards_is_streamed_without_asking(tmp_path, shards, capsys):
    folder, whole = shards
    assert main(["train", str(folder), "--target", "label", "--id-column", "id", "--out", str(tmp_path / "m"),
                 *QUICK]) == 0
    out = capsys.readouterr().out
    assert "300 rows streamed: " in out and "validation (" in out
    model = load_model(tmp_path / "m")
    assert model.data_info["stream"]["world_size"] == 1
    assert model.preprocessor.state()[0] == load_table(whole, target="label", id_column="id").preprocessor.state()[0]
    assert main(["predict", str(tmp_path / "m"), str(whole), "--out", str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == 300


def test_stream_flag_with_validation_data_and_json_report(tmp_path, shards, capsys):
    folder, whole = shards
    out = tmp_path / "m"
    assert main(["train", str(whole), "--stream", "--target", "label", "--val-data", str(folder / "part-0.parquet"),
                 "--shuffle-buffer", "64", "--out", str(out), *QUICK]) == 0
    assert "validation (100 rows)" in capsys.readouterr().out
    assert json.loads((out / "model.json").read_text())["data"]["stream"]["shuffle_buffer"] == 64
    assert main(["evaluate", str(out), str(whole), "--bootstrap", "0", "--json", str(tmp_path / "r.json")]) == 0


@pytest.mark.parametrize("extra, hidden", [([], [25, 15]), (["--hidden", "8"], [8])])
def test_the_seed_recipe_is_the_seed_recipe_when_streamed_too(tmp_path, shards, capsys, extra, hidden):
    """`--recipe seed` is the course's network and training on a streamed table as on one read whole; what the
    user gives (`--hidden 8`, `--epochs 2`) stays fixed."""
    folder, _ = shards
    out = tmp_path / "m"
    assert main(["train", str(folder), "--target", "label", "--recipe", "seed", "--epochs", "2", "--quiet",
                 "--out", str(out), *extra]) == 0
    assert "(recipe seed)" in capsys.readouterr().out
    document = json.loads((out / "model.json").read_text())
    assert document["model_config"]["hidden"] == hidden
    assert {k: document["train_config"][k] for k in ("epochs", "l2", "lr", "batch_size", "monitor", "patience",
                                                     "lr_patience")} == {
        "epochs": 2, "l2": 3e-4, "lr": 1e-3, "batch_size": 32, "monitor": "val_accuracy", "patience": 20,
        "lr_patience": 5}
    assert document["training"]["recipe"]["name"] == "seed"


@pytest.mark.parametrize("flag, value, message", [
    ("--text-column", "c", r"`--text-column` does not apply to a streamed table"),
    ("--kind", "npz", r"`--kind` must be 'table' when streaming; got 'npz'"),
    ("--shuffle-buffer", "0", r"`--shuffle-buffer` must be an integer in \[1, 2,147,483,648\]; got '0'"),
])
def test_options_that_do_not_apply_are_refused_with_exit_2(tmp_path, shards, capsys, flag, value, message):
    folder, _ = shards
    code = main(["train", str(folder), "--target", "label", "--out", str(tmp_path / "m"), flag, value, *QUICK])
    assert code == 2
    assert re.search(message, capsys.readouterr().err)
