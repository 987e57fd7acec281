"""The projection engine: seeded, vectorized, equal to the plain reference loop, and stable."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from simulator import reference
from simulator.engine import PERCENTILES, Engine, summarise, year_quantiles
from simulator.errors import InputError
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME, LEVERS
from simulator.params import load_params
from simulator.scenario import LeverPath, Scenario, TrendOverride, baseline_scenario, validate_scenario
from simulator.settings import load_settings

GOLDEN = Path(__file__).parent / "golden" / "engine.json"

EVERYTHING = {
    "tech_zones": 40,
    "formal_channel_share": {"value": 80, "start": 2027, "ramp_years": 3},
    "retention_limit": 100,
    "connectivity_loss": {"values": {2027: 3.4, 2028: 0.5, 2031: 0}},
    "vc_funding": {"value": 350, "start": 2026, "ramp_years": 2},
    "talent_pipeline": {"value": 113, "start": 2026},
}


def everything(engine: Engine) -> Scenario:
    return validate_scenario(
        {"name": "everything", "levers": EVERYTHING}, first_year=engine.first_projection_year
    ).merged_onto(baseline_scenario())


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_numbers_other_seed_other_numbers(engine, settings):
    s = everything(engine)
    a = engine.run(s, settings).exports
    b = engine.run(s, settings).exports
    np.testing.assert_array_equal(a, b)
    c = engine.run(s, load_settings(draws=settings.draws, seed=settings.seed + 1)).exports
    assert not np.allclose(a, c)


def test_seed_zero_is_a_seed(engine):
    a = engine.draws(n=500, seed=0, horizon=2030)
    b = engine.draws(n=500, seed=0, horizon=2030)
    np.testing.assert_array_equal(a.log_core, b.log_core)


def test_longer_horizon_only_appends_years(engine):
    short = engine.draws(n=1000, seed=7, horizon=2030)
    long = engine.draws(n=1000, seed=7, horizon=2040)
    np.testing.assert_array_equal(short.log_core, long.log_core[:, : short.log_core.shape[1]])


def test_levers_do_not_change_the_draws(engine, settings):
    """Common random numbers: the scenario and its baseline share every draw."""
    d = engine.draws_for(baseline_scenario(), settings)
    p = engine.project(everything(engine), d)
    np.testing.assert_array_equal(p.draws.log_core, d.log_core)
    assert (p.exports != p.baseline_exports).any()


def test_one_assumption_override_moves_only_its_draws(engine):
    base = engine.draws(n=2000, seed=3, horizon=2030)
    triples = dict(base.triples)
    triples["vc_funding.export_yield"] = (0.05, 0.2, 0.8)
    moved = engine.draws(n=2000, seed=3, horizon=2030, triples=triples)
    for a in ASSUMPTIONS:
        same = np.array_equal(base.assumptions[a.name], moved.assumptions[a.name])
        assert same == (a.name != "vc_funding.export_yield")
    # the nowcast year's shock is conditioned on each draw's level, which the assumption moves
    first = 0 if engine.params.nowcast is None else 1
    np.testing.assert_array_equal(base.z[:, first:], moved.z[:, first:])


# --------------------------------------------------------------------------- reference loop


@pytest.mark.parametrize(
    "trend", [TrendOverride(), TrendOverride(growth_pct=12.0, slowdown_per_doubling=4.0)]
)
def test_vectorized_engine_equals_plain_reference_loop(engine, trend):
    scenario = everything(engine)
    draws = engine.draws(n=40, seed=11, horizon=2040, trend=trend)
    p = engine.project(scenario, draws)
    expected = reference.project_draws(engine, scenario, draws, range(draws.n))
    np.testing.assert_allclose(p.exports, np.array(expected), rtol=1e-10)


def test_reference_central_delta_matches_engine(engine):
    draws = engine.draws(n=10, seed=1, horizon=2030)
    paths = {k: list(v) for k, v in engine.full_paths(baseline_scenario(), draws.years).items()}
    central = {a.name: a.central for a in ASSUMPTIONS}
    lc = [
        reference.log_core_of(v, reference.lever_terms(paths, i, central))
        for v, i in (
            (engine.reported_first, engine.sample_first_year - engine.first_year),
            (engine.reported_base, engine.base_year - engine.first_year),
        )
    ]
    assert draws.delta_center == pytest.approx(lc[1] - lc[0], rel=1e-12)
    # at the central assumptions the fit used, the trend is the fitted one
    assert draws.alpha_center == pytest.approx(engine.params.trend.alpha, rel=1e-12)


# --------------------------------------------------------------------------- hand-computable


def test_no_shock_no_lever_effects_grows_at_the_trend(engine):
    """Every effect size fixed at 0, no shocks, no slowdown: each draw is 3,810 x exp(alpha_d t)."""
    fixed = {a.name: (0.0, 0.0, 0.0) for a in ASSUMPTIONS}
    trend = TrendOverride(shock_scale=0, slowdown_per_doubling=0)
    d = engine.draws(n=200, seed=5, horizon=2030, triples=fixed, trend=trend)
    p = engine.project(everything(engine), d)
    t = np.arange(1, len(d.years) + 1)
    np.testing.assert_allclose(p.exports, engine.reported_base * np.exp(np.outer(d.alpha, t)), rtol=1e-12)
    # alpha is the fitted trend, moved by the change in the core's growth FY2010-FY2025 when the
    # effects are zero instead of central, plus posterior noise
    plain = math.log(engine.reported_base / engine.reported_first) / engine.params.sample.span
    central = engine.draws(n=1, seed=5, horizon=2030, trend=trend).delta_center / engine.params.sample.span
    np.testing.assert_allclose(
        d.alpha - d.alpha_noise, engine.params.trend.alpha + plain - central, rtol=1e-12
    )


# --------------------------------------------------------------------------- outputs


def test_summaries_and_table(engine, settings):
    p = engine.run(baseline_scenario(), settings)
    ref = np.percentile(p.exports, PERCENTILES, axis=0)
    for i, q in enumerate(PERCENTILES):
        np.testing.assert_allclose(p.stats[f"p{q}"], ref[i])
    rows = p.table()
    hist = [r for r in rows if r["kind"] == "history"]
    assert [r["fiscal_year"] for r in hist][-1] == engine.base_year
    assert hist[-1]["p50"] == engine.reported_base
    proj = [r for r in rows if r["kind"] == "projection"]
    assert proj[0]["fiscal_year"] == engine.first_projection_year and proj[-1]["fiscal_year"] == 2040
    assert all(r["p5"] <= r["p25"] <= r["p50"] <= r["p75"] <= r["p95"] for r in proj)


def test_target_odds_are_consistent(engine, settings):
    p = engine.run(baseline_scenario(), settings)
    odds = {o.target.id: o for o in p.target_odds()}
    # the same amount is likelier by a later deadline
    assert odds["t10b_fy2026_blueprint"].p_by_deadline <= odds["t10b_fy2027_export_strategy"].p_by_deadline
    assert odds["t10b_fy2027_export_strategy"].p_by_deadline <= odds["t10b_fy2029_uraan"].p_by_deadline
    o = odds["t10b_fy2029_uraan"]
    first = p.first_reach(10_000)
    assert o.p_by_deadline == pytest.approx(np.mean(first <= 2029))
    assert o.year_p10 <= o.year_p50
    # the 90th percentile of the first year exists only when at least 90% of draws get there
    assert (o.year_p90 is None) == (o.p_never > 0.1)
    assert o.year_p90 is None or o.year_p50 <= o.year_p90
    assert o.required_cagr == pytest.approx((10_000 / 3810) ** (1 / 4) - 1)
    assert odds["t25b_fy2029_pm"].p_never >= odds["t10b_fy2029_uraan"].p_never
    # a target already met in the history
    met = next(t for t in engine.data.targets if t.id == "t3p5b_fy2025_mos")
    (m,) = p.target_odds([met])
    assert (m.p_by_deadline, m.reached_in_history) == (1.0, 2025)


def test_year_quantiles_equal_inverted_cdf_percentiles():
    rng = np.random.default_rng(0)
    for _ in range(300):
        f = rng.integers(2026, 2041, size=rng.integers(1, 60)).astype(float)
        f[rng.random(len(f)) < rng.random()] = np.inf
        q = np.percentile(f, [10, 50, 90], method="inverted_cdf")
        assert year_quantiles(f) == tuple(None if not np.isfinite(v) else int(v) for v in q)


def test_contributions_add_up(engine, settings):
    p = engine.run(everything(engine), settings)
    parts = p.contributions()
    np.testing.assert_allclose(sum(parts.values()), p.exports - p.baseline_exports, rtol=1e-9, atol=1e-6)
    assert set(parts) == {lv.name for lv in LEVERS}


def test_summarise_matches_numpy_for_small_samples():
    rng = np.random.default_rng(2)
    for n in (1, 2, 3, 10, 101):
        x = rng.random((n, 4))
        st = summarise(x)
        ref = np.percentile(x, PERCENTILES, axis=0)
        for i, q in enumerate(PERCENTILES):
            np.testing.assert_allclose(st[f"p{q}"], ref[i])
        np.testing.assert_allclose(st["mean"], x.mean(axis=0))


# --------------------------------------------------------------------------- overrides


def test_trend_overrides(engine):
    base = engine.run(baseline_scenario(), load_settings(draws=2000, seed=1))
    faster = engine.run(
        baseline_scenario().model_copy(update={"trend": TrendOverride(growth_pct=25)}),
        load_settings(draws=2000, seed=1),
    )
    assert (faster.stats["p50"] > base.stats["p50"]).all()
    calm = engine.run(
        baseline_scenario().model_copy(update={"trend": TrendOverride(shock_scale=0)}),
        load_settings(draws=2000, seed=1),
    )
    spread = lambda p: p.stats["p95"] - p.stats["p5"]  # noqa: E731
    assert (spread(calm) < spread(base)).all()
    slow = engine.run(
        baseline_scenario().model_copy(update={"trend": TrendOverride(slowdown_per_doubling=5)}),
        load_settings(draws=2000, seed=1),
    )
    assert slow.stats["p50"][-1] < base.stats["p50"][-1]


def test_baseline_moves_with_effect_assumptions(engine):
    """A larger effect per zone means more of the past came from zones and less from the trend."""
    s = load_settings(draws=3000, seed=4)
    default = engine.run(baseline_scenario(), s)
    bigger = validate_scenario(
        {"name": "b", "assumptions": {"tech_zones.exports_per_zone": {"central": 15}}},
        first_year=engine.first_projection_year,
    ).merged_onto(baseline_scenario())
    moved = engine.run(bigger, s)
    assert not np.allclose(moved.stats["p50"], default.stats["p50"])
    assert moved.draws.alpha_center < default.draws.alpha_center


def test_assumptions_that_explain_more_than_the_data_are_an_input_error(engine):
    """Within the override bounds the additive effects stay below FY2025's exports; were the
    data smaller (or the bounds wider), the engine says so instead of taking a log of a negative."""
    huge = {a.name: (a.bounds[1],) * 3 for a in ASSUMPTIONS}
    engine.draws(n=10, seed=1, horizon=2030, triples=huge)  # fine with the real data
    small = copy.copy(engine)
    small.reported_base = 500.0
    with pytest.raises(InputError, match="attribute more than the reported exports"):
        small.draws(n=10, seed=1, horizon=2030, triples=huge)


def test_horizon_outside_the_model_range(engine):
    with pytest.raises(InputError, match=r"horizon.*fiscal years 2026 to 2050"):
        engine.draws(n=10, seed=1, horizon=2025)


def test_lever_path_forms(engine):
    years = np.arange(2026, 2033)
    s = Scenario(
        name="p",
        base=None,
        levers={
            "vc_funding": LeverPath(value=343, start=2028, ramp_years=3),
            "tech_zones": LeverPath(values={2027: 30, 2029: 40}),
        },
    )
    paths = engine.full_paths(s, years)
    future = slice(len(engine.history_years), None)
    d = LEVER_BY_NAME["vc_funding"].default  # current policy before the ramp starts
    ramp = [d, d, d + (343 - d) / 3, d + 2 * (343 - d) / 3, 343, 343, 343]
    np.testing.assert_allclose(paths["vc_funding"][future], ramp)
    np.testing.assert_allclose(paths["tech_zones"][future], [23, 30, 35, 40, 40, 40, 40])


# --------------------------------------------------------------------------- settings and staleness


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("SIMULATOR_DRAWS", "500")
    monkeypatch.setenv("SIMULATOR_SEED", "0")
    s = load_settings()
    assert (s.draws, s.seed) == (500, 0)
    monkeypatch.setenv("SIMULATOR_DRAWS", "5")
    with pytest.raises(InputError, match=r"SIMULATOR_DRAWS.*got '5'.*100 to 200000"):
        load_settings()


def test_stale_parameters_are_refused(data_copy, params):
    obs = data_copy / "observations.csv"
    obs.write_text(
        obs.read_text(encoding="utf-8")
        + "2025-07,2025-07,2026,330,ict_services,2025-08-20,SBP,https://example.org/new,,\n",
        encoding="utf-8",
    )
    from simulator.data import load_dataset

    with pytest.raises(InputError, match="run `python -m calibration fit`"):
        Engine(load_dataset(data_copy), params)


# --------------------------------------------------------------------------- golden


def golden_values(engine: Engine) -> dict:
    out = {}
    s = load_settings(draws=4000, seed=20250820, horizon=2040)
    for name, scen in (("baseline", baseline_scenario()), ("everything", everything(engine))):
        p = engine.run(scen, s)
        years = [int(y) for y in p.years]
        out[name] = {
            "stats": {
                str(y): {k: float(p.stats[k][years.index(y)]) for k in ("mean", "p5", "p50", "p95")}
                for y in (2026, 2030, 2040)
            },
            "odds": {
                o.target.id: [o.p_by_deadline, o.year_p10, o.year_p50, o.year_p90, o.p_never]
                for o in p.target_odds([engine.data.target(t) for t in GOLDEN_TARGETS])
            },
        }
    return out


GOLDEN_TARGETS = ("t10b_fy2029_uraan", "t15b_fy2030_govt", "t25b_fy2029_pm", "t5b_fy2026_govt")
ODDS_FIELDS = ("p_by_deadline", "year_p10", "year_p50", "year_p90", "p_never")


GOLDEN_REL, GOLDEN_ABS = 1e-9, 1e-12
"""Tolerance of the goldens: relative 1e-9 on every float (another BLAS or libm moves the last
bits; a change to the model or the data moves far more), plus 1e-12 absolute for probabilities
near 0. Whole years and missing values (``None``) must be equal."""


def test_seeded_golden_outputs(engine):
    """Seeded outputs, stored as JSON; regenerate deliberately with `python tests/test_engine.py`."""
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = golden_values(engine)
    for name in expected:
        for year, stats in expected[name]["stats"].items():
            for k, v in stats.items():
                assert got[name]["stats"][year][k] == pytest.approx(v, rel=GOLDEN_REL), (name, year, k)
        assert got[name]["odds"].keys() == expected[name]["odds"].keys()
        for target, values in expected[name]["odds"].items():
            for field, want, have in zip(ODDS_FIELDS, values, got[name]["odds"][target], strict=True):
                if isinstance(want, float):
                    assert have == pytest.approx(want, rel=GOLDEN_REL, abs=GOLDEN_ABS), (name, target, field)
                else:
                    assert have == want, (name, target, field)


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    e = Engine.from_settings()
    assert load_params().data_sha256 == e.data.sha256
    GOLDEN.write_text(json.dumps(golden_values(e), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
