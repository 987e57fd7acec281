"""Properties over the whole lever ranges and assumption bounds (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import InputError
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME, LEVERS
from simulator.scenario import LeverPath, Scenario, TrendOverride

N_DRAWS = 300
HORIZON = 2040


@pytest.fixture(scope="module")
def draws(engine):
    return engine.draws(n=N_DRAWS, seed=99, horizon=HORIZON)


def lever_value(lever):
    return st.floats(lever.min, lever.max, allow_nan=False)


settings_value = st.fixed_dictionaries({lv.name: lever_value(lv) for lv in LEVERS})


def scenario(values: dict[str, float], start: int = 2026, ramp: int = 0) -> Scenario:
    return Scenario(
        name="h",
        base=None,
        levers={k: LeverPath(value=v, start=start, ramp_years=ramp) for k, v in values.items()},
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=settings_value, start=st.integers(2026, 2040), ramp=st.integers(0, 10))
def test_exports_finite_and_positive_everywhere_in_the_ranges(engine, draws, values, start, ramp):
    p = engine.project(scenario(values, start, ramp), draws)
    assert np.isfinite(p.exports).all()
    assert (p.exports > 0).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=settings_value, name=st.sampled_from([lv.name for lv in LEVERS]), data=st.data())
def test_each_lever_moves_exports_in_its_declared_direction(engine, draws, values, name, data):
    """Raising a lever, all else equal, never moves any draw against the lever's direction,
    and moves the final year in its direction whenever the effect sizes are not zero."""
    lever = LEVER_BY_NAME[name]
    lo = data.draw(st.floats(lever.min, lever.max - lever.step))
    hi = data.draw(st.floats(lo + lever.step, lever.max))
    a = engine.project(scenario({**values, name: lo}), draws).exports
    b = engine.project(scenario({**values, name: hi}), draws).exports
    diff = (b - a) * lever.direction
    assert (diff >= -1e-9 * np.abs(a)).all()
    assert (diff[:, -1] > 0).mean() > 0.9


assumption_overrides = st.fixed_dictionaries(
    {
        a.name: st.tuples(st.floats(a.bounds[0], a.bounds[1]), st.floats(a.bounds[0], a.bounds[1])).map(
            sorted
        )
        for a in ASSUMPTIONS
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=settings_value, bounds=assumption_overrides, growth=st.floats(-10, 40), scale=st.floats(0, 3))
def test_any_assumptions_within_bounds_give_numbers_or_a_clear_error(engine, values, bounds, growth, scale):
    triples = {k: (lo, (lo + hi) / 2, hi) for k, (lo, hi) in bounds.items()}
    try:
        d = engine.draws(
            n=100,
            seed=1,
            horizon=HORIZON,
            triples=triples,
            trend=TrendOverride(growth_pct=growth, shock_scale=scale),
        )
    except InputError as exc:
        assert "attribute more than the reported exports" in str(exc)
        return
    x = engine.project(scenario(values), d).exports
    assert np.isfinite(x).all() and (x > 0).all()
