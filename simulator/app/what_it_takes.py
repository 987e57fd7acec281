"""The "What it takes" page: goal seek, attribution and sensitivity for one target.

Everything shown comes from :mod:`simulator.analysis` (the same functions as ``simulator
goal-seek``, ``attribute`` and ``sensitivity``); this module lays the page out. The other jobs
have their own modules: the kept computations (:mod:`simulator.app.wit_compute`), the tables
(:mod:`simulator.app.wit_frames`), the charts (:mod:`simulator.app.wit_charts`) and the link
(:mod:`simulator.app.wit_query`).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from simulator.analysis import plausibility
from simulator.analysis.attribution import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_DECIMALS,
    attribute,
    attribution_rows,
)
from simulator.analysis.goal_seek import (
    GOAL_SEEK_COLUMNS,
    GOAL_SEEK_DECIMALS,
    GoalSeek,
    ReachModel,
    goal_seek_rows,
)
from simulator.analysis.goals import Goal, dated_open_goals
from simulator.analysis.sensitivity import SENSITIVITY_COLUMNS, SENSITIVITY_DECIMALS, sensitivity_rows
from simulator.app import compute
from simulator.app.page_parts import csv_download, engine_or_stop
from simulator.app.wit_charts import sobol_chart, tornado_chart, waterfall_chart, wedge_chart
from simulator.app.wit_compute import seek, sensitivity, starting_points
from simulator.app.wit_frames import (
    as_percent_text,
    lever_answers_frame,
    package_frame,
    sobol_frame,
    tornado_frame,
    waterfall_frame,
    wedge_frame,
)
from simulator.app.wit_query import (
    AMOUNT_RANGE,
    CURRENT,
    PROBABILITIES,
    URL_KEYS,
    WIDGET,
    query_from_view,
    view_from_query,
)
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME, LEVERS

SOBOL_SAMPLES = (256, 512, 1024)
OWN = "An amount and deadline of my own"
"""The target list's entry for a goal of one's own."""
INTRO = (
    "Pick a target and how sure you want to be. The page finds the least demanding setting of each "
    "policy lever on its own, and the smallest combined change of all of them, that reach the target "
    "by its deadline with that probability; then which lever closes how much of the gap, and which "
    "uncertain assumptions matter most for the odds. Every candidate is projected with the same "
    "Monte Carlo draws, so differences between settings are policy, not luck."
)


@dataclass(frozen=True)
class Question:
    """What the user asks: a goal, the probability required, where to start and what may move."""

    goal: Goal
    p: float
    start_name: str
    start_year: int
    levers: tuple[str, ...]


def page() -> None:
    """The "What it takes" page."""
    engine = engine_or_stop()
    st.title("What it takes")
    st.markdown(INTRO)
    q = _question(engine)
    if q is None:
        return
    need = plausibility.check_goal(engine, q.goal)
    if need is not None:
        st.warning(str(need), icon=":material/warning:")
    bar = st.progress(0.0, text="Searching the lever settings...")
    try:
        result, model = seek(
            q.goal.amount_musd,
            q.goal.deadline_fy,
            q.goal.target.id if q.goal.target else None,
            q.p,
            q.start_name,
            q.start_year,
            q.levers,
            on_progress=lambda f: bar.progress(min(1.0, f), text="Searching the lever settings..."),
        )
    except InputError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.empty()
    _goal_seek_section(result, q.goal)
    scenario_settings = _attribution_section(result, model, q.goal)
    _sensitivity_section(result, model, q.goal, q.start_name, scenario_settings)


def _question(engine: Engine) -> Question | None:
    """The controls, set from the link on a session's first visit; the link follows them.

    ``None`` (with a warning) when no lever is allowed to move.
    """
    options = _goal_options(engine)
    starts = starting_points(engine.first_projection_year)
    _init_from_url(engine, options, list(starts))
    for note in st.session_state.pop("_wit_url_problems", []):
        st.warning(f"Ignored a link parameter: {note}.")
    c1, c2 = st.columns([3, 2])
    with c1:
        goal = _pick_goal(engine, options)
    with c2:
        p = st.select_slider(
            "Required probability",
            options=PROBABILITIES,
            format_func=lambda v: f"{v:.0%}",
            key=WIDGET["p"],
        )
    c3, c4, c5 = st.columns([2, 1, 3])
    start_name = c3.selectbox(
        "Starting from",
        list(starts),
        key=WIDGET["from"],
        help="Its assumptions, trend and lever settings stay; the levers found here replace its settings.",
    )
    years = list(range(engine.first_projection_year, goal.deadline_fy + 1))
    if st.session_state.get(WIDGET["start"]) not in years:  # a later deadline was chosen before
        st.session_state[WIDGET["start"]] = years[0]
    start_year = c4.selectbox(
        "Levers change from", years, format_func=lambda y: f"FY{y}", key=WIDGET["start"]
    )
    chosen = c5.multiselect(
        "Levers allowed to move",
        [lv.name for lv in LEVERS],
        format_func=lambda n: LEVER_BY_NAME[n].label,
        key=WIDGET["levers"],
    )
    if not chosen:
        st.warning("Choose at least one lever.")
        return None
    q = Question(goal, float(p), start_name, int(start_year), tuple(chosen))
    wanted = query_from_view(q.goal, q.p, q.start_name, q.start_year, list(q.levers))
    if {k: st.query_params[k] for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)
    return q


def _init_from_url(engine: Engine, options: dict[str, Goal | None], starts: list[str]) -> None:
    """Set the widgets from the link once per session; say which parameters were not understood.

    Every widget's default is set here, through the session state, so that no widget is given
    both a default and a session value.
    """
    horizon = compute.settings().horizon
    labels = list(options)
    defaults = {
        WIDGET["target"]: next((k for k in labels if "$10B by FY2029" in k), labels[0]),
        WIDGET["amount"]: 10.0,
        WIDGET["deadline"]: min(engine.first_projection_year + 4, horizon),
        WIDGET["p"]: 0.5,
        WIDGET["from"]: CURRENT,
        WIDGET["start"]: engine.first_projection_year,
        WIDGET["levers"]: [lv.name for lv in LEVERS],
    }
    for k, v in defaults.items():
        st.session_state.setdefault(k, v)
    if st.session_state.get("_wit_url_read"):
        return
    st.session_state["_wit_url_read"] = True
    params = {k: st.query_params[k] for k in URL_KEYS if k in st.query_params}
    values, problems = view_from_query(
        params, options, starts, engine.first_projection_year, compute.settings().horizon
    )
    st.session_state.update(values)
    if problems:
        st.session_state["_wit_url_problems"] = problems


def _goal_options(engine: Engine) -> dict[str, Goal | None]:
    """The target list: open official targets with a deadline, by label, then a goal of one's own."""
    opts: dict[str, Goal | None] = {}
    for g in dated_open_goals(engine):
        who = g.target.who if g.target is not None else ""
        opts[f"{g.label}: {who}"] = g
    opts[OWN] = None
    return opts


def _pick_goal(engine: Engine, opts: dict[str, Goal | None]) -> Goal:
    labels = list(opts)
    choice = st.selectbox(
        "Target",
        labels,
        key=WIDGET["target"],
        help="Open official targets that state a deadline (one per amount and deadline), or your own.",
    )
    goal = opts[choice]
    if goal is not None:
        return goal
    c1, c2 = st.columns(2)
    lo, hi = AMOUNT_RANGE
    amount = c1.number_input(
        "Amount, US$ billions", min_value=lo, max_value=hi, step=0.5, key=WIDGET["amount"]
    )
    deadline = c2.number_input(
        "Deadline (fiscal year)",
        min_value=engine.first_projection_year,
        max_value=compute.settings().horizon,
        step=1,
        key=WIDGET["deadline"],
    )
    return Goal(float(amount) * 1000.0, int(deadline), None)


def _goal_seek_section(result: GoalSeek, goal: Goal) -> None:
    st.header("1. Lever settings that reach it", divider="gray")
    if result.reached_in_history is not None:
        st.success(f"Already reached in FY{result.reached_in_history}.")
        return
    m1, m2, m3 = st.columns(3)
    m1.metric("Probability as things stand", f"{result.p_current:.1%}")
    pkg = result.package
    m2.metric("With every allowed lever at its far end", f"{pkg.p_best:.1%}" if pkg else "-")
    m3.metric("Draws", f"{result.draws:,}", help=f"seed {result.seed}")
    st.subheader("One lever at a time")
    st.caption(
        "The other levers stay as in the starting scenario. 'Not reachable alone': even the far end "
        "of the lever's documented range falls short."
    )
    st.dataframe(
        as_percent_text(lever_answers_frame(result), ["P there", "P at the far end"]),
        hide_index=True,
        column_config={"Now": st.column_config.NumberColumn(format="%g")},
    )
    st.subheader("The least-change package")
    st.caption(
        "The combination nearest to the starting settings that reaches the target with the required "
        "probability, where nearness is the sum of squared moves, each as a share of its lever's range."
    )
    if pkg is None:
        return
    if not pkg.reachable:
        st.error(
            f"No setting within the levers' documented ranges reaches {goal.label} with probability "
            f"{result.p_required:.0%}: with every allowed lever at the far end of its range the "
            f"probability is {pkg.p_best:.1%}."
        )
    elif not pkg.moved():
        st.success(pkg.text())
    else:
        st.dataframe(as_percent_text(package_frame(pkg), ["Move (share of range)"]), hide_index=True)
        st.markdown(f"Probability with the package: **{pkg.p_value:.1%}** (distance {pkg.distance:.3f}).")
    csv_download(
        "Download goal seek (CSV)",
        goal_seek_rows(result),
        GOAL_SEEK_COLUMNS,
        GOAL_SEEK_DECIMALS,
        f"goal_seek_{goal.key}.csv",
        "wit_dl_goal_seek",
    )


def _attribution_section(result: GoalSeek, model: ReachModel, goal: Goal) -> dict[str, float]:
    """Attribution for the package, or every allowed lever at its far end if none reaches."""
    st.header("2. Which lever closes how much of the gap", divider="gray")
    pkg = result.package
    if pkg is None or result.reached_in_history is not None:
        return {}
    if pkg.reachable and pkg.moved():
        settings, what = pkg.moved(), "the least-change package"
    else:
        settings = {a.lever.name: _far(a.lever.name) for a in result.levers}
        what = "every allowed lever at the far end of its range"
        if pkg.reachable:
            st.info(
                "The target is reached without moving a lever; below, every allowed lever at its far end."
            )
    projection = model.engine.project(model.scenario(settings, name="package"), model.draws)
    a = attribute(projection, goal)
    st.markdown(
        f"For {what}, at FY{a.year}: the gap between the baseline's mean (${a.baseline_mean / 1000:.2f}B) "
        f"and {goal.label} is **${a.gap_mean / 1000:.2f}B**. Means over draws, because means add up "
        "exactly; each lever's 10th-90th percentile range shows its uncertainty."
    )
    st.altair_chart(waterfall_chart(waterfall_frame(a), goal), width="stretch")
    st.altair_chart(wedge_chart(wedge_frame(projection), goal), width="stretch")
    warnings = plausibility.check(projection)
    for w in warnings:
        st.warning(str(w), icon=":material/warning:")
    csv_download(
        "Download attribution (CSV)",
        attribution_rows(projection, [a]),
        ATTRIBUTION_COLUMNS,
        ATTRIBUTION_DECIMALS,
        f"attribution_{goal.key}.csv",
        "wit_dl_attribution",
    )
    return dict(settings)


def _far(name: str) -> float:
    lv = LEVER_BY_NAME[name]
    return float(lv.max if lv.direction > 0 else lv.min)


def _sensitivity_section(
    result: GoalSeek, model: ReachModel, goal: Goal, start_name: str, settings: dict[str, float]
) -> None:
    st.header("3. Which assumptions matter most for the odds", divider="gray")
    if result.reached_in_history is not None:
        return
    c1, c2 = st.columns([2, 1])
    which = c1.radio(
        "Scenario",
        ["with the levers above", "the starting scenario as it is"]
        if settings
        else ["the starting scenario as it is"],
        horizontal=True,
        key="wit_sens_scenario",
    )
    n = c2.select_slider("Sobol base sample N", options=SOBOL_SAMPLES, value=1024, key="wit_sobol_n")
    package = tuple(sorted(settings.items())) if which == "with the levers above" else ()
    bar = st.progress(0.0, text="Computing Sobol indices...")
    t, s, shocks, inputs = sensitivity(
        goal.amount_musd,
        goal.deadline_fy,
        goal.target.id if goal.target else None,
        start_name,
        package,
        model.start_year,
        int(n),
        model,
        on_progress=lambda f: bar.progress(min(1.0, f), text="Computing Sobol indices..."),
    )
    bar.empty()
    st.markdown(
        f"The output is the probability of reaching {goal.label}, as a function of the {len(inputs)} "
        f"uncertain inputs: every effect-size assumption (triangular, as the model samples it), the "
        f"trend's growth and the size of yearly shocks (their posteriors). Each run averages the same "
        f"{shocks:,} shock paths."
    )
    st.subheader("Tornado: one input at a time")
    st.caption(
        f"Each input at its low and high value (the triangle's ends; the posterior's 5th and 95th "
        f"percentiles for the trend), every other input central. Black line: everything central "
        f"({t.y_central:.1%})."
    )
    st.altair_chart(tornado_chart(tornado_frame(t, inputs)), width="stretch")
    st.subheader("Sobol indices: the share of the variance each input explains")
    if not s.defined:
        st.info(f"No indices: {s.note}.")
    else:
        st.caption(
            f"Computed with SALib: N = {s.n} base samples, {s.runs:,} model runs of {shocks:,} shock paths "
            f"each; bars are estimates, black lines their {s.conf_level:.0%} bootstrap confidence intervals. "
            "First-order: the input alone; total: with its interactions."
        )
        st.altair_chart(sobol_chart(sobol_frame(s), s), width="stretch")
    csv_download(
        "Download sensitivity (CSV)",
        sensitivity_rows([t], [s], shocks, inputs),
        SENSITIVITY_COLUMNS,
        SENSITIVITY_DECIMALS,
        f"sensitivity_{goal.key}.csv",
        "wit_dl_sensitivity",
    )
