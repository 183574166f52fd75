"""`multiclass evaluate` and `multiclass report` end to end, in-process: files written, languages, the numbers
agreeing between the two commands, and every bad input as exit 2 with one line naming the file and column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from multiclass.cli import main
from multiclass.data.table_io import EXACT_FLOATS
from tests.test_report_build import XSS

CLASSES = ("bird", "cat", "dog")
QUICK = ["--hidden", "none", "--lr", "0.1", "--epochs", "3", "--quiet"]


@pytest.fixture(scope="module")
def animals(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    animal = rng.permutation(np.repeat(CLASSES, 40))
    code = np.searchsorted(CLASSES, animal)
    frame = pd.DataFrame({"size": code * 2.0 + rng.normal(0, 1.0, len(animal)), "animal": animal})
    path = tmp_path_factory.mktemp("animals") / "animals.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model(animals, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "model"
    assert main(["train", str(animals), "--target", "animal", *QUICK, "--out", str(out)]) == 0
    return out


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_evaluate_writes_spanish_html_and_json(animals, model, tmp_path, capsys):
    html, report = tmp_path / "informe.html", tmp_path / "informe.json"
    argv = ["evaluate", str(model), str(animals), "--html", str(html), "--json", str(report), "--lang", "es",
            "--bootstrap", "200", "--seed", "3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"evaluación sobre {animals}" in out and "Exhaustividad" in out
    assert f"evaluación escrita en {report}" in out and f"informe HTML escrito en {html}" in out
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["lang"] == "es" and document["settings"]["bootstrap"] == 200 and document["settings"]["seed"] == 3
    assert document["source"] == {"model": str(model), "data": str(animals)}
    assert document["training"]["best_epoch"] >= 1 and len(document["training"]["history"]) == 3
    page = html.read_text(encoding="utf-8")
    assert '<html lang="es">' in page and "Matriz de confusión" in page and "Curvas de aprendizaje" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["informe.html", "informe.json"]  # no temporary left


def test_report_from_predictions_reproduces_evaluate(animals, model, tmp_path, capsys):
    """`predict --runtime numpy` output plus a y_true column, through `report`, gives evaluate's numbers, intervals
    included (to the bit: the same engine, the numpy network, computed both; torch's matmul may round the last bit
    differently, as it does with AVX-512)."""
    from_model, predictions, from_file = tmp_path / "a.json", tmp_path / "p.csv", tmp_path / "b.json"
    assert main(["evaluate", str(model), str(animals), "--json", str(from_model), "--bootstrap", "300"]) == 0
    assert main(["predict", str(model), str(animals), "--out", str(predictions), "--runtime", "numpy"]) == 0
    frame = pd.read_csv(predictions, **EXACT_FLOATS)  # probabilities to the bit, on pandas 2 too
    frame.insert(0, "y_true", pd.read_csv(animals)["animal"])
    frame.to_csv(predictions, index=False)
    assert main(["report", "--predictions", str(predictions), "--json", str(from_file), "--bootstrap", "300"]) == 0
    a, b = json.loads(from_model.read_text()), json.loads(from_file.read_text())
    for key in ("classes", "summary", "intervals", "baselines", "per_class", "confusion_matrix", "calibration"):
        assert a[key] == b[key], key
    assert b["training"] is None and b["source"] == {"predictions": str(predictions)}
    assert a["summary"]["accuracy"] == accuracy_score(frame["y_true"], frame["predicted"])
    assert a["summary"]["macro_f1"] == pytest.approx(f1_score(frame["y_true"], frame["predicted"], average="macro"),
                                                     abs=1e-12)
    capsys.readouterr()


def test_report_without_probabilities(tmp_path, capsys):
    path = tmp_path / "preds.csv"
    pd.DataFrame({"y_true": ["b", "a", "c", "a", "b", "c"] * 5, "y_pred": ["b", "a", "a", "a", "c", "c"] * 5}).to_csv(
        path, index=False)
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["report", "--predictions", str(path), "--json", str(out_json), "--html", str(out_html)]) == 0
    document = json.loads(out_json.read_text())
    assert document["classes"] == ["a", "b", "c"] and document["calibration"] is None
    assert document["summary"]["log_loss"] is None and document["intervals"]["log_loss"] is None
    assert "no_probabilities" in [w["code"] for w in document["warnings"]]
    assert "No class probabilities were given" in capsys.readouterr().out
    page = out_html.read_text()
    assert page.count('<svg class="chart"') == 1 and "<img" not in page  # the class distribution only


def test_report_sorts_integer_labels_numerically_and_escapes_names(tmp_path, capsys):
    path = tmp_path / "preds.csv"
    pd.DataFrame({"y_true": [10, 9, 2, 10] * 10, "y_pred": [10, 2, 2, 9] * 10}).to_csv(path, index=False)
    out = tmp_path / "r.json"
    assert main(["report", "--predictions", str(path), "--json", str(out), "--bootstrap", "0"]) == 0
    assert json.loads(out.read_text())["classes"] == ["2", "9", "10"]
    xss = tmp_path / "xss.csv"
    pd.DataFrame({"y_true": [XSS, "ok"] * 20, "y_pred": [XSS, XSS] * 20}).to_csv(xss, index=False)
    page = tmp_path / "xss.html"
    assert main(["report", "--predictions", str(xss), "--html", str(page), "--bootstrap", "0"]) == 0
    assert XSS not in page.read_text() and "&lt;script&gt;" in page.read_text()
    capsys.readouterr()


def test_evaluate_on_images_shows_confident_mistakes(tmp_path, capsys):
    model, page, report = tmp_path / "digits", tmp_path / "d.html", tmp_path / "d.json"
    assert main(["train", "digits", "--hidden", "none", "--epochs", "1", "--lr", "0.05", "--quiet",
                 "--out", str(model)]) == 0
    assert main(["evaluate", str(model), "digits", "--html", str(page), "--json", str(report), "--bootstrap",
                 "100"]) == 0
    document = json.loads(report.read_text())
    mistakes = document["confident_mistakes"]
    assert 0 < len(mistakes) <= 16
    probabilities = [m["probability"] for m in mistakes]
    assert probabilities == sorted(probabilities, reverse=True)
    html = page.read_text()
    assert html.count('<svg class="chart"') == 3  # class distribution, reliability diagram, learning curves
    assert html.count("<img") == len(mistakes) and "Most confidently wrong examples" in html
    capsys.readouterr()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("content", "message"), [
    ("label,guess\na,b\n", "needs a 'y_true' column; found columns ['label', 'guess']."),
    ("y_true,score\na,1\n", "needs a 'y_pred' column"),
    ("y_true,y_pred\na,a\n,b\n", "column 'y_true' has an empty label at line 3."),
    ("y_true,y_pred,p_a,p_b\na,a,0.9,0.1\nc,a,0.5,0.5\n", "column 'y_true' has label 'c' at line 3, which has no p_c"),
    ("y_true,y_pred,p_a,p_b\na,a,0.9,0.1\nb,a,1.5,-0.5\n",
     "column 'p_a' must hold probabilities in [0, 1]; got 1.5 at line 3."),
    ("y_true,y_pred,p_a,p_b\na,a,0.9,0.1\nb,a,x,0.5\n",
     "column 'p_a' must hold probabilities in [0, 1]; got 'x' at line 3."),
    ("y_true,y_pred,p_a,p_b\na,a,0.9,0.1\nb,a,0.5,0.3\n", "the p_<class> columns must sum to 1 in every row; got 0.8"),
    ("y_true,y_pred\na,a\na,a\n", "a report needs at least 2 classes; got ['a']."),
    ("y_true,y_pred\n", "has a header but no rows."),
    ("", "the file is empty"),
])
def test_bad_predictions_file_is_exit_2_naming_file_and_column(tmp_path, capsys, content, message):
    path = _write(tmp_path / "preds.csv", content)
    assert main(["report", "--predictions", str(path)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {path}: ") and message in line


@pytest.mark.parametrize(("extra", "message"), [
    (["--bootstrap", "-1"], "`--bootstrap` must be an integer in [0, 100,000]; got '-1'"),
    (["--lang", "fr"], "invalid choice: 'fr'"),
])
def test_bad_flags_are_usage_errors(tmp_path, capsys, extra, message):
    path = _write(tmp_path / "preds.csv", "y_true,y_pred\na,b\nb,b\n")
    assert main(["report", "--predictions", str(path), *extra]) == 2
    assert message in capsys.readouterr().err


def test_outputs_are_checked_before_any_work(animals, model, tmp_path, capsys):
    missing = tmp_path / "no" / "r.html"
    assert main(["evaluate", str(model), str(animals), "--html", str(missing)]) == 2
    assert "does not exist" in _one_error_line(capsys.readouterr().err)
    assert main(["report", "--predictions", str(tmp_path / "absent.csv")]) == 2
    assert "absent.csv" in _one_error_line(capsys.readouterr().err)


def test_rounded_probabilities_are_renormalised(tmp_path):
    from multiclass.predictions import read_predictions

    path = _write(tmp_path / "p.csv", "y_true,y_pred,p_a,p_b,p_c\na,a,0.333,0.333,0.333\nb,b,0.1,0.9,0\n")
    predictions = read_predictions(path)
    assert predictions.classes == ("a", "b", "c")
    np.testing.assert_array_equal(predictions.probs[0], np.full(3, 1 / 3))  # 0.999 in the file: rounded
    np.testing.assert_array_equal(predictions.probs[1], [0.1, 0.9, 0.0])  # sums to 1: kept as written
    assert predictions.y_true.tolist() == [0, 1] and predictions.y_pred.tolist() == [0, 1]


def test_parquet_predictions_round_trip_through_report(animals, model, tmp_path, capsys):
    """`predict --out x.parquet` keeps the columns typed (probabilities exactly), and `report` reads it back."""
    csv_out, parquet_out = tmp_path / "p.csv", tmp_path / "p.parquet"
    assert main(["predict", str(model), str(animals), "--out", str(csv_out), "--top-k", "2"]) == 0
    assert main(["predict", str(model), str(animals), "--out", str(parquet_out), "--top-k", "2"]) == 0
    text, typed = pd.read_csv(csv_out, **EXACT_FLOATS), pd.read_parquet(parquet_out)
    assert list(typed.columns) == list(text.columns) and typed["p_cat"].dtype == np.float64
    assert typed["predicted"].tolist() == text["predicted"].tolist()
    np.testing.assert_array_equal(typed["p_cat"].to_numpy(), text["p_cat"].to_numpy())  # repr round-trips
    truth = pd.read_csv(animals)["animal"]
    for frame, path in ((text, csv_out), (typed, parquet_out)):
        frame.insert(0, "y_true", truth)
        frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path)
    reports = []
    for path in (csv_out, parquet_out):
        assert main(["report", "--predictions", str(path), "--json", str(path.with_suffix(".json")),
                     "--bootstrap", "100"]) == 0
        reports.append(json.loads(path.with_suffix(".json").read_text()))
    for key in ("classes", "summary", "intervals", "per_class", "confusion_matrix", "calibration"):
        assert reports[0][key] == reports[1][key], key
    capsys.readouterr()


def test_bad_parquet_predictions_name_the_row(tmp_path, capsys):
    path = tmp_path / "p.parquet"
    pd.DataFrame({"y_true": ["a", None, "b"], "y_pred": ["a", "b", "b"]}).to_parquet(path)
    assert main(["report", "--predictions", str(path)]) == 2
    assert _one_error_line(capsys.readouterr().err) == f"error: {path}: column 'y_true' has an empty label at row 2."
    path.write_bytes(b"PAR1 not really")
    assert main(["report", "--predictions", str(path)]) == 2
    assert "cannot be read as a Parquet file" in _one_error_line(capsys.readouterr().err)
