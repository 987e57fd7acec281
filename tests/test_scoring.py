"""Blocked projections and the sweep scorer: the same numbers as a whole projection."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine import PERCENTILES, Engine
from simulator.errors import InputError
from simulator.levers import LEVERS
from simulator.scenario import LeverPath, Scenario, baseline_scenario
from simulator.scenario_files import shipped_scenarios
from simulator.summaries import scan


def sweep_point(i: int) -> Scenario:
    """A deterministic point of a six-lever sweep, moved from FY2027 over two years."""
    levers = {}
    for k, lv in enumerate(LEVERS):
        frac = ((i * 7 + k * 3) % 11) / 10
        levers[lv.name] = LeverPath(value=lv.min + frac * (lv.max - lv.min), start=2027, ramp_years=2)
    return Scenario(name=f"p{i}", base=None, levers=levers).merged_onto(baseline_scenario())


def test_streamed_statistics_equal_those_of_the_whole_array(engine):
    """Stats and odds from the one-pass scan equal those from the materialised exports, bit for
    bit, with a block of years at a time (2,000 draws) and a slice of draws (40,000 > one block)."""
    for n in (2000, 40_000):
        draws = engine.draws(n=n, seed=8, horizon=2045)
        s = sweep_point(3)
        streamed = engine.project(s, draws)
        whole = engine.project(s, draws)
        _ = whole.exports  # made first: the statistics then come from it
        for k in streamed.stats:
            np.testing.assert_array_equal(streamed.stats[k], whole.stats[k])
        assert streamed.target_odds() == whole.target_odds()
        assert streamed.target_odds(baseline=True) == whole.target_odds(baseline=True)
        assert "exports" not in streamed.__dict__  # the pass kept no (draws x years) array


def test_reach_counts_equal_each_draws_first_year(engine, settings):
    p = engine.run(sweep_point(5), settings)
    for amount in (*engine.target_amounts, 7777.0):  # a target's amount, and any other
        first = p.first_reach(amount)
        expected = [int(np.sum(first <= y)) for y in p.years]
        assert list(p.reached(amount)) == expected


def test_shocks_are_made_again_identically(engine):
    """Draws keep the core path, not the shocks; the shocks made again (conditioned on the
    nowcast) equal those of draws that keep them, made from the same raw shocks."""
    d = engine.draws(n=500, seed=4, horizon=2035)
    assert d.shocks is None
    kept = engine.draws_given(
        seed=4,
        horizon=2035,
        assumptions=d.assumptions,
        alpha0=d.alpha_noise + engine.params.trend.alpha,
        beta=d.beta,
        sigma=d.sigma,
        shock_slope=d.shock_slope,
        z=engine.raw_shocks(n=500, seed=4, horizon=2035),
    )
    assert kept.shocks is not None
    np.testing.assert_array_equal(kept.z, d.z)
    np.testing.assert_array_equal(kept.log_core, d.log_core)


@pytest.fixture(scope="module")
def scored(engine: Engine):
    draws = engine.draws(n=3000, seed=21, horizon=2040)
    targets = [t for t in engine.data.targets if t.deadline_fy is not None and t.deadline_fy <= 2040]
    return draws, targets


@pytest.mark.parametrize("percentiles", [(10, 50, 90), (5, 95), (50,)])
def test_scorer_equals_full_projections(engine, scored, percentiles):
    draws, targets = scored
    years = (2026, 2029, 2030, 2035)
    scorer = engine.scorer(draws, targets=targets, years=years, percentiles=percentiles)
    points = [sweep_point(i) for i in range(6)] + [s for s in shipped_scenarios().values()][:3]
    scores = scorer.score_many(points)
    assert scores.odds.shape == (len(points), len(targets))
    assert scores.percentiles.shape == (len(points), len(years), len(percentiles))
    for i, s in enumerate(points):
        p = engine.project(s, draws)
        expected = [o.p_by_deadline for o in p.target_odds(targets)]
        assert list(scores.odds[i]) == expected  # exactly
        cols = [int(np.searchsorted(p.years, y)) for y in years]
        for k, q in enumerate(percentiles):
            np.testing.assert_array_equal(scores.percentiles[i, :, k], p.stats[f"p{q}"][cols])


def test_scorer_projects_only_the_years_it_needs(engine, scored):
    draws, targets = scored
    early = [t for t in targets if t.deadline_fy <= 2029]
    scorer = engine.scorer(draws, targets=early, years=(2027,))
    assert scorer._stop == max(t.deadline_fy for t in early if engine.reached_in_history(t) is None) - 2025


def test_scorer_refuses_what_it_cannot_score(engine, scored):
    draws, targets = scored
    short = engine.draws(n=200, seed=1, horizon=2028)
    late = next(t for t in targets if t.deadline_fy == 2030)
    with pytest.raises(InputError, match=r"deadline \(FY2030\) after the horizon \(FY2028\)"):
        engine.scorer(short, targets=[late])
    with pytest.raises(InputError, match="not a projection year"):
        engine.scorer(short, targets=[], years=(2030,))
    undated = next((t for t in engine.data.targets if t.deadline_fy is None), None)
    if undated is not None:
        with pytest.raises(InputError, match="no deadline"):
            engine.scorer(draws, targets=[undated])


def test_scan_of_no_years_and_no_amounts_is_empty():
    out = scan(lambda a, b, buf: buf, n=10, stop=0, stat_years=[], percentiles=PERCENTILES)
    assert out.mean.shape == (0,) and out.reached.shape == (0, 0)
