"""CLI end to end on every data source: train -> model directory -> evaluate -> predict, in-process via `main`.

Each source is built here in tmp_path, small and easy to separate, so a few epochs of softmax regression learn
it: the predictions then follow the true labels row by row, which is what proves the CSV keeps input order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from multiclass.cli import main
from multiclass.data import write_idx

CLASSES = ("bird", "cat", "dog")
# Softmax regression with a large step: a handful of epochs separates the toy data below (seconds in all).
QUICK = ["--hidden", "none", "--lr", "0.1", "--batch-size", "8", "--epochs", "4", "--quiet"]
N_PER_CLASS = 12


def _labels(seed: int = 0) -> np.ndarray:
    """Class names, N_PER_CLASS of each, shuffled so input order is not class order."""
    return np.random.default_rng(seed).permutation(np.repeat(CLASSES, N_PER_CLASS))


def _table(seed: int = 0) -> pd.DataFrame:
    """Numeric, string and missing values; the string target `animal` follows `size` and `colour`."""
    rng = np.random.default_rng(seed)
    animal = _labels(seed)
    code = np.searchsorted(CLASSES, animal)
    size = (code * 4.0 + rng.normal(0, 0.3, len(animal))).round(3)
    size[::9] = np.nan
    colour = np.array(["blue", "grey", "brown"], dtype=object)[code]
    colour[::7] = None
    noise = rng.normal(size=len(animal)).round(3)
    noise[::5] = np.nan
    return pd.DataFrame({"row_id": [f"r{i:03d}" for i in range(len(animal))], "size": size, "colour": colour,
                         "noise": noise, "animal": animal})


def _run_source(tmp_path: Path, capsys, train_args: list[str], data: str, y_true, *, ids=None, id_name=None,
                extra_predict=()) -> pd.DataFrame:
    """train -> evaluate (+ --json) -> predict; check files, output and the predictions; return them."""
    model = tmp_path / "model"
    assert main(["train", *train_args, *QUICK, "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert "the weights of epoch" in out and f"model written to {model}" in out
    assert sorted(p.name for p in model.iterdir()) == ["model.json", "weights.safetensors"]

    report = tmp_path / "evaluation.json"
    assert main(["evaluate", str(model), data, "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert f"evaluation on {data}" in out and "accuracy" in out and "confusion matrix" in out
    evaluation = json.loads(report.read_text())
    assert evaluation["summary"]["n_samples"] == len(y_true)
    assert evaluation["summary"]["accuracy"] >= 0.9

    predictions = tmp_path / "predictions.csv"
    assert main(["predict", str(model), data, *extra_predict, "--out", str(predictions)]) == 0
    assert f"{len(y_true)} predictions written to {predictions}" in capsys.readouterr().out
    frame = pd.read_csv(predictions, keep_default_na=False)
    classes = json.loads((model / "model.json").read_text())["classes"]
    expected = ([id_name] if ids is not None else []) + ["predicted", "probability"] + [f"p_{c}" for c in classes]
    assert list(frame.columns) == expected
    assert len(frame) == len(y_true)
    if ids is not None:
        assert frame[id_name].astype(str).tolist() == [str(i) for i in ids]
    probs = frame[[f"p_{c}" for c in classes]].to_numpy()  # (N, K)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert (frame["probability"].to_numpy() == probs.max(axis=1)).all()
    assert (np.asarray(classes)[probs.argmax(axis=1)] == frame["predicted"].astype(str)).all()
    # Input order: the predictions follow the (shuffled) true labels row by row.
    assert (frame["predicted"].astype(str).to_numpy() == np.asarray(y_true).astype(str)).mean() >= 0.9
    return frame


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_table_sources(tmp_path, capsys, suffix):
    table = _table()
    path = tmp_path / f"animals{suffix}"
    if suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    args = [str(path), "--target", "animal", "--id-column", "row_id"]
    frame = _run_source(tmp_path, capsys, args, str(path), table["animal"], ids=table["row_id"], id_name="row_id")
    assert set(frame["predicted"]) <= set(CLASSES)


_TOPICS = {  # class -> (English words, Spanish words with accents)
    "food": ("bread cheese dinner tasty soup", "pan queso cena sabrosa sopa jamón"),
    "sport": ("football match goal team player", "fútbol partido gol equipo jugador campeón"),
    "weather": ("rain sunny cloud storm wind", "lluvia soleado nube tormenta viento huracán"),
}


def test_text_source_english_and_spanish(tmp_path, capsys):
    rng = np.random.default_rng(1)
    topics = rng.permutation(np.repeat(sorted(_TOPICS), N_PER_CLASS))
    texts = []
    for i, topic in enumerate(topics):
        words = _TOPICS[topic][i % 2].split()  # alternate English and Spanish rows
        texts.append(" ".join(rng.choice(words, size=4)) + ("." if i % 2 else "!"))
    frame = pd.DataFrame({"doc": [f"d{i}" for i in range(len(texts))], "texto": texts, "tema": topics})
    path = tmp_path / "reviews.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    assert any("ú" in t or "ó" in t or "á" in t for t in texts)
    args = [str(path), "--text-column", "texto", "--target", "tema", "--id-column", "doc"]
    _run_source(tmp_path, capsys, args, str(path), topics, ids=frame["doc"], id_name="doc")


def _images(labels: np.ndarray) -> np.ndarray:
    """(N, 8, 8) uint8: class c lights rows 2c..2c+1; a little noise elsewhere."""
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 40, size=(len(labels), 8, 8)).astype(np.uint8)
    for i, code in enumerate(labels):
        pixels[i, 2 * code : 2 * code + 2, :] = 250
    return pixels


def test_idx_pair_source(tmp_path, capsys):
    codes = np.searchsorted(CLASSES, _labels(3)).astype(np.uint8)  # integer labels 0, 1, 2
    images = write_idx(tmp_path / "train-images-idx3-ubyte.gz", _images(codes))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", codes)
    frame = _run_source(tmp_path, capsys, [str(images)], str(images), codes)
    assert frame["predicted"].dtype.kind == "i"  # integer labels come back as integers


def test_npz_source(tmp_path, capsys):
    labels = _labels(4)
    X = np.random.default_rng(4).normal(size=(len(labels), 5))
    X[np.arange(len(labels)), np.searchsorted(CLASSES, labels)] += 4.0  # class c shifts feature c
    ids = np.arange(1000, 1000 + len(labels))
    path = tmp_path / "features.npz"
    np.savez(path, X=X, y=labels.astype("U4"), ids=ids)
    _run_source(tmp_path, capsys, [str(path)], str(path), labels, ids=ids, id_name="id")


def test_image_folder_source_png_and_jpeg(tmp_path, capsys):
    colours = {"bird": (220, 30, 30), "cat": (30, 200, 30), "dog": (30, 30, 220)}
    root = tmp_path / "photos"
    rng = np.random.default_rng(5)
    for name, colour in colours.items():
        (root / name).mkdir(parents=True)
        for i in range(6):
            pixels = np.clip(np.array(colour) + rng.integers(-20, 20, size=(6, 6, 3)), 0, 255).astype(np.uint8)
            fmt = ("png", "PNG") if i % 2 else ("jpg", "JPEG")  # both formats in every class
            Image.fromarray(pixels, "RGB").save(root / name / f"{i}.{fmt[0]}", format=fmt[1])
    paths = sorted(f"{c}/{p.name}" for c in colours for p in (root / c).iterdir())
    y_true = [p.split("/")[0] for p in paths]
    _run_source(tmp_path, capsys, [str(root), "--val-split", "0.34"], str(root), y_true, ids=paths, id_name="path")
