"""``tfidf`` state -> features: the tokens, n-grams, term counts (or ``1 + ln(count)``), idf and L2 norm of
`multiclass.data.text.TfidfPreprocessor`, summed in the same order so the features are the same bits.

Tokens are runs of Unicode word characters (``\\w+``) of the NFC-normalised (optionally lowercased) text; a
missing text is the empty text (no features, a zero row).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from multiclass.runtime.features.base import FeatureMap
from multiclass.savedstate import is_positive_int
from multiclass.runtime.schema import Field
from multiclass.runtime.values import InputError

__all__ = ["TfidfFeatures", "terms", "tokens"]

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str, lowercase: bool) -> list[str]:
    """Runs of word characters of the NFC-normalised (optionally lowercased) text."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text.lower() if lowercase else text))


def terms(text: str, ngram_range: tuple[int, int], lowercase: bool) -> list[str]:
    """The document's terms: word n-grams for every n in `ngram_range`, words joined by one space.

    Examples
    --------
    >>> terms("La Canción del NIÑO", (1, 2), True)
    ['la', 'canción', 'del', 'niño', 'la canción', 'canción del', 'del niño']
    """
    words = tokens(text, lowercase)
    out: list[str] = []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        out += words if n == 1 else [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return out


def _is_df(value: Any) -> bool:
    return not isinstance(value, bool) and (is_positive_int(value) or (isinstance(value, float) and 0.0 <= value <= 1.0))


class TfidfFeatures(FeatureMap):
    """One text field -> L2-normalised TF-IDF rows over the saved vocabulary."""

    kind = "tfidf"
    params_names = ("vocabulary", "ngram_range", "lowercase", "min_df", "max_df", "max_features")
    array_names = ("idf",)

    def __init__(self, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray], data: Mapping) -> None:
        # model files written before sublinear_tf existed lack it: they used raw counts
        self.params_names = type(self).params_names + (("sublinear_tf",) if "sublinear_tf" in params else ())
        super().__init__(params, arrays)
        self.sublinear_tf = "sublinear_tf" in params and self.param("sublinear_tf", lambda v: isinstance(v, bool),
                                                                     "true or false")
        vocabulary = self.param("vocabulary", lambda v: isinstance(v, list) and len(v) > 0
                                and all(isinstance(t, str) for t in v), "a non-empty list of terms")
        grams = self.param("ngram_range", lambda v: isinstance(v, list) and len(v) == 2 and all(is_positive_int(n) for n in v)
                           and v[0] <= v[1], "[min_n, max_n] with 1 <= min_n <= max_n")
        self.lowercase = self.param("lowercase", lambda v: isinstance(v, bool), "true or false")
        self.param("min_df", _is_df, "an int >= 1 or a float in [0, 1]")
        self.param("max_df", _is_df, "an int >= 1 or a float in (0, 1]")
        self.param("max_features", lambda v: v is None or is_positive_int(v), "null or an int >= 1")
        self.ngram_range = (grams[0], grams[1])
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = self.array("idf", (len(vocabulary),))
        self.n_features = len(vocabulary)
        options = data.get("load_options") or {}
        self.fields = (Field(str(options.get("text_column") or "text"), "text"),)

    def tfidf(self, texts: list[str]) -> np.ndarray:
        """Float64 TF-IDF (N, V)."""
        triplets = [  # (row, column, count) of every non-zero entry, in the preprocessor's order
            (row, col, count)
            for row, text in enumerate(texts)
            for col, count in Counter(self.index[t] for t in terms(text, self.ngram_range, self.lowercase)
                                      if t in self.index).items()
        ]
        rows, cols, counts = np.array(triplets, dtype=np.int64).reshape(-1, 3).T  # each (nnz,)
        tf = counts.astype(np.float64)
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)  # counts are >= 1 here
        values = tf * self.idf[cols]  # term frequency * idf
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))  # (N,)
        X = np.zeros((len(texts), self.n_features))
        X[rows, cols] = values / norms[rows]
        return X

    def texts(self, columns, *, strict: bool = False, allow_extra: bool = True) -> list[str]:
        """The field's values as texts (missing: the empty text)."""
        (column,), _ = self.columns(columns, allow_extra=allow_extra)
        name = self.fields[0].name
        texts = []
        for i, value in enumerate(column.tolist() if isinstance(column, np.ndarray) else column):
            if value is None or (not strict and isinstance(value, float) and value != value):  # missing: empty text
                texts.append("")
            elif isinstance(value, str):
                texts.append(value)
            elif strict:
                raise InputError("must be a string or null.", field=name, row=i + 1)
            else:
                texts.append(str(value))
        return texts

    def transform(self, columns, *, strict: bool = False, allow_extra: bool = True) -> np.ndarray:
        texts = self.texts(columns, strict=strict, allow_extra=allow_extra)
        return np.ascontiguousarray(self.tfidf(texts).astype(np.float32))
