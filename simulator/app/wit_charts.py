"""The "What it takes" page's charts: waterfall, tornado and Sobol indices (its wedge chart is
the Scenario page's, :func:`simulator.app.charts.wedge_spec`).

Pure functions from the frames of :mod:`simulator.app.wit_frames` to Altair charts, in the
app's style (:func:`simulator.app.charts._style`, Okabe-Ito colours).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulator.analysis.goals import Goal
from simulator.analysis.sensitivity import SobolResult
from simulator.app.charts import OKABE_ITO, _style
from simulator.app.page_parts import TITLE_ROOM
from simulator.app.wit_frames import LOWERS, RAISES
from simulator.robust import MIDDLE_LABEL

SIGN_COLOURS = {RAISES: OKABE_ITO["blue"], LOWERS: OKABE_ITO["vermillion"]}
TARGET_COLOUR = OKABE_ITO["purple"]


def waterfall_chart(df: pd.DataFrame, goal: Goal) -> alt.LayerChart:
    """Baseline, each lever's contribution (bar) with its 10th-90th percentile range, the result;
    levels and bars are the :data:`~simulator.robust.MIDDLE_LABEL` (they add up)."""
    order = list(df["step"])
    y = alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    colour = alt.Color(
        "kind:N",
        title=None,
        scale=alt.Scale(
            domain=["level", RAISES, LOWERS],
            range=["#6E6E6E", SIGN_COLOURS[RAISES], SIGN_COLOURS[LOWERS]],
        ),
        legend=alt.Legend(orient="top", labelExpr="datum.label == 'level' ? 'exports' : datum.label"),
    )
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "start:Q", title=f"Reported exports in FY{goal.deadline_fy}, US$ billions ({MIDDLE_LABEL})"
            ),
            x2="end:Q",
            color=colour,
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("start:Q", format=".2f", title="From $B"),
                alt.Tooltip("end:Q", format=".2f", title="To $B"),
                alt.Tooltip("lo:Q", format=".2f", title="p10 $B"),
                alt.Tooltip("hi:Q", format=".2f", title="p90 $B"),
            ],
        )
    )
    ranges = (
        alt.Chart(df.dropna(subset=["lo"]))
        .mark_rule(strokeWidth=2, color="#222")
        .encode(y=y, x="lo:Q", x2="hi:Q")
    )
    target = pd.DataFrame({"amount": [goal.amount_musd / 1000], "label": [f"target: {goal.label}"]})
    rule = (
        alt.Chart(target)
        .mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2.5)
        .encode(x="amount:Q")
    )
    text = (
        alt.Chart(target)
        .mark_text(align="right", dx=-6, baseline="top", color=TARGET_COLOUR, fontSize=14)
        .encode(x="amount:Q", text="label:N", y=alt.value(2))
    )
    return _style(
        alt.layer(bars, ranges, rule, text).properties(
            height=44 * len(order) + TITLE_ROOM,
            width="container",
            title=alt.Title(
                "What closes the gap at the deadline",
                subtitle=(
                    f"Bars: each lever's contribution, {MIDDLE_LABEL}; "
                    "black lines: its 10th-90th percentile range"
                ),
            ),
        )
    )


def tornado_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Probability with each input at its low and high value (others central), largest swing on top."""
    order = list(dict.fromkeys(df.sort_values("rank")["input"]))
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    colour = alt.Color(
        "end:N",
        title=None,
        scale=alt.Scale(
            domain=["input at its low value", "input at its high value"],
            range=[OKABE_ITO["orange"], OKABE_ITO["blue"]],
        ),
        legend=alt.Legend(orient="top"),
    )
    bars = (
        alt.Chart(df)
        .mark_bar(height=16, opacity=0.9)
        .encode(
            y=y,
            x=alt.X(
                "central:Q",
                title="Central-case odds with one input at its low or high value",
                axis=alt.Axis(format="%"),
            ),
            x2="p:Q",
            color=colour,
            yOffset="end:N",
            tooltip=[
                alt.Tooltip("input:N", title="Input"),
                alt.Tooltip("value:N", title="Value"),
                alt.Tooltip("p:Q", format=".1%", title="Probability"),
            ],
        )
    )
    central = alt.Chart(df.head(1)).mark_rule(color="#222", strokeWidth=2).encode(x="central:Q")
    return _style(alt.layer(bars, central).properties(height=46 * len(order) + 30, width="container"))


def sobol_chart(df: pd.DataFrame, s: SobolResult) -> alt.LayerChart:
    """First-order and total indices per input with their bootstrap intervals."""
    order = list(dict.fromkeys(df.sort_values("rank")["input"]))
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    colour = alt.Color(
        "index:N",
        title=None,
        scale=alt.Scale(domain=["first-order", "total"], range=[OKABE_ITO["sky_blue"], OKABE_ITO["blue"]]),
        legend=alt.Legend(orient="top"),
    )
    x_title = f"Sobol index (share of the variance of the probability), {s.conf_level:.0%} intervals"
    bars = (
        alt.Chart(df)
        .mark_bar(height=16)
        .encode(
            y=y,
            x=alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, 1], clamp=True)),
            color=colour,
            yOffset="index:N",
            tooltip=[
                alt.Tooltip("input:N", title="Input"),
                alt.Tooltip("index:N", title="Index"),
                alt.Tooltip("value:Q", format=".3f", title="Estimate"),
                alt.Tooltip("lo:Q", format=".3f", title="Interval from"),
                alt.Tooltip("hi:Q", format=".3f", title="Interval to"),
            ],
        )
    )
    whiskers = (
        alt.Chart(df)
        .mark_rule(color="#222", strokeWidth=1.5)
        .encode(y=y, yOffset="index:N", x="lo:Q", x2="hi:Q")
    )
    return _style(alt.layer(bars, whiskers).properties(height=46 * len(order) + 30, width="container"))
