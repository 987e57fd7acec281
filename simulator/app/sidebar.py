"""The sidebar: presets, reset, each policy lever with its own timing, the assumptions panel.

Every slider is generated from :data:`simulator.levers.LEVERS` and :data:`~simulator.levers.ASSUMPTIONS`
(label, unit, range, step, default and source); nothing here retypes a number. Widget values live
in ``st.session_state`` under the keys below, together with what a loaded scenario says that has
no widget (a lever's year-by-year path, an assumption's range); :func:`write_controls` and
:func:`read_controls` move a whole :class:`~simulator.app.state.Controls` in and out, exactly.
:mod:`simulator.app.session` sets them from a link, a preset or an uploaded file, and mirrors the
resulting scenario in the URL.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from simulator.app.state import (
    TREND_FIELDS,
    TREND_STEP,
    AssumptionControl,
    Controls,
    Defaults,
    LeverControl,
    assumption_decimals,
    assumption_step,
    lever_decimals,
    ramp_bounds,
    trend_bounds,
)
from simulator.levers import ASSUMPTIONS, LEVERS, Assumption, Lever
from simulator.scenario import TrendOverride, default_start_year
from simulator.settings import MAX_HORIZON

HORIZON_KEY = "horizon"
NAME_KEY = "scenario_name"
PRESET_KEY = "preset"
NO_PRESET = "(current policy)"
EXTRA_KEY, DESCRIPTION_KEY = "_extra", "_description"

TREND_LABELS = {
    "growth_pct": ("Trend growth of the core", "% a year"),
    "slowdown_per_doubling": ("Slowdown as the sector doubles", "points of growth per doubling"),
    "shock_scale": ("Size of yearly shocks", "times the calibrated size"),
}


LEVER, START, RAMP, TIMING = "lever", "start", "ramp", "timing"
"""Widget keys of a lever: its slider, start year, ramp, and whether its timing popover is open."""
PATH, CONSTANT = "_path", "_constant"
"""What a loaded scenario says about a lever without a widget: a year-by-year path; whether it
wrote the lever as a plain number."""
ASSUME, ASSUME_FORM, TREND = "assume", "_assume_form", "trend"
"""An assumption's slider and the override a loaded scenario gave it; a trend slider."""


def key(kind: str, name: str) -> str:
    """The session-state key of one ``kind`` of value for a lever, assumption or trend field."""
    return f"{kind}.{name}"


def control_keys() -> list[str]:
    """Every widget key that holds part of the scenario (kept alive across pages)."""
    return [
        *(key(k, lv.name) for lv in LEVERS for k in (LEVER, START, RAMP)),
        *(key(ASSUME, a.name) for a in ASSUMPTIONS),
        *(key(TREND, t) for t in TREND_FIELDS),
        HORIZON_KEY,
        NAME_KEY,
    ]


def _slider_value(lever: Lever, value: float) -> float | int:
    return int(value) if lever.whole else float(value)


def write_controls(c: Controls) -> None:
    """Put ``c`` into session state, exactly (call before the widgets are drawn, or in a callback)."""
    ss = st.session_state
    for lv in LEVERS:
        lc = c.levers[lv.name]
        ss[key(LEVER, lv.name)] = _slider_value(lv, lc.value)
        ss[key(START, lv.name)] = lc.start
        ss[key(RAMP, lv.name)] = lc.ramp
        ss[key(PATH, lv.name)] = lc.values
        ss[key(CONSTANT, lv.name)] = lc.constant
    for a in ASSUMPTIONS:
        ac = c.assumptions[a.name]
        ss[key(ASSUME, a.name)] = float(ac.central)
        ss[key(ASSUME_FORM, a.name)] = ac.loaded
    for t in TREND_FIELDS:
        ss[key(TREND, t)] = float(c.trend[t])
    ss[HORIZON_KEY] = c.horizon
    ss[NAME_KEY] = c.name
    ss[EXTRA_KEY] = dict(c.extra)
    ss[DESCRIPTION_KEY] = c.description


def snap(lever: Lever, value: float) -> float:
    """A slider value from the browser on the lever's grid (1.4000000000000001 -> 1.4); a value
    off the grid (a file's 22.5 on a grid of whole numbers) is kept exactly."""
    k = round((value - lever.min) / lever.step)
    on = lever.min + k * lever.step
    return round(on, lever_decimals(lever)) if abs(value - on) <= 1e-9 * max(1.0, abs(value)) else value


def read_lever(lever: Lever, first_year: int) -> LeverControl:
    ss = st.session_state
    n = lever.name
    return LeverControl(
        value=snap(lever, float(ss.get(key(LEVER, n), lever.default))),
        start=int(ss.get(key(START, n), default_start_year(first_year))),
        ramp=int(ss.get(key(RAMP, n), 0)),
        values=ss.get(key(PATH, n)),
        constant=bool(ss.get(key(CONSTANT, n), False)),
    )


def read_controls(defaults: Defaults) -> Controls:
    """The sidebar's current values as :class:`Controls`."""
    ss = st.session_state
    d = defaults.controls()
    return Controls(
        levers={lv.name: read_lever(lv, defaults.first_year) for lv in LEVERS},
        assumptions={
            a.name: AssumptionControl(
                float(ss.get(key(ASSUME, a.name), a.central)), ss.get(key(ASSUME_FORM, a.name))
            )
            for a in ASSUMPTIONS
        },
        trend={t: float(ss.get(key(TREND, t), d.trend[t])) for t in TREND_FIELDS},
        horizon=int(ss.get(HORIZON_KEY, d.horizon)),
        name=str(ss.get(NAME_KEY, d.name)).strip() or d.name,
        description=ss.get(DESCRIPTION_KEY, ""),
        extra=ss.get(EXTRA_KEY, {}),
    )


# --------------------------------------------------------------------------- help texts


def lever_help(lv: Lever) -> str:
    """The lever's help: range, current policy and its source, the effect, the effect sizes (their
    sources are in the assumptions panel, so the tooltip fits on a laptop screen)."""
    refs = "; ".join(f"{name}: {v:g}" for name, v in lv.reference_points)
    sizes = "; ".join(f"{a.label.lower()} {a.low:g} to {a.high:g} {a.unit}" for a in lv.assumptions)
    parts = [
        f"**{lv.label}** ({lv.unit}); range {lv.range_text}.",
        f"**Current policy: {lv.default:g}.** {lv.default_source}",
        f"**Effect:** {lv.effect} Effect sizes: {sizes} (sources under *Assumptions* below).",
    ]
    if refs:
        parts.append(f"**Reference points:** {refs}.")
    return "\n\n".join(parts)


def assumption_help(a: Assumption) -> str:
    return (
        f"Sampled from a triangular distribution: low {a.low:g}, central {a.central:g}, high {a.high:g} "
        f"({a.unit}). Moving the central value scales the range with it (a range or a fixed value from "
        f"a loaded scenario keeps its form). Allowed: {a.bounds[0]:g} to {a.bounds[1]:g}.\n\n"
        f"**Source:** {a.source}"
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
    kind = int if lv.whole else float
    st.slider(
        f"{lv.label} ({lv.unit})",
        min_value=kind(lv.min),
        max_value=kind(lv.max),
        step=kind(lv.step),
        key=key(LEVER, lv.name),
        help=lever_help(lv),
        format="%d" if lv.whole else "%g",
    )


def _clear_path(name: str) -> None:
    """Replace a year-by-year path from a file by one value from its first year (the slider's)."""
    ss = st.session_state
    ss[key(PATH, name)] = None
    ss[key(RAMP, name)] = 0


def _lever_timing(lv: Lever, defaults: Defaults, start_reason: str) -> None:
    """The lever's path in words, next to its slider, and its start year and ramp."""
    control = read_lever(lv, defaults.first_year)
    label = control.timing_text(lv, defaults.first_year)
    timing = st.popover(
        label,
        icon=":material/schedule:",
        type="tertiary",
        width="stretch",
        key=key(TIMING, lv.name),
        on_change="rerun",
    )
    if not timing.open:  # drawn only while open (a slider move then redraws less); values stay
        return
    with timing:
        if control.values is not None:
            st.markdown("**Year by year, from the loaded file.** The slider sets the last year's value.")
            st.button(
                "Use one start year and a ramp instead",
                key=f"clear_path.{lv.name}",
                on_click=_clear_path,
                args=(lv.name,),
                help="The value then applies from the path's first year, at once.",
            )
            return
        years = list(range(defaults.first_year, MAX_HORIZON + 1))
        st.selectbox(
            "Start year (FY)",
            years,
            key=key(START, lv.name),
            help=f"First fiscal year of the change; before it, current policy. {start_reason}",
        )
        lo, hi = ramp_bounds()
        st.number_input(
            "Ramp (years)",
            min_value=lo,
            max_value=hi,
            step=1,
            key=key(RAMP, lv.name),
            help="Years to reach the slider's value, in equal steps (0: at once).",
        )


def _assumption_slider(a: Assumption) -> None:
    kind = int if assumption_decimals(a) == 0 else float
    st.slider(
        f"{a.label} ({a.unit})",
        min_value=kind(a.bounds[0]),
        max_value=kind(a.bounds[1]),
        step=kind(assumption_step(a)),
        key=key(ASSUME, a.name),
        help=assumption_help(a),
        format="%g",
    )
    form = AssumptionControl(
        float(st.session_state[key(ASSUME, a.name)]), st.session_state.get(key(ASSUME_FORM, a.name))
    ).form_text(a)
    if form:
        st.caption(form)


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
            key=key(TREND, t),
            help=trend_help(t, defaults.trend[t]),
            format="%g",
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
    start_reason: str,
    on_preset: Callable[[], None],
    on_reset: Callable[[], None],
    upload: Callable[[], None],
) -> None:
    """Draw the sidebar. Values land in session state; :func:`read_controls` reads them."""
    with st.sidebar:
        st.header("Policy levers")
        st.selectbox(
            "Start from",
            [NO_PRESET, *presets],
            key=PRESET_KEY,
            on_change=on_preset,
            help="Load a shipped scenario from `scenarios/`; the sliders and timings then show it.",
        )
        st.button(
            "Reset to baseline",
            on_click=on_reset,
            width="stretch",
            help="Every lever at current policy, default assumptions and trend.",
        )
        st.caption(
            f"A lever you move changes from FY{default_start_year(defaults.first_year)} "
            f"(FY{defaults.first_year} is under way). Under each slider, its timing: click it to set that "
            "lever's start year and ramp."
        )
        for lv in LEVERS:
            _lever_slider(lv)
            _lever_timing(lv, defaults, start_reason)
        panel = st.expander("Assumptions: effect sizes and trend", key="assumptions_panel", on_change="rerun")
        if panel.open:  # drawn only while open; the values stay in session state meanwhile
            with panel:
                _assumptions_panel(defaults)
        files = st.expander("Load a scenario file (YAML)", key="upload_panel", on_change="rerun")
        if files.open:
            with files:
                upload()
