"""The bad-input catalogue of `multiclass evaluate` (tests/catalogue.py holds the machinery)."""

from __future__ import annotations


import pytest

from multiclass.cli import main
from tests.catalogue import (  # noqa: F401 - trained_model is a fixture
    case,
    cases_of,
    check_case,
    q,
    trained_model,
    write,
)


@case("labels at evaluate time that the model never saw")
def unseen_labels_at_evaluate(tmp, model):
    p = write(tmp / "new.csv", "a,b,y\n1,2,x\n3,4,w\n5,6,v\n")
    return (["evaluate", str(model), str(p)],
            rf"^{q(p)}: column 'y': labels never seen in training: 'v', 'w'; the model knows 'x', 'y', 'z'\.$")


@case("streamed evaluation of a table without the target column")
def streamed_evaluate_no_target(tmp, model):
    data = write(tmp / "new.csv", "a,b\n1,2\n")
    return (["evaluate", str(model), str(data), "--stream"],
            rf"^{q(data)}: evaluation needs labels \(column 'y'\); the data has none\.$")


def test_evaluate_with_fewer_rows_than_classes(trained_model, tmp_path, capsys):
    """Not an error: K = 3 classes and one labelled row; the absent classes get empty rows."""
    import json

    data = write(tmp_path / "one.csv", "a,b,y\n1,2,x\n")
    report = tmp_path / "evaluation.json"
    assert main(["evaluate", str(trained_model), str(data), "--json", str(report)]) == 0
    capsys.readouterr()
    assert json.loads(report.read_text())  # a complete JSON document (its layout belongs to the report's tests)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input(name, trained_model, tmp_path, monkeypatch, capsys):
    check_case(name, trained_model, tmp_path, monkeypatch, capsys)


@pytest.mark.parametrize("name", cases_of(__name__))
def test_bad_input_in_spanish(name, trained_model, tmp_path, monkeypatch, capsys):
    """The same case with MULTICLASS_LANG=es: the one line is the Spanish translation of the English message."""
    check_case(name, trained_model, tmp_path, monkeypatch, capsys, lang="es")
