"""The class that matters, end to end on a synthetic fault dataset (5 classes, `critical` at 1 %): `--critical`
saved in model.json and spoken of first by the report (English and Spanish), the missed critical rows listed with
their ids, the policy's numbers marked in the verdict, `--coverage` prediction sets that are the same on the
numpy runtime, the torch path, the server and the estimator, and the refusal when a class has too few rows."""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass import SoftmaxClassifier
from multiclass.cli import main
from multiclass.cli.translate import translate
from multiclass.conformal import predict_sets
from multiclass.jobs.evaluate import evaluate
from multiclass.persistence import load_model
from tests.serve_helpers import call, started_app

torch.set_num_threads(1)

CLASSES = ["ok", "wear", "misalign", "imbalance", "critical"]
FEATURES = [f"s{i}" for i in range(6)]
FAST = ["--hidden", "none", "--lr", "0.05", "--epochs", "15", "--batch-size", "64", "--quiet", "--seed", "0"]


def fault_table(n: int, seed: int) -> pd.DataFrame:
    """Sensor readings of machines: `critical` (1 %) lies between `ok` and `wear`, so accuracy hides it."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(0).normal(size=(5, 6)) * 1.2
    centers[4] = centers[0] * 0.6 + centers[1] * 0.4
    y = rng.choice(5, size=n, p=[0.55, 0.2, 0.14, 0.10, 0.01])
    X = centers[y] + rng.normal(size=(n, 6))
    frame = pd.DataFrame(X.round(4), columns=FEATURES)
    frame.insert(0, "machine", [f"m{seed}-{i}" for i in range(n)])
    frame["state"] = np.array(CLASSES)[y]
    return frame


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval, written out (the oracle of `metrics.wilson_interval` here)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def fault_files(folder: Path, n_train: int, n_test: int) -> tuple[Path, Path]:
    """train.csv and test.csv of `fault_table` in `folder`."""
    train, test = folder / "train.csv", folder / "test.csv"
    fault_table(n_train, 1).to_csv(train, index=False)
    fault_table(n_test, 2).to_csv(test, index=False)
    return train, test


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    train, test = fault_files(folder, 6000, 1700)
    model = folder / "model"
    argv = ["train", str(train), "--target", "state", "--id-column", "machine", "--critical", "critical",
            "--coverage", "0.8", *FAST, "--out", str(model)]
    assert main(argv) == 0
    return {"folder": folder, "train": train, "test": test, "model": model}


def _evaluate(faults, tmp_path, lang: str, *extra) -> dict:
    out = tmp_path / f"report-{lang}.json"
    assert main(["evaluate", str(faults["model"]), str(faults["test"]), "--json", str(out), "--html",
                 str(tmp_path / f"report-{lang}.html"), "--lang", lang, "--bootstrap", "50", *extra]) == 0
    return json.loads(out.read_text())


def test_the_critical_class_is_saved_with_the_model(faults):
    document = json.loads((faults["model"] / "model.json").read_text())
    assert document["critical"] == ["critical"]
    assert document["conformal"]["coverage"] == 0.8 and document["conformal"]["score"] == "aps"
    trained = load_model(faults["model"])
    assert trained.critical == ("critical",)
    # Mondrian on the critical class: it has a threshold of its own, the other four share one
    assert trained.conformal.mondrian == (trained.classes.index("critical"),)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_first_sentence_names_the_critical_recall_with_its_interval(faults, tmp_path, lang):
    report = _evaluate(faults, tmp_path, lang)  # no --critical: the model's own
    c = report["classes"].index("critical")
    matrix = np.array(report["confusion_matrix"])
    found, support = int(matrix[c, c]), int(matrix[c].sum())
    low, high = wilson(found, support)
    accuracy = round(100 * np.trace(matrix) / matrix.sum())
    first = report["verdict"]["message"].split(";")[0]
    recall = round(100 * found / support)
    if lang == "en":
        assert first == (f"'critical': the model finds {found} of {support} ({recall} %, 95 % CI "
                         f"{round(100 * low)}-{round(100 * high)} %) and misses {support - found}")
        assert f"accuracy {accuracy} % hides this" in report["verdict"]["message"]
    else:
        assert first == (f"'critical': el modelo encuentra {found} de {support} ({recall} %, IC 95 % "
                         f"{round(100 * low)}-{round(100 * high)} %) y pierde {support - found}")
        assert f"la exactitud del {accuracy} % lo oculta" in report["verdict"]["message"]
    assert found / support < accuracy / 100 - 0.1  # the premise: accuracy hides the critical class
    entry = report["critical"]["classes"][0]
    assert (entry["found"], entry["support"]) == (found, support)
    assert entry["low"] == pytest.approx(low, abs=1e-12) and entry["high"] == pytest.approx(high, abs=1e-12)


def test_missed_critical_rows_are_listed_with_their_ids(faults, tmp_path):
    report = _evaluate(faults, tmp_path, "en")
    predictions = tmp_path / "p.csv"
    assert main(["predict", str(faults["model"]), str(faults["test"]), "--keep-columns", "state", "--out",
                 str(predictions)]) == 0
    frame = pd.read_csv(predictions)
    missed = frame[(frame["y_true"] == "critical") & (frame["predicted"] != "critical")]
    listed = report["critical"]["missed"]
    assert [m["id"] for m in listed] == missed["machine"].tolist()
    assert [m["row"] for m in listed] == missed.index.tolist()
    assert [m["predicted"] for m in listed] == missed["predicted"].tolist()
    assert report["critical"]["n_missed"] == len(missed) > 0
    html = (tmp_path / "report-en.html").read_text()
    assert 'id="missed-critical"' in html and all(f">{m}<" in html for m in missed["machine"])


def test_the_what_if_sentence_is_computed_from_the_rows_probabilities_and_not_streamed(faults, tmp_path):
    from tests.test_report_critical_whatif import brute_force

    predictions = tmp_path / "p.csv"
    assert main(["predict", str(faults["model"]), str(faults["test"]), "--keep-columns", "state", "--out",
                 str(predictions)]) == 0
    frame = pd.read_csv(predictions)
    critical = (frame["y_true"] == "critical").to_numpy()
    k = math.ceil(0.9 * critical.sum())
    alarms, found = brute_force(frame["p_critical"].to_numpy(), critical, k)
    sentence = (f"To find {found} of {critical.sum()} 'critical', expect {alarms:,} alarms per {len(frame):,} rows (a "
                "threshold on its probability, on these rows).")
    report = _evaluate(faults, tmp_path, "en")
    assert report["critical"]["classes"][0]["what_if"] == {"recall": 0.9, "k": k, "found": found, "alarms": alarms,
                                                            "n": len(frame)}
    assert sentence in report["verdict"]["message"]
    out = tmp_path / "r.json"  # `report --predictions` says it too, from the file's p_ columns
    assert main(["report", "--predictions", str(predictions), "--critical", "critical", "--bootstrap", "0",
                 "--json", str(out)]) == 0
    assert sentence in json.loads(out.read_text())["verdict"]["message"]
    streamed = _evaluate(faults, tmp_path, "en", "--stream")
    assert streamed["critical"]["classes"][0]["what_if"] is None and "To find" not in streamed["verdict"]["message"]
    assert streamed["verdict"]["message"].startswith(report["verdict"]["message"].split(";")[0])


def test_the_flag_on_evaluate_and_report_names_other_classes(faults, tmp_path):
    report = _evaluate(faults, tmp_path, "en", "--critical", "imbalance")
    assert report["verdict"]["message"].startswith("'imbalance': the model finds ")
    predictions = tmp_path / "p.csv"
    assert main(["predict", str(faults["model"]), str(faults["test"]), "--keep-columns", "state", "--out",
                 str(predictions)]) == 0
    out = tmp_path / "r.json"
    assert main(["report", "--predictions", str(predictions), "--critical", "critical", "--bootstrap", "0",
                 "--json", str(out)]) == 0
    assert json.loads(out.read_text())["verdict"]["message"].startswith("'critical': the model finds ")


def test_an_unknown_critical_class_is_a_one_line_error(faults, capsys):
    assert main(["evaluate", str(faults["model"]), str(faults["test"]), "--critical", "crtical"]) == 2
    assert re.fullmatch(r"error: `--critical` names class 'crtical', which is not one of the classes \[.*\]\.\n",
                        capsys.readouterr().err.splitlines(keepends=True)[0])


@pytest.fixture(scope="module")
def policy(faults):
    """A model that decides by a recall target on the critical class: it finds more faults, with more alarms."""
    model = faults["folder"] / "policy"
    assert main(["train", str(faults["train"]), "--target", "state", "--id-column", "machine", "--critical",
                 "critical", "--target-recall", "critical=0.8", *FAST, "--out", str(model)]) == 0
    return model


def test_a_policy_alone_is_said_first(faults, policy, tmp_path):
    out = tmp_path / "r.json"
    assert main(["evaluate", str(policy), str(faults["test"]), "--json", str(out), "--bootstrap", "0",
                 "--critical", "imbalance"]) == 0
    assert json.loads(out.read_text())["verdict"]["message"].startswith("'imbalance': ")
    plain = load_model(policy)
    plain.critical = ()
    report = evaluate(plain, faults["test"])
    assert report.verdict[0].code == "policy_offsets"


def test_a_policy_is_named_with_both_rules_numbers(faults, policy, tmp_path):
    model = policy
    out = tmp_path / "r.json"
    assert main(["evaluate", str(model), str(faults["test"]), "--json", str(out), "--bootstrap", "0"]) == 0
    report = json.loads(out.read_text())
    c = report["classes"].index("critical")
    matrix = np.array(report["confusion_matrix"])
    message = report["verdict"]["message"]
    assert (f"These are the numbers of the model's recall targets: it finds {matrix[c, c]} of "
            f"{matrix[c].sum()} 'critical' with {matrix[:, c].sum()} alarms, the plain argmax ") in message


@pytest.mark.parametrize(("lang", "message"), [
    ("en", r"error: class 'critical' has \d calibration rows; 95 % coverage needs at least 19\. Hold out more rows "
           r"\(`--val-split`\), lower `--coverage`, pool the classes \(`--set-groups` 'marginal'\) or calibrate on "
           r"every row \(`--set-calibration` 'cross'\)\."),
    ("es", r"error: la clase 'critical' tiene \d filas de calibración; una cobertura del 95 % necesita al menos "
           r"19\. Reserve más filas \(`--val-split`\), baje `--coverage`, agrupe las clases \(`--set-groups` "
           r"'marginal'\) o calibre con todas las filas \(`--set-calibration` 'cross'\)\."),
])
def test_too_few_critical_rows_for_the_coverage_is_refused_saying_how_many(faults, tmp_path, capsys, lang, message):
    argv = ["train", str(faults["train"]), "--target", "state", "--id-column", "machine", "--critical", "critical",
            "--coverage", "0.95",
            *FAST, "--out", str(tmp_path / "m"), "--lang", lang]
    assert main(argv) == 2
    assert re.fullmatch(message, capsys.readouterr().err.strip())
    assert not (tmp_path / "m").exists()


def test_sets_are_the_same_on_every_runtime_and_in_the_server(faults, tmp_path):
    written = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(faults["model"]), str(faults["test"]), "--sets", "--runtime", runtime,
                     "--out", str(out)]) == 0
        written[runtime] = pd.read_csv(out, keep_default_na=False)
    columns = ["set", "set_size", "abstain", *(f"in_set_{name}" for name in CLASSES)]
    pd.testing.assert_frame_equal(written["numpy"][columns], written["torch"][columns])
    # the sets are those of the stored calibration on the model's probabilities
    trained = load_model(faults["model"])
    probs = written["numpy"][[f"p_{name}" for name in trained.classes]].to_numpy()
    members = predict_sets(probs, trained.conformal)
    assert np.array_equal(written["numpy"][[f"in_set_{name}" for name in trained.classes]].to_numpy(), members)
    assert written["numpy"]["abstain"].tolist() == (members.sum(axis=1) != 1).tolist()
    # the server returns the same sets for the same rows
    rows = pd.read_csv(faults["test"]).head(200)
    records = rows[FEATURES].to_dict(orient="records")

    async def scenario():
        app = started_app(faults["model"])
        await app.startup()
        answer = await call(app, "POST", "/predict", json.dumps(records).encode(), content_type="application/json")
        await app.shutdown()
        return answer

    answer = asyncio.run(scenario())
    assert answer.status == 200
    served = [sorted(p["set"]) for p in answer.json()["predictions"]]
    expected = [sorted(s.split("|")) if s else [] for s in written["numpy"]["set"].head(200)]
    assert served == expected


def test_predict_sets_refuses_a_model_without_sets(faults, tmp_path, capsys):
    model = tmp_path / "plain"
    assert main(["train", str(faults["train"]), "--target", "state", "--id-column", "machine", *FAST, "--out",
                 str(model)]) == 0
    for runtime in ("numpy", "torch"):
        assert main(["predict", str(model), str(faults["test"]), "--sets", "--runtime", runtime, "--out",
                     str(tmp_path / "p.csv")]) == 2
        assert capsys.readouterr().err.startswith("error: the model has no prediction sets; train it with ")
    assert not (tmp_path / "p.csv").exists()


def test_the_estimator_predicts_sets(faults):
    frame = pd.read_csv(faults["train"])
    X, y = frame[FEATURES].to_numpy(), frame["state"].to_numpy()
    clf = SoftmaxClassifier(hidden=(), lr=0.05, max_epochs=10, batch_size=64, random_state=0,
                            critical_classes=["critical"], coverage=0.8).fit(X, y)
    test = pd.read_csv(faults["test"])
    sets = clf.predict_set(test[FEATURES].to_numpy())
    assert sets.shape == (len(test), 5) and sets.dtype == bool
    assert np.array_equal(sets, predict_sets(clf.predict_proba(test[FEATURES].to_numpy()), clf.trained_.conformal))
    assert clf.trained_.critical == ("critical",)
    plain = SoftmaxClassifier(hidden=(), max_epochs=2, random_state=0).fit(X[:500], y[:500])
    with pytest.raises(Exception, match=r"the model has no prediction sets; train it with `coverage`"):
        plain.predict_set(X[:5])


def _found(model, faults, tmp_path) -> tuple[int, int]:
    """(critical rows found, critical rows) of a model's predictions file: the oracle of compare's counts."""
    out = tmp_path / f"{Path(model).name}.csv"
    assert main(["predict", str(model), str(faults["test"]), "--keep-columns", "state", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    critical = frame["y_true"] == "critical"
    return int((critical & (frame["predicted"] == "critical")).sum()), int(critical.sum())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_compare_prefers_the_model_that_finds_more_critical_faults_and_says_why(faults, policy, tmp_path, lang):
    found_a, support = _found(faults["model"], faults, tmp_path)
    found_b, _ = _found(policy, faults, tmp_path)
    assert found_b > found_a  # the premise
    out = tmp_path / "c.json"
    assert main(["compare", str(faults["model"]), str(policy), str(faults["test"]), "--critical", "critical",
                 "--json", str(out), "--html", str(tmp_path / "c.html"), "--lang", lang, "--bootstrap", "500"]) == 0
    document = json.loads(out.read_text())
    rows = {row["class"]: row for row in document["per_class"]}
    assert document["per_class"][0]["class"] == "critical"  # critical classes first
    assert (rows["critical"]["found_a"], rows["critical"]["found_b"], rows["critical"]["support"]) == (
        found_a, found_b, support)
    assert rows["critical"]["value"] == pytest.approx((found_b - found_a) / support, abs=1e-12)
    assert document["decided_by"] == "critical" and document["verdict_code"] == "b_better"
    why = {"en": f"B is better than A, by the recall of 'critical': B finds {found_b} of {support}, A {found_a} (",
           "es": f"B es mejor que A, por la exhaustividad de 'critical': B encuentra {found_b} de {support}, A "
                 f"{found_a} ("}[lang]
    assert document["verdict"].startswith(why)
    html = (tmp_path / "c.html").read_text()
    assert why.replace("'", "&#39;") in html
    # by accuracy alone the same two models are judged otherwise: the metric decides which model you keep
    assert main(["compare", str(faults["model"]), str(policy), str(faults["test"]), "--metric", "accuracy",
                 "--json", str(out), "--bootstrap", "500"]) == 0
    by_accuracy = json.loads(out.read_text())
    assert by_accuracy["decided_by"] == "accuracy" and by_accuracy["verdict_code"] != "b_better"


def test_compare_metric_errors_are_one_line(faults, policy, capsys):
    assert main(["compare", str(faults["model"]), str(policy), str(faults["test"]), "--metric", "recall:nope"]) == 2
    assert capsys.readouterr().err.startswith("error: `--metric` names class 'nope', which is not one of the classes")
    assert main(["compare", str(faults["model"]), str(policy), str(faults["test"]), "--metric", "speed"]) == 2
    assert capsys.readouterr().err.startswith("error: `--metric` must be one of accuracy, balanced_accuracy, "
                                              "macro_f1, weighted_f1, cost or recall:CLASS; got 'speed'.")


def test_predict_critical_writes_an_alarm_column_on_every_runtime(faults, tmp_path):
    written = {}
    for runtime in ("numpy", "torch"):
        out = tmp_path / f"{runtime}.csv"
        assert main(["predict", str(faults["model"]), str(faults["test"]), "--sets", "--critical", "critical",
                     "--runtime", runtime, "--out", str(out)]) == 0
        written[runtime] = pd.read_csv(out, keep_default_na=False)
    frame = written["numpy"]
    assert frame["alarm"].tolist() == ((frame["predicted"] == "critical") | frame["in_set_critical"]).tolist()
    assert frame["alarm"].tolist() == written["torch"]["alarm"].tolist()
    assert frame["alarm"].any() and not frame["alarm"].all()
    assert main(["predict", str(faults["model"]), str(faults["test"]), "--critical", "critical", "--out",
                 str(tmp_path / "plain.csv")]) == 0
    plain = pd.read_csv(tmp_path / "plain.csv")
    assert plain["alarm"].tolist() == (plain["predicted"] == "critical").tolist()


def test_streamed_training_refuses_coverage(faults, tmp_path, capsys):
    argv = ["train", str(faults["train"]), "--target", "state", "--id-column", "machine", "--stream", "--coverage",
            "0.8", *FAST, "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == ("error: `--coverage` is calibrated on held-out probabilities, which "
                                               "streamed training does not keep; train in memory.")


@pytest.mark.parametrize(("message", "spanish"), [
    ("`--coverage` is calibrated on held-out probabilities, which streamed training does not keep; train in memory.",
     "`--coverage` se calibra con probabilidades de filas reservadas, que el entrenamiento por lotes no guarda; "
     "entrene en memoria."),
    ("the model has no prediction sets; train it with `coverage` (--coverage) set.",
     "el modelo no tiene conjuntos de predicción; entrénelo con `coverage` (--coverage)."),
    ("`--coverage` is calibrated on validation rows; set `--val-split` > 0 or give validation data.",
     "`--coverage` se calibra con filas de validación; ponga `--val-split` > 0 o dé datos de validación."),
    ("class 'critical' has 13 calibration rows; 95 % coverage at 95 % confidence needs at least 59.",
     "la clase 'critical' tiene 13 filas de calibración; una cobertura del 95 % con una confianza del 95 % necesita "
     "al menos 59."),
    ("the calibration set has 10 rows; 95 % coverage needs at least 19.",
     "el conjunto de calibración tiene 10 filas; una cobertura del 95 % necesita al menos 19."),
    ("class 'critical' has 7 validation rows; a recall target of 90 % is guaranteed on new rows from 9 rows on (use "
     "a larger validation split or a lower target).",
     "la clase 'critical' tiene 7 filas de validación; un objetivo de exhaustividad del 90 % se garantiza en filas "
     "nuevas a partir de 9 filas (use una partición de validación mayor o un objetivo menor)."),
])
def test_the_new_messages_have_spanish_templates(message, spanish):
    assert translate(message, "es") == spanish
