"""The "What it takes" page's tables and chart data: pure functions of the analysis results.

Each returns a :class:`pandas.DataFrame` (long form for the charts in
:mod:`simulator.app.wit_charts`), so the tests check them without a browser. The goal-seek tables put the
answer columns first and are shown as static tables that wrap (:func:`as_display_text`), so the
answers are readable at 1024 pixels without scrolling sideways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.analysis.attribution import Attribution
from simulator.analysis.goal_seek import GoalSeek
from simulator.analysis.moves import format_change
from simulator.analysis.sensitivity import Input, SobolResult, Tornado
from simulator.levers import LEVER_BY_NAME

RAISES, LOWERS = "raises exports", "lowers exports"
"""The waterfall's ``kind`` of a lever's bar (the others are ``level``)."""


def lever_answers_frame(result: GoalSeek) -> pd.DataFrame:
    """One row per lever: the least move alone (or not reachable), the probabilities, the lever's
    value in the deadline year as the scenario has it and with the move, its unit."""
    year = result.goal.deadline_fy
    rows = []
    for a in result.levers:
        rows.append(
            {
                "Lever": a.lever.label,
                "Least move alone": "not reachable alone"
                if a.move is None
                else format_change(a.lever, a.move),
                "P there": a.p_value,
                "P at the far end": a.p_best,
                f"FY{year} now": a.scenario_value,
                f"FY{year} then": a.value,
                "Unit": a.lever.unit,
            }
        )
    return pd.DataFrame(rows)


def package_frame(result: GoalSeek) -> pd.DataFrame:
    """The levers the package moves: the move, the lever's value in the deadline year with it and
    as the scenario has it, the move as a share of the range, the unit."""
    pkg = result.package
    space, year = result.model.space, result.goal.deadline_fy
    rows = []
    for name, move in (pkg.moved() if pkg is not None else {}).items():
        lv = LEVER_BY_NAME[name]
        rows.append(
            {
                "Lever": lv.label,
                "Move": format_change(lv, move),
                f"FY{year} then": space.value_in(lv, move, year),
                f"FY{year} now": space.value_in(lv, 0.0, year),
                "Share of range": move / (lv.max - lv.min),
                "Unit": lv.unit,
            }
        )
    return pd.DataFrame(rows)


def as_percent_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy for display: shares in ``columns`` as percentages with one decimal, a dash where
    there is no value (a lever that cannot reach the target alone has no probability "there")."""
    out = frame.copy()
    for c in columns:
        out[c] = [("—" if v is None or pd.isna(v) else f"{v:.1%}") for v in frame[c]]
    return out


def as_display_text(frame: pd.DataFrame, percent: list[str]) -> pd.DataFrame:
    """Every cell as text, for a static table that wraps instead of scrolling sideways: shares in
    ``percent`` as percentages, other numbers as written (``45.2``), a dash where there is none."""
    out = as_percent_text(frame, percent)
    for c in out.columns:
        if c not in percent:
            out[c] = [
                (
                    "—"
                    if v is None or (isinstance(v, float) and pd.isna(v))
                    else f"{v:g}"
                    if isinstance(v, int | float)
                    else str(v)
                )
                for v in out[c]
            ]
    return out


def waterfall_frame(a: Attribution) -> pd.DataFrame:
    """Bars of the waterfall at the deadline (US$ billions): baseline, each lever, the scenario,
    each the mean over the middle draws (:data:`simulator.robust.MIDDLE_LABEL`; they add up);
    each lever's range is its 10th to 90th percentile over every draw."""
    rows = [
        {
            "step": f"Baseline FY{a.year}",
            "start": 0.0,
            "end": a.baseline_middle / 1000,
            "kind": "level",
            "lo": np.nan,
            "hi": np.nan,
        }
    ]
    level = a.baseline_middle
    for p in sorted(a.parts, key=lambda p: -p.middle_musd):
        if p.middle_musd == 0 and p.p10_musd == 0 and p.p90_musd == 0:
            continue
        rows.append(
            {
                "step": LEVER_BY_NAME[p.lever].label,
                "start": level / 1000,
                "end": (level + p.middle_musd) / 1000,
                "kind": RAISES if p.middle_musd >= 0 else LOWERS,
                "lo": (level + p.p10_musd) / 1000,
                "hi": (level + p.p90_musd) / 1000,
            }
        )
        level += p.middle_musd
    rows.append(
        {
            "step": "With the levers",
            "start": 0.0,
            "end": a.scenario_middle / 1000,
            "kind": "level",
            "lo": np.nan,
            "hi": np.nan,
        }
    )
    return pd.DataFrame(rows)


def tornado_frame(t: Tornado, inputs: list[Input]) -> pd.DataFrame:
    """Two rows per input (its low and high end), ranked as the tornado's bars."""
    by = {i.name: i for i in inputs}
    rows = []
    for rank, b in enumerate(t.bars):
        for end, value, y in (("low", b.low_value, b.y_low), ("high", b.high_value, b.y_high)):
            rows.append(
                {
                    "input": b.label,
                    "rank": rank,
                    "end": f"input at its {end} value",
                    "value": by[b.input].text(value),
                    "p": y,
                    "central": t.y_central,
                }
            )
    return pd.DataFrame(rows)


def sobol_frame(s: SobolResult) -> pd.DataFrame:
    """Two rows per input (first-order and total index) with the interval, ranked."""
    rows = []
    for rank, i in enumerate(s.ranked()):
        for kind, v, c in (("first-order", s.s1[i], s.s1_conf[i]), ("total", s.st[i], s.st_conf[i])):
            rows.append(
                {"input": s.labels[i], "rank": rank, "index": kind, "value": v, "lo": v - c, "hi": v + c}
            )
    return pd.DataFrame(rows)
