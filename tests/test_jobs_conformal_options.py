"""`set_groups` (which classes get a threshold of their own) and `set_calibration` (split, or cross-conformal on
the out-of-fold probabilities of fold models, `multiclass.jobs.cross_sets`) at train: the CLI and the estimator,
what model.json keeps, the coverage on new rows over several seeds, the reuse of the recipe search's fold models,
and every error message (English and Spanish)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch

from multiclass import SoftmaxClassifier
from multiclass.cli import main
from multiclass.cli.flags import SET_CALIBRATIONS, SET_GROUPS
from multiclass.cli.translate import translate
from multiclass.conformal import predict_sets
from multiclass.decisions import DecisionConfig
from multiclass.decisions.policy import SET_CALIBRATIONS as POLICY_CALIBRATIONS
from multiclass.decisions.policy import SET_GROUPS as POLICY_GROUPS
from multiclass.exceptions import ConfigError, DataError
from multiclass.jobs import critical as critical_job
from multiclass.persistence import load_model

torch.set_num_threads(1)

CLASSES = ["ok", "wear", "misalign", "rare"]
FEATURES = [f"s{i}" for i in range(5)]
SHARES = [0.5, 0.25, 0.17, 0.08]
# A fixed recipe (no search): fast, and the same network for the final model and the fold models.
FIXED = dict(hidden=(), lr=0.05, max_epochs=15, batch_size=64)
FAST = ["--hidden", "none", "--lr", "0.05", "--epochs", "15", "--batch-size", "64", "--quiet"]


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, 5), y (n,)): four overlapping Gaussian classes, `rare` (8 %) between `ok` and `wear` so that sets
    calibrated for all classes at once cover it far less often than the others."""
    centers = np.random.default_rng(0).normal(size=(4, 5)) * 1.5
    centers[3] = 0.55 * centers[0] + 0.45 * centers[1]
    rng = np.random.default_rng(seed)
    y = rng.choice(4, size=n, p=SHARES)
    return (centers[y] + rng.normal(size=(n, 5))).astype(np.float32), y


def table(path, n: int, seed: int):
    X, y = blobs(n, seed)
    frame = pd.DataFrame(X.round(4), columns=FEATURES)
    frame["state"] = np.array(CLASSES)[y]
    frame.to_csv(path, index=False)
    return path


def covered(clf, X, y) -> np.ndarray:
    """(n,) bool: the row's set holds its true class."""
    return clf.predict_set(X)[np.arange(len(y)), y]


# ---- the options and their errors -------------------------------------------------------------------------------

def test_the_cli_vocabularies_are_the_librarys():
    assert (SET_GROUPS, SET_CALIBRATIONS) == (POLICY_GROUPS, POLICY_CALIBRATIONS)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(coverage=0.9, set_groups="each"),
     "`set_groups` must be one of 'auto', 'marginal', 'critical', 'all'; got 'each'."),
    (dict(coverage=0.9, set_calibration="jackknife"),
     "`set_calibration` must be one of 'split', 'cross'; got 'jackknife'."),
    (dict(set_groups="all"), "`set_groups` shapes the prediction sets of `coverage`; set `coverage` too."),
    (dict(set_calibration="cross"), "`set_calibration` shapes the prediction sets of `coverage`; set `coverage` too."),
    (dict(coverage=0.9, set_groups="critical"),
     "`set_groups` 'critical' calibrates each critical class alone, and none is named; name them with `critical` "
     "or choose 'all' or 'marginal'."),
])
def test_bad_set_options_are_refused_by_the_config(kwargs, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        DecisionConfig(**kwargs)


def test_the_groups_follow_the_option():
    classes = CLASSES
    assert critical_job.set_groups(DecisionConfig(coverage=0.9), classes) is None
    assert critical_job.set_groups(DecisionConfig(coverage=0.9, critical=("rare",)), classes) == [3]
    assert critical_job.set_groups(DecisionConfig(coverage=0.9, critical=("rare",), set_groups="marginal"),
                                   classes) is None
    assert critical_job.set_groups(DecisionConfig(coverage=0.9, critical=("wear", "rare"), set_groups="critical"),
                                   classes) == [1, 3]
    assert critical_job.set_groups(DecisionConfig(coverage=0.9, set_groups="all"), classes) == "all"


def test_the_estimator_refuses_bad_options_before_training():
    X, y = blobs(300, 0)
    with pytest.raises(ConfigError, match=r"^`set_groups` 'critical' calibrates each critical class alone"):
        SoftmaxClassifier(**FIXED, coverage=0.9, set_groups="critical").fit(X, y)
    with pytest.raises(ConfigError, match=r"^`set_calibration` must be one of 'split', 'cross'; got 'cv'\.$"):
        SoftmaxClassifier(**FIXED, coverage=0.9, set_calibration="cv").fit(X, y)


@pytest.mark.parametrize(("argv", "message"), [
    (["--set-groups", "critical", "--coverage", "0.8"],
     "error: `--set-groups` 'critical' calibrates each critical class alone, and none is named; name them with "
     "`--critical` or choose 'all' or 'marginal'."),
    (["--set-groups", "all"], "error: `--set-groups` shapes the prediction sets of `--coverage`; set `--coverage` too."),
    (["--set-calibration", "cross"],
     "error: `--set-calibration` shapes the prediction sets of `--coverage`; set `--coverage` too."),
])
def test_cli_errors_name_the_flags(tmp_path, capsys, argv, message):
    data = table(tmp_path / "t.csv", 300, 0)
    assert main(["train", str(data), "--target", "state", *FAST, *argv, "--out", str(tmp_path / "m")]) == 2
    assert capsys.readouterr().err.strip() == message  # refused before training: no warning of it either
    assert not (tmp_path / "m").exists()


def test_an_unknown_choice_is_a_usage_error(tmp_path, capsys):
    data = table(tmp_path / "t.csv", 300, 0)
    assert main(["train", str(data), "--target", "state", "--coverage", "0.8", "--set-calibration", "kfold",
                 "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err  # (Python 3.12 quotes the choices, earlier ones do not)
    assert re.match(r"error: `--set-calibration`: invalid choice: 'kfold' \(choose from '?split'?, '?cross'?\)\n", err)


@pytest.mark.parametrize(("extra", "hint"), [
    ([], "Hold out more rows (`--val-split`), lower `--coverage`, pool the classes (`--set-groups` 'marginal') or "
         "calibrate on every row (`--set-calibration` 'cross')."),
    (["--set-calibration", "cross"], "Give more rows, lower `--coverage` or pool the classes (`--set-groups` "
                                     "'marginal')."),
])
def test_a_refusal_says_how_many_rows_and_which_flags_calibrate_with_fewer(tmp_path, capsys, extra, hint):
    # 300 rows: `rare` has about 24 (about 2 among the validation rows); 99 % coverage needs 99 in a group
    data = table(tmp_path / "t.csv", 300, 0)
    assert main(["train", str(data), "--target", "state", *FAST, "--coverage", "0.99", "--set-groups", "all",
                 *extra, "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the warning that 15 epochs were too few
    assert re.fullmatch(r"error: class '\w+' has \d+ calibration rows; 99 % coverage needs at least 99\. "
                        + re.escape(hint), err), err
    assert not (tmp_path / "m").exists()


def _forbid_training(monkeypatch) -> None:
    """Any model trained from here on (the final model, the recipe's search, the fold models) fails the test."""
    def trained(*args, **kwargs):
        raise AssertionError("a model was trained before the refusal")

    for trainer in ("multiclass.jobs.fit.train", "multiclass.jobs.fit.search",
                    "multiclass.jobs.cross_sets.out_of_fold_probabilities"):
        monkeypatch.setattr(trainer, trained)


@pytest.mark.parametrize("calibration", ["split", "cross"])
def test_too_few_rows_are_refused_before_any_model_trains(monkeypatch, calibration):
    """The calibration rows' labels are known before training (the validation rows, or every row for "cross"):
    the refusal comes before any model trains, with the very message the calibration gives after training."""
    X, y = blobs(300, 0)
    options = dict(**FIXED, random_state=0, coverage=0.99, set_groups="all", set_calibration=calibration)
    with monkeypatch.context() as late_check:  # the early check off: the refusal after training, as before
        late_check.setattr("multiclass.jobs.fit.check_calibration_rows", lambda *args, **kwargs: None)
        with pytest.raises(DataError) as after_training:
            SoftmaxClassifier(**options).fit(X, y)
    _forbid_training(monkeypatch)
    with pytest.raises(DataError) as before_training:
        SoftmaxClassifier(**options).fit(X, y)
    message = str(before_training.value)
    assert message == str(after_training.value)
    found = re.fullmatch(r"class '(\d+)' has (\d+) calibration rows; 99 % coverage needs at least 99\. (.+)", message)
    assert found, message
    if calibration == "cross":  # every row calibrates: the class's rows in the whole table
        assert int(found[2]) == np.bincount(y)[int(found[1])]
        assert found[3] == critical_job.FEWER_ROWS["cross", True]
    else:
        assert int(found[2]) < np.bincount(y)[int(found[1])] / 5  # the validation rows alone (10 %)
        assert found[3] == critical_job.FEWER_ROWS["split", True]


def test_the_early_check_counts_the_rows_the_calibration_uses():
    """Split: the validation rows alone; cross: the training and validation rows together. 95 % coverage needs
    19 rows of class `a`: 19 pass, 18 are refused."""
    enough, fewer = np.repeat([0, 1], [19, 40]), np.repeat([0, 1], [18, 40])
    refused = r"^class 'a' has 18 calibration rows; 95 % coverage needs at least 19\. "
    split, cross = (DecisionConfig(coverage=0.95, set_groups="all", set_calibration=c) for c in ("split", "cross"))
    critical_job.check_calibration_rows(split, ["a", "b"], y=fewer, y_val=enough)
    with pytest.raises(DataError, match=refused):
        critical_job.check_calibration_rows(split, ["a", "b"], y=enough, y_val=fewer)
    critical_job.check_calibration_rows(cross, ["a", "b"], y=enough[:10], y_val=enough[10:])
    critical_job.check_calibration_rows(cross, ["a", "b"], y=enough)  # no validation rows: every row is a fold's
    for y, y_val in ((fewer[:10], fewer[10:]), (fewer, None)):
        with pytest.raises(DataError, match=refused):
            critical_job.check_calibration_rows(cross, ["a", "b"], y=y, y_val=y_val)


@pytest.mark.parametrize(("message", "spanish"), [
    ("class 'rare' has 2 calibration rows; 90 % coverage needs at least 9. Hold out more rows (`--val-split`), "
     "lower `--coverage`, pool the classes (`--set-groups` 'marginal') or calibrate on every row "
     "(`--set-calibration` 'cross').",
     "la clase 'rare' tiene 2 filas de calibración; una cobertura del 90 % necesita al menos 9. Reserve más filas "
     "(`--val-split`), baje `--coverage`, agrupe las clases (`--set-groups` 'marginal') o calibre con todas las "
     "filas (`--set-calibration` 'cross')."),
    ("the calibration set has 10 rows; 95 % coverage needs at least 19. Hold out more rows (`--val-split`), lower "
     "`--coverage` or calibrate on every row (`--set-calibration` 'cross').",
     "el conjunto de calibración tiene 10 filas; una cobertura del 95 % necesita al menos 19. Reserve más filas "
     "(`--val-split`), baje `--coverage` o calibre con todas las filas (`--set-calibration` 'cross')."),
    ("the calibration set has 10 rows; 95 % coverage needs at least 19. Give more rows or lower `--coverage`.",
     "el conjunto de calibración tiene 10 filas; una cobertura del 95 % necesita al menos 19. Dé más filas o baje "
     "`--coverage`."),
    ("class 'rare' has 5 calibration rows; 90 % coverage needs at least 9. Give more rows, lower `--coverage` or "
     "pool the classes (`--set-groups` 'marginal').",
     "la clase 'rare' tiene 5 filas de calibración; una cobertura del 90 % necesita al menos 9. Dé más filas, baje "
     "`--coverage` o agrupe las clases (`--set-groups` 'marginal')."),
    ("`--set-groups` shapes the prediction sets of `--coverage`; set `--coverage` too.",
     "`--set-groups` da forma a los conjuntos de predicción de `--coverage`; indique también `--coverage`."),
    ("`--set-groups` 'critical' calibrates each critical class alone, and none is named; name them with "
     "`--critical` or choose 'all' or 'marginal'.",
     "`--set-groups` 'critical' calibra cada clase crítica por separado, y no se nombra ninguna; nómbrelas con "
     "`--critical` o elija 'all' o 'marginal'."),
    ("`set_calibration` must be one of 'split', 'cross'; got 'cv'.",
     "`set_calibration` debe ser uno de 'split', 'cross'; se recibió 'cv'."),
])
def test_the_new_messages_have_spanish_templates(message, spanish):
    assert translate(message, "es") == spanish


def test_the_hints_are_the_templates_english():
    """Every hint `fit_critical` appends is one the Spanish catalogue knows."""
    for hint in critical_job.FEWER_ROWS.values():
        english = re.sub(r"`(\w+)`", lambda m: f"`--{m.group(1).replace('_', '-')}`", hint)
        assert translate(f"the calibration set has 10 rows; 95 % coverage needs at least 19. {english}", "es") \
            .startswith("el conjunto de calibración tiene 10 filas; una cobertura del 95 % necesita al menos 19. ")
        assert "Hold" not in translate(f"x. {english}", "es") and "Give" not in translate(f"x. {english}", "es")


# ---- what model.json keeps ---------------------------------------------------------------------------------------

def test_cli_cross_conformal_per_class_sets_are_saved_and_predicted(tmp_path, capsys):
    data, new = table(tmp_path / "t.csv", 1500, 1), table(tmp_path / "new.csv", 500, 2)
    model = tmp_path / "m"
    assert main(["train", str(data), "--target", "state", *FAST, "--coverage", "0.8", "--set-groups", "all",
                 "--set-calibration", "cross", "--set-score", "lac", "--out", str(model)]) == 0
    assert ("prediction sets: 80% coverage, score lac, a threshold per class, calibrated on 1,500 rows "
            "(out-of-fold, 5 folds); predict --sets writes them") in capsys.readouterr().out.splitlines()
    entry = json.loads((model / "model.json").read_text())["conformal"]
    counts = pd.read_csv(data)["state"].value_counts().reindex(sorted(CLASSES))  # the model's class order
    assert entry["method"] == "cross" and entry["n_folds"] == 5 and entry["score"] == "lac"
    assert entry["groups"] == [0, 1, 2, 3] and len(entry["quantiles"]) == 4
    # every row calibrates (training and validation rows), counted per class in the model's class order
    assert entry["class_counts"] == counts.tolist() and sum(entry["class_counts"]) == 1500
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(new), "--sets", "--out", str(out)]) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    trained = load_model(model)
    probs = frame[[f"p_{name}" for name in trained.classes]].to_numpy()
    assert np.array_equal(frame[[f"in_set_{name}" for name in trained.classes]].to_numpy(),
                          predict_sets(probs, trained.conformal))


def test_cli_split_groups_marginal_overrides_the_critical_default(tmp_path, capsys):
    data = table(tmp_path / "t.csv", 1500, 1)
    said = {"auto": "un umbral para 'rare' y uno para las demás clases", "marginal": "un umbral para todas las clases",
            "critical": "un umbral para 'rare' y uno para las demás clases"}
    for groups, expected in (("auto", [0, 0, 1, 0]), ("marginal", [0, 0, 0, 0]), ("critical", [0, 0, 1, 0])):
        model = tmp_path / groups
        assert main(["train", str(data), "--target", "state", *FAST, "--critical", "rare", "--coverage", "0.8",
                     "--set-groups", groups, "--out", str(model), "--lang", "es"]) == 0
        line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("conjuntos"))
        assert f"cobertura del 80\xa0%, puntuación aps, {said[groups]}, calibrados con " in line
        assert line.endswith("filas (filas de validación apartadas); predict --sets los escribe")
        document = json.loads((model / "model.json").read_text())
        assert document["classes"] == sorted(CLASSES)  # misalign, ok, rare, wear: `rare` is code 2
        assert document["conformal"]["groups"] == expected and document["conformal"]["method"] == "split"
        assert document["conformal"]["n_folds"] is None
        assert sum(document["conformal"]["class_counts"]) == document["validation"]["n_samples"]  # those alone


def test_the_estimator_passes_each_option():
    X, y = blobs(1200, 3)
    clf = SoftmaxClassifier(**FIXED, random_state=0, coverage=0.8, set_score="raps", set_groups="all").fit(X, y)
    calibration = clf.trained_.conformal
    assert (calibration.score, calibration.mondrian, calibration.method) == ("raps", "all", "split")
    clf = SoftmaxClassifier(**FIXED, random_state=0, coverage=0.8, critical_classes=[3],
                            set_calibration="cross").fit(X, y)
    calibration = clf.trained_.conformal
    assert (calibration.method, calibration.n_folds, calibration.mondrian) == ("cross", 5, (3,))
    assert sum(calibration.class_counts) == 1200
    assert clf.get_params()["set_calibration"] == "cross"


def test_cross_needs_no_held_out_rows():
    X, y = blobs(800, 4)
    clf = SoftmaxClassifier(**FIXED, random_state=0, coverage=0.8, early_stopping=False, val_split=0.0,
                            set_calibration="cross").fit(X, y)
    assert clf.trained_.conformal.method == "cross" and sum(clf.trained_.conformal.class_counts) == 800
    with pytest.raises(ConfigError, match=r"^`val_split` must be in \(0, 1\) to fit"):
        SoftmaxClassifier(**FIXED, random_state=0, coverage=0.8, early_stopping=False, val_split=0.0).fit(X, y)


def test_the_search_fold_models_are_reused_for_cross_sets(monkeypatch):
    """A small table is cross-validated by the recipe's search: its winner's out-of-fold probabilities calibrate
    the sets (their pooled loss is the one the search ranked the winner by), the validation rows are one more fold
    scored by the final model, and no fold model is trained again."""
    seen = {}
    real = critical_job.calibrate_cross_sets

    def spy(probs, y, folds, **options):
        seen.update(probs=probs, y=y, folds=folds)
        return real(probs, y, folds, **options)

    def no_training(*args, **kwargs):
        raise AssertionError("the fold models were trained again")

    monkeypatch.setattr(critical_job, "calibrate_cross_sets", spy)
    monkeypatch.setattr("multiclass.jobs.cross_sets.out_of_fold_probabilities", no_training)
    X, y = blobs(400, 5)
    # unweighted, so that the search's pooled loss is the plain mean computed below (the auto recipe's default
    # weighs the classes, and its losses with them)
    clf = SoftmaxClassifier(random_state=0, coverage=0.8, set_calibration="cross", set_score="lac",
                            class_weight="none").fit(X, y)
    recipe = clf.trained_.recipe
    assert recipe["folds"] == 5 and clf.trained_.conformal.n_folds == 6
    folds, probs, labels = seen["folds"], seen["probs"], seen["y"]
    assert len(labels) == 400 and set(folds.tolist()) == set(range(6))
    chosen = {k: recipe["chosen"][k] for k in ("hidden", "l2", "dropout")}
    board = [entry for entry in recipe["candidates"] if entry["stage"] == "cross-validation"
             and {k: (tuple(entry[k]) if k == "hidden" else entry[k]) for k in chosen} ==
             {k: (tuple(v) if k == "hidden" else v) for k, v in chosen.items()}]
    assert len(board) == 1
    oof = folds < 5
    pooled_loss = -np.log(probs[oof][np.arange(oof.sum()), labels[oof]]).mean()
    assert pooled_loss == pytest.approx(board[0]["val_loss"], rel=1e-5)
    # the validation fold (about 10 % of the rows): each row's probabilities are the final model's of some row
    val = folds == 5
    assert 30 <= val.sum() <= 50
    final = clf.predict_proba(X)  # (400, 4)
    nearest = np.abs(probs[val][:, None, :] - final[None, :, :]).max(axis=2).min(axis=1)  # (n_val,)
    assert nearest.max() < 1e-6  # float32 networks: the same row in another batch may differ by an ulp or two


# ---- coverage on new rows ----------------------------------------------------------------------------------------

SEEDS = tuple(range(6))
# Trained until early stopping ends it (softmax regression converges in about 40 epochs here): the fold models of
# cross-conformal are then as sure as the final model, which cut short at a fixed epoch they are not.
CONVERGED = {**FIXED, "max_epochs": 100}


def _coverage_over_seeds(**options) -> tuple[np.ndarray, np.ndarray]:
    """(marginal coverage per seed (S,), per-class coverage per seed (S, 4)) of LAC sets at 0.8 on 20,000 new rows,
    each seed's model trained and calibrated on 3,000 rows of its own."""
    X_new, y_new = blobs(20_000, 99)
    marginal, per_class = [], []
    for seed in SEEDS:
        X, y = blobs(3000, 10 + seed)
        clf = SoftmaxClassifier(**CONVERGED, random_state=seed, coverage=0.8, set_score="lac", **options).fit(X, y)
        hit = covered(clf, X_new, y_new)
        marginal.append(hit.mean())
        per_class.append([hit[y_new == c].mean() for c in range(4)])
    return np.array(marginal), np.array(per_class)


def test_per_class_sets_cover_every_class_where_marginal_ones_do_not():
    """LAC sets calibrated per class (val_split 0.3: about 70 `rare` calibration rows) hold each class's true
    label with probability >= 0.8 on average over calibration sets, and below 0.8 + 1/(n_c + 1). Over 6 seeds a
    class's coverage varies by up to 0.05 from seed to seed (a mean's standard error about 0.02), so the mean of
    each class lies within 0.06 of 0.8. Marginal LAC sets on the same data never hold `rare` (its probability is
    never high enough): the check can fail."""
    _, per_class = _coverage_over_seeds(val_split=0.3, set_groups="all")
    assert np.all(np.abs(per_class.mean(axis=0) - 0.8) <= 0.06), per_class.mean(axis=0)
    _, marginal_per_class = _coverage_over_seeds(val_split=0.3)
    assert marginal_per_class.mean(axis=0)[3] < 0.3  # the premise: without groups `rare` is not covered


def test_cross_conformal_sets_cover_new_rows_as_asked():
    """Cross-conformal LAC sets calibrated on all 3,000 rows (5 fold models): the marginal coverage within 0.02 of
    0.8 on average over 6 seeds (about 0.011 from seed to seed), and each class's within 0.06 with
    `set_groups="all"` (as the split sets per class above)."""
    marginal, _ = _coverage_over_seeds(set_calibration="cross")
    assert abs(marginal.mean() - 0.8) <= 0.02, marginal
    _, per_class = _coverage_over_seeds(set_calibration="cross", set_groups="all")
    assert np.all(np.abs(per_class.mean(axis=0) - 0.8) <= 0.06), per_class.mean(axis=0)


def test_fold_probabilities_get_the_final_models_temperature(monkeypatch):
    """With `calibrate`, the sets are computed from tempered probabilities: the fold models' are tempered alike
    before they calibrate (softmax(log p / T), T the final model's)."""
    import multiclass.jobs.cross_sets as cross_sets

    seen = {}
    real_oof, real_calibrate = cross_sets.out_of_fold_probabilities, critical_job.calibrate_cross_sets

    def oof(*args, **kwargs):
        seen["oof"] = real_oof(*args, **kwargs)
        return seen["oof"]

    def spy(probs, y, folds, **options):
        seen.update(probs=probs, folds=folds)
        return real_calibrate(probs, y, folds, **options)

    monkeypatch.setattr(cross_sets, "out_of_fold_probabilities", oof)
    monkeypatch.setattr(critical_job, "calibrate_cross_sets", spy)
    X, y = blobs(1000, 6)
    clf = SoftmaxClassifier(**FIXED, random_state=0, coverage=0.8, calibrate=True, set_calibration="cross").fit(X, y)
    temperature = clf.trained_.decision.temperature
    assert abs(temperature - 1.0) > 0.02  # the premise: a temperature that changes the probabilities
    raw = seen["oof"].probs  # (1000, 4) the fold models' own
    logits = np.log(raw) / temperature
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(seen["probs"], expected, rtol=1e-9, atol=1e-12)
    assert np.array_equal(seen["folds"], seen["oof"].plan.fold) and seen["oof"].engine == "stacked"
