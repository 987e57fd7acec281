"""The main page: levers in the sidebar, the fan chart toward the targets, target cards,
lever contributions, the projection table, compare, and share/export."""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from simulator.analysis import plausibility
from simulator.app import charts, compute, files, session, sidebar
from simulator.app.frames import (
    BASELINE,
    DEFAULT_BASELINE,
    SCENARIO,
    contribution_frame,
    deadline_options,
    default_deadline,
    fan_frame,
    format_odds,
    format_year,
    history_frame,
    projection_table,
    targets_frame,
)
from simulator.app.state import (
    DEFAULT_NAME,
    Defaults,
    is_baseline,
    scenario_from_controls,
)
from simulator.data import Target
from simulator.engine import Engine
from simulator.errors import InputError, InputErrors
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import Scenario, baseline_scenario, default_assumption_baseline
from simulator.settings import MAX_HORIZON

LOG = logging.getLogger(__name__)
UPLOAD_KEY = "upload"
CHART_KEY = "_fan_chart_spec"
UPLOAD_ERRORS = "_upload_errors"
MAX_UPLOAD_MB = 1


# --------------------------------------------------------------------------- set-up


def make_defaults(engine: Engine) -> Defaults:
    """What the sidebar shows for the baseline; the trend values are the calibrated ones."""
    beta = engine.params.trend.beta
    return Defaults(
        first_year=engine.first_projection_year,
        horizon=compute.settings().horizon,
        trend={
            "growth_pct": round(engine.trend_growth_pct(), 1),
            "slowdown_per_doubling": round(beta * 100.0 * math.log(2.0), 1),
            "shock_scale": 1.0,
        },
    )


def deadline_choices(engine: Engine) -> dict[float, dict[int, list[Target]]]:
    """For each headline amount: deadline year -> the statements that set it (earliest first)."""
    out: dict[float, dict[int, list[Target]]] = {}
    for amount in compute.HEADLINE_AMOUNTS:
        by_year: dict[int, list[Target]] = {}
        for t in deadline_options(engine.data.targets, amount, engine.base_year):
            by_year.setdefault(t.deadline_fy, []).append(t)
        out[amount] = by_year
    return out


def _on_preset(defaults: Defaults, found: dict[str, Scenario]) -> None:
    name = st.session_state.get(sidebar.PRESET_KEY)
    session.load(found.get(name), defaults)


def _on_reset(defaults: Defaults) -> None:
    st.session_state[sidebar.PRESET_KEY] = "(current policy)"
    session.load(None, defaults)


def _on_upload(defaults: Defaults, found: dict[str, Scenario]) -> None:
    f = st.session_state.get(UPLOAD_KEY)
    if f is None:
        st.session_state.pop(UPLOAD_ERRORS, None)
        return
    try:
        scenario = files.read_upload(f.getvalue(), f.name, defaults.first_year, found)
    except InputErrors as exc:
        st.session_state[UPLOAD_ERRORS] = (f.name, [str(e) for e in exc.errors])
        return
    except Exception:  # a file must never break the page; the loader's gap is logged for a fix
        LOG.exception("unexpected error reading the uploaded file %r", f.name)
        st.session_state[UPLOAD_ERRORS] = (f.name, ["could not be read as a scenario file"])
        return
    st.session_state.pop(UPLOAD_ERRORS, None)
    session.load(scenario, defaults)
    session.notify("success", f"Loaded scenario '{scenario.name}' from {f.name}.")


def _upload_widget(defaults: Defaults, found: dict[str, Scenario]) -> None:
    st.file_uploader(
        "Scenario YAML",
        type=["yaml", "yml"],
        key=UPLOAD_KEY,
        on_change=_on_upload,
        args=(defaults, found),
        max_upload_size=MAX_UPLOAD_MB,
        help="The same format and checks as `simulator run`; see scenarios/README.md. Its `base` may "
        "name a shipped scenario.",
    )


# --------------------------------------------------------------------------- page


def page() -> None:
    """The main page.

    The chart comes first in the script (the sidebar's values are already in session state when
    a slider moves), so the browser gets the new chart before the rest of the page.
    """
    try:
        engine = compute.engine()
    except InputError as exc:
        st.error(f"The model cannot start: {exc}")
        st.stop()
    defaults = make_defaults(engine)
    choices = deadline_choices(engine)
    found, preset_problems = files.presets(defaults.first_year)
    view_defaults = _view_defaults(choices, defaults)
    session.init_from_url(defaults, _view_choices(choices, defaults), view_defaults)

    st.header("Where are Pakistan's IT exports heading?")
    st.caption(
        "Move the policy levers in the sidebar to see where reported ICT-services exports are heading "
        "and the odds of each official target. Every projection is a spread of simulated paths, not a "
        "single line."
    )
    for p in preset_problems:
        st.warning(f"A shipped scenario could not be loaded: {p}")
    session.show_notices()
    if UPLOAD_ERRORS in st.session_state:
        name, errors = st.session_state[UPLOAD_ERRORS]
        st.error(f"**{name} was not loaded:**\n\n" + "\n".join(f"- {e}" for e in errors))

    scenario = _scenario(defaults)
    run, problem = compute.safe_run(scenario)
    if problem is None:
        reference = default_assumption_baseline(scenario)
        _chart_section(engine, scenario, run, reference, choices)
        _cards(engine, scenario, run, choices)
    sidebar.render(
        defaults,
        presets=list(found),
        on_preset=lambda: _on_preset(defaults, found),
        on_reset=lambda: _on_reset(defaults),
        upload=lambda: _upload_widget(defaults, found),
    )
    if problem is not None:
        st.error(f"These assumptions do not fit the data: {problem}")
        return
    query = session.desired_query(scenario, _view_query(choices, view_defaults))
    # only the open tab is built: a slider move then redraws the chart, the cards and one tab
    sections = {
        "Lever contributions": lambda: _contributions(scenario, run),
        "Projection table": lambda: _table(engine, run),
        "Compare scenarios": lambda: _compare(engine, scenario, run, choices),
        "Share and export": lambda: _share_export(scenario, run, query),
    }
    for tab, draw in zip(
        st.tabs(list(sections), key=session.TAB_KEY, on_change="rerun"), sections.values(), strict=True
    ):
        if tab.open:
            with tab:
                draw()
    session.sync_url(query)


def _scenario(defaults: Defaults) -> Scenario:
    """The scenario the sidebar stands for; a bad name is reported and replaced by the default."""
    controls = sidebar.read_controls(defaults)
    try:
        return scenario_from_controls(controls, session.loaded(), defaults)
    except InputErrors as exc:
        st.error("\n".join(f"- {e}" for e in exc.errors))
        return scenario_from_controls(replace(controls, name=DEFAULT_NAME), session.loaded(), defaults)


def _view_defaults(choices: dict[float, dict[int, list[Target]]], defaults: Defaults) -> dict[str, Any]:
    out: dict[str, Any] = {session.LOG_SCALE_KEY: True, session.YEAR_KEY: min(2030, defaults.horizon)}
    for amount, by_year in choices.items():
        best = default_deadline([ts[0] for ts in by_year.values()])
        if best is not None:
            out[session.deadline_key(amount)] = best.deadline_fy
    return out


def _view_choices(choices: dict[float, dict[int, list[Target]]], defaults: Defaults) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {session.deadline_key(a): list(by_year) for a, by_year in choices.items()}
    out[session.YEAR_KEY] = list(range(defaults.first_year, MAX_HORIZON + 1))
    out[session.LOG_SCALE_KEY] = [True, False]
    return out


def _view_query(
    choices: dict[float, dict[int, list[Target]]], view_defaults: dict[str, Any]
) -> dict[str, str]:
    ss = st.session_state
    out = {}
    for amount in choices:
        k = session.deadline_key(amount)
        if k in ss and ss[k] != view_defaults.get(k):
            out[session.deadline_param(amount)] = str(ss[k])
    if ss.get(session.YEAR_KEY) != view_defaults[session.YEAR_KEY] and session.YEAR_KEY in ss:
        out["year"] = str(ss[session.YEAR_KEY])
    if ss.get(session.LOG_SCALE_KEY, True) is False:
        out["scale"] = "linear"
    return out


# --------------------------------------------------------------------------- chart


def chosen_targets(engine: Engine, choices: dict[float, dict[int, list[Target]]]) -> list[Target]:
    """The target statement each card uses: the chosen deadline's first statement."""
    out = []
    for amount, by_year in choices.items():
        year = st.session_state.get(session.deadline_key(amount))
        if year in by_year:
            out.append(by_year[year][0])
    return out


def build_fan(
    engine: Engine, scenario: Scenario, run: compute.Run, reference: Scenario | None
) -> pd.DataFrame:
    series = {}
    if not is_baseline(scenario):
        series[SCENARIO] = run.projection
    series[BASELINE] = run.baseline
    if reference is not None:
        series[DEFAULT_BASELINE] = compute.run(reference).baseline
    return fan_frame(series, engine)


def medians_text(engine: Engine, scenario: Scenario, run: compute.Run) -> str:
    """One line: the last reported year, and the medians at the horizon (scenario and baseline)."""
    h = int(run.years[-1])
    last = dict(engine.history())[engine.base_year] / 1000.0
    text = f"Reported: **{charts.money_b(last)} in FY{engine.base_year}**. "
    b = charts.money_b(run.baseline.stats["p50"][-1] / 1000.0)
    if is_baseline(scenario):
        return text + f"Median in FY{h} on current policy: **{b}**."
    s = charts.money_b(run.projection.stats["p50"][-1] / 1000.0)
    return text + f"Median in FY{h}: scenario **{s}**, baseline {b}."


def _chart_section(
    engine: Engine,
    scenario: Scenario,
    run: compute.Run,
    reference: Scenario | None,
    choices: dict[float, dict[int, list[Target]]],
) -> None:
    fan = build_fan(engine, scenario, run, reference)
    history = _history(engine)
    targets = targets_frame(chosen_targets(engine, choices))
    log_scale = bool(st.session_state.get(session.LOG_SCALE_KEY, True))
    sub = f"Lines: medians. Shaded: the middle 50% and 90% of {run.projection.draws.n:,} simulated paths."
    if not log_scale:
        sub += " Linear axis: cut off above the targets (the log scale shows all)."
    st.markdown(medians_text(engine, scenario, run))
    spec = charts.fan_spec(fan, history, targets, log_scale=log_scale, subtitle=sub)
    st.vega_lite_chart(spec=spec, width="stretch", key="fan_chart")
    # the downloads rebuild the chart from the same tables (Streamlit consumes the spec it is given)
    st.session_state[CHART_KEY] = lambda: charts.fan_spec(
        fan, history, targets, log_scale=log_scale, subtitle=sub
    )
    st.caption(
        "Dots: reported full fiscal years, the latest published figure for each (hover for the source and "
        "publication date; no full-year figure was found for FY2011-FY2015). Lines: medians of the simulated "
        "paths; shaded: their middle 50% and 90%. Dashed lines: the targets, with the chosen deadline "
        "marked. The trend is fitted to the reported series (Model page); lever effects are the stated "
        "assumptions in the sidebar's help texts."
    )
    shown = run.projection if not is_baseline(scenario) else run.baseline
    for w in plausibility.check(shown):
        st.warning(f"Plausibility: {w}", icon=":material/warning:")


@st.cache_data(show_spinner=False)
def _history_cached(sha: str) -> pd.DataFrame:
    engine = compute.engine()
    return history_frame(engine.data, engine.base_year)


def _history(engine: Engine) -> pd.DataFrame:
    return _history_cached(engine.data.sha256)


# --------------------------------------------------------------------------- cards


def _cards(
    engine: Engine, scenario: Scenario, run: compute.Run, choices: dict[float, dict[int, list[Target]]]
) -> None:
    head, scale = st.columns([4, 1], vertical_alignment="bottom")
    head.subheader("Odds of reaching each target by its deadline")
    scale.toggle(
        "Log scale",
        key=session.LOG_SCALE_KEY,
        help="Chart axis: equal steps for equal growth rates; off: linear.",
    )
    h = int(run.years[-1])
    start, cagr = engine.historical_cagr(5)
    cols = st.columns(len(choices))
    for col, (amount, by_year) in zip(cols, choices.items(), strict=True):
        with col.container(border=True):
            label = f"${amount / 1000:g}B"
            if not by_year:
                st.markdown(f"**{label}**: no open target with a deadline.")
                continue
            st.segmented_control(
                f"Deadline for {label}",
                list(by_year),
                key=session.deadline_key(amount),
                required=True,
                format_func=lambda y: f"FY{y}",
                help="Each choice is a deadline someone stated for this amount "
                "(calibration/data/targets.csv); who said it is below.",
            )
            year = st.session_state[session.deadline_key(amount)]
            target = by_year[year][0]
            s = run.odds(target)
            b = run.odds(target, baseline=True)
            delta = None
            if not is_baseline(scenario) and s.p_by_deadline is not None and b.p_by_deadline is not None:
                d = (s.p_by_deadline - b.p_by_deadline) * 100
                delta = f"{d:+.1f} pts vs baseline" if abs(d) < 9.95 else f"{d:+.0f} pts vs baseline"
                if abs(d) < 0.05:
                    delta = None
            who = "; ".join(
                f"[{t.who}]({t.url})" + (f", {t.said_on}" if t.said_on else "") for t in by_year[year]
            )
            baseline_text = f" Baseline: {format_odds(b.p_by_deadline)}." if not is_baseline(scenario) else ""
            st.metric(
                f"{label} by FY{year}",
                format_odds(s.p_by_deadline),
                delta=delta,
                help=f"Share of the {run.projection.draws.n:,} simulated paths in which reported exports "
                f"reach {label} in FY{year} or earlier.{baseline_text}",
            )
            lines = [f"Odds {s.not_computed}."] if s.not_computed else []
            lines += [
                f"Median year reached: **{format_year(s.year_p50, h)}**"
                + ("" if is_baseline(scenario) else f" (baseline {format_year(b.year_p50, h)})"),
            ]
            if s.required_cagr is not None:
                lines.append(
                    f"Needs {s.required_cagr:.0%} growth a year from FY{engine.base_year}; "
                    f"FY{start}-FY{engine.base_year} saw {cagr:.0%}."
                )
            lines.append(f"Stated by {who}.")
            st.caption("  \n".join(lines))


# --------------------------------------------------------------------------- tabs


def _contributions(scenario: Scenario, run: compute.Run) -> None:
    years = [int(y) for y in run.years]
    key = session.YEAR_KEY
    if st.session_state.get(key) not in years:
        st.session_state[key] = min(max(2030, years[0]), years[-1])
    year = st.select_slider("Year", years, key=key, format_func=lambda y: f"FY{y}")
    if is_baseline(scenario):
        st.info(
            "Every lever is at current policy, so there is nothing to split: move a lever in the sidebar."
        )
        return
    parts = run.contributions_at(year)
    df = contribution_frame(parts)
    total = float(sum(v.mean() for v in parts.values()))
    df["setting"] = [_setting_text(n, scenario) for n in df["lever"]]
    st.vega_lite_chart(spec=charts.contribution_spec(df), width="stretch")
    st.caption(
        f"The scenario changes mean FY{year} exports by **US${total:,.0f}m** against the baseline. The "
        "bars split that change exactly among the levers (logarithmic-mean Divisia decomposition, averaged "
        "over the simulated paths; they add up to the total); the black lines run from the 10th to the "
        "90th percentile. Effect sizes "
        "are the assumptions in the sidebar (hover a bar for the lever's setting)."
    )


def _setting_text(name: str, scenario: Scenario) -> str:
    lv = LEVER_BY_NAME[name]
    s = scenario.lever_settings().get(name)
    if s is None:
        return f"current policy ({lv.default:g})"
    if isinstance(s, int | float):
        return f"{s:g} {lv.unit}"
    if s.value is not None:
        start = f" from FY{s.start}" if s.start is not None else ""
        ramp = f" over {s.ramp_years} years" if s.ramp_years > 1 else ""
        return f"{s.value:g} {lv.unit}{start}{ramp}"
    return "path: " + ", ".join(f"FY{y}: {v:g}" for y, v in sorted(s.values.items()))


def _table(engine: Engine, run: compute.Run) -> None:
    df = projection_table(run.projection, run.baseline, engine)
    money = {c: st.column_config.NumberColumn(c, format="%.0f") for c in ("p5", "p25", "p50", "p75", "p95")}
    st.dataframe(
        df,
        hide_index=True,
        column_config={
            "fiscal_year": st.column_config.NumberColumn("Fiscal year", format="%d"),
            "kind": "Kind",
            **money,
            "p50": st.column_config.NumberColumn("Median", format="%.0f"),
            "baseline_p50": st.column_config.NumberColumn("Baseline median", format="%.0f"),
        },
    )
    st.caption(
        "US$ millions. Reported rows are the latest published full-year figures (Data page). "
        "Projection rows: "
        "percentiles of the simulated paths for this scenario, and the baseline's median with the same draws."
    )


def _keep(scenario: Scenario) -> None:
    kept = [s for s in session.compared() if s.name != scenario.name]
    kept.append(scenario)
    st.session_state[session.COMPARED] = kept[-session.MAX_COMPARED :]


def _compare(
    engine: Engine, scenario: Scenario, run: compute.Run, choices: dict[float, dict[int, list[Target]]]
) -> None:
    kept = session.compared()
    c1, c2 = st.columns([2, 1])
    c1.button(
        f"Keep '{scenario.name}' for comparison",
        on_click=_keep,
        args=(scenario,),
        help="Name the scenario under 'Share and export' first to keep several.",
    )
    if kept:
        c2.button("Clear the comparison", on_click=lambda: st.session_state.pop(session.COMPARED, None))
    targets = chosen_targets(engine, choices)
    rows = []
    lines = []
    entries = [("baseline", compute.run(baseline_scenario()))] + [(s.name, compute.run(s)) for s in kept]
    if scenario.name not in {s.name for s in kept}:
        entries.append((f"{scenario.name} (current)", run))
    for name, r in entries:
        row: dict[str, Any] = {"scenario": name, "levers": _levers_summary(r.scenario)}
        for t in targets:
            row[t.label] = format_odds(r.odds(t).p_by_deadline)
            row[f"{t.label}: median year"] = format_year(r.odds(t).year_p50, int(r.years[-1]))
        row[f"median FY{int(r.years[-1])}, US$ B"] = round(float(r.projection.stats["p50"][-1]) / 1000, 2)
        rows.append(row)
        lines.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "fiscal_year": r.years.astype(int),
                    "p50": r.projection.stats["p50"] / 1000,
                }
            )
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.vega_lite_chart(spec=charts.compare_spec(pd.concat(lines, ignore_index=True)), width="stretch")
    st.caption(
        "Every scenario uses the same seed, so differences between them are policy, not luck. Odds use the "
        "deadlines chosen on the target cards."
    )


def _levers_summary(scenario: Scenario) -> str:
    parts = [f"{LEVER_BY_NAME[n].label}: {_setting_text(n, scenario)}" for n in scenario.lever_settings()]
    extra = []
    if scenario.assumption_overrides():
        extra.append(f"{len(scenario.assumption_overrides())} assumption(s) changed")
    if scenario.trend.model_dump(exclude_none=True):
        extra.append("trend changed")
    return "; ".join(parts + extra) or "current policy"


def _share_export(scenario: Scenario, run: compute.Run, query: dict[str, str | list[str]]) -> None:
    st.text_input(
        "Scenario name",
        key=sidebar.NAME_KEY,
        help="Letters, digits, '-', '_' and '.'; used in the files and the comparison.",
    )
    st.markdown(
        "**Share.** The address bar holds this view (the scenario, the chosen deadlines and the "
        "comparison): copy it, or this link, and anyone who opens it sees the same."
    )
    st.code(session.share_link(query), language=None, wrap_lines=True)
    name = scenario.name
    make_chart = st.session_state[CHART_KEY]
    downloads = [
        (
            "Projection CSV",
            lambda: files.projection_csv(name, run.projection),
            "-projections.csv",
            "text/csv",
            "projections.csv in the format `simulator run` writes.",
        ),
        (
            "Scenario YAML",
            lambda: files.scenario_yaml(scenario),
            ".yaml",
            "application/x-yaml",
            "Runs unchanged with `simulator run` and loads back here.",
        ),
        (
            "Chart PNG",
            lambda: files.chart_png(make_chart()),
            "-chart.png",
            "image/png",
            "The fan chart as shown.",
        ),
        (
            "Chart SVG",
            lambda: files.chart_svg(make_chart()),
            "-chart.svg",
            "image/svg+xml",
            "The fan chart as shown.",
        ),
    ]
    for col, (label, data, suffix, mime, tip) in zip(st.columns(len(downloads)), downloads, strict=True):
        # the data is made only when the button is clicked, so a slider move does not render the PNG
        col.download_button(
            label, data=data, file_name=f"{name}{suffix}", mime=mime, on_click="ignore", help=tip
        )
    st.caption(
        f"Run it from the command line: save the YAML, then `simulator run {name}.yaml`. The CSV lists the "
        "reported history, then the projection's mean and percentiles (US$ m)."
    )
