"""The Streamlit app: its pages and its entry point.

The pages are listed once, in :func:`pages`; each is a ``page()`` function in :mod:`simulator.app`.
``streamlit_app.py`` at the top of the repository (``make run``) calls :func:`run`; an installed
copy starts this file itself (``simulator app``), so the app works from a wheel too.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from simulator.app import (
    compute,
    data_page,
    links,
    main_page,
    model_page,
    policy_map,
    session,
    track_record,
    what_it_takes,
)
from simulator.errors import InputError
from simulator.runtime import freeze_heap
from simulator.settings import unknown_variables

HOME = "home"
"""The default page's name inside Streamlit (it is served at "/"; "/scenario" is its alias)."""


def pages() -> list[st.Page]:
    """The app's pages, in menu order (the one place to add a page)."""
    return [
        st.Page(main_page.page, title="Scenario", icon=":material/trending_up:", url_path=HOME, default=True),
        st.Page(what_it_takes.page, title="What it takes", icon=":material/flag:", url_path="what-it-takes"),
        st.Page(policy_map.page, title="Policy map", icon=":material/grid_on:", url_path="policy-map"),
        st.Page(
            model_page.page, title="Model and calibration", icon=":material/functions:", url_path="model"
        ),
        st.Page(data_page.page, title="Data", icon=":material/table:", url_path="data"),
        st.Page(
            track_record.page,
            title="Targets track record",
            icon=":material/history:",
            url_path="track-record",
        ),
        # the default page lives at "/"; /scenario (a natural address to type or share) opens it too
        st.Page(main_page.page, title="Scenario", url_path=links.SCENARIO_PATH, visibility="hidden"),
    ]


def check_settings() -> bool:
    """Show what is wrong with the ``SIMULATOR_*`` settings: a bad value stops the app with the
    variable, its value and what is allowed (never a traceback); an unknown variable is a warning."""
    for warning in unknown_variables():
        st.warning(f"Setting ignored: {warning}", icon=":material/warning:")
    try:
        compute.settings()
    except InputError as exc:
        st.error(f"The app cannot start: {exc}")
        return False
    return True


TIMING_LOG = "BENCH_APP_TIMING_LOG"
"""Environment variable: a file to which each script run appends its duration in seconds (off
when unset; ``benchmarks/bench_app_load.py`` sets it to time the server, not its clients)."""


PAGE_ICON = "\N{CHART WITH UPWARDS TREND}"
"""The tab's icon: an emoji, which the browser draws itself (a Material icon there is fetched from
fonts.gstatic.com by every visitor's browser: no icon offline, and a request to a third party)."""


def run() -> None:
    """Entry point, timed when :data:`TIMING_LOG` names a file. After the first run the
    server's long-lived objects are frozen (:func:`~simulator.runtime.freeze_heap`)."""
    log = os.environ.get(TIMING_LOG)
    t0 = time.perf_counter()
    try:
        _run()
    finally:  # st.stop() and reruns unwind through here too
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"{time.perf_counter() - t0:.6f}\n")
    freeze_heap()  # once per process; not timed (the first run, not a rerun)


def _run() -> None:
    """Page settings, the navigation, then the chosen page."""
    st.set_page_config(page_title="Pakistan IT exports: policy simulator", page_icon=PAGE_ICON, layout="wide")
    session.keep_alive()
    compute.idle_release().touch()
    if not check_settings():
        st.stop()
    st.navigation(pages()).run()


if __name__ == "__main__":  # `streamlit run` runs this file as __main__ (`simulator app`)
    run()
