"""Pieces the analysis pages share: the engine or a stop, a CSV download, a chart's title room."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

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
