"""The app's charts: pure functions from tidy tables to Vega-Lite, built with Altair.

Each chart comes two ways from one definition:

* ``*_spec(...) -> dict``: the Vega-Lite spec with the tables attached as named datasets. The
  chart's layout (layers, encodings, scales, fonts) is built with Altair once per *layout* (which
  series are shown, log or linear scale, the horizon) and kept; each call copies it and fills in
  the data, the title and the y range. Building and validating an Altair chart takes
  100-200 ms here, far more than projecting a scenario, so a slider move must not redo it.
* ``*_chart(...) -> alt.TopLevelMixin``: the same spec as an Altair object (data inline), for
  PNG and SVG export and for tests.

Colours are the Okabe-Ito palette, which stays distinguishable with the common kinds of colour
blindness (Okabe and Ito, "Color Universal Design", 2008); the scenario and the baselines also
differ in line style, so the chart reads in grey print too. Font sizes are set for a projector.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from simulator.app.frames import BASELINE, DEFAULT_BASELINE, SCENARIO

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
SERIES_COLOURS = {SCENARIO: OKABE_ITO["blue"], BASELINE: OKABE_ITO["orange"], DEFAULT_BASELINE: "#6E6E6E"}
SERIES_DASH = {SCENARIO: [1, 0], BASELINE: [8, 4], DEFAULT_BASELINE: [2, 3]}
TARGET_COLOUR = OKABE_ITO["purple"]
COMPARE_COLOURS = [
    OKABE_ITO[k] for k in ("orange", "blue", "green", "purple", "vermillion", "sky_blue", "black")
]
"""A comparison lists the baseline first: in the fan chart's baseline colour and dash."""
COMPARE_DASHES = [[8, 4], [1, 0], [2, 3], [12, 3, 2, 3], [4, 4], [1, 0], [8, 4]]
FONT_SIZE = 15
TITLE_SIZE = 18
LOG_TICKS = (0.25, 0.5, 1, 2, 5, 10, 15, 25, 50, 100, 200, 500)
FY_LABEL = "'FY' + datum.value"
MONEY_LABEL = "'$' + datum.value + 'B'"


# --------------------------------------------------------------------------- plumbing


def _style(chart: Any) -> Any:
    """Projector-sized fonts and dark text for every chart."""
    return (
        chart.configure_axis(
            labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelColor="#222", titleColor="#222"
        )
        .configure_legend(
            labelFontSize=FONT_SIZE,
            titleFontSize=FONT_SIZE,
            labelColor="#222",
            symbolStrokeWidth=3,
            labelLimit=0,
        )
        .configure_title(
            fontSize=TITLE_SIZE,
            subtitleFontSize=FONT_SIZE - 1,
            anchor="start",
            color="#222",
            subtitleColor="#444",
        )
        .configure_view(strokeWidth=0)
    )


@lru_cache(maxsize=64)
def _layout_json(builder: Callable[..., Any], key: tuple) -> str:
    return json.dumps(builder(*key).to_dict())


def _layout(builder: Callable[..., Any], *key: Any) -> dict[str, Any]:
    """A fresh copy of the spec ``builder(*key)`` makes (built and validated once per key)."""
    return json.loads(_layout_json(builder, key))


def with_data(spec: dict[str, Any], datasets: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """``spec`` with the named datasets attached (as DataFrames: Streamlit sends them as Arrow)."""
    spec["datasets"] = dict(datasets)
    return spec


def inline(spec: dict[str, Any]) -> dict[str, Any]:
    """A spec from ``*_spec`` with its datasets as JSON records (plain Vega-Lite, e.g. for vl-convert)."""
    out = copy.copy(spec)
    out["datasets"] = {
        k: json.loads(v.to_json(orient="records")) if isinstance(v, pd.DataFrame) else v
        for k, v in spec.get("datasets", {}).items()
    }
    return out


def to_altair(spec: dict[str, Any]) -> alt.TopLevelMixin:
    """A spec from ``*_spec`` as an Altair chart with its data inline (for tests and reuse)."""
    inline = globals()["inline"](spec)
    if "layer" in inline:
        return alt.LayerChart.from_dict(inline)
    if "facet" in inline:
        return alt.FacetChart.from_dict(inline)
    return alt.Chart.from_dict(inline)


def money_b(x: float) -> str:
    """US$ billions for a label: $3.81B, $24.1B."""
    return f"${x:.2f}B" if x < 10 else f"${x:.1f}B"


# --------------------------------------------------------------------------- fan chart


def _fan_layout(
    series: tuple[str, ...], log_scale: bool, has_targets: bool, first: int, last: int, height: int
) -> alt.LayerChart:
    """The fan chart's layers on the named datasets ``fan``, ``history`` and ``targets``."""
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=list(series), range=[SERIES_COLOURS[s] for s in series]),
        legend=alt.Legend(
            orient="top", direction="horizontal", symbolType="stroke", symbolSize=500, symbolOpacity=1
        ),
    )
    dash = alt.StrokeDash(
        "series:N", scale=alt.Scale(domain=list(series), range=[SERIES_DASH[s] for s in series]), legend=None
    )
    x = alt.X(
        "fiscal_year:Q",
        title="Fiscal year (July-June, named by the year it ends)",
        scale=alt.Scale(domain=[first, last], nice=False, padding=12),
        axis=alt.Axis(format="d", tickMinStep=1, labelExpr=FY_LABEL),
    )
    y_title = "Reported ICT-services exports, US$ billions" + (" (log scale)" if log_scale else "")
    y_scale = (
        alt.Scale(type="log", domain=[1, 2], nice=False)
        if log_scale
        else alt.Scale(domain=[0, 1], nice=False)
    )
    # greedy: drop only a label that would overlap its neighbour (the default drops every other one)
    y_axis = alt.Axis(
        labelExpr=MONEY_LABEL, labelOverlap="greedy", **({"values": [1, 2]} if log_scale else {})
    )
    fan, history, targets = alt.NamedData("fan"), alt.NamedData("history"), alt.NamedData("targets")

    filled = alt.Chart(fan).transform_filter(alt.datum.series == series[0]).encode(x=x, color=colour)
    band90 = filled.mark_area(opacity=0.18, interpolate="monotone", clip=True).encode(
        y=alt.Y("p5:Q", scale=y_scale, axis=y_axis, title=y_title), y2="p95:Q"
    )
    band50 = filled.mark_area(opacity=0.35, interpolate="monotone", clip=True).encode(y="p25:Q", y2="p75:Q")
    layers: list[Any] = [band90, band50]
    if series[0] != BASELINE and BASELINE in series:
        # the baseline's 90% range as thin lines, so the filled fan stays readable
        layers.append(
            alt.Chart(fan)
            .transform_filter(alt.datum.series == BASELINE)
            .transform_fold(["p5", "p95"], as_=["bound", "value"])
            .mark_line(strokeWidth=1.5, strokeDash=[3, 3], interpolate="monotone", clip=True)
            .encode(x=x, y="value:Q", color=colour, detail="bound:N")
        )
    layers.append(
        alt.Chart(fan)
        .mark_line(strokeWidth=3.5, interpolate="monotone", clip=True)
        .encode(x=x, y="p50:Q", color=colour, strokeDash=dash)
    )
    layers.append(
        alt.Chart(fan)
        .mark_point(size=160, opacity=0, filled=True, clip=True)
        .encode(
            x=x,
            y="p50:Q",
            tooltip=[
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("fiscal_year:Q", title="Fiscal year", format="d"),
                alt.Tooltip("p50:Q", title="Median, US$ B", format=".2f"),
                alt.Tooltip("p25:Q", title="25th percentile", format=".2f"),
                alt.Tooltip("p75:Q", title="75th percentile", format=".2f"),
                alt.Tooltip("p5:Q", title="5th percentile", format=".2f"),
                alt.Tooltip("p95:Q", title="95th percentile", format=".2f"),
            ],
        )
    )
    layers.append(
        alt.Chart(history)
        .mark_circle(size=90, color=OKABE_ITO["black"], opacity=1)
        .encode(
            x=x,
            y="value:Q",
            tooltip=[
                alt.Tooltip("period:N", title="Period"),
                alt.Tooltip("value_musd:Q", title="Reported, US$ m", format=",.0f"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("published:N", title="Published"),
                alt.Tooltip("url:N", title="Address"),
            ],
        )
    )
    if has_targets:
        t = alt.Chart(targets)
        layers += [
            t.mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.5).encode(y="amount:Q"),
            t.mark_text(
                align="left",
                baseline="bottom",
                dx=4,
                dy=-3,
                fontSize=FONT_SIZE,
                fontWeight="bold",
                color=TARGET_COLOUR,
            ).encode(y="amount:Q", x=alt.datum(first), text="label:N"),
            t.mark_point(shape="diamond", size=240, filled=True, color=TARGET_COLOUR, opacity=1).encode(
                x="deadline:Q",
                y="amount:Q",
                tooltip=[
                    alt.Tooltip("deadline_label:N", title="Target"),
                    alt.Tooltip("who:N", title="Stated by"),
                    alt.Tooltip("said_on:N", title="When"),
                    alt.Tooltip("stated:N", title="Deadline as stated"),
                ],
            ),
            # the deadline's label, on a white halo so it reads over the bands
            *(
                t.mark_text(
                    align="left", baseline="middle", dx=11, fontSize=FONT_SIZE - 1, fontWeight="bold", **style
                ).encode(x="deadline:Q", y="amount:Q", text="deadline_text:N")
                for style in (
                    {"stroke": "white", "strokeWidth": 4, "color": "white"},
                    {"color": TARGET_COLOUR},
                )
            ),
        ]
    chart = alt.layer(*layers).properties(
        height=height,
        width="container",
        title=alt.Title("title", subtitle="subtitle"),
        padding={"left": 5, "right": 12, "top": 10, "bottom": 5},
    )
    return _style(chart)


def fan_spec(
    fan: pd.DataFrame,
    history: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    log_scale: bool = True,
    title: str = "Where reported exports are heading",
    subtitle: str = "",
    height: int = 470,
) -> dict[str, Any]:
    """History as points; each series' median, the first series' 50% and 90% bands (the
    baseline's 90% range as thin lines when a scenario is shown); the targets as dashed lines
    with the chosen deadline marked.

    ``fan`` comes from :func:`~simulator.app.frames.fan_frame`, ``history`` from
    :func:`~simulator.app.frames.history_frame`, ``targets`` from
    :func:`~simulator.app.frames.targets_frame` (values in US$ billions).
    """
    series = tuple(dict.fromkeys(fan["series"]))
    first, last = int(history["fiscal_year"].min()), int(fan["fiscal_year"].max())
    spec = _layout(_fan_layout, series, log_scale, len(targets) > 0, first, last, height)
    spec["title"] = {**spec.get("title", {}), "text": title, "subtitle": subtitle}
    lo = min(float(history["value"].min()), float(fan["p5"].min()))
    hi = max(float(fan["p95"].max()), float(targets["amount"].max()) if len(targets) else 0.0)
    y = spec["layer"][0]["encoding"]["y"]
    # rounded out to a grid, so a slider move rarely changes the spec (then the browser only
    # swaps the data instead of rebuilding the chart)
    if log_scale:
        lo, hi = round_to_grid(lo * 0.95, up=False), round_to_grid(hi * 1.05, up=True)
        y["scale"]["domain"] = [lo, hi]
        y["axis"]["values"] = [v for v in LOG_TICKS if lo <= v <= hi]
    else:
        # a linear axis up to the last year's 95th percentile would squeeze the targets together;
        # it stops at one and a half times the largest target (the subtitle says so)
        top = float(targets["amount"].max()) * 1.5 if len(targets) else hi * 1.02
        y["scale"]["domain"] = [0, round_to_grid(top, up=True)]
    return with_data(spec, {"fan": fan, "history": history, "targets": targets})


GRID = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)


def round_to_grid(x: float, *, up: bool) -> float:
    """``x`` rounded up (or down) to 1, 1.5, 2, 3, 5 or 7 times a power of ten."""
    if x <= 0:
        return 1.0 if up else 0.0
    p = 10.0 ** math.floor(math.log10(x))
    marks = [m * p for m in (*GRID, 10.0)]
    if up:
        return next(m for m in marks if m >= x * (1 - 1e-12))
    return max(m for m in marks if m <= x * (1 + 1e-12))


def fan_chart(fan: pd.DataFrame, history: pd.DataFrame, targets: pd.DataFrame, **kw: Any) -> alt.LayerChart:
    """:func:`fan_spec` as an Altair chart."""
    return to_altair(fan_spec(fan, history, targets, **kw))


# --------------------------------------------------------------------------- contributions


def _contribution_layout(n: int) -> alt.LayerChart:
    bars = (
        alt.Chart(alt.NamedData("contributions"))
        .transform_calculate(sign="datum.contribution >= 0 ? 'raises exports' : 'lowers exports'")
        .mark_bar(height=22)
        .encode(
            y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X(
                "contribution:Q", title="Change against the baseline, US$ m (mean over the simulated paths)"
            ),
            color=alt.Color(
                "sign:N",
                title=None,
                scale=alt.Scale(
                    domain=["raises exports", "lowers exports"],
                    range=[OKABE_ITO["blue"], OKABE_ITO["vermillion"]],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Lever"),
                alt.Tooltip("setting:N", title="Setting"),
                alt.Tooltip("contribution:Q", title="US$ m (mean)", format=",.0f"),
                alt.Tooltip("p10:Q", title="10th percentile", format=",.0f"),
                alt.Tooltip("p90:Q", title="90th percentile", format=",.0f"),
            ],
        )
    )
    spread = (
        alt.Chart(alt.NamedData("contributions"))
        .mark_rule(color="#222", strokeWidth=2)
        .encode(y=alt.Y("label:N", sort=None), x="p10:Q", x2="p90:Q")
    )
    zero = alt.Chart(alt.NamedData("zero")).mark_rule(color="#444").encode(x="x:Q")
    return _style(alt.layer(bars, spread, zero).properties(height=44 * n + 30, width="container"))


def contribution_spec(df: pd.DataFrame) -> dict[str, Any]:
    """Horizontal bars: each lever's mean contribution (US$ m) to scenario minus baseline, with
    a line from its 10th to its 90th percentile over the simulated paths.

    ``df`` comes from :func:`~simulator.app.frames.contribution_frame` (with a ``setting`` column).
    """
    spec = _layout(_contribution_layout, len(df))
    return with_data(spec, {"contributions": df, "zero": pd.DataFrame({"x": [0.0]})})


def contribution_chart(df: pd.DataFrame) -> alt.LayerChart:
    return to_altair(contribution_spec(df))


# --------------------------------------------------------------------------- compare


def _compare_layout(names: tuple[str, ...]) -> alt.Chart:
    k = len(names)
    return _style(
        alt.Chart(alt.NamedData("medians"))
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("fiscal_year:Q", title="Fiscal year", axis=alt.Axis(format="d", labelExpr=FY_LABEL)),
            y=alt.Y("p50:Q", title="Median, US$ billions", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "scenario:N",
                title=None,
                scale=alt.Scale(domain=list(names), range=(COMPARE_COLOURS * 2)[:k]),
                legend=alt.Legend(orient="top", columns=2, labelLimit=0),
            ),
            strokeDash=alt.StrokeDash(
                "scenario:N", scale=alt.Scale(domain=list(names), range=(COMPARE_DASHES * 2)[:k]), legend=None
            ),
            tooltip=[
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("fiscal_year:Q", title="Fiscal year", format="d"),
                alt.Tooltip("p50:Q", title="Median, US$ B", format=".2f"),
            ],
        )
        .properties(height=320, width="container")
    )


def compare_spec(df: pd.DataFrame) -> dict[str, Any]:
    """Median paths of several scenarios (long form: ``scenario``, ``fiscal_year``, ``p50`` in US$ B)."""
    names = tuple(dict.fromkeys(df["scenario"]))
    return with_data(_layout(_compare_layout, names), {"medians": df})


def compare_chart(df: pd.DataFrame) -> alt.Chart:
    return to_altair(compare_spec(df))


# --------------------------------------------------------------------------- model page


def fit_chart(df: pd.DataFrame) -> alt.Chart:
    """Reported exports against the model's one-step-ahead predictions (long form: ``kind``)."""
    kinds = ["reported", "predicted a year ahead"]
    base = alt.Chart(df).encode(
        x=alt.X("fiscal_year:Q", title="Fiscal year", axis=alt.Axis(format="d", labelExpr=FY_LABEL)),
        y=alt.Y("value:Q", title="ICT-services exports, US$ m"),
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=kinds, range=[OKABE_ITO["black"], OKABE_ITO["blue"]]),
            legend=alt.Legend(orient="top-left"),
        ),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=kinds, range=["circle", "diamond"]), legend=None),
        tooltip=[
            alt.Tooltip("fiscal_year:Q", title="Fiscal year", format="d"),
            alt.Tooltip("kind:N", title="Series"),
            alt.Tooltip("value:Q", title="US$ m", format=",.0f"),
        ],
    )
    return _style(
        (base.mark_line(strokeWidth=2, opacity=0.6) + base.mark_point(size=110, filled=True)).properties(
            height=360, width="container"
        )
    )


def backtest_chart(df: pd.DataFrame) -> alt.FacetChart:
    """Backtest forecasts against what was reported, one panel per horizon (long form).

    ``df`` has ``origin_fy``, ``target_fy``, ``horizon``, ``actual``, ``p10``, ``p50``, ``p90``, ``naive``.
    """
    names = {"actual": "reported", "p50": "model median", "naive": "naive forecast"}
    long = df.melt(
        id_vars=["target_fy", "horizon", "origin_fy", "p10", "p90"],
        value_vars=list(names),
        var_name="kind",
        value_name="value",
    )
    long["kind"] = long["kind"].map(names)
    domain = list(names.values())
    x = alt.X(
        "target_fy:Q",
        title="Fiscal year forecast",
        scale=alt.Scale(zero=False, nice=False, padding=12),
        axis=alt.Axis(format="d", labelExpr=FY_LABEL, tickMinStep=2),
    )
    points = (
        alt.Chart()
        .mark_point(size=90, filled=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title="US$ m"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=domain, range=[OKABE_ITO["black"], OKABE_ITO["blue"], OKABE_ITO["orange"]]
                ),
                legend=alt.Legend(orient="top"),
            ),
            shape=alt.Shape(
                "kind:N", scale=alt.Scale(domain=domain, range=["circle", "diamond", "square"]), legend=None
            ),
            tooltip=[
                alt.Tooltip("origin_fy:Q", title="Forecast made with data to FY", format="d"),
                alt.Tooltip("target_fy:Q", title="For FY", format="d"),
                alt.Tooltip("kind:N", title="Series"),
                alt.Tooltip("value:Q", title="US$ m", format=",.0f"),
            ],
        )
    )
    interval = (
        alt.Chart()
        .transform_filter(alt.datum.kind == "model median")
        .mark_rule(color=OKABE_ITO["blue"], opacity=0.5, strokeWidth=3)
        .encode(x=x, y="p10:Q", y2="p90:Q")
    )
    return _style(
        alt.layer(interval, points, data=long)
        .properties(height=260, width=250)
        .facet(column=alt.Column("horizon:O", title="Years ahead"))
    )
