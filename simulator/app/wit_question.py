"""The "What it takes" page's question: the target, the probability, the scenario to start from,
when the moves start and over how many years, and which levers may move.

The controls are set from the link on a session's first visit (:mod:`simulator.app.wit_query`);
afterwards the link follows them. Parameters of other pages or of whoever shared the link
(``utm_source``, ``fbclid``...) are left in the address bar as they are, every value of them. The
link is read as the Scenario page reads its own (:mod:`simulator.app.links`): a key given more
than once counts with its last value and is named, and a key that looks like a typo of one of this
page's is named (and kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from simulator.analysis.goals import Goal, dated_open_goals, start_reason
from simulator.app import compute, links, wit_session
from simulator.app.wit_compute import starting_points
from simulator.app.wit_query import (
    AMOUNT_RANGE,
    CURRENT,
    PROBABILITIES,
    RAMP_RANGE,
    SIDEBAR,
    URL_KEYS,
    WIDGET,
    query_from_view,
    view_from_query,
)
from simulator.engine import Engine
from simulator.errors import InputErrors
from simulator.levers import LEVER_BY_NAME, LEVERS
from simulator.scenario import Scenario, default_start_year

OWN = "An amount and deadline of my own"
"""The target list's entry for a goal of one's own."""
PROBLEMS = "_wit_url_problems"
NOTES = "_wit_url_notes"
READ = "_wit_url_read"


@dataclass(frozen=True)
class Question:
    """What the user asks: a goal, the probability required, where to start and what may move."""

    goal: Goal
    p: float
    start_name: str
    """:data:`~simulator.app.wit_query.CURRENT`, a shipped scenario's name, or
    :data:`~simulator.app.wit_query.SIDEBAR`."""
    scenario: Scenario
    """The scenario to start from, resolved."""
    start_year: int
    ramp_years: int
    levers: tuple[str, ...]
    scenario_query: str | None = None
    """The Scenario page's link parameters of the scenario, when it is the sidebar's."""

    @property
    def start_label(self) -> str:
        if self.start_name == SIDEBAR:
            return f"the scenario from the Scenario page ({self.scenario.name})"
        if self.start_name == CURRENT:
            return "current policy (the baseline)"
        return f"the scenario {self.start_name}"


def question(engine: Engine) -> Question | None:
    """The controls and what they ask; ``None`` (with a warning) when no lever may move."""
    options = goal_options(engine)
    starts = dict(starting_points(engine.first_projection_year))
    _init_from_url(engine, options, list(starts))
    mine = wit_session.sidebar_scenario(engine)
    if mine is not None:
        starts[SIDEBAR] = mine
    elif st.session_state.get(WIDGET["from"]) == SIDEBAR:
        st.session_state[WIDGET["from"]] = CURRENT
    for note in st.session_state.pop(PROBLEMS, []):
        st.warning(f"Ignored a link parameter: {note}.")
    for note in st.session_state.pop(NOTES, []):
        st.warning(note)
    c1, c2 = st.columns([3, 2])
    with c1:
        goal = _pick_goal(engine, options)
    with c2:
        p = st.select_slider(
            "Required probability", options=PROBABILITIES, format_func=lambda v: f"{v:.0%}", key=WIDGET["p"]
        )
    start_name, start_year, ramp = _starting_point(engine, goal, starts)
    chosen = st.multiselect(
        "Levers allowed to move",
        [lv.name for lv in LEVERS],
        format_func=lambda n: LEVER_BY_NAME[n].label,
        key=WIDGET["levers"],
    )
    if not chosen:
        st.warning("Choose at least one lever.")
        return None
    scenario = starts[start_name]
    link = wit_session.scenario_query(scenario, engine) if start_name == SIDEBAR else None
    q = Question(goal, float(p), start_name, scenario, start_year, ramp, tuple(chosen), link)
    _sync_link(q)
    return q


def _starting_point(engine: Engine, goal: Goal, starts: dict[str, Scenario]) -> tuple[str, int, int]:
    first = engine.first_projection_year
    c3, c4, c5 = st.columns([3, 1, 1])
    start_name = c3.selectbox(
        "Starting from",
        list(starts),
        key=WIDGET["from"],
        format_func=lambda k: (
            f"The scenario from the Scenario page ({starts[k].name})" if k == SIDEBAR else k
        ),
        help="Its lever paths, assumptions and trend stay as they are; the moves found here are added "
        "to its lever paths.",
    )
    years = list(range(first, goal.deadline_fy + 1))
    if st.session_state.get(WIDGET["start"]) not in years:  # a deadline before the year chosen
        st.session_state[WIDGET["start"]] = min(default_start_year(first), goal.deadline_fy)
    start_year = c4.selectbox(
        "Moves start in",
        years,
        format_func=lambda y: f"FY{y}",
        key=WIDGET["start"],
        help=start_reason(engine),
    )
    ramp = c5.number_input(
        "Ramp (years)",
        min_value=RAMP_RANGE[0],
        max_value=RAMP_RANGE[1],
        step=1,
        key=WIDGET["ramp"],
        help="Years over which a move reaches its full size (0: at once), as a scenario file's ramp_years.",
    )
    return start_name, int(start_year), int(ramp)


def _sync_link(q: Question) -> None:
    """Write the view into the address bar, keeping every parameter that is not this page's."""
    wanted = query_from_view(
        q.goal,
        q.p,
        q.start_name,
        q.start_year,
        list(q.levers),
        ramp=q.ramp_years,
        scenario_query=q.scenario_query,
    )
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    kept: dict[str, list[str]] = {k: v for k, v in current.items() if k not in URL_KEYS}
    query = {**kept, **{k: [v] for k, v in wanted.items()}}
    if current != query:
        st.query_params.from_dict(query)


def _init_from_url(engine: Engine, options: dict[str, Goal | None], starts: list[str]) -> None:
    """Set the widgets from the link once per session; say which parameters were not understood.

    Every widget's default is set here, through the session state, so that no widget is given
    both a default and a session value. A link starting from the sidebar's scenario loads that
    scenario into the Scenario page's sidebar (the page then shows it too).
    """
    horizon = compute.settings().horizon
    labels = list(options)
    first = engine.first_projection_year
    defaults = {
        WIDGET["target"]: next((k for k in labels if "$10B by FY2029" in k), labels[0]),
        WIDGET["amount"]: 10.0,
        WIDGET["deadline"]: min(first + 4, horizon),
        WIDGET["p"]: 0.5,
        WIDGET["from"]: CURRENT,
        WIDGET["start"]: default_start_year(first),
        WIDGET["ramp"]: 0,
        WIDGET["levers"]: [lv.name for lv in LEVERS],
    }
    for k, v in defaults.items():
        st.session_state.setdefault(k, v)
    if st.session_state.get(READ):
        return
    st.session_state[READ] = True
    params, notes = _link_params()
    st.session_state[NOTES] = notes
    problems: list[str] = []
    if params.get("from") == SIDEBAR:
        problems += _adopt_linked_scenario(engine, params)
        if params.get("from") == SIDEBAR:
            starts = [*starts, SIDEBAR]
    elif "scenario" in params:
        problems.append(f"scenario={params.pop('scenario')!r} (read only with from=sidebar)")
    values, notes = view_from_query(params, options, starts, first, horizon)
    values.pop(WIDGET["scenario"], None)
    st.session_state.update(values)
    if problems or notes:
        st.session_state[PROBLEMS] = problems + notes


def _link_params() -> tuple[dict[str, str], list[str]]:
    """This page's parameters in the link (one value each, the last), and notes on keys given
    more than once or looking like a typo of this page's; the Scenario page's keys and anyone
    else's (``utm_source``...) are left alone."""
    raw = {k: st.query_params.get_all(k) for k in st.query_params}
    ours = {k: v for k, v in raw.items() if k in URL_KEYS}
    params, repeated = links.last_values(ours)
    others = [k for k in raw if k not in URL_KEYS and not links.is_scenario_key(k)]
    typo = links.near_miss_note(others, list(URL_KEYS))
    return params, [n for n in (repeated, typo) if n is not None]


def _adopt_linked_scenario(engine: Engine, params: dict[str, str]) -> list[str]:
    """The scenario a ``from=sidebar`` link carries, loaded into the Scenario page's sidebar; a
    note for each problem (the link then starts from current policy)."""
    text = params.pop("scenario", None)
    if text is None:
        if wit_session.sidebar_scenario(engine) is None:
            params.pop("from")
            return ["from='sidebar' without scenario= (started from current policy)"]
        return []
    try:
        scenario = wit_session.scenario_from_link(text, engine)
    except InputErrors as exc:
        params.pop("from")
        return [f"scenario={text!r}: {e}" for e in exc.errors]
    wit_session.adopt(scenario)
    return []


def goal_options(engine: Engine) -> dict[str, Goal | None]:
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
