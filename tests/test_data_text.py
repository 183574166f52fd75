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
    [{}, {"ngram_range": (1, 2)}, {"min_df": 2}, {"max_df": 0.5}, {"ngram_range": (2, 3), "min_df": 0.2},
     {"sublinear_tf": True}, {"sublinear_tf": True, "min_df": 2, "ngram_range": (1, 2)}],
    ids=["default", "bigrams", "min_df", "max_df", "ngrams-min_df", "sublinear", "load_text-defaults"],
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
    sparse = ours.transform(queries, sparse=True)  # the same numbers as a CSR matrix
    assert sparse.format == "csr" and sparse.dtype == np.float32
    np.testing.assert_array_equal(sparse.toarray(), ours.transform(queries))


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
            r"`min_df` must be an int >= 1 or a float in \[0, 1\], or 'auto'; got 1\.5\.",
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


# --- issue 14: the defaults of load_text, sparse output, text folders ----------------------------------------


def _corpus(n_docs: int = 60):
    rng = np.random.default_rng(0)
    topics = {"space": "orbit rocket moon launch star", "food": "bread cheese soup salt bake"}
    texts, labels = [], []
    for i in range(n_docs):
        label = "space" if i % 2 else "food"
        words = rng.choice(topics[label].split(), 6).tolist() + [f"rare{i}"]  # one word seen in one document
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def test_load_text_defaults_are_sublinear_min_df_2_and_single_words(tmp_path):
    texts, labels = _corpus()
    path = tmp_path / "docs.csv"
    pd.DataFrame({"text": texts, "label": labels}).to_csv(path, index=False)
    ds = load_text(path, target="label")
    pre = ds.preprocessor
    assert (pre.sublinear_tf, pre.min_df_, tuple(pre.ngram_range)) == (True, 2, (1, 1))
    assert not any(t.startswith("rare") for t in pre.vocabulary_)  # seen once: dropped by min_df=2
    theirs = TfidfVectorizer(token_pattern=SKLEARN_PATTERN, sublinear_tf=True, min_df=2, max_features=20_000).fit(texts)
    np.testing.assert_allclose(ds.X, theirs.transform(texts).toarray(), rtol=0, atol=1e-6)
    assert ds.notes["text"] == {"vocabulary": len(pre.vocabulary_), "ngram_range": [1, 1], "min_df": 2,
                                "sublinear_tf": True, "sparse": False}
    sparse = load_text(path, target="label", sparse=True)
    assert sparse.is_sparse and sparse.X.format == "csr"
    np.testing.assert_array_equal(sparse.X.toarray(), ds.X)


def test_min_df_auto_falls_back_to_1_for_a_tiny_corpus():
    small = TfidfPreprocessor(min_df="auto").fit(ENGLISH)  # 6 documents: under AUTO_MIN_DF_DOCS
    assert small.min_df_ == 1 and "mat" in small.vocabulary_
    unique = TfidfPreprocessor(min_df="auto").fit([f"word{i}" for i in range(30)])  # no term in 2 documents
    assert unique.min_df_ == 1 and len(unique.vocabulary_) == 30
    assert through_model_file(small).state()[0]["min_df"] == 1  # the value used is what the model file keeps


def test_a_model_file_without_sublinear_tf_still_loads_as_raw_counts():
    pre = TfidfPreprocessor().fit(ENGLISH)
    params, arrays = pre.state()
    del params["sublinear_tf"]  # a model.json written before the option existed
    old = TfidfPreprocessor.from_state(params, arrays)
    assert old.sublinear_tf is False
    np.testing.assert_array_equal(old.transform(ENGLISH), pre.transform(ENGLISH))
    with pytest.raises(ModelFileError, match=r"parameter 'sublinear_tf' must be true or false; got 'yes'\."):
        TfidfPreprocessor.from_state({**params, "sublinear_tf": "yes"}, arrays)


def _text_folder(root, docs):
    for label, texts in docs.items():
        (root / label).mkdir(parents=True)
        for i, text in enumerate(texts):
            (root / label / f"{i}.txt").write_text(text, encoding="utf-8")
    return root


def test_a_folder_of_class_sub_folders_of_text_files_is_a_text_source(tmp_path):
    from multiclass.data import detect_kind
    from multiclass.data.stream import is_table_shards

    texts, labels = _corpus(40)
    docs = {label: [t for t, lab in zip(texts, labels) if lab == label] for label in ("food", "space")}
    root = _text_folder(tmp_path / "news", docs)
    assert detect_kind(root) == "text" and not is_table_shards(root)
    ds = load_dataset(root)
    assert ds.kind == "text" and ds.classes == ("food", "space") and ds.load_options == {}
    assert ds.ids[0] == "food/0.txt" and ds.n_samples == 40
    flat = tmp_path / "new"
    flat.mkdir()
    (flat / "a.txt").write_text(docs["space"][0], encoding="utf-8")
    (flat / "b.txt").write_text(docs["food"][0], encoding="utf-8")
    new = load_for_prediction(flat, through_model_file(ds.preprocessor), classes=ds.classes)
    assert new.y is None and new.ids.tolist() == ["a.txt", "b.txt"]
    np.testing.assert_array_equal(new.X[1], ds.X[0])
    again = load_for_prediction(root, ds.preprocessor, classes=ds.classes)  # labelled: y from the folders
    np.testing.assert_array_equal(again.y, ds.y)


def test_a_text_folder_of_latin_1_posts_is_read_with_one_warning(tmp_path):
    """The classic 20 Newsgroups folders hold posts in Latin-1 / Windows-1252: read, counted, the first named."""
    from multiclass.data import detect_kind
    from multiclass.exceptions import DataWarning

    texts, labels = _corpus(40)
    root = tmp_path / "news"
    for i, (text, label) in enumerate(zip(texts, labels)):
        (root / label).mkdir(parents=True, exist_ok=True)
        body = f"From: Jos\xe9 M\xfcller\nSubject: \u201c{label}\u201d\n\n{text} caf\xe9"  # no extension, as 20 Newsgroups
        (root / label / f"{50000 + i}").write_bytes(body.encode("cp1252" if i % 2 else "utf-8"))
    assert detect_kind(root) == "text"
    with pytest.warns(DataWarning) as caught:
        ds = load_dataset(root)
    assert [str(w.message) for w in caught] == [
        f"{root}: 20 of 40 files are not UTF-8 and were read as Windows-1252 (Latin-1), as old mail and news posts "
        f"are written; the first: space/50001."
    ]
    assert ds.n_samples == 40 and {"josé", "müller", "café"} <= set(ds.preprocessor.vocabulary_)
    jose = ds.preprocessor.vocabulary_.index("josé")  # the same word whichever code a post is in
    assert (ds.X[:, jose] > 0).all()


def test_text_folder_messages(tmp_path):
    root = _text_folder(tmp_path / "docs", {"a": ["x y"], "b": ["z"]})
    (root / "b" / "bad.txt").write_bytes(b"caf\xe9\x00 binary")
    with pytest.raises(DataError, match=r"docs/b/bad\.txt: holds a NUL byte, so it is not a text file; a text folder "
                                        r"holds text files\.$"):
        load_text(root)
    (root / "b" / "bad.txt").unlink()
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "one.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DataError, match=r"flat: no class sub-folders; training needs one folder of text files per"):
        load_text(flat)
    with pytest.raises(ConfigError, match=r"`text_column` and `id_column` apply to a table; .*docs is a folder"):
        load_text(root, text_column="body")


def test_large_vocabularies_are_read_as_csr_rows_by_default(tmp_path):
    import scipy.sparse as sp

    from multiclass.data.text import SPARSE_TERMS, load_text

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(SPARSE_TERMS + 500)]
    lines = ["text,label"] + [" ".join(rng.choice(words, 40)) + f",{'ab'[i % 2]}" for i in range(400)]
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n")
    big = load_text(tmp_path / "big.csv", target="label", min_df=1)
    assert sp.issparse(big.X) and big.X.shape[1] >= SPARSE_TERMS and big.notes["text"]["sparse"]
    (tmp_path / "small.csv").write_text("text,label\nred apple,a\ngreen car,b\nred car,b\ngreen apple,a\n")
    assert isinstance(load_text(tmp_path / "small.csv", target="label", min_df=1).X, np.ndarray)


def test_sparse_rows_keep_a_vocabulary_beyond_the_dense_cap(tmp_path, monkeypatch):
    """`load_text` caps dense rows at MAX_FEATURES terms, sparse ones at SPARSE_MAX_FEATURES: rare words are a
    classifier's best evidence, and CSR rows cost their stored terms, not the vocabulary."""
    import multiclass.data.text as text

    monkeypatch.setattr(text, "MAX_FEATURES", 300)  # the rule, on a small corpus
    monkeypatch.setattr(text, "SPARSE_TERMS", 100)
    monkeypatch.setattr(text, "SPARSE_MAX_FEATURES", 500)
    # 40 documents; word j is in documents j % 20 and j % 20 + 20 (two each: kept by min_df 2), 600 words in all
    docs = [" ".join(f"w{j}" for j in range(600) if j % 20 == i % 20) for i in range(40)]
    path = tmp_path / "docs.csv"
    pd.DataFrame({"text": docs, "label": ["ab"[i % 2] for i in range(40)]}).to_csv(path, index=False)
    sparse = load_text(path, target="label")
    assert sparse.is_sparse and len(sparse.preprocessor.vocabulary_) == 500
    dense = load_text(path, target="label", sparse=False)
    assert not dense.is_sparse and len(dense.preprocessor.vocabulary_) == 300
    assert len(load_text(path, target="label", max_features=None).preprocessor.vocabulary_) == 600
    assert through_model_file(sparse.preprocessor).state()[0]["max_features"] == 500
