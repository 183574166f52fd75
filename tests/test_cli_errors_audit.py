"""The bad-input catalogue of `multiclass audit` and `train --drop-suspects` (machinery: tests/catalogue.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from multiclass.audit import audit_probabilities, write_audit
from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    GOOD,
    case,
    cases_of,
    check_case,
    q,
    train_table,
    trained_model,
    write,
)

FAST = ["--recipe", "seed", "--epochs", "1", "--quiet"]
CODES = np.arange(30) % 3  # the labels of GOOD: 'xyz'[i % 3], classes x, y, z


def audit_argv(data, tmp, *extra) -> list[str]:
    return ["audit", str(data), "--target", "y", *FAST, *extra, "--out", str(tmp / "audit")]


def an_audit(tmp, labels=CODES, classes=("x", "y", "z")):
    """A real audit folder of `labels` (probabilities that doubt every tenth row)."""
    probs = np.full((len(labels), len(classes)), 0.1)
    probs[np.arange(len(labels)), labels] = 0.8
    probs[::10] = probs[::10, ::-1]
    probs /= probs.sum(axis=1, keepdims=True)
    folder = tmp / "audit"
    write_audit(audit_probabilities(labels, probs, classes=classes), folder, html=False)
    return folder


def dropping(tmp, folder=None):
    """(data, audit folder, argv) of `train --drop-suspects` on GOOD (with a real audit of it unless `folder`)."""
    data = write(tmp / "data.csv", GOOD)
    folder = an_audit(tmp) if folder is None else folder
    return data, folder, train_table(data, "--drop-suspects", str(folder))


@case("`multiclass audit --out` names a file")
def audit_out_is_a_file(tmp, model):
    data, out = write(tmp / "data.csv", GOOD), write(tmp / "audit", "not a folder")
    return audit_argv(data, tmp), rf"^{q(out)}: is a file; give a folder for the audit's files\.$"


@case("`multiclass audit` with more folds than rows")
def audit_folds_exceed_rows(tmp, model):
    data = write(tmp / "data.csv", "a,y\n1,x\n2,y\n3,x\n4,y\n")
    return audit_argv(data, tmp, "--folds", "5"), r"^`--folds` \(5\) must not exceed the number of rows \(4\)\.$"


@case("`multiclass audit` with folds too small to hold validation rows")
def audit_folds_too_small(tmp, model):
    data = write(tmp / "data.csv", "a,y\n1,x\n2,y\n3,z\n4,x\n5,y\n6,z\n")
    return (audit_argv(data, tmp, "--folds", "3"),
            r"^fold 0: the 4 rows outside it are too few to both train and early-stop a model \(val_split=0\.1\); "
            r"pass more rows or use fewer folds\.$")


@case("`multiclass audit --val-split 0`")
def audit_without_validation(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    return (audit_argv(data, tmp, "--val-split", "0"),
            r"^`--val-split` must be > 0 for an audit: each fold model early-stops on a share of its rows; got 0\.$")


@case("`multiclass audit --fold-engine stacked` with the seed recipe's learning-rate plateau")
def audit_stacked_with_lr_patience(tmp, model):
    data = write(tmp / "data.csv", GOOD)
    return (audit_argv(data, tmp, "--fold-engine", "stacked"),
            r"^the stacked engine trains float32 models without `--lr-patience`; got lr_patience=5, "
            r"precision='float32' \(use engine='separate'\)\.$")


@case("`multiclass audit` of a folder of table shards")
def audit_of_shards(tmp, model):
    shards = tmp / "shards"
    write(shards / "part-0.csv", GOOD)
    write(shards / "part-1.csv", GOOD)
    return (audit_argv(shards, tmp),
            rf"^{q(shards)}: an audit reads its data whole \(it trains 5 fold models on it\); a folder of shards or a "
            r"table larger than memory is not supported yet\.$")


@case("`train --drop-suspects` names a folder with no audit")
def drop_suspects_no_audit(tmp, model):
    (tmp / "empty").mkdir()
    _, folder, argv = dropping(tmp, tmp / "empty")
    return (argv,
            rf"^{q(folder / 'audit.json')}: no such file; pass the folder `write_audit` wrote \(it holds audit\.json "
            r"and suspects\.csv\)\.$")


@case("`train --drop-suspects` with an audit of other data")
def drop_suspects_other_data(tmp, model):
    _, folder, argv = dropping(tmp, an_audit(tmp, labels=np.arange(20) % 2, classes=("a", "b")))
    return (argv,
            rf"^{q(folder)}: the audit was made on other data \(20 rows, classes \['a', 'b'\]\); its row numbers do "
            r"not apply to these 30 rows\.$")


@case("`train --drop-suspects` whose suspects.csv has a line that is no row number")
def drop_suspects_bad_row(tmp, model):
    data, folder, argv = dropping(tmp)
    write(folder / "suspects.csv", "row,given\n3,x\n30,y\n")
    return (argv,
            rf"^{q(folder / 'suspects.csv')}: line 3: 'row' must be a row number in \[0, 30\); got '30'\.$")


@case("`train --drop-suspects` whose suspects.csv lost its 'row' column")
def drop_suspects_no_row_column(tmp, model):
    data, folder, argv = dropping(tmp)
    write(folder / "suspects.csv", "given,likely\nx,y\n")
    return (argv,
            rf"^{q(folder / 'suspects.csv')}: needs a 'row' column; found \['given', 'likely'\]\.$")


@case("`train --drop-suspects` whose audit.json is not JSON")
def drop_suspects_broken_json(tmp, model):
    data, folder, argv = dropping(tmp)
    write(folder / "audit.json", "{not json")
    return (argv,
            rf"^{q(folder / 'audit.json')}: not valid JSON \(.+\)\.$")


@case("`train --drop-suspects` whose audit.json is another record")
def drop_suspects_not_an_audit(tmp, model):
    data, folder, argv = dropping(tmp)
    write(folder / "audit.json", json.dumps({"schema": "multiclass-report/1"}))
    return (argv,
            rf"^{q(folder / 'audit.json')}: is not an audit record \(schema 'multiclass-audit/1'\)\.$")


@case("`train --drop-suspects` with a streamed audit (no fingerprint of its labels)")
def drop_suspects_streamed_audit(tmp, model):
    data, folder, argv = dropping(tmp)
    record = json.loads((folder / "audit.json").read_text())
    write(folder / "audit.json", json.dumps({**record, "labels_sha256": None}))
    return (argv,
            rf"^{q(folder)}: the audit holds no fingerprint of its labels \(a streamed audit\), so its row numbers "
            r"cannot be checked against these rows; drop the rows of suspects\.csv yourself\.$")


@case("`train --drop-suspects` whose suspects are every row")
def drop_suspects_every_row(tmp, model):
    data, folder, argv = dropping(tmp)
    write(folder / "suspects.csv", "row\n" + "".join(f"{i}\n" for i in range(30)))
    return (argv,
            rf"^{q(folder)}: lists every row of {q(data)} as a suspect; nothing is left to train on\.$")


@case("`train --drop-suspects` of a streamed table")
def drop_suspects_streamed_table(tmp, model):
    data, folder, argv = dropping(tmp)
    return (argv + ["--stream"],
            r"^`--drop-suspects` applies to data read whole; a streamed table cannot drop rows\.$")


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    """The same case with MULTICLASS_LANG=es: the one line is the Spanish translation of the English message."""
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")
