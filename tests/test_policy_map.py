"""The policy map page: odds over a grid of two levers, equal to single projections, with a contour."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from simulator.app import compute, policy_map
from simulator.scenario import baseline_scenario, default_start_year

PAGE = "from simulator.app.policy_map import page\npage()"


@pytest.fixture(scope="module")
def engine():
    return compute.engine()


def test_each_cell_equals_a_projection_of_that_scenario(engine):
    target = next(t for t in engine.open_targets() if t.deadline_fy == 2029)
    base = baseline_scenario().model_copy(update={"draws": 1000})
    frame = policy_map.odds_grid(engine, base, target, "formal_channel_share", "vc_funding", n=3)
    assert len(frame) == 9
    start = default_start_year(engine.first_projection_year)
    draws = engine.cached_draws(base, compute.settings())
    for row in frame.sample(3, random_state=0).itertuples():
        from simulator import sweep

        levers = {"formal_channel_share": row.formal_channel_share, "vc_funding": row.vc_funding}
        cell = sweep.moved(base, levers, start=start, ramp_years=1, name="cell")
        (odds,) = engine.project(cell, draws).target_odds([target])
        assert row.odds == odds.p_by_deadline
    # more money and more formal channels never lower the odds on the same draws
    z = frame.pivot(index="vc_funding", columns="formal_channel_share", values="odds").to_numpy()
    assert np.all(np.diff(z, axis=0) >= 0) and np.all(np.diff(z, axis=1) >= 0)


def test_the_contour_of_a_plane_is_where_it_crosses_the_level():
    xs, ys = np.linspace(0, 1, 5), np.linspace(0, 10, 6)
    frame = pd.DataFrame([{"a": x, "b": y, "odds": x} for x in xs for y in ys])
    line = policy_map.contour(frame, "a", "b", 0.6)
    assert len(line) >= 2 and np.allclose(line["a"], 0.6)
    assert line["b"].min() == 0 and line["b"].max() == 10


def test_whole_levers_get_whole_values_without_repeats():
    v = policy_map.lever_grid("tech_zones")
    assert np.all(v == np.round(v)) and len(v) == len(set(v)) and v[0] == 0 and v[-1] == 60


def test_the_page_draws_the_map_of_the_current_scenario():
    at = AppTest.from_string(PAGE, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert len(spec["layer"]) == 3
    cells = [d for d in chart.proto.datasets if d]
    assert cells
    assert "Starting from: baseline" in at.caption[0].value
