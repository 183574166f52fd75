"""Text in a table column, or a folder of text files -> TF-IDF features, computed here in numpy so the vocabulary
and idf can be saved as JSON plus one array (no pickled vectorizer).

The numbers match scikit-learn's ``TfidfVectorizer`` with ``token_pattern=r"(?u)\\b\\w+\\b"`` and the same options:
term counts (or ``1 + ln(count)`` with ``sublinear_tf``), smooth idf ``ln((1 + n) / (1 + df)) + 1``, each row
scaled to unit L2 norm (an empty row stays zero), and an alphabetically sorted vocabulary. Text is lowercased with
``str.lower`` and normalised to Unicode NFC, and tokens are runs of Unicode word characters (``\\w+``), so accented
words such as "canción" and "niño" stay whole even when the file stores accents as combining marks. The output is
dense float32, or a CSR matrix when asked (``sparse=True``); the vocabulary is capped at ``max_features`` (default
20000 terms: 80 KB per dense row). `load_text` defaults to sublinear tf, ``min_df="auto"`` and, for sparse rows, a
cap of `SPARSE_MAX_FEATURES` terms (see there).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from multiclass.exceptions import ConfigError, DataError, ModelFileError
from multiclass.data.dataset import Dataset
from multiclass.data.labels import encode_labels, errors_about, fit_classes
from multiclass.data.preprocessing import (
    Preprocessor,
    SavedState,
    is_name_list,
    is_positive_int,
    register_preprocessor,
)
from multiclass.data.table_format import given_formats
from multiclass.data.text_sources import read_texts

__all__ = ["TfidfPreprocessor", "tokenize", "analyze", "load_text"]

TOKEN_PATTERN = r"\w+"
_TOKEN = re.compile(TOKEN_PATTERN, re.UNICODE)
MAX_FEATURES = 20_000  # dense float32 output: 20000 terms * 4 bytes = 80 KB per document
# `load_text`'s cap for sparse rows, whose cost is their stored terms, not the vocabulary: a classifier's best words
# include rare ones (names, places, a sender's signature), and keeping the 20,000 most frequent of a larger
# vocabulary cost LogisticRegression on a third of it 2.1 macro-F1 points on austen and 11.6 on trump_tweets
# (bench/RESULTS.md 7a). scikit-learn's TfidfVectorizer keeps every term; this bound keeps one layer of 256 units
# within 100 MB (20 Newsgroups' posts have ~60,000 terms in 2+ documents).
SPARSE_MAX_FEATURES = 100_000
# load_text's default: word pairs did not help on the benchmark's text sets (bench/text_features.py, LogisticRegression
# on our TF-IDF: macro-F1 fortunes 0.295 -> 0.281, austen 0.857 -> 0.839, trump_tweets 0.266 -> 0.267) and cost
# 2-4x the time to build; pass ngram_range=(1, 2) to try them.
NGRAM_RANGE = (1, 1)
# From this many terms on, `load_text` returns CSR rows by default (training and prediction read them sparse).
SPARSE_TERMS = 2_000
AUTO_MIN_DF_DOCS = 20  # min_df="auto" asks for 2 documents per term only from this many documents on


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Lowercase (optionally), normalise to NFC and split into ``\\w+`` tokens.

    Examples
    --------
    >>> tokenize("La Canción del NIÑO")
    ['la', 'canción', 'del', 'niño']
    """
    return _TOKEN.findall(unicodedata.normalize("NFC", text.lower() if lowercase else text))


def analyze(text: str, *, ngram_range: tuple[int, int] = (1, 1), lowercase: bool = True) -> list[str]:
    """The document's terms: word n-grams for every n in ``ngram_range``, words joined by one space.

    Examples
    --------
    >>> analyze("a b c", ngram_range=(1, 2))
    ['a', 'b', 'c', 'a b', 'b c']
    """
    tokens = tokenize(text, lowercase=lowercase)
    low, high = ngram_range
    terms: list[str] = []
    for n in range(low, high + 1):
        terms += tokens if n == 1 else [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return terms


def _is_df(value: Any, *, allow_zero: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return value >= 1
    return isinstance(value, float) and (0.0 <= value if allow_zero else 0.0 < value) and value <= 1.0


@register_preprocessor
class TfidfPreprocessor(Preprocessor):
    """Texts -> L2-normalised TF-IDF rows over a vocabulary learned from the training texts.

    Parameters
    ----------
    ngram_range : (int, int), default=(1, 1)
        Smallest and largest word n-gram.
    min_df, max_df : int or float, default=1 and 1.0
        Keep terms found in at least ``min_df`` and at most ``max_df`` documents (a float is a fraction of them).
        ``min_df="auto"`` is 2 -- a word seen in one training document only is noise to a classifier -- unless
        the corpus has fewer than `AUTO_MIN_DF_DOCS` documents or 2 would leave no term, then 1; the value used
        is ``min_df_`` (and what `state` saves).
    max_features : int or None, default=20000
        Keep the most frequent terms (by total count; ties by alphabetical order). Bounds the dense output.
    lowercase : bool, default=True
        Lowercase before tokenising.
    sublinear_tf : bool, default=False
        Use ``1 + ln(count)`` instead of the raw count (scikit-learn's ``sublinear_tf``): a word said ten times
        is not ten times the evidence. `load_text` turns it on.

    The defaults are scikit-learn's ``TfidfVectorizer``'s, so the two agree term for term (the tests check it);
    `load_text`, the loader users call, picks the better defaults for classification (see its docstring).
    """

    kind = "tfidf"

    def __init__(
        self,
        ngram_range=(1, 1),
        min_df=1,
        max_df=1.0,
        max_features: int | None = MAX_FEATURES,
        lowercase=True,
        sublinear_tf: bool = False,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.lowercase = lowercase
        self.sublinear_tf = sublinear_tf
        self.vocabulary_: list[str] | None = None
        self.idf_: np.ndarray | None = None
        self.min_df_ = min_df

    def _validate(self) -> None:
        low_high = self.ngram_range
        if not (
            isinstance(low_high, (tuple, list))
            and len(low_high) == 2
            and all(is_positive_int(n) for n in low_high)
            and low_high[0] <= low_high[1]
        ):
            raise ConfigError(f"`ngram_range` must be (min_n, max_n) with 1 <= min_n <= max_n; got {low_high!r}.")
        for name, allow_zero in (("min_df", True), ("max_df", False)):
            value = getattr(self, name)
            if not (_is_df(value, allow_zero=allow_zero) or (name == "min_df" and value == "auto")):
                extra = ", or 'auto'" if name == "min_df" else ""
                raise ConfigError(f"`{name}` must be an int >= 1 or a float in [0, 1]{extra}; got {value!r}.")
        if not isinstance(self.sublinear_tf, (bool, np.bool_)):
            raise ConfigError(f"`sublinear_tf` must be True or False; got {self.sublinear_tf!r}.")
        if self.max_features is not None and not is_positive_int(self.max_features):
            raise ConfigError(f"`max_features` must be an int >= 1 or None; got {self.max_features!r}.")

    def _terms(self, texts: Sequence[str]) -> list[list[str]]:
        grams = (int(self.ngram_range[0]), int(self.ngram_range[1]))
        return [analyze(t, ngram_range=grams, lowercase=self.lowercase) for t in texts]

    def fit(self, raw: Sequence[str]) -> TfidfPreprocessor:
        """Learn the vocabulary and idf from the training texts."""
        self._validate()
        docs = self._terms(raw)
        if not any(docs):
            raise DataError("every text is empty (no word characters); there is nothing to learn from.")
        n_docs = len(docs)
        df = Counter(term for doc in docs for term in set(doc))
        min_df = self.min_df
        if min_df == "auto":
            min_df = 2 if n_docs >= AUTO_MIN_DF_DOCS and any(count >= 2 for count in df.values()) else 1
        low = min_df if isinstance(min_df, (int, np.integer)) else min_df * n_docs
        high = self.max_df if isinstance(self.max_df, (int, np.integer)) else self.max_df * n_docs
        if high < low:
            raise ConfigError(
                f"`min_df` must not ask for more documents than `max_df` allows; got min_df={min_df!r} "
                f"({low:g} of {n_docs} documents) and max_df={self.max_df!r} ({high:g})."
            )
        self.min_df_ = min_df
        kept = [t for t, count in df.items() if low <= count <= high]
        if self.max_features is not None and len(kept) > self.max_features:
            totals = Counter(term for doc in docs for term in doc)
            kept = sorted(kept, key=lambda t: (-totals[t], t))[: self.max_features]
        if not kept:
            raise DataError(f"no terms are left after min_df={min_df!r} and max_df={self.max_df!r}; lower min_df.")
        self.vocabulary_ = sorted(kept)
        counts = np.array([df[t] for t in self.vocabulary_], dtype=np.int64)
        self.idf_ = np.log((n_docs + 1) / (counts + 1)) + 1.0  # smooth idf, as scikit-learn
        return self

    def tfidf(self, raw: Sequence[str], *, sparse: bool = False) -> np.ndarray | sp.csr_matrix:
        """The TF-IDF matrix in float64 (N, V), before `transform` rounds it to float32; CSR if `sparse`."""
        self._check_fitted("vocabulary_")
        index = {term: i for i, term in enumerate(self.vocabulary_)}
        triplets = [  # (row, column, count) of every non-zero entry, as in a sparse COO matrix
            (row, col, count)
            for row, doc in enumerate(self._terms(raw))
            for col, count in Counter(index[t] for t in doc if t in index).items()
        ]
        rows_, cols_, counts = np.array(triplets, dtype=np.int64).reshape(-1, 3).T  # each (nnz,)
        tf = counts.astype(np.float64)
        if self.sublinear_tf:
            tf = 1.0 + np.log(tf)  # as scikit-learn: counts are >= 1 here, so no log(0)
        values = tf * self.idf_[cols_]  # term frequency * idf
        norms = np.sqrt(np.bincount(rows_, weights=values * values, minlength=len(raw)))  # (N,)
        values = values / norms[rows_]
        shape = (len(raw), len(self.vocabulary_))
        if sparse:
            return sp.csr_matrix((values, (rows_, cols_)), shape=shape)  # (N, V), duplicates impossible
        X = np.zeros(shape)
        X[rows_, cols_] = values
        return X

    def transform(self, raw: Sequence[str], *, sparse: bool = False) -> np.ndarray | sp.csr_matrix:
        """TF-IDF rows as float32 (N, V), dense or (``sparse=True``) a CSR matrix; unknown words are dropped."""
        X = self.tfidf(raw, sparse=sparse)
        return X.astype(np.float32) if sparse else np.ascontiguousarray(X.astype(np.float32))

    @property
    def feature_names_(self) -> tuple[str, ...]:
        self._check_fitted("vocabulary_")
        return tuple(self.vocabulary_)

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``params = {"vocabulary", "ngram_range", "lowercase", "min_df", "max_df", "max_features",
        "sublinear_tf"}``, ``arrays = {"idf"}`` (float64, one per term). ``min_df`` is the value used (``min_df_``)."""
        self._check_fitted("vocabulary_")
        params = {
            "vocabulary": list(self.vocabulary_),
            "ngram_range": [int(n) for n in self.ngram_range],
            "lowercase": bool(self.lowercase),
            "min_df": self.min_df_,
            "max_df": self.max_df,
            "max_features": self.max_features,
            "sublinear_tf": bool(self.sublinear_tf),
        }
        return params, {"idf": self.idf_.copy()}

    @classmethod
    def from_state(cls, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> TfidfPreprocessor:
        saved = SavedState(
            cls.kind,
            params,
            arrays,
            # model files written before sublinear_tf existed lack it: they used raw counts
            param_names=("vocabulary", "ngram_range", "lowercase", "min_df", "max_df", "max_features")
            + (("sublinear_tf",) if "sublinear_tf" in params else ()),
            array_names=("idf",),
        )
        vocabulary = saved.param("vocabulary", lambda v: is_name_list(v) and len(v) > 0, "a non-empty list of terms")
        if vocabulary != sorted(set(vocabulary)):
            raise ModelFileError("preprocessor 'tfidf': parameter 'vocabulary' must be sorted and free of duplicates.")
        grams = saved.param(
            "ngram_range",
            lambda v: isinstance(v, list) and len(v) == 2 and all(is_positive_int(n) for n in v) and v[0] <= v[1],
            "[min_n, max_n] with 1 <= min_n <= max_n",
        )
        lowercase = saved.param("lowercase", lambda v: isinstance(v, bool), "true or false")
        min_df = saved.param("min_df", lambda v: _is_df(v, allow_zero=True), "an int >= 1 or a float in [0, 1]")
        max_df = saved.param("max_df", lambda v: _is_df(v, allow_zero=False), "an int >= 1 or a float in (0, 1]")
        max_features = saved.param("max_features", lambda v: v is None or is_positive_int(v), "null or an int >= 1")
        sublinear = "sublinear_tf" in params and saved.param("sublinear_tf", lambda v: isinstance(v, bool), "true or false")
        pre = cls(tuple(grams), min_df, max_df, max_features, lowercase, sublinear)
        pre.vocabulary_ = list(vocabulary)
        pre.idf_ = saved.array("idf", (len(vocabulary),))
        return pre


def load_text(
    path: str | Path,
    *,
    text_column: str = "text",
    target: str | None = None,
    id_column: str | None = None,
    ngram_range: tuple[int, int] = NGRAM_RANGE,
    min_df: float | str = "auto",
    max_df: float = 1.0,
    max_features: int | None | str = "auto",
    sublinear_tf: bool = True,
    sparse: bool | str = "auto",
    preprocessor: TfidfPreprocessor | None = None,
    classes: Sequence[str] = (),
    target_dtype: str = "str",
    sep: str | None = None,
    header: bool | None = None,
    names: Sequence[str] | None = None,
) -> Dataset:
    """Load texts and labels -- a table with a text column and a label column, or a folder of class sub-folders of
    text files (`multiclass.data.text_folder`) -- as TF-IDF features.

    The defaults are the field's best simple baseline for classification, scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True, min_df=2)``: ``1 + ln(count)`` term frequencies, terms of at least 2
    training documents (1 for a corpus under 20 documents), single words, L2-normalised rows. Word pairs
    (``ngram_range=(1, 2)``) were measured and did not help on the benchmark's text sets (`bench/text_features.py`).

    Parameters
    ----------
    path : str or Path
        CSV/TSV/Parquet file (read by `multiclass.data.table.read_table`), or a folder ``root/<class>/<doc>``
        (a flat folder of documents at prediction).
    text_column : str, default="text"
        The column holding the texts (missing -> empty text).
    target : str
        The label column (required for training a table; optional at prediction). Not used for a folder.
    id_column : str, optional
        A column carried through to predictions as ``ids`` (a folder's ids are the file paths).
    ngram_range, min_df, max_df, max_features, sublinear_tf
        See `TfidfPreprocessor` (training only). ``max_features="auto"`` caps the vocabulary at `MAX_FEATURES`
        terms for dense rows (``sparse=False``) and at `SPARSE_MAX_FEATURES` for sparse ones (``"auto"`` reads a
        vocabulary of `SPARSE_TERMS` or more as sparse, so every cap above it is a sparse one).
    sparse : bool or "auto", default="auto"
        Return ``X`` as a float32 CSR matrix (see `Dataset`) instead of a dense array; "auto" does so from
        `SPARSE_TERMS` terms on (a dense row of 20,000 terms is 80 KB, almost all zeros).
    preprocessor : TfidfPreprocessor, optional
        A fitted preprocessor: prediction mode.
    classes, target_dtype
        The training classes and label dtype, used in prediction mode.
    sep, header, names : optional
        How a delimited table is written, as in `multiclass.data.load_table` (kept in ``load_options``).

    Raises
    ------
    DataError
        Missing columns (listing the available ones), an all-empty text column, bad labels, a file of a text
        folder that is not UTF-8.
    """
    path = Path(path)
    if not (preprocessor is None or isinstance(preprocessor, TfidfPreprocessor)):
        raise ConfigError(f"`preprocessor` must be a TfidfPreprocessor; got {type(preprocessor).__name__}.")
    fitting = preprocessor is None
    formats = given_formats({"sep": sep, "header": header, "names": names})
    texts, labels, ids, options = read_texts(path, text_column, target, id_column, fitting, formats)
    with errors_about(str(path)):
        y = None
        where = f"column {target!r}" if options else "class folders"
        if fitting:
            classes, target_dtype, y = fit_classes(labels, where=where)
            if max_features == "auto":
                max_features = MAX_FEATURES if sparse is False else SPARSE_MAX_FEATURES
            preprocessor = TfidfPreprocessor(ngram_range, min_df, max_df, max_features, sublinear_tf=sublinear_tf)
            with errors_about(f"column {text_column!r}" if options else "texts"):
                preprocessor.fit(texts)
        elif labels is not None:
            y = encode_labels(labels, classes, where=where)
        if sparse == "auto":
            sparse = len(preprocessor.vocabulary_) >= SPARSE_TERMS
        X = preprocessor.transform(texts, sparse=bool(sparse))  # (N, V)
    notes = {"text": {"vocabulary": len(preprocessor.vocabulary_), "ngram_range": list(preprocessor.ngram_range),
                      "min_df": preprocessor.min_df_, "sublinear_tf": bool(preprocessor.sublinear_tf),
                      "sparse": bool(sparse)}}
    return Dataset(
        X,
        y,
        tuple(classes),
        preprocessor.feature_names_,
        str(path),
        "text",
        preprocessor,
        ids=ids,
        target_dtype=target_dtype,
        load_options=options,
        notes=notes,
    )
