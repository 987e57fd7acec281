"""The Streamlit app: pure pieces (URL state, frames, chart specs, downloads) and AppTest runs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from simulator.app import charts, compute, files, frames, main_page, state
from simulator.backtests import load_results, results_path
from simulator.cli import main as cli_main
from simulator.errors import InputErrors
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME, LEVERS
from simulator.scenario import LeverPath, Scenario, validate_scenario
from simulator.scenario_files import load_scenario_text

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "streamlit_app.py")
FIRST = 2026


@pytest.fixture(scope="module")
def engine():
    return compute.engine()


@pytest.fixture(scope="module")
def defaults(engine) -> state.Defaults:
    return main_page.make_defaults(engine)


def scenario(doc: dict) -> Scenario:
    return validate_scenario({"name": "s", **doc}, first_year=FIRST)


def odds_value(at: AppTest, amount: str) -> float:
    """The odds a target card shows, as a number ('<1%' counts as 0.5)."""
    m = next(m for m in at.metric if m.label.startswith(amount))
    text = m.value
    return 0.5 if text == "<1%" else 99.5 if text == ">99%" else float(text.rstrip("%"))


def fan_data(at: AppTest):
    el = at.get("vega_lite_chart")[0]
    spec = json.loads(el.proto.spec)
    data = {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in el.proto.datasets}
    return spec, data


def new_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


# --------------------------------------------------------------------------- URL state (pure)


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
    {"levers": {"talent_pipeline": {"values": {2027: 100, 2030: 200}}}},
    {
        "assumptions": {
            "vc_funding.export_yield": 0.3,
            "tech_zones.exports_per_zone": {"low": 1, "central": 5, "high": 9},
        }
    },
    {
        "assumptions": {"connectivity_loss.elasticity": {"fixed": 2}},
        "trend": {"growth_pct": 10, "shock_scale": 0.5},
    },
    {"draws": 2000, "seed": 7, "horizon": 2045, "description": "a test & more"},
]


@pytest.mark.parametrize("doc", ROUND_TRIP)
def test_query_string_round_trips_the_scenario(doc):
    s = scenario(doc)
    back = state.scenario_from_query(state.scenario_to_query(s), first_year=FIRST)
    assert back.to_document() == {**s.to_document(), "name": back.name}
    if doc.get("name"):
        assert back.name == doc["name"]


def test_query_holds_only_what_differs_from_the_baseline():
    assert state.scenario_to_query(scenario({"name": state.DEFAULT_NAME})) == {}
    q = state.scenario_to_query(scenario({"levers": {"tech_zones": 40}}))
    assert q == {"name": "s", "levers.tech_zones": "40"}


def test_bad_link_gives_field_value_and_allowed_range():
    with pytest.raises(InputErrors) as exc:
        state.scenario_from_query(
            {"levers.tech_zones": "500", "levers.tech_zone": "3", "trend.growth_pct": "x"}, first_year=FIRST
        )
    text = str(exc.value)
    assert "levers.tech_zones" in text and "500" in text and "0 to 60 zones" in text
    assert "did you mean 'tech_zones'" in text
    assert "trend.growth_pct" in text


def test_compare_set_round_trips():
    kept = [
        scenario({"name": "a", "levers": {"tech_zones": 40}}),
        scenario({"name": "b", "levers": {"vc_funding": 300}}),
    ]
    back, errors = state.decode_compare(state.encode_compare(kept), first_year=FIRST)
    assert not errors
    assert [s.to_document() for s in back] == [s.to_document() for s in kept]
    back, errors = state.decode_compare(["name=c&levers.tech_zones=99"], first_year=FIRST)
    assert back == [] and errors and errors[0].field.startswith("levers.tech_zones")


def test_sidebar_controls_round_trip_a_loaded_scenario(defaults):
    for doc in ROUND_TRIP:
        s = scenario(doc)
        controls = state.controls_from_scenario(s, defaults)
        again = state.scenario_from_controls(controls, s, defaults)
        assert again.to_document() == s.to_document(), doc


def test_moving_one_slider_replaces_only_that_lever(defaults):
    loaded = scenario({"levers": {"talent_pipeline": {"values": {2027: 100, 2030: 200}}, "tech_zones": 40}})
    c = state.controls_from_scenario(loaded, defaults)
    moved = state.scenario_from_controls(
        state.Controls(**{**c.__dict__, "levers": {**c.levers, "tech_zones": 50}}), loaded, defaults
    )
    assert moved.lever_settings()["tech_zones"] == 50
    assert moved.lever_settings()["talent_pipeline"] == loaded.lever_settings()["talent_pipeline"]
    c2 = state.Controls(**{**c.__dict__, "levers": {**c.levers, "talent_pipeline": 150}, "start_year": 2028})
    moved = state.scenario_from_controls(c2, loaded, defaults)
    assert moved.lever_settings()["talent_pipeline"] == LeverPath(value=150, start=2028)


def test_start_year_and_ramp_apply_to_every_moved_lever(defaults):
    c = defaults.controls()
    c = state.Controls(
        **{
            **c.__dict__,
            "levers": {**c.levers, "tech_zones": 40, "vc_funding": 100},
            "start_year": 2028,
            "ramp_years": 2,
        }
    )
    s = state.scenario_from_controls(c, None, defaults)
    assert s.lever_settings() == {
        "tech_zones": LeverPath(value=40, start=2028, ramp_years=2),
        "vc_funding": LeverPath(value=100, start=2028, ramp_years=2),
    }
    assert state.scenario_to_query(s) == {
        "start": "2028",
        "ramp": "2",
        "levers.tech_zones": "40",
        "levers.vc_funding": "100",
    }


def test_sliders_cover_each_declaration(defaults):
    """Each slider accepts its declared default, and the assumption and trend grids hold every
    declared value (a lever's default may lie between its steps: vc_funding's 43 on a 5-grid)."""
    for lv in LEVERS:
        assert lv.min <= lv.default <= lv.max
    for a in ASSUMPTIONS:
        step = state.assumption_step(a)
        for v in (a.low, a.central, a.high):
            assert state.on_grid(v, a.bounds[0], step), a.name
    for t in state.TREND_FIELDS:
        lo, hi = state.trend_bounds(t)
        assert lo <= defaults.trend[t] <= hi


# --------------------------------------------------------------------------- numbers and charts


def test_contributions_at_a_year_match_the_engine(engine):
    s = scenario({"levers": {"tech_zones": 50, "connectivity_loss": 5, "vc_funding": 300}})
    run = compute.run(s)
    full = run.projection.contributions()
    j = list(run.years).index(2032)
    at = run.contributions_at(2032)
    for k, v in full.items():
        np.testing.assert_allclose(at[k], v[:, j], rtol=1e-12, atol=1e-9)
    diff = (run.projection.exports[:, j] - run.baseline.exports[:, j]).mean()
    assert sum(v.mean() for v in at.values()) == pytest.approx(diff, rel=1e-9)
    assert at["tech_zones"].mean() > 0 > at["connectivity_loss"].mean()


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
    row = fan.iloc[-1]
    assert row["p5"] <= row["p25"] <= row["p50"] <= row["p75"] <= row["p95"]


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


@pytest.mark.parametrize("log_scale", [True, False])
def test_fan_chart_is_valid_vega_lite_and_exports(engine, log_scale):
    spec = _spec(engine, {"levers": {"tech_zones": 40}}, log_scale=log_scale)
    chart = charts.to_altair(spec)  # validates against the Vega-Lite schema
    assert chart.to_dict()["datasets"]
    lo, hi = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    fan = spec["datasets"]["fan"]
    assert lo <= spec["datasets"]["history"]["value"].min()
    assert hi >= 25 * 1.5  # the targets, with room above
    if log_scale:
        assert hi >= fan["p95"].max()  # the whole fan
    png = files.chart_png(spec)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = files.chart_svg(spec)
    assert "<svg" in svg and "FY2030" in svg


def test_colours_are_the_okabe_ito_palette():
    for colour in (*charts.SERIES_COLOURS.values(), charts.TARGET_COLOUR):
        assert colour in charts.OKABE_ITO.values() or colour == charts.SERIES_COLOURS[frames.DEFAULT_BASELINE]


def test_round_to_grid():
    assert charts.round_to_grid(23.0, up=True) == 30
    assert charts.round_to_grid(0.39, up=False) == pytest.approx(0.3)
    assert charts.round_to_grid(100.0, up=True) == 100


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
    app_csv = files.projection_csv(s.name, compute.run(s).projection)
    assert app_csv.encode() == (out / "projections.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(app_csv)))
    assert {r["scenario"] for r in rows} == {"app-export"}


def test_upload_uses_the_command_line_messages_and_resolves_the_base(engine):
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


# --------------------------------------------------------------------------- the app (AppTest)


@pytest.fixture(scope="module")
def app() -> AppTest:
    return new_app()


def test_app_runs_without_exceptions(app):
    assert not app.exception
    assert not app.error
    assert [m.label for m in app.metric] == ["$10B by FY2029", "$15B by FY2030", "$25B by FY2029"]
    _, data = fan_data(app)
    assert set(data) == {"fan", "history", "targets"}
    assert set(data["fan"]["series"]) == {frames.BASELINE}
    assert app.query_params == {} or dict(app.query_params) == {}


def test_raising_a_lever_raises_the_odds_and_the_median():
    at = new_app()
    before_odds = odds_value(at, "$10B")
    at.slider(key="lever.tech_zones").set_value(60).run()
    at.slider(key="lever.vc_funding").set_value(1000).run()
    assert not at.exception
    _, after = fan_data(at)
    fan = after["fan"].set_index(["series", "fiscal_year"])
    last = int(after["fan"]["fiscal_year"].max())
    assert fan.loc[(frames.SCENARIO, last), "p50"] > fan.loc[(frames.BASELINE, last), "p50"]
    assert odds_value(at, "$10B") > before_odds
    assert "pts vs baseline" in next(m for m in at.metric if m.label.startswith("$10B")).delta
    assert dict(at.query_params) == {"levers.tech_zones": "60", "levers.vc_funding": "1000"}
    raised_odds = odds_value(at, "$10B")
    at.slider(key="lever.connectivity_loss").set_value(15.0).run()
    assert odds_value(at, "$10B") < raised_odds
    _, lowered = fan_data(at)
    f2 = lowered["fan"].set_index(["series", "fiscal_year"])
    assert f2.loc[(frames.SCENARIO, last), "p50"] < fan.loc[(frames.SCENARIO, last), "p50"]


def test_query_parameters_reproduce_a_scenario():
    moved = new_app()
    moved.slider(key="lever.tech_zones").set_value(50).run()
    moved.selectbox(key="start_year").set_value(2028).run()
    query = dict(moved.query_params)
    assert query == {"start": "2028", "levers.tech_zones": "50"}
    opened = new_app(**query)
    assert not opened.exception and not opened.error
    assert opened.slider(key="lever.tech_zones").value == 50
    assert opened.selectbox(key="start_year").value == 2028
    assert [m.value for m in opened.metric] == [m.value for m in moved.metric]
    assert fan_data(opened)[1]["fan"].equals(fan_data(moved)[1]["fan"])


def test_view_settings_live_in_the_url_too():
    at = new_app(deadline_10B="2027", scale="linear", year="2035")
    assert not at.exception and not at.error
    assert at.metric[0].label == "$10B by FY2027"
    spec, _ = fan_data(at)
    assert spec["layer"][0]["encoding"]["y"]["scale"].get("type") != "log"
    assert dict(at.query_params) == {"deadline_10B": "2027", "year": "2035", "scale": "linear"}


def test_a_bad_link_is_explained_not_a_traceback():
    at = new_app(**{"levers.tech_zones": "500", "levers.nonsense": "1", "deadline_10B": "1999"})
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "levers.tech_zones" in text and "0 to 60 zones" in text
    assert "levers.nonsense" in text and "deadline_10B" in text
    assert at.slider(key="lever.tech_zones").value == LEVER_BY_NAME["tech_zones"].default


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
    good = b"name: zones-40\nlevers:\n  tech_zones: {value: 40, start: 2027}\n"
    at.file_uploader[0].set_value(("good.yaml", good, "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert at.slider(key="lever.tech_zones").value == 40
    assert dict(at.query_params) == {"name": "zones-40", "start": "2027", "levers.tech_zones": "40"}


def test_presets_and_reset():
    at = new_app()
    presets = at.selectbox(key="preset").options
    assert "tech-zones-60" in presets
    at.selectbox(key="preset").set_value("tech-zones-60").run()
    assert not at.exception
    assert at.slider(key="lever.tech_zones").value == 60
    assert dict(at.query_params)["name"] == "tech-zones-60"
    reset = next(b for b in at.button if b.label == "Reset to baseline")
    reset.click().run()
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


def test_compare_keeps_scenarios_side_by_side():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["section"] = "Compare scenarios"
    at.run()
    at.session_state["scenario_name"] = "zones-60"
    at.slider(key="lever.tech_zones").set_value(60).run()
    next(b for b in at.button if b.label.startswith("Keep")).click().run()
    at.session_state["scenario_name"] = state.DEFAULT_NAME
    at.slider(key="lever.tech_zones").set_value(10).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["scenario"]) == ["baseline", "zones-60", f"{state.DEFAULT_NAME} (current)"]
    assert table.iloc[1, 1].startswith("Special Technology Zones: 60")
    assert at.query_params["compare"] == "name=zones-60&levers.tech_zones=60"
    # the link reproduces the scenario and the comparison
    opened = new_app(**dict(at.query_params.items()))
    assert opened.slider(key="lever.tech_zones").value == 10
    assert [s.name for s in opened.session_state["_compare"]] == ["zones-60"]


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
        dep = next(t for t in tables if "assumption" in t.columns and "scenario" in t.columns)
        assert len(dep) == len(results.dependence)
        assert len(at.get("vega_lite_chart")) >= 4  # reference class, fit, backtest, PIT
    else:
        obs = at.dataframe[0].value
        assert {"source", "published", "url", "used"} <= set(obs.columns)
        assert (obs["used"] == "yes").sum() >= len(compute.engine().history())
        set_aside = set(obs.loc[obs["used"].str.startswith("no:"), "used"])
        assert set_aside == {"no: source conflict", "no: lower bound"}  # kept, marked, not used


def test_the_app_refuses_more_draws_than_it_runs_but_names_the_limit():
    at = new_app(draws="200000", **{"levers.tech_zones": "40"})
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "draws" in text and "at most 50,000 in the app" in text
    with pytest.raises(InputErrors, match="at most 50,000"):
        files.read_upload(b"name: big\ndraws: 100000\n", "big.yaml", FIRST, {})
    assert state.scenario_from_query({"draws": "20000"}, first_year=FIRST).draws == 20000


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


def test_a_long_ramp_from_a_link_shows_in_the_sidebar():
    _, hi = state.ramp_bounds()
    at = new_app(start="2027", ramp=str(hi), **{"levers.tech_zones": "40"})
    assert not at.exception and not at.error
    assert at.number_input(key="ramp_years").value == hi
    assert dict(at.query_params) == {"start": "2027", "ramp": str(hi), "levers.tech_zones": "40"}


def test_choosing_a_stated_deadline_changes_the_card_and_the_link():
    at = new_app()
    later = odds_value(at, "$10B")
    at.segmented_control(key="deadline.10000").set_value(2026).run()
    assert not at.exception
    assert at.metric[0].label == "$10B by FY2026"
    assert odds_value(at, "$10B") <= later  # an earlier deadline cannot be likelier
    assert dict(at.query_params) == {"deadline_10B": "2026"}
    _, data = fan_data(at)
    assert 2026 in set(data["targets"]["deadline"])
