"""A recipe resolved against what the caller fixed: the candidates the auto recipe will search (or the seed's one)
and the config of the final training. `multiclass.jobs.recipe.search` then ranks the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from multiclass.training.config import TrainConfig
from multiclass.training.recipes import (AUTO_EPOCHS, SEARCHED, SEED, SETTINGS, Candidate, Recipe, auto_candidates,
                                         cross_validated_candidates)

__all__ = ["DENSE_SETTINGS", "EXPLICIT_FIELDS", "TEXT_SETTINGS", "Plan", "explicit_fields", "plan"]

# TrainConfig fields a library caller fixes by setting them away from their defaults.
EXPLICIT_FIELDS = ("lr", "l2", "batch_size", "epochs", "patience", "monitor", "lr_patience")
# What the auto recipe sets on CSR rows (TF-IDF text) where the caller set neither: it aims at macro-F1, as the
# validation loss turns a few epochs in, long before the decisions stop improving (docs/recipes.md; RESULTS 7a).
TEXT_SETTINGS = {"monitor": "val_macro_f1", "class_weight": "balanced"}
# What the auto recipe sets on other rows (tables, images) where the caller set no class weight: the square root of
# the balanced weights. Early stopped on the validation loss, an unweighted model predicts the majority wherever the
# evidence is thin, and macro-F1 -- the report's measure of the rare classes -- pays: on 66 data frames no one had
# tuned on it lifted the share at or above the better scikit-learn model from 31 to 41 for 0.35 accuracy points on
# average (bench/RESULTS.md 7a, 7c); full "balanced" weights cost accuracy hard where a class dominates.
DENSE_SETTINGS = {"class_weight": "sqrt_balanced"}


@dataclass(frozen=True)
class Plan:
    """What a recipe leaves to decide: the candidates (one when nothing is searched) and the config of the final
    training (its epochs and patience resolved)."""

    recipe: Recipe
    candidates: list[Candidate]
    config: TrainConfig
    # what the search tries instead when it cross-validates (`multiclass.jobs.recipe.search`): `candidates` with
    # converged softmax regressions and the fixed-length candidates; empty: `candidates`
    cross_validated: list[Candidate] = field(default_factory=list)


def explicit_fields(config: TrainConfig) -> dict:
    """TrainConfig fields of `EXPLICIT_FIELDS` set away from their defaults: the library's way of saying "fixed"."""
    default = TrainConfig()
    return {name: getattr(config, name) for name in EXPLICIT_FIELDS if getattr(config, name) != getattr(default, name)}


def plan(recipe, *, hidden, dropout, config: TrainConfig, n_rows: int, n_features: int, n_classes: int,
         sparse: bool = False) -> Plan:
    """Resolve `recipe` ("auto", "seed" or a `Recipe`) against what the caller fixed.

    Fixed: the recipe's own `fixed`, `hidden` and `dropout` when not None, and the fields of `config` among
    `EXPLICIT_FIELDS` that differ from `TrainConfig`'s defaults. The auto recipe takes `TEXT_SETTINGS` on `sparse`
    (CSR) rows and `DENSE_SETTINGS` on others, where `config` keeps the defaults.
    """
    recipe = recipe if isinstance(recipe, Recipe) else Recipe(str(recipe))
    fixed = {**explicit_fields(config), **recipe.fixed}
    if hidden is not None:
        fixed["hidden"] = tuple(hidden)
    if dropout is not None:
        fixed["dropout"] = float(dropout)
    if recipe.name == "seed":
        settings = {**SEED, **fixed}
        candidate = Candidate(tuple(settings["hidden"]), float(settings["dropout"]), float(settings["l2"]),
                              float(settings["lr"]), int(settings["batch_size"]))
        training = {k: settings[k] for k in ("epochs", "monitor", "patience", "lr_patience")}
        return Plan(recipe, [candidate], replace(config, **training))
    searched = {k: v for k, v in fixed.items() if k in SEARCHED}
    candidates = auto_candidates(n_rows, n_features, n_classes, fixed=searched, sparse=sparse)
    settings = {k: v for k, v in fixed.items() if k in SETTINGS}
    defaults = TEXT_SETTINGS if sparse else DENSE_SETTINGS
    taken = {k: v for k, v in defaults.items() if getattr(config, k) == getattr(TrainConfig(), k)}
    final = replace(config, **{"epochs": AUTO_EPOCHS, **taken, **settings})
    folded = cross_validated_candidates(candidates, n_rows, fixed=fixed) if len(candidates) > 1 and not sparse else []
    return Plan(Recipe(recipe.name, fixed), candidates, final, folded)
