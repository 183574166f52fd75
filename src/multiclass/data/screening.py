"""Which table columns are left out before fitting, and why: one rule for the in-memory and the streamed loader.

A column is left out, with a `DataWarning` naming it, when

- *every value is missing*: it carries nothing (scikit-learn's ``SimpleImputer`` drops such columns too);
- it *looks like a row identifier*: a text column (one the loader would one-hot encode) with at least
  `ID_FRACTION` x rows distinct values -- customer codes, names, free-text notes -- which one-hot encodes into a
  column per row that the network can only memorise (the ecoli sequence names cost 5 macro-F1 points); or an
  integer column holding each integer of a run ``lo, lo + 1, ..., lo + rows - 1`` exactly once: a row number;
  or an integer column named as an identifier (``id``, ``customer_id``, ``PassengerId``: `has_id_name`) with a
  different value on every row -- a file split or sampled before it reaches us keeps its ids but no run. Float
  columns are never identifiers (a measurement can be unique per row), and neither is a table of fewer than
  `ID_MIN_ROWS` rows, where uniqueness says nothing;
- it is *a row index written out*: a column with no name in the header (pandas calls it ``Unnamed: 0``) holding
  integers or text, a different value on every row -- what R's ``write.csv`` and pandas' ``to_csv`` put first
  (every Rdatasets CSV has one). Kept as a number it is no row number once the rows are shuffled or split, and a
  file sorted by class makes it a perfect and worthless feature (COUNT's titanic, sorted by class: 1.000).

A column named in ``categorical`` is always kept (the user said what it is); ``ignore`` and ``id_column`` already
leave columns out. The decision needs, per column, its row and present counts, its type, its distinct values and,
for integers, the run test: `ColumnFacts`, computed from a DataFrame here (`column_facts`) or from the streamed
scan's counts (`multiclass.data.stream.scan`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from multiclass.exceptions import DataError, DataWarning
from multiclass.data.columns import category_values, infer_column_type

__all__ = ["ID_FRACTION", "ID_MIN_ROWS", "ColumnFacts", "column_facts", "counts_distinct", "has_id_name",
           "is_unnamed", "left_out_reason", "no_features_error", "screen_columns", "warn_left_out"]

ID_FRACTION = 0.95  # distinct values / rows from which a text column is an identifier (ecoli's names: 336/336)
ID_MIN_ROWS = 20  # below this many rows, every column of a small table may be unique by chance
MISSING_REASON = "every value is missing"
ROW_INDEX_REASON = ("it has no name in the header and a different value on every row: a row index written with "
                    "the data")
# A header cell left empty: every CSV reader names it "Unnamed: <position>", as pandas does (with "_level_<n>"
# under a multi-line header, `table_format.header_names`); a Parquet column may still be named "".
_UNNAMED = re.compile(r"(Unnamed: \d+(_level_\d+)?)?")
# An identifier's name: id, idx, index, row, row_id, rowid, row_number; anything ending "_id" / " id" / ".id" / "-id"
# in any case; camelCase "...Id" / "...ID" after a lower-case letter (PassengerId, CustomerID).
_ID_NAME = re.compile(r"(?i:id|idx|index|row|row_?id|row_?num(ber)?|.+[_ .-]id)|.*[a-z](Id|ID)")
KEEP_HINT = "name it in `categorical` to keep it as a feature, or in `id_column` to carry it to the predictions"


@dataclass(frozen=True)
class ColumnFacts:
    """What the rule needs to know about one column.

    Attributes
    ----------
    n_rows, n_present : int
        Rows of the table, and rows where this column has a value.
    kind : {"numeric", "bool", "categorical"}
        The type the loader would give it (`multiclass.data.columns.infer_column_type`).
    n_distinct : int or None
        Distinct present values (None: not counted, e.g. a float column).
    integer_range : (int, int) or None
        ``(min, max)`` of an integer column without missing values; None for anything else.
    name : str or None
        The column's name: an empty header cell (`is_unnamed`) or an identifier's name (`has_id_name`) say more.
    """

    n_rows: int
    n_present: int
    kind: str
    n_distinct: int | None = None
    integer_range: tuple[int, int] | None = None
    name: str | None = None


def is_unnamed(name: str) -> bool:
    """Whether a column's header cell was empty (``""``, or pandas' ``Unnamed: 3``)."""
    return _UNNAMED.fullmatch(str(name)) is not None


def is_row_number_candidate(n_rows: int, integer_range: tuple[int, int] | None) -> bool:
    """Whether an integer column spans exactly ``n_rows`` consecutive values (distinctness is checked apart)."""
    return integer_range is not None and n_rows >= ID_MIN_ROWS and integer_range[1] - integer_range[0] + 1 == n_rows


def has_id_name(name: str) -> bool:
    """Whether a column's name says it identifies rows: ``id``, ``ID``, ``index``, ``row_id``, ``customer_id``,
    ``PassengerId``, ``CustomerID`` (not ``Kid``, ``acid``, ``valid``: a word ending in "id")."""
    return _ID_NAME.fullmatch(str(name)) is not None


def counts_distinct(name: str, n_rows: int, integer_range: tuple[int, int] | None) -> bool:
    """Whether the rule needs the distinct values of an integer column (`integer_range` not None): a row-number
    candidate, one without a name (a written-out row index) or one named as an identifier."""
    return integer_range is not None and (is_unnamed(name) or has_id_name(name)
                                          or is_row_number_candidate(n_rows, integer_range))


def left_out_reason(facts: ColumnFacts) -> str | None:
    """Why the column is left out (the end of the warning), or None to keep it."""
    if facts.n_present == 0:
        return MISSING_REASON
    unnamed = facts.name is not None and is_unnamed(facts.name)
    if (unnamed and facts.n_rows >= 2 and facts.n_distinct == facts.n_rows
            and (facts.kind == "categorical" or facts.integer_range is not None)):
        return ROW_INDEX_REASON
    if facts.n_rows < ID_MIN_ROWS:
        return None
    if (facts.kind == "numeric" and is_row_number_candidate(facts.n_rows, facts.integer_range)
            and facts.n_distinct == facts.n_rows):
        low, high = facts.integer_range
        return f"it looks like a row number (each integer from {low} to {high} once)"
    named_id = (facts.kind == "numeric" and facts.integer_range is not None and facts.name is not None
                and has_id_name(facts.name) and facts.n_distinct == facts.n_rows)  # customer_id, PassengerId
    if named_id or (facts.kind == "categorical" and facts.n_distinct is not None
                    and facts.n_distinct >= ID_FRACTION * facts.n_rows):
        return f"it looks like a row identifier ({facts.n_distinct:,} distinct values in {facts.n_rows:,} rows)"
    return None


def no_features_error(left_out: dict[str, str]) -> DataError:
    """The error when nothing is left to learn from, naming what was left out and why."""
    listing = "; ".join(f"{name!r}: {reason}" for name, reason in left_out.items())
    return DataError("there are no feature columns left to learn from" + (f" (left out: {listing})." if listing else "."))


def warn_left_out(where: str, left_out: dict[str, str]) -> None:
    """One `DataWarning` per column left out: ``<file>: column 'x' is left out: <reason>[; <how to keep it>].``"""
    for name, reason in left_out.items():
        hint = "" if reason == MISSING_REASON else f"; {KEEP_HINT}"
        warnings.warn(f"{where}: column {name!r} is left out: {reason}{hint}.", DataWarning, stacklevel=3)


def column_facts(series: pd.Series, name: str) -> ColumnFacts:
    """The facts of one in-memory column (may raise `infer_column_type`'s typo error, naming the row)."""
    n_present = int(series.notna().sum())
    if n_present == 0:
        return ColumnFacts(len(series), 0, "categorical")
    kind = infer_column_type(series, name)
    integer = pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series)
    integer_range = (int(series.min()), int(series.max())) if integer and n_present == len(series) else None
    counted = kind == "categorical" or counts_distinct(name, len(series), integer_range)
    # distinct as the category strings the loader would make (3 and 3.0 are one), as the streamed scan counts them
    n_distinct = len({v for v in category_values(series) if v is not None}) if counted else None
    return ColumnFacts(len(series), n_present, kind, n_distinct, integer_range, name)


def screen_columns(frame: pd.DataFrame, columns: Sequence[str], *, keep: Sequence[str] = (),
                   where: str) -> tuple[list[str], dict[str, str]]:
    """Split `columns` of `frame` into the features kept and ``{name: reason}`` left out (each warned about).

    Columns in `keep` (``categorical``) are always kept.
    """
    kept, left_out = [], {}
    for name in columns:
        reason = None if name in keep else left_out_reason(column_facts(frame[name], name))
        if reason is None:
            kept.append(name)
        else:
            left_out[name] = reason
    if left_out and not kept:
        raise no_features_error(left_out)  # the error names them: no warnings before it
    warn_left_out(where, left_out)
    return kept, left_out
