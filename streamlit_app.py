"""Placeholder page: the baseline projection from the engine (the full app replaces this)."""

import pandas as pd
import streamlit as st

from simulator.engine import Engine
from simulator.scenario import baseline_scenario
from simulator.settings import load_settings


@st.cache_resource
def engine() -> Engine:
    return Engine.from_settings()


def run() -> None:
    st.set_page_config(page_title="Pakistan IT exports: baseline", layout="wide")
    st.title("Pakistan's ICT-services exports: baseline projection")
    projection = engine().run(baseline_scenario(), load_settings())
    st.dataframe(pd.DataFrame(projection.table()), hide_index=True)


run()
