"""Every page run goes through :func:`run`: the settings are checked first, and the run's server
time is logged when ``SIMULATOR_RUN_LOG`` names a file.

* A bad setting (``SIMULATOR_DRAWS=lots``, a data folder that is a file) is an error box naming the
  variable, the value and what is allowed, and the page stops there: never a traceback. A
  ``SIMULATOR_*`` variable that is not a setting (``SIMULATOR_DRAW``) is a warning with "did you
  mean", on every page, because a misspelt setting otherwise does nothing.
* The run log (off by default) gets one JSON line per page run: when it started (Unix time), its
  wall-clock and CPU seconds in the server, the page, and how it ended (``finished``, or the
  Streamlit control exception that ended it early, e.g. ``RerunException`` when a newer slider
  value interrupted it). ``benchmarks/bench_app_load.py`` reads it: the server's own time, which
  clients competing for the same cores cannot inflate the way a browser-side stopwatch is.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import streamlit as st

from simulator.app import compute
from simulator.errors import InputError
from simulator.settings import unknown_variables

_LOG_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def setting_warnings() -> list[str]:
    """The environment's ``SIMULATOR_*`` variables that are not settings (read once per server)."""
    return unknown_variables()


def run(page: st.Page) -> None:
    """Check the settings, then run ``page`` (timed into the run log when one is set)."""
    try:
        log = compute.settings().run_log
    except InputError as exc:
        st.error(
            f"**The app's settings have a problem, so the model cannot start.**\n\n{exc}\n\n"
            "Fix or unset the environment variable and restart the app."
        )
        return
    for warning in setting_warnings():
        st.warning(warning)
    if log is None:
        page.run()
        return
    wall, cpu, outcome = time.perf_counter(), time.thread_time(), "finished"
    started = time.time()
    try:
        page.run()
    except BaseException as exc:  # Streamlit ends a run early by raising (rerun, stop)
        outcome = type(exc).__name__
        raise
    finally:
        _append(
            log,
            {
                "start": round(started, 3),
                "seconds": round(time.perf_counter() - wall, 5),
                "cpu_seconds": round(time.thread_time() - cpu, 5),
                "page": page.url_path or "(default)",
                "outcome": outcome,
            },
        )


def _append(path: Path, record: dict[str, object]) -> None:
    line = json.dumps(record) + "\n"
    with _LOG_LOCK, path.open("a", encoding="utf-8") as f:
        f.write(line)
