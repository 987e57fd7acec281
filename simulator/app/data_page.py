"""The "Data" page: every figure the model uses, with its source, address and vintage."""

from __future__ import annotations

import streamlit as st

from simulator.app import compute
from simulator.app.frames import all_targets_frame, lever_history_frame, observations_frame

LINK = st.column_config.LinkColumn("Address", display_text=r"https?://(?:www\.)?([^/]+)/?.*")
"""Links show the site's name; the full address opens on click."""


def page() -> None:
    engine = compute.engine()
    data = engine.data
    st.title("Data")
    st.markdown(
        "Every figure the model uses, with who published it, when, and where. Files: "
        "`calibration/data/` (documented in its README). Pakistan's fiscal year runs July-June and is "
        "named by the year it ends."
    )

    st.subheader("Reported ICT-services exports")
    obs = observations_frame(data)
    st.markdown(
        f"{len(obs)} figures: full years, year-to-date totals and single months, every vintage found. "
        "A period often has several figures (first print, revisions); **used = yes** marks the one that "
        "represents the period: the latest publication, a statistics office before a ministry on the same "
        "date (`simulator.data.latest_vintages`). A figure set aside (**no: source conflict**, **no: lower "
        "bound**) is kept for the record and never used."
    )
    only_used = st.toggle("Show only the figures used", value=False)
    if only_used:
        obs = obs[obs["used"] == "yes"]
    st.dataframe(
        obs,
        hide_index=True,
        column_config={
            "period": "Period",
            "fiscal_year": st.column_config.NumberColumn("FY", format="%d"),
            "months": "Months",
            "value_musd": st.column_config.NumberColumn("US$ m", format="%.1f"),
            "used": "Used",
            "published": "Published",
            "source": "Source",
            "url": LINK,
            "note": "Note",
            "line": st.column_config.NumberColumn("Line in file", format="%d"),
        },
    )

    st.subheader("Targets and projections")
    st.markdown("Each row is one statement. Whether it was met is read from the figures above.")
    st.dataframe(
        all_targets_frame(data),
        hide_index=True,
        column_config={
            "amount_musd": st.column_config.NumberColumn("US$ m", format="%.0f"),
            "deadline": "Deadline",
            "as_stated": "Deadline as stated",
            "kind": "Kind",
            "who": "Who",
            "role": "Role",
            "said_on": "Said on",
            "covers": "Covers",
            "url": LINK,
            "note": "Note",
        },
    )

    st.subheader("Lever history")
    st.markdown("The levers' values over the calibration years, each with its basis.")
    st.dataframe(
        lever_history_frame(data),
        hide_index=True,
        column_config={
            "lever": "Lever",
            "fiscal_year": st.column_config.NumberColumn("FY", format="%d"),
            "value": "Value",
            "unit": "Unit",
            "basis": "Basis",
            "source": "Source",
            "published": "Published",
            "url": LINK,
            "note": "Note",
        },
    )
    st.caption(f"Data hash (recorded with the fitted parameters and every output): {data.sha256}")
