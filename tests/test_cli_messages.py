"""The command line in English and Spanish: its catalogues (messages, error templates, progress words) have both
languages with the same fields; error messages are translated by one mechanism; every command takes --lang (or
MULTICLASS_LANG) and then speaks it, usage errors included. The bad-input catalogue in Spanish is in
tests/test_cli_errors_*.py."""

from __future__ import annotations

import json
import re
import string

import pandas as pd
import pytest

from multiclass.cli import main, requested_lang
from multiclass.cli.errors import ERRORS, REASONS
from multiclass.cli.messages import MESSAGES, say
from multiclass.cli.parser import build_parser
from multiclass.cli.translate import template_fields, translate
from multiclass.language import LANGS, current_lang, speaking
from multiclass.training.progress import WORDS

SAME_IN_BOTH = {"error"}  # "error:" is the word in both languages


def _fields(template: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name)


@pytest.mark.parametrize("catalogue", [MESSAGES, WORDS], ids=["messages", "progress"])
def test_every_message_has_both_languages_with_the_same_fields(catalogue):
    for key, texts in catalogue.items():
        assert len(texts) == len(LANGS) and all(text.strip() for text in texts), f"{key}: a language is missing"
        assert _fields(texts[0]) == _fields(texts[1]), key
        assert key in SAME_IN_BOTH or texts[0] != texts[1], f"{key}: not translated"


def test_every_error_template_has_a_spanish_one_with_the_same_fields():
    english = [pair[0] for pair in ERRORS]
    assert len(english) == len(set(english)), "a template is listed twice"
    for en, es in ERRORS:
        assert es.strip() and es != en, en
        assert sorted(template_fields(en)) == sorted(template_fields(es)), en
    assert all(spanish and spanish != english for english, spanish in REASONS.items())


def test_translate_fills_the_spanish_template_and_keeps_the_fields():
    message = "data/x.csv: column 'a' row 3: value inf is not finite."
    assert translate(message, "en") == message
    assert translate(message, "es") == "data/x.csv: columna 'a', fila 3: el valor inf no es finito."
    nested = "big.csv (a batch starting at row 65537): column 'b' row 2: value 'x' is not numeric."
    assert translate(nested, "es") == ("big.csv (un lote que empieza en la fila 65537): columna 'b', fila 2: el valor "
                                       "'x' no es numérico.")
    assert translate("out.csv: cannot be written (No space left on device).", "es") == (
        "out.csv: no se puede escribir (no queda espacio en el dispositivo).")
    assert translate("model/: Permission denied", "es") == "model/: permiso denegado"
    assert translate("something nobody wrote a template for", "es") is None


def test_singular_and_plural():
    assert say("predictions_written", "es", rows="1", path="p.csv") == "1 predicción escrita en p.csv"
    assert say("predictions_written", "es", rows="2", path="p.csv") == "2 predicciones escritas en p.csv"


def test_the_language_comes_from_the_flag_then_the_environment(monkeypatch):
    monkeypatch.delenv("MULTICLASS_LANG", raising=False)
    assert requested_lang(["train", "x.csv"]) == "en" and current_lang() == "en"
    assert requested_lang(["train", "--lang", "es"]) == "es" and requested_lang(["--lang=es"]) == "es"
    monkeypatch.setenv("MULTICLASS_LANG", "es_ES.UTF-8")
    assert requested_lang(["train"]) == "es" and current_lang() == "es"
    assert requested_lang(["train", "--lang", "en"]) == "en"
    with speaking("en"):
        assert current_lang() == "en"
    assert current_lang() == "es"


def test_every_command_has_lang():
    parser = build_parser()
    for name, command in parser.commands.items():
        assert "--lang" in {flag for action in command._actions for flag in action.option_strings}, name


@pytest.mark.parametrize(("argv", "line"), [
    (["train", "x.csv", "--out", "m", "--epochs", "0"],
     "error: `--epochs` debe ser un entero en [1, 1,000,000]; se recibió '0'"),
    (["trian"], "error: `COMMAND`: valor no válido: 'trian' (elija entre 'train', 'evaluate', 'report', 'predict', "
                "'export', 'serve', 'compare', 'sweep', 'audit', 'demo', 'datasets'); ¿quiso decir 'train'?"),
    (["train", "x.csv"], "error: faltan argumentos obligatorios: --out (o --resume MODEL_DIR)"),
])
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_usage_errors_in_spanish(monkeypatch, capsys, argv, line, how):
    if how == "flag":
        argv = [*argv, "--lang", "es"] if argv != ["trian"] else argv
        monkeypatch.setenv("MULTICLASS_LANG", "es" if argv == ["trian"] else "en")
    else:
        monkeypatch.setenv("MULTICLASS_LANG", "es")
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [line, f"(ejecute 'multiclass{'' if argv == ['trian'] else ' train'} --help' para ver las "
                         "opciones y ejemplos)"]


def test_library_errors_in_spanish(tmp_path, capsys):
    path = tmp_path / "p.csv"
    pd.DataFrame({"predicted": ["a", "b"], "p_a": [0.9, 0.2], "p_b": [0.1, 0.8]}).to_csv(path, index=False)
    assert main(["report", "--predictions", str(path), "--lang", "es"]) == 2
    assert capsys.readouterr().err == (
        f"error: {path}: necesita una columna 'y_true'; se encontraron las columnas ['predicted', 'p_a', 'p_b'] "
        "(predicciones de `multiclass predict`: escriba las etiquetas reales con --keep-columns "
        "COLUMNA_DE_ETIQUETAS).\n")


@pytest.fixture(scope="module")
def iris_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("iris")
    for seed in (0, 1):
        assert main(["train", "iris", "--epochs", "5", "--quiet", "--seed", str(seed), "--lr", "0.05",
                     "--out", str(root / f"m{seed}")]) == 0
    return root


def test_predict_keeps_the_labels_so_report_reads_its_output(iris_models, tmp_path, capsys):
    model, table = iris_models / "m0", tmp_path / "iris.csv"
    from multiclass.data import load_builtin

    iris = load_builtin("iris", split="test")
    frame = pd.DataFrame(iris.X, columns=[f"f{i}" for i in range(iris.n_features)])
    frame["species"] = iris.decode(iris.y)
    frame.to_csv(table, index=False)
    trained = tmp_path / "table-model"
    assert main(["train", str(table), "--target", "species", "--epochs", "5", "--quiet", "--out", str(trained)]) == 0
    plain, kept = tmp_path / "plain.csv", tmp_path / "kept.csv"
    capsys.readouterr()
    assert main(["predict", str(trained), str(table), "--out", str(plain)]) == 0
    assert "add --keep-columns species to write it as y_true" in capsys.readouterr().out
    assert main(["predict", str(trained), str(table), "--keep-columns", "species,f0", "--out", str(kept)]) == 0
    written = pd.read_csv(kept)
    assert list(written.columns[:3]) == ["y_true", "f0", "predicted"]
    assert written["y_true"].tolist() == frame["species"].tolist()
    report = tmp_path / "r.json"
    assert main(["report", "--predictions", str(kept), "--json", str(report), "--bootstrap", "0"]) == 0
    assert main(["evaluate", str(trained), str(table), "--json", str(tmp_path / "e.json"), "--bootstrap", "0"]) == 0
    from_predictions, from_model = (json.loads(p.read_text()) for p in (report, tmp_path / "e.json"))
    # the same decisions; the log-loss to float32 rounding (predict's features are the numpy runtime's, evaluate's
    # the data package's; both run the numpy network)
    log_loss = from_model["summary"].pop("log_loss")
    assert from_predictions["summary"].pop("log_loss") == pytest.approx(log_loss, rel=1e-6)
    assert from_predictions["summary"] == from_model["summary"]
    assert main(["predict", str(trained), str(table), "--keep-columns", "nope", "--out", str(plain)]) == 2
    assert "`--keep-columns` names column 'nope', which the data does not have" in capsys.readouterr().err


def test_compare_in_spanish(iris_models, tmp_path, capsys):
    out = tmp_path / "c.json"
    argv = ["compare", str(iris_models / "m0"), str(iris_models / "m1"), "iris", "--bootstrap", "200", "--lang", "es",
            "--json", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    document = json.loads(out.read_text())
    assert document["lang"] == "es" and document["verdict"] in printed
    assert document["verdict_code"] in ("a_better", "b_better", "no_difference")
    for english in ("rows right by", "resamples", "interval", "comparison written", "Metric"):
        assert english not in printed
    assert "Remuestreos con B > A" in printed and "comparación escrita en" in printed and "Exactitud" in printed


def test_demo_in_spanish_end_to_end(tmp_path, capsys):
    html, report = tmp_path / "demo.html", tmp_path / "demo.json"
    assert main(["demo", "--dataset", "iris", "--lang", "es", "--epochs", "5", "--quiet", "--bootstrap", "50",
                 "--html", str(html), "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("iris: 114 filas de entrenamiento, 4 variables, 3 clases\nred 4-")
    assert re.search(r"^red 4-[\dx-]*3, dropout [\d,]+, l2 [\d,e-]+, lr [\d,e-]+, lote \d+, clases ponderadas por la "
                     r"raíz de balanced \(receta auto", printed,
                     re.MULTILINE)
    assert "partición de prueba de iris" in printed and "exactitud en la prueba" in printed
    for english in ("training rows", "test accuracy", "written to", "weights of epoch", "Per-class"):
        assert english not in printed
    assert '<html lang="es">' in html.read_text() and json.loads(report.read_text())["lang"] == "es"
