"""What a data argument may name -- an existing file or folder, or a built-in dataset -- checked with the standard
library alone, so that the command line says a mistyped path before it imports any reader (or torch)."""

from __future__ import annotations

from pathlib import Path

from multiclass.exceptions import DataError

__all__ = ["BUILTIN_NAMES", "check_source", "is_builtin"]

# The built-in datasets (`multiclass.data.builtin` describes and reads each): scikit-learn's, then the IDX sets.
BUILTIN_NAMES = ("iris", "wine", "digits", "mnist", "fashion-mnist")


def is_builtin(path_or_name: str | Path) -> bool:
    """Whether `path_or_name` is a built-in dataset's name (a file or folder of that name is read instead)."""
    return isinstance(path_or_name, str) and path_or_name in BUILTIN_NAMES and not Path(path_or_name).exists()


def check_source(path_or_name: str | Path) -> None:
    """Raise DataError unless `path_or_name` is an existing file or folder or a built-in dataset's name.

    Examples
    --------
    >>> check_source("iris")
    >>> check_source("no/such.csv")
    Traceback (most recent call last):
    ...
    multiclass.exceptions.DataError: no/such.csv: no such file or folder, and not a built-in dataset (iris, wine, digits, mnist, fashion-mnist).
    """
    if not is_builtin(path_or_name) and not Path(path_or_name).exists():
        raise DataError(f"{path_or_name}: no such file or folder, and not a built-in dataset "
                        f"({', '.join(BUILTIN_NAMES)}).")
