"""Session glue: a link sets the page once; afterwards the page sets the link.

On a session's first run the query string is read (:func:`init_from_url`): the scenario keys are
validated like a scenario file (:mod:`simulator.app.links`) and loaded into the sidebar, the view
keys (chosen deadlines, contribution year, scale, open tab) into the page's widgets, and the
compare set into the session. Keys the app does not know (``utm_source``, ``fbclid``, anything)
are left alone and kept in the address bar; a key given twice, a ``base=`` and a compare set
larger than :data:`MAX_COMPARED` are read as stated in a notice. A bad link is reported in plain
words and the app starts from the baseline. On every run :func:`sync_url` writes what the page
shows back into the query string, so the address bar is always a link that reproduces the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from simulator.app import links, sidebar
from simulator.app.state import Defaults, controls_from_scenario
from simulator.errors import InputError, InputErrors
from simulator.scenario import Scenario

LOADED = "_loaded"
"""The resolved scenario the sidebar was last set from (``None``: the baseline)."""
ORIGIN = "_origin"
"""Where that scenario came from, in words ('shipped scenario', 'uploaded file x.yaml', 'link')."""
PRESET = "_preset_base"
"""The shipped scenario the sidebar started from, if any (to say what was changed since)."""
COMPARED = "_compare"
"""Scenarios kept for comparison, in order."""
NOTICES = "_notices"
"""(kind, message) pairs to show once at the top of the page."""
KEPT_PARAMS = "_kept_params"
"""(key, value) pairs of the link that the app does not use, kept in the address bar."""
INITIALISED = "_initialised"

LOG_SCALE_KEY = "log_scale"
YEAR_KEY = "contribution_year"
TAB_KEY = "section"
COMPARE_KEY = "compare"
MAX_COMPARED = 6


@dataclass(frozen=True)
class View:
    """A view setting that lives in the link: its query key, its session key, the query texts
    it accepts (each mapped to its session value) and its default."""

    query_key: str
    session_key: str
    choices: Mapping[str, Any]
    default: Any

    def text(self, value: Any) -> str | None:
        return next((k for k, v in self.choices.items() if v == value), None)


def deadline_key(amount: float) -> str:
    return f"deadline.{amount:g}"


def deadline_param(amount: float) -> str:
    return f"deadline_{amount / 1000:g}B"


def keep_alive() -> None:
    """Keep the scenario and the view while another page or tab is open.

    Streamlit drops the state of a widget that was not drawn in a run unless it is written back;
    the sidebar, the chosen deadlines, the contribution year and the open tab must survive a
    visit to another page (and the year a visit to another tab).
    """
    ss = st.session_state
    view = [LOG_SCALE_KEY, YEAR_KEY, TAB_KEY, *(k for k in ss if str(k).startswith("deadline."))]
    for k in [*sidebar.control_keys(), *view]:
        if k in ss:
            ss[k] = ss[k]


def notify(kind: str, message: str) -> None:
    st.session_state.setdefault(NOTICES, []).append((kind, message))


def notify_errors(title: str, errors: Sequence[InputError]) -> None:
    lines = "\n".join(f"- {e}" for e in errors)
    notify("error", f"{title}\n\n{lines}")


def show_notices() -> None:
    for kind, msg in st.session_state.pop(NOTICES, []):
        getattr(st, kind)(msg)


def load(
    scenario: Scenario | None, defaults: Defaults, *, origin: str = "", preset: str | None = None
) -> None:
    """Set the sidebar from a resolved scenario (``None``: baseline), exactly."""
    ss = st.session_state
    ss[LOADED] = scenario
    ss[ORIGIN] = origin
    ss[PRESET] = preset
    ss[sidebar.PRESET_KEY] = preset if preset is not None else sidebar.NO_PRESET
    write = controls_from_scenario(scenario, defaults) if scenario is not None else defaults.controls()
    sidebar.write_controls(write)


def loaded() -> Scenario | None:
    return st.session_state.get(LOADED)


def compared() -> list[Scenario]:
    return st.session_state.setdefault(COMPARED, [])


# --------------------------------------------------------------------------- reading a link


def init_from_url(defaults: Defaults, ctx: links.LinkContext, views: Sequence[View]) -> None:
    """On the session's first run: the link's scenario, view and compare set, or the baseline."""
    ss = st.session_state
    if ss.get(INITIALISED):
        return
    ss[INITIALISED] = True
    raw = {k: st.query_params.get_all(k) for k in st.query_params}
    compare_raw = raw.pop(COMPARE_KEY, [])
    params = _last_values(raw)
    for v in views:
        ss.setdefault(v.session_key, v.default)
    view_keys = {v.query_key for v in views}
    _read_views(params, views)
    ours = {k: v for k, v in params.items() if links.is_scenario_key(k)}
    ss[KEPT_PARAMS] = [(k, x) for k, xs in raw.items() if k not in ours and k not in view_keys for x in xs]
    _notice_near_misses([k for k, _ in ss[KEPT_PARAMS]], [*view_keys, COMPARE_KEY])
    _read_scenario(ours, defaults, ctx)
    _read_compare(compare_raw, ctx)


def _last_values(raw: Mapping[str, list[str]]) -> dict[str, str]:
    """One value per key: the last, with a notice naming each key given more than once."""
    params, note = links.last_values(raw)
    if note is not None:
        notify("warning", note)
    return params


def _read_views(params: Mapping[str, str], views: Sequence[View]) -> None:
    errors = []
    for v in views:
        if v.query_key not in params:
            continue
        raw = params[v.query_key]
        if raw in v.choices:
            st.session_state[v.session_key] = v.choices[raw]
        else:
            allowed = ", ".join(v.choices)
            errors.append(
                InputError(
                    "is not one of the choices", file="link", field=v.query_key, value=raw, allowed=allowed
                )
            )
    if errors:
        notify_errors(
            "Some view settings in this link were not understood and were left at their defaults:", errors
        )


def _notice_near_misses(unknown: list[str], known: list[str]) -> None:
    """An unknown key that looks like a typo of one of ours is named (it is still kept)."""
    note = links.near_miss_note(unknown, known)
    if note is not None:
        notify("warning", note)


def _read_scenario(params: Mapping[str, str], defaults: Defaults, ctx: links.LinkContext) -> None:
    scenario, preset = None, None
    if params:
        try:
            scenario, preset = links.scenario_from_query(params, ctx)
        except InputErrors as exc:
            notify_errors(
                "This link's scenario has problems, so the app shows the baseline instead:", exc.errors
            )
    if links.BASE in params and scenario is not None:
        name = params[links.BASE]
        notify(
            "info",
            f"This link's `base={name}` was read as `preset={name}`: the scenario starts from "
            + ("current policy." if preset is None else f"the shipped scenario {name}."),
        )
    load(scenario, defaults, origin="opened from a link" if scenario is not None else "", preset=preset)


def _read_compare(values: list[str], ctx: links.LinkContext) -> None:
    if not values:
        return
    kept, errors = decode_compare(values[:MAX_COMPARED], ctx)
    st.session_state[COMPARED] = kept
    if errors:
        notify_errors("Some compared scenarios in this link have problems and were left out:", errors)
    if len(values) > MAX_COMPARED:
        notify(
            "warning",
            f"This link compares {len(values)} scenarios; the app keeps at most {MAX_COMPARED} and "
            f"left out the last {len(values) - MAX_COMPARED}.",
        )


def encode_compare(scenarios: Sequence[Scenario], ctx: links.LinkContext) -> list[str]:
    """Each compared scenario as one URL-encoded query string (a repeated ``compare`` parameter)."""
    return [urlencode(links.scenario_to_query(s, ctx)) for s in scenarios]


def decode_compare(values: Sequence[str], ctx: links.LinkContext) -> tuple[list[Scenario], list[InputError]]:
    """Scenarios from ``compare`` parameters; a bad one is reported and left out."""
    out: list[Scenario] = []
    errors: list[InputError] = []
    for i, raw in enumerate(values, start=1):
        try:
            out.append(links.scenario_from_query(dict(parse_qsl(raw)), ctx, source=f"compare #{i}")[0])
        except InputErrors as exc:
            errors.extend(exc.errors)
    return out, errors


# --------------------------------------------------------------------------- writing the link


def desired_query(scenario: Scenario, ctx: links.LinkContext, views: Sequence[View]) -> dict[str, list[str]]:
    """The query string that reproduces this view: the scenario, the view settings that differ
    from their defaults, the compare set, then the link's keys the app does not use."""
    ss = st.session_state
    out: dict[str, list[str]] = {k: [v] for k, v in links.scenario_to_query(scenario, ctx).items()}
    for v in views:
        value = ss.get(v.session_key, v.default)
        text = v.text(value)
        if value != v.default and text is not None:
            out[v.query_key] = [text]
    kept = compared()
    if kept:
        out[COMPARE_KEY] = encode_compare(kept, ctx)
    for k, x in ss.get(KEPT_PARAMS, []):
        out.setdefault(k, []).append(x)
    return out


def share_link(query: Mapping[str, list[str]]) -> str:
    """The full address of this view on the scenario page (:func:`links.scenario_address`), or
    the query alone when the app's address is not known."""
    text = urlencode(query, doseq=True, safe=".:,/")
    base = links.scenario_address(st.context.url) if st.context.url else ""
    return f"{base}?{text}" if text else (base or "(the app's address: the baseline has no parameters)")


def sync_url(query: Mapping[str, list[str]]) -> None:
    """Write ``query`` (from :func:`desired_query`) into the address bar, only when it changed
    (so nothing reruns)."""
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != dict(query):
        st.query_params.from_dict(query)
