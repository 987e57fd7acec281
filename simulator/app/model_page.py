"""The "Model and calibration" page: the model in plain words, the reference class of peer
countries and what its slowdown implies for the targets, the fit, the assumptions the data cannot
settle and how much the odds depend on them, and the backtests.

Everything shown comes from the fitted-parameter file and the backtest results written beside it
by ``python -m calibration fit`` (:mod:`simulator.backtests`); nothing is re-fitted here.
"""

from __future__ import annotations

import itertools
import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from simulator import resources
from simulator.app import charts, compute
from simulator.backtests import BacktestResults, PanelBacktest, load_results, results_path
from simulator.errors import InputError
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME
from simulator.params import FittedParams, PanelFit, posterior_draws

MODEL_DOC = resources.model_doc()
DOUBLING = 100 * math.log(2)
TARGETS = (
    ("$10B by FY2029", 10_000, 2029),
    ("$15B by FY2030", 15_000, 2030),
    ("$25B by FY2029", 25_000, 2029),
    ("$25B by FY2040", 25_000, 2040),
)
"""The dated targets the page discusses (``calibration/data/targets.csv``: Uraan Pakistan,
the government's FY2030 target, the Prime Minister's five-year target), and the $25B by the
projection's end."""
MODEL_NAMES = {"panel": "panel model", "own": "Pakistan-only model", "naive": "naive drift"}


@st.cache_resource(show_spinner=False, max_entries=4)
def backtest_results(path: str, params_sha: str) -> BacktestResults:
    """The results file beside the parameters (read once per parameter file)."""
    return load_results(path)


def pct(x: float) -> str:
    return f"{np.expm1(x) * 100:.1f}%"


def trend_table(p: FittedParams) -> pd.DataFrame:
    """Pakistan's trend: posterior means and 90% intervals (panel model) or estimates."""
    t = p.trend
    if t.panel is None:
        lo, hi = t.alpha - 1.645 * t.alpha_se, t.alpha + 1.645 * t.alpha_se
        rows = [
            ("Trend growth of the core", pct(t.alpha), f"90%: {pct(lo)} to {pct(hi)}"),
            ("Size of yearly shocks (sd, log points)", f"{t.sigma:.3f}", "posterior drawn per path"),
            ("Slowdown, points per doubling", f"{t.beta * DOUBLING:.2f}", f"model used: {t.model}"),
        ]
    else:
        q = {x.name: x for x in t.panel.pakistan}
        a, b, s = q["alpha"], q["beta"], q["sigma"]
        rows = [
            (
                f"Trend growth of the core at its FY{p.sample.base_year} size",
                pct(a.mean),
                f"90%: {pct(a.p05)} to {pct(a.p95)}",
            ),
            (
                "Growth lost per doubling of size (points)",
                f"{b.mean * DOUBLING:.2f}",
                f"90%: {b.p05 * DOUBLING:.2f} to {b.p95 * DOUBLING:.2f}",
            ),
            (
                f"Size of yearly shocks at its FY{p.sample.base_year} size (sd, log points)",
                f"{s.mean:.3f}",
                f"90%: {s.p05:.3f} to {s.p95:.3f}",
            ),
        ]
        if "gamma" in q:
            g = q["gamma"]
            rows.append(
                (
                    "Shocks shrink as the sector grows: % smaller per doubling",
                    f"{-np.expm1(-g.mean * np.log(2)) * 100:.1f}",
                    f"90%: {-np.expm1(-g.p05 * np.log(2)) * 100:.1f} to "
                    f"{-np.expm1(-g.p95 * np.log(2)) * 100:.1f}",
                )
            )
    return pd.DataFrame(rows, columns=["quantity", "estimate", "uncertainty"])


def reference_frame(results: BacktestResults, p: FittedParams) -> pd.DataFrame:
    """Every peer's (and Pakistan's) yearly growth against its size at the start of the year."""
    rows = []
    series = [(s.country, s.points) for s in results.peers]
    series.append(("Pakistan", [(x.fiscal_year, x.value_musd) for x in p.sample.points]))
    for country, pts in series:
        for (y0, v0), (y1, v1) in itertools.pairwise(pts):
            if y1 - y0 == 1:
                rows.append(
                    {"country": country, "year": y1, "exports_musd": v0, "growth_pct": (v1 / v0 - 1) * 100}
                )
    df = pd.DataFrame(rows)
    df["who"] = np.where(df["country"] == "Pakistan", "Pakistan", "peer countries")
    return df


def slowdown_frame(p: FittedParams, panel: PanelFit, sizes: np.ndarray) -> pd.DataFrame:
    """Pakistan's trend growth at each size (US$ m of the core): median and 90% band over the
    posterior, ``alpha - beta (ln X - ln C_base)``."""
    alpha, beta, _, _ = posterior_draws(p.trend.posterior, np.random.default_rng(0), 4000)
    log_base = panel.pakistan_y_base + math.log(panel.reference_musd)
    g = alpha[:, None] - beta[:, None] * (np.log(sizes)[None, :] - log_base)
    lo, mid, hi = np.expm1(np.percentile(g, [5, 50, 95], axis=0)) * 100
    return pd.DataFrame({"exports_musd": sizes, "p05": lo, "p50": mid, "p95": hi})


def reference_chart(points: pd.DataFrame, band: pd.DataFrame) -> alt.LayerChart:
    x = alt.X(
        "exports_musd:Q",
        title="Exports at the start of the year (US$ m, log scale)",
        scale=alt.Scale(type="log", domain=[10, 200_000], clamp=True),
        axis=alt.Axis(grid=False, values=[10, 100, 1_000, 10_000, 100_000], format=",.0f"),
    )
    dots = (
        alt.Chart(points)
        .mark_circle(opacity=0.45)
        .encode(
            x=x,
            y=alt.Y(
                "growth_pct:Q", title="Growth that year (%)", scale=alt.Scale(domain=[-40, 80], clamp=True)
            ),
            color=alt.Color(
                "who:N",
                title=None,
                scale=alt.Scale(
                    domain=["peer countries", "Pakistan"], range=["#9A9A9A", charts.OKABE_ITO["vermillion"]]
                ),
            ),
            size=alt.Size(
                "who:N", scale=alt.Scale(domain=["peer countries", "Pakistan"], range=[18, 70]), legend=None
            ),
            tooltip=[
                "country:N",
                "year:Q",
                alt.Tooltip("exports_musd:Q", format=",.0f"),
                alt.Tooltip("growth_pct:Q", format=".1f"),
            ],
        )
    )
    area = (
        alt.Chart(band)
        .mark_area(opacity=0.25, color=charts.OKABE_ITO["blue"])
        .encode(x=x, y="p05:Q", y2="p95:Q")
    )
    line = alt.Chart(band).mark_line(color=charts.OKABE_ITO["blue"]).encode(x=x, y="p50:Q")
    return alt.LayerChart(layer=[dots, area, line]).properties(height=380)


def needed_growth(p: FittedParams) -> pd.DataFrame:
    """For each target: the growth a year it needs from the base year, and the trend growth the
    fitted slowdown implies over the same years (median and 90%; without shocks or levers)."""
    alpha, beta, _, _ = posterior_draws(p.trend.posterior, np.random.default_rng(0), 4000)
    base = p.sample.points[-1].value_musd
    rows = []
    for label, amount, deadline in TARGETS:
        h = deadline - p.sample.base_year
        needed = (amount / base) ** (1 / h) - 1
        phi = 1.0 - beta
        s1 = sum(phi**j for j in range(h))
        avg = alpha * s1 / h
        lo, mid, hi = np.percentile(avg, [5, 50, 95])
        rows.append(
            {
                "target": label,
                f"growth needed from FY{p.sample.base_year} (% a year)": f"{needed * 100:.1f}",
                "trend growth with the fitted slowdown (median, 90%)": f"{pct(mid)} ({pct(lo)} to {pct(hi)})",
                "trend growth with no slowdown": pct(float(np.median(alpha))),
            }
        )
    return pd.DataFrame(rows)


def panel_table(b: PanelBacktest) -> pd.DataFrame:
    """The panel backtest: per horizon, each model's MAPE, CRPS and 80% coverage."""
    df = pd.DataFrame([s.model_dump() for s in b.scores])
    df["order"] = df["model"].map({m: i for i, m in enumerate(MODEL_NAMES)})
    df = df.sort_values(["horizon", "order"])
    return pd.DataFrame(
        {
            "years ahead": df["horizon"],
            "model": df["model"].map(MODEL_NAMES),
            "forecasts": df["n"],
            "MAPE %": df["mape_pct"].round(1),
            "CRPS (log)": df["crps"].round(3),
            "80% interval held %": (df["coverage_80"] * 100).round(0),
        }
    )


def origin_table(b: PanelBacktest) -> pd.DataFrame:
    """The panel model's median log error, ``ln(actual / p50)``, per origin (rows) and horizon
    (columns), in log points x 100 with its sign ("–" where the horizon is past the data): one
    row per period the forecasts start from."""
    df = pd.DataFrame([s.model_dump() for s in b.by_origin])
    wide = df.pivot(index="origin", columns="horizon", values="median_log_error").sort_index()
    wide = (wide * 100).map(lambda v: "–" if pd.isna(v) else f"{v:+.0f}")
    wide.columns = [f"{h} yr ahead" for h in wide.columns]
    held = df[df["horizon"] == df["horizon"].max()].set_index("origin")["coverage_80"].reindex(wide.index)
    wide[f"80% held at {df['horizon'].max()} yr %"] = (held * 100).map(
        lambda v: "–" if pd.isna(v) else f"{v:.0f}"
    )
    return wide.reset_index()


def shift_table(b: PanelBacktest) -> pd.DataFrame:
    """Per horizon, the panel model's 80% coverage and share of actuals above its median, as
    forecast and with each forecast's period shift taken out."""
    df = pd.DataFrame([s.model_dump() for s in b.shift_removed])
    return pd.DataFrame(
        {
            "years ahead": df["horizon"],
            "forecasts": df["n"],
            "80% held %": (df["coverage_80"] * 100).round(1),
            "80% held, period shift out %": (df["coverage_80_shift_removed"] * 100).round(1),
            "above median %": (df["above_median"] * 100).round(1),
            "above median, period shift out %": (df["above_median_shift_removed"] * 100).round(1),
        }
    )


def periods(b: PanelBacktest) -> None:
    st.markdown(
        "**Periods, not countries.** The forecasts start from few origin years, and the countries of "
        "one origin share their years: a boom or a slump after an origin moves all their errors "
        "together. Median error of the panel model's forecasts by origin, ln(actual / median) x 100 "
        "(positive: the actuals came out above the median):"
    )
    st.dataframe(origin_table(b), hide_index=True)
    if b.shift_removed:
        st.markdown(
            "Take each forecast's period shift out (the median error of the *other* countries' forecasts "
            "at its origin and horizon, applied to its p10, p50 and p90) and see what is left: a check "
            "after the fact, not a forecast (nobody knows the shift at the origin)."
        )
        st.dataframe(shift_table(b), hide_index=True)


def dependence_table(results: BacktestResults) -> pd.DataFrame:
    rows = []
    for r in results.dependence:
        row = {"assumption": r.assumption, "setting": r.setting, "scenario": r.scenario}
        for label, target_id in (
            ("$10B FY2029", "t10b_fy2029_uraan"),
            ("$15B FY2030", "t15b_fy2030_govt"),
            ("$25B FY2029", "t25b_fy2029_pm"),
        ):
            row[label] = f"{r.odds[target_id] * 100:.1f}%"
        for label, target_id in (
            ("$10B by FY2040", "t10b_fy2029_uraan"),
            ("$15B by FY2040", "t15b_fy2030_govt"),
            ("$25B by FY2040", "t25b_fy2029_pm"),
        ):
            row[label] = f"{r.odds[target_id + '_by_2040'] * 100:.0f}%"
        rows.append(row)
    return pd.DataFrame(rows)


def verdict(scores: pd.DataFrame) -> str:
    """Whether the model beats the naive forecast, horizon by horizon, in plain words."""
    parts = []
    wins = 0
    for s in scores.to_dict("records"):
        model, naive, horizon = float(s["mae_model_pct"]), float(s["mae_naive_pct"]), int(s["horizon"])
        wins += model < naive
        word = "beats" if model < naive else "does not beat"
        parts.append(
            f"{horizon} year{'s' if horizon > 1 else ''} ahead ({s['n']} forecasts): the model's median "
            f"{word} the naive forecast ({model:.1f}% against {naive:.1f}% mean absolute "
            f"error); its 80% range held the reported figure in {s['coverage_80']:.0%} of cases."
        )
    overall = (
        f"**In plain words: the model's median beats the naive forecast at {wins} of {len(scores)} "
        f"forecast horizons.** With {int(scores['n'].max())} or fewer forecasts per horizon, this is weak "
        "evidence either way."
    )
    return overall + "\n\n" + "\n".join(f"- {p}" for p in parts)


def fit_frame(in_sample: list) -> pd.DataFrame:
    """Reported values and one-step-ahead predictions in long form (``kind``)."""
    rows = []
    for x in in_sample:
        rows.append({"fiscal_year": x.fiscal_year, "kind": "reported", "value": x.actual})
        rows.append({"fiscal_year": x.fiscal_year, "kind": "predicted a year ahead", "value": x.predicted})
    return pd.DataFrame(rows)


def intro(p: FittedParams) -> None:
    st.title("Model and calibration")
    st.markdown(
        f"""
**The model in plain words.** Reported exports are an underlying *core* plus the effects of the policy
levers. The core grows each year by a trend rate that falls as the sector grows, plus a random shock.
The trend, the slowdown and the shock size are estimated from Pakistan's reported full-year figures
FY{p.sample.first_year}-FY{p.sample.base_year} *together with* how the ICT-services exports of peer
countries grew at each size (a hierarchical model: Pakistan is one more country of the reference class).
Each lever changes exports through a stated mechanism whose size is uncertain: the model draws it from a
low-central-high range for every simulated path. The levers' effects are *assumptions*, not estimates.
Every projection is {compute.settings().draws:,} simulated paths; the chart shows their middle 50% and 90%.
"""
    )
    if MODEL_DOC.exists():
        with st.expander("The model in full, with equations and sources (docs/model.md)"):
            st.markdown(MODEL_DOC.read_text(encoding="utf-8"))


def reference_class(p: FittedParams, panel: PanelFit, results: BacktestResults) -> None:
    st.subheader("The reference class: how peers' exports grew at each size")
    points = reference_frame(results, p)
    sizes = np.geomspace(100, 100_000, 60)
    st.altair_chart(reference_chart(points, slowdown_frame(p, panel, sizes)), width="stretch")
    pop = {x.name: x for x in panel.population}
    st.caption(
        f"Grey: each year of {len(results.peers)} peer countries (World Bank WDI, ICT-services exports, "
        "balance of payments); orange-red: Pakistan's reported years. Blue: Pakistan's trend growth at "
        "each size (median and 90% band of its posterior; the core, without shocks). "
        f"Across the panel, growth at US$1bn averages {pct(pop['mu_a'].mean)} and falls by "
        f"{pop['mu_b'].mean * DOUBLING:.1f} points per doubling "
        f"(90%: {pop['mu_b'].p05 * DOUBLING:.1f} to {pop['mu_b'].p95 * DOUBLING:.1f}). "
        "Form chosen by the leave-one-country-out predictive density: "
        + ", ".join(f"{s.form}/{s.shocks} shocks {s.elpd_loco:.1f}" for s in panel.selection)
        + f" (higher is better) -> {panel.form}, {panel.shocks} shocks."
    )
    st.markdown("**What the fitted slowdown means for the targets**")
    st.dataframe(needed_growth(p), hide_index=True)
    st.caption(
        "Growth needed: compound growth of reported exports from the base year to the deadline. "
        "Trend growth: the average yearly growth of the core over the same years implied by each "
        "posterior draw of the trend and slowdown, before shocks and lever changes."
    )


def page() -> None:
    engine = compute.engine()
    p = engine.params
    intro(p)
    st.subheader("Calibrated trend")
    st.dataframe(trend_table(p), hide_index=True)
    for note in p.notes:
        st.markdown(f"- {note}")
    path = results_path(compute.settings().params_path)
    try:
        results = backtest_results(str(path), p.sha256())
    except InputError as exc:
        st.error(str(exc))
        return
    if p.trend.panel is not None and results.peers:
        reference_class(p, p.trend.panel, results)
    fit_and_assumptions(p, results)
    backtests(results)


def fit_and_assumptions(p: FittedParams, results: BacktestResults) -> None:
    st.subheader("Fit: each year predicted from the years before it")
    st.altair_chart(charts.fit_chart(fit_frame(p.in_sample)), width="stretch")
    errs = pd.DataFrame([x.model_dump() for x in p.in_sample])
    st.caption(
        "One-step-ahead predictions from the fitted trend (`in_sample` in the parameter file). "
        f"Median absolute error: {errs['error_pct'].abs().median():.1f}%. "
        "FY2016 is predicted six years ahead, across the gap."
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
    if results.dependence:
        st.markdown("**How much the odds depend on them**")
        st.dataframe(dependence_table(results), hide_index=True)
        st.caption(
            "Chance of reaching each target by its deadline, and by FY2040, with one assumption moved and "
            "everything else as fitted (10,000 paths, seed 20250820; `calibration/dependence.py`)."
        )


def backtests(results: BacktestResults) -> None:
    st.subheader("Backtest: would the model have forecast the past?")
    rows = pd.DataFrame([r.model_dump() for r in results.pakistan])
    scores = pd.DataFrame([s.model_dump() for s in results.pakistan_scores])
    st.markdown(
        "**Pakistan.** For each past year with enough data, the model is re-fitted on the data up to "
        "that year (Pakistan's and the peers') and forecasts 1 to 3 years ahead, with the levers at their "
        "recorded values. The naive forecast extends the average past growth."
    )
    st.markdown(verdict(scores))
    st.altair_chart(charts.backtest_chart(rows), width="content")
    if results.panel is not None:
        b = results.panel
        st.markdown(
            f"**The peer panel.** {b.forecasts} forecasts of {b.countries} countries from origins "
            f"{', '.join(str(o) for o in b.origins)}, each country left out of the panel it is forecast "
            "with and every fit on figures up to the origin only. CRPS: continuous ranked probability "
            "score of log exports (lower is better); an 80% interval should hold about 80% of the actuals."
        )
        st.dataframe(panel_table(b), hide_index=True)
        pit = pd.DataFrame(
            [
                {"model": MODEL_NAMES[m], "bin": f"{i / 10:.1f}-{(i + 1) / 10:.1f}", "forecasts": c}
                for m, counts in b.pit.items()
                for i, c in enumerate(counts)
            ]
        )
        st.altair_chart(
            alt.Chart(pit)
            .mark_bar()
            .encode(x=alt.X("bin:O", title="PIT"), y="forecasts:Q", column=alt.Column("model:N", title=None))
            .properties(width=180, height=140),
            width="content",
        )
        st.caption(
            "PIT histogram: flat when the intervals are right, U-shaped when too narrow, "
            "humped when too wide."
        )
        if b.by_origin:
            periods(b)
    st.caption(
        "`python -m calibration backtest` and `python -m calibration peers backtest`, "
        "written by `calibration fit`."
    )
