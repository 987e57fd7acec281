"""Load and validate the peer panel, ``calibration/data/peers.csv``.

Annual IT / ICT-services exports of peer countries, one printed figure a row, every vintage kept.
The growth model learns from it how such exports grow at Pakistan's size (issue 9). The file is
validated row by row with the project's CSV toolkit (:mod:`simulator.data`); a bad row raises
:class:`~simulator.errors.InputError` naming the file, the line and the field.

A *series* is one country's figures on one definition from one compiler (``ind_wdi_ict``). A
country may have several series (a balance-of-payments series and an industry association's
revenue, say); at most one of them is marked ``use_in_panel`` and that is the one the model
learns from. The figure that represents a year of a series is its latest vintage, by the rule
Pakistan's figures follow (:func:`simulator.data.vintage_key`): a later publication date wins.
Two figures for the same year of a series with the same publication date are refused.

Countries kept for the out-of-sample check of the method (:data:`HELD_OUT_ISO3`) are refused.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator

from simulator.data import (
    DEFAULT_DATA_DIR,
    CsvRow,
    FieldError,
    PartialDate,
    _check_unique,
    check_slug,
    check_url,
    optional_date,
    read_rows,
    vintage_key,
)
from simulator.errors import InputError

PEERS_FILE = "peers.csv"

HELD_OUT_ISO3 = frozenset({"SRB", "ROU", "VNM", "BLR", "ARM", "CRI", "MAR", "KEN"})
"""Serbia, Romania, Vietnam, Belarus, Armenia, Costa Rica, Morocco and Kenya: kept out of the
panel for an independent out-of-sample check of the method (issue 9)."""

FIRST_YEAR = 1960
"""The earliest year a figure may be for (the World Bank's series start in 1960)."""

Definition = Literal["ict_services_bop", "computer_services_bop", "industry_revenue"]
"""``ict_services_bop``: telecommunications, computer and information services exports in the
balance of payments (BPM6; World Bank WDI BX.GSR.CCIS.CD), the definition of Pakistan's series.
``computer_services_bop``: computer services alone. ``industry_revenue``: an industry
association's revenue estimate (NASSCOM, IBPAP), not a balance-of-payments measure."""

_BASIS = re.compile(r"calendar|fiscal:(\d{2})-(\d{2})")


def period_end_month(year_basis: str) -> int:
    """Last month of a year on ``year_basis`` (``calendar``, or ``fiscal:MM-MM`` named by the
    calendar year it ends in, e.g. ``fiscal:04-03`` for India's April-March year)."""
    m = _BASIS.fullmatch(year_basis)
    if not m:
        raise ValueError("must be 'calendar' or 'fiscal:MM-MM' (first and last month, e.g. fiscal:07-06)")
    if m.group(1) is None:
        return 12
    first, last = int(m.group(1)), int(m.group(2))
    if not (1 <= first <= 12 and 1 <= last <= 12) or last != (first - 2) % 12 + 1:
        raise ValueError("a fiscal year runs twelve months: its last month is the one before its first")
    return last


class PeerRow(CsvRow):
    """One printed figure: a year of a series, as published on one page on one date."""

    series: str
    country: str
    iso3: str
    year: int
    year_basis: str
    value_musd: float
    definition: Definition
    source_org: str
    published: PartialDate | None
    url: str
    use_in_panel: bool
    note: str = ""

    _pub = field_validator("published", mode="before")(optional_date)
    _url = field_validator("url")(check_url)
    _slug = field_validator("series")(check_slug)

    @field_validator("country", "source_org")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v.strip()

    @field_validator("iso3")
    @classmethod
    def _iso3(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("must be a three-letter ISO code in capitals, e.g. IND")
        if v in HELD_OUT_ISO3:
            raise ValueError("is held out of the panel for the out-of-sample check of the method")
        return v

    @field_validator("year")
    @classmethod
    def _year(cls, v: int) -> int:
        if not FIRST_YEAR <= v <= date.today().year:
            raise ValueError(f"must be a year from {FIRST_YEAR} to this year")
        return v

    @field_validator("year_basis")
    @classmethod
    def _basis(cls, v: str) -> str:
        period_end_month(v)
        return v

    @field_validator("value_musd")
    @classmethod
    def _positive(cls, v: float) -> float:
        if not (math.isfinite(v) and v > 0):
            raise ValueError("must be a finite positive amount in US$ millions")
        return v

    @field_validator("use_in_panel", mode="before")
    @classmethod
    def _flag(cls, v: object) -> object:
        if isinstance(v, str) and v.strip() not in ("true", "false"):
            raise ValueError("must be true or false")
        return v

    @model_validator(mode="after")
    def _dates(self) -> PeerRow:
        if self.published is None:
            raise FieldError("published", "", "every figure needs its publication date")
        if self.published.first_day > date.today():
            raise FieldError("published", str(self.published), "is in the future")
        period_end = date(self.year, period_end_month(self.year_basis), 1)
        if self.published.first_day < period_end:
            raise FieldError("published", str(self.published), f"is before the end of {self.year}")
        return self


@dataclass(frozen=True)
class PeerSeries:
    """One series, each year represented by its latest vintage, sorted by year."""

    series: str
    country: str
    iso3: str
    definition: str
    year_basis: str
    points: tuple[tuple[int, float], ...]
    use_in_panel: bool = True

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(y for y, _ in self.points)

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(v for _, v in self.points)

    @property
    def gaps(self) -> tuple[int, ...]:
        """Years between the first and the last with no figure."""
        have = set(self.years)
        return tuple(y for y in range(self.years[0], self.years[-1] + 1) if y not in have)


@dataclass(frozen=True)
class PeerPanel:
    """The validated peer file: the series the model learns from, and every row behind them."""

    series: tuple[PeerSeries, ...]
    """The series marked ``use_in_panel``, one a country, sorted by series id."""
    rows: tuple[PeerRow, ...]
    """Every row of the file (all series, all vintages), in file order."""
    path: Path
    sha256: str
    """Hash of the file's bytes, for provenance of anything fitted on it."""

    def all_series(self) -> tuple[PeerSeries, ...]:
        """Every series in the file, the panel's and the others, latest vintages."""
        return _build_series(self.rows)

    def vintages(self, series: str, year: int) -> tuple[PeerRow, ...]:
        """Every printed figure for one year of a series, oldest vintage first."""
        return tuple(sorted((r for r in self.rows if r.series == series and r.year == year), key=vintage_key))

    def get(self, key: str) -> PeerSeries:
        """A panel series by its id or its country's ISO code."""
        for s in self.series:
            if key in (s.series, s.iso3):
                return s
        raise KeyError(key)


def load_peer_panel(directory: str | Path | None = None) -> PeerPanel:
    """Load and validate ``peers.csv`` in ``directory`` (default: the bundled ``calibration/data``)."""
    path = Path(directory if directory is not None else DEFAULT_DATA_DIR) / PEERS_FILE
    rows = read_rows(path, PeerRow)
    if not rows:
        raise InputError("has no figures", file=path)
    # one figure per series, year and publication date: a revision carries a later date
    _check_unique(path, rows, lambda r: (r.series, r.year, str(r.published)), "year")
    _check_series(path, rows)
    panel = tuple(s for s in _build_series(rows) if s.use_in_panel)
    if not panel:
        raise InputError("no series is marked use_in_panel=true", file=path, field="use_in_panel")
    return PeerPanel(panel, tuple(rows), path, hashlib.sha256(path.read_bytes()).hexdigest())


_SERIES_FIELDS = ("country", "iso3", "definition", "year_basis", "use_in_panel")


def _check_series(path: Path, rows: list[PeerRow]) -> None:
    """One country, one definition, one year basis and one panel flag per series; at most one
    panel series per country."""
    first: dict[str, PeerRow] = {}
    panel_of: dict[str, PeerRow] = {}
    for r in rows:
        f = first.setdefault(r.series, r)
        for field in _SERIES_FIELDS:
            if getattr(r, field) != getattr(f, field):
                raise InputError(
                    f"differs from line {f.line} of series {r.series} ({getattr(f, field)!r}); "
                    "a series keeps one country, definition, year basis and panel flag: "
                    "give another definition its own series id",
                    file=path,
                    line=r.line,
                    field=field,
                    value=getattr(r, field),
                )
        if r.use_in_panel:
            other = panel_of.setdefault(r.iso3, r)
            if other.series != r.series:
                raise InputError(
                    f"{r.iso3} already has series {other.series} in the panel (line {other.line}); "
                    "mark one series per country use_in_panel=true",
                    file=path,
                    line=r.line,
                    field="use_in_panel",
                )


def _build_series(rows: Iterable[PeerRow]) -> tuple[PeerSeries, ...]:
    latest: dict[tuple[str, int], PeerRow] = {}
    for r in rows:
        k = (r.series, r.year)
        if k not in latest or vintage_key(r) > vintage_key(latest[k]):
            latest[k] = r
    by_series: dict[str, list[PeerRow]] = {}
    for r in latest.values():
        by_series.setdefault(r.series, []).append(r)
    out = []
    for sid in sorted(by_series):
        rs = sorted(by_series[sid], key=lambda r: r.year)
        h = rs[0]
        out.append(
            PeerSeries(
                series=sid,
                country=h.country,
                iso3=h.iso3,
                definition=h.definition,
                year_basis=h.year_basis,
                points=tuple((r.year, r.value_musd) for r in rs),
                use_in_panel=h.use_in_panel,
            )
        )
    return tuple(out)
