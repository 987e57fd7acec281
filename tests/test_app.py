"""The Streamlit app: pure pieces (sidebar state, links, frames, chart specs, downloads) and AppTest runs.

The strongest checks are that views agree: every shipped scenario, loaded as a preset, a link or
an upload, shows exactly what ``simulator run`` writes for it; a slider moved away and back gives
the same numbers; one slider moves one lever and nothing else.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from simulator.analysis.attribution import wedges as engine_wedges
from simulator.app import charts, compute, files, frames, links, main_page, session, state
from simulator.backtests import load_results, results_path
from simulator.cli import main as cli_main
from simulator.errors import InputErrors
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME, LEVERS
from simulator.scenario import (
    BASELINE,
    LeverPath,
    Scenario,
    baseline_scenario,
    default_start_year,
    is_current_policy,
    lever_paths,
    validate_scenario,
)
from simulator.scenario_files import load_scenario_text, shipped_scenarios

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "streamlit_app.py")
FIRST = 2026
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def engine():
    return compute.engine()


@pytest.fixture(scope="module")
def defaults(engine) -> state.Defaults:
    return main_page.make_defaults(engine)


PRESETS = {k: v for k, v in shipped_scenarios(first_year=FIRST).items() if k != BASELINE}
CTX = links.LinkContext(FIRST, PRESETS)


def scenario(doc: dict) -> Scenario:
    return validate_scenario({"name": "s", **doc}, first_year=FIRST)


def odds_value(at: AppTest, amount: str) -> float:
    """The odds a target card shows, as a number ('<0.1%' counts as 0.05)."""
    text = next(m for m in at.metric if m.label.startswith(amount)).value
    return {"<0.1%": 0.05, ">99.9%": 99.95}.get(text) or float(text.rstrip("%"))


def fan_data(at: AppTest, index: int = 0):
    el = at.get("vega_lite_chart")[index]
    spec = json.loads(el.proto.spec)
    data = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in el.proto.datasets}
    return spec, data


def new_app(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def cards(at: AppTest) -> list[tuple[str, str, str]]:
    return [(m.label, m.value, m.delta) for m in at.metric]


# --------------------------------------------------------------------------- sidebar state (pure)


ROUND_TRIP = [
    {"levers": {"tech_zones": 40}},
    {"levers": {"tech_zones": 40, "vc_funding": 200}, "name": "zones-and-vc"},
    {
        "levers": {
            "tech_zones": {"value": 40, "start": 2028, "ramp_years": 3},
            "vc_funding": {"value": 100, "start": 2028, "ramp_years": 3},
        }
    },
    {"levers": {"tech_zones": {"value": 40, "start": 2028}, "retention_limit": 100}},
    {"levers": {"tech_zones": {"value": 40, "start": 2026}, "connectivity_loss": {"value": 0.35}}},
    {"levers": {"talent_pipeline": {"values": {2027: 100, 2030: 200}}, "vc_funding": 22.5}},
    {"levers": {"formal_channel_share": {"value": 80, "start": 2029, "ramp_years": 1}}},
    {
        "assumptions": {
            "vc_funding.export_yield": 0.3,
            "tech_zones.exports_per_zone": {"low": 1, "central": 5, "high": 9},
        }
    },
    {
        "assumptions": {"connectivity_loss.elasticity": {"fixed": 2}},
        "trend": {"growth_pct": 10.25, "shock_scale": 0.5},
    },
    {"draws": 2000, "seed": 7, "horizon": 2045, "description": "a test & more"},
]


def same_paths(a: Scenario, b: Scenario) -> bool:
    years = np.arange(FIRST, 2051)
    pa, pb = lever_paths(a, years), lever_paths(b, years)
    return all(np.array_equal(pa[k], pb[k]) for k in pa)


@pytest.mark.parametrize("doc", [*ROUND_TRIP, *(s.to_document() for s in PRESETS.values())])
def test_the_sidebar_shows_a_scenario_exactly(doc, defaults):
    """Loading a scenario into the sidebar and reading it back gives the same scenario: the same
    document, hence the same paths and the same numbers as ``simulator run``."""
    s = scenario(doc) if "name" not in doc else validate_scenario(doc, first_year=FIRST)
    back = state.scenario_from_controls(state.controls_from_scenario(s, defaults), defaults)
    assert same_paths(back, s)
    unstated = any(
        isinstance(v, LeverPath) and v.value is not None and v.start is None
        for v in s.lever_settings().values()
    )
    if unstated:  # a path without a start is shown (and written back) with the first projection year
        s = back
    assert back.to_document() == state.resolved(state.without_current_policy(s)).to_document()
    assert state.scenario_from_controls(state.controls_from_scenario(back, defaults), defaults) == back


@SLOW
@given(
    preset=st.sampled_from(sorted(PRESETS)),
    lever=st.sampled_from([lv.name for lv in LEVERS]),
    steps=st.integers(-60, 60),
)
# found by Hypothesis: a year-by-year path whose last year is at current policy stays a path
@example(preset="firewall-2024-repeat", lever="connectivity_loss", steps=0)
@example(preset="blueprint-package", lever="formal_channel_share", steps=-50)  # through current policy
def test_one_slider_moves_one_lever_and_back(defaults, preset, lever, steps):
    """Moving one slider changes that lever's value and nothing else about any lever's path; moving
    it back gives back the scenario."""
    lv = LEVER_BY_NAME[lever]
    loaded = PRESETS[preset]
    c = state.controls_from_scenario(loaded, defaults)
    start = c.levers[lever].value
    value = min(lv.max, max(lv.min, round(start + steps * lv.step, 6)))
    moved = state.scenario_from_controls(c.with_lever(lever, value), defaults)
    before, after = loaded.lever_settings(), moved.lever_settings()
    assert {k: v for k, v in after.items() if k != lever} == {k: v for k, v in before.items() if k != lever}
    new, old = after.get(lever), before.get(lever)
    if isinstance(old, LeverPath) and old.values is not None:  # a year-by-year path: its last year moves
        assert new == LeverPath(values={**old.values, max(old.values): value})
    elif value == lv.default:
        assert new is None
    elif isinstance(old, LeverPath) and old.value is not None:
        assert new == before[lever].model_copy(update={"value": value})
    elif before.get(lever) is None:
        assert new == LeverPath(value=value, start=default_start_year(FIRST))
    if new is None and old is not None:
        # at current policy the scenario holds no timing for the lever; the sidebar keeps it in its
        # controls (its widgets' state), so moving back is a move of the same controls
        back_controls = c.with_lever(lever, value).with_lever(lever, start)
    else:
        back_controls = state.controls_from_scenario(moved, defaults).with_lever(lever, start)
    back = state.scenario_from_controls(back_controls, defaults)
    assert back.to_document() == loaded.to_document()


def test_a_year_by_year_path_keeps_its_years_when_its_slider_moves(defaults):
    loaded = PRESETS["firewall-2024-repeat"]
    c = state.controls_from_scenario(loaded, defaults)
    assert c.levers["connectivity_loss"].value == 1.3  # where the path ends
    moved = state.scenario_from_controls(c.with_lever("connectivity_loss", 2.0), defaults)
    assert moved.lever_settings()["connectivity_loss"] == LeverPath(values={2027: 3.4, 2028: 2.0})
    text = c.levers["connectivity_loss"].timing_text(LEVER_BY_NAME["connectivity_loss"], FIRST)
    assert "FY2027: 3.4, FY2028: 1.3" in text


def test_an_assumption_keeps_the_form_a_file_gave_it(defaults):
    s = scenario(
        {
            "assumptions": {
                "tech_zones.exports_per_zone": {"low": 1, "central": 5, "high": 9},
                "connectivity_loss.elasticity": {"fixed": 2},
            }
        }
    )
    c = state.controls_from_scenario(s, defaults)
    c = state.Controls(
        **{
            **c.__dict__,
            "assumptions": {
                **c.assumptions,
                "tech_zones.exports_per_zone": state.AssumptionControl(
                    6, c.assumptions["tech_zones.exports_per_zone"].loaded
                ),
                "connectivity_loss.elasticity": state.AssumptionControl(
                    1.5, c.assumptions["connectivity_loss.elasticity"].loaded
                ),
            },
        }
    )
    o = state.scenario_from_controls(c, defaults).assumption_overrides()
    assert o["tech_zones.exports_per_zone"].model_dump(exclude_none=True) == {
        "low": 1,
        "central": 6,
        "high": 9,
    }
    assert o["connectivity_loss.elasticity"].fixed == 1.5


def test_one_default_start_year_for_the_sidebar_and_the_shipped_scenarios():
    """A moved lever starts in the year after the first projection year, in the sidebar and in
    every shipped scenario that states a start (the only constant is the notified zone count)."""
    start = default_start_year(FIRST)
    assert start == 2027
    assert state.LeverControl.of(LEVERS[0], None, FIRST).start == start
    for name, s in PRESETS.items():
        for lever, setting in s.lever_settings().items():
            if isinstance(setting, LeverPath) and setting.value is not None:
                assert setting.start == start, (name, lever)
            elif isinstance(setting, LeverPath):
                assert min(setting.values) == start, (name, lever)
            else:
                assert (name, lever) == ("pessimistic", "tech_zones")
    assert "FY2026 (July 2025 to June 2026) is under way" in main_page.start_reason(compute.engine())


@SLOW
@given(
    name=st.sampled_from(["baseline", *sorted(PRESETS)]),
    zones=st.lists(st.integers(0, 60), min_size=2, max_size=2, unique=True),
)
def test_fewer_zones_never_give_better_odds(engine, defaults, name, zones):
    """With the same draws, fewer technology zones never raise the odds of any target, from any preset."""
    fewer, more = sorted(zones)
    c = state.controls_from_scenario(PRESETS[name], defaults) if name in PRESETS else defaults.controls()
    lo = compute.run(state.scenario_from_controls(c.with_lever("tech_zones", fewer), defaults))
    hi = compute.run(state.scenario_from_controls(c.with_lever("tech_zones", more), defaults))
    for t in engine.open_targets():
        p_lo, p_hi = lo.odds(t).p_by_deadline, hi.odds(t).p_by_deadline
        if p_lo is not None:
            assert p_lo <= p_hi, (t.label, fewer, more)


def test_snapping_keeps_a_files_value_and_cleans_the_browsers(defaults):
    from simulator.app.sidebar import snap

    vc, loss = LEVER_BY_NAME["vc_funding"], LEVER_BY_NAME["connectivity_loss"]
    assert snap(vc, 22.5) == 22.5
    assert snap(loss, 1.4000000000000001) == 1.4
    assert snap(loss, 1.35) == 1.35


# --------------------------------------------------------------------------- links (pure)


@pytest.mark.parametrize("doc", ROUND_TRIP)
def test_a_link_reads_back_to_the_same_scenario(doc):
    s = scenario(doc)
    back, _ = links.scenario_from_query(links.scenario_to_query(s, CTX), CTX)
    want = {k: v for k, v in s.to_document().items() if k not in ("description", "base")}
    assert back.to_document() == want


def test_a_link_holds_only_what_differs_and_names_a_preset():
    assert links.scenario_to_query(scenario({"name": state.DEFAULT_NAME}), CTX) == {}
    assert links.scenario_to_query(scenario({"levers": {"tech_zones": 40}}), CTX) == {
        "name": "s",
        "levers.tech_zones": "40",
    }
    for name, s in PRESETS.items():
        assert links.scenario_to_query(s, CTX) == {"preset": name}
    bp = PRESETS["blueprint-package"]
    tz = bp.lever_settings()["tech_zones"].model_copy(update={"value": 59.0})
    moved = bp.model_copy(update={"levers": bp.levers.model_copy(update={"tech_zones": tz})})
    assert links.scenario_to_query(moved, CTX) == {"preset": "blueprint-package", "levers.tech_zones": "59"}
    back, preset = links.scenario_from_query({"preset": "blueprint-package", "levers.tech_zones": "59"}, CTX)
    assert preset == "blueprint-package" and back.lever_settings() == moved.lever_settings()
    assert back.description == bp.description  # from the preset: never in the link


def test_any_preset_with_two_compared_fits_in_600_characters():
    base = "https://pk-it-exports.streamlit.app/scenario"
    view = {"deadline_10B": ["2027"], "deadline_15B": ["2029"], "deadline_25B": ["2027"], "tab": ["compare"]}
    longest = ""
    for current, *others in itertools.permutations(PRESETS.values(), 3):
        query = {k: [v] for k, v in links.scenario_to_query(current, CTX).items()}
        query.update(view)
        query[session.COMPARE_KEY] = session.encode_compare(others, CTX)
        link = f"{base}?{urlencode(query, doseq=True, safe='.:,/')}"
        longest = max(longest, link, key=len)
    assert len(longest) <= 600, longest


def test_a_bad_link_names_the_key_the_value_and_what_is_allowed():
    with pytest.raises(InputErrors) as exc:
        links.scenario_from_query(
            {"levers.tech_zones": "500", "levers.tech_zone": "3", "trend.growth_pct": "x"}, CTX
        )
    text = str(exc.value)
    assert "levers.tech_zones" in text and "500" in text and "0 to 60 zones" in text
    assert "did you mean 'tech_zones'" in text
    assert "trend.growth_pct" in text
    with pytest.raises(InputErrors, match="whole number"):  # never silently 40
        links.scenario_from_query({"levers.tech_zones": "40.5"}, CTX)
    with pytest.raises(InputErrors, match="did you mean 'blueprint-package'"):
        links.scenario_from_query({"preset": "blueprint-packag"}, CTX)


def test_a_compare_set_round_trips():
    kept = [
        state.resolved(scenario({"name": "a", "levers": {"tech_zones": 40}})),
        PRESETS["pessimistic"].model_copy(update={"name": "b"}),
    ]
    back, errors = session.decode_compare(session.encode_compare(kept, CTX), CTX)
    assert not errors
    assert [s.to_document() for s in back] == [s.to_document() for s in kept]
    back, errors = session.decode_compare(["name=c&levers.tech_zones=99"], CTX)
    assert back == [] and errors and errors[0].field.startswith("levers.tech_zones")


# --------------------------------------------------------------------------- numbers, frames, charts


@given(p=st.floats(0, 1), b=st.floats(0, 1))
def test_a_card_and_its_delta_never_disagree(p, b):
    shown = frames.odds_text(p, b)
    number = {"<": 0.0, ">": 100.0}

    def value(text: str) -> float:
        return number.get(text[0]) if text[0] in number else float(text.rstrip("%"))

    if shown.delta is None:
        assert value(shown.value) == value(shown.baseline)
    else:
        diff = float(shown.delta.split(" pts")[0])
        assert diff == pytest.approx(value(shown.value) - value(shown.baseline), abs=1e-9)
        assert shown.delta.endswith(f"vs {shown.baseline}")
    if min(p, b) >= 0.1 and max(p, b) <= 0.9:
        assert "." not in shown.value
    elif 0 < p < 0.095:
        assert "." in shown.value or shown.value.startswith("<")


def test_contributions_match_the_engine_and_add_up(engine):
    s = scenario({"levers": {"tech_zones": 50, "connectivity_loss": 5, "vc_funding": 300}})
    run = compute.run(s)
    full = run.projection.contributions()
    j = list(run.years).index(2032)
    at = run.contributions_at(2032)
    for k, v in full.items():
        np.testing.assert_allclose(at[k], v[:, j], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(run.contributions()[k], v, rtol=1e-12, atol=1e-9)
    diff = (run.projection.exports[:, j] - run.baseline.exports[:, j]).mean()
    assert sum(v.mean() for v in at.values()) == pytest.approx(diff, rel=1e-9)
    assert at["tech_zones"].mean() > 0 > at["connectivity_loss"].mean()


def test_the_wedges_are_the_engines_and_add_up_to_the_difference(engine):
    s = PRESETS["blueprint-package"]
    run = compute.run(s)
    diff = run.projection.exports - run.baseline.exports
    wedges, band = frames.wedge_frames(run.years, run.contributions(), diff, engine.base_year)
    assert (band.iloc[0][["middle_mean", "p10", "p90"]] == 0).all() and band.iloc[0][
        "fiscal_year"
    ] == engine.base_year
    total = wedges.groupby("fiscal_year")["middle_mean"].sum().to_numpy()
    np.testing.assert_allclose(total, band["middle_mean"].to_numpy(), rtol=1e-9, atol=1e-12)
    for column, q in (("p10", 10), ("p90", 90)):  # the band is the difference's own percentiles
        np.testing.assert_allclose(
            band[column].to_numpy()[1:] * 1000, np.percentile(diff, q, axis=0), rtol=1e-12
        )
    reference = {
        (r["fiscal_year"], r["lever"]): r["middle_musd"] / 1000 for r in engine_wedges(run.projection)
    }
    for row in wedges[wedges["fiscal_year"] > engine.base_year].itertuples():
        assert row.middle_mean == pytest.approx(reference[(row.fiscal_year, row.lever)], rel=1e-9, abs=1e-12)
    spec = charts.wedge_spec(wedges, band)
    vega = charts.to_altair(spec).to_dict()
    assert vega["datasets"]  # valid Vega-Lite
    assert "middle 80% of draws" in json.dumps(vega)  # the tooltips name the centre


def test_a_runs_charts_are_made_once_and_drawn_the_same_at_every_rerun(engine):
    """The page keeps a run's chart data (as Arrow) with the run: a rerun on the same scenario
    sends the same charts without making them again; they equal the charts made afresh."""
    at = new_app()
    at.sidebar.slider(key="lever.tech_zones").set_value(44).run()
    first = [fan_data(at, i) for i in range(len(at.get("vega_lite_chart")))]
    run = list(compute._runs()._data.values())[-1][0]  # the run the page used last
    assert run.scenario.lever_settings()["tech_zones"].value == 44
    kept = dict(run._derived)
    assert {"wedge_chart"} <= set(kept) and any(k[0] == "fan_chart" for k in kept if isinstance(k, tuple))
    at.run()  # the same scenario again
    assert all(run._derived[k] is v for k, v in kept.items())  # not made again
    again = [fan_data(at, i) for i in range(len(at.get("vega_lite_chart")))]
    for (spec_a, data_a), (spec_b, data_b) in zip(first, again, strict=True):
        assert spec_a == spec_b and data_a.keys() == data_b.keys()
        for k in data_a:
            pd.testing.assert_frame_equal(data_a[k], data_b[k])
    fresh = main_page._wedge_spec(engine, run)["datasets"]  # made afresh, as DataFrames
    wedge_data = next(d for _, d in first if set(d) == set(fresh))
    for k, df in fresh.items():
        pd.testing.assert_frame_equal(wedge_data[k].reset_index(drop=True), df.reset_index(drop=True))


def test_the_wedge_band_holds_its_centre_where_the_plain_mean_leaves_it(engine):
    """The stored trend posterior keeps a few runaway draws (docs/model.md, section 8): by FY2040
    the plain mean difference lies above its 90th percentile; the chart's centre does not."""
    run = compute.run(PRESETS["blueprint-package"])
    diff = run.projection.exports - run.baseline.exports
    _, band = frames.wedge_frames(run.years, run.contributions(), diff, engine.base_year)
    assert (band["p10"] <= band["middle_mean"] + 1e-12).all()
    assert (band["middle_mean"] <= band["p90"] + 1e-12).all()
    assert diff[:, -1].mean() / 1000 > band["p90"].iloc[-1]  # why the plain mean is not shown


def _wedges_of(parts: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    n_years = next(iter(parts.values())).shape[1]
    full = {lv.name: parts.get(lv.name, np.zeros((1, n_years))) for lv in LEVERS}
    diff = sum(np.broadcast_to(v, next(iter(parts.values())).shape) for v in full.values())
    years = np.arange(2026, 2026 + n_years)
    wedges, band = frames.wedge_frames(years, full, diff, 2025)
    return wedges, band, diff


def test_wedges_by_hand_one_runaway_draw():
    # 20 draws of one year: differences 1..19 and one runaway 10,000 (US$ m). NumPy's linear
    # percentiles: p10 at rank 1.9 -> 2.9, p90 at rank 17.1 -> 18.1. The middle draws are 3..18,
    # their mean 10.5; the plain mean (190 + 10,000) / 20 = 509.5 lies far above the p90.
    d = np.array([*range(1, 20), 10_000.0])
    zones = np.where(d < 100, 1.0, 9_000.0)  # a part that is constant except in the runaway
    wedges, band, _ = _wedges_of({"tech_zones": zones[:, None], "vc_funding": (d - zones)[:, None]})
    row = band.iloc[1]
    assert (row["p10"], row["p90"]) == pytest.approx((0.0029, 0.0181))
    assert row["middle_mean"] == pytest.approx(0.0105)
    parts = wedges[wedges["fiscal_year"] == 2026].set_index("lever")["middle_mean"]
    assert parts["tech_zones"] == pytest.approx(0.001) and parts["vc_funding"] == pytest.approx(0.0095)
    assert parts.drop(["tech_zones", "vc_funding"]).eq(0).all()
    assert d.mean() / 1000 > row["p90"]


@settings(max_examples=60, deadline=None)
@given(
    draws=st.integers(1, 40),
    years=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    heavy=st.floats(0, 8),
)
def test_wedge_parts_add_to_the_centre_inside_the_band(draws, years, seed, heavy):
    rng = np.random.default_rng(seed)
    # parts of either sign, with a heavy right tail (lognormal of scale ``heavy``)
    parts = {
        lv.name: rng.normal(0, 50, (draws, years)) + rng.lognormal(0, heavy, (draws, years)) * (k % 2)
        for k, lv in enumerate(LEVERS[:3])
    }
    wedges, band, _ = _wedges_of(parts)
    total = wedges.groupby("fiscal_year")["middle_mean"].sum().to_numpy()
    np.testing.assert_allclose(total, band["middle_mean"].to_numpy(), rtol=1e-9, atol=1e-9)
    lo, hi = band["p10"].to_numpy(), band["p90"].to_numpy()
    slack = 1e-9 * (1 + np.abs(band["middle_mean"].to_numpy()))
    assert (lo - slack <= band["middle_mean"]).all() and (band["middle_mean"] <= hi + slack).all()


# Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of color
# vision deficiency", IEEE TVCG 15(6): deuteranopia, severity 1, on linear RGB.
DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
)


def _lab(hex_colour: str, simulate: bool) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    rgb = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if simulate:
        rgb = np.clip(DEUTERANOPIA @ rgb, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_wedge_colours_stay_apart_under_deuteranopia_and_differ_from_the_targets():
    colours = {**charts.WEDGE_COLOURS, "target": charts.TARGET_COLOUR, "total": charts.OKABE_ITO["black"]}
    assert len(set(colours.values())) == len(colours)
    for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2):
        for simulate in (False, True):
            delta_e = float(np.linalg.norm(_lab(ca, simulate) - _lab(cb, simulate)))
            assert delta_e >= 15, (a, b, simulate, delta_e)  # CIE76: 2.3 is just noticeable


def test_fan_frame_opens_at_the_last_reported_year(engine):
    run = compute.run(scenario({"levers": {"tech_zones": 50}}))
    fan = frames.fan_frame({frames.SCENARIO: run.projection, frames.BASELINE: run.baseline}, engine)
    first = fan[fan["fiscal_year"] == engine.base_year]
    assert len(first) == 2
    assert np.allclose(
        first[list(frames.BAND_COLUMNS)].to_numpy(), dict(engine.history())[engine.base_year] / 1000
    )
    last = fan[fan["fiscal_year"] == run.years[-1]].set_index("series")
    assert last.loc[frames.SCENARIO, "p50"] == pytest.approx(run.projection.stats["p50"][-1] / 1000)


def _spec(engine, doc, log_scale=True):
    run = compute.run(scenario(doc))
    fan = frames.fan_frame({frames.SCENARIO: run.projection, frames.BASELINE: run.baseline}, engine)
    hist = frames.history_frame(engine.data, engine.base_year)
    choices = main_page.deadline_choices(engine)
    targets = frames.targets_frame([by_year[max(by_year)][0] for by_year in choices.values()])
    return charts.fan_spec(fan, hist, targets, log_scale=log_scale)


def test_a_slider_move_changes_only_the_chart_data(engine):
    """The layout is built once; a lever move changes the datasets, not the spec (fast redraw)."""
    a, b = _spec(engine, {"levers": {"tech_zones": 30}}), _spec(engine, {"levers": {"tech_zones": 31}})
    da, db = a.pop("datasets"), b.pop("datasets")
    assert a == b
    assert not da["fan"].equals(db["fan"])


def test_tooltips_show_formatted_money(engine):
    """Hover texts are '$14.4B', not 'p25 14.4177354432': every tooltip field is a text the spec
    formats, or a number with a format."""
    spec = charts.to_altair(_spec(engine, {"levers": {"tech_zones": 40}})).to_dict()
    tips = [t for layer in spec["layer"] for t in layer.get("encoding", {}).get("tooltip", [])]
    assert tips
    for t in tips:
        assert t["type"] == "nominal" or "format" in t, t
    assert "Median" in {t.get("title") for t in tips}
    calculated = json.dumps([t for layer in spec["layer"] for t in layer.get("transform", [])])
    assert "format(" in calculated and "'B'" in calculated


@pytest.mark.parametrize("log_scale", [True, False])
def test_fan_chart_is_valid_vega_lite_and_exports(engine, log_scale):
    spec = _spec(engine, {"levers": {"tech_zones": 40}}, log_scale=log_scale)
    charts.to_altair(spec)  # validates against the Vega-Lite schema
    lo, hi = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert lo <= spec["datasets"]["history"]["value"].min()
    assert hi >= 25 * 1.5
    if log_scale:
        assert hi >= spec["datasets"]["fan"]["p95"].max()


@pytest.mark.parametrize("size", list(charts.EXPORT_SIZES))
def test_exported_figures_say_what_they_show_at_their_size(engine, size):
    from simulator.app import export_tab

    s = PRESETS["blueprint-package"]
    run = compute.run(s)
    choices = main_page.deadline_choices(engine)
    targets = [by_year[max(by_year)][0] for by_year in choices.values()]
    hist = frames.history_frame(engine.data, engine.base_year)
    spec = charts.fan_spec(main_page.build_fan(engine, s, run), hist, frames.targets_frame(targets))
    link = "http://127.0.0.1:8501/scenario?preset=blueprint-package"
    text = export_tab.export_text(engine, s, run, targets, hist, link)
    svg = files.chart_export(spec, text, size, "svg").decode()
    width, height, _ = charts.EXPORT_SIZES[size]
    assert files.svg_size(svg) == (width, height)
    for words in (
        "blueprint-package",
        frames.odds_text(
            run.odds(targets[0]).p_by_deadline, run.odds(targets[0], baseline=True).p_by_deadline
        ).value,
        "State Bank of Pakistan",
        "Pakistan Bureau of Statistics",
        "Ministry of IT",
        "published up to",
        f"seed {run.projection.draws.seed}",
        engine.params.sha256()[:12],
        "preset=blueprint-package",
    ):
        assert words in svg, words
    png = files.chart_export(spec, text, size, "png")
    from PIL import Image

    assert Image.open(io.BytesIO(png)).size == (2 * width, 2 * height)


# --------------------------------------------------------------------------- downloads


def test_yaml_download_round_trips_and_csv_matches_the_command_line(tmp_path):
    s = scenario(
        {"name": "app-export", "levers": {"tech_zones": {"value": 40, "start": 2028, "ramp_years": 2}}}
    )
    text = files.scenario_yaml(s)
    assert load_scenario_text(text, "x.yaml", first_year=FIRST).to_document() == {
        **s.to_document(),
        "base": "baseline",
    }
    path = tmp_path / "app-export.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    run_settings = compute.settings()
    code = cli_main(
        [
            "run",
            str(path),
            "--out",
            str(out),
            "--quiet",
            "--draws",
            str(run_settings.draws),
            "--seed",
            str(run_settings.seed),
        ]
    )
    assert code == 0
    p = compute.run(s).projection
    assert files.projection_csv(s.name, p).encode() == (out / "projections.csv").read_bytes()
    assert files.odds_csv(s.name, p).encode() == (out / "targets.csv").read_bytes()


def test_the_zip_holds_the_command_lines_files_and_a_manifest_that_reruns_them(tmp_path, monkeypatch):
    s = PRESETS["vc-2021-level"].model_copy(update={"name": "vc-test"})
    p = compute.run(s).projection
    blob = files.results_zip(s, p, compute.settings())
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        names = sorted(z.namelist())
        content = {n.split("/", 1)[1]: z.read(n) for n in names}
    assert names == [
        f"vc-test-results/{n}" for n in ("manifest.json", "projections.csv", "targets.csv", "vc-test.yaml")
    ]
    manifest = json.loads(content["manifest.json"])
    import hashlib

    for name, sha in manifest["files"].items():
        assert hashlib.sha256(content[name]).hexdigest() == sha
    assert manifest["scenarios"][0]["file_sha256"] == hashlib.sha256(content["vc-test.yaml"]).hexdigest()
    assert manifest["scenarios"][0]["seed"] == p.draws.seed
    # the recorded command, run on the YAML, writes the same CSVs
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vc-test.yaml").write_bytes(content["vc-test.yaml"])
    assert manifest["command"][:2] == ["simulator", "run"]
    assert cli_main([*manifest["command"][1:], "--quiet"]) == 0
    out = tmp_path / "vc-test-results"
    assert (out / "projections.csv").read_bytes() == content["projections.csv"]
    assert (out / "targets.csv").read_bytes() == content["targets.csv"]


def test_upload_uses_the_command_line_messages_and_resolves_the_base():
    known = {"z": scenario({"name": "z", "levers": {"tech_zones": 40}})}
    s = files.read_upload(b"name: up\nbase: z\nlevers:\n  vc_funding: 100\n", "up.yaml", FIRST, known)
    assert s.lever_settings() == {"tech_zones": 40, "vc_funding": 100}
    with pytest.raises(InputErrors) as exc:
        files.read_upload(b"name: up\nbase: nowhere\n", "up.yaml", FIRST, known)
    assert "up.yaml" in str(exc.value) and "nowhere" in str(exc.value)
    with pytest.raises(InputErrors) as exc:
        files.read_upload(b"!!python/object:os.system\n", "evil.yaml", FIRST, known)
    assert "evil.yaml" in str(exc.value)
    with pytest.raises(InputErrors, match="too large"):
        files.read_upload(b"#" * 200_000, "big.yaml", FIRST, known)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(str.encode),
        st.lists(
            st.sampled_from(
                [
                    "name: x\n",
                    "levers:\n",
                    "  tech_zones: 40\n",
                    "  tech_zones: 40.5\n",
                    "  tech_zones: [1, 2]\n",
                    "&a [*a]\n",
                    "!!python/name:os.system\n",
                    "base: x\n",
                    "draws: 1e9\n",
                    "trend: {growth_pct: .nan}\n",
                    "  - 1\n",
                    "\t\n",
                    "'\n",
                    "? [a, b]\n: 1\n",
                    "<<: {a: 1}\n",
                ]
            ),
            max_size=8,
        ).map(lambda parts: "".join(parts).encode()),
    )
)
def test_no_upload_escapes_as_anything_but_input_errors(data):
    try:
        out = files.read_upload(data, "fuzz.yaml", FIRST, {})
    except InputErrors as exc:
        assert exc.errors and all("fuzz.yaml" in str(e) for e in exc.errors)
    else:
        assert isinstance(out, Scenario)


# --------------------------------------------------------------------------- the app (AppTest)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """``simulator run scenarios/`` with the app's draws and seed: targets and projections by scenario."""
    out = tmp_path_factory.mktemp("cli") / "out"
    s = compute.settings()
    assert (
        cli_main(
            [
                "run",
                str(REPO / "scenarios"),
                "--out",
                str(out),
                "--quiet",
                "--draws",
                str(s.draws),
                "--seed",
                str(s.seed),
            ]
        )
        == 0
    )
    with open(out / "targets.csv", newline="") as fh:
        odds = {(r["scenario"], r["target_id"]): r["p_by_deadline"] for r in csv.DictReader(fh)}
    with open(out / "projections.csv", newline="") as fh:
        p50 = {(r["scenario"], int(r["fiscal_year"])): float(r["p50"]) for r in csv.DictReader(fh)}
    return odds, p50


def expected_cards(engine, name: str, cli_run) -> list[tuple[str, str, str]]:
    """The cards ``simulator run``'s numbers give for a scenario at the default deadlines."""
    odds, _ = cli_run
    out = []
    for amount, by_year in main_page.deadline_choices(engine).items():
        year = max(by_year)
        t = by_year[year][0]
        p, b = (float(odds[(n, t.id)]) for n in (name, BASELINE))
        shown = frames.odds_text(p, b)
        delta = shown.delta if not state.is_baseline(PRESETS.get(name, scenario({}))) else None
        out.append((f"${amount / 1000:g}B by FY{year}", shown.value, delta or ""))
    return out


def assert_fan_matches(at: AppTest, name: str, cli_run) -> None:
    _, p50 = cli_run
    _, data = fan_data(at)
    fan = data["fan"]
    series = frames.SCENARIO if name != BASELINE and not state.is_baseline(PRESETS[name]) else frames.BASELINE
    rows = fan[(fan["series"] == series) & (fan["fiscal_year"] > 2025)]
    for row in rows.itertuples():
        assert row.p50 * 1000 == pytest.approx(p50[(name, row.fiscal_year)], abs=0.051), (
            name,
            row.fiscal_year,
        )


def test_every_preset_shows_what_simulator_run_writes(engine, cli_run):
    at = new_app()
    assert cards(at) == expected_cards(engine, BASELINE, cli_run)
    assert_fan_matches(at, BASELINE, cli_run)
    for name in PRESETS:
        at.selectbox(key="preset").set_value(name).run()
        assert not at.exception and not at.error
        assert cards(at) == expected_cards(engine, name, cli_run), name
        assert_fan_matches(at, name, cli_run)
        assert dict(at.query_params) == {"preset": name}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_by_link_and_upload_shows_what_simulator_run_writes(engine, cli_run, name):
    at = new_app(preset=name, utm_source="newsletter", fbclid="IwAR0abc")
    assert not at.exception and not at.error
    assert cards(at) == expected_cards(engine, name, cli_run)
    assert_fan_matches(at, name, cli_run)
    assert dict(at.query_params) == {"preset": name, "utm_source": "newsletter", "fbclid": "IwAR0abc"}
    at.session_state["upload_panel"] = True
    at.selectbox(key="preset").set_value(sidebar_none()).run()
    path = REPO / "scenarios" / f"{name}.yaml"
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert cards(at) == expected_cards(engine, name, cli_run)
    assert_fan_matches(at, name, cli_run)
    # the uploaded file is a preset's twin: the link names the preset
    assert dict(at.query_params)["preset"] == name


def sidebar_none() -> str:
    from simulator.app.sidebar import NO_PRESET

    return NO_PRESET


def test_app_runs_without_exceptions():
    at = new_app()
    assert not at.exception and not at.error
    assert [m.label for m in at.metric] == ["$10B by FY2029", "$15B by FY2030", "$25B by FY2029"]
    _, data = fan_data(at)
    assert set(data) == {"fan", "history", "targets"}
    assert set(data["fan"]["series"]) == {frames.BASELINE}
    assert dict(at.query_params) == {}


def test_away_and_back_gives_the_same_numbers():
    at = new_app(preset="blueprint-package")
    before, (_, fan_before), wedges_before = cards(at), fan_data(at), fan_data(at, 1)[1]
    at.slider(key="lever.tech_zones").set_value(59).run()
    assert dict(at.query_params) == {"preset": "blueprint-package", "levers.tech_zones": "59"}
    assert odds_value(at, "$10B") <= float(before[0][1].rstrip("%"))  # fewer zones never better
    assert at.slider(key="lever.talent_pipeline").value == 113  # nothing else moved
    at.slider(key="lever.tech_zones").set_value(60).run()
    assert cards(at) == before
    assert fan_data(at)[1]["fan"].equals(fan_before["fan"])
    assert fan_data(at, 1)[1]["wedges"].equals(wedges_before["wedges"])
    assert dict(at.query_params) == {"preset": "blueprint-package"}


def test_raising_a_lever_raises_the_odds_and_shows_the_wedges():
    at = new_app()
    before_odds = odds_value(at, "$10B")
    at.slider(key="lever.tech_zones").set_value(60).run()
    at.slider(key="lever.vc_funding").set_value(1000.0).run()
    assert not at.exception
    _, after = fan_data(at)
    fan = after["fan"].set_index(["series", "fiscal_year"])
    last = int(after["fan"]["fiscal_year"].max())
    assert fan.loc[(frames.SCENARIO, last), "p50"] > fan.loc[(frames.BASELINE, last), "p50"]
    assert odds_value(at, "$10B") > before_odds
    assert " pts vs " in next(m for m in at.metric if m.label.startswith("$10B")).delta
    assert dict(at.query_params) == {"start": "2027", "levers.tech_zones": "60", "levers.vc_funding": "1000"}
    _, wedges = fan_data(at, 1)
    parts = wedges["wedges"].groupby("lever")["middle_mean"].sum()
    assert parts["tech_zones"] > 0 and parts["vc_funding"] > 0 and parts["retention_limit"] == 0
    text = " ".join(m.value for m in at.markdown)
    assert "in 8 of 10 simulated paths" in text and " to $" in text  # a range, not a lone median


def open_timings(at: AppTest, *names: str) -> AppTest:
    for name in names:
        at.session_state[f"timing.{name}"] = True
    return at.run()


def test_each_lever_has_its_own_timing():
    at = new_app()
    at.slider(key="lever.tech_zones").set_value(50).run()
    open_timings(at, "tech_zones").selectbox(key="start.tech_zones").set_value(2029).run()
    open_timings(at, "tech_zones").number_input(key="ramp.tech_zones").set_value(3).run()
    at.slider(key="lever.vc_funding").set_value(100.0).run()
    assert not at.exception and not at.error
    q = dict(at.query_params)
    scenario_in_link, _ = links.scenario_from_query(q, CTX)
    assert scenario_in_link.lever_settings() == {
        "tech_zones": LeverPath(value=50, start=2029, ramp_years=3),
        "vc_funding": LeverPath(value=100, start=2027),
    }
    opened = open_timings(new_app(**q), "tech_zones", "vc_funding")
    assert opened.selectbox(key="start.tech_zones").value == 2029
    assert opened.number_input(key="ramp.tech_zones").value == 3
    assert opened.selectbox(key="start.vc_funding").value == 2027
    assert cards(opened) == cards(at)
    labels = " ".join(p.proto.popover.label for p in opened.get("popover"))
    assert "From 23 in FY2028 to 50 in FY2031, in 3 equal steps." in labels


def test_a_link_with_tracking_keys_reproduces_the_scenario_and_keeps_them():
    plain = new_app(preset="blueprint-package", **{"levers.tech_zones": "59"})
    tracked = new_app(
        preset="blueprint-package",
        utm_source="x",
        utm_medium="social",
        fbclid="abc",
        gclid="1",
        ref="hn",
        **{"levers.tech_zones": "59"},
    )
    assert not tracked.exception and not tracked.error
    assert not [w for w in tracked.warning if "link" in w.value]
    assert cards(tracked) == cards(plain)
    assert dict(tracked.query_params) == {
        "preset": "blueprint-package",
        "levers.tech_zones": "59",
        "utm_source": "x",
        "utm_medium": "social",
        "fbclid": "abc",
        "gclid": "1",
        "ref": "hn",
    }
    tracked.slider(key="lever.tech_zones").set_value(58).run()  # moving on keeps them too
    assert (
        dict(tracked.query_params)["utm_source"] == "x"
        and dict(tracked.query_params)["levers.tech_zones"] == "58"
    )


def test_a_link_says_what_it_did_with_base_repeats_and_too_many_comparisons():
    at = new_app(
        base="tech-zones-60",
        **{"levers.vc_funding": ["100", "200"]},
        compare=[f"preset={name}" for name in sorted(PRESETS)[:8]],
    )
    assert not at.exception and not at.error
    text = " ".join(x.value for x in [*at.info, *at.warning])
    assert "base=tech-zones-60" in text and "preset=tech-zones-60" in text
    assert "levers.vc_funding: 100, 200; used 200" in text
    assert "compares 8 scenarios" in text and "at most 6" in text
    assert at.slider(key="lever.tech_zones").value == 60 and at.slider(key="lever.vc_funding").value == 200
    assert len(at.session_state[session.COMPARED]) == 6
    assert dict(at.query_params)["preset"] == "tech-zones-60"


def test_view_settings_and_the_tab_live_in_the_link():
    at = new_app(deadline_10B="2027", scale="linear", year="2035", tab="table")
    assert not at.exception and not at.error
    assert at.metric[0].label == "$10B by FY2027"
    spec, _ = fan_data(at)
    assert spec["layer"][0]["encoding"]["y"]["scale"].get("type") != "log"
    assert dict(at.query_params) == {
        "deadline_10B": "2027",
        "year": "2035",
        "scale": "linear",
        "tab": "table",
    }
    assert at.session_state[session.TAB_KEY] == "Projection table"
    assert at.dataframe  # the projection table is what is open


def test_a_bad_link_is_explained_not_a_traceback():
    at = new_app(**{"levers.tech_zones": "500", "levers.nonsense": "1", "deadline_10B": "1999"})
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "levers.tech_zones" in text and "0 to 60 zones" in text
    assert "levers.nonsense" in text and "deadline_10B" in text
    assert at.slider(key="lever.tech_zones").value == LEVER_BY_NAME["tech_zones"].default
    at = new_app(**{"levers.tech_zones": "40.5"})
    assert "whole number" in " ".join(e.value for e in at.error)
    at = new_app(**{"lever.tech_zones": "40"})  # a typo of ours is named, and kept
    assert "did you mean levers.tech_zones" in " ".join(w.value for w in at.warning)
    assert dict(at.query_params) == {"lever.tech_zones": "40"}


def test_a_bad_upload_shows_its_errors_and_a_good_one_loads():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["upload_panel"] = True
    at.run()
    bad = b"name: x\nlevers:\n  tech_zones: 500\n  tech_zone: 3\n"
    at.file_uploader[0].set_value(("bad.yaml", bad, "application/x-yaml")).run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "bad.yaml, line 3: levers.tech_zones" in text and "0 to 60 zones" in text
    assert "bad.yaml, line 4: levers.tech_zone: is not a known field; did you mean 'tech_zones'?" in text
    evil = b"name: x\nlevers: !!python/object/apply:os.system ['echo pwned']\n"
    at.file_uploader[0].set_value(("evil.yaml", evil, "application/x-yaml")).run()
    assert not at.exception and "evil.yaml" in " ".join(e.value for e in at.error)
    good = (
        b"name: zones-40\ndescription: Forty zones, because.\nlevers:\n  tech_zones: {value: 40, start: 2028}"
    )
    at.file_uploader[0].set_value(("good.yaml", good, "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert at.slider(key="lever.tech_zones").value == 40
    assert open_timings(at, "tech_zones").selectbox(key="start.tech_zones").value == 2028
    assert dict(at.query_params) == {"name": "zones-40", "start": "2028", "levers.tech_zones": "40"}
    text = " ".join(m.value for m in at.markdown)
    assert "zones-40" in text and "Forty zones, because." in text  # name and description shown


def test_presets_and_reset():
    at = new_app()
    assert "tech-zones-60" in at.selectbox(key="preset").options
    at.selectbox(key="preset").set_value("tech-zones-60").run()
    assert not at.exception
    open_timings(at, "tech_zones")
    assert at.slider(key="lever.tech_zones").value == 60
    assert (
        at.selectbox(key="start.tech_zones").value == 2027
        and at.number_input(key="ramp.tech_zones").value == 5
    )
    assert dict(at.query_params) == {"preset": "tech-zones-60"}
    next(b for b in at.button if b.label == "Reset to baseline").click().run()
    assert at.slider(key="lever.tech_zones").value == LEVER_BY_NAME["tech_zones"].default
    assert dict(at.query_params) == {}


def test_assumptions_move_the_baseline_and_show_the_default_one():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["assumptions_panel"] = True
    at.run()
    at.slider(key="trend.growth_pct").set_value(8.0).run()
    assert not at.exception
    _, data = fan_data(at)
    fan = data["fan"].set_index(["series", "fiscal_year"])
    last = int(data["fan"]["fiscal_year"].max())
    assert set(data["fan"]["series"]) == {frames.BASELINE, frames.DEFAULT_BASELINE}
    assert fan.loc[(frames.BASELINE, last), "p50"] < fan.loc[(frames.DEFAULT_BASELINE, last), "p50"]
    assert dict(at.query_params) == {"trend.growth_pct": "8"}


def test_compare_keeps_scenarios_asks_for_a_free_name_and_shows_bands():
    at = new_app(tab="compare")
    at.slider(key="lever.tech_zones").set_value(60).run()
    at.text_input(key="keep_name").input("zones-60").run()
    next(b for b in at.button if b.label == "Keep").click().run()
    at.slider(key="lever.tech_zones").set_value(10).run()
    at.text_input(key="keep_name").input("zones-60").run()
    next(b for b in at.button if b.label == "Keep").click().run()
    assert "already called 'zones-60'" in " ".join(w.value for w in at.warning)
    assert [s.name for s in at.session_state[session.COMPARED]] == ["zones-60"]
    at.text_input(key="keep_name").input("zones-10").run()
    next(b for b in at.button if b.label == "Keep").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["scenario"]) == ["baseline", "zones-60", "zones-10"]
    assert list(table.columns[:4]) == ["scenario", "$10B by FY2029", "$15B by FY2030", "$25B by FY2029"]
    t10 = next(t for t in compute.engine().open_targets() if t.id == "t10b_fy2029_uraan")
    base = compute.run(baseline_scenario()).odds(t10)
    assert table.iloc[0]["$10B by FY2029"] == frames.odds_text(base.p_by_deadline, base.p_by_deadline).value
    assert table.iloc[1]["$10B by FY2029"].endswith("pts)") is False
    assert table.iloc[1]["$10B by FY2029"].split(" (")[1].startswith("+")
    assert table.iloc[1]["levers"].startswith("Special Technology Zones: 60")
    spec = json.loads(at.get("vega_lite_chart")[-1].proto.spec)
    assert [layer["mark"]["type"] for layer in spec["layer"]][:2] == ["area", "line"]  # bands, medians
    assert at.query_params["compare"] == [
        "name=zones-60&start=2027&levers.tech_zones=60",
        "name=zones-10&start=2027&levers.tech_zones=10",
    ]
    opened = new_app(**dict(at.query_params))
    assert [s.name for s in opened.session_state[session.COMPARED]] == ["zones-60", "zones-10"]


def test_the_app_compare_and_the_command_line_compare_agree(engine):
    """One pure function: the app's table shows what ``simulator compare`` writes."""
    from simulator.app import compare_tab
    from simulator.compare import Compared, compare

    s = PRESETS["tech-zones-60"]
    targets = [by_year[max(by_year)][0] for by_year in main_page.deadline_choices(engine).values()]
    items = [Compared.of(BASELINE, compute.run(baseline_scenario()).projection, targets)]
    items.append(Compared.of(s.name, compute.run(s).projection, targets))
    result = compare(items)
    table = compare_tab.compare_table(result, targets)
    for row in result.target_rows:
        t = next(t for t in targets if t.id == row["target_id"])
        shown = frames.odds_text(row["p_by_deadline"], row["p_by_deadline_reference"])
        assert table.set_index("scenario").loc[s.name, t.label].split(" (")[0] == shown.value


def test_the_app_refuses_more_draws_than_it_runs_but_names_the_limit():
    at = new_app(draws="200000", **{"levers.tech_zones": "40"})
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "draws" in text and "at most 50,000 in the app" in text
    with pytest.raises(InputErrors, match="at most 50,000"):
        files.read_upload(b"name: big\ndraws: 100000\n", "big.yaml", FIRST, {})


def test_a_bad_scenario_name_is_reported_and_the_app_carries_on():
    at = new_app(**{"levers.tech_zones": "40"})
    at.session_state["scenario_name"] = "bad name!"
    at.run()
    assert not at.exception
    assert "name: must be 1-64 letters" in " ".join(e.value for e in at.error)
    assert at.metric[0].value


@pytest.mark.parametrize("horizon", ["2026", "2050"])
def test_short_and_long_horizons(horizon):
    at = new_app(horizon=horizon, **{"levers.tech_zones": "40"})
    assert not at.exception and not at.error
    _, data = fan_data(at)
    assert int(data["fan"]["fiscal_year"].max()) == int(horizon)


def test_choosing_a_stated_deadline_changes_the_card_and_the_link():
    at = new_app()
    later = odds_value(at, "$10B")
    at.selectbox(key="deadline.10000").set_value(2026).run()
    assert not at.exception
    assert at.metric[0].label == "$10B by FY2026"
    assert odds_value(at, "$10B") <= later  # an earlier deadline cannot be likelier
    assert dict(at.query_params) == {"deadline_10B": "2026"}
    _, data = fan_data(at)
    assert 2026 in set(data["targets"]["deadline"])


@pytest.mark.parametrize("module", ["model_page", "data_page"])
def test_other_pages_run(module):
    at = AppTest.from_string(f"from simulator.app import {module}\n{module}.page()\n", default_timeout=120)
    at.run()
    assert not at.exception and not at.error
    if module == "model_page":
        text = " ".join(m.value for m in at.markdown)
        assert "naive forecast" in text and ("beats" in text or "does not beat" in text)
        # the panel backtest and the dependence table come from the results file, not a re-fit
        results = load_results(results_path(compute.settings().params_path))
        tables = [d.value for d in at.dataframe]
        panel = next(t for t in tables if "CRPS (log)" in t.columns)
        shown = panel[panel["model"] == "panel model"]["CRPS (log)"].tolist()
        assert shown == pytest.approx([s.crps for s in results.panel.scores if s.model == "panel"], abs=6e-4)
        # the periods' tables: each cell is the results file's figure for that origin and horizon
        origins = next(t for t in tables if "origin" in t.columns).set_index("origin")
        for o in results.panel.by_origin:
            assert origins.loc[o.origin, f"{o.horizon} yr ahead"] == f"{o.median_log_error * 100:+.0f}"
        assert set(origins.index) == set(results.panel.origins)
        cells = origins[[c for c in origins.columns if c.endswith("yr ahead")]]
        assert (cells == "–").to_numpy().sum() == cells.size - len(results.panel.by_origin)
        shifts = next(t for t in tables if "80% held, period shift out %" in t.columns)
        assert shifts["80% held, period shift out %"].tolist() == [
            round(s.coverage_80_shift_removed * 100, 1) for s in results.panel.shift_removed
        ]
        dep = next(t for t in tables if "assumption" in t.columns and "scenario" in t.columns)
        assert len(dep) == len(results.dependence)
        assert len(at.get("vega_lite_chart")) >= 4  # reference class, fit, backtest, PIT
    else:
        obs = at.dataframe[0].value
        assert {"source", "published", "url", "used"} <= set(obs.columns)
        assert (obs["used"] == "yes").sum() >= len(compute.engine().history())
        set_aside = set(obs.loc[obs["used"].str.startswith("no:"), "used"])
        assert set_aside == {"no: source conflict", "no: lower bound"}  # kept, marked, not used


def test_sliders_cover_each_declaration(defaults):
    for lv in LEVERS:
        assert lv.min <= lv.default <= lv.max
        assert is_current_policy(lv, lv.default)
    for a in ASSUMPTIONS:
        step = state.assumption_step(a)
        for v in (a.low, a.central, a.high):
            assert state.on_grid(v, a.bounds[0], step), a.name
    for t in state.TREND_FIELDS:
        lo, hi = state.trend_bounds(t)
        assert lo <= defaults.trend[t] <= hi


def test_another_page_can_read_the_sidebars_scenario():
    script = (
        "import streamlit as st\nfrom simulator.app import compute, main_page\n"
        "st.text(repr(main_page.sidebar_scenario(compute.engine()).lever_settings()))\n"
    )
    at = AppTest.from_string(script, default_timeout=60)
    at.session_state["lever.tech_zones"] = 40
    at.run()
    assert not at.exception
    assert at.text[0].value == repr({"tech_zones": LeverPath(value=40, start=default_start_year(FIRST))})


# --------------------------------------------------------------------------- under load, settings, address


def test_a_run_is_measured_with_every_array_it_holds_once(engine):
    s = scenario({"name": "x", "levers": {"tech_zones": 40}})
    run = compute.run(s)
    before = compute.run_nbytes(run)
    parts = run.contributions()
    grown = compute.run_nbytes(run)
    assert grown >= before + sum(v.nbytes for v in parts.values())
    run.contributions_at(2030)  # views of what is there: nothing new to count
    assert compute.run_nbytes(run) == grown
    draws = run.projection.draws
    assert compute.projection_nbytes(run.projection) < grown + draws.nbytes  # the draws are the engine's
    table = np.arange(1000.0)
    assert run.derived("table", lambda: table) is run.derived("table", lambda: np.zeros(1))  # made once
    assert compute.run_nbytes(run) == grown + table.nbytes
    spec = run.derived("spec", lambda: {"datasets": {"d": b"x" * 5000}})
    assert compute.run_nbytes(run) == grown + table.nbytes + 5000  # Arrow bytes count too
    assert run.derived("spec", dict) is spec


def test_a_run_is_walked_again_only_when_it_kept_something_more(engine, monkeypatch):
    """The caches re-measure what they hold at every use; an unchanged run is not walked again."""
    run = compute.run(scenario({"name": "x", "levers": {"tech_zones": 41}}))
    walks = []
    real = compute.held_nbytes
    monkeypatch.setattr(compute, "held_nbytes", lambda *a: walks.append(1) or real(*a))
    first = compute.run_nbytes(run)
    assert compute.run_nbytes(run) == first and len(walks) <= 1
    run.contributions()  # a dict entry more
    assert compute.run_nbytes(run) > first and compute.run_nbytes(run) > first
    n = len(walks)
    _ = run.projection.exports  # a cached property computed: an attribute more
    compute.run_nbytes(run)
    assert len(walks) == n + 1


def test_links_name_the_scenario_page_whatever_page_they_are_made_on():
    for url in ("http://h:8501/", "http://h:8501", "http://h:8501/scenario", "http://h:8501/model?x=1"):
        assert links.scenario_address(url) == "http://h:8501/scenario"
    assert links.scenario_address("http://h/app/scenario#top") == "http://h/app/scenario"


def test_the_root_address_opens_the_scenario_page_with_the_whole_query():
    at = new_app(preset="tech-zones-60", utm_source="x", compare=["preset=blueprint-package", "seed=3"])
    at.run()
    assert not at.exception
    q = at.query_params
    assert (q["preset"], q["utm_source"]) == ("tech-zones-60", "x")
    assert list(q["compare"]) == ["preset=blueprint-package", "seed=3"]  # a repeated key kept whole
    assert any("Scenario: tech-zones-60" in m.value for m in at.markdown)


def test_a_bad_setting_stops_the_app_with_its_variable_not_a_traceback(monkeypatch):
    """(The settings are read once per server: the test clears that cache before and after.)"""
    from simulator.app import compute

    monkeypatch.setenv("SIMULATOR_DRAWS", "5")
    compute.settings.clear()
    try:
        at = new_app()
    finally:
        monkeypatch.delenv("SIMULATOR_DRAWS")
        compute.settings.clear()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "The app cannot start" in text and "SIMULATOR_DRAWS" in text


def test_an_unknown_setting_is_a_warning_and_the_app_runs(monkeypatch):
    monkeypatch.setenv("SIMULATOR_DRAW", "20000")
    at = new_app()
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "SIMULATOR_DRAW" in warnings and "SIMULATOR_DRAWS" in warnings  # did you mean
    assert at.metric  # the scenario page's cards


# --------------------------------------------------------------------------- shared between sessions


def test_sessions_showing_one_scenario_share_its_charts_and_leave_them_as_they_were(engine, monkeypatch):
    """Two visitors on the same link get the same kept charts; drawing them changes nothing in
    what is shared, and the charts hold the numbers worked out from scratch."""
    from pandas.testing import assert_frame_equal

    shown: list[compute.Run] = []
    run_of = compute.run
    monkeypatch.setattr(compute, "run", lambda s: shown.append(run_of(s)) or shown[-1])
    query = {"name": "shared", "levers.tech_zones": "33"}
    first, second = new_app(**query), new_app(**query)
    assert not first.exception and not second.exception

    def sent(at):
        return [(el.proto.spec, [d.data.data for d in el.proto.datasets]) for el in at.get("vega_lite_chart")]

    assert sent(first) == sent(second) and len(sent(first)) >= 3  # fan, wedges, contributions
    run = next(r for r in shown if r.scenario.name == "shared")
    assert all(r is run for r in shown if r.scenario.name == "shared")  # one run for both sessions
    wedges, band = run.wedges(engine.base_year)
    assert -1 not in run._contributions  # the per-draw parts were let go
    difference = run.projection.exports - run.baseline.exports
    fresh = frames.wedge_frames(run.years, run.projection.contributions(), difference, engine.base_year)
    assert_frame_equal(wedges, fresh[0])
    assert_frame_equal(band, fresh[1])
    _, data = fan_data(first, 1)
    assert_frame_equal(data["wedges"], fresh[0], check_dtype=False)
    kept = run.derived("wedge_chart", dict)
    assert set(kept["datasets"]) == {"wedges", "band"}
    assert all(isinstance(v, bytes) for v in kept["datasets"].values())  # sent as kept, not made again
    moved = new_app(name="shared", **{"levers.tech_zones": "34"})
    assert sent(moved)[1] != sent(first)[1]


def test_the_server_freezes_what_is_alive_after_the_first_run_once():
    code = (
        "import gc\nfrom simulator.runtime import freeze_heap\n"
        "n = freeze_heap()\ngarbage = [[] for _ in range(1000)]\n"
        "print(n, freeze_heap(), gc.get_freeze_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, again, count = map(int, out.stdout.split())
    assert first > 1000 and again == first == count  # once per process: later objects stay collectable
