"""Pieces the pages share: the engine or a stop, a CSV download, a chart's title room, a chart
spec with its tables as Streamlit sends them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from simulator import output
from simulator.app import compute
from simulator.engine import Engine
from simulator.errors import InputError

TITLE_ROOM = 130
"""Pixels a chart's title, subtitle and top legend take: the app sizes the whole chart to ``height``."""


def csv_download(
    label: str,
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[str],
    decimals: Mapping[str, int],
    file_name: str,
    key: str,
) -> None:
    """A download button for ``rows`` as CSV, formatted as the command line writes it."""
    st.download_button(
        label,
        data=output.format_csv(rows, columns, decimals),
        file_name=file_name,
        mime="text/csv",
        on_click="ignore",
        key=key,
    )


def engine_or_stop() -> Engine:
    """The app's engine, or an error message and the end of the page if the model cannot start."""
    try:
        return compute.engine()
    except InputError as exc:
        st.error(f"The model cannot start: {exc}")
        st.stop()
        raise  # st.stop() does not return


def arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (from :mod:`simulator.app.charts`) with each table in its ``datasets`` as the Arrow
    IPC bytes ``st.vega_lite_chart`` would make of it, and sends as they are.

    The same bytes, made once: a spec kept with a run (:meth:`simulator.app.compute.Run.kept`)
    is then sent by every session showing the run without converting its tables again (the
    conversion was about a tenth of a slider move's server time). ``spec`` is not changed.
    """
    out = dict(spec)
    out["datasets"] = {
        name: dataframe_util.convert_anything_to_arrow_bytes(v) if isinstance(v, pd.DataFrame) else v
        for name, v in spec.get("datasets", {}).items()
    }
    return out
