"""The model.json entries of the classes that matter: ``critical`` (their names) and ``conformal`` (the calibrated
prediction sets, `ConformalCalibration.to_dict`), written by `multiclass.persistence` and read back, checked, by it
and by the torch-free runtime alike (numpy only).
"""

from __future__ import annotations

from collections.abc import Sequence

from multiclass.conformal.calibration import ConformalCalibration
from multiclass.exceptions import ModelFileError

__all__ = ["NO_SETS", "critical_codes", "critical_entries", "read_critical_entries"]

# What asking a model without a conformal calibration for prediction sets says (every runtime).
NO_SETS = "the model has no prediction sets; train it with `coverage` (--coverage) set."


def critical_entries(trained) -> dict:
    """``{"critical": [...], "conformal": {...}}`` of a model, only the entries it has (older readers ignore
    what is absent)."""
    entries = {}
    if getattr(trained, "critical", ()):
        entries["critical"] = [str(name) for name in trained.critical]
    if getattr(trained, "conformal", None) is not None:
        entries["conformal"] = trained.conformal.to_dict()
    return entries


def read_critical_entries(document: dict, classes: Sequence[str]) -> dict:
    """``{"critical": tuple of str, "conformal": ConformalCalibration or None}`` of a checked model.json.

    Raises
    ------
    ModelFileError
        ``critical`` is not a list of the model's class names, or ``conformal`` is malformed or for another
        number of classes.
    """
    names = [str(c) for c in classes]
    critical = document.get("critical") or []
    if not (isinstance(critical, list) and all(isinstance(c, str) and c in names for c in critical)):
        raise ModelFileError(f"model.json: malformed model file (`critical` must list class names of {names}; got "
                             f"{critical!r:.80}).")
    entry = document.get("conformal")
    conformal = None
    if entry is not None:
        conformal = ConformalCalibration.from_dict(entry)
        if conformal.n_classes != len(names):
            raise ModelFileError(f"model.json: malformed model file (the conformal calibration is for "
                                 f"{conformal.n_classes} classes; the model has {len(names)}).")
    return {"critical": tuple(critical), "conformal": conformal}


def critical_codes(critical: Sequence[str], classes: Sequence[str]) -> tuple[int, ...]:
    """The class codes of the critical class names (names not among `classes` are left out)."""
    names = [str(c) for c in classes]
    return tuple(names.index(str(name)) for name in critical if str(name) in names)
