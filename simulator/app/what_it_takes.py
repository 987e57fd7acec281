"""The "What it takes" page: goal seek, attribution and sensitivity for one target, from a scenario.

Everything shown comes from :mod:`simulator.analysis` (the same functions as ``simulator
goal-seek``, ``attribute`` and ``sensitivity``); this module lays the page out. The other jobs
have their own modules: the question asked (:mod:`simulator.app.wit_question`), the kept
computations (:mod:`simulator.app.wit_compute`), the tables (:mod:`simulator.app.wit_frames`), the
charts (:mod:`simulator.app.wit_charts`), the link (:mod:`simulator.app.wit_query`) and the
Scenario page's session (:mod:`simulator.app.wit_session`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from simulator.analysis import plausibility
from simulator.analysis.attribution import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_DECIMALS,
    attribute,
    attribution_rows,
)
from simulator.analysis.goal_seek import GOAL_SEEK_COLUMNS, GOAL_SEEK_DECIMALS, GoalSeek, goal_seek_rows
from simulator.analysis.goals import (
    CENTRAL_ODDS_MEANING,
    CENTRAL_ODDS_NAME,
    ODDS_MEANING,
    ODDS_NAME,
    Goal,
    odds_difference_text,
)
from simulator.analysis.sensitivity import SENSITIVITY_COLUMNS, SENSITIVITY_DECIMALS, sensitivity_rows
from simulator.app import wit_session
from simulator.app.charts import wedge_spec
from simulator.app.frames import wedge_frames
from simulator.app.page_parts import csv_download, engine_or_stop
from simulator.app.wit_charts import sobol_chart, tornado_chart, waterfall_chart
from simulator.app.wit_compute import seek, sensitivity
from simulator.app.wit_frames import (
    as_display_text,
    lever_answers_frame,
    package_frame,
    sobol_frame,
    tornado_frame,
    waterfall_frame,
)
from simulator.app.wit_question import Question, question
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.robust import MIDDLE_LABEL
from simulator.scenario import Scenario
from simulator.scenario_writer import dump_scenario

SOBOL_SAMPLES = (256, 512, 1024)
WEDGE_HEIGHT = 560
INTRO = (
    "Pick a target, how sure you want to be and the scenario to start from. The page keeps that "
    "scenario's lever paths as they are and finds the least move of each policy lever on its own, "
    "and the smallest combined move of all of them, that reach the target by its deadline with that "
    "probability; then which lever closes how much of the gap, and which uncertain assumptions "
    "matter most for the odds. Every candidate is projected with the same Monte Carlo draws, so "
    "differences between moves are policy, not luck."
)


def page() -> None:
    """The "What it takes" page."""
    engine = engine_or_stop()
    st.title("What it takes")
    st.markdown(INTRO)
    q = question(engine)
    if q is None:
        return
    need = plausibility.check_goal(engine, q.goal)
    if need is not None:
        st.warning(str(need), icon=":material/warning:")
    bar = st.progress(0.0, text="Searching the moves...")
    try:
        result = seek(q, on_progress=_progress_to(bar, "Searching the moves..."))
    except InputError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.empty()
    _goal_seek_section(result, q, engine)
    if result.reached_in_history is not None:
        return
    analysed = _attribution_section(result, q.goal)
    _sensitivity_section(result, q, analysed)


def _goal_seek_section(result: GoalSeek, q: Question, engine: Engine) -> None:
    st.header("1. Moves that reach it", divider="gray")
    if result.reached_in_history is not None:
        st.success(f"Already reached in FY{result.reached_in_history}.")
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(
        "Probability of the scenario as it is",
        f"{result.p_scenario:.1%}",
        help=f"{ODDS_NAME}: {ODDS_MEANING}, on {q.start_label} with no move.",
    )
    pkg = result.package
    m2.metric("With every allowed lever at its far end", f"{pkg.p_best:.1%}" if pkg else "-")
    m3.metric("Draws", f"{result.draws:,}", help=f"seed {result.seed}")
    if result.scenario_reaches:
        st.success(
            f"{q.start_label} as it is already reaches {q.goal.label} with probability "
            f"{result.p_scenario:.1%}, at least the {result.p_required:.0%} asked: no move is needed."
        )
    else:
        _lever_answers(result)
        _package(result, q, engine)
    csv_download(
        "Download goal seek (CSV)",
        goal_seek_rows(result),
        GOAL_SEEK_COLUMNS,
        GOAL_SEEK_DECIMALS,
        f"goal_seek_{q.goal.key}.csv",
        "wit_dl_goal_seek",
    )


def _lever_answers(result: GoalSeek) -> None:
    st.subheader("One lever at a time")
    st.caption(
        f"The least move of each lever on top of the scenario's path, from FY{result.start_year}"
        + (f" over {result.ramp_years} years" if result.ramp_years > 1 else "")
        + ", the other levers as in the scenario. 'Not reachable alone': even the far end of the "
        "lever's documented range falls short."
    )
    st.table(as_display_text(lever_answers_frame(result), ["P there", "P at the far end"]).set_index("Lever"))


def _package(result: GoalSeek, q: Question, engine: Engine) -> None:
    st.subheader("The least-change package")
    st.caption(
        "The combination of moves nearest to the scenario that reaches the target with the required "
        "probability, where nearness is the sum of squared moves, each as a share of its lever's range."
    )
    pkg = result.package
    if pkg is None:
        return
    if not pkg.reachable:
        st.error(
            f"No package within the levers' documented ranges reaches {q.goal.label} with probability "
            f"{result.p_required:.0%}: with every allowed lever moved to the far end of its range the "
            f"probability is {pkg.p_best:.1%}."
        )
        return
    st.table(as_display_text(package_frame(result), ["Share of range"]).set_index("Lever"))
    st.markdown(
        f"Probability with the package: **{pkg.p_value:.1%}**; distance {pkg.distance:.4f}: {pkg.nearness()}."
    )
    scenario = result.package_scenario()
    if scenario is not None:
        _package_actions(scenario, q, engine)


def _package_actions(scenario: Scenario, q: Question, engine: Engine) -> None:
    c1, c2 = st.columns(2)
    if c1.button(
        "Open on the Scenario page",
        icon=":material/open_in_new:",
        help="Loads the package into the Scenario page's sidebar: fan chart, cards and share link.",
        key="wit_open_package",
    ):
        wit_session.open_on_scenario_page(scenario, engine)
    c2.download_button(
        "Download the package (YAML)",
        data=dump_scenario(scenario),
        file_name=f"{scenario.name}.yaml",
        mime="application/yaml",
        on_click="ignore",
        help="A scenario file: `simulator run` gives the same odds (same draws and seed).",
        key="wit_dl_package",
    )


def _attribution_section(result: GoalSeek, goal: Goal) -> dict[str, float]:
    """Attribution for the package, the scenario as it is, or every allowed lever at its far end;
    the moves analysed are returned (empty: the scenario as it is)."""
    st.header("2. Which lever closes how much of the gap", divider="gray")
    pkg = result.package
    model = result.model
    if result.scenario_reaches or pkg is None:
        moves, what = {}, "the scenario as it is"
    elif pkg.reachable:
        moves, what = pkg.moves, "the scenario with the least-change package"
    else:
        moves = {a.lever.name: float(model.space.grid(a.lever)[-1]) for a in result.levers}
        what = "the scenario with every allowed lever moved to the far end of its range"
    projection = model.project(moves, name="package")
    a = attribute(projection, goal)
    st.markdown(
        f"For {what}, at FY{a.year}: the gap between the baseline (${a.baseline_middle / 1000:.2f}B) "
        f"and {goal.label} is **${a.gap_middle / 1000:.2f}B**. Each figure is the {MIDDLE_LABEL} (those "
        "whose change from the baseline lies between its 10th and 90th percentile), because such means "
        "add up exactly and a few runaway paths cannot move them; each lever's 10th-90th percentile "
        "range shows its uncertainty. The downloaded CSV has the plain means over every path too."
    )
    st.altair_chart(waterfall_chart(waterfall_frame(a), goal), width="stretch")
    # the Scenario page's wedge chart, on this scenario: one chart, one reading of the levers' parts
    difference = projection.exports - projection.baseline_exports
    wedges, band = wedge_frames(
        projection.years, projection.contributions(), difference, model.engine.base_year
    )
    subtitle = f"{what[0].upper()}{what[1:]}, minus current policy; {MIDDLE_LABEL}"
    # the height holds the legend below the plot as well (Streamlit fits the whole chart into it)
    spec = wedge_spec(wedges, band, subtitle=subtitle, height=WEDGE_HEIGHT)
    st.vega_lite_chart(spec=spec, width="stretch", key="wit_wedges")
    for w in plausibility.check(projection):
        st.warning(str(w), icon=":material/warning:")
    csv_download(
        "Download attribution (CSV)",
        attribution_rows(projection, [a]),
        ATTRIBUTION_COLUMNS,
        ATTRIBUTION_DECIMALS,
        f"attribution_{goal.key}.csv",
        "wit_dl_attribution",
    )
    return dict(moves)


def _progress_to(bar: Any, text: str) -> Callable[[float], None]:
    """A progress callback that moves ``bar`` (a Streamlit progress element)."""

    def update(fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=text)

    return update


def _sensitivity_section(result: GoalSeek, q: Question, moves: dict[str, float]) -> None:
    st.header("3. Which assumptions matter most for the odds", divider="gray")
    c1, c2 = st.columns([2, 1])
    choices = ["with the moves above", "the scenario as it is"] if moves else ["the scenario as it is"]
    which = c1.radio("Scenario", choices, horizontal=True, key="wit_sens_scenario")
    n = c2.select_slider("Sobol base sample N", options=SOBOL_SAMPLES, value=1024, key="wit_sobol_n")
    chosen = moves if which == "with the moves above" else {}
    bar = st.progress(0.0, text="Computing Sobol indices...")
    t, s, shocks, inputs = sensitivity(
        result,
        chosen,
        int(n),
        on_progress=_progress_to(bar, "Computing Sobol indices..."),
    )
    bar.empty()
    odds = result.model.probability(chosen)
    m1, m2 = st.columns(2)
    m1.metric(
        ODDS_NAME, f"{odds:.1%}", help=f"{ODDS_MEANING}; {result.draws:,} draws, as on the Scenario page."
    )
    m2.metric(
        CENTRAL_ODDS_NAME, f"{t.y_central:.1%}", help=f"{CENTRAL_ODDS_MEANING}; {shocks:,} shock paths."
    )
    st.caption(
        odds_difference_text()
        + f" Averaged over the input ranges (the Sobol sample below, {shocks:,} shock paths a run) the "
        f"probability is {s.mean:.1%}."
    )
    st.markdown(
        f"The output studied is the probability of reaching {q.goal.label}, as a function of the "
        f"{len(inputs)} uncertain inputs: every effect-size assumption (triangular, as the model samples "
        f"it), the trend's growth and the size of yearly shocks (their posteriors). Each run averages "
        f"the same {shocks:,} shock paths."
    )
    _tornado_and_sobol(t, s, shocks, inputs, q.goal)


def _tornado_and_sobol(t, s, shocks: int, inputs, goal: Goal) -> None:
    st.subheader("Tornado: one input at a time")
    st.caption(
        f"Each input at its low and high value (the triangle's ends; the posterior's 5th and 95th "
        f"percentiles for the trend), every other input central. Black line: the "
        f"{CENTRAL_ODDS_NAME.lower()} ({t.y_central:.1%})."
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
