"""The "Model and calibration" page: the model in plain words, the fitted trend, the in-sample
fit and the rolling-origin backtest against the naive forecast."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from simulator import resources
from simulator.app import charts, compute
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME

MODEL_DOC = resources.model_doc()


@st.cache_data(show_spinner=False)
def backtest_rows(data_sha: str, params_sha: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rolling-origin backtest and its scores (about 4 s; cached per data and parameters)."""
    from calibration.backtest import backtest, score

    rows = backtest(compute.engine().data)
    scores = score(rows)
    return pd.DataFrame([r.as_dict() for r in rows]), pd.DataFrame([s.__dict__ for s in scores])


def fit_frame(in_sample: list) -> pd.DataFrame:
    """Reported values and one-step-ahead predictions in long form (``kind``)."""
    rows = []
    for p in in_sample:
        rows.append({"fiscal_year": p.fiscal_year, "kind": "reported", "value": p.actual})
        rows.append({"fiscal_year": p.fiscal_year, "kind": "predicted a year ahead", "value": p.predicted})
    return pd.DataFrame(rows)


def verdict(scores: pd.DataFrame) -> str:
    """Whether the model beats the naive forecast, horizon by horizon, in plain words."""
    parts = []
    for s in scores.itertuples():
        word = "beats" if s.mae_model_pct < s.mae_naive_pct else "does not beat"
        parts.append(
            f"{s.horizon} year{'s' if s.horizon > 1 else ''} ahead ({s.n} forecasts): the model's median "
            f"{word} the naive forecast ({s.mae_model_pct:.1f}% against {s.mae_naive_pct:.1f}% mean absolute "
            f"error); its 80% range held the reported figure in {s.coverage_80:.0%} of cases."
        )
    wins = sum(s.mae_model_pct < s.mae_naive_pct for s in scores.itertuples())
    overall = (
        f"**In plain words: the model's median beats the naive forecast at {wins} of {len(scores)} "
        f"forecast horizons.** With {int(scores['n'].max())} or fewer forecasts per horizon, this is weak "
        "evidence either way."
    )
    return overall + "\n\n" + "\n".join(f"- {p}" for p in parts)


def page() -> None:
    engine = compute.engine()
    p = engine.params
    t = p.trend
    st.title("Model and calibration")
    st.markdown(
        f"""
**The model in plain words.** Reported exports are an underlying *core* plus the effects of the policy
levers. The core grows each year by a trend rate plus a random shock, both estimated from the reported
full-year figures FY{p.sample.first_year}-FY{p.sample.base_year}. Each lever changes exports through a
stated mechanism (its help text in the sidebar) whose size is uncertain: the model draws it from a
low-central-high range for every simulated path. The levers' effects are *assumptions*, not estimates:
the data are too short to identify them, and the app lets you change them. Every projection is
{compute.settings().draws:,} simulated paths; the chart shows their middle 50% and 90%.
"""
    )
    if MODEL_DOC.exists():
        with st.expander("The model in full, with equations and sources (docs/model.md)"):
            st.markdown(MODEL_DOC.read_text(encoding="utf-8"))
    else:
        st.caption("The full description is in `docs/model.md` in the repository.")

    st.subheader("Calibrated trend")
    growth = math.expm1(t.alpha) * 100
    lo, hi = math.expm1(t.alpha - 1.96 * t.alpha_se) * 100, math.expm1(t.alpha + 1.96 * t.alpha_se) * 100
    est = pd.DataFrame(
        [
            {
                "quantity": "Trend growth of the core",
                "estimate": f"{growth:.1f}% a year",
                "uncertainty": f"95% interval {lo:.1f}% to {hi:.1f}%",
            },
            {
                "quantity": "Size of yearly shocks (sigma, log points)",
                "estimate": f"{t.sigma:.3f}",
                "uncertainty": "posterior drawn per path",
            },
            {
                "quantity": "Slowdown as the sector grows (beta)",
                "estimate": f"{t.beta:.3f}",
                "uncertainty": f"likelihood-ratio test p = {t.selection.p_value:.2f}; model used: {t.model}",
            },
        ]
    )
    st.dataframe(est, hide_index=True)
    for note in p.notes:
        st.markdown(f"- {note}")
    st.caption(f"From calibration/fitted_params.json (data hash {p.data_sha256[:12]}...).")

    st.subheader("Fit: each year predicted from the years before it")
    st.altair_chart(charts.fit_chart(fit_frame(p.in_sample)), width="stretch")
    errs = pd.DataFrame([x.model_dump() for x in p.in_sample])
    st.caption(
        "One-step-ahead predictions from the fitted trend and the recorded lever values "
        "(`in_sample` in the parameter file). "
        f"Median absolute error: {errs['error_pct'].abs().median():.1f}%. "
        "FY2016 is predicted six years ahead, across the gap in the data."
    )

    st.subheader("Assumptions the data cannot pin down")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "lever": LEVER_BY_NAME[a.name.split(".")[0]].label,
                    "assumption": a.label,
                    "low": a.low,
                    "central": a.central,
                    "high": a.high,
                    "unit": a.unit,
                    "source": a.source,
                }
                for a in ASSUMPTIONS
            ]
        ),
        hide_index=True,
    )

    st.subheader("Backtest: would the model have forecast the past?")
    with st.spinner("Re-fitting the model at each past year (a few seconds, once)..."):
        rows, scores = backtest_rows(engine.data.sha256, p.sha256())
    st.markdown(
        "For each past year with enough data, the model is re-fitted on the data up to that year and "
        "forecasts 1 to 3 years ahead, with the levers at their recorded values. The naive forecast "
        "extends the average past growth."
    )
    st.markdown(verdict(scores))
    st.altair_chart(charts.backtest_chart(rows), width="content")
    st.caption(
        "calibration/backtest.py (`python -m calibration backtest`). Pseudo-real-time: each origin uses the "
        "latest published figures up to that year, not the first prints."
    )
