"""Engine results reshaped into the tidy tables the charts and tables draw from. Pure.

Every row keeps what it comes from: history rows carry their source, publication date and
address; projection rows name the series (scenario or baseline) they belong to; target rows
name who stated them and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.data import Dataset, Target, annual_series, latest_vintages
from simulator.engine import Engine, Projection
from simulator.levers import LEVER_BY_NAME, LEVERS

SCENARIO = "Scenario"
BASELINE = "Baseline: current policy"
DEFAULT_BASELINE = "Baseline with default assumptions"
SERIES_ORDER = (SCENARIO, BASELINE, DEFAULT_BASELINE)

BAND_COLUMNS = ("p5", "p25", "p50", "p75", "p95")


def fan_frame(series: Mapping[str, Projection], engine: Engine) -> pd.DataFrame:
    """One row per series and fiscal year: the 5th, 25th, 50th, 75th and 95th percentiles (US$ B).

    Each series starts at the last reported year (all percentiles equal to the reported figure),
    so the fan opens from the last data point. Series come in the order given.
    """
    base_year = engine.base_year
    base_value = dict(engine.history())[base_year]
    names, years, cols = [], [], {c: [] for c in BAND_COLUMNS}
    for name, p in series.items():
        n = len(p.years) + 1
        names += [name] * n
        years.append(np.concatenate([[base_year], p.years]))
        st = p.stats
        for c in BAND_COLUMNS:
            cols[c].append(np.concatenate([[base_value], st[c]]) / 1000.0)
    data: dict[str, object] = {"series": names, "fiscal_year": np.concatenate(years).astype(np.int64)}
    data.update({c: np.concatenate(v) for c, v in cols.items()})
    return pd.DataFrame(data)


def history_frame(data: Dataset, base_year: int) -> pd.DataFrame:
    """Reported full fiscal years (latest vintage) with source, publication date and address."""
    rows = []
    for y, o in annual_series(data.observations):
        if y > base_year:
            continue
        rows.append(
            {
                "fiscal_year": y,
                "value": o.value_musd / 1000.0,
                "value_musd": o.value_musd,
                "period": o.period_label,
                "source": o.source_org,
                "published": str(o.published) if o.published else "undated",
                "url": o.url,
            }
        )
    return pd.DataFrame(rows)


def deadline_options(targets: Iterable[Target], amount: float, base_year: int) -> list[Target]:
    """Stated targets of ``amount`` with a deadline after the last full year, earliest first."""
    found = [t for t in targets if t.amount_musd == amount and t.deadline_fy and t.deadline_fy > base_year]
    return sorted(found, key=lambda t: (t.deadline_fy, t.id))


def default_deadline(options: Sequence[Target]) -> Target | None:
    """The latest stated deadline: the most generous reading of the target."""
    return max(options, key=lambda t: (t.deadline_fy, t.id)) if options else None


def target_label(t: Target) -> str:
    """One line naming a stated target: amount, deadline, who, when."""
    said = f", {t.said_on}" if t.said_on else ""
    return f"FY{t.deadline_fy}: {t.who}{said} ({t.kind}; stated as '{t.deadline_as_stated}')"


def targets_frame(chosen: Sequence[Target]) -> pd.DataFrame:
    """The targets drawn on the chart: amount (US$ B), chosen deadline, who stated it."""
    return pd.DataFrame(
        [
            {
                "amount": t.amount_musd / 1000.0,
                "label": f"${t.amount_musd / 1000:g}B",
                "deadline": t.deadline_fy,
                "deadline_label": f"${t.amount_musd / 1000:g}B by FY{t.deadline_fy}",
                "deadline_text": f"FY{t.deadline_fy}",
                "who": t.who,
                "stated": t.deadline_as_stated,
                "said_on": str(t.said_on) if t.said_on else "undated",
            }
            for t in chosen
        ],
        columns=[
            "amount",
            "label",
            "deadline",
            "deadline_label",
            "deadline_text",
            "who",
            "stated",
            "said_on",
        ],
    )


def projection_table(scenario: Projection, baseline: Projection, engine: Engine) -> pd.DataFrame:
    """Reported history and the projection, US$ m: scenario percentiles and the baseline median."""
    rows = []
    for y, v in engine.history():
        rows.append({"fiscal_year": y, "kind": "reported", "p5": v, "p25": v, "p50": v, "p75": v, "p95": v})
    s, b = scenario.stats, baseline.stats
    for j, y in enumerate(scenario.years):
        row = {"fiscal_year": int(y), "kind": "projection"}
        row.update({c: float(s[c][j]) for c in BAND_COLUMNS})
        row["baseline_p50"] = float(b["p50"][j])
        rows.append(row)
    return pd.DataFrame(rows)


def contribution_frame(parts: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Each lever's contribution (US$ m) to scenario minus baseline in one year: the mean over
    draws, and the 10th and 90th percentiles."""
    rows = []
    for lv in LEVERS:
        x = parts[lv.name]
        p10, p90 = np.percentile(x, [10, 90])
        rows.append(
            {
                "lever": lv.name,
                "label": lv.label,
                "contribution": float(x.mean()),
                "p10": float(p10),
                "p90": float(p90),
            }
        )
    return pd.DataFrame(rows)


SET_ASIDE = {"conflict": "no: source conflict", "lower_bound": "no: lower bound"}
"""How the "used" column names a row set aside by its ``status`` (calibration/data/README.md)."""


def observations_frame(data: Dataset) -> pd.DataFrame:
    """Every observation in the data, marking the vintage that represents its period and the rows
    set aside (a source conflict, a lower bound)."""
    latest = {id(o) for o in latest_vintages(data.observations).values()}
    rows = [
        {
            "period": o.period_label,
            "fiscal_year": o.fiscal_year,
            "months": o.months,
            "value_musd": o.value_musd,
            "used": "yes" if id(o) in latest else SET_ASIDE.get(o.status, ""),
            "published": str(o.published) if o.published else "undated",
            "source": o.source_org,
            "url": o.url,
            "note": o.note,
            "line": o.line,
        }
        for o in data.observations
    ]
    return pd.DataFrame(rows).sort_values(["fiscal_year", "months", "published"], ignore_index=True)


def lever_history_frame(data: Dataset) -> pd.DataFrame:
    rows = [
        {
            "lever": LEVER_BY_NAME[r.lever].label,
            "fiscal_year": r.fiscal_year,
            "value": r.value,
            "unit": LEVER_BY_NAME[r.lever].unit,
            "basis": r.basis,
            "source": r.source_org,
            "published": str(r.published) if r.published else "",
            "url": r.url or None,
            "note": r.note,
        }
        for r in data.lever_history
    ]
    return pd.DataFrame(rows)


def all_targets_frame(data: Dataset) -> pd.DataFrame:
    rows = [
        {
            "amount_musd": t.amount_musd,
            "deadline": f"FY{t.deadline_fy}" if t.deadline_fy else "none",
            "as_stated": t.deadline_as_stated,
            "kind": t.kind,
            "who": t.who,
            "role": t.role,
            "said_on": str(t.said_on) if t.said_on else "",
            "covers": t.covers,
            "url": t.url,
            "note": t.note,
        }
        for t in data.targets
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Odds:
    """A target card's numbers: scenario and baseline."""

    target: Target
    p: float | None
    p_baseline: float | None
    year_p50: int | None
    year_p50_baseline: int | None
    required_cagr: float | None


def format_odds(p: float | None) -> str:
    """A probability for a card: whole percent, with '<1%' and '>99%' at the ends."""
    if p is None:
        return "n/a"
    if p == 0:
        return "0%"
    if p < 0.005:
        return "<1%"
    if p == 1:
        return "100%"
    if p > 0.995:
        return ">99%"
    return f"{p:.0%}"


def format_year(y: int | None, horizon: int) -> str:
    return f"FY{y}" if y is not None else f"after FY{horizon}"
