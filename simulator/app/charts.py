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
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import altair as alt
import pandas as pd

from simulator.app.frames import BASELINE, DEFAULT_BASELINE, SCENARIO
from simulator.levers import LEVERS
from simulator.robust import MIDDLE_LABEL

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


def as_arrow(spec: dict[str, Any]) -> dict[str, Any]:
    """A spec from ``*_spec`` with its tables turned into the Arrow bytes Streamlit would send
    (its own conversion, done once): a spec kept with a run (``Run.derived``) is drawn again
    without converting its tables at every rerun."""
    from streamlit import dataframe_util

    out = copy.copy(spec)
    out["datasets"] = {
        k: dataframe_util.convert_anything_to_arrow_bytes(v) if isinstance(v, pd.DataFrame) else v
        for k, v in spec.get("datasets", {}).items()
    }
    return out


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


def money_expr(field: str) -> str:
    """A Vega expression writing ``datum[field]`` (US$ billions) as :func:`~simulator.app.frames.money_b`
    does: $3.81B, $14.4B."""
    f = f"datum[{json.dumps(field)}]"
    return f"(abs({f}) < 10 ? '$' + format({f}, '.2f') : '$' + format({f}, '.1f')) + 'B'"


def signed_money_expr(field: str) -> str:
    """Like :func:`money_expr` with a sign: +$1.20B, −$0.35B."""
    f = f"datum[{json.dumps(field)}]"
    size = f"(abs({f}) < 10 ? format(abs({f}), '.2f') : format(abs({f}), '.1f'))"
    return f"({f} < 0 ? '−$' : '+$') + {size} + 'B'"


def hover(chart: Any, x: Any, y: str, tips: Mapping[str, str], *, clip: bool = False) -> Any:
    """Invisible points on ``y`` that show the text fields ``tips`` (field -> title) on hover."""
    return chart.mark_point(size=150, opacity=0, filled=True, clip=clip).encode(
        x=x, y=y, tooltip=tooltips(tips)
    )


def tooltips(tips: Mapping[str, str]) -> list[alt.Tooltip]:
    """Hover lines for text fields: field -> title."""
    return [alt.Tooltip(f"{field}:N", title=title) for field, title in tips.items()]


def with_money_text(chart: Any, fields: dict[str, str], *, signed: bool = False) -> Any:
    """``chart`` with text fields ``{name: field}`` holding the fields as formatted money."""
    expr = signed_money_expr if signed else money_expr
    return chart.transform_calculate(**{name: expr(f) for name, f in fields.items()})


# --------------------------------------------------------------------------- fan chart


def _fan_layout(
    series: tuple[str, ...], log_scale: bool, has_targets: bool, first: int, last: int, height: int
) -> alt.TopLevelMixin:
    """The fan chart's layers on the named datasets ``fan``, ``history`` and ``targets``."""
    x = alt.X(
        "fiscal_year:Q",
        title="Fiscal year (July-June, named by the year it ends)",
        scale=alt.Scale(domain=[first, last], nice=False, padding=12),
        axis=alt.Axis(format="d", tickMinStep=1, labelExpr=FY_LABEL),
    )
    layers = [*_fan_layers(series, x, log_scale), _history_layer(x)]
    if has_targets:
        layers += _target_layers(first)
    chart = alt.layer(*layers).properties(
        height=height,
        width="container",
        title=alt.Title("title", subtitle="subtitle"),
        padding={"left": 5, "right": 12, "top": 10, "bottom": 5},
    )
    return _style(chart)


def _fan_layers(series: tuple[str, ...], x: alt.X, log_scale: bool) -> list[Any]:
    """The first series' 50% and 90% bands, the baseline's 90% range as thin lines when a
    scenario is shown, each series' median, and the hover texts."""
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=list(series), range=[SERIES_COLOURS[s] for s in series]),
        legend=alt.Legend(
            orient="top", columns=2, symbolType="stroke", symbolSize=500, symbolOpacity=1, labelLimit=0
        ),
    )
    dash = alt.StrokeDash(
        "series:N", scale=alt.Scale(domain=list(series), range=[SERIES_DASH[s] for s in series]), legend=None
    )
    y_title = "Reported ICT-services exports, US$ billions" + (" (log scale)" if log_scale else "")
    y_scale = (
        alt.Scale(type="log", domain=[1, 2], nice=False)
        if log_scale
        else alt.Scale(domain=[0, 1], nice=False)
    )
    # greedy: drop only a label that would overlap its neighbour (the default drops every other one)
    ticks: dict[str, Any] = {"values": [1, 2]} if log_scale else {}
    y_axis = alt.Axis(labelExpr=MONEY_LABEL, labelOverlap="greedy", **ticks)
    fan = alt.NamedData("fan")
    filled = alt.Chart(fan).transform_filter(alt.datum.series == series[0]).encode(x=x, color=colour)
    layers: list[Any] = [
        filled.mark_area(opacity=0.18, interpolate="monotone", clip=True).encode(
            y=alt.Y("p5:Q", scale=y_scale, axis=y_axis, title=y_title), y2="p95:Q"
        ),
        filled.mark_area(opacity=0.35, interpolate="monotone", clip=True).encode(y="p25:Q", y2="p75:Q"),
    ]
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
    points = with_money_text(
        alt.Chart(fan), {"m": "p50", "a25": "p25", "a75": "p75", "a5": "p5", "a95": "p95"}
    ).transform_calculate(
        year="'FY' + datum.fiscal_year",
        mid50="datum.a25 + ' to ' + datum.a75",
        mid90="datum.a5 + ' to ' + datum.a95",
    )
    tips = {"series": "Series", "year": "Fiscal year", "m": "Median", "mid50": "Middle 50% of paths"}
    layers.append(hover(points, x, "p50:Q", {**tips, "mid90": "Middle 90% of paths"}, clip=True))
    return layers


HISTORY_TIPS = {
    "period": "Period",
    "reported": "Reported",
    "source": "Source",
    "published": "Published",
    "url": "Address",
}
TARGET_TIPS = {
    "deadline_label": "Target",
    "who": "Stated by",
    "said_on": "When",
    "stated": "Deadline as stated",
}


def _history_layer(x: alt.X) -> alt.Chart:
    """Reported full years as black dots, with their source on hover."""
    return (
        with_money_text(alt.Chart(alt.NamedData("history")), {"reported": "value"})
        .mark_circle(size=90, color=OKABE_ITO["black"], opacity=1)
        .encode(
            x=x,
            y="value:Q",
            tooltip=tooltips(HISTORY_TIPS),
        )
    )


def _target_layers(first: int) -> list[Any]:
    """Each target as a dashed line with its amount, a diamond at the chosen deadline and its year."""
    t = alt.Chart(alt.NamedData("targets"))
    return [
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
            tooltip=tooltips(TARGET_TIPS),
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


def fan_chart(
    fan: pd.DataFrame, history: pd.DataFrame, targets: pd.DataFrame, **kw: Any
) -> alt.TopLevelMixin:
    """:func:`fan_spec` as an Altair chart."""
    return to_altair(fan_spec(fan, history, targets, **kw))


# --------------------------------------------------------------------------- contributions

SIGNED_MUSD = "(datum.{f} < 0 ? '−$' : '+$') + format(abs(datum.{f}), ',.0f') + 'm'"
"""A Vega expression writing a change in US$ millions with its sign: +$120m, −$35m."""


def _contribution_layout(n: int) -> alt.TopLevelMixin:
    bars = (
        alt.Chart(alt.NamedData("contributions"))
        .transform_calculate(
            sign="datum.contribution >= 0 ? 'raises exports' : 'lowers exports'",
            mean_text=f"{SIGNED_MUSD.format(f='contribution')}",
            range_text=f"{SIGNED_MUSD.format(f='p10')} + ' to ' + {SIGNED_MUSD.format(f='p90')}",
        )
        .mark_bar(height=22)
        .encode(
            y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("contribution:Q", title=f"Change against the baseline, US$ m ({MIDDLE_LABEL})"),
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
                alt.Tooltip("mean_text:N", title=f"Change ({MIDDLE_LABEL})"),
                alt.Tooltip("range_text:N", title="10th to 90th percentile"),
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
    """Horizontal bars: each lever's contribution (US$ m) to scenario minus baseline, the
    :data:`~simulator.robust.MIDDLE_LABEL` (they add up to the total change averaged over the same
    draws), with a line from its 10th to its 90th percentile over the simulated paths.

    ``df`` comes from :func:`~simulator.app.frames.contribution_frame` (with a ``setting`` column).
    """
    spec = _layout(_contribution_layout, len(df))
    return with_data(spec, {"contributions": df, "zero": pd.DataFrame({"x": [0.0]})})


def contribution_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    return to_altair(contribution_spec(df))


# --------------------------------------------------------------------------- wedges

WEDGE_COLOURS = {
    lv.name: OKABE_ITO[c]
    for lv, c in zip(LEVERS, ("blue", "orange", "green", "vermillion", "sky_blue", "yellow"), strict=True)
}
"""One Okabe-Ito colour per lever, none of them the targets' purple or the total's black
(``tests/test_app.py`` checks that they stay apart when seen with deuteranopia)."""


TWO_LINES = (
    "length(datum.label) > 24 && indexof(datum.label, ' ', 18) > 0 ? "
    "[substring(datum.label, 0, indexof(datum.label, ' ', 18)), "
    "substring(datum.label, indexof(datum.label, ' ', 18) + 1)] : datum.label"
)
"""A legend label over two lines when it is long (the wedge chart sits in a narrow column)."""


def _wedge_layout(first: int, last: int, height: int) -> alt.TopLevelMixin:
    """Stacked areas (each lever's part of scenario minus baseline), their sum as a black line and
    the difference's 10th-90th percentile band as dashed lines. Parts and sum are each year's
    :data:`~simulator.robust.MIDDLE_LABEL` (ranked by the difference), so the line lies in the band."""
    labels = [lv.label for lv in LEVERS]
    x = alt.X(
        "fiscal_year:Q",
        title=None,
        scale=alt.Scale(domain=[first, last], nice=False),
        axis=alt.Axis(format="d", tickMinStep=1, labelExpr=FY_LABEL, labelOverlap="greedy"),
    )
    y_axis = alt.Axis(labelExpr="(datum.value < 0 ? '−$' : '$') + format(abs(datum.value), '~g') + 'B'")
    wedges = (
        with_money_text(alt.Chart(alt.NamedData("wedges")), {"part": "middle_mean"}, signed=True)
        .transform_calculate(
            year="'FY' + datum.fiscal_year", order="indexof(" + json.dumps(labels) + ", datum.label)"
        )
        .mark_area(opacity=0.85, interpolate="monotone")
        .encode(
            x=x,
            y=alt.Y("middle_mean:Q", stack="zero", title="US$ billions", axis=y_axis),
            color=alt.Color(
                "label:N",
                title=None,
                scale=alt.Scale(domain=labels, range=[WEDGE_COLOURS[lv.name] for lv in LEVERS]),
                legend=alt.Legend(
                    orient="bottom",
                    columns=1,
                    labelLimit=0,
                    symbolType="square",
                    labelExpr=TWO_LINES,
                    labelFontSize=FONT_SIZE - 2,
                    rowPadding=3,
                ),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="Lever"),
                alt.Tooltip("year:N", title="Fiscal year"),
                alt.Tooltip("part:N", title=f"Its part ({MIDDLE_LABEL})"),
            ],
        )
    )
    band = with_money_text(
        alt.Chart(alt.NamedData("band")), {"total": "middle_mean", "lo": "p10", "hi": "p90"}, signed=True
    ).transform_calculate(year="'FY' + datum.fiscal_year", spread="datum.lo + ' to ' + datum.hi")
    total = band.mark_line(color=OKABE_ITO["black"], strokeWidth=2.5, interpolate="monotone").encode(
        x=x, y="middle_mean:Q"
    )
    bounds = (
        band.transform_fold(["p10", "p90"], as_=["bound", "value"])
        .mark_line(color=OKABE_ITO["black"], strokeDash=[4, 3], strokeWidth=1.5, interpolate="monotone")
        .encode(x=x, y="value:Q", detail="bound:N")
    )
    points = hover(
        band,
        x,
        "middle_mean:Q",
        {"year": "Fiscal year", "total": f"All levers ({MIDDLE_LABEL})", "spread": "10th to 90th percentile"},
    )
    return _style(
        alt.layer(wedges, bounds, total, points).properties(
            height=height,
            width="container",
            title=alt.Title("title", subtitle="subtitle"),
            padding={"left": 5, "right": 12, "top": 10, "bottom": 5},
        )
    )


def wedge_spec(
    wedges: pd.DataFrame,
    band: pd.DataFrame,
    *,
    title: str = "What the levers add",
    subtitle: str = "",
    height: int = 330,
) -> dict[str, Any]:
    """The wedge diagram: scenario minus baseline over time, split exactly by lever.

    ``wedges`` and ``band`` come from :func:`~simulator.app.frames.wedge_frames` (US$ billions).
    """
    first, last = int(band["fiscal_year"].min()), int(band["fiscal_year"].max())
    spec = _layout(_wedge_layout, first, last, height)
    spec["title"] = {**spec.get("title", {}), "text": title, "subtitle": subtitle}
    return with_data(spec, {"wedges": wedges, "band": band})


def wedge_chart(wedges: pd.DataFrame, band: pd.DataFrame, **kw: Any) -> alt.TopLevelMixin:
    return to_altair(wedge_spec(wedges, band, **kw))


# --------------------------------------------------------------------------- compare


def _compare_layout(names: tuple[str, ...]) -> alt.TopLevelMixin:
    k = len(names)
    scale = alt.Scale(domain=list(names), range=(COMPARE_COLOURS * 2)[:k])
    colour = alt.Color(
        "scenario:N",
        title=None,
        scale=scale,
        legend=alt.Legend(orient="top", columns=2, labelLimit=0, symbolType="stroke", symbolStrokeWidth=3),
    )
    x = alt.X("fiscal_year:Q", title="Fiscal year", axis=alt.Axis(format="d", labelExpr=FY_LABEL))
    y_axis = alt.Axis(labelExpr=MONEY_LABEL)
    base = with_money_text(
        alt.Chart(alt.NamedData("paths")), {"m": "p50", "lo": "p10", "hi": "p90"}
    ).transform_calculate(year="'FY' + datum.fiscal_year", spread="datum.lo + ' to ' + datum.hi")
    band = base.mark_area(opacity=0.12).encode(
        x=x,
        y=alt.Y("p10:Q", title="Reported exports, US$ billions", axis=y_axis),
        y2="p90:Q",
        color=alt.Color("scenario:N", scale=scale, legend=None),
    )
    line = base.mark_line(strokeWidth=3).encode(
        x=x,
        y="p50:Q",
        color=colour,
        strokeDash=alt.StrokeDash(
            "scenario:N", scale=alt.Scale(domain=list(names), range=(COMPARE_DASHES * 2)[:k]), legend=None
        ),
    )
    tips = {"scenario": "Scenario", "year": "Fiscal year", "m": "Median", "spread": "10th to 90th percentile"}
    return _style(
        alt.layer(band, line, hover(base, x, "p50:Q", tips)).properties(height=360, width="container")
    )


def compare_spec(df: pd.DataFrame) -> dict[str, Any]:
    """Each scenario's median path with its 10th-90th percentile band (long form: ``scenario``,
    ``fiscal_year``, ``p10``, ``p50``, ``p90`` in US$ B)."""
    names = tuple(dict.fromkeys(df["scenario"]))
    return with_data(_layout(_compare_layout, names), {"paths": df})


def compare_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    return to_altair(compare_spec(df))


# --------------------------------------------------------------------------- exports


@dataclass(frozen=True)
class ExportText:
    """What an exported chart says around the plot (as Our World in Data's charts do)."""

    title: str
    subtitle: tuple[str, ...]
    """The scenario's odds of each target and its range in the last year."""
    footer: tuple[str, ...]
    """Sources, data vintage, model version and seed, date, the share link."""
    details: tuple[str, ...] = ()
    """Further lines under the subtitle (what the scenario changes, how to read the chart), shown
    at the sizes with room for them."""


EXPORT_SIZES: dict[str, tuple[int, int, str]] = {
    "slide": (1600, 900, "16:9, for a slide"),
    "social": (1200, 630, "1.91:1, for a social post"),
}
"""Width and height (CSS pixels) of each exported size; the PNG has twice as many pixels."""
DETAILED_SIZES = ("slide",)
"""Sizes with room for :attr:`ExportText.details`."""
FOOTER_SIZE = 13
FOOTER_LINE = 18


def wrap(lines: tuple[str, ...], width: int) -> list[str]:
    """Each line wrapped at ``width`` characters (links break anywhere, words at spaces)."""
    out: list[str] = []
    for line in lines:
        if " " not in line.strip():
            out += [line[i : i + width] for i in range(0, len(line), width)] or [""]
        else:
            out += textwrap.wrap(line, width, break_long_words=True) or [""]
    return out


def export_spec(
    spec: dict[str, Any], text: ExportText, *, width: int, plot_height: int, details: bool = True
) -> dict[str, Any]:
    """``spec`` (a chart from this module, data attached) as a stand-alone figure: the title and
    subtitle (and the details) above, the plot ``width`` x ``plot_height``, the footer below."""
    out = inline(spec)
    chars = max(60, int(width / (FONT_SIZE * 0.55)))
    footer = wrap(text.footer, int(width / (FOOTER_SIZE * 0.52)))
    plot = {k: v for k, v in out.items() if k not in ("$schema", "config", "datasets", "title", "padding")}
    plot.update(width=width, height=plot_height)
    for layer in plot.get("layer", [])[:1]:  # the axis title, short enough for a low plot
        y = layer.get("encoding", {}).get("y", {})
        if "title" in y:
            y["title"] = "US$ billions" + (" (log scale)" if y.get("scale", {}).get("type") == "log" else "")
    notes = {
        "width": width,
        "height": FOOTER_LINE * len(footer),
        "data": {"values": [{"y": i * FOOTER_LINE, "text": t} for i, t in enumerate(footer)]},
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "top",
            "fontSize": FOOTER_SIZE,
            "color": "#333",
        },
        "encoding": {
            "x": {"value": 0},
            "y": {"field": "y", "type": "quantitative", "scale": None},
            "text": {"field": "text", "type": "nominal"},
        },
    }
    return {
        "$schema": out.get("$schema"),
        "config": out.get("config", {}),
        "datasets": out.get("datasets", {}),
        "title": {
            "text": text.title,
            "subtitle": wrap(text.subtitle + (text.details if details else ()), chars),
            "anchor": "start",
        },
        "vconcat": [plot, notes],
        "spacing": 16,
        "padding": 24,
        "background": "white",
    }


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
