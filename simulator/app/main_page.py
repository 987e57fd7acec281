"""The scenario page: the odds of each target first, the fan chart and the levers' wedges beside
it, then tabs for lever contributions, the projection table, compare, and share and export.

The levers live in the sidebar (:mod:`simulator.app.sidebar`); the scenario they stand for is
read exactly (:mod:`simulator.app.state`), projected with cached draws (:mod:`simulator.app.compute`)
and mirrored in the link (:mod:`simulator.app.links`, :mod:`simulator.app.session`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from simulator.analysis import goals, plausibility
from simulator.app import charts, compare_tab, compute, export_tab, files, links, session, sidebar
from simulator.app.frames import (
    BASELINE,
    DEFAULT_BASELINE,
    SCENARIO,
    Choices,
    chosen_targets,
    contribution_frame,
    deadline_options,
    default_deadline,
    fan_frame,
    format_year,
    history_frame,
    money_b,
    odds_text,
    projection_table,
    range_text,
    setting_text,
    targets_frame,
)
from simulator.app.state import (
    DEFAULT_NAME,
    TREND_DECIMALS,
    Defaults,
    changes,
    is_baseline,
    scenario_from_controls,
)
from simulator.data import Target
from simulator.engine import Engine
from simulator.errors import InputError, InputErrors
from simulator.robust import MIDDLE_LABEL
from simulator.scenario import Scenario, default_assumption_baseline
from simulator.settings import MAX_HORIZON

LOG = logging.getLogger(__name__)
UPLOAD_KEY = "upload"
UPLOAD_ERRORS = "_upload_errors"
KEEP_NAME_KEY = "keep_name"
KEEP_PROBLEM = "_keep_problem"
EXPORT_SIZE_KEY = "export_size"
MAX_UPLOAD_MB = 1
TABS = {
    "contributions": "Lever contributions",
    "table": "Projection table",
    "compare": "Compare scenarios",
    "share": "Share and export",
}
"""The page's tabs: the link's ``tab=`` text -> the tab's label."""


# --------------------------------------------------------------------------- set-up


def make_defaults(engine: Engine) -> Defaults:
    """What the sidebar shows for the baseline; the trend values are the calibrated ones."""
    beta = engine.params.trend.beta
    return Defaults(
        first_year=engine.first_projection_year,
        horizon=compute.settings().horizon,
        trend={
            "growth_pct": round(engine.trend_growth_pct(), TREND_DECIMALS["growth_pct"]),
            "slowdown_per_doubling": round(
                beta * 100.0 * math.log(2.0), TREND_DECIMALS["slowdown_per_doubling"]
            ),
            "shock_scale": 1.0,
        },
    )


def start_reason(engine: Engine) -> str:
    """Why a moved lever starts in the default year (the same constant as the shipped scenarios)."""
    return goals.start_reason(engine)


def deadline_choices(engine: Engine) -> Choices:
    """For each headline amount: deadline year -> the statements that set it (earliest first)."""
    out: Choices = {}
    for amount in compute.HEADLINE_AMOUNTS:
        by_year: dict[int, list[Target]] = {}
        for t in deadline_options(engine.data.targets, amount, engine.base_year):
            if t.deadline_fy is not None:  # deadline_options keeps dated statements only
                by_year.setdefault(t.deadline_fy, []).append(t)
        out[amount] = by_year
    return out


def views(choices: Choices, defaults: Defaults) -> list[session.View]:
    """The view settings a link holds, with their choices and defaults."""
    out = []
    for amount, by_year in choices.items():
        best = default_deadline([ts[0] for ts in by_year.values()])
        if best is not None:
            options = {str(y): y for y in by_year}
            out.append(
                session.View(
                    session.deadline_param(amount), session.deadline_key(amount), options, best.deadline_fy
                )
            )
    years = {str(y): y for y in range(defaults.first_year, MAX_HORIZON + 1)}
    out.append(session.View("year", session.YEAR_KEY, years, min(2030, defaults.horizon)))
    out.append(session.View("scale", session.LOG_SCALE_KEY, {"log": True, "linear": False}, True))
    out.append(session.View("tab", session.TAB_KEY, TABS, TABS["contributions"]))
    return out


def _on_preset(defaults: Defaults, found: dict[str, Scenario]) -> None:
    name = st.session_state.get(sidebar.PRESET_KEY)
    preset = found.get(name) if name is not None else None
    session.load(
        preset, defaults, origin="a shipped scenario" if preset else "", preset=name if preset else None
    )


def _on_reset(defaults: Defaults) -> None:
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
    session.load(scenario, defaults, origin=f"from the uploaded file {f.name}")
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
    """The scenario page.

    The answers (odds, fan chart, wedges) come first in the script (the sidebar's values are
    already in session state when a slider moves), so the browser gets them before the rest.
    """
    try:
        engine = compute.engine()
    except InputError as exc:
        st.error(f"The model cannot start: {exc}")
        st.stop()
    defaults = make_defaults(engine)
    choices = deadline_choices(engine)
    found, preset_problems = files.presets(defaults.first_year)
    ctx = links.LinkContext(defaults.first_year, found)
    view_list = views(choices, defaults)
    session.init_from_url(defaults, ctx, view_list)

    st.subheader("Where are Pakistan's IT exports heading?", anchor=False)
    scenario = _scenario(defaults)
    _scenario_line(scenario, found)
    for p in preset_problems:
        st.warning(f"A shipped scenario could not be loaded: {p}")
    session.show_notices()
    if UPLOAD_ERRORS in st.session_state:
        name, errors = st.session_state[UPLOAD_ERRORS]
        st.error(f"**{name} was not loaded:**\n\n" + "\n".join(f"- {e}" for e in errors))
    run, problem = compute.safe_run(scenario)
    if run is not None:
        _answers(engine, scenario, run, choices)
    sidebar.render(
        defaults,
        presets=list(found),
        start_reason=start_reason(engine),
        on_preset=lambda: _on_preset(defaults, found),
        on_reset=lambda: _on_reset(defaults),
        upload=lambda: _upload_widget(defaults, found),
    )
    if run is None:
        st.error(f"These assumptions do not fit the data: {problem}")
        return
    query = session.desired_query(scenario, ctx, view_list)
    _tabs(engine, scenario, run, choices, query)
    session.sync_url(query)


def _tabs(
    engine: Engine,
    scenario: Scenario,
    run: compute.Run,
    choices: Choices,
    query: dict[str, list[str]],
) -> None:
    """Only the open tab is built: a slider move then redraws the odds, the charts and one tab."""
    # what a download needs is taken now: a download button's data is made later, outside this run
    targets, history, log = chosen(choices), _history(engine), log_scale()
    sections = {
        "contributions": lambda: _contributions(scenario, run),
        "table": lambda: _table(engine, run),
        "compare": lambda: compare_tab.draw(scenario, run, targets),
        "share": lambda: export_tab.draw(
            scenario,
            run,
            query,
            figure_text=lambda link: export_tab.export_text(engine, scenario, run, targets, history, link),
            chart_spec=lambda: fan_chart_spec(engine, scenario, run, targets, history, log_scale=log),
        ),
    }
    labels = [TABS[k] for k in sections]
    for tab, draw in zip(
        st.tabs(labels, key=session.TAB_KEY, on_change="rerun"), sections.values(), strict=True
    ):
        if tab.open:
            with tab:
                draw()


def chosen(choices: Choices) -> list[Target]:
    """The target statement each card shows, for the deadlines chosen on the cards."""
    ss = st.session_state
    return chosen_targets(choices, {a: ss.get(session.deadline_key(a)) for a in choices})


def sidebar_scenario(engine: Engine) -> Scenario:
    """The scenario the sidebar stands for, resolved (for another page: "Starting from" on What it
    takes). The same object the scenario page projects, link and all."""
    return _scenario(make_defaults(engine))


def _scenario(defaults: Defaults) -> Scenario:
    """The scenario the sidebar stands for; a bad name is reported and replaced by the default."""
    controls = sidebar.read_controls(defaults)
    try:
        return scenario_from_controls(controls, defaults)
    except InputErrors as exc:
        st.error("\n".join(f"- {e}" for e in exc.errors))
        return scenario_from_controls(replace(controls, name=DEFAULT_NAME), defaults)


def _scenario_line(scenario: Scenario, found: dict[str, Scenario]) -> None:
    """The scenario's name, where it came from, what was changed since, and its description."""
    ss = st.session_state
    preset = found.get(ss.get(session.PRESET) or "")
    origin = ss.get(session.ORIGIN) or ""
    if is_baseline(scenario) and scenario.name in (DEFAULT_NAME, "baseline"):
        text = "**Scenario: current policy** (every lever at its default; move the levers in the sidebar)"
    else:
        text = f"**Scenario: {scenario.name}**" + (f", {origin}" if origin else ", made in the sidebar")
    if preset is not None:
        changed = changes(scenario, preset)
        text += (
            f"; changed from the shipped {preset.name}: {', '.join(changed)}" if changed else ", as shipped"
        )
    st.markdown(text)
    if scenario.description:
        with st.expander("What this scenario assumes, and its sources"):
            st.markdown(scenario.description)


# --------------------------------------------------------------------------- odds and headline


def _cards(engine: Engine, scenario: Scenario, run: compute.Run, choices: Choices) -> None:
    """One card per headline target: the odds by the chosen deadline, the deadline's choices, who
    stated it, and what growth it needs."""
    for col, (amount, by_year) in zip(st.columns(len(choices)), choices.items(), strict=True):
        with col.container(border=True):
            label = f"${amount / 1000:g}B"
            if not by_year:
                st.markdown(f"**{label}**: no open target with a deadline.")
                continue
            _card(engine, scenario, run, label, amount, by_year)


def _card(
    engine: Engine,
    scenario: Scenario,
    run: compute.Run,
    label: str,
    amount: float,
    by_year: dict[int, list[Target]],
) -> None:
    key = session.deadline_key(amount)
    year = st.session_state.get(key)
    year = year if year in by_year else max(by_year)
    target = by_year[year][0]
    s, b = run.odds(target), run.odds(target, baseline=True)
    shown = odds_text(s.p_by_deadline, b.p_by_deadline)
    scenario_moved = not is_baseline(scenario)
    who = "; ".join(f"[{t.who}]({t.url})" + (f", {t.said_on}" if t.said_on else "") for t in by_year[year])
    st.metric(
        f"{label} by FY{year}",
        shown.value,
        delta=shown.delta if scenario_moved else None,
        help=f"Share of the {run.projection.draws.n:,} simulated paths in which reported exports reach "
        f"{label} in FY{year} or earlier (effect sizes drawn from their ranges)."
        + (f" On current policy: {shown.baseline}; 'pts' are percentage points." if scenario_moved else "")
        + f"\n\nThis deadline was stated by {who}.",
    )
    st.selectbox(
        f"Deadline for {label}",
        list(by_year),
        key=key,
        format_func=lambda y: f"Deadline FY{y}",
        label_visibility="collapsed",
        help="Each choice is a deadline someone stated for this amount (calibration/data/targets.csv); "
        "the card's help says who.",
    )
    h = int(run.years[-1])
    lines = [f"Odds {s.not_computed}."] if s.not_computed else []
    lines.append(
        f"Median year: **{format_year(s.year_p50, h)}**"
        + (f" (current policy {format_year(b.year_p50, h)})" if scenario_moved else "")
    )
    start, cagr = engine.historical_cagr(5)
    if s.required_cagr is not None:
        lines.append(
            f"Needs {s.required_cagr:.0%} a year; FY{start}-{engine.base_year % 100:02d} saw {cagr:.0%}."
        )
    st.caption("  \n".join(lines))


def headline(engine: Engine, scenario: Scenario, run: compute.Run) -> str:
    """One sentence: where exports are in the horizon year, as a 10th-90th percentile range."""
    h = int(run.years[-1])
    last = dict(engine.history())[engine.base_year] / 1000.0
    tail = f" Reported in FY{engine.base_year}: {money_b(last)}."
    if is_baseline(scenario):
        return (
            f"In FY{h}, on current policy, exports are between **{range_text(run.baseline.stats)}** in 8 of "
            f"10 simulated paths.{tail}"
        )
    return (
        f"In FY{h}, this scenario's exports are between **{range_text(run.projection.stats)}** in 8 of 10 "
        f"simulated paths; on current policy {range_text(run.baseline.stats)}.{tail}"
    )


# --------------------------------------------------------------------------- charts


def build_fan(engine: Engine, scenario: Scenario, run: compute.Run) -> pd.DataFrame:
    series = {}
    if not is_baseline(scenario):
        series[SCENARIO] = run.projection
    series[BASELINE] = run.baseline
    reference = default_assumption_baseline(scenario)
    if reference is not None:
        series[DEFAULT_BASELINE] = compute.run(reference).baseline
    return fan_frame(series, engine)


def fan_chart_spec(
    engine: Engine,
    scenario: Scenario,
    run: compute.Run,
    targets: list[Target],
    history: pd.DataFrame,
    *,
    log_scale: bool,
) -> dict[str, Any]:
    """The fan chart as the page shows it (also the base of the exported figure). Pure given its
    arguments, so a download made after the run draws the same chart."""
    sub = f"Medians; shaded: the middle 50% and 90% of {run.projection.draws.n:,} paths."
    if not log_scale:
        sub += " Linear axis: cut off above the targets (the log scale shows all)."
    fan = build_fan(engine, scenario, run)
    return charts.fan_spec(
        fan,
        history,
        targets_frame(targets),
        log_scale=log_scale,
        title="Where exports are heading",
        subtitle=sub,
        height=470,
    )


def log_scale() -> bool:
    return bool(st.session_state.get(session.LOG_SCALE_KEY, True))


def _answers(engine: Engine, scenario: Scenario, run: compute.Run, choices: Choices) -> None:
    """The odds on the cards, the headline range, the fan chart and the wedges beside it.

    On the page the cards come first; in the script the fan chart does (into its place below
    the cards), so after a slider move the browser starts redrawing it first.
    """
    cards_area, headline_area = st.container(), st.empty()
    left, right = st.columns([7, 5], gap="medium")
    with left:
        st.toggle(
            "Log scale",
            key=session.LOG_SCALE_KEY,
            help="The fan chart's axis: equal steps for equal growth rates; off: linear.",
        )
        targets, log = chosen(choices), log_scale()
        spec = run.derived(
            ("fan_chart", tuple(t.id for t in targets), log),
            lambda: charts.as_arrow(
                fan_chart_spec(engine, scenario, run, targets, _history(engine), log_scale=log)
            ),
        )
        st.vega_lite_chart(spec=dict(spec), width="stretch", key="fan_chart")
    with cards_area:
        _cards(engine, scenario, run, choices)
    headline_area.markdown(headline(engine, scenario, run))
    with right:
        _wedges(engine, scenario, run)
    st.caption(
        "Dots: reported full fiscal years, the latest published figure for each (hover for the source and "
        "publication date; no full-year figure was found for FY2011-FY2015). Lines: medians of the simulated "
        "paths; shaded: their middle 50% and 90%. Dashed lines: the targets, with the chosen deadline "
        "marked. Wedges: what each lever adds to exports against current policy with the same simulated "
        "paths, split exactly (logarithmic-mean Divisia decomposition), each year the mean over the paths "
        "whose total change lies between its 10th and 90th percentile; the black line is their sum and "
        "the dashed lines that 10th and 90th percentile. Effect sizes are the stated assumptions "
        "in the sidebar's help texts; the trend is fitted to the reported series (Model page)."
    )
    shown = run.projection if not is_baseline(scenario) else run.baseline
    for w in plausibility.check(shown):
        st.warning(f"Plausibility: {w}", icon=":material/warning:")


def _wedges(engine: Engine, scenario: Scenario, run: compute.Run) -> None:
    if is_baseline(scenario):
        st.markdown("**What the levers add**")
        st.info(
            "Every lever is at current policy. Move a lever in the sidebar to see what it adds, year by year."
        )
        return
    spec = run.derived("wedge_chart", lambda: charts.as_arrow(_wedge_spec(engine, run)))
    st.vega_lite_chart(spec=dict(spec), width="stretch", key="wedge_chart")


def _wedge_spec(engine: Engine, run: compute.Run) -> dict[str, Any]:
    wedges, band = run.wedges(engine.base_year)
    return charts.wedge_spec(wedges, band, subtitle=f"Minus current policy; {MIDDLE_LABEL}", height=470)


@st.cache_resource(show_spinner=False, max_entries=4)  # read only: shared, not copied per call
def _history_cached(sha: str) -> pd.DataFrame:
    engine = compute.engine()
    return history_frame(engine.data, engine.base_year)


def _history(engine: Engine) -> pd.DataFrame:
    return _history_cached(engine.data.sha256)


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
    spec, total = run.derived(("contributions", year), lambda: _contribution_spec(scenario, run, year))
    st.vega_lite_chart(spec=dict(spec), width="stretch")
    st.caption(
        f"The scenario changes FY{year} exports by **US${total:,.0f}m** against the baseline, as a "
        f"{MIDDLE_LABEL} (the simulated paths whose change lies between its 10th and 90th percentile: "
        "a plain mean would follow the few paths whose growth runs away). The bars split that change "
        "exactly among the levers (logarithmic-mean Divisia decomposition, averaged over the same paths; "
        "they add up to the total); the black lines run from each lever's 10th to its 90th percentile "
        "over all paths. Effect sizes are the assumptions in the sidebar (hover a bar for the lever's "
        "setting)."
    )


def _contribution_spec(scenario: Scenario, run: compute.Run, year: int) -> tuple[dict[str, Any], float]:
    """The contributions tab's chart for ``year`` (tables as Arrow) and the total it splits."""
    parts = run.contributions_at(year)
    j = int(np.searchsorted(run.years, year))
    df = contribution_frame(parts, run.projection.exports[:, j] - run.baseline.exports[:, j])
    df["setting"] = [setting_text(n, scenario) for n in df["lever"]]
    return charts.as_arrow(charts.contribution_spec(df)), float(df["contribution"].sum())


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
        "US$ millions. Reported rows are the latest published full-year figures (Data page). Projection "
        "rows: percentiles of the simulated paths for this scenario, and the baseline's median with the "
        "same draws."
    )
