"""Session glue: a link sets the widgets once; afterwards the widgets set the link.

On a session's first run the query string is read (:func:`init_from_url`): the scenario part
is validated like a scenario file and loaded into the sidebar, the view part (chosen deadlines,
contribution year, scale) into the page's widgets, and the compare set into the session. A bad
link is reported in plain words and the app starts from the baseline. On every run
:func:`sync_url` writes what the page shows back into the query string, so the address bar is
always a link that reproduces the view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import streamlit as st

from simulator.app import sidebar
from simulator.app.state import (
    COMPARE_KEY,
    Defaults,
    controls_from_scenario,
    decode_compare,
    encode_compare,
    scenario_from_query,
    scenario_to_query,
)
from simulator.errors import InputError, InputErrors
from simulator.scenario import Scenario

LOADED = "_loaded"
"""The resolved scenario the sidebar was last set from (``None``: the baseline)."""
COMPARED = "_compare"
"""Scenarios kept for comparison, in order."""
NOTICES = "_notices"
"""(kind, message) pairs to show once at the top of the page."""
INITIALISED = "_initialised"

LOG_SCALE_KEY = "log_scale"
YEAR_KEY = "contribution_year"
MAX_COMPARED = 6


def deadline_key(amount: float) -> str:
    return f"deadline.{amount:g}"


def deadline_param(amount: float) -> str:
    return f"deadline_{amount / 1000:g}B"


def view_params(view_choices: dict[str, list[Any]]) -> dict[str, str]:
    """Query key -> session key for the view settings that are not part of the scenario."""
    out = {}
    for sk in view_choices:
        if sk.startswith("deadline."):
            out[deadline_param(float(sk.removeprefix("deadline.")))] = sk
    out.update({"year": YEAR_KEY, "scale": LOG_SCALE_KEY})
    return out


TAB_KEY = "section"
VIEW_KEYS = (LOG_SCALE_KEY, YEAR_KEY, TAB_KEY)
"""Session keys of the main page's view widgets (with the ``deadline.*`` keys)."""


def keep_alive() -> None:
    """Keep the scenario and the view while another page or tab is open.

    Streamlit drops the state of a widget that was not drawn in a run unless it is written back;
    the sidebar, the chosen deadlines, the contribution year and the open tab must survive a
    visit to another page (and the year a visit to another tab).
    """
    ss = st.session_state
    for k in [*sidebar.control_keys(), *VIEW_KEYS, *(k for k in ss if str(k).startswith("deadline."))]:
        if k in ss:
            ss[k] = ss[k]


def notify(kind: str, message: str) -> None:
    st.session_state.setdefault(NOTICES, []).append((kind, message))


def notify_errors(title: str, errors: list[InputError]) -> None:
    lines = "\n".join(f"- {e}" for e in errors)
    notify("error", f"{title}\n\n{lines}")


def show_notices() -> None:
    for kind, msg in st.session_state.pop(NOTICES, []):
        getattr(st, kind)(msg)


def load(scenario: Scenario | None, defaults: Defaults) -> None:
    """Set the sidebar from a resolved scenario (``None``: baseline)."""
    st.session_state[LOADED] = scenario
    write = controls_from_scenario(scenario, defaults) if scenario is not None else defaults.controls()
    sidebar.write_controls(write)


def loaded() -> Scenario | None:
    return st.session_state.get(LOADED)


def compared() -> list[Scenario]:
    return st.session_state.setdefault(COMPARED, [])


def init_from_url(
    defaults: Defaults, view_choices: dict[str, list[Any]], view_defaults: dict[str, Any]
) -> None:
    """On the session's first run: the link's scenario, view and compare set, or the baseline.

    ``view_choices`` maps each view setting's session key to its allowed values, ``view_defaults``
    to its default.
    """
    ss = st.session_state
    if ss.get(INITIALISED):
        return
    ss[INITIALISED] = True
    params = {k: st.query_params[k] for k in st.query_params}
    compare_raw = st.query_params.get_all(COMPARE_KEY)
    params.pop(COMPARE_KEY, None)
    for key, value in view_defaults.items():
        ss.setdefault(key, value)
    view_errors: list[InputError] = []
    for qk, sk in view_params(view_choices).items():
        if qk not in params:
            continue
        raw = params.pop(qk)
        value = _view_value(sk, raw, view_choices[sk])
        if value is None:
            allowed = ", ".join(_view_text(sk, c) for c in view_choices[sk])
            view_errors.append(
                InputError("is not one of the choices", file="link", field=qk, value=raw, allowed=allowed)
            )
        else:
            ss[sk] = value
    scenario = None
    if params:
        try:
            scenario = scenario_from_query(params, first_year=defaults.first_year)
        except InputErrors as exc:
            notify_errors(
                "This link's scenario has problems, so the app shows the baseline instead:", exc.errors
            )
    load(scenario, defaults)
    if compare_raw:
        kept, errors = decode_compare(compare_raw, first_year=defaults.first_year)
        ss[COMPARED] = kept[:MAX_COMPARED]
        if errors:
            notify_errors("Some compared scenarios in this link have problems and were left out:", errors)
    if view_errors:
        notify_errors(
            "Some view settings in this link were not understood and were left at their defaults:",
            view_errors,
        )


def _view_value(session_key: str, raw: str, choices: list[Any]) -> Any:
    """A view setting from its query text, or ``None`` when it is not one of the choices."""
    if session_key == LOG_SCALE_KEY:
        return {"log": True, "linear": False}.get(raw)
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value in choices else None


def _view_text(session_key: str, choice: Any) -> str:
    if session_key == LOG_SCALE_KEY:
        return "log" if choice else "linear"
    return str(choice)


def desired_query(scenario: Scenario, view: dict[str, str]) -> dict[str, str | list[str]]:
    """The query string that reproduces this view: the scenario, the view settings that differ
    from their defaults, and the compare set."""
    desired: dict[str, str | list[str]] = dict(scenario_to_query(scenario))
    desired.update(view)
    kept = compared()
    if kept:
        desired[COMPARE_KEY] = encode_compare(kept)
    return desired


def share_link(query: dict[str, str | list[str]]) -> str:
    """The full address of this view (the page's own address when known, else the query alone)."""
    text = urlencode(query, doseq=True, safe=".:,/")
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base}?{text}" if text else (base or "(the app's address: the baseline has no parameters)")


def sync_url(query: dict[str, str | list[str]]) -> None:
    """Write ``query`` (from :func:`desired_query`) into the address bar, only when it changed
    (so nothing reruns)."""
    current = {
        k: st.query_params.get_all(k) if k == COMPARE_KEY else st.query_params[k] for k in st.query_params
    }
    if current != query:
        st.query_params.from_dict(query)
