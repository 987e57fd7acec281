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
from collections.abc import Callable

import streamlit as st

from simulator.analysis.goal_seek import GoalSeek, ReachModel, goal_seek
from simulator.analysis.goals import Goal
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
from simulator.engine import Engine
from simulator.errors import InputErrors
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import Scenario, baseline_scenario
from simulator.scenario_files import shipped_scenarios

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


def seek(
    amount: float,
    deadline: int,
    target_id: str | None,
    p: float,
    start_name: str,
    start_year: int,
    levers: tuple[str, ...],
    on_progress: Callable[[float], None] | None = None,
) -> tuple[GoalSeek, ReachModel]:
    """Goal seek for one goal (memoised by every input that matters)."""

    def work() -> tuple[GoalSeek, ReachModel]:
        engine = compute.engine()
        goal = goal_for(engine, amount, deadline, target_id)
        base = starting_points(engine.first_projection_year)[start_name]
        model = ReachModel.build(engine, goal, compute.settings(), base=base, start_year=start_year)
        chosen = [LEVER_BY_NAME[n] for n in levers]
        return goal_seek(model, p, chosen, on_progress=on_progress), model

    key = (amount, deadline, target_id, p, start_name, start_year, levers)
    return memo("seek").get(key, work)


def goal_for(engine: Engine, amount: float, deadline: int, target_id: str | None) -> Goal:
    """The goal of an amount and deadline, with its official target when ``target_id`` names one."""
    target = next((t for t in engine.data.targets if t.id == target_id), None)
    return Goal(amount, deadline, target)


def sensitivity(
    amount: float,
    deadline: int,
    target_id: str | None,
    start_name: str,
    package: tuple[tuple[str, float], ...],
    start_year: int,
    n: int,
    model: ReachModel,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[Tornado, SobolResult, int, list[Input]]:
    """Tornado and Sobol indices of P(goal) for the start scenario with ``package`` applied
    (memoised; ``model`` follows from the other arguments)."""

    def work() -> tuple[Tornado, SobolResult, int, list[Input]]:
        engine = compute.engine()
        goal = goal_for(engine, amount, deadline, target_id)
        scenario = model.scenario(dict(package), name="package") if package else model.base
        inputs, _ = uncertain_inputs(engine, scenario)
        seed = compute.settings().seed
        odds = OddsModel(engine, scenario, [goal], inputs, shocks=SHOCKS, seed=seed)
        (t,) = tornado(odds)
        (s,) = odds_sobol(odds, n=n, seed=seed, on_progress=on_progress)
        return t, s, odds.shocks, inputs

    key = (amount, deadline, target_id, start_name, package, start_year, n)
    return memo("sensitivity").get(key, work)
