"""multiclass.data.text: TF-IDF in numpy against scikit-learn's TfidfVectorizer, Unicode tokens, the CSV loader."""

import unicodedata

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from multiclass.data import (
    StandardizePreprocessor,
    TfidfPreprocessor,
    load_dataset,
    load_for_prediction,
    load_text,
)
from multiclass.data.text import analyze, tokenize
from multiclass.exceptions import ConfigError, DataError, ModelFileError

from .data_helpers import (
    assert_dataset_invariants,
    assert_same_bytes,
    through_model_file,
    write_text,
)

ENGLISH = [
    "The cat sat on the mat.",
    "A dog chased the cat around the garden!",
    "Dogs and cats: friends or foes? The debate goes on.",
    "I bought 2 apples and 3 oranges at the market",
    "",
    "the the the cat",
]
SPANISH = [
    "La canción del niño suena en la habitación.",
    "El niño canta una canción; la niña escucha.",
    "¿Dónde está el pingüino? Está en la Antártida.",
    "Año nuevo, vida nueva: el año pasó rápido.",
    "ÉXITO y ÑANDÚ en MAYÚSCULAS",
]
SKLEARN_PATTERN = r"(?u)\b\w+\b"  # the same tokens as \w+: sklearn's default needs 2+ characters


@pytest.mark.parametrize("corpus", [ENGLISH, SPANISH, ENGLISH + SPANISH], ids=["english", "spanish", "both"])
@pytest.mark.parametrize(
    "options",
    [{}, {"ngram_range": (1, 2)}, {"min_df": 2}, {"max_df": 0.5}, {"ngram_range": (2, 3), "min_df": 0.2}],
    ids=["default", "bigrams", "min_df", "max_df", "ngrams-min_df"],
)
def test_matches_sklearn_tfidf_vectorizer(corpus, options):
    ours = TfidfPreprocessor(**options).fit(corpus)
    theirs = TfidfVectorizer(token_pattern=SKLEARN_PATTERN, **options).fit(corpus)
    assert list(ours.feature_names_) == theirs.get_feature_names_out().tolist()
    np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-12)
    queries = corpus + ["unseen words only", "el GATO y la canción"]
    expected = theirs.transform(queries).toarray()
    np.testing.assert_allclose(ours.tfidf(queries), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.transform(queries), expected.astype(np.float32))


def test_max_features_matches_sklearn_when_counts_do_not_tie():
    corpus = ["a a a a b b b c c d", "a b c", "a b", "a"]  # totals a=7, b=5, c=3, d=1
    ours = TfidfPreprocessor(max_features=2).fit(corpus)
    theirs = TfidfVectorizer(token_pattern=SKLEARN_PATTERN, max_features=2).fit(corpus)
    assert list(ours.feature_names_) == theirs.get_feature_names_out().tolist() == ["a", "b"]
    np.testing.assert_allclose(ours.tfidf(corpus), theirs.transform(corpus).toarray(), rtol=0, atol=1e-12)


def test_spanish_accents_stay_in_the_vocabulary():
    vocabulary = TfidfPreprocessor().fit(SPANISH).feature_names_
    for word in ("canción", "niño", "niña", "pingüino", "año", "éxito", "ñandú", "mayúsculas", "habitación"):
        assert word in vocabulary
    assert "canci" not in vocabulary and "n" not in vocabulary


def test_decomposed_accents_are_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Canción NIÑO")
    assert decomposed != "Canción NIÑO"
    assert tokenize(decomposed) == ["canción", "niño"]
    assert analyze("uno dos tres", ngram_range=(2, 2)) == ["uno dos", "dos tres"]


@pytest.fixture
def reviews(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["r1", "r2", "r3", "r4"],
            "review": ["Me encantó la canción", "Horrible, no me gustó", "La canción del niño es preciosa", None],
            "sentiment": ["pos", "neg", "pos", "neg"],
        }
    )
    path = tmp_path / "reviews.csv"
    frame.to_csv(path, index=False)
    return path


def test_csv_loads_and_round_trips_byte_identical(reviews):
    ds = load_dataset(reviews, text_column="review", target="sentiment", id_column="id")
    assert_dataset_invariants(ds)
    assert ds.kind == "text" and ds.classes == ("neg", "pos") and ds.ids.tolist()[0] == "r1"
    assert (ds.X[3] == 0).all()  # a missing text is an empty text: an all-zero row
    assert ds.load_options == {"text_column": "review", "target": "sentiment", "id_column": "id"}
    again = load_for_prediction(reviews, through_model_file(ds.preprocessor), classes=ds.classes, **ds.load_options)
    assert again.kind == "text"
    assert_same_bytes(ds.X, again.X)
    np.testing.assert_array_equal(again.y, ds.y)


def test_all_empty_text_column_is_an_error(tmp_path):
    path = write_text(tmp_path / "empty.csv", "text,label\n,a\n  ,b\n!!!,a\n")
    with pytest.raises(
        DataError,
        match=r"empty\.csv: column 'text': every text is empty \(no word characters\); "
        r"there is nothing to learn from\.$",
    ):
        load_text(path, target="label")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"text_column": "body", "target": "sentiment"},
            DataError,
            r"reviews\.csv: text column 'body' not found; available columns: 'id', 'review', 'sentiment'\.$",
        ),
        ({"text_column": "review", "target": "label"}, DataError, r"reviews\.csv: target column 'label' not found"),
        ({"text_column": "review"}, ConfigError, r"`target` must name the label column of .*reviews\.csv; got None\."),
        (
            {"text_column": "review", "target": "sentiment", "min_df": 0.9},
            DataError,
            r"reviews\.csv: column 'review': no terms are left after min_df=0\.9 and max_df=1\.0; lower min_df\.$",
        ),
        (
            {"text_column": "review", "target": "sentiment", "ngram_range": (2, 1)},
            ConfigError,
            r"`ngram_range` must be \(min_n, max_n\) with 1 <= min_n <= max_n; got \(2, 1\)\.",
        ),
        (
            {"text_column": "review", "target": "sentiment", "min_df": 1.5},
            ConfigError,
            r"`min_df` must be an int >= 1 or a float in \[0, 1\]; got 1\.5\.",
        ),
        (
            {"text_column": "review", "target": "sentiment", "max_features": 0},
            ConfigError,
            r"`max_features` must be an int >= 1 or None; got 0\.",
        ),
        (
            {"text_column": "review", "target": "sentiment", "min_df": 10},
            ConfigError,
            (
                r"`min_df` must not ask for more documents than `max_df` allows; got min_df=10 \(10 of 4 documents\) "
                r"and max_df=1\.0 \(4\)\."
            ),
        ),
    ],
)
def test_option_and_column_errors(reviews, kwargs, error, message):
    with pytest.raises(error, match=message):
        load_text(reviews, **kwargs)


def test_tfidf_from_state_validates():
    params, arrays = TfidfPreprocessor().fit(["b a", "c"]).state()
    with pytest.raises(ModelFileError, match=r"array 'idf' must have shape \(3,\) and dtype float64; got shape \(2,\)"):
        TfidfPreprocessor.from_state(params, {"idf": arrays["idf"][:2]})
    with pytest.raises(ModelFileError, match=r"parameter 'vocabulary' must be sorted and free of duplicates\."):
        TfidfPreprocessor.from_state({**params, "vocabulary": ["c", "b", "a"]}, arrays)


def test_a_preprocessor_of_another_kind_is_refused(reviews):
    with pytest.raises(
        ConfigError, match=r"`preprocessor` must be a TfidfPreprocessor; got StandardizePreprocessor\.$"
    ):
        load_text(reviews, preprocessor=StandardizePreprocessor())
