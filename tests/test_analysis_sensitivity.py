"""Sensitivity: Sobol indices of a function with known indices, through the same code path that
calls SALib; the tornado; the odds model's draws agree with the engine's own."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.goals import Goal, resolve_goal
from simulator.analysis.sensitivity import (
    SENSITIVITY_COLUMNS,
    Input,
    OddsModel,
    odds_sobol,
    sensitivity_rows,
    sobol,
    tornado,
    uncertain_inputs,
)
from simulator.errors import InputError
from simulator.levers import ASSUMPTIONS
from simulator.scenario import baseline_scenario, validate_scenario

A, B = 7.0, 0.1


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices (Ishigami and Homma 1990; Sobol' and Levitan 1999)."""
    v1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def uniform_pi(name: str) -> Input:
    return Input(name, name, "", lambda u: -np.pi + 2 * np.pi * np.asarray(u))


def test_ishigami_indices():
    s1, st = ishigami_indices()
    assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)  # the published values
    (res,) = sobol(ishigami, [uniform_pi(f"x{i}") for i in (1, 2, 3)], ["y"], n=4096, seed=1)
    assert res.runs == 4096 * 5
    np.testing.assert_allclose(res.s1, s1, atol=0.03)
    np.testing.assert_allclose(res.st, st, atol=0.03)
    # the bootstrap intervals are honest: the true value lies within about two half-widths
    assert (np.abs(res.st - st) <= 2 * res.st_conf + 0.01).all()
    assert res.ranked()[0] == 0  # x1 has the largest total index


def test_constant_output_has_no_indices():
    (res,) = sobol(lambda x: np.zeros((len(x), 1)), [uniform_pi("a"), uniform_pi("b")], ["y"], n=64, seed=0)
    assert not res.defined and "no variance" in res.note
    with pytest.raises(InputError, match="power of two"):
        sobol(ishigami, [uniform_pi("a")], ["y"], n=100, seed=0)


def test_draws_given_reproduces_draws(engine):
    """The engine hook: draws() is draws_given() applied to random values."""
    d = engine.draws(n=500, seed=3, horizon=2032)
    fitted = engine.params.trend.alpha
    again = engine.draws_given(
        seed=3,
        horizon=2032,
        assumptions=d.assumptions,
        alpha0=d.alpha_noise + fitted,
        beta=d.beta,
        sigma=d.sigma,
        shock_slope=d.shock_slope,
        z=_raw_shocks(3, 500, len(d.years)),
        triples=d.triples,
    )
    np.testing.assert_array_equal(again.log_core, d.log_core)


def _raw_shocks(seed: int, n: int, years: int) -> np.ndarray:
    """The shocks draws() makes before conditioning on the nowcast (its third seed stream)."""
    s_shock = np.random.SeedSequence(seed).spawn(3)[2]
    return np.random.Generator(np.random.PCG64(s_shock)).standard_normal((years, n)).T


@pytest.fixture(scope="module")
def odds_model(engine, settings):
    goals = [resolve_goal(engine, target_id=t) for t in ("t5b_fy2026_govt", "t10b_fy2029_uraan")]
    inputs, fixed = uncertain_inputs(engine, baseline_scenario())
    assert not fixed and len(inputs) == len(ASSUMPTIONS) + 2
    return OddsModel(engine, baseline_scenario(), goals, inputs, shocks=400, seed=settings.seed)


def test_tornado_directions(odds_model):
    for t in tornado(odds_model):
        assert 0 <= t.y_central <= 1
        by = {b.input: b for b in t.bars}
        # faster trend growth raises the odds; a target above the median path gains from bigger shocks
        assert by["trend.growth"].y_high > by["trend.growth"].y_low
        assert by["trend.shock_size"].y_high > by["trend.shock_size"].y_low
        assert t.bars[0].swing >= t.bars[-1].swing
        # an effect size whose lever stays at current policy and that the history cannot see
        assert by["talent_pipeline.elasticity"].swing == 0


def test_odds_model_is_deterministic(odds_model):
    """Common random numbers: the same inputs give the same probabilities."""
    y = odds_model.evaluate(odds_model.central())
    assert y.shape == (1, 2)
    assert ((y >= 0) & (y <= 1)).all()
    assert odds_model.evaluate(odds_model.central())[0] == pytest.approx(y[0])  # deterministic


def test_odds_sobol_and_rows(odds_model, settings):
    res = odds_sobol(odds_model, n=64, seed=settings.seed)
    assert [r.output for r in res] == [g.key for g in odds_model.goals]
    for r in res:
        assert r.runs == 64 * (len(odds_model.inputs) + 2)
        assert r.defined
        top = r.names[r.ranked()[0]]
        assert top.startswith("trend.")
    rows = sensitivity_rows(tornado(odds_model), res, odds_model.shocks, odds_model.inputs)
    assert set(rows[0]) == set(SENSITIVITY_COLUMNS)
    assert {r["method"] for r in rows} == {"tornado", "sobol"}


def test_fixed_assumption_is_left_out(engine, settings):
    doc = {"name": "fixed", "assumptions": {"vc_funding.export_yield": {"fixed": 0.1}}}
    s = validate_scenario(doc, first_year=engine.first_projection_year).merged_onto(baseline_scenario())
    inputs, fixed = uncertain_inputs(engine, s)
    assert fixed == ["vc_funding.export_yield"]
    model = OddsModel(engine, s, [Goal(5000, 2026)], inputs, shocks=200, seed=1)
    assert model.evaluate(model.central()).shape == (1, 1)
