"""The streamed audit equals the in-memory one on the same probabilities, batch boundaries wherever they fall."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.audit.config import AuditConfig
from multiclass.audit.findings import findings_from_probabilities
from multiclass.audit.rules import FILTERS
from multiclass.audit.select import TopPool, top_per_group
from multiclass.audit.stream import findings_from_batches
from multiclass.exceptions import DataError
from tests.audit_helpers import audit_inputs, noisy_problem


def _batches(labels, probs, cuts):
    return lambda: ((labels[a:b], probs[a:b]) for a, b in zip(cuts[:-1], cuts[1:]))


def _cuts(n, size):
    return list(range(0, n, size)) + [n]


def assert_same_findings(streamed, memory):
    for name in ("label_counts", "confident_joint", "n_flagged", "totals", "totals_kept"):
        np.testing.assert_array_equal(getattr(streamed, name), getattr(memory, name), err_msg=name)
    np.testing.assert_allclose(streamed.thresholds, memory.thresholds, rtol=1e-14)
    for name in ("row", "given", "likely", "probability", "self_confidence", "normalized_margin"):
        np.testing.assert_array_equal(getattr(streamed.suspects, name), getattr(memory.suspects, name), err_msg=name)


@settings(max_examples=40, deadline=None)
@given(audit_inputs(ties=False), st.sampled_from(FILTERS), st.integers(1, 25), st.sampled_from([None, 1, 3]))
def test_stream_equals_memory(case, filter_by, batch, top_n):
    labels, probs = case
    config = AuditConfig(filter_by=filter_by, top_n=top_n)
    streamed = findings_from_batches(_batches(labels, probs, _cuts(len(labels), batch)), probs.shape[1], config)
    assert_same_findings(streamed, findings_from_probabilities(labels, probs, config))


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize("rank_by", ["self_confidence", "normalized_margin"])
def test_stream_equals_memory_on_many_rows(filter_by, rank_by):
    # Large enough that the pools compact many times (thousands of candidates per pair at first).
    labels, probs, _ = noisy_problem(n=60_000, k=8, noise=0.1, seed=2)
    config = AuditConfig(filter_by=filter_by, rank_by=rank_by, top_n=50)
    streamed = findings_from_batches(_batches(labels, probs, _cuts(len(labels), 4096)), 8, config)
    memory = findings_from_probabilities(labels, probs, config)
    assert_same_findings(streamed, memory)
    assert memory.n_flagged.sum() > 8 * 50  # the top_n bound was binding: every class kept only its worst 50
    assert len(memory.suspects) == 8 * 50


def test_stream_with_ties_equals_memory():
    # Equal keys across batch boundaries: the earlier row must win, as in the in-memory stable sort.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    weights = rng.integers(0, 3, (400, 3)).astype(float) + (np.arange(3) == labels[:, None])
    probs = weights / weights.sum(axis=1, keepdims=True)
    for filter_by in FILTERS:
        config = AuditConfig(filter_by=filter_by, top_n=4)
        streamed = findings_from_batches(_batches(labels, probs, _cuts(400, 7)), 3, config)
        assert_same_findings(streamed, findings_from_probabilities(labels, probs, config))


def test_top_pool_keeps_the_largest_keys_across_adds():
    rng = np.random.default_rng(1)
    group, key = rng.integers(0, 5, 300_000), rng.integers(0, 50, 300_000).astype(float)
    capacity = np.array([0, 1, 10, 1000, 200_000])
    pool = TopPool(capacity, {"tag": np.int64})
    for a in range(0, 300_000, 7000):
        sl = slice(a, a + 7000)
        pool.add(group[sl], key[sl], np.arange(300_000)[sl], tag=np.arange(300_000)[sl] * 2)
    kept = pool.result()
    expected = np.flatnonzero(top_per_group(group, key, np.arange(300_000), capacity))
    np.testing.assert_array_equal(np.sort(kept["row"]), expected)
    np.testing.assert_array_equal(kept["tag"], kept["row"] * 2)


def test_stream_messages():
    labels, probs, _ = noisy_problem(n=20, k=3)
    with pytest.raises(DataError, match=r"batch starting at row 10: `probs` must be probabilities in \[0, 1\]"):
        bad = probs.copy()
        bad[12, 0] = 7.0
        findings_from_batches(_batches(labels, bad, [0, 10, 20]), 3)
    with pytest.raises(DataError, match=r"batch starting at row 0: `probs` must have 4 columns \(n_classes\); got 3"):
        findings_from_batches(_batches(labels, probs, [0, 20]), 4)
    with pytest.raises(DataError, match=r"`batches` yielded no rows"):
        findings_from_batches(lambda: iter(()), 3)
    calls = []

    def shrinking():
        calls.append(1)
        end = 20 if len(calls) == 1 else 10
        return iter([(labels[:end], probs[:end])])

    with pytest.raises(DataError, match=r"`batches` must yield the same rows on every pass; got 10 rows after 20"):
        findings_from_batches(shrinking, 3)
