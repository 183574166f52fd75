"""The what-if sentence of the critical verdict (`multiclass.report.critical`): the alarms a threshold on a critical
class's probability raises to find 90 % of its rows, checked against a brute-force scan of every threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiclass.report import ReportConfig, build_report, render_html
from multiclass.report.critical import WHAT_IF_MIN_ROWS, WHAT_IF_RECALL, alarms_to_find, with_critical
from multiclass.report.render.jsondoc import report_to_dict

CLASSES = ("critical", "ok", "wear")


def brute_force(scores: np.ndarray, positive: np.ndarray, k: int) -> tuple[int, int]:
    """Every threshold t among the scores: the rows with score >= t and the positives among them; the fewest
    rows that catch >= k positives (the oracle of `alarms_to_find`)."""
    best = None
    for t in np.unique(scores):
        flagged = scores >= t
        alarms, found = int(flagged.sum()), int((flagged & positive).sum())
        if found >= k and (best is None or alarms < best[0]):
            best = (alarms, found)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_alarms_match_a_scan_of_every_threshold(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    positive = rng.random(n) < rng.uniform(0.02, 0.5)
    positive[rng.integers(n)] = True
    scores = rng.random(n) + positive * rng.uniform(0, 0.5)
    if seed % 2:
        scores = np.round(scores, 1)  # many ties: tied rows are flagged together
    for k in range(1, int(positive.sum()) + 1):
        assert alarms_to_find(scores, positive, k) == brute_force(scores, positive, k)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.booleans()), min_size=1, max_size=60), st.data())
def test_alarms_are_at_least_k_and_at_most_n(rows, data):
    scores = np.array([s / 20 for s, _ in rows])
    positive = np.array([p for _, p in rows])
    if not positive.any():
        positive[0] = True
    k = data.draw(st.integers(1, int(positive.sum())))
    alarms, found = alarms_to_find(scores, positive, k)
    assert k <= found <= alarms <= len(scores)
    assert found <= positive.sum()
    if len(np.unique(scores)) == len(scores):  # no ties: the k-th positive's position in the sorted rows
        order = np.argsort(-scores)
        assert alarms == int(np.flatnonzero(positive[order])[k - 1]) + 1 and found == k


@pytest.mark.parametrize("k", [0, 4])
def test_k_out_of_range_is_refused(k):
    with pytest.raises(ValueError, match=rf"^`k` must be between 1 and the 3 positive rows; got {k}\.$"):
        alarms_to_find([0.1, 0.2, 0.3, 0.4], [True, True, True, False], k)


def _rows(n: int = 1500, n_critical: int = 17, found: int = 1, seed: int = 0):
    """Truth, decisions and probabilities: the decisions find `found` of the critical rows; P(critical) is
    higher on critical rows than on others, with overlap (so the threshold raises false alarms)."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n_critical, int), rng.choice([1, 2], size=n - n_critical, p=[0.7, 0.3])]
    decided = np.where(rng.random(n) < 0.9, y, 1)
    decided[:n_critical] = np.r_[np.zeros(found, int), np.ones(n_critical - found, int)]
    p_critical = np.clip(rng.beta(2, 8, size=n) + (y == 0) * rng.uniform(0.0, 0.3, size=n), 0, 0.99)
    rest = 1 - p_critical
    probs = np.c_[p_critical, rest * 0.6, rest * 0.4]  # (n, 3)
    return y, decided, probs


def _report(y, decided, probs, critical=(0,)):
    report = build_report(y, decided, CLASSES, probs=probs, config=ReportConfig(bootstrap=0), subject="faults.csv")
    return with_critical(report, critical, y, decided, probs=probs)


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "To find {found} of 17 'critical', expect {alarms} alarms per 1,500 rows (a threshold on its "
           "probability, on these rows)."),
    ("es", "Para encontrar {found} de 17 'critical', cuente con {alarms} alarmas por cada 1500 filas (un umbral "
           "sobre su probabilidad, en estas filas)."),
])
def test_the_verdict_says_what_finding_90_percent_would_cost(lang, sentence):
    y, decided, probs = _rows()
    k = math.ceil(0.9 * 17)
    alarms, found = brute_force(probs[:, 0], y == 0, k)
    assert k == 16 and alarms > found  # the premise: the threshold has a price
    report = _report(y, decided, probs)
    document = report_to_dict(report, lang)
    message = document["verdict"]["message"]
    first, second = message.split(". ", 2)[:2]
    assert "hides this" in first or "lo oculta" in first  # the class's own sentence first, then the what-if
    assert alarms < 1000  # no thousands separator to spell out (Spanish groups from 10.000 on)
    expected = sentence.format(found=found, alarms=alarms)
    assert second + "." == expected
    assert document["critical"]["classes"][0]["what_if"] == {"recall": WHAT_IF_RECALL, "k": k, "found": found,
                                                              "alarms": alarms, "n": 1500}
    html = render_html(report, lang=lang)
    assert expected.replace("'", "&#39;") in html


def test_no_what_if_when_the_decisions_already_find_enough():
    y, decided, probs = _rows(found=16)  # 16 of 17 = ceil(0.9 * 17)
    report = _report(y, decided, probs)
    assert "critical_what_if" not in [notice.code for notice in report.verdict]
    assert report.critical.what_if == (None,)
    y, decided, probs = _rows(found=15)  # one short: said
    assert "critical_what_if" in [notice.code for notice in _report(y, decided, probs).verdict]


def test_no_what_if_for_a_class_with_too_few_rows():
    y, decided, probs = _rows(n_critical=WHAT_IF_MIN_ROWS - 1, found=0)
    assert "critical_what_if" not in [notice.code for notice in _report(y, decided, probs).verdict]
    y, decided, probs = _rows(n_critical=WHAT_IF_MIN_ROWS, found=0)
    assert "critical_what_if" in [notice.code for notice in _report(y, decided, probs).verdict]


def test_no_what_if_without_probabilities():
    """A streamed report has only counts: no sentence, and the JSON says null."""
    y, decided, probs = _rows()
    report = with_critical(build_report(y, decided, CLASSES, config=ReportConfig(bootstrap=0)), (0,))
    assert "critical_what_if" not in [notice.code for notice in report.verdict]
    assert report_to_dict(report)["critical"]["classes"][0]["what_if"] is None


def test_probabilities_of_the_wrong_shape_are_refused():
    y, decided, probs = _rows()
    report = build_report(y, decided, CLASSES, config=ReportConfig(bootstrap=0))
    with pytest.raises(ValueError, match=r"^`probs` must have shape \(n_samples, 3\) for 1500 rows of labels; got "
                                         r"\(1500, 2\)\.$"):
        with_critical(report, (0,), y, decided, probs=probs[:, :2])
    with pytest.raises(ValueError, match=r"^`probs` must have shape \(n_samples, 3\) for no rows of labels; got "
                                         r"\(1500, 3\)\.$"):
        with_critical(report, (0,), probs=probs)
