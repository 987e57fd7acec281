"""Engine results reshaped into the tidy tables the charts and tables draw from. Pure.

Every row keeps what it comes from: history rows carry their source, publication date and
address; projection rows name the series (scenario or baseline) they belong to; target rows
name who stated them and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulator.data import Dataset, Target, annual_series, latest_vintages
from simulator.engine import Engine, Projection
from simulator.levers import LEVER_BY_NAME, LEVERS
from simulator.robust import middle_band, middle_draws, middle_mean
from simulator.scenario import Scenario

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
    names: list[str] = []
    years: list[np.ndarray] = []
    cols: dict[str, list[np.ndarray]] = {c: [] for c in BAND_COLUMNS}
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


def contribution_frame(parts: Mapping[str, np.ndarray], difference: np.ndarray) -> pd.DataFrame:
    """Each lever's contribution (US$ m) to scenario minus baseline in one year: its
    ``middle_mean`` (:data:`simulator.robust.MIDDLE_LABEL`, over the draws whose ``difference``,
    scenario minus baseline exports that year, lies between its 10th and 90th percentile: the
    contributions add up to the difference averaged over the same draws), and its own 10th and
    90th percentiles over every draw."""
    keep = middle_draws(difference)
    rows = []
    for lv in LEVERS:
        x = np.broadcast_to(parts[lv.name], np.shape(difference))
        p10, p90 = np.percentile(x, [10, 90])
        rows.append(
            {
                "lever": lv.name,
                "label": lv.label,
                "contribution": float(middle_mean(x, keep)),
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


def odds_decimals(*ps: float | None) -> int:
    """Decimals for showing probabilities side by side: one when any of them is below 10% or
    above 90% (where a whole percent would hide a change of a few tenths), else none."""
    return 1 if any(p is not None and not 0.095 <= p <= 0.905 for p in ps) else 0


def format_odds(p: float | None, decimals: int | None = None) -> str:
    """A probability as a card shows it: whole percent between 10% and 90%, one decimal outside
    (or ``decimals``); '<0.1%' and '>99.9%' when the rounding would say 0% or 100%."""
    if p is None:
        return "n/a"
    d = odds_decimals(p) if decimals is None else decimals
    if p in (0, 1):
        return f"{p:.0%}"
    text = f"{p * 100:.{d}f}"
    if float(text) == 0:
        return f"<{10**-d:g}%"
    if float(text) == 100:
        return f">{100 - 10**-d:g}%"
    return text + "%"


@dataclass(frozen=True)
class OddsText:
    """A target card's numbers as shown: the scenario's odds, the baseline's, and their difference
    worked out from the two shown numbers (so the card and its delta never disagree)."""

    value: str
    baseline: str
    delta: str | None
    """'+4 pts vs 32%' (percentage points against the baseline's odds); ``None`` when the shown
    numbers are the same or not computed."""


def odds_text(p: float | None, p_baseline: float | None) -> OddsText:
    d = odds_decimals(p, p_baseline)
    value, base = format_odds(p, d), format_odds(p_baseline, d)
    if p is None or p_baseline is None:
        return OddsText(value, base, None)
    diff = _shown(value) - _shown(base)
    if round(diff, d) == 0:
        return OddsText(value, base, None)
    return OddsText(value, base, f"{diff:+.{d}f} pts vs {base}")


def _shown(text: str) -> float:
    """The number a formatted probability shows ('<0.1%' counts as 0, '>99.9%' as 100)."""
    if text.startswith("<"):
        return 0.0
    if text.startswith(">"):
        return 100.0
    return float(text.rstrip("%"))


def format_year(y: int | None, horizon: int) -> str:
    return f"FY{y}" if y is not None else f"after FY{horizon}"


def range_text(stats: Mapping[str, np.ndarray], j: int = -1) -> str:
    """'$9.8B to $24.1B (median $15.3B)': the 10th to 90th percentile of a projection in one year."""
    lo, mid, hi = (money_b(float(stats[k][j]) / 1000.0) for k in ("p10", "p50", "p90"))
    return f"{lo} to {hi} (median {mid})"


def money_b(x: float) -> str:
    """US$ billions for a label: $3.81B, $24.1B."""
    return f"${x:.2f}B" if abs(x) < 10 else f"${x:.1f}B"


# --------------------------------------------------------------------------- wedges


def wedge_frames(
    years: np.ndarray, parts: Mapping[str, np.ndarray], difference: np.ndarray, base_year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wedge chart's tables (US$ B), starting at zero in the last reported year.

    ``parts``: each lever's exact additive part of (scenario - baseline), draws x years, from
    :meth:`simulator.app.compute.Run.contributions`; ``difference``: scenario minus baseline
    exports, draws x years. Returns (one row per year and lever: the part's ``middle_mean``; one
    row per year: the difference's ``middle_mean``, which the parts add up to, and its 10th and
    90th percentiles).

    ``middle_mean`` is :data:`simulator.robust.MIDDLE_LABEL`: each year, the mean over the draws
    whose difference lies between its 10th and 90th percentile (:func:`simulator.robust.middle_draws`),
    the same draws for every part, so the parts add up exactly and the total lies inside the band.
    A plain mean would follow the few runaway draws of the trend posterior's tail (docs/model.md,
    section 8), above the band's top by FY2039.
    """
    fy = np.concatenate([[base_year], years]).astype(np.int64)
    n = len(fy)
    keep, lo, hi = middle_band(difference)
    rows: dict[str, Any] = {"fiscal_year": np.tile(fy, len(LEVERS)), "lever": [], "label": [], "centre": []}
    for lv in LEVERS:
        rows["lever"] += [lv.name] * n
        rows["label"] += [lv.label] * n
        # a lever the scenario leaves alone has one row of zeros (it broadcasts over the draws)
        rows["centre"].append(np.concatenate([[0.0], middle_mean(parts[lv.name], keep)]))
    centre = rows.pop("centre")
    wedges = pd.DataFrame({**rows, "middle_mean": np.concatenate(centre) / 1000.0})
    band = pd.DataFrame(
        {
            "fiscal_year": fy,
            "middle_mean": np.concatenate([[0.0], middle_mean(difference, keep)]) / 1000.0,
            "p10": np.concatenate([[0.0], lo]) / 1000.0,
            "p90": np.concatenate([[0.0], hi]) / 1000.0,
        }
    )
    return wedges, band


# --------------------------------------------------------------------------- provenance


ORGANISATIONS = {
    "SBP": "State Bank of Pakistan",
    "PBS": "Pakistan Bureau of Statistics",
    "MoITT": "Ministry of IT and Telecommunication",
}
"""Full names of the publishers abbreviated in ``calibration/data/observations.csv``."""


def source_line(history: pd.DataFrame) -> str:
    """Who published the reported figures drawn on the chart, most recent publisher first."""
    names: list[str] = []
    for org in history.sort_values("fiscal_year", ascending=False)["source"]:
        for part in str(org).replace("(citing ", "; ").rstrip(")").split("; "):
            name = ORGANISATIONS.get(part.strip(), part.strip())
            if name and name not in names:
                names.append(name)
    return "Reported ICT-services exports: " + ", ".join(names)


def data_vintage(data: Dataset, base_year: int) -> str:
    """'figures published up to 2025-08-20; last full year FY2025'."""
    dates = [o.published for o in data.observations if o.published is not None]
    latest = (
        f"figures published up to {max(dates, key=lambda d: d.first_day)}" if dates else "undated figures"
    )
    return f"{latest}; last full year FY{base_year}"


# --------------------------------------------------------------------------- scenario texts

Choices = dict[float, dict[int, list[Target]]]
"""For each headline amount: deadline year -> the statements that set it (earliest first)."""


def chosen_targets(choices: Choices, chosen: Mapping[float, int | None]) -> list[Target]:
    """The target statement each card uses: the chosen deadline's first statement."""
    return [
        by_year[year][0]
        for a, by_year in choices.items()
        if (year := chosen.get(a)) is not None and year in by_year
    ]


def setting_text(name: str, scenario: Scenario) -> str:
    """How a scenario sets one lever, in a few words."""
    lv = LEVER_BY_NAME[name]
    s = scenario.lever_settings().get(name)
    if s is None:
        return f"current policy ({lv.default:g})"
    if isinstance(s, int | float):
        return f"{s:g} {lv.unit}"
    if s.value is not None:
        start = f" from FY{s.start}" if s.start is not None else ""
        ramp = f" over {s.ramp_years} years" if s.ramp_years > 1 else ""
        return f"{s.value:g} {lv.unit}{start}{ramp}"
    return "path: " + ", ".join(f"FY{y}: {v:g}" for y, v in sorted(s.values.items()))


def levers_summary(scenario: Scenario) -> str:
    """What a scenario changes, in one line."""
    parts = [f"{LEVER_BY_NAME[n].label}: {setting_text(n, scenario)}" for n in scenario.lever_settings()]
    extra = []
    if scenario.assumption_overrides():
        extra.append(f"{len(scenario.assumption_overrides())} assumption(s) changed")
    if scenario.trend.model_dump(exclude_none=True):
        extra.append("trend changed")
    return "; ".join(parts + extra) or "current policy"
