"""Forecast a series that is not in the panel, with the panel as its prior.

``python -m calibration peers forecast --series FILE.csv --origin YEAR --horizons 1-5``: the
file has columns ``country,year,value_musd`` (one or more countries, annual figures in US$ m).
For each country the panel model is fitted on the peers' figures up to the origin (a country of
the file that is also in the panel is left out of it), and the country's figures up to the
origin are its data. This is how the countries held out of the panel are checked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import field_validator

from calibration import peers
from calibration.peer_data import FIRST_YEAR, PeerPanel
from calibration.peers_backtest import MIN_HISTORY
from calibration.peers_fit import SEED, panel_entries
from simulator.data import MAX_MUSD, CsvRow, read_rows
from simulator.errors import InputError

MAX_HORIZON = 30


class SeriesRow(CsvRow):
    country: str
    year: int
    value_musd: float

    @field_validator("country")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v.strip()

    @field_validator("year")
    @classmethod
    def _year(cls, v: int) -> int:
        if not FIRST_YEAR <= v <= 2100:
            raise ValueError(f"must be a year from {FIRST_YEAR} to 2100")
        return v

    @field_validator("value_musd")
    @classmethod
    def _value(cls, v: float) -> float:
        if not (math.isfinite(v) and 0 < v <= MAX_MUSD):
            raise ValueError(f"must be a positive amount in US$ millions, at most {MAX_MUSD:,.0f}")
        return v


def parse_horizons(text: str) -> tuple[int, ...]:
    """``"1-5"``, ``"3"`` or ``"1,2,5"`` to a sorted tuple of distinct horizons (1 to 30)."""
    t = text.strip()
    if re.fullmatch(r"\d+-\d+", t):
        a, b = (int(x) for x in t.split("-"))
        out = tuple(range(a, b + 1))
    elif re.fullmatch(r"\d+(,\d+)*", t):
        out = tuple(sorted({int(x) for x in t.split(",")}))
    else:
        out = ()
    if not out or out[0] < 1 or out[-1] > MAX_HORIZON:
        raise ValueError(f"expected horizons such as 1-5 or 1,3,5 (years, 1 to {MAX_HORIZON}), got {text!r}")
    return out


def read_series(path: Path) -> dict[str, list[SeriesRow]]:
    """The file's rows by country, each sorted by year; one figure per country and year."""
    rows = read_rows(path, SeriesRow)
    if not rows:
        raise InputError("has no figures", file=path)
    by: dict[str, list[SeriesRow]] = {}
    for r in rows:
        seen = next((o for o in by.get(r.country, []) if o.year == r.year), None)
        if seen is not None:
            raise InputError(
                f"{r.country} {r.year} already has a figure on line {seen.line}; give one figure a year",
                file=path,
                line=r.line,
                field="year",
                value=r.year,
            )
        by.setdefault(r.country, []).append(r)
    return {k: sorted(v, key=lambda r: r.year) for k, v in by.items()}


@dataclass(frozen=True)
class Forecast:
    country: str
    origin: int
    year: int
    horizon: int
    p10: float
    p50: float
    p90: float

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def panel_match(panel: PeerPanel, name: str) -> str | None:
    """The ISO code of the panel country called ``name`` (or with that ISO code), if any."""
    for s in panel.series:
        if name.casefold() in (s.country.casefold(), s.iso3.casefold()):
            return s.iso3
    return None


def forecast(
    panel: PeerPanel,
    rows: list[SeriesRow],
    *,
    origin: int,
    horizons: tuple[int, ...],
    path: Path,
    form: peers.Form,
    shocks: peers.Shocks = "constant",
) -> list[Forecast]:
    """One country's forecasts from ``origin`` (a year it has a figure for)."""
    name = rows[0].country
    hist = [r for r in rows if r.year <= origin]
    if not any(r.year == origin for r in rows):
        raise InputError(
            f"{name} has no figure for the origin year {origin}",
            file=path,
            field="origin",
            value=origin,
            allowed=f"a year with a figure: {rows[0].year} to {rows[-1].year}",
        )
    if len(hist) < MIN_HISTORY:
        raise InputError(
            f"{name} has {len(hist)} figures up to {origin}; the forecast needs at least {MIN_HISTORY}",
            file=path,
            field="origin",
            value=origin,
        )
    entries = panel_entries(panel, until=origin, exclude=panel_match(panel, name))
    hyper = peers.sample_panel([[e.stats for e in entries]], form, seed=SEED, shocks=shocks)
    st = peers.series_stats([r.year for r in hist], [r.value_musd for r in hist])
    post = peers.country_posterior(st, hyper, n=peers.SAMPLER.keep * peers.SAMPLER.chains, seed=SEED + 1)
    x = peers.predictive_draws(post, st.last_y, horizons, seed=SEED + 2)
    q = np.exp(np.percentile(x, [10, 50, 90], axis=0)) * peers.REFERENCE_MUSD
    return [
        Forecast(name, origin, origin + h, h, float(q[0, j]), float(q[1, j]), float(q[2, j]))
        for j, h in enumerate(horizons)
    ]
