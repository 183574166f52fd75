"""What the conformal tests share: probabilities drawn like a real model's, and an 'already fitted' classifier
that hands MAPIE and crepes exactly those probabilities."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


def model_probs(rng: np.random.Generator, n: int, k: int, *, signal: float = 2.0, temperature: float = 1.3):
    """(probs (n, k) float64, y (n,) int64): a softmax over noisy logits with a boost on the true class, the
    labels drawn first; the model is over-confident (its logits are the truth's times `temperature`)."""
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += signal
    logits *= temperature
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return probs / probs.sum(axis=1, keepdims=True), y


class FixedProbs(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose features are row numbers into `table`: predict_proba(X) = table[X[:, 0]]."""

    def __init__(self, table=None):
        self.table = table

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = 1
        return self

    def predict_proba(self, X):
        return self.table[np.asarray(X)[:, 0].astype(np.int64)]

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
