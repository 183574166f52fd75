"""multiclass.data.summary: the training summary of issue 14, checked word for word on the friction cases."""

import warnings

import numpy as np
import pandas as pd
import pytest

from multiclass.data import load_dataset, summarize_dataset, summary_lines
from multiclass.exceptions import DataWarning


@pytest.fixture
def messy(tmp_path):
    """25 rows: a numeric column, a bool, a 3-category column with gaps, a unique code, an empty column, and a
    class of 1 row and one of 4."""
    n = 25
    frame = pd.DataFrame({
        "size": np.linspace(0.5, 3.0, n),
        "ok": [True, False] * 12 + [True],
        "color": (["red", "green", "blue", None] * 7)[:n],
        "code": [f"id-{i:03d}" for i in range(n)],
        "empty": [None] * n,
        "label": ["common"] * 20 + ["rare"] * 4 + ["one"],
    })
    path = tmp_path / "messy.csv"
    frame.to_csv(path, index=False)
    return path


def test_summary_of_a_messy_table(messy):
    with pytest.warns(DataWarning) as caught:
        ds = load_dataset(messy, target="label")
    assert [str(w.message).split(": ", 1)[1] for w in caught] == [
        "column 'code' is left out: it looks like a row identifier (25 distinct values in 25 rows); name it in "
        "`categorical` to keep it as a feature, or in `id_column` to carry it to the predictions.",
        "column 'empty' is left out: every value is missing.",
    ]
    summary = summarize_dataset(ds)
    assert summary == {
        "source": str(messy),
        "kind": "table",
        "rows": 25,
        "features": 1 + 1 + (3 + 1 + 1),  # size, ok, color's 3 categories + <missing> + <unknown>
        "sparse": False,
        "columns": {"numeric": ["size"], "bool": ["ok"], "categorical": {"color": 5}, "with_missing": ["color"],
                    "log_scale": []},
        "classes": {"count": 3, "rows": {"common": 20, "one": 1, "rare": 4}, "rare": ["one", "rare"],
                    "single": ["one"], "imbalance_ratio": 20.0},
        "left_out": {"code": "it looks like a row identifier (25 distinct values in 25 rows)",
                     "empty": "every value is missing"},
        "format": {"sep": ",", "header": True, "decimal": "."},
    }
    assert summary_lines(summary) == [
        f"{messy}: 25 rows, 7 features (table), 3 classes",
        "columns: 1 numeric, 1 bool, 1 categorical one-hot encoded (color -> 5)",
        "left out: 'code' (it looks like a row identifier (25 distinct values in 25 rows))",
        "left out: 'empty' (every value is missing)",
        "read with delimiter ',', a header line, decimal mark '.'",
        "rare classes (< 10 rows): 'one', 'rare'",
    ]
    assert summary_lines(summary, "es") == [
        f"{messy}: 25 filas, 7 variables (table), 3 clases",
        "columnas: 1 numéricas, 1 booleanas, 1 categóricas en one-hot (color -> 5)",
        "excluida: 'code' (parece un identificador de fila (25 valores distintos en 25 filas))",
        "excluida: 'empty' (todos los valores faltan)",
        "leído con separador ',', con línea de cabecera, separador decimal '.'",
        "clases raras (< 10 filas): 'one', 'rare'",
    ]


def test_summary_of_a_text_folder_and_a_pixel_table(tmp_path):
    root = tmp_path / "docs"
    for label, words in (("a", "alpha beta"), ("b", "gamma delta")):
        (root / label).mkdir(parents=True)
        for i in range(12):
            (root / label / f"{i}.txt").write_text(f"{words} {words.split()[i % 2]} word{i}", encoding="utf-8")
    summary = summarize_dataset(load_dataset(root, sparse=True))
    assert summary["sparse"] is True and summary["classes"]["rare"] == []
    assert summary["text"] == {"vocabulary": summary["features"], "ngram_range": [1, 1], "min_df": 2,
                               "sublinear_tf": True, "sparse": True}
    assert summary_lines(summary)[1] == (f"text: TF-IDF of {summary['features']} terms, n-grams (1, 1), min_df 2, "
                                         "sublinear tf")
    pixels = pd.DataFrame(np.random.default_rng(0).integers(0, 256, (30, 64)), columns=[f"p{i}" for i in range(64)])
    pixels["label"] = ["x", "y", "z"] * 10
    pixels.to_csv(tmp_path / "pixels.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # nothing is left out of a pixel table
        summary = summarize_dataset(load_dataset(tmp_path / "pixels.csv", target="label"))
    assert summary["pixels"] == {"columns": 64, "divisor": 255.0, "image_shape": [8, 8, 1]}
    assert summary["image_shape"] == [8, 8, 1]
    assert "pixels: 64 columns scaled /255 as images (8x8), not standardised" in summary_lines(summary)


def test_a_streamed_scan_summarizes_as_the_loaded_table(messy):
    """`--stream` prints the same summary before training: counted in its one pass, equal to the in-memory one."""
    from multiclass.data.stream import TableSource, scan_table
    from multiclass.data.summary import summarize_scan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        loaded = summarize_dataset(load_dataset(messy, target="label"))
        scan = scan_table(TableSource(messy, batch_rows=7, label_column="label"), target="label", val_fraction=0.0)
    assert summarize_scan(messy, scan) == loaded
