"""Package faces that import their parts on first use (PEP 562), as SciPy and scikit-learn do.

A package face lists its public names; with `lazy_face` the module behind a name is imported only when the
name is first used, so ``from multiclass.training import TrainConfig`` costs the config module alone, not the
training loop and torch. The command line relies on it to parse flags in a fraction of a second.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_face"]


def lazy_face(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list]]:
    """``(__getattr__, __dir__)`` for `package`, whose public names live in other modules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> ``"module:attribute"`` (the attribute of that module), or ``"module"`` (the module itself).

    Examples
    --------
    >>> getattr_, dir_ = lazy_face("demo", {"sqrt": "math:sqrt", "json": "json"})
    >>> getattr_("sqrt")(9.0), getattr_("json").__name__, dir_()
    (3.0, 'json', ['json', 'sqrt'])
    """
    def __getattr__(name: str):
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        return getattr(module, attribute) if attribute else module

    def __dir__() -> list:
        return sorted(exports)

    return __getattr__, __dir__
