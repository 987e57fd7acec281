"""The scenario page's compare tab: scenarios kept side by side, with the same draws.

The numbers come from :func:`simulator.compare.compare`, the same pure function as
``simulator compare``; the odds are shown as the target cards show them.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from simulator.app import charts, compute, session
from simulator.app.frames import levers_summary, money_b, odds_text
from simulator.compare import Compared, Comparison, compare
from simulator.data import Target
from simulator.scenario import BASELINE, NAME_PATTERN, Scenario, baseline_scenario

KEEP_NAME_KEY = "keep_name"
KEEP_PROBLEM = "_keep_problem"


def _keep(scenario: Scenario) -> None:
    """Keep the scenario for comparison under the name typed (or its own); a name taken by another
    kept scenario, or by the baseline, is refused and a new one asked for."""
    ss = st.session_state
    name = (ss.get(KEEP_NAME_KEY) or "").strip() or scenario.name
    kept = session.compared()
    same = next((s for s in kept if _same(s, scenario)), None)
    if same is not None:
        ss[KEEP_PROBLEM] = f"This scenario is already kept, as '{same.name}'."
        return
    if not re.match(NAME_PATTERN, name):
        ss[KEEP_PROBLEM] = f"'{name}' cannot be a name: use 1-64 letters, digits, '-', '_' or '.'."
        return
    if name == BASELINE or any(s.name == name for s in kept):
        ss[KEEP_PROBLEM] = f"A kept scenario is already called '{name}': type another name for this one."
        return
    if len(kept) >= session.MAX_COMPARED:
        ss[KEEP_PROBLEM] = (
            f"At most {session.MAX_COMPARED} scenarios can be kept: clear the comparison first."
        )
        return
    ss.pop(KEEP_PROBLEM, None)
    ss[KEEP_NAME_KEY] = ""
    kept.append(scenario.model_copy(update={"name": name}))


def _same(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios differ only in name (and description)."""
    return a.model_copy(update={"name": b.name, "description": b.description}) == b


def draw(scenario: Scenario, run: compute.Run, targets: list[Target]) -> None:
    """The tab: keep the current scenario under a name, clear, the table and the chart."""
    ss = st.session_state
    kept = session.compared()
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    c1.text_input("Keep as", key=KEEP_NAME_KEY, placeholder=scenario.name, help="A name for the kept copy.")
    c2.button(
        "Keep", on_click=_keep, args=(scenario,), width="stretch", help="Keep this scenario for comparison"
    )
    if kept:
        c3.button("Clear all", on_click=lambda: ss.pop(session.COMPARED, None), width="stretch")
    if KEEP_PROBLEM in ss:
        st.warning(ss.pop(KEEP_PROBLEM))
    items = [Compared.of(BASELINE, compute.run(baseline_scenario()).projection, targets)]
    items += [Compared.of(s.name, compute.run(s).projection, targets) for s in kept]
    if not any(_same(s, scenario) for s in kept):
        items.append(Compared.of(f"{scenario.name} (current)", run.projection, targets))
    result = compare(items, reference=items[0])
    st.dataframe(
        compare_table(result, targets),
        hide_index=True,
        column_config=_compare_columns(targets, int(run.years[-1])),
    )
    st.vega_lite_chart(spec=charts.compare_spec(compare_paths(result)), width="stretch")
    st.caption(
        "Every scenario uses the same seed, so differences between them are policy, not luck. Odds use the "
        "deadlines chosen on the target cards; in brackets, the difference from the baseline in percentage "
        "points. Shaded: the 10th to 90th percentile of each scenario's simulated paths."
    )


def compare_table(result: Comparison, targets: list[Target]) -> pd.DataFrame:
    """One row per scenario: the odds of each chosen target (with the difference from the baseline),
    the horizon year's median and 10th-90th percentile, and what the scenario changes."""
    ref = result.reference
    rows = [_compare_row(ref, ref, targets)]
    rows += [_compare_row(c, ref, targets) for c in result.others]
    return pd.DataFrame(rows)


def _compare_row(c: Compared, ref: Compared, targets: list[Target]) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": c.name}
    by_id = {o.target.id: o for o in c.odds}
    ref_by_id = {o.target.id: o for o in ref.odds}
    for t in targets:  # the odds and, in brackets, their difference from the baseline in points
        shown = odds_text(by_id[t.id].p_by_deadline, ref_by_id[t.id].p_by_deadline)
        diff = "" if c is ref else f" ({(shown.delta or '±0').split(' pts')[0]})"
        row[t.label] = shown.value + diff
    stats = c.projection.stats
    row["median"] = money_b(float(stats["p50"][-1]) / 1000)
    row["range"] = f"{money_b(float(stats['p10'][-1]) / 1000)} to {money_b(float(stats['p90'][-1]) / 1000)}"
    row["levers"] = levers_summary(c.projection.scenario)
    return row


def _compare_columns(targets: list[Target], horizon: int) -> dict[str, Any]:
    cfg: dict[str, Any] = {"scenario": st.column_config.TextColumn("Scenario", pinned=True)}
    for t in targets:
        cfg[t.label] = st.column_config.TextColumn(
            t.label, help=f"Odds of {t.label}; in brackets, the difference from the baseline in points"
        )
    cfg["median"] = st.column_config.TextColumn(f"Median FY{horizon}")
    cfg["range"] = st.column_config.TextColumn(f"FY{horizon}, 10th-90th pct.", width="medium")
    cfg["levers"] = st.column_config.TextColumn("What it changes", width="large")
    return cfg


def compare_paths(result: Comparison) -> pd.DataFrame:
    """Long form for the compare chart: each scenario's median and 10th-90th percentile (US$ B)."""
    frames = []
    ref = result.reference
    for c in [ref, *result.others]:
        st_ = c.projection.stats
        frames.append(
            pd.DataFrame(
                {
                    "scenario": c.name,
                    "fiscal_year": c.projection.years.astype(int),
                    **{k: st_[k] / 1000 for k in ("p10", "p50", "p90")},
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
