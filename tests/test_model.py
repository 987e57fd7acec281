"""The pure model: cases computed by hand, kernel identities, and the exact decomposition."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import model
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME, LEVERS

ZERO = {a.name: np.zeros(1) for a in ASSUMPTIONS}


def test_every_lever_has_a_kernel_that_reads_its_own_assumptions():
    assert set(model.KERNELS) == {lv.name for lv in LEVERS}
    for lv in LEVERS:
        h = np.ones(3)
        for a in lv.assumptions:
            missing = {k: v for k, v in ZERO.items() if k != a.name}
            with pytest.raises(KeyError, match=a.name.replace(".", r"\.")):
                model.KERNELS[lv.name].effect(h, missing)


def test_trend_path_by_hand_no_shocks_no_levers():
    """ln C_t = ln C_b + t alpha: with no shocks and no lever effects, exports grow at exp(alpha)."""
    alpha = np.array([math.log(1.10)])
    path = model.core_path(np.array([math.log(3810.0)]), alpha, np.zeros(1), np.zeros(1), np.zeros((1, 4)))
    fx = model.Effects({lv.name: np.zeros((1, 4)) for lv in LEVERS})
    got = model.exports_from(path, fx)[0]
    np.testing.assert_allclose(got, [4191.0, 4610.1, 5071.11, 5578.221], rtol=1e-12)


def test_zones_phase_in_by_hand():
    """Zones 9, 12, 16 (FY2023-25) then 23: a third of each new zone counts in its first year,
    two thirds the next, all of it after. With $6M a zone and 10% core growth:
    FY2025 zones at full effect 37/3, so the core is 3810 - 74 = 3736;
    FY2026: 3736 x 1.1 + 6 x 17 = 4211.6; FY2027: 3736 x 1.21 + 6 x 62/3 = 4644.56;
    FY2028: 3736 x 1.331 + 6 x 23 = 5110.616."""
    zones = np.array([9, 12, 16, 23, 23, 23], float)
    h = model.exposure_tech_zones(zones)
    np.testing.assert_allclose(h, [9, 10, 37 / 3, 17, 62 / 3, 23])  # before the start: the first value
    a = dict(ZERO, **{"tech_zones.exports_per_zone": np.array([6.0])})
    base = model.Effects({"tech_zones": model.effect_tech_zones(h[2:3], a)})
    lc0 = model.log_core_from(3810.0, base)
    np.testing.assert_allclose(np.exp(lc0), [[3736.0]])
    path = model.core_path(lc0[:, 0], np.array([math.log(1.1)]), np.zeros(1), np.zeros(1), np.zeros((1, 3)))
    fx = model.Effects({"tech_zones": model.effect_tech_zones(h[3:], a)})
    np.testing.assert_allclose(model.exports_from(path, fx)[0], [4211.6, 4644.56, 5110.616], rtol=1e-12)


def test_vc_stock_and_lag_by_hand():
    """$100M a year from the first year: stock 100, 180, 244, ...; effect two years later."""
    funding = np.array([100.0, 100, 100, 100, 100])
    np.testing.assert_allclose(model.stock(funding, 0.2), [100, 180, 244, 295.2, 336.16])
    np.testing.assert_allclose(model.exposure_vc_funding(funding), [0, 0, 100, 180, 244])


def test_talent_by_hand():
    """10 thousand extra entrants a year, 15% absorbed, 5% attrition, one-year lag, elasticity 0.8,
    workforce 600 thousand: year 3 has 10,000 x (1 + 0.95) = 19,500 extra entrants in the stock,
    2,925 absorbed workers, effect 0.8 ln(1 + 2925 / 600000)."""
    default = LEVER_BY_NAME["talent_pipeline"].default
    entrants = np.full(4, default + 10.0)
    h = model.exposure_talent_pipeline(entrants)
    np.testing.assert_allclose(h, [0, 10_000, 19_500, 28_525])
    a = dict(
        ZERO,
        **{"talent_pipeline.absorption": np.array([0.15]), "talent_pipeline.elasticity": np.array([0.8])},
    )
    e = model.effect_talent_pipeline(h, a)
    np.testing.assert_allclose(e[0, 2], 0.8 * math.log1p(0.15 * 19_500 / 600_000))


def test_capture_levers_by_hand():
    formal = LEVER_BY_NAME["formal_channel_share"]
    a = dict(ZERO, **{"formal_channel_share.freelance_share": np.array([15.0])})
    # all freelance earnings formal (100% from 50%): reported exports x (1 + 0.15 x (100/50 - 1)) = x 1.15
    e = model.effect_formal_channel_share(model.exposure_formal_channel_share(np.array([100.0])), a)
    assert formal.default == 50
    np.testing.assert_allclose(np.exp(e), [[1.15]])
    a = dict(ZERO, **{"retention_limit.effect_per_10pp": np.array([2.0])})
    e = model.effect_retention_limit(model.exposure_retention_limit(np.array([100.0])), a)
    np.testing.assert_allclose(e, [[0.02 * 5]])


def test_connectivity_by_hand():
    a = dict(ZERO, **{"connectivity_loss.elasticity": np.array([1.0])})
    e = model.effect_connectivity_loss(model.exposure_connectivity_loss(np.array([3.4, 0.0])), a)
    np.testing.assert_allclose(e, [[-(3.4 - 1.3) / 100, 1.3 / 100]])


def test_damped_core_converges_and_drift_has_no_loop_difference():
    n, years = 5, 30
    rng = np.random.default_rng(1)
    base, alpha, sigma = rng.normal(8, 0.1, n), np.full(n, 0.1), np.zeros(n)
    z = np.zeros((n, years))
    drift = model.core_path(base, alpha, np.zeros(n), sigma, z)
    np.testing.assert_allclose(drift[:, -1] - base, 0.1 * years)
    damped = model.core_path(base, alpha, np.full(n, 0.2), sigma, z)
    # steady state of x' = x + alpha - beta x is alpha / beta above the base
    np.testing.assert_allclose(damped[:, -1] - base, 0.5, atol=1e-2)
    assert np.all(np.diff(damped, axis=1) > 0)


def test_scaled_shocks_by_hand():
    """Shocks scaled by the core's size: sigma_t = sigma exp(-gamma (ln C_{t-1} - ln C_base)).
    The first year's shock has size sigma; after a year at +0.3 the next one sigma e^{-0.15};
    at gamma 0 the path is the constant-shock one."""
    base, alpha, beta, sigma = np.array([8.0]), np.array([0.1]), np.array([0.0]), np.array([0.2])
    z = np.array([[1.0, 1.0]])
    path = model.core_path(base, alpha, beta, sigma, z, shock_slope=np.array([0.5]))
    first = 8.0 + 0.1 + 0.2
    np.testing.assert_allclose(path[0], [first, first + 0.1 + 0.2 * math.exp(-0.5 * 0.3)])
    np.testing.assert_allclose(
        model.core_path(base, alpha, beta, sigma, z, shock_slope=np.zeros(1)), [[8.3, 8.6]]
    )
    assert z.tolist() == [[1.0, 1.0]]  # left unchanged


@settings(max_examples=60, deadline=None)
@given(
    theta=st.lists(st.floats(0.0, 50.0), min_size=len(ASSUMPTIONS), max_size=len(ASSUMPTIONS)),
    n_years=st.integers(1, 6),
)
def test_zero_exposure_means_zero_effect(theta, n_years):
    a = {x.name: np.array([min(t, x.bounds[1])]) for x, t in zip(ASSUMPTIONS, theta, strict=True)}
    for k in model.KERNELS.values():
        np.testing.assert_array_equal(k.effect(np.zeros(n_years), a), 0.0)


effect_arrays = st.lists(st.floats(-0.3, 0.3), min_size=6, max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    log_core=st.floats(5.0, 10.0),
    scen=effect_arrays,
    base=effect_arrays,
    add_s=st.floats(0, 500),
    add_b=st.floats(0, 500),
)
def test_decomposition_adds_up_exactly(log_core, scen, base, add_s, add_b):
    names = [lv.name for lv in LEVERS]

    def fx(vals, add):
        out = {}
        for name, v in zip(names, vals, strict=True):
            ch = model.KERNELS[name].channel
            out[name] = np.array([[add * (1 + v) if ch == "additive" else v]])
        return model.Effects(out)

    s, b = fx(scen, add_s), fx(base, add_b)
    lc = np.array([[log_core]])
    parts = model.decompose(lc, s, b)
    total = model.exports_from(lc, s) - model.exports_from(lc, b)
    np.testing.assert_allclose(sum(parts.values()), total, rtol=1e-9, atol=1e-6)


def test_decomposition_gives_a_single_change_to_its_lever():
    names = [lv.name for lv in LEVERS]
    zero = {n: np.zeros((1, 2)) for n in names}
    b = model.Effects(dict(zero))
    s = model.Effects(dict(zero, connectivity_loss=np.array([[-0.02, 0.01]])))
    lc = np.log(np.array([[3000.0, 3500.0]]))
    parts = model.decompose(lc, s, b)
    total = model.exports_from(lc, s) - model.exports_from(lc, b)
    np.testing.assert_allclose(parts["connectivity_loss"], total)
    for n in names:
        if n != "connectivity_loss":
            np.testing.assert_array_equal(parts[n], 0.0)


@settings(max_examples=100, deadline=None)
@given(reported=st.floats(100, 1e5), cap=st.floats(-0.3, 0.3), und=st.floats(-0.3, 0.3), add=st.floats(0, 50))
def test_log_core_inverts_exports(reported, cap, und, add):
    fx = model.Effects(
        {
            "formal_channel_share": np.array([[cap]]),
            "talent_pipeline": np.array([[und]]),
            "tech_zones": np.array([[add]]),
        }
    )
    lc = model.log_core_from(reported, fx)
    np.testing.assert_allclose(model.exports_from(lc, fx), [[reported]], rtol=1e-10)


def test_log_core_is_nan_when_additive_effects_exceed_reports():
    fx = model.Effects({"tech_zones": np.array([[5000.0]])})
    assert np.isnan(model.log_core_from(3810.0, fx)).all()


def test_log_mean():
    np.testing.assert_allclose(
        model.log_mean(np.array([2.0, 3.0]), np.array([1.0, 3.0])), [1 / math.log(2), 3.0]
    )


def test_trailing_mean_and_lagged():
    np.testing.assert_allclose(model.trailing_mean(np.array([3.0, 6, 9]), 3), [3, 4, 6])
    np.testing.assert_allclose(model.lagged(np.array([1.0, 2, 3]), 1), [0, 1, 2])
    np.testing.assert_allclose(model.lagged(np.array([1.0, 2, 3]), 0), [1, 2, 3])


def _decompose_in_full(log_core, scenario: model.Effects, baseline: model.Effects) -> dict:
    """LMDI-I as written in :func:`model.decompose`'s docstring, every term worked out."""
    k_s = np.exp(log_core + scenario.total("underlying"))
    k_b = np.exp(log_core + baseline.total("underlying"))
    v_s, v_b = k_s + scenario.total("additive"), k_b + baseline.total("additive")
    r_s, r_b = np.exp(scenario.total("capture")) * v_s, np.exp(baseline.total("capture")) * v_b
    l_r = model.log_mean(r_s, r_b)
    ratio, l_k = l_r / model.log_mean(v_s, v_b), model.log_mean(k_s, k_b)
    out = {}
    for name, e_s in scenario.by_lever.items():
        channel = model.KERNELS[name].channel
        d = e_s - baseline.by_lever[name]
        out[name] = (
            l_r * d if channel == "capture" else ratio * l_k * d if channel == "underlying" else ratio * d
        )
    return out


@pytest.mark.parametrize(
    "moved", [("tech_zones",), ("retention_limit",), ("talent_pipeline",), tuple(model.KERNELS)]
)
def test_decompose_skips_the_channels_a_scenario_leaves_alone_and_gives_the_same_bits(moved):
    """The shortcuts (a channel equal to the baseline's, a capture factor of exp(0)) change no bit."""
    rng = np.random.default_rng(7)
    log_core = rng.normal(8.0, 0.3, (50, 6))
    zero = np.zeros((1, 6))
    base = model.Effects({name: zero for name in model.KERNELS})
    base.by_lever["vc_funding"] = rng.normal(0.0, 50.0, (50, 6))  # a lever at work in both runs
    fx = {
        name: (rng.normal(0.05, 0.02, (50, 6)) if name in moved else base.by_lever[name])
        for name in model.KERNELS
    }
    got = model.decompose(log_core, model.Effects(fx), base)
    want = _decompose_in_full(log_core, model.Effects(fx), base)
    for name in model.KERNELS:
        assert got[name].shape == want[name].shape
        assert np.array_equal(got[name], want[name]), name
    total = sum(got.values())
    scenario_r = np.exp(model.Effects(fx).total("capture")) * (
        np.exp(log_core + model.Effects(fx).total("underlying")) + model.Effects(fx).total("additive")
    )
    base_r = np.exp(log_core) + base.total("additive")
    np.testing.assert_allclose(total, scenario_r - base_r, rtol=1e-9)
