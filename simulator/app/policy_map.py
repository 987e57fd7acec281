"""The "Policy map" page: the odds of a target over a grid of two levers, as a heat map.

Each cell is the scenario of the Scenario page (or current policy) with the two levers moved to
the cell's values from the default start year, scored on the same draws (common random numbers)
with :meth:`simulator.engine.Engine.scorer`, as ``simulator sweep`` scores its points. The line
is the contour at the required probability (``contourpy``, linear interpolation between cells);
the cross marks the current scenario's values of the two levers.
"""

from __future__ import annotations

import altair as alt
import contourpy
import numpy as np
import pandas as pd
import streamlit as st

from simulator import sweep
from simulator.app import compute, wit_session
from simulator.app.page_parts import engine_or_stop
from simulator.data import Target
from simulator.engine import Engine
from simulator.levers import LEVER_BY_NAME, LEVERS
from simulator.scenario import LeverPath, Scenario, baseline_scenario, default_start_year

GRID = 30
"""Cells along each lever."""
CACHE_ENTRIES = 16


def lever_grid(name: str, n: int = GRID) -> np.ndarray:
    """``n`` values over the lever's declared range (whole numbers for counts, without repeats)."""
    lv = LEVER_BY_NAME[name]
    values = np.linspace(lv.min, lv.max, n)
    return np.unique(np.round(values)) if lv.whole else values


def odds_grid(
    engine: Engine, base: Scenario, target: Target, x: str, y: str, *, n: int = GRID
) -> pd.DataFrame:
    """One row per cell: the two levers' values and the odds of ``target`` by its deadline."""
    settings = compute.settings()
    draws = engine.cached_draws(base, settings)
    scorer = engine.scorer(draws, targets=[target], years=(), percentiles=())
    start = default_start_year(engine.first_projection_year)
    rows = []
    for vx in lever_grid(x, n):
        for vy in lever_grid(y, n):
            cell = sweep.moved(base, {x: vx, y: vy}, start=start, ramp_years=1, name="cell")
            odds, _ = scorer.score(cell)
            rows.append({x: float(vx), y: float(vy), "odds": float(odds[0])})
    return pd.DataFrame(rows)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner="Scoring the grid...")
def cached_odds_grid(base_doc: dict, target_id: str, deadline: int, x: str, y: str) -> pd.DataFrame:
    engine = compute.engine()
    base = Scenario.model_validate(base_doc)
    target = next(t for t in engine.data.targets if t.id == target_id).model_copy(
        update={"deadline_fy": deadline}
    )
    return odds_grid(engine, base, target, x, y)


def contour(frame: pd.DataFrame, x: str, y: str, level: float) -> pd.DataFrame:
    """The contour of the odds at ``level``: points of each line, in order."""
    xs, ys = np.unique(frame[x]), np.unique(frame[y])
    z = frame.pivot(index=y, columns=x, values="odds").loc[ys, xs].to_numpy()
    lines = contourpy.contour_generator(xs, ys, z).lines(level)
    rows = [
        {x: float(px), y: float(py), "line": k, "order": i}
        for k, line in enumerate(lines)
        for i, (px, py) in enumerate(np.asarray(line))
    ]
    return pd.DataFrame(rows, columns=[x, y, "line", "order"])


def current_value(scenario: Scenario, name: str) -> float:
    """The value a lever reaches under ``scenario`` (its last value; current policy if unset)."""
    setting = scenario.lever_settings().get(name)
    if setting is None:
        return float(LEVER_BY_NAME[name].default)
    if isinstance(setting, LeverPath):
        return float(setting.value if setting.value is not None else setting.values[max(setting.values)])
    return float(setting)


def with_edges(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Each cell's edges, halfway to its neighbours (the outer cells as wide as their neighbour)."""
    out = frame.copy()
    for name in (x, y):
        v = np.unique(frame[name])
        half = np.diff(v) / 2 if len(v) > 1 else np.array([0.5])
        lo = dict(zip(v, v - np.concatenate([[half[0]], half]), strict=True))
        hi = dict(zip(v, v + np.concatenate([half, [half[-1]]]), strict=True))
        out[f"{name}_lo"] = out[name].map(lo)
        out[f"{name}_hi"] = out[name].map(hi)
    return out


def chart(
    frame: pd.DataFrame, x: str, y: str, level: float, here: tuple[float, float]
) -> alt.LayerChart | alt.FacetChart:
    """The heat map, the contour at ``level`` and the current scenario's cross, in one chart."""
    lx, ly = LEVER_BY_NAME[x], LEVER_BY_NAME[y]
    ex = alt.X(
        f"{x}_lo:Q", title=f"{lx.label} ({lx.unit})", scale=alt.Scale(domain=[lx.min, lx.max], nice=False)
    )
    ey = alt.Y(
        f"{y}_lo:Q", title=f"{ly.label} ({ly.unit})", scale=alt.Scale(domain=[ly.min, ly.max], nice=False)
    )
    heat = (
        alt.Chart(with_edges(frame, x, y))
        .mark_rect()
        .encode(
            x=ex,
            x2=f"{x}_hi:Q",
            y=ey,
            y2=f"{y}_hi:Q",
            color=alt.Color("odds:Q", title="odds", scale=alt.Scale(domain=[0, 1], scheme="viridis")),
            tooltip=[
                alt.Tooltip(f"{x}:Q", title=lx.label, format=".3~g"),
                alt.Tooltip(f"{y}:Q", title=ly.label, format=".3~g"),
                alt.Tooltip("odds:Q", format=".1%"),
            ],
        )
    )
    line_data = contour(frame, x, y, level).rename(columns={x: f"{x}_lo", y: f"{y}_lo"})
    lines = (
        alt.Chart(line_data)
        .mark_line(color="white", strokeWidth=2)
        .encode(x=ex, y=ey, detail="line:N", order="order:Q")
    )
    mark = (
        alt.Chart(pd.DataFrame([{f"{x}_lo": here[0], f"{y}_lo": here[1]}]))
        .mark_point(shape="cross", size=250, color="red", filled=True)
        .encode(x=ex, y=ey)
    )
    return alt.layer(heat, lines, mark).properties(
        width=560,
        height=460,
        title=f"Odds by the deadline; white line: {level:.0%}; red cross: this scenario",
    )


def page() -> None:
    st.title("Policy map")
    engine = engine_or_stop()
    base = wit_session.sidebar_scenario(engine) or baseline_scenario()
    horizon = base.horizon or compute.settings().horizon
    targets = [t for t in engine.open_targets() if t.deadline_fy is not None and t.deadline_fy <= horizon]
    c1, c2, c3 = st.columns(3)
    target: Target = c1.selectbox(
        "Target",
        targets,
        format_func=lambda t: f"${t.amount_musd / 1000:g}B by FY{t.deadline_fy} ({t.who})",
        key="pm_target",
    )
    first = engine.first_projection_year
    deadline = int(
        c1.number_input(
            "Deadline (fiscal year)", first, horizon, target.deadline_fy or horizon, key="pm_deadline"
        )
    )
    names: list[str] = [lv.name for lv in LEVERS]
    x: str = c2.selectbox("Lever across", names, index=0, format_func=_label, key="pm_x") or names[0]
    rest = [n for n in names if n != x]
    y: str = c2.selectbox("Lever up", rest, index=0, format_func=_label, key="pm_y") or rest[0]
    level = c3.slider("Required probability", 0.05, 0.95, 0.5, 0.05, key="pm_p")
    st.caption(
        f"Starting from: {base.name}. Each cell moves the two levers from FY{default_start_year(first)}; "
        "every other lever and assumption is the scenario's. Same draws for every cell."
    )
    frame = cached_odds_grid(base.to_document(), target.id, deadline, x, y)
    here = (current_value(base, x), current_value(base, y))
    st.altair_chart(chart(frame, x, y, level, here))


def _label(name: str) -> str:
    return LEVER_BY_NAME[name].label
