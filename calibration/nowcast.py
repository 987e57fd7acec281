"""Seasonality of the year-to-date figures, revisions of first prints, and the nowcast of the
incomplete fiscal year.

* **Seasonality** of the year-to-date figures: the share of the full year reported by the end of
  each month, from complete years (latest vintages).
* **Revisions**: first print to latest print of year-to-date figures, log ratio.
* **Nowcast** of an incomplete year from its latest year-to-date figure, the seasonal share for
  that month and the typical revision of a first print.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.data import Dataset, annual_series, latest_vintages, revision_pairs, year_to_date
from simulator.params import Nowcast, Revisions, SeasonalShare


@dataclass(frozen=True)
class NowcastFit:
    """What the fit records about the incomplete year: its parameters and notes."""

    seasonality: list[SeasonalShare]
    revisions: Revisions
    nowcast: Nowcast | None
    notes: list[str]


def estimate_nowcast(data: Dataset, base_year: int) -> NowcastFit:
    """Seasonality, revisions and the nowcast of the year after ``base_year``."""
    seasonality = seasonal_shares(data, base_year)
    revisions = revision_stats(data)
    nowcast, note = nowcast_for(data, base_year, seasonality, revisions)
    return NowcastFit(seasonality, revisions, nowcast, [note])


def seasonal_shares(data: Dataset, base_year: int) -> list[SeasonalShare]:
    """Share of the full year reported by the end of each fiscal month, over complete years."""
    ytd = year_to_date(data.observations)
    full = {y: o.value_musd for y, o in annual_series(data.observations)}
    out = []
    for m in range(1, 12):
        logs = np.array(
            [np.log(ytd[y][m] / full[y]) for y in sorted(full) if y <= base_year and m in ytd.get(y, {})]
        )
        if len(logs) == 0:
            continue
        out.append(
            SeasonalShare(
                months=m,
                share_mean=float(np.exp(logs.mean())),
                share_sd=float(logs.std(ddof=1)) if len(logs) > 1 else float("nan"),
                n_years=len(logs),
            )
        )
    return out


def revision_stats(data: Dataset) -> Revisions:
    """Log ratio of latest to first print, over year-to-date and monthly figures."""
    r = np.array(
        [
            np.log(b.value_musd / a.value_musd)
            for a, b in revision_pairs(data.observations)
            if not a.is_full_year
        ]
    )
    if len(r) < 2:
        return Revisions(n_pairs=len(r), log_mean=0.0, log_sd=0.0)
    return Revisions(n_pairs=len(r), log_mean=float(r.mean()), log_sd=float(r.std(ddof=1)))


def nowcast_for(
    data: Dataset, base_year: int, seasonality: list[SeasonalShare], revisions: Revisions
) -> tuple[Nowcast | None, str]:
    """Implied full-year figure of the year after ``base_year`` from its year-to-date data."""
    year = base_year + 1
    ytd = year_to_date(data.observations).get(year, {})
    months = [m for m in ytd if m < 12]
    if not months:
        return None, f"No year-to-date figures for FY{year}: its projection uses the model alone."
    m = max(months)
    share = next((s for s in seasonality if s.months == m), None)
    if share is None or share.n_years < 2:
        return None, (
            f"FY{year} has figures to fiscal month {m}, but fewer than two complete years show that "
            "month's share of the year; the nowcast is skipped."
        )
    latest = latest_vintages(data.observations)
    chosen = next(
        (o for o in latest.values() if o.fiscal_year == year and o.is_year_to_date and o.months == m), None
    )
    vintages = [
        o
        for o in data.observations
        if chosen is not None and (o.period_start, o.period_end) == (chosen.period_start, chosen.period_end)
    ]
    first_print = len(vintages) <= 1
    rev_mean = revisions.log_mean if first_print else 0.0
    rev_var = revisions.log_sd**2 if first_print else 0.0
    log_mean = float(np.log(ytd[m]) - np.log(share.share_mean) + rev_mean)
    log_sd = float(np.sqrt(share.share_sd**2 * (1 + 1 / share.n_years) + rev_var))
    nc = Nowcast(
        fiscal_year=year,
        months=m,
        ytd_musd=float(ytd[m]),
        seasonal_share=share.share_mean,
        n_years=share.n_years,
        log_mean=log_mean,
        log_sd=log_sd,
    )
    return nc, (
        f"FY{year} nowcast from {m} months of figures (US$ {ytd[m]:,.0f}m): implied full year "
        f"US$ {np.exp(log_mean):,.0f}m (x/÷ {np.exp(log_sd):.3f}); the projection of FY{year} is "
        "conditioned on it."
    )
