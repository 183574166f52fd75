"""The decision flags end to end, in-process: `train --calibrate --target-recall`, `evaluate` / `predict
--cost-matrix`, `compare`, the report's decision section in JSON, terminal and HTML, and the usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass.cli import main
from multiclass.decisions import DecisionPolicy, decide
from multiclass.persistence import load_model
from multiclass.report import ReportConfig, build_report, render_html, report_to_dict
from multiclass.report.decision import build_decision

torch.set_num_threads(1)

CLASSES = ("critical", "minor", "ok")
QUICK = ["--hidden", "none", "--lr", "0.1", "--epochs", "4", "--quiet", "--val-split", "0.3"]


def _write(path: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    label = rng.choice(["ok", "minor", "critical"], n, p=[0.7, 0.2, 0.1])
    code = np.searchsorted(CLASSES, label)
    pd.DataFrame({"a": code * 1.2 + rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "label": label}).to_csv(
        path, index=False)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decisions")
    cost = folder / "cost.csv"
    cost.write_text("true\\decided,critical,minor,ok\ncritical,0,10,30\nminor,1,0,2\nok,1,1,0\n")
    return {"train": _write(folder / "train.csv", 500, 0), "test": _write(folder / "test.csv", 400, 1),
            "cost": cost, "folder": folder}


@pytest.fixture(scope="module")
def tuned(files):
    out = files["folder"] / "tuned"
    code = main(["train", str(files["train"]), "--target", "label", *QUICK, "--calibrate",
                 "--target-recall", "critical=0.9", "--out", str(out)])
    assert code == 0
    return out


def test_train_prints_the_policy_and_its_price_and_saves_it(files, tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["train", str(files["train"]), "--target", "label", *QUICK, "--calibrate",
                 "--target-recall", "critical=0.9", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for text in ("decision policy", "calibration before and after temperature scaling", "recall targets",
                 "price of the policy", "tuned on these validation rows, so meeting them here is optimistic"):
        assert text in printed
    policy = load_model(out).decision
    assert policy.rule == "offsets" and policy.target_recall == ((0, 0.9),) and policy.temperature != 1.0


def test_evaluate_reports_the_held_out_recall_honestly(files, tuned, tmp_path, capsys):
    report = tmp_path / "report.json"
    html = tmp_path / "report.html"
    assert main(["evaluate", str(tuned), str(files["test"]), "--json", str(report), "--html", str(html),
                 "--bootstrap", "100"]) == 0
    printed = capsys.readouterr().out
    decision = json.loads(report.read_text())["decision"]
    (target,) = decision["targets"]
    assert target["class"] == "critical" and target["target"] == 0.9 and not decision["tuned_on_these_rows"]
    recall = target["recall"]["value"]
    assert target["met"] == (recall >= 0.9) and target["recall"]["interval"]["method"] == "wilson"
    warnings = [w["code"] for w in json.loads(report.read_text())["warnings"]]
    assert ("target_missed" in warnings) == (not target["met"])  # a miss on new data is said, not hidden
    assert ("MISSED" in printed) == (not target["met"])
    assert decision["calibration"]["before"]["log_loss"] != decision["calibration"]["after"]["log_loss"]
    assert set(decision["per_class"]) == set(CLASSES)
    page = html.read_text()
    assert 'id="decision"' in page and "Recall targets" in page


def test_a_missed_target_is_a_warning_in_every_rendering():
    log_probs = np.log(np.array([[0.6, 0.4]] * 6 + [[0.3, 0.7]] * 4))  # (10, 2)
    y = np.array([1, 1, 1, 0, 0, 0, 1, 1, 1, 1])
    policy = DecisionPolicy(offsets=[0.0, 0.0], target_recall=((1, 0.95),))  # reaches 4 / 7 of class 1
    section = build_decision(y, log_probs, policy, classes=("<b>no</b>", "fault"), config=ReportConfig(bootstrap=0))
    assert section.targets[0].met is False
    report = build_report(y, np.argmax(log_probs, axis=1), ("<b>no</b>", "fault"), probs=np.exp(log_probs),
                          config=ReportConfig(bootstrap=0), decision=section)
    document = report_to_dict(report, "es")
    (missed,) = [w for w in document["warnings"] if w["code"] == "target_missed"]
    assert "0,571" in missed["message"] and "objetivo 0,950" in missed["message"]
    page = render_html(report, lang="en")
    assert "&lt;b&gt;no&lt;/b&gt;" in page and "<b>no</b>" not in page and "MISSED" in page


def test_decision_scores_agree_with_the_report_of_each_rule():
    log_probs = np.log(np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8]] * 5))
    y = np.array([0, 1, 2, 2, 1] * 4)
    policy = DecisionPolicy(cost_matrix=[[0, 1, 1], [1, 0, 1], [9, 9, 0]])
    section = build_decision(y, log_probs, policy, classes=CLASSES, config=ReportConfig(bootstrap=0))
    for rule, decisions in (("argmax", log_probs.argmax(axis=1)), ("policy", decide(log_probs, policy))):
        report = build_report(y, decisions, CLASSES, config=ReportConfig(bootstrap=0))
        for name, value in section.scores[rule].items():
            assert value == pytest.approx(report.headline[name].value, abs=1e-12), (rule, name)
        recall = [change.recall_argmax if rule == "argmax" else change.recall_policy for change in section.changes]
        assert [r.value for r in recall] == pytest.approx([row.recall.value for row in report.per_class])


def test_predict_and_evaluate_take_a_cost_matrix(files, tuned, tmp_path, capsys):
    plain, costly = tmp_path / "plain.csv", tmp_path / "costly.csv"
    assert main(["predict", str(tuned), str(files["test"]), "--out", str(plain)]) == 0
    assert main(["predict", str(tuned), str(files["test"]), "--out", str(costly), "--cost-matrix",
                 str(files["cost"])]) == 0
    before, after = pd.read_csv(plain), pd.read_csv(costly)
    assert (after["predicted"] == "critical").sum() > 0
    assert not before["predicted"].equals(after["predicted"])
    report = tmp_path / "cost.json"
    assert main(["evaluate", str(tuned), str(files["test"]), "--cost-matrix", str(files["cost"]), "--json",
                 str(report), "--bootstrap", "100"]) == 0
    cost = json.loads(report.read_text())["decision"]["cost"]
    assert cost["difference"]["value"] == pytest.approx(cost["policy"]["value"] - cost["argmax"]["value"])
    assert cost["policy"]["value"] <= cost["argmax"]["value"] + 0.05  # paying for errors as asked
    capsys.readouterr()


def test_compare_two_models(files, tuned, tmp_path, capsys):
    other = tmp_path / "plain"
    assert main(["train", str(files["train"]), "--target", "label", *QUICK, "--out", str(other)]) == 0
    capsys.readouterr()
    out = tmp_path / "compare.json"
    assert main(["compare", str(other), str(tuned), str(files["test"]), "--bootstrap", "200", "--seed", "1",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "McNemar" in printed and "B - A" in printed
    result = json.loads(out.read_text())
    assert result["n_samples"] == 400 and result["n_resamples"] == 200 and result["seed"] == 1
    assert result["mcnemar"]["method"] in ("exact", "chi2") and 0 <= result["mcnemar"]["pvalue"] <= 1
    diff = result["difference"]["accuracy"]
    assert diff["low"] <= diff["value"] <= diff["high"]
    assert result["verdict"] in printed


@pytest.mark.parametrize(("argv", "message"), [
    (["--target-recall", "critical=1.5"], "must be class=recall,class=recall with recalls in (0, 1]"),
    (["--target-recall", "typo=0.9"], "error: `--target-recall` names class 'typo'"),
    (["--cost-matrix", "missing.csv"], "missing.csv"),
    (["--calibrate", "--val-split", "0"], "error: `--calibrate` and `--target-recall` are fitted on validation rows"),
])
def test_decision_flag_errors_exit_2_with_one_line(files, tmp_path, capsys, argv, message):
    args = ["train", str(files["train"]), "--target", "label", *QUICK, "--out", str(tmp_path / "m"), *argv]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_compare_refuses_models_of_other_classes(files, tuned, tmp_path, capsys):
    frame = pd.read_csv(files["train"])
    frame["label"] = frame["label"].replace({"minor": "ok"})
    two = tmp_path / "two.csv"
    frame.to_csv(two, index=False)
    assert main(["train", str(two), "--target", "label", *QUICK, "--out", str(tmp_path / "two")]) == 0
    capsys.readouterr()
    assert main(["compare", str(tuned), str(tmp_path / "two"), str(files["test"])]) == 2
    assert "error: the models must know the same classes to be compared" in capsys.readouterr().err
