"""The targets' track record: past dated targets against what happened; open targets against pace.

Outcomes are read from the observations (the latest vintage of each full fiscal year, as
:func:`simulator.data.annual_series` picks it), never from the targets file, which stores no
outcomes. A *past* target has a deadline no later than the last full year of data; an *open*
target has a later deadline or none.

For an open target with a deadline, the growth it needs is the compound annual growth from the
last full year's exports to the amount by the deadline; it is set against the growth achieved
over the last five years of data and against the calibrated trend of the model. For an open
target without a deadline, the year it would be reached at each of those paces is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from simulator.data import Dataset, Target, annual_series
from simulator.engine import Engine

RECENT_YEARS = 5


def money(musd: float) -> str:
    """US$ millions as text: ``$0.39B``, or ``$10m`` under $100m."""
    return f"${musd:,.0f}m" if abs(musd) < 100 else f"${musd / 1000:.2f}B"


@dataclass(frozen=True)
class PastTarget:
    target: Target
    outcome_musd: float | None
    """Reported exports in the deadline year (None: no full-year figure for that year)."""

    @property
    def met(self) -> bool | None:
        return None if self.outcome_musd is None else self.outcome_musd >= self.target.amount_musd

    @property
    def difference_musd(self) -> float | None:
        return None if self.outcome_musd is None else self.outcome_musd - self.target.amount_musd

    @property
    def difference_share(self) -> float | None:
        d = self.difference_musd
        return None if d is None else d / self.target.amount_musd

    @property
    def stated_after_deadline(self) -> bool:
        """Said after the deadline year had ended (30 June): a claim about a known result, not a goal."""
        said, deadline = self.target.said_on, self.target.deadline_fy
        return said is not None and deadline is not None and said.first_day > date(deadline, 6, 30)

    def text(self) -> str:
        t = self.target
        said = f"said {t.said_on}" if t.said_on else "date of statement unknown"
        if self.stated_after_deadline:
            said += ", after the year had ended"
        head = f"${t.amount_musd / 1000:g}B by FY{t.deadline_fy} ({t.who}, {said})"
        d, share = self.difference_musd, self.difference_share
        if self.outcome_musd is None or d is None or share is None:
            return f"{head}: no full-year figure for FY{t.deadline_fy} in the data"
        verdict = "met" if self.met else "missed"
        share = abs(share)
        pct = f"{share:.1%}" if share < 0.01 else f"{share:.0%}"
        side = "above" if d >= 0 else "below"
        return (
            f"{head}: {verdict}. Reported FY{t.deadline_fy}: ${self.outcome_musd / 1000:.2f}B, "
            f"{money(abs(d))} ({pct}) {side} the target."
        )


@dataclass(frozen=True)
class Pace:
    """Growth achieved: the last :data:`RECENT_YEARS` years of data and the calibrated trend."""

    base_year: int
    base_musd: float
    recent_start: int
    recent_pct: float
    trend_pct: float


@dataclass(frozen=True)
class OpenTarget:
    target: Target
    pace: Pace

    @property
    def years_left(self) -> int | None:
        d = self.target.deadline_fy
        return None if d is None else d - self.pace.base_year

    @property
    def required_pct(self) -> float | None:
        n = self.years_left
        if n is None:
            return None
        return ((self.target.amount_musd / self.pace.base_musd) ** (1.0 / n) - 1.0) * 100.0

    def year_at(self, growth_pct: float) -> int | None:
        """First fiscal year the amount is reached growing at ``growth_pct`` from the base year."""
        ratio = self.target.amount_musd / self.pace.base_musd
        if ratio <= 1:
            return self.pace.base_year
        if growth_pct <= 0:
            return None
        return self.pace.base_year + math.ceil(math.log(ratio) / math.log1p(growth_pct / 100.0) - 1e-9)

    def text(self) -> str:
        t, p = self.target, self.pace
        head = f"${t.amount_musd / 1000:g}B"
        achieved = (
            f"{p.recent_pct:.1f}% a year achieved over FY{p.recent_start}-FY{p.base_year} "
            f"and the model's calibrated trend of {p.trend_pct:.1f}%"
        )
        if self.required_pct is None:
            recent, trend = self.year_at(p.recent_pct), self.year_at(p.trend_pct)
            return (
                f"{head}, no deadline ({t.who}): at the FY{p.recent_start}-FY{p.base_year} pace "
                f"({p.recent_pct:.1f}% a year) it would be reached in FY{recent}; "
                f"at the calibrated trend ({p.trend_pct:.1f}%) in FY{trend}."
            )
        req = self.required_pct
        ratio = req / p.recent_pct if p.recent_pct > 0 else math.inf
        compare = (
            f"{ratio:.1f} times the recent pace" if req > p.recent_pct else "no faster than the recent pace"
        )
        return (
            f"{head} by FY{t.deadline_fy} ({t.who}): needs {req:.1f}% a year for "
            f"{self.years_left} year{'s' if self.years_left != 1 else ''} from FY{p.base_year}'s "
            f"${p.base_musd / 1000:.2f}B, against {achieved}: {compare}."
        )


def pace(engine: Engine, years: int = RECENT_YEARS) -> Pace:
    start, cagr = engine.historical_cagr(years)
    hist = dict(engine.history())
    return Pace(
        base_year=engine.base_year,
        base_musd=hist[engine.base_year],
        recent_start=start,
        recent_pct=cagr * 100.0,
        trend_pct=engine.trend_growth_pct(),
    )


def past_targets(data: Dataset) -> list[PastTarget]:
    """Dated targets whose deadline is no later than the last full year of ``data``, with the outcome."""
    outcomes = {y: o.value_musd for y, o in annual_series(data.observations)}
    last = data.last_full_year
    out = [
        PastTarget(t, outcomes.get(t.deadline_fy))
        for t in data.targets
        if t.deadline_fy is not None and t.deadline_fy <= last
    ]
    return sorted(out, key=lambda p: (p.target.deadline_fy, p.target.amount_musd, p.target.id))


def open_targets(engine: Engine) -> list[OpenTarget]:
    """Targets with a later deadline or none, each against the pace achieved."""
    p = pace(engine)
    out = [OpenTarget(t, p) for t in engine.open_targets()]
    return sorted(
        out, key=lambda o: (o.target.deadline_fy is None, o.target.deadline_fy or 0, o.target.amount_musd)
    )


def summary(past: list[PastTarget]) -> str:
    """How many dated targets were met, counting apart those stated after their year had ended."""
    judged = [p for p in past if p.met is not None]
    ahead = [p for p in judged if not p.stated_after_deadline]
    met = sum(1 for p in ahead if p.met)
    text = (
        f"Of {len(ahead)} dated targets stated before their deadline year ended, {met} "
        f"{'was' if met == 1 else 'were'} met and {len(ahead) - met} missed"
    )
    after = len(judged) - len(ahead)
    if after:
        text += f" ({after} more were stated after the year had ended)"
    return text + "."


STATEMENT_COLUMNS = ("id", "amount_musd", "deadline_fy", "kind", "who", "said_on")
"""What both tables say about the statement itself (:func:`statement_cells`)."""
PAST_COLUMNS = (
    *STATEMENT_COLUMNS,
    "outcome_musd",
    "met",
    "stated_after_deadline",
    "difference_musd",
    "difference_share",
    "url",
)
OPEN_COLUMNS = (
    *STATEMENT_COLUMNS,
    "base_year",
    "base_musd",
    "required_growth_pct",
    "recent_growth_pct",
    "recent_window",
    "trend_growth_pct",
    "year_at_recent_pace",
    "year_at_trend",
    "url",
)


def statement_cells(t: Target) -> dict[str, object]:
    """The :data:`STATEMENT_COLUMNS` of a target (empty text for a missing deadline or date)."""
    return {
        "id": t.id,
        "amount_musd": t.amount_musd,
        "deadline_fy": t.deadline_fy or "",
        "kind": t.kind,
        "who": t.who,
        "said_on": str(t.said_on or ""),
    }


def past_rows(past: list[PastTarget]) -> list[dict[str, object]]:
    """Rows with :data:`PAST_COLUMNS`; ``difference_share`` is (outcome - amount) / amount."""
    return [
        {
            **statement_cells(p.target),
            "outcome_musd": "" if p.outcome_musd is None else p.outcome_musd,
            "met": "" if p.met is None else p.met,
            "stated_after_deadline": p.stated_after_deadline,
            "difference_musd": "" if p.difference_musd is None else p.difference_musd,
            "difference_share": "" if p.difference_share is None else p.difference_share,
            "url": p.target.url,
        }
        for p in past
    ]


def open_rows(items: list[OpenTarget]) -> list[dict[str, object]]:
    """Rows with :data:`OPEN_COLUMNS` (growth in % a year; empty where not applicable)."""
    rows = []
    for o in items:
        p = o.pace
        rows.append(
            {
                **statement_cells(o.target),
                "base_year": p.base_year,
                "base_musd": p.base_musd,
                "required_growth_pct": "" if o.required_pct is None else o.required_pct,
                "recent_growth_pct": p.recent_pct,
                "recent_window": f"FY{p.recent_start}-FY{p.base_year}",
                "trend_growth_pct": p.trend_pct,
                "year_at_recent_pace": o.year_at(p.recent_pct) or "",
                "year_at_trend": o.year_at(p.trend_pct) or "",
                "url": o.target.url,
            }
        )
    return rows
