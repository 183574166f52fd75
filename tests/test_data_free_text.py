"""Free text in a table (`multiclass.data.free_text`): a column of sentences is read as text, not as categories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from multiclass.cli import main
from multiclass.data import load_dataset
from multiclass.data.free_text import free_text_columns
from multiclass.exceptions import DataWarning
from tests.catalogue import QUIET, write

WORDS = {"sport": "goal match team score referee league", "cooking": "oven flour butter recipe bake sauce",
         "space": "orbit rocket planet star launch moon"}


def _sentences(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    labels = [list(WORDS)[i % 3] for i in range(n)]
    texts = [" ".join(rng.choice(WORDS[label].split(), size=6)) + f" {i}" for i, label in enumerate(labels)]
    return texts, labels


def test_free_text_is_told_from_categories_numbers_and_identifiers():
    texts, _ = _sentences(40)
    frame = pd.DataFrame({"review": texts, "city": ["New York City Area"] * 20 + ["Los Angeles County Area"] * 20,
                          "code": [f"id-{i}" for i in range(40)], "size": [str(i) for i in range(40)]})
    assert free_text_columns(frame, list(frame.columns)) == ["review"]  # repeated phrases, one-word ids, numbers
    assert free_text_columns(frame.head(5), ["review"]) == []  # too few values to tell


def test_a_table_of_sentences_and_labels_is_text_without_flags(tmp_path, capsys):
    texts, labels = _sentences(90)
    data = tmp_path / "docs.csv"
    pd.DataFrame({"doc_id": [f"d{i:03d}" for i in range(90)], "body": texts, "topic": labels}).to_csv(data, index=False)
    model = tmp_path / "m"
    assert main(["train", str(data), "--target", "topic", "--hidden", "none", "--quiet", "--out", str(model)]) == 0
    err = capsys.readouterr().err
    assert "column 'body' is free text, so the table is read as text (TF-IDF), as `--text-column` 'body' asks; " \
           "name it in `--categorical` to one-hot encode it instead." in err
    document = json.loads((model / "model.json").read_text())
    assert document["preprocessor"]["kind"] == "tfidf"
    report = tmp_path / "r.json"
    assert main(["evaluate", str(model), str(data), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["summary"]["accuracy"] > 0.9
    assert main(["predict", str(model), str(data), "--out", str(tmp_path / "p.csv")]) == 0
    assert main(["train", str(data), "--target", "topic", "--categorical", "body", "--hidden", "none", *QUIET,
                 "--out", str(tmp_path / "c")]) == 0  # said outright: categories
    assert json.loads((tmp_path / "c" / "model.json").read_text())["preprocessor"]["kind"] == "table"


def test_free_text_among_other_features_stays_a_table_and_is_named(tmp_path):
    texts, labels = _sentences(60)
    data = write(tmp_path / "mixed.csv", pd.DataFrame({"note": texts, "age": np.arange(60) % 7, "y": labels})
                 .to_csv(index=False))
    with pytest.warns(DataWarning, match=r"column 'note' is left out: it looks like free text, and one-hot encoded "
                                         r"its sentences would match only those seen in training; `text_column` "):
        dataset = load_dataset(data, target="y")
    assert dataset.preprocessor.kind == "table" and tuple(dataset.preprocessor.feature_names_) == ("age",)


def test_a_headerless_file_of_labels_and_messages_is_text_with_its_names(tmp_path, capsys):
    """The SMS spam collection's layout: label TAB message, no header line; --no-header --names say it."""
    texts, labels = _sentences(90, seed=1)
    data = write(tmp_path / "SMSCollection", "".join(f"{y}\t{t}\n" for t, y in zip(texts, labels)))
    model = tmp_path / "m"
    assert main(["train", str(data), "--no-header", "--names", "topic,message", "--target", "topic",
                 "--hidden", "none", "--quiet", "--out", str(model)]) == 0
    document = json.loads((model / "model.json").read_text())
    assert document["preprocessor"]["kind"] == "tfidf"
    assert document["data"]["load_options"] == {"text_column": "message", "target": "topic", "header": False,
                                                "names": ["topic", "message"]}
    rows = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(model), str(data), "--runtime", runtime, "--out", str(out)]) == 0
        rows[runtime] = [line.split(",")[0] for line in out.read_text().splitlines()]
    assert rows["numpy"] == rows["torch"] and len(rows["numpy"]) == 91
    capsys.readouterr()


def test_the_free_text_warnings_read_in_spanish(tmp_path, capsys):
    texts, labels = _sentences(60, seed=2)
    data = tmp_path / "docs.csv"
    pd.DataFrame({"body": texts, "topic": labels}).to_csv(data, index=False)
    assert main(["train", str(data), "--target", "topic", "--lang", "es", "--hidden", "none", "--quiet", "--out",
                 str(tmp_path / "m")]) == 0
    assert (f"aviso: {data}: la columna 'body' es texto libre, así que la tabla se lee como texto (TF-IDF), como pide "
            "`--text-column` 'body'; nómbrela en `--categorical` para codificarla como categorías.") in \
        capsys.readouterr().err
    mixed = tmp_path / "mixed.csv"
    pd.DataFrame({"body": texts, "age": np.arange(60) % 7, "topic": labels}).to_csv(mixed, index=False)
    assert main(["train", str(mixed), "--target", "topic", "--lang", "es", "--hidden", "none", "--quiet", "--out",
                 str(tmp_path / "t")]) == 0
    assert (f"aviso: {mixed}: la columna 'body' se deja fuera: parece texto libre, y codificada como categorías sus "
            "frases solo coincidirían con las vistas al entrenar; `--text-column` 'body' lee la tabla como texto (y "
            "deja fuera sus demás columnas), `--categorical` la usa como categorías.") in capsys.readouterr().err
