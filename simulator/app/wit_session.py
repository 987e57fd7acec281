"""The "What it takes" page and the Scenario page's session: the scenario built there, and a
package opened there.

Goal seek may start from the scenario the user has built in the Scenario page's sidebar
(:func:`sidebar_scenario`: the same scenario that page shows, read from the session it keeps), and
the package it finds opens on the Scenario page in one click (:func:`open_on_scenario_page`: it is
loaded into that page's sidebar as a preset or an upload would be). A link carries the sidebar's
scenario as the Scenario page's own link parameters (:func:`scenario_query`,
:func:`scenario_from_link`), so it gives the same answer in a new session.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import streamlit as st

from simulator.app import files, links, main_page, session
from simulator.engine import Engine
from simulator.scenario import Scenario

SCENARIO_PAGE = "home"
"""The Scenario page's ``url_path`` (``simulator.app.entry.HOME``: served at "/")."""


LINKED = "_wit_linked_scenario"
"""The scenario a ``from=sidebar`` link carried, while the Scenario page has not been opened."""


def sidebar_scenario(engine: Engine) -> Scenario | None:
    """The scenario the Scenario page's sidebar stands for in this session (or, before that page
    is opened, the one a link carried); ``None`` when there is neither."""
    if not st.session_state.get(session.INITIALISED):
        return st.session_state.get(LINKED)
    return main_page.sidebar_scenario(engine)


def link_context(engine: Engine) -> links.LinkContext:
    """What the Scenario page's links are read and written with (its presets, its first year)."""
    first_year = engine.first_projection_year
    found, _ = files.presets(first_year)
    return links.LinkContext(first_year, found)


def scenario_query(scenario: Scenario, engine: Engine) -> str:
    """The Scenario page's link parameters for ``scenario``, as one query string."""
    return urlencode(links.scenario_to_query(scenario, link_context(engine)), safe=".:,/")


def scenario_from_link(text: str, engine: Engine) -> Scenario:
    """The scenario a ``scenario=`` link parameter carries, read as the Scenario page reads a link
    (its own keys, the last value of each; any other key ignored;
    :class:`~simulator.errors.InputErrors` names each problem)."""
    raw: dict[str, list[str]] = {}
    for k, v in parse_qsl(text, keep_blank_values=True):
        raw.setdefault(k, []).append(v)
    params, _ = links.last_values({k: v for k, v in raw.items() if links.is_scenario_key(k)})
    scenario, _ = links.scenario_from_query(params, link_context(engine), source="link (scenario=)")
    return scenario


def adopt(scenario: Scenario) -> None:
    """Start from ``scenario`` as the sidebar's (it came with a link; the Scenario page's own
    session, once opened, takes over)."""
    st.session_state[LINKED] = scenario


def open_on_scenario_page(scenario: Scenario, engine: Engine) -> None:
    """Show ``scenario`` on the Scenario page (fan chart, cards, share link) and go there.

    If that page has run in this session its sidebar is set to the scenario, as a preset would
    set it; otherwise the page opens with the scenario's link, which it reads as any link.
    """
    page = st.Page(main_page.page, url_path=SCENARIO_PAGE, default=True)
    session.notify("success", f"Opened the goal-seek package '{scenario.name}' from the What it takes page.")
    if st.session_state.get(session.INITIALISED):
        session.load(scenario, main_page.make_defaults(engine))
        st.switch_page(page)
    st.switch_page(page, query_params=links.scenario_to_query(scenario, link_context(engine)))
