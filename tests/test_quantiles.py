"""Exact order statistics without sorting: equal to np.partition, whatever the values."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulator.engine import PERCENTILES, summarise
from simulator.quantiles import SMALL_ROW, order_statistics, row_percentiles

floats = st.one_of(
    st.floats(allow_nan=False),  # every finite float and the infinities, both zeros
    st.sampled_from([0.0, -0.0, 1.0, 1.0 + 2**-52, 5e-324, -5e-324]),  # ties and neighbours
)


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(SMALL_ROW, 400)), elements=floats),
    data=st.data(),
)
def test_order_statistics_equal_partition(x, data):
    n = x.shape[1]
    ranks = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=14))))
    got = order_statistics(x, ranks)
    expected = np.partition(x, ranks, axis=1)[:, ranks]
    np.testing.assert_array_equal(got, expected)  # -0.0 == 0.0: NumPy may pick either


def test_lognormal_rows_of_many_draws_and_blocks():
    """Engine-like rows (10,000 and 100,000 draws, several rows per block and one)."""
    rng = np.random.default_rng(3)
    for shape in ((15, 10_000), (2, 100_000), (7, 777)):
        x = np.exp(rng.standard_normal(shape) * rng.uniform(0.05, 2.0) + 8.0)
        ranks = np.unique(rng.integers(0, shape[1], 14))
        np.testing.assert_array_equal(order_statistics(x, ranks), np.partition(x, ranks, axis=1)[:, ranks])


def test_constant_rows_and_nan():
    x = np.full((3, 500), 2.5)
    assert (order_statistics(x, np.array([0, 250, 499])) == 2.5).all()
    x[1, 7] = np.nan  # NumPy's own rules apply to a row with NaN
    ranks = np.array([0, 499])
    np.testing.assert_array_equal(order_statistics(x, ranks), np.partition(x, ranks, axis=1)[:, ranks])


def test_row_percentiles_are_numpy_linear():
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 10, 64, 101, 5000):
        x = rng.lognormal(8, 0.6, (4, n))
        np.testing.assert_allclose(
            row_percentiles(x, np.array(PERCENTILES, float)),
            np.percentile(x, PERCENTILES, axis=1).T,
            rtol=1e-13,
        )


def test_summarise_is_the_old_partition_formula_bit_for_bit():
    """The engine's percentiles before this module: one np.partition per year."""
    rng = np.random.default_rng(5)
    x = rng.lognormal(8, 0.7, (10_000, 15))
    rows = np.ascontiguousarray(x.T)
    n = rows.shape[1]
    pos = (n - 1) * np.asarray(PERCENTILES, float) / 100.0
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    part = np.partition(rows, np.unique(np.concatenate([lo, hi])), axis=1)
    qs = part[:, lo] * (1.0 - (pos - lo)) + part[:, hi] * (pos - lo)
    st_ = summarise(x)
    for i, q in enumerate(PERCENTILES):
        np.testing.assert_array_equal(st_[f"p{q}"], qs[:, i])
    np.testing.assert_array_equal(st_["mean"], rows.mean(axis=1))
