"""The texts that mean a missing value in a data file, for every reader (pandas, pyarrow, the numpy runtime's csv).

pandas' default words (``pandas._libs.parsers.STR_NA_VALUES``; a test checks they still agree), ``?``, the UCI
repository's mark of a missing value (``.data`` files: a column of numbers with ``?`` in it is numbers with some
missing, not text), and ``.``, SAS's and Stata's (their data exported as text writes a missing number as a lone
point). In a label column ``None`` is a class, not a missing label (`LABEL_NA_VALUES`).

A cell of a delimited text file that holds only whitespace is missing too, like the empty cell it looks like
(`is_blank`): exports pad a missing number with a space (VGAM's car.all: ``Eng.Rev2`` has a cell of one space among
numbers), and pandas would read such a column as text. Every text reader applies it: pandas
(`multiclass.data.table_io.read_table`), pyarrow's (streamed, `multiclass.data.stream.source`) and the numpy runtime's
csv module (`multiclass.runtime.inputs.csv_columns`). A Parquet file's strings are values as written.
"""

from __future__ import annotations

__all__ = ["LABEL_NA_VALUES", "NA_VALUES", "PANDAS_NA_VALUES", "is_blank"]

PANDAS_NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
NA_VALUES = (*PANDAS_NA_VALUES, "?", ".")
# "None" is a class in a label column (an exercise level, a grade of injury): pandas and the csv module write a
# missing Python None as an empty field, so the word in a file is a word (MASS's survey: "Freq", "Some", "None").
LABEL_NA_VALUES = tuple(text for text in NA_VALUES if text != "None")


def is_blank(text: str) -> bool:
    """Whether a non-empty cell holds only whitespace (Python's `str.isspace`, which pandas' ``.str.isspace`` and
    pyarrow's ``utf8_is_space`` also follow): a missing value in a delimited text file.

    Examples
    --------
    >>> is_blank(" "), is_blank("\\t "), is_blank(""), is_blank(" 1")
    (True, True, False, False)
    """
    return text.isspace()
