"""Which TF-IDF settings should `load_text` default to? Measured on the quality benchmark's text sets.

For each text set of `datasets.py` (same seeded split as `quality.py`), our `TfidfPreprocessor` under each
setting feeds one fixed classifier, scikit-learn's ``LogisticRegression(max_iter=2000)`` (a linear model on the
features: the question is the features, not the network), and the test macro-F1 is printed with the vocabulary
size and the time to fit and transform. Today's defaults were raw counts, ``min_df=1``, unigrams.

    python bench/text_features.py                  # fortunes, trump_tweets, austen
    python bench/text_features.py --datasets austen
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from common import describe, machine, markdown_table, write_json
from datasets import SPECS, folder, prepare
from quality import score, split_rows

from multiclass.data import TfidfPreprocessor

SETTINGS = {
    "raw counts, min_df=1, (1,1)": {"sublinear_tf": False, "min_df": 1, "ngram_range": (1, 1)},
    "sublinear, min_df=auto, (1,1)": {"sublinear_tf": True, "min_df": "auto", "ngram_range": (1, 1)},
    "sublinear, min_df=auto, (1,2)": {"sublinear_tf": True, "min_df": "auto", "ngram_range": (1, 2)},
    "sublinear, min_df=auto, (1,2), no cap": {"sublinear_tf": True, "min_df": "auto", "ngram_range": (1, 2),
                                              "max_features": None},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(n for n, s in SPECS.items() if s.kind == "text"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    info = machine()
    print(f"machine: {describe(info)}")
    rows, records = [], []
    for name in args.datasets.split(","):
        meta = prepare(name)
        frame = pd.read_csv(folder(name) / meta["path"], dtype=str, keep_default_na=False)
        labels = frame[meta["target"]].to_numpy()
        test = split_rows(labels, args.seed)
        texts = frame["text"].tolist()
        train_texts = [t for t, held in zip(texts, test) if not held]
        test_texts = [t for t, held in zip(texts, test) if held]
        for setting, options in SETTINGS.items():
            tic = time.perf_counter()
            pre = TfidfPreprocessor(**{"max_features": 20_000, **options}).fit(train_texts)
            X_train, X_test = pre.transform(train_texts, sparse=True), pre.transform(test_texts, sparse=True)
            seconds = time.perf_counter() - tic
            model = LogisticRegression(max_iter=2000).fit(X_train, labels[~test])
            result = score(labels[test], model.predict(X_test))
            records.append({"dataset": name, "setting": setting, "vocabulary": len(pre.vocabulary_),
                            "features_s": seconds, **result})
            rows.append([name, setting, len(pre.vocabulary_), f"{result['macro_f1']:.3f}",
                         f"{result['accuracy']:.3f}", f"{seconds:.1f}"])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    print()
    print(markdown_table(["dataset", "TF-IDF setting", "terms", "macro-F1", "accuracy", "features (s)"], rows))
    for setting in SETTINGS:
        f1 = [r["macro_f1"] for r in records if r["setting"] == setting]
        print(f"{setting}: mean macro-F1 {np.mean(f1):.3f}")
    write_json("text_features", "cpu", {"seed": args.seed, "records": records}, info=info)


if __name__ == "__main__":
    main()
