"""The auto recipe: its candidates, its plan against what the caller fixed, and its staged search."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from multiclass.exceptions import ConfigError
from multiclass.jobs import recipe
from multiclass.jobs.plan import plan
from multiclass.jobs.recipe import MIN_RUNG_ROWS, _cost, _representatives, rung_rows, search
from multiclass.training import TrainConfig
from multiclass.training.recipes import SEED, Candidate, Recipe, auto_candidates, batch_size_for


def _data(n, n_features=12, n_classes=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=n_features, n_informative=8, n_classes=n_classes,
                               random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def test_rung_rows_divide_by_three_down_to_the_minimum():
    assert rung_rows(54_000) == [54_000, 18_000, 6_000, 2_000]
    assert rung_rows(2_500) == [2_500]
    assert min(rung_rows(10**6)) >= MIN_RUNG_ROWS


def test_representatives_are_one_per_shape_at_moderate_regularisation():
    candidates = auto_candidates(3_000, 20, 4)
    reps = _representatives(candidates)
    assert [r.hidden for r in reps] == list(dict.fromkeys(c.hidden for c in candidates))
    for rep in reps:
        family = [c for c in candidates if c.hidden == rep.hidden]
        assert rep.dropout == min(c.dropout for c in family)
        l2s = sorted(c.l2 for c in family if c.dropout == rep.dropout)
        assert rep.l2 == l2s[(len(l2s) - 1) // 2]


def test_candidates_range_from_softmax_regression_to_hundreds_of_units():
    shapes = {c.hidden for c in auto_candidates(30_000, 50, 10)}
    assert () in shapes and (25, 15) in shapes and max(sum(s) for s in shapes) >= 512
    assert {c.hidden for c in auto_candidates(300, 5, 3)} >= {(), (25, 15)}
    assert max(max(s, default=0) for s in {c.hidden for c in auto_candidates(300, 5, 3)}) < 512
    assert {c.hidden for c in auto_candidates(5_000, 2_000, 20, sparse=True)} == {(), (256,)}


def test_fixed_hyperparameters_stay_in_every_candidate():
    candidates = auto_candidates(3_000, 20, 4, fixed={"hidden": (8,), "l2": 0.01})
    assert {(c.hidden, c.l2) for c in candidates} == {((8,), 0.01)}
    assert {c.batch_size for c in auto_candidates(3_000, 20, 4)} == {batch_size_for(3_000)}


def test_plan_seed_is_the_course_recipe():
    chosen = plan("seed", hidden=None, dropout=None, config=TrainConfig(), n_rows=1000, n_features=4, n_classes=3)
    assert chosen.candidates == [Candidate((25, 15), 0.0, SEED["l2"], 1e-3, 32)]
    assert (chosen.config.epochs, chosen.config.patience, chosen.config.monitor) == (100, 20, "val_accuracy")


def test_plan_keeps_what_the_caller_gives():
    chosen = plan("auto", hidden=(40,), dropout=None, config=TrainConfig(lr=0.01), n_rows=1000, n_features=4,
                  n_classes=3)
    assert {(c.hidden, c.lr) for c in chosen.candidates} == {((40,), 0.01)}
    assert chosen.recipe.fixed == {"hidden": (40,), "lr": 0.01}
    assert chosen.config.epochs == 500  # decided by early stopping, not a 100-epoch cap


@pytest.mark.parametrize("sparse, config, monitor, weight", [
    (True, TrainConfig(), "val_macro_f1", "balanced"),  # TF-IDF text: aims at macro-F1 (docs/recipes.md)
    (False, TrainConfig(), "val_loss", "sqrt_balanced"),  # tables keep the loss, weighted by sqrt(balanced)
    (False, TrainConfig(class_weight="none"), "val_loss", "none"),  # unless the caller says no weights
    (False, TrainConfig(class_weight="balanced"), "val_loss", "balanced"),
    (True, TrainConfig(monitor="val_accuracy"), "val_accuracy", "balanced"),  # a monitor the caller gives is kept
    (True, TrainConfig(class_weight="none"), "val_macro_f1", "none"),  # so are weights, "none" included
    (True, TrainConfig(class_weight={"a": 2.0}), "val_macro_f1", {"a": 2.0}),
])
def test_plan_aims_text_at_macro_f1_unless_the_caller_says_otherwise(sparse, config, monitor, weight):
    chosen = plan("auto", hidden=None, dropout=None, config=config, n_rows=5000, n_features=2000, n_classes=20,
                  sparse=sparse)
    assert (chosen.config.monitor, chosen.config.class_weight) == (monitor, weight)
    seed = plan("seed", hidden=None, dropout=None, config=config, n_rows=5000, n_features=2000, n_classes=20,
                sparse=sparse)
    assert seed.config.monitor == (config.monitor if config.monitor != "val_loss" else "val_accuracy")
    assert seed.config.class_weight == config.class_weight  # the course's recipe: no weights unless asked


def test_unknown_recipe_names_the_choices():
    with pytest.raises(ConfigError, match=r"`recipe` must be one of \['auto', 'seed'\]; got 'best'"):
        Recipe("best")


def test_search_trains_every_candidate_on_every_row_when_the_budget_allows(monkeypatch):
    monkeypatch.setattr(recipe, "MIN_CV_ROWS", 10**6)  # too few rows to cross-validate (tests/test_jobs_crossval.py)
    X, y = _data(400)
    candidates = auto_candidates(300, 12, 3)[:4]
    found = search(X[:300], y[:300], X[300:], y[300:], candidates, classes=["a", "b", "c"],
                   base=TrainConfig(verbose=False, seed=0))
    assert {e["stage"] for e in found.board} == {"all"} and len(found.board) == 4 and found.folds == 0
    assert found.rungs == [300] and found.winner in candidates
    best = min(found.board, key=lambda e: e["val_loss"])  # the default monitor
    assert found.winner.to_dict() == {k: best[k] for k in found.winner.to_dict()}


@pytest.mark.parametrize("roomy", [True, False], ids=["whole-grid", "dropout-only"])
def test_search_stages_capacity_then_regularisation_within_its_budget(roomy, monkeypatch):
    monkeypatch.setattr(recipe, "STEP_MACS", 0.0)  # multiply-adds alone: the stages' costs as the test sets them
    X, y = _data(4_000)
    X_tr, y_tr, X_va, y_va = X[:3_000], y[:3_000], X[3_000:], y[3_000:]
    candidates = [Candidate(h, d, l2, 1e-3, 32) for h in [(), (16,), (32, 16)] for d in (0.0, 0.3)
                  for l2 in (0.0, 1e-4, 1e-3) if not (h == () and d)]
    capacity_cost = _cost(_representatives(candidates), 1_000, 3_000, 12, 3, 1_000)
    family_cost = max(_cost([c for c in candidates if c.hidden == h], 1_000, 3_000, 12, 3, 1_000)
                      for h in {c.hidden for c in candidates})
    budget = 2.01 * max(capacity_cost, family_cost) if roomy else 2.01 * capacity_cost
    base = TrainConfig(verbose=False, seed=0)
    found = search(X_tr, y_tr, X_va, y_va, candidates, classes=["a", "b", "c"], base=base, budget=budget)
    stages = [e["stage"] for e in found.board]
    assert stages.count("capacity") == 3 and "all" not in stages
    capacity = [e for e in found.board if e["stage"] == "capacity"]
    assert {round(e["rows"], -1) for e in capacity} == {1_000}  # a third of the rows (stratified, rounded)
    best = min(capacity, key=lambda e: e["val_loss"])  # the default monitor
    family = [c for c in candidates if c.hidden == tuple(best["hidden"])]
    if not roomy:  # the whole grid does not fit what is left: dropout alone, at the shape's moderate L2
        family = [c for c in family if c.l2 == best["l2"]]
    assert found.winner.hidden == tuple(best["hidden"]) and found.winner in family
    tried = [(tuple(e["hidden"]), e["dropout"], e["l2"]) for e in found.board if e["stage"] == "regularisation"]
    assert sorted(tried) == (sorted((c.hidden, c.dropout, c.l2) for c in family) if len(family) > 1 else [])
    again = search(X_tr, y_tr, X_va, y_va, candidates, classes=["a", "b", "c"], base=base, budget=budget)
    assert again.winner == found.winner and again.board == found.board  # the same data and seed choose alike


def test_search_says_each_stage_on_stderr_when_verbose(capsys, monkeypatch):
    monkeypatch.setattr(recipe, "MIN_CV_ROWS", 10**6)
    X, y = _data(400)
    search(X[:300], y[:300], X[300:], y[300:], auto_candidates(300, 12, 3)[:2], classes=["a", "b", "c"],
           base=TrainConfig(verbose=True, seed=0, log_every=1000))
    err = capsys.readouterr().err
    assert "recipe auto: 2 candidates on all 300 training rows" in err


def test_search_reads_csr_rows_without_densifying_them():
    import scipy.sparse as sp

    X, y = _data(400)
    X = sp.csr_matrix(np.where(X > 0.5, X, 0.0).astype(np.float32))
    candidates = auto_candidates(300, 12, 3, sparse=True)
    assert {c.hidden for c in candidates} == {(), (256,)}
    found = search(X[:300], y[:300], X[300:], y[300:], candidates[:3], classes=["a", "b", "c"],
                   base=TrainConfig(verbose=False, seed=0))
    assert len(found.board) == 3 and all(e["val_loss"] is not None for e in found.board)
    assert found.winner in candidates[:3]


def test_many_small_steps_cost_more_than_their_multiply_adds():
    """Same rows and network, so the same multiply-adds: four times the steps costs more by their fixed cost."""
    small, large = Candidate((16,), 0.0, 0.0, 1e-3, 32), Candidate((16,), 0.0, 0.0, 1e-3, 128)
    rows = 20_000  # batch_size_for(20,000) is 64: the 32-row candidate keeps its 32
    extra = _cost([small], rows, rows, 12, 3) - _cost([large], rows, rows, 12, 3)
    epochs = recipe.expected_epochs(rows)
    assert extra == pytest.approx(recipe.STEP_MACS * (625 - 313) * epochs)
