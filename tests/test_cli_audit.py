"""`multiclass audit` end to end (in-process), `train --drop-suspects`, and the audit vocabularies of the parser."""

from __future__ import annotations

import json

from multiclass.audit import FILTERS, RANKINGS
from multiclass.audit.folds import ENGINES
from multiclass.audit.strings import audit_strings
from multiclass.cli import main
from multiclass.cli.parser import AUDIT_FILTERS, AUDIT_RANKINGS, FOLD_ENGINES

FAST = ["--recipe", "seed", "--epochs", "3", "--quiet"]


def test_parser_vocabularies_are_the_library_s():
    assert (AUDIT_FILTERS, AUDIT_RANKINGS, FOLD_ENGINES) == (tuple(FILTERS), tuple(RANKINGS), tuple(ENGINES))


def test_audit_then_train_without_the_suspects(tmp_path, capsys):
    folder = tmp_path / "audit"
    code = main(["audit", "iris", *FAST, "--folds", "3", "--filter-by", "both", "--rank-by", "normalized_margin",
                 "--lang", "es", "--out", str(folder)])
    out = capsys.readouterr().out
    assert code == 0
    assert audit_strings("es")["title"] in out and "filas señaladas" in out
    record = json.loads((folder / "audit.json").read_text())
    assert record["config"]["filter_by"] == "both" and record["config"]["rank_by"] == "normalized_margin"
    assert record["folds"]["n_folds"] == 3 and record["folds"]["recipe"]["name"] == "seed"
    assert (folder / "audit.es.html").read_text().startswith("<!DOCTYPE html>")
    flagged = record["n_flagged"]
    assert flagged > 0  # 3 epochs of training leave plenty of doubt on iris

    model = tmp_path / "model"
    assert main(["train", "iris", *FAST, "--drop-suspects", str(folder), "--out", str(model)]) == 0
    out = capsys.readouterr().out
    assert f"{flagged} suspects listed in {folder} left out of training" in out
    saved = json.loads((model / "model.json").read_text())["data"]
    assert saved["dropped_suspects"] == {"audit": str(folder), "dropped": flagged, "kept_critical": 0}
    assert saved["n_samples"] == record["n_samples"] - flagged


def test_train_keeps_the_suspects_of_recall_target_classes_unless_asked(tmp_path, capsys):
    folder, trained = tmp_path / "audit", ["--recipe", "seed", "--epochs", "50", "--lr", "0.01", "--quiet"]
    assert main(["audit", "iris", *trained, "--folds", "3", "--out", str(folder)]) == 0
    record = json.loads((folder / "audit.json").read_text())
    critical = sum(1 for s in record["suspects"] if s["given"] == "virginica")
    assert 0 < critical < record["n_flagged"]
    for extra, dropped in (([], record["n_flagged"] - critical), (["--drop-critical"], record["n_flagged"])):
        model = tmp_path / f"model{len(extra)}"
        assert main(["train", "iris", *FAST, "--target-recall", "virginica=0.7", "--drop-suspects", str(folder),
                     *extra, "--out", str(model)]) == 0
        capsys.readouterr()
        saved = json.loads((model / "model.json").read_text())["data"]["dropped_suspects"]
        assert saved["dropped"] == dropped and saved["kept_critical"] == record["n_flagged"] - dropped
