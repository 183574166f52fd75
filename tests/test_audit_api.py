"""The audit verb end to end: arrays and datasets (ids, thumbnails, snippets), the audit folder, dropping suspects."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from multiclass.audit import (
    AuditConfig,
    FoldRecipe,
    audit,
    audit_batches,
    audit_probabilities,
    drop_suspects,
    suspects_to_drop,
    write_audit,
)
from multiclass.audit.outputs import CSV_COLUMNS, suspects_csv
from multiclass.data import load_dataset
from multiclass.exceptions import ConfigError, DataError
from multiclass.training import TrainConfig
from tests.audit_helpers import noisy_problem
from tests.data_helpers import make_image

QUICK = FoldRecipe(hidden=(16,), config=TrainConfig(epochs=4, verbose=False))


@pytest.fixture(scope="module")
def flipped_digits(digits):
    X, y = digits
    rng = np.random.default_rng(0)
    given = y.copy()
    flip = rng.random(len(y)) < 0.08
    given[flip] = (y[flip] + rng.integers(1, 10, flip.sum())) % 10
    return X, given, flip


def test_audit_finds_flipped_labels_in_digits(flipped_digits):
    X, given, flip = flipped_digits
    result = audit(X, given, folds=5, recipe=FoldRecipe(config=TrainConfig(epochs=30, verbose=False)))
    flagged = np.zeros(len(given), bool)
    flagged[result.suspects.row] = True
    precision, recall = (flagged & flip).sum() / flagged.sum(), (flagged & flip).sum() / flip.sum()
    assert precision > 0.7 and recall > 0.7, (precision, recall)
    assert result.probs.shape == (len(given), 10) and result.folds["n_folds"] == 5
    assert result.noise_rate == pytest.approx(flip.mean(), abs=0.04)


def test_audit_equals_audit_probabilities_on_its_out_of_fold_probabilities(flipped_digits):
    X, given, _ = flipped_digits
    result = audit(X, given, folds=3, recipe=QUICK, filter_by="both", rank_by="normalized_margin", top_n=5)
    again = audit_probabilities(given, result.probs, config=result.config)
    np.testing.assert_array_equal(result.suspects.row, again.suspects.row)
    np.testing.assert_array_equal(result.findings.confident_joint, again.findings.confident_joint)
    assert np.bincount(result.suspects.given).max() <= 5
    batches = audit_batches(lambda: [(given[:900], result.probs[:900]), (given[900:], result.probs[900:])],
                            classes=result.classes, config=result.config)
    np.testing.assert_array_equal(batches.suspects.row, result.suspects.row)


def test_image_folder_suspects_get_thumbnails_and_paths(tmp_path):
    rng = np.random.default_rng(0)
    for label, colour in (("red", (220, 20, 20)), ("blue", (20, 20, 220))):
        for i in range(30):
            jitter = tuple(int(c) for c in np.clip(np.array(colour) + rng.integers(-20, 20, 3), 0, 255))
            make_image(tmp_path / "imgs" / label / f"{i:02d}.png", size=(8, 8), color=jitter)
    # Two blue images filed under red: the audit must point at them.
    for i in range(2):
        make_image(tmp_path / "imgs" / "red" / f"wrong{i}.png", size=(8, 8), color=(20, 20, 220))
    dataset = load_dataset(tmp_path / "imgs")
    recipe = FoldRecipe(hidden=(8,), config=TrainConfig(epochs=40, lr=0.01, batch_size=8, verbose=False))
    result = audit(dataset, folds=3, recipe=recipe)
    ids = [result.suspect_id(int(r)) for r in result.suspects.row]
    assert {"red/wrong0.png", "red/wrong1.png"} <= set(ids)
    first = result.examples[int(result.suspects.row[0])]
    assert first.thumbnail.startswith("data:image/png;base64,") and first.snippet is None
    page = (write_audit(result, tmp_path / "audit")["html"]).read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in page and "red/wrong0.png" in page


def test_text_suspects_get_snippets_and_ids(tmp_path):
    rows = [{"id": f"doc{i}", "label": "sport" if i % 2 else "food",
             "text": ("goal match team score " if i % 2 else "bread cheese soup recipe ") * 3} for i in range(80)]
    rows[5]["label"] = "food"  # a sport text labelled food (row 5 is odd: sport)
    rows[5]["text"] = "=HYPERLINK(evil) goal match team score, a long text " * 6
    pd.DataFrame(rows).to_csv(tmp_path / "docs.csv", index=False)
    dataset = load_dataset(tmp_path / "docs.csv", text_column="text", target="label", id_column="id")
    # Confident learning is cautious on 80 rows (row 5's 0.83 for 'sport' is below that class's threshold), so
    # this test, about what is attached to a suspect, flags every row whose most probable class is not its label.
    recipe = FoldRecipe(hidden=(8,), config=TrainConfig(epochs=40, lr=0.01, batch_size=8, verbose=False))
    result = audit(dataset, folds=4, recipe=recipe, filter_by="predicted_neq_given")
    assert 5 in result.suspects.row.tolist()
    snippet = result.examples[5].snippet
    assert snippet.startswith("=HYPERLINK(evil) goal") and snippet.endswith("…") and len(snippet) == 160
    written = write_audit(result, tmp_path / "audit", lang="es")
    with open(written["csv"], encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    record = next(r for r in records if r["row"] == "5")
    assert record["id"] == "doc5" and record["snippet"].startswith("'=HYPERLINK(evil)")  # a formula no more
    assert written["html"].name == "audit.es.html"


def test_suspects_csv_guards_formulas_and_keeps_numbers_exact():
    labels, probs, _ = noisy_problem(n=500, k=4, noise=0.15)
    names = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)"]
    result = audit_probabilities(labels, probs, classes=names)
    result.ids = np.array(["\tid"] * 250 + ["\rid"] * 250, dtype=object)
    records = list(csv.DictReader(io.StringIO(suspects_csv(result), newline="")))
    assert tuple(records[0]) == CSV_COLUMNS and len(records) == len(result.suspects)
    for record in records:
        for column in ("given", "likely", "id"):
            assert record[column][0] == "'"
    assert [float(r["probability"]) for r in records] == result.suspects.probability.tolist()
    assert [int(r["row"]) for r in records] == result.suspects.row.tolist()


def test_drop_suspects_keeps_critical_classes_and_respects_edits(tmp_path):
    labels, probs, _ = noisy_problem(n=600, k=3, noise=0.15)
    X = np.arange(600, dtype=np.float32)[:, None]
    names = ["a", "b", "c"]
    result = audit_probabilities(labels, probs, classes=names)
    folder = write_audit(result, tmp_path / "audit", html=False)["csv"].parent
    rows = suspects_to_drop(folder, labels, names)
    np.testing.assert_array_equal(rows, np.sort(result.suspects.row))
    X_kept, y_kept = drop_suspects(X, folder, y=labels, classes=names)
    assert len(y_kept) == 600 - len(rows) and not np.isin(X_kept[:, 0], rows).any()
    kept_b = suspects_to_drop(folder, labels, names, critical=["b"])
    assert not (labels[kept_b] == 1).any() and len(kept_b) == len(rows) - (labels[rows] == 1).sum()
    np.testing.assert_array_equal(suspects_to_drop(folder, labels, names, critical=["b"], drop_critical=True), rows)
    # A reviewer deletes the lines of the rows that are fine: those rows stay.
    lines = (folder / "suspects.csv").read_text(encoding="utf-8").splitlines()
    (folder / "suspects.csv").write_text("\n".join(lines[:1] + lines[3:]) + "\n", encoding="utf-8")
    assert len(suspects_to_drop(folder, labels, names)) == len(rows) - 2


def test_drop_suspects_from_a_dataset_keeps_ids_aligned(tmp_path):
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(300)], "x": np.r_[np.zeros(150), np.ones(150)],
                          "y": ["p"] * 150 + ["q"] * 150})
    frame.loc[[3, 7], "y"] = "q"  # two rows of the p cluster labelled q
    frame.to_csv(tmp_path / "t.csv", index=False)
    dataset = load_dataset(tmp_path / "t.csv", target="y", id_column="id")
    recipe = FoldRecipe(hidden=(4,), config=TrainConfig(epochs=30, lr=0.01, verbose=False))
    result = audit(dataset, folds=3, recipe=recipe, filter_by="predicted_neq_given")
    folder = write_audit(result, tmp_path / "audit", html=False)["json"].parent
    assert {3, 7} <= set(result.suspects.row.tolist())
    kept = drop_suspects(dataset, folder)
    assert "r3" not in set(kept.ids) and len(kept.ids) == len(kept.y) == 300 - len(result.suspects)
    assert json.loads((folder / "audit.json").read_text())["source"]["kind"] == "table"


def test_drop_messages(tmp_path):
    labels, probs, _ = noisy_problem(n=200, k=3, noise=0.2)
    names = ["a", "b", "c"]
    folder = write_audit(audit_probabilities(labels, probs, classes=names), tmp_path / "audit", html=False)[
        "csv"].parent
    with pytest.raises(DataError, match=r"the audit was made on other data \(200 rows, classes \['a', 'b', 'c'\]\)"):
        suspects_to_drop(folder, labels[::-1], names)
    with pytest.raises(ConfigError, match=r"`critical` names class 'z', which is not one of the classes"):
        suspects_to_drop(folder, labels, names, critical=["z"])
    with pytest.raises(DataError, match=r"audit.json: no such file; pass the folder `write_audit` wrote"):
        suspects_to_drop(tmp_path, labels, names)
    streamed = audit_batches(lambda: [(labels, probs)], classes=names)
    write_audit(streamed, tmp_path / "streamed", html=False)
    with pytest.raises(DataError, match=r"streamed: the audit holds no fingerprint of its labels \(a streamed audit\)"):
        suspects_to_drop(tmp_path / "streamed", labels, names)
    (folder / "suspects.csv").write_text("row,id\n12\nx1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"suspects.csv: line 3: 'row' must be a row number in \[0, 200\); got 'x1'"):
        suspects_to_drop(folder, labels, names)
    (folder / "audit.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match=r"audit.json: is not an audit record \(schema 'multiclass-audit/1'\)"):
        suspects_to_drop(folder, labels, names)


def test_write_audit_with_a_bad_language_writes_nothing(tmp_path):
    labels, probs, _ = noisy_problem(n=100, k=3)
    with pytest.raises(ConfigError, match=r"`lang` must be one of en, es; got 'de'"):
        write_audit(audit_probabilities(labels, probs), tmp_path / "audit", lang="de")
    assert not any((tmp_path / "audit").iterdir())


def test_audit_messages(digits):
    X, y = digits
    with pytest.raises(DataError, match=r"`y` must be given with an array `X` \(or pass a Dataset\)"):
        audit(X)
    with pytest.raises(DataError, match=r"`y` must be 1-D integer class codes; got shape \(1797,\), dtype float64"):
        audit(X, y.astype(float))
    with pytest.raises(DataError, match=r"`classes` must name the 10 classes; got 2 names"):
        audit_probabilities(y, np.full((len(y), 10), 0.1), classes=["a", "b"])
    with pytest.raises(ConfigError, match=r"`top_n` must be an integer >= 1 or None; got 0"):
        audit(X, y, top_n=0)
    with pytest.raises(ConfigError, match=r"`num_to_remove_per_class` must have one entry per class \(10\); got 2"):
        audit_probabilities(y, np.full((len(y), 10), 0.1), config=AuditConfig(num_to_remove_per_class=(1, 2)))
    with pytest.raises(DataError, match=r"an audit needs at least 2 classes; got 1"):
        audit(X[:10], np.zeros(10, dtype=int))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("frac_noise", 0.0, r"`frac_noise` must be in \(0, 1\]; got 0.0"),
    ("min_examples_per_class", -1, r"`min_examples_per_class` must be an integer >= 0; got -1"),
    ("num_to_remove_per_class", (1, -1), r"`num_to_remove_per_class` must hold integers >= 0; got \(1, -1\)"),
    ("confidence", 1.0, r"`confidence` must be in \(0, 1\); got 1.0"),
    ("rank_by", "loss", r"`rank_by` must be one of \['self_confidence', 'normalized_margin'\]; got 'loss'"),
])
def test_config_messages(field, value, message):
    with pytest.raises(ConfigError, match=message):
        AuditConfig(**{field: value})
