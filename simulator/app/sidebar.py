"""The sidebar: policy levers, the policy start year, presets, reset, and the assumptions panel.

Every slider is generated from :data:`simulator.levers.LEVERS` and :data:`~simulator.levers.ASSUMPTIONS`
(label, unit, range, step, default and source); nothing here retypes a number. Widget values live
in ``st.session_state`` under the keys below; :mod:`simulator.app.session` sets them from a
link, a preset or an uploaded file, and mirrors the resulting scenario in the URL.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from simulator.app.state import (
    TREND_DECIMALS,
    TREND_FIELDS,
    TREND_STEP,
    Controls,
    Defaults,
    assumption_decimals,
    assumption_step,
    lever_decimals,
    ramp_bounds,
    trend_bounds,
)
from simulator.levers import ASSUMPTIONS, LEVERS, Assumption, Lever
from simulator.scenario import TrendOverride
from simulator.settings import MAX_HORIZON

START_KEY = "start_year"
RAMP_KEY = "ramp_years"
HORIZON_KEY = "horizon"
NAME_KEY = "scenario_name"
PRESET_KEY = "preset"

TREND_LABELS = {
    "growth_pct": ("Trend growth of the core", "% a year"),
    "slowdown_per_doubling": ("Slowdown as the sector doubles", "points of growth per doubling"),
    "shock_scale": ("Size of yearly shocks", "times the calibrated size"),
}


def lever_key(name: str) -> str:
    return f"lever.{name}"


def assumption_key(name: str) -> str:
    return f"assume.{name}"


def trend_key(name: str) -> str:
    return f"trend.{name}"


def control_keys() -> list[str]:
    """Every session-state key that holds part of the scenario."""
    return [
        *(lever_key(lv.name) for lv in LEVERS),
        *(assumption_key(a.name) for a in ASSUMPTIONS),
        *(trend_key(t) for t in TREND_FIELDS),
        START_KEY,
        RAMP_KEY,
        HORIZON_KEY,
        NAME_KEY,
    ]


def _as_widget(value: float, decimals: int) -> float | int:
    return round(value) if decimals == 0 else round(float(value), decimals)


def write_controls(c: Controls) -> None:
    """Put ``c`` into the widgets' session state (call before the widgets are drawn, or in a callback)."""
    ss = st.session_state
    for lv in LEVERS:
        ss[lever_key(lv.name)] = _as_widget(c.levers[lv.name], lever_decimals(lv))
    for a in ASSUMPTIONS:
        ss[assumption_key(a.name)] = _as_widget(c.assumptions[a.name], assumption_decimals(a))
    for t in TREND_FIELDS:
        ss[trend_key(t)] = round(float(c.trend[t]), TREND_DECIMALS[t])
    ss[START_KEY] = c.start_year
    ss[RAMP_KEY] = c.ramp_years
    ss[HORIZON_KEY] = c.horizon
    ss[NAME_KEY] = c.name
    ss["_extra"] = dict(c.extra)
    ss["_description"] = c.description


def read_controls(defaults: Defaults) -> Controls:
    """The widgets' current values as :class:`Controls`."""
    ss = st.session_state
    d = defaults.controls()
    return Controls(
        levers={lv.name: float(ss.get(lever_key(lv.name), lv.default)) for lv in LEVERS},
        start_year=int(ss.get(START_KEY, d.start_year)),
        ramp_years=int(ss.get(RAMP_KEY, d.ramp_years)),
        assumptions={a.name: float(ss.get(assumption_key(a.name), a.central)) for a in ASSUMPTIONS},
        trend={t: float(ss.get(trend_key(t), d.trend[t])) for t in TREND_FIELDS},
        horizon=int(ss.get(HORIZON_KEY, d.horizon)),
        name=str(ss.get(NAME_KEY, d.name)).strip() or d.name,
        description=ss.get("_description", ""),
        extra=ss.get("_extra", {}),
    )


# --------------------------------------------------------------------------- help texts


def lever_help(lv: Lever) -> str:
    refs = "; ".join(f"{name}: {v:g}" for name, v in lv.reference_points)
    parts = [
        f"**{lv.label}** ({lv.unit}); range {lv.range_text}.",
        f"**Current policy: {lv.default:g}.** {lv.default_source}",
        f"**Effect:** {lv.effect}",
    ]
    if refs:
        parts.append(f"**Reference points:** {refs}.")
    for a in lv.assumptions:
        parts.append(f"**{a.label}:** {a.low:g} to {a.high:g} {a.unit}, central {a.central:g}. {a.source}")
    return "\n\n".join(parts)


def assumption_help(a: Assumption) -> str:
    return (
        f"Sampled from a triangular distribution: low {a.low:g}, central {a.central:g}, high {a.high:g} "
        f"({a.unit}). Moving the central value scales the range with it. Allowed: {a.bounds[0]:g} to "
        f"{a.bounds[1]:g}.\n\n**Source:** {a.source}"
    )


def trend_help(name: str, calibrated: float) -> str:
    desc = TrendOverride.model_fields[name].description or ""
    lo, hi = trend_bounds(name)
    return (
        f"{desc}. Calibrated value: {calibrated:g} (from `calibration/fitted_params.json`, fitted on the "
        f"reported series). Allowed: {lo:g} to {hi:g}. Left at the calibrated value, the trend is not "
        "overridden and keeps its estimation uncertainty."
    )


# --------------------------------------------------------------------------- widgets


def _lever_slider(lv: Lever) -> None:
    d = lever_decimals(lv)
    kind = int if d == 0 else float
    st.slider(
        f"{lv.label} ({lv.unit})",
        min_value=kind(lv.min),
        max_value=kind(lv.max),
        step=kind(lv.step),
        key=lever_key(lv.name),
        help=lever_help(lv),
        format="%d" if d == 0 else f"%.{d}f",
    )


def _assumption_slider(a: Assumption) -> None:
    d = assumption_decimals(a)
    kind = int if d == 0 else float
    st.slider(
        f"{a.label} ({a.unit})",
        min_value=kind(a.bounds[0]),
        max_value=kind(a.bounds[1]),
        step=kind(assumption_step(a)),
        key=assumption_key(a.name),
        help=assumption_help(a),
        format=f"%.{d}f",
    )


def _assumptions_panel(defaults: Defaults) -> None:
    st.caption(
        "Not policies: what the model assumes. Changing them moves the baseline too; the chart "
        "then shows the default baseline as a dotted line."
    )
    for a in ASSUMPTIONS:
        _assumption_slider(a)
    st.markdown("**Trend (calibrated)**")
    for t in TREND_FIELDS:
        lo, hi = trend_bounds(t)
        label, unit = TREND_LABELS[t]
        st.slider(
            f"{label} ({unit})",
            min_value=lo,
            max_value=hi,
            step=TREND_STEP[t],
            key=trend_key(t),
            help=trend_help(t, defaults.trend[t]),
            format=f"%.{TREND_DECIMALS[t]}f",
        )
    st.selectbox(
        "Project to (FY)",
        list(range(defaults.first_year, MAX_HORIZON + 1)),
        key=HORIZON_KEY,
        help="Last fiscal year projected.",
    )


def render(
    defaults: Defaults,
    *,
    presets: list[str],
    on_preset: Callable[[], None],
    on_reset: Callable[[], None],
    upload: Callable[[], None],
) -> None:
    """Draw the sidebar. Values land in session state; :func:`read_controls` reads them."""
    sb = st.sidebar
    with sb:
        st.header("Policy levers")
        st.selectbox(
            "Start from",
            ["(current policy)", *presets],
            key=PRESET_KEY,
            on_change=on_preset,
            help="Load a shipped scenario from `scenarios/`; the sliders then show it.",
        )
        st.button(
            "Reset to baseline",
            on_click=on_reset,
            width="stretch",
            help="Every lever at current policy, default assumptions and trend.",
        )
        for lv in LEVERS:
            _lever_slider(lv)
        st.markdown("**When the policies start**")
        years = list(range(defaults.first_year, MAX_HORIZON + 1))
        c1, c2 = st.columns(2)
        c1.selectbox(
            "Start year (FY)",
            years,
            key=START_KEY,
            help="First fiscal year of every lever you move; before it, current policy.",
        )
        ramp_min, ramp_max = ramp_bounds()
        c2.number_input(
            "Ramp (years)",
            min_value=ramp_min,
            max_value=ramp_max,
            step=1,
            key=RAMP_KEY,
            help="Years to reach the new values, in equal steps (0: at once).",
        )
        panel = st.expander("Assumptions: effect sizes and trend", key="assumptions_panel", on_change="rerun")
        if panel.open:  # drawn only while open; the values stay in session state meanwhile
            with panel:
                _assumptions_panel(defaults)
        files = st.expander("Load a scenario file (YAML)", key="upload_panel", on_change="rerun")
        if files.open:
            with files:
                upload()
