"""The friction a new user met with default settings (issue 14), each as the command line now meets it: the data is
used, what was done is said in one ``warning:`` line naming the flag to change it, and nothing stops training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from multiclass.cli import main

QUICK = ["--recipe", "seed", "--epochs", "3"]


def _frame(n=240, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    label = np.where(X[:, 0] > 0.4, "a", np.where(X[:, 1] > 0, "b", "c")).astype(object)
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2], "label": label})


def _train(argv, capsys) -> tuple[int, str, str]:
    code = main(["train", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _model_json(path: Path) -> dict:
    return json.loads((path / "model.json").read_text())


def test_a_class_of_one_row_stays_in_training_and_is_named(tmp_path, capsys):
    frame = _frame()
    frame.loc[0, "label"] = "solo"
    frame.to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), *QUICK],
                            capsys)
    assert code == 0, err
    assert "warning: class 'solo' has 1 example: kept in training, not in the validation split" in err
    assert "rare classes (< 10 rows): 'solo'" in out  # the summary printed before training names it too
    assert "solo" in _model_json(tmp_path / "m")["classes"]


def test_streamed_training_prints_the_summary_before_training(tmp_path, capsys):
    frame = _frame()
    frame.insert(1, "kind", (["p", "q", "r"] * 80)[:len(frame)])
    frame.loc[:4, "label"] = "rare"
    frame.to_csv(tmp_path / "d.csv", sep=";", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--stream", "--out",
                             str(tmp_path / "m"), "--epochs", "2"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    first = lines.index("240 rows streamed: 7 features, 4 classes")  # before the first epoch's line
    assert lines[first + 1:first + 4] == [
        "  columns: 3 numeric, 0 bool, 1 categorical one-hot encoded (kind -> 4)",
        "  read with delimiter ';', a header line, decimal mark '.'",
        "  rare classes (< 10 rows): 'rare'",
    ]
    assert not any("epoch" in line for line in lines[:first])


def test_an_all_missing_column_is_dropped_with_a_warning(tmp_path, capsys):
    frame = _frame()
    frame.insert(1, "empty", np.nan)
    frame.to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), *QUICK],
                            capsys)
    assert code == 0, err
    assert f"warning: {tmp_path / 'd.csv'}: column 'empty' is left out: every value is missing." in err
    assert "empty" not in _model_json(tmp_path / "m")["data"]["feature_names"]


def test_an_id_column_is_left_out_naming_the_flags_that_keep_it(tmp_path, capsys):
    frame = _frame()
    frame.insert(0, "customer", [f"C{i:06d}" for i in range(len(frame))])
    frame.to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), *QUICK],
                            capsys)
    assert code == 0, err
    assert ("column 'customer' is left out: it looks like a row identifier (240 distinct values in 240 rows); "
            "name it in `--categorical` to keep it as a feature, or in `--id-column`") in err
    assert "left out: 'customer'" in out
    assert not any(name.startswith("customer") for name in _model_json(tmp_path / "m")["data"]["feature_names"])


def test_a_file_written_with_a_blank_after_each_comma_reads_its_names_and_values(tmp_path, capsys):
    """'a, b, Species': the target is 'Species', not ' Species', in training and in both predict readers."""
    frame = _frame()
    text = frame.to_csv(index=False).replace(",", ", ")
    (tmp_path / "d.csv").write_text(text)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), *QUICK],
                            capsys)
    assert code == 0, err
    assert "read with delimiter ', ', a header line" in out
    assert _model_json(tmp_path / "m")["data"]["feature_names"] == ["x1", "x2", "x3"]
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--out", str(tmp_path / "p.csv"),
                 "--keep-columns", "label"]) == 0
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert set(predictions["y_true"]) == {"a", "b", "c"} and set(predictions["predicted"]) <= {"a", "b", "c"}


@pytest.mark.parametrize("lang, expected", [
    ("en", "warning: {path}: column 'Unnamed: 0' is left out: it has no name in the header and a different value on "
           "every row: a row index written with the data; name it in `--categorical` to keep it as a feature, or in "
           "`--id-column` to carry it to the predictions."),
    ("es", "aviso: {path}: la columna 'Unnamed: 0' se deja fuera: no tiene nombre en la cabecera y un valor distinto "
           "en cada fila: un índice de filas escrito con los datos; nómbrela en `--categorical` para usarla como "
           "variable, o en `--id-column` para llevarla a las predicciones."),
])
def test_a_row_index_written_before_the_columns_is_left_out(tmp_path, capsys, lang, expected):
    """An Rdatasets CSV, or a frame saved by pandas' to_csv: the first column is the row index under an empty
    header. Sorted by class, kept as a number it would be a perfect and worthless feature."""
    frame = _frame().sort_values("label")
    frame.index = np.random.default_rng(1).permutation(5000)[: len(frame)]
    frame.insert(0, "", np.arange(len(frame)) % 4)  # a second unnamed column, of repeated codes: a feature
    frame.to_csv(tmp_path / "d.csv")
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), "--lang",
                             lang, *QUICK], capsys)
    assert code == 0, err
    assert expected.format(path=tmp_path / "d.csv") in err.splitlines()
    assert _model_json(tmp_path / "m")["data"]["feature_names"] == ["Unnamed: 1", "x1", "x2", "x3"]
    # predict reads the file with the csv module, not pandas: it names the unnamed column alike
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(frame)


@pytest.mark.parametrize("lang, expected", [
    ("en", "warning: {path}: column 'cylinders' holds numbers and text (row 8: 'rotary'): read as 6 categories; "
           "name it in `--categorical` to say so, or fix the value."),
    ("es", "aviso: {path}: la columna 'cylinders' mezcla números y texto (fila 8: 'rotary'): se lee como 6 "
           "categorías; nómbrela en `--categorical` para indicarlo, o corrija el valor."),
])
def test_a_code_of_numbers_and_text_trains_as_categories_naming_the_flag(tmp_path, capsys, lang, expected):
    frame = _frame()  # cars93: cylinders 3, 4, 5, 6, 8 and one 'rotary' stopped training with a typo's error
    cylinders = np.random.default_rng(1).choice(["3", "4", "5", "6", "8"], len(frame)).astype(object)
    cylinders[7] = "rotary"
    frame.insert(0, "cylinders", cylinders)
    frame.to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), "--lang",
                             lang, *QUICK], capsys)
    assert code == 0, err
    assert expected.format(path=tmp_path / "d.csv") in err.splitlines()
    assert "cylinders=rotary" in _model_json(tmp_path / "m")["data"]["feature_names"]


def test_a_folder_of_class_folders_of_text_files_is_text(tmp_path, capsys):
    rng = np.random.default_rng(0)
    words = {"sport": "goal match team ball", "food": "bread soup salt cook"}
    for name, vocabulary in words.items():
        (tmp_path / "docs" / name).mkdir(parents=True)
        for i in range(20):
            (tmp_path / "docs" / name / f"{i}.txt").write_text(" ".join(rng.choice(vocabulary.split(), 6)))
    code, out, err = _train([str(tmp_path / "docs"), "--out", str(tmp_path / "m"), *QUICK], capsys)
    assert code == 0, err
    assert _model_json(tmp_path / "m")["data"]["kind"] == "text"
    assert "text: TF-IDF of" in out


def test_headerless_and_whitespace_separated_files(tmp_path, capsys):
    frame = _frame()
    lines = [" ".join(f"{v:.4f}" if isinstance(v, float) else v for v in row) for row in frame.itertuples(index=False)]
    (tmp_path / "d.data").write_text("\n".join(lines) + "\n")
    code, out, err = _train([str(tmp_path / "d.data"), "--target", "column_4", "--out", str(tmp_path / "m1"),
                             *QUICK], capsys)
    assert code == 0, err
    assert "read with delimiter 'whitespace', no header line" in out
    code, out, err = _train([str(tmp_path / "d.data"), "--no-header", "--names", "a,b,c,kind", "--target", "kind",
                             "--sep", " ", "--out", str(tmp_path / "m2"), *QUICK], capsys)
    assert code == 0, err
    assert _model_json(tmp_path / "m2")["data"]["feature_names"] == ["a", "b", "c"]
    assert main(["predict", str(tmp_path / "m2"), str(tmp_path / "d.data"), "--out", str(tmp_path / "p.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(frame)  # the model reads the file as it was trained on


def test_semicolon_files_and_a_wrong_target_lists_the_columns(tmp_path, capsys):
    _frame().to_csv(tmp_path / "d.csv", sep=";", index=False)
    code, _, err = _train([str(tmp_path / "d.csv"), "--out", str(tmp_path / "m"), *QUICK], capsys)
    assert code == 2
    assert err.strip() == (f"error: `--target` must name the label column of {tmp_path / 'd.csv'}; got None. "
                           "Available columns: 'x1', 'x2', 'x3', 'label'.")


def test_val_data_works_without_stream(tmp_path, capsys):
    _frame(seed=0).to_csv(tmp_path / "train.csv", index=False)
    _frame(n=90, seed=1).to_csv(tmp_path / "val.csv", index=False)
    code, out, err = _train([str(tmp_path / "train.csv"), "--target", "label", "--val-data",
                             str(tmp_path / "val.csv"), "--out", str(tmp_path / "m"), *QUICK], capsys)
    assert code == 0, err
    assert "validation (90 rows)" in out
    assert _model_json(tmp_path / "m")["data"]["n_samples"] == 240  # every training row trained


def test_messages_name_the_flags_not_the_parameters(tmp_path, capsys):
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "c"]}).to_csv(tmp_path / "d.csv", index=False)
    code, _, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), *QUICK],
                          capsys)
    assert code == 2
    assert "`--val-data`" in err and "`--val-split`" in err and "`val_split`" not in err


def test_a_run_cut_short_by_its_epoch_limit_says_what_to_do(tmp_path, capsys):
    _frame().to_csv(tmp_path / "d.csv", index=False)
    code, _, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), "--recipe",
                           "seed", "--epochs", "10", "--lr", "0.0001", "--monitor", "val_loss"], capsys)
    assert code == 0
    assert "the model was still improving; train again with more `--epochs` (or a larger `--lr`)." in err


@pytest.mark.parametrize("lang, word", [("en", "warning:"), ("es", "aviso:")])
def test_warnings_are_one_line_each_in_the_language_of_the_run(tmp_path, capsys, lang, word):
    frame = _frame()
    frame.insert(1, "empty", np.nan)
    frame.to_csv(tmp_path / "d.csv", index=False)
    code, _, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), "--lang",
                           lang, *QUICK], capsys)
    assert code == 0
    lines = [line for line in err.splitlines() if "empty" in line]
    assert len(lines) == 1 and lines[0].startswith(word) and "Warning" not in err and ".py:" not in err


@pytest.mark.parametrize("given, weight", [([], "balanced"), (["--class-weight", "none"], "none")])
def test_sparse_text_aims_at_macro_f1_with_balanced_weights_unless_told(tmp_path, capsys, given, weight):
    rng = np.random.default_rng(0)  # 2,500 distinct words: TF-IDF read as sparse rows (docs/recipes.md)
    words = np.array([f"w{i}" for i in range(2500)])
    labels = np.where(rng.random(1000) < 0.8, "common", "rare")
    texts = [" ".join(rng.choice(words[:2000] if label == "common" else words[2000:], 16)) for label in labels]
    pd.DataFrame({"text": texts, "label": labels}).to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--text-column", "text",
                             "--out", str(tmp_path / "m"), "--epochs", "2", *given], capsys)
    assert code == 0, err
    document = _model_json(tmp_path / "m")
    assert document["data"]["kind"] == "text" and document["model_config"]["n_features"] >= 2000
    assert (document["train_config"]["monitor"], document["train_config"]["class_weight"]) == ("val_macro_f1", weight)
    assert (", classes weighted balanced (recipe auto" in out) == (weight == "balanced")


def test_the_report_says_which_recipe_chose_the_network(tmp_path, capsys):
    _frame().to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"),
                             "--hidden", "8", "--epochs", "20"], capsys)  # auto, searching L2 for a fixed shape
    assert code == 0, err
    recipe = _model_json(tmp_path / "m")["training"]["recipe"]
    assert recipe["name"] == "auto" and recipe["fixed"]["hidden"] == [8] and len(recipe["candidates"]) == 4
    assert main(["evaluate", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--json", str(tmp_path / "e.json"),
                 "--html", str(tmp_path / "e.html")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["training"]["recipe"]["chosen"] == recipe["chosen"]
    html = (tmp_path / "e.html").read_text()
    assert "auto: hidden 8, dropout 0" in html and "(the best of 4 candidates on the validation rows)" in html
    assert main(["evaluate", str(tmp_path / "m"), str(tmp_path / "d.csv"), "--html", str(tmp_path / "es.html"),
                 "--lang", "es"]) == 0
    assert "la mejor de 4 candidatas" in (tmp_path / "es.html").read_text()


def test_the_training_summary_is_printed_in_the_language_of_the_run(tmp_path, capsys):
    frame = _frame()
    frame.loc[0, "label"] = "solo"
    frame.to_csv(tmp_path / "d.csv", index=False)
    code, out, _ = _train([str(tmp_path / "d.csv"), "--target", "label", "--out", str(tmp_path / "m"), "--lang",
                           "es", *QUICK], capsys)
    assert code == 0
    assert "240 filas leídas: 3 variables, 4 clases" in out
    assert "  columnas: 3 numéricas, 0 booleanas" in out and "clases raras (< 10 filas): 'solo'" in out
    assert "rows" not in out.split("época")[0]  # nothing of the summary left in English


@pytest.mark.parametrize("lang, hint", [
    ("en", "(the first line was read as the column names: if it is data, `--no-header` names the columns column_1, "
           "column_2, ...)."),
    ("es", "(la primera línea se leyó como nombres de columna: si es de datos, `--no-header` llama a las columnas "
           "column_1, column_2, ...)."),
])
def test_a_headerless_name_for_a_file_read_with_a_header_line_points_at_no_header(tmp_path, capsys, lang, hint):
    """A file whose every field is text (label TAB message) reads its first line as names; --target column_1 then
    says which flag reads it as data."""
    (tmp_path / "sms").write_text("".join(f"{['ham', 'spam'][i % 2]}\tsee you at {i} o'clock today\n"
                                          for i in range(30)))
    code, _, err = _train([str(tmp_path / "sms"), "--target", "column_1", "--lang", lang, "--out",
                           str(tmp_path / "m"), *QUICK], capsys)
    assert code == 2 and err.count("\n") == 1 and err.strip().endswith(hint), err


@pytest.mark.parametrize("lang, hint", [
    ("en", "(the file has no header line, so its columns are named column_1, column_2, ...: column 3 is 'column_3')."),
    ("es", "(el archivo no tiene línea de cabecera, así que sus columnas se llaman column_1, column_2, ...: la "
           "columna 3 es 'column_3')."),
])
@pytest.mark.parametrize("stream", [False, True])
def test_a_column_number_for_a_headerless_file_names_the_column_to_give(tmp_path, capsys, lang, hint, stream):
    """A file of numbers and labels with no header line (a UCI .data file): `--target 3`, the column a user counts
    to, is not a name; the one line says which name the file's third column has."""
    (tmp_path / "plants.data").write_text("".join(f"{i % 7}.5 {i % 5}.25 {['a', 'b'][i % 2]}\n" for i in range(40)))
    code, _, err = _train([str(tmp_path / "plants.data"), "--target", "3", "--lang", lang, "--out",
                           str(tmp_path / "m"), *(["--stream"] if stream else []), *QUICK], capsys)
    assert code == 2 and err.count("\n") == 1 and err.strip().endswith(hint), err
    assert not (tmp_path / "m").exists()
