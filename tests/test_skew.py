"""multiclass.skew: heavy-tailed columns read on a log scale -- the moments against scipy, the rule, and every
reader of a table (in memory, streamed, the torch-free runtime, a saved model) agreeing on it."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from multiclass.data import load_dataset, summary_lines, summarize_dataset
from multiclass.data.stream import TableSource, scan_table
from multiclass.data.table import TablePreprocessor
from multiclass.exceptions import ModelFileError
from multiclass.runtime.features.table import TableFeatures
from multiclass.skew import SKEW_LIMIT, central_moments, merge_moments, signed_log, skewness, wants_log


def moments_of(values):
    return central_moments(np.asarray(values, dtype=np.float64))


def test_signed_log_is_odd_zero_at_zero_and_keeps_nan():
    x = np.array([-1e6, -1.0, 0.0, 0.5, 1e6, np.nan])
    np.testing.assert_allclose(signed_log(x)[:5], [-np.log1p(1e6), -np.log(2.0), 0.0, np.log(1.5), np.log1p(1e6)],
                               rtol=1e-15)
    assert np.isnan(signed_log(x)[5])
    np.testing.assert_array_equal(signed_log(-x[:5]), -signed_log(x[:5]))


@pytest.mark.parametrize("draw", [lambda r: r.lognormal(2, 1.5, 500), lambda r: r.normal(3, 2, 40),
                                  lambda r: r.exponential(5, 2000), lambda r: -r.pareto(3, 300)])
def test_skewness_is_scipys(draw):
    values = draw(np.random.default_rng(0))
    n, _, m2, m3 = central_moments(values)
    assert skewness(n, m2, m3) == pytest.approx(stats.skew(values), rel=1e-12)  # scipy's default: population


def test_a_constant_or_empty_column_has_no_skew():
    n, _, m2, m3 = moments_of([4.0, 4.0, 4.0])
    assert skewness(n, m2, m3) == 0.0
    assert skewness(0, 0.0, 0.0) == 0.0


def test_a_spread_too_small_to_cube_has_no_skew_and_the_column_still_trains():
    """Hypothesis found it: values 0 and 1.5e-116 have m2 ~ 1e-232, whose cube underflows to 0, and `fit` stopped
    with ZeroDivisionError. float64 cannot measure such a column's skew: 0, and the column is standardized."""
    assert skewness(2, 1.1822187600084627e-232, 0.0) == 0.0
    frame = pd.DataFrame({"num": [0.0, 1.537673e-116]})
    pre = TablePreprocessor().fit(frame)
    assert not pre.specs_[0].get("log") and np.isfinite(pre.transform(frame)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=80), st.data())
def test_merged_moments_are_those_of_the_whole(values, data):
    values = np.array(values)
    cut = data.draw(st.integers(0, len(values)))
    n, mean, m2, m3 = merge_moments(moments_of(values[:cut]), moments_of(values[cut:]))
    whole = moments_of(values)
    assert n == whole[0]
    scale = max(1.0, float(np.abs(values).max()))
    assert mean == pytest.approx(whole[1], abs=1e-12 * scale)
    assert m2 == pytest.approx(whole[2], rel=1e-9, abs=1e-9 * scale**2)
    assert m3 == pytest.approx(whole[3], rel=1e-8, abs=1e-8 * scale**3 * len(values))


def test_one_batch_merged_into_nothing_is_an_exact_copy():
    part = moments_of([1.0, 2.0, 10.0])
    assert merge_moments((0, 0.0, 0.0, 0.0), part) == part
    assert merge_moments(part, (0, 0.0, 0.0, 0.0)) == part


@pytest.mark.parametrize("name, draw, expected", [
    ("sizes", lambda r: r.lognormal(3, 1.5, 1000), True),  # orders of magnitude: skew ~10 -> ~0
    ("populations", lambda r: r.pareto(1.5, 1000) * 1e5, True),
    ("heights", lambda r: r.normal(170, 10, 1000), False),  # symmetric
    ("a rare flag", lambda r: (r.random(1000) < 0.03).astype(float), False),  # skew ~5.5, and ~5.5 under the log
    ("already logged", lambda r: np.log(r.lognormal(0, 1, 1000)) + 8, False),
])
def test_the_rule_logs_what_spans_orders_of_magnitude_and_leaves_the_rest(name, draw, expected):
    values = draw(np.random.default_rng(1))
    assert wants_log(moments_of(values), moments_of(signed_log(values))) is expected, name


def test_the_rule_needs_skew_beyond_the_limit():
    values = np.random.default_rng(2).lognormal(0, 0.5, 5000)  # skew ~1.75: not heavy-tailed enough
    assert abs(stats.skew(values)) < SKEW_LIMIT
    assert not wants_log(moments_of(values), moments_of(signed_log(values)))


@pytest.fixture
def skewed(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    amount = rng.lognormal(3 + y, 1.5, n)
    amount[::37] = np.nan
    frame = pd.DataFrame({"amount": amount, "height": rng.normal(170, 10, n), "label": np.array(["a", "b"])[y]})
    path = tmp_path / "skewed.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_the_table_reader_standardizes_the_log_of_a_heavy_tailed_column(skewed):
    path, frame = skewed
    ds = load_dataset(path, target="label")
    pre = ds.preprocessor
    assert [spec.get("log", False) for spec in pre.specs_] == [True, False]
    amount = frame["amount"].to_numpy()
    logged = signed_log(amount[~np.isnan(amount)])
    assert (pre.mean_[0], pre.scale_[0]) == (logged.mean(), logged.std())
    expected = (signed_log(amount) - logged.mean()) / logged.std()
    np.testing.assert_allclose(ds.X[:, 0], np.where(np.isnan(amount), 0.0, expected).astype(np.float32), rtol=1e-6)
    assert "on a log scale (heavy-tailed): 'amount'" in summary_lines(summarize_dataset(ds))
    assert "en escala logarítmica (cola pesada): 'amount'" in summary_lines(summarize_dataset(ds), "es")


def test_saved_state_runtime_and_stream_read_it_alike(skewed):
    path, frame = skewed
    pre = load_dataset(path, target="label").preprocessor
    params, arrays = pre.state()
    again = TablePreprocessor.from_state(params, arrays)
    np.testing.assert_array_equal(again.transform(frame), pre.transform(frame))
    runtime = TableFeatures(params, arrays, {})
    columns = {name: frame[name].to_numpy() for name in ("amount", "height")}
    np.testing.assert_allclose(runtime.transform(columns), pre.transform(frame), rtol=1e-6, atol=1e-7)
    streamed = scan_table(TableSource(path, batch_rows=64), target="label").preprocessor
    assert streamed.specs_ == pre.specs_
    np.testing.assert_allclose(streamed.mean_, pre.mean_, rtol=1e-13)


@pytest.mark.parametrize("spec", [{"name": "c", "type": "numeric", "missing_indicator": False, "log": False},
                                  {"name": "c", "type": "bool", "missing_indicator": False, "log": True}])
def test_a_log_flag_other_than_true_on_a_numeric_column_is_refused(spec):
    arrays = {"mean": np.zeros(int(spec["type"] == "numeric")), "scale": np.ones(int(spec["type"] == "numeric")),
              "bool_fill": np.zeros(int(spec["type"] == "bool"))}
    params = {"columns": [spec], "max_categories": 10}
    with pytest.raises(ModelFileError, match=r"column spec must be \{name, type, missing_indicator\[, categories\]"
                                             r"\[, log\]\}"):
        TablePreprocessor.from_state(params, arrays)
    with pytest.raises(ModelFileError, match="column spec must be"):
        TableFeatures(params, arrays, {})


def test_a_pixel_table_is_scaled_as_images_not_logged(tmp_path):
    rng = np.random.default_rng(0)
    pixels = np.where(rng.random((60, 64)) < 0.05, rng.integers(1, 256, (60, 64)), 0)  # sparse ink: heavy-tailed
    frame = pd.DataFrame(pixels, columns=[f"p{i}" for i in range(64)]).assign(label=rng.choice(["x", "y"], 60))
    frame.to_csv(tmp_path / "pixels.csv", index=False)
    ds = load_dataset(tmp_path / "pixels.csv", target="label")
    assert "pixels" in ds.notes and not any(spec.get("log") for spec in ds.preprocessor.specs_)
