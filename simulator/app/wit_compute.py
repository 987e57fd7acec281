"""The "What it takes" page's computations, kept for every session of the server.

Goal seek, the tornado and the Sobol indices take seconds; their results are kept in bounded
caches (:class:`~simulator.cache.BoundedCache`) keyed by every input that matters, so a second
visit, another session or a link to the same question is served at once. Not
``st.cache_resource`` on the computations themselves: they report progress to a bar the caller
draws, and Streamlit cannot replay writes to an element created outside a cached function (a
``CacheReplayClosureError`` on the second visit to the page). The draws come from the engine's
own cache (:meth:`simulator.engine.Engine.cached_draws`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import streamlit as st

from simulator.analysis.goal_seek import GoalSeek, ReachModel, goal_seek
from simulator.analysis.sensitivity import (
    Input,
    OddsModel,
    SobolResult,
    Tornado,
    odds_sobol,
    tornado,
    uncertain_inputs,
)
from simulator.app import compute
from simulator.app.wit_query import CURRENT
from simulator.cache import BoundedCache
from simulator.errors import InputErrors
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import Scenario, baseline_scenario
from simulator.scenario_files import shipped_scenarios

if TYPE_CHECKING:
    from simulator.app.wit_question import Question

SHOCKS = 1000
"""Shock paths per run in the app (the command line's default is 2000; the text says which)."""
KEPT = 32
"""Results kept per kind of computation."""


@st.cache_resource(show_spinner=False)
def starting_points(first_year: int) -> dict[str, Scenario]:
    """Current policy and the shipped scenarios (resolved), by name."""
    out = {CURRENT: baseline_scenario()}
    # a broken shipped file is reported on the Scenario page; current policy still works
    with contextlib.suppress(InputErrors):
        out.update({k: v for k, v in shipped_scenarios(first_year=first_year).items() if k != "baseline"})
    return out


@st.cache_resource(show_spinner=False)
def memo(name: str) -> BoundedCache:
    """The server's results of one kind of computation (kept across reruns and sessions)."""
    return BoundedCache(max_entries=KEPT)


def _key(scenario: Scenario) -> str:
    """A scenario as a cache key: everything it states (two scenarios with one name may differ)."""
    return json.dumps(scenario.to_document(), sort_keys=True, default=str)


def seek(q: Question, on_progress: Callable[[float], None] | None = None) -> GoalSeek:
    """Goal seek for the question ``q`` (memoised by every input that matters)."""

    def work() -> GoalSeek:
        engine = compute.engine()
        model = ReachModel.build(
            engine,
            q.goal,
            compute.settings(),
            base=q.scenario,
            start_year=q.start_year,
            ramp_years=q.ramp_years,
        )
        chosen = [LEVER_BY_NAME[n] for n in q.levers]
        return goal_seek(model, q.p, chosen, on_progress=on_progress)

    g = q.goal
    key = (g.amount_musd, g.deadline_fy, g.key, q.p, _key(q.scenario), q.start_year, q.ramp_years, q.levers)
    return memo("seek").get(key, work)


def sensitivity(
    result: GoalSeek,
    moves: Mapping[str, float],
    n: int,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[Tornado, SobolResult, int, list[Input]]:
    """Tornado and Sobol indices of P(goal) for the goal seek's scenario with ``moves`` added
    (memoised by the scenario analysed)."""
    scenario = result.model.scenario(moves, name="package") if moves else result.model.base

    def work() -> tuple[Tornado, SobolResult, int, list[Input]]:
        engine = compute.engine()
        inputs, _ = uncertain_inputs(engine, scenario)
        seed = compute.settings().seed
        odds = OddsModel(engine, scenario, [result.goal], inputs, shocks=SHOCKS, seed=seed)
        (t,) = tornado(odds)
        (s,) = odds_sobol(odds, n=n, seed=seed, on_progress=on_progress)
        return t, s, odds.shocks, inputs

    g = result.goal
    key = (g.amount_musd, g.deadline_fy, g.key, _key(scenario), n)
    return memo("sensitivity").get(key, work)
