"""Plausibility warnings: growth outside anything observed, said next to the result.

Two references, both documented:

1. **Pakistan's own record**: compound annual growth of reported ICT-services exports over
   every window of the full-year series (latest vintage of each year, read from
   ``calibration/data/observations.csv`` through the engine's dataset). The fastest growth over a
   window of ``L`` years is the reference for any ``L``-year window, provided the record has at
   least :data:`MIN_WINDOWS` windows of that length (with FY2011-FY2015 missing, it has one
   ten-year window: one episode, not a record). For a length with fewer, the reference is the
   fastest growth over the longest shorter length that has enough windows, kept up for ``L``
   years. And a window may always grow as much as a shorter one did (the reference growth
   *factor* never falls as the window gets longer), so a harder goal (more, or sooner) never
   gets fewer warnings than an easier one. The worst single year is the reference for a fall.
2. **Comparable countries**: sustained (five years or more) growth of IT-services exports or
   IT-BPM revenues in countries that built the industry fast: ``reference_growth.csv`` next to
   this module, one row per episode, each with its source, address and publication date. A
   growth rate is either stated by the source (``basis = stated``) or computed here from the
   first and last values it gives (``basis = computed``; the file then holds the values, not the
   rate). Only windows of five years or more are compared with these episodes: the sources give
   multi-year averages, and single years swing far more.

What is checked
---------------
:func:`check` (a projection): the median projection (with the last years of data before it)
over every five-year window ending in a projection year, and in every single projection year,
against Pakistan's fastest growth over a window of the same length and, for the five-year
windows, against the fastest comparable episode; and every single-year fall against the worst
year on record. :func:`check_goal` (a goal): the growth a target needs each year from the last
full year to its deadline, against the same references for a window of that length.

Each warning says what was exceeded, by how many percentage points, and which reference it was.
Only the worst window of each kind is reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator

from simulator import resources
from simulator.analysis.goals import Goal
from simulator.data import CsvRow, FieldError, PartialDate, check_url, optional_date, read_rows
from simulator.engine import Engine, Projection
from simulator.errors import InputError

REFERENCE_FILE = resources.reference_growth_file()
SUSTAINED_YEARS = 5
"""Windows at least this long count as sustained growth and are compared with other countries."""
MIN_WINDOWS = 3
"""Assumption: the fastest of fewer than three windows of one length is one or two episodes, not a
record; such a length is compared with the longest shorter length that has at least this many."""


# --------------------------------------------------------------------------- the reference table


class Episode(CsvRow):
    """A period of fast growth of IT-services exports (or revenues) in a comparable country."""

    id: str
    country: str
    series: str
    first_year: int
    last_year: int
    basis: Literal["stated", "computed"]
    growth_pct: float | None = None
    first_value_musd: float | None = None
    last_value_musd: float | None = None
    source_org: str
    url: str
    published: PartialDate | None
    url_end: str = ""
    published_end: PartialDate | None = None
    note: str

    _url = field_validator("url")(check_url)
    _pub = field_validator("published", "published_end", mode="before")(optional_date)

    @field_validator("growth_pct", "first_value_musd", "last_value_musd", mode="before")
    @classmethod
    def _empty_number(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("url_end")
    @classmethod
    def _url_end(cls, v: str) -> str:
        return check_url(v) if v.strip() else ""

    @model_validator(mode="after")
    def _consistent(self) -> Episode:
        if self.last_year - self.first_year < SUSTAINED_YEARS:
            raise FieldError(
                "last_year", self.last_year, f"an episode must span at least {SUSTAINED_YEARS} years"
            )
        if self.basis == "stated":
            if self.growth_pct is None:
                raise FieldError("growth_pct", "", "a stated episode needs the growth its source states")
            if self.first_value_musd is not None or self.last_value_musd is not None:
                raise FieldError("first_value_musd", self.first_value_musd, "a stated episode has no values")
        else:
            if self.growth_pct is not None:
                raise FieldError(
                    "growth_pct", self.growth_pct, "a computed episode gives its values; the rate is computed"
                )
            for name in ("first_value_musd", "last_value_musd"):
                v = getattr(self, name)
                if v is None or not v > 0:
                    raise FieldError(name, v, "a computed episode needs positive first and last values")
        if self.published is None:
            raise FieldError("published", "", "every reference needs its publication date")
        return self

    @property
    def years(self) -> int:
        return self.last_year - self.first_year

    @property
    def cagr_pct(self) -> float:
        if self.growth_pct is not None:
            return self.growth_pct
        first, last = self.first_value_musd, self.last_value_musd
        assert first is not None and last is not None  # a computed episode has both (validated)
        return ((last / first) ** (1.0 / self.years) - 1.0) * 100.0

    @property
    def label(self) -> str:
        return f"{self.country}, {self.series}, {self.first_year}-{self.last_year}"


@lru_cache(maxsize=4)
def load_reference(path: Path | None = None) -> tuple[Episode, ...]:
    """The comparable-country episodes, validated row by row (an :class:`InputError` names the line)."""
    p = Path(path) if path is not None else REFERENCE_FILE
    rows = read_rows(p, Episode)
    seen: dict[str, int] = {}
    for r in rows:
        if r.id in seen:
            raise InputError(f"duplicates line {seen[r.id]}", file=p, line=r.line, field="id", value=r.id)
        seen[r.id] = r.line
    return tuple(rows)


# --------------------------------------------------------------------------- Pakistan's record


@dataclass(frozen=True)
class Window:
    first_year: int
    last_year: int
    growth_pct: float

    @property
    def years(self) -> int:
        return self.last_year - self.first_year


def growth_windows(series: list[tuple[int, float]]) -> list[Window]:
    """Compound annual growth between every pair of years of ``series`` (year, value)."""
    out = []
    for i, (y0, v0) in enumerate(series):
        for y1, v1 in series[i + 1 :]:
            out.append(Window(y0, y1, ((v1 / v0) ** (1.0 / (y1 - y0)) - 1.0) * 100.0))
    return out


@dataclass(frozen=True)
class Reference:
    """What growth over ``years`` years is compared with: a growth factor Pakistan's record shows
    is possible in that many years, and the window it comes from."""

    years: int
    window: Window
    """The observed window the factor comes from."""
    multiple: float
    """Growth factor allowed over ``years`` years."""
    kind: Literal["own", "kept_up", "within"]
    """``own``: the fastest window of this length; ``kept_up``: a shorter length's fastest rate
    kept up (too few windows of this length); ``within``: a shorter window grew more."""
    count: int
    """Windows of this length in the record."""

    @property
    def growth_pct(self) -> float:
        """The factor as compound annual growth over ``years`` years."""
        return (self.multiple ** (1.0 / self.years) - 1.0) * 100.0

    def text(self) -> str:
        w, n = self.window, self.years
        if self.kind == "own":
            return _window_text(w)
        if self.kind == "kept_up":
            many = f"{self.count} window{'s' if self.count != 1 else ''}"
            return (
                f"{_window_text(w)} kept up for {n} years (the record has {many} of {n} years, "
                f"fewer than {MIN_WINDOWS})"
            )
        return (
            f"Pakistan's fastest growth within {n} years on record (a factor of {self.multiple:.2f} "
            f"in {w.years} years, FY{w.first_year}-FY{w.last_year}: {self.growth_pct:.1f}% a year "
            f"over {n} years)"
        )


@dataclass(frozen=True)
class Record:
    """Pakistan's full-year series: fastest growth by window length, and the worst single year."""

    history: tuple[tuple[int, float], ...]

    @cached_property
    def _windows(self) -> tuple[Window, ...]:
        return tuple(growth_windows(list(self.history)))

    @cached_property
    def _fastest_by_length(self) -> dict[int, Window]:
        best: dict[int, Window] = {}
        for w in self._windows:
            if w.years not in best or w.growth_pct > best[w.years].growth_pct:
                best[w.years] = w
        return best

    def fastest(self, years: int) -> Window | None:
        """Fastest growth over windows of exactly ``years`` years; else the nearest longer length."""
        longer = [n for n in self._fastest_by_length if n >= years]
        return self._fastest_by_length[min(longer)] if longer else None

    @cached_property
    def _counts(self) -> Counter[int]:
        return Counter(w.years for w in self._windows)

    def reference(self, years: int) -> Reference | None:
        """The growth factor that growth over ``years`` years is compared with (module docstring);
        ``None`` when the record has no length with enough windows up to ``years``."""
        best: Reference | None = None
        usable: int | None = None
        for n in range(1, years + 1):
            if self._counts[n] >= MIN_WINDOWS:
                usable = n
            if usable is None:
                continue
            w = self._fastest_by_length[usable]
            multiple = (1.0 + w.growth_pct / 100.0) ** n
            if best is None or multiple > best.multiple:
                best = Reference(n, w, multiple, "own" if usable == n else "kept_up", self._counts[n])
        if best is None:
            return None
        if best.years == years:
            return best
        return Reference(years, best.window, best.multiple, "within", self._counts[years])

    def worst_year(self) -> Window | None:
        years = [w for w in self._windows if w.years == 1]
        return min(years, key=lambda w: w.growth_pct) if years else None


@lru_cache(maxsize=16)
def record(engine: Engine) -> Record:
    """Pakistan's record as the engine's data show it (computed once per engine)."""
    return Record(tuple(engine.history()))


def fastest_episode(episodes: tuple[Episode, ...] | None = None) -> Episode | None:
    eps = episodes if episodes is not None else load_reference()
    return max(eps, key=lambda e: e.cagr_pct) if eps else None


# --------------------------------------------------------------------------- warnings


Kind = Literal["path_window", "path_year", "path_fall", "required"]


@dataclass(frozen=True)
class PlausibilityWarning:
    """Growth outside what was observed, with the reference it was compared with."""

    kind: Kind
    first_year: int
    last_year: int
    growth_pct: float
    limit_pct: float
    reference: str
    """What the limit is, in words, with its years and source."""
    beyond_all: bool
    """True when the growth is also beyond every comparable-country episode (sustained windows)."""
    message: str

    @property
    def excess_pts(self) -> float:
        return self.growth_pct - self.limit_pct

    def __str__(self) -> str:
        return self.message


def _window_text(w: Window) -> str:
    if w.years == 1:
        return f"Pakistan's fastest year on record ({w.growth_pct:.1f}%, FY{w.last_year})"
    return (
        f"Pakistan's fastest {w.years}-year growth on record "
        f"({w.growth_pct:.1f}% a year, FY{w.first_year}-FY{w.last_year})"
    )


def _period(first: int, last: int) -> str:
    return f"in FY{last}" if last - first == 1 else f"a year over FY{first}-FY{last}"


def _episode_reference(e: Episode) -> str:
    return (
        f"the fastest sustained growth among the comparable countries listed "
        f"({e.cagr_pct:.1f}% a year: {e.label}; {e.source_org}, {e.published})"
    )


def _assess(
    kind: Kind,
    subject: str,
    first: int,
    last: int,
    multiple: float,
    rec: Record,
    episodes: tuple[Episode, ...],
) -> PlausibilityWarning | None:
    """A warning if growth by the factor ``multiple`` over ``first``-``last`` is beyond Pakistan's
    record for that length (factors are compared, so a harder goal is never judged more leniently)."""
    years = last - first
    ref = rec.reference(years)
    if ref is None or not multiple > ref.multiple:
        return None
    growth = (multiple ** (1.0 / years) - 1.0) * 100.0
    limit = ref.growth_pct
    top = fastest_episode(episodes) if years >= SUSTAINED_YEARS else None
    beyond_all = top is not None and growth > top.cagr_pct
    msg = f"{subject} {growth:.1f}% {_period(first, last)}, {growth - limit:.1f} points above {ref.text()}"
    if top is not None:
        if beyond_all:
            msg += f", and {growth - top.cagr_pct:.1f} points above {_episode_reference(top)}"
        else:
            msg += f"; within {_episode_reference(top)}"
    elif years < SUSTAINED_YEARS:
        msg += f" (shorter than {SUSTAINED_YEARS} years: compared with Pakistan's record only)"
    return PlausibilityWarning(kind, first, last, growth, limit, ref.text(), beyond_all, msg + ".")


def check(projection: Projection, episodes: tuple[Episode, ...] | None = None) -> list[PlausibilityWarning]:
    """Warnings for the median projection of ``projection`` (empty when nothing is out of range).

    Checks every five-year window ending in a projection year (the last years of data fill the
    start of the early windows), every single projection year, and every single-year fall.
    Returns at most one warning of each kind: the window that exceeds its reference most.
    """
    eps = episodes if episodes is not None else load_reference()
    rec = record(projection.engine)
    median = [(int(y), float(v)) for y, v in zip(projection.years, projection.stats["p50"], strict=True)]
    path = dict(projection.engine.history())
    path.update(median)
    first_proj = int(projection.years[0])
    out: list[PlausibilityWarning] = []
    worst: dict[Kind, PlausibilityWarning] = {}
    subject = "The median projection grows"
    for y1, v1 in median:
        windows: tuple[tuple[Kind, int], ...] = (("path_window", SUSTAINED_YEARS), ("path_year", 1))
        for kind, length in windows:
            y0 = y1 - length
            if y0 not in path:
                continue
            w = _assess(kind, subject, y0, y1, v1 / path[y0], rec, eps)
            if w is not None and (kind not in worst or w.excess_pts > worst[kind].excess_pts):
                worst[kind] = w
        fall = rec.worst_year()
        prev = path.get(y1 - 1)
        if fall is not None and prev is not None and y1 >= first_proj:
            g = (v1 / prev - 1.0) * 100.0
            if g < fall.growth_pct and ("path_fall" not in worst or g < worst["path_fall"].growth_pct):
                ref = f"the worst year on record ({fall.growth_pct:+.1f}%, FY{fall.last_year})"
                worst["path_fall"] = PlausibilityWarning(
                    "path_fall",
                    y1 - 1,
                    y1,
                    g,
                    fall.growth_pct,
                    ref,
                    False,
                    f"The median projection falls {abs(g):.1f}% in FY{y1}, "
                    f"{fall.growth_pct - g:.1f} points worse than {ref}.",
                )
    for kind in ("path_window", "path_year", "path_fall"):
        if kind in worst:
            out.append(worst[kind])
    return out


def required_growth_pct(engine: Engine, goal: Goal) -> float:
    """Compound annual growth from the last full year's exports to the goal's amount by its deadline."""
    base = dict(engine.history())[engine.base_year]
    n = goal.deadline_fy - engine.base_year
    return ((goal.amount_musd / base) ** (1.0 / n) - 1.0) * 100.0


def check_goal(
    engine: Engine, goal: Goal, episodes: tuple[Episode, ...] | None = None
) -> PlausibilityWarning | None:
    """A warning when the growth ``goal`` needs is beyond Pakistan's record for a window that long."""
    eps = episodes if episodes is not None else load_reference()
    multiple = goal.amount_musd / dict(engine.history())[engine.base_year]
    subject = f"{goal.label} needs"
    return _assess("required", subject, engine.base_year, goal.deadline_fy, multiple, record(engine), eps)


def reference_rows(engine: Engine, episodes: tuple[Episode, ...] | None = None) -> list[dict[str, object]]:
    """The reference ranges as a table: Pakistan's fastest windows (1, 5 years) and every episode."""
    eps = episodes if episodes is not None else load_reference()
    rec = record(engine)
    rows: list[dict[str, object]] = []
    for length in (1, SUSTAINED_YEARS):
        w = rec.fastest(length)
        if w is not None:
            rows.append(
                {
                    "country": "Pakistan",
                    "series": f"ICT-services exports, fastest {length}-year window (observations.csv)",
                    "years": f"FY{w.first_year}-FY{w.last_year}",
                    "growth_pct": w.growth_pct,
                    "basis": "computed",
                    "source": "calibration/data/observations.csv (SBP / PBS, latest vintage)",
                    "published": "",
                }
            )
    for e in eps:
        rows.append(
            {
                "country": e.country,
                "series": e.series,
                "years": f"{e.first_year}-{e.last_year}",
                "growth_pct": e.cagr_pct,
                "basis": e.basis,
                "source": f"{e.source_org}: {e.url}" + (f" and {e.url_end}" if e.url_end else ""),
                "published": str(e.published) + (f" / {e.published_end}" if e.published_end else ""),
            }
        )
    return rows
