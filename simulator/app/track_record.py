"""The "Targets track record" page: past dated targets against what happened; open ones against pace.

Everything comes from :mod:`simulator.analysis.track_record` (outcomes read from the
observations, never from the targets file) and :mod:`simulator.analysis.plausibility`; this
module lays it out and draws two charts.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from simulator.analysis import plausibility
from simulator.analysis.goals import Goal
from simulator.analysis.track_record import (
    OPEN_COLUMNS,
    PAST_COLUMNS,
    OpenTarget,
    Pace,
    PastTarget,
    open_rows,
    open_targets,
    pace,
    past_rows,
    past_targets,
    summary,
)
from simulator.app.charts import OKABE_ITO, _style
from simulator.app.page_parts import TITLE_ROOM, csv_download, engine_or_stop
from simulator.engine import Engine

MET, MISSED, AFTER = "met", "missed", "stated after the year ended"
STATUS_COLOURS = {MET: OKABE_ITO["blue"], MISSED: OKABE_ITO["vermillion"], AFTER: "#8C8C8C"}
STATUS_SHAPES = {MET: "circle", MISSED: "triangle-down", AFTER: "square"}
DECIMALS = {
    "amount_musd": 1,
    "outcome_musd": 1,
    "difference_musd": 1,
    "difference_share": 4,
    "base_musd": 1,
    "required_growth_pct": 2,
    "recent_growth_pct": 2,
    "trend_growth_pct": 2,
}


def status(p: PastTarget) -> str:
    if p.stated_after_deadline:
        return AFTER
    return MET if p.met else MISSED


def past_frame(past: list[PastTarget]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Deadline": f"FY{p.target.deadline_fy}",
                "Target, US$ B": p.target.amount_musd / 1000,
                "Reported, US$ B": None if p.outcome_musd is None else p.outcome_musd / 1000,
                "Result": "no figure" if p.met is None else status(p),
                "Difference": None if p.difference_share is None else 100 * p.difference_share,
                "Who": p.target.who,
                "Said": str(p.target.said_on or "unknown"),
                "Kind": p.target.kind,
                "Source": p.target.url,
            }
            for p in past
        ]
    )


def open_frame(items: list[OpenTarget]) -> pd.DataFrame:
    rows = []
    for o in items:
        req = o.required_pct
        rows.append(
            {
                "Target": f"${o.target.amount_musd / 1000:g}B",
                "Deadline": f"FY{o.target.deadline_fy}" if o.target.deadline_fy else "none",
                "Needs, % a year": req,
                "Times the recent pace": None if req is None else req / o.pace.recent_pct,
                "Reached at the recent pace in": f"FY{o.year_at(o.pace.recent_pct)}",
                "Reached at the calibrated trend in": f"FY{o.year_at(o.pace.trend_pct)}",
                "Who": o.target.who,
                "Said": str(o.target.said_on or "unknown"),
                "Source": o.target.url,
            }
        )
    return pd.DataFrame(rows)


def record_chart(history: list[tuple[int, float]], past: list[PastTarget]) -> alt.LayerChart:
    """Reported exports (line) and each past dated target at its deadline (marker by result)."""
    hist = pd.DataFrame({"fiscal_year": [y for y, _ in history], "value": [v / 1000 for _, v in history]})
    pts = pd.DataFrame(
        [
            {
                "fiscal_year": p.target.deadline_fy,
                "amount": p.target.amount_musd / 1000,
                "status": status(p),
                "who": p.target.who,
                "said": str(p.target.said_on or "unknown"),
            }
            for p in past
            if p.met is not None
        ]
    )
    first = (
        max(min(hist["fiscal_year"]), min(pts["fiscal_year"]) - 4) if len(pts) else min(hist["fiscal_year"])
    )
    hist = hist[hist["fiscal_year"] >= first]
    x = alt.X(
        "fiscal_year:Q",
        title="Fiscal year (July-June, named by the year it ends)",
        scale=alt.Scale(nice=False),
        axis=alt.Axis(format="d", tickMinStep=1, labelExpr="'FY' + datum.value"),
    )
    line = (
        alt.Chart(hist)
        .mark_line(color="#222", strokeWidth=3, point=alt.OverlayMarkDef(color="#222", size=60))
        .encode(x=x, y=alt.Y("value:Q", title="US$ billions"), tooltip=["fiscal_year:Q", "value:Q"])
    )
    domain = [MET, MISSED, AFTER]
    marks = (
        alt.Chart(pts)
        .mark_point(size=170, filled=True, opacity=0.85)
        .encode(
            x=x,
            y="amount:Q",
            color=alt.Color(
                "status:N",
                title="Target",
                scale=alt.Scale(domain=domain, range=[STATUS_COLOURS[d] for d in domain]),
                legend=alt.Legend(orient="top"),
            ),
            shape=alt.Shape(
                "status:N",
                scale=alt.Scale(domain=domain, range=[STATUS_SHAPES[d] for d in domain]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("amount:Q", title="Target $B"),
                alt.Tooltip("fiscal_year:Q", title="Deadline FY"),
                alt.Tooltip("who:N", title="Who"),
                alt.Tooltip("said:N", title="Said"),
                alt.Tooltip("status:N", title="Result"),
            ],
        )
    )
    return _style(
        alt.layer(line, marks).properties(
            height=400 + TITLE_ROOM,
            width="container",
            title=alt.Title(
                "Past dated targets against reported exports",
                subtitle="Line: reported ICT-services exports; markers: each target at its deadline",
            ),
        )
    )


def pace_chart(items: list[OpenTarget], p: Pace) -> alt.LayerChart:
    """Growth each dated open target needs, against the recent pace and the calibrated trend."""
    dated = [o for o in items if o.required_pct is not None]
    df = pd.DataFrame(
        [
            {
                "target": f"${o.target.amount_musd / 1000:g}B by FY{o.target.deadline_fy}",
                "needs": o.required_pct,
                "order": (o.target.deadline_fy, o.target.amount_musd),
            }
            for o in dated
        ]
    ).drop_duplicates("target")
    order = list(df.sort_values("order")["target"])
    bars = (
        alt.Chart(df.drop(columns="order"))
        .mark_bar(color=OKABE_ITO["vermillion"], height=20)
        .encode(
            y=alt.Y("target:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X(
                "needs:Q",
                title="Growth needed, % a year from FY" + str(p.base_year) + " (log scale)",
                scale=alt.Scale(type="log", domain=[5, 400], clamp=True, nice=False, zero=False),
                axis=alt.Axis(values=[5, 10, 20, 30, 50, 100, 200, 400]),
            ),
            tooltip=[alt.Tooltip("target:N"), alt.Tooltip("needs:Q", format=".1f", title="% a year")],
        )
    )
    refs = pd.DataFrame(
        {
            "value": [p.recent_pct, p.trend_pct],
            "label": [
                f"achieved FY{p.recent_start}-FY{p.base_year}: {p.recent_pct:.1f}%",
                f"calibrated trend: {p.trend_pct:.1f}%",
            ],
            "colour": [OKABE_ITO["blue"], OKABE_ITO["green"]],
        }
    )
    rules = (
        alt.Chart(refs)
        .mark_rule(strokeWidth=3, strokeDash=[6, 3])
        .encode(
            x="value:Q",
            color=alt.Color(
                "label:N",
                title=None,
                scale=alt.Scale(range=list(refs["colour"])),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
        )
    )
    return _style(
        alt.layer(bars, rules).properties(
            height=34 * len(order) + TITLE_ROOM,
            width="container",
            title=alt.Title(
                "Open targets: growth needed against growth achieved",
                subtitle="Each bar: compound growth a year from the last full year to the deadline",
            ),
        )
    )


def page() -> None:
    """The "Targets track record" page."""
    engine = engine_or_stop()
    st.title("Targets track record")
    past = past_targets(engine.data)
    st.markdown(
        "Every dated target on record against the reported figure for its deadline year (read from the "
        "observations, latest vintage), and every open target against the growth it needs. "
        f"**{summary(past)}**"
    )
    _past_section(engine, past)
    _open_section(engine, open_targets(engine), pace(engine))
    st.caption(
        "Reference ranges for the warnings: Pakistan's own full-year series and sourced episodes from "
        "India and the Philippines (simulator/analysis/reference_growth.csv)."
    )
    st.dataframe(pd.DataFrame(plausibility.reference_rows(engine)), hide_index=True)


def _past_section(engine: Engine, past: list[PastTarget]) -> None:
    st.altair_chart(record_chart(engine.history(), past), width="stretch")
    st.subheader("Past dated targets")
    st.dataframe(
        past_frame(past),
        hide_index=True,
        column_config={
            "Target, US$ B": st.column_config.NumberColumn(format="%.2f"),
            "Reported, US$ B": st.column_config.NumberColumn(format="%.2f"),
            "Difference": st.column_config.NumberColumn(
                format="%+.1f%%", help="(reported - target) / target"
            ),
            "Source": st.column_config.LinkColumn(),
        },
    )
    with st.expander("Each past target in words"):
        st.markdown("\n".join(f"- {x.text()}" for x in past))
    csv_download(
        "Download past targets (CSV)",
        past_rows(past),
        PAST_COLUMNS,
        DECIMALS,
        "targets_past.csv",
        "tr_dl_past",
    )


def _open_section(engine: Engine, items: list[OpenTarget], p: Pace) -> None:
    st.subheader("Open targets")
    st.markdown(
        f"From FY{p.base_year}'s ${p.base_musd / 1000:.2f}B. Achieved: **{p.recent_pct:.1f}% a year** over "
        f"FY{p.recent_start}-FY{p.base_year}; the model's calibrated trend: **{p.trend_pct:.1f}% a year**."
    )
    st.altair_chart(pace_chart(items, p), width="stretch")
    st.dataframe(
        open_frame(items),
        hide_index=True,
        column_config={
            "Needs, % a year": st.column_config.NumberColumn(format="%.1f"),
            "Times the recent pace": st.column_config.NumberColumn(format="%.1f"),
            "Source": st.column_config.LinkColumn(),
        },
    )
    st.markdown("\n".join(f"- {o.text()}" for o in items))
    warnings = open_target_warnings(engine, items)
    if warnings:
        with st.expander(
            f"Beyond anything observed: {len(warnings)} of the dated open targets", expanded=True
        ):
            st.markdown("\n".join(f"- {w}" for w in warnings))
    csv_download(
        "Download open targets (CSV)",
        open_rows(items),
        OPEN_COLUMNS,
        DECIMALS,
        "targets_open.csv",
        "tr_dl_open",
    )


def open_target_warnings(engine: Engine, items: list[OpenTarget]) -> list[plausibility.PlausibilityWarning]:
    """The plausibility warning of each distinct (amount, deadline) among the dated open targets."""
    warnings: list[plausibility.PlausibilityWarning] = []
    seen: set[tuple[float, int]] = set()
    for o in items:
        deadline = o.target.deadline_fy
        key = (o.target.amount_musd, deadline) if deadline is not None else None
        if key is None or key in seen:
            continue
        seen.add(key)
        w = plausibility.check_goal(engine, Goal(o.target.amount_musd, key[1], o.target))
        if w is not None:
            warnings.append(w)
    return warnings
