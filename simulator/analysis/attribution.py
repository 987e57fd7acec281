"""Attribution: how much of the gap between the baseline and a target each lever closes.

For a scenario projected with the baseline's draws, :meth:`simulator.engine.Projection.contributions`
splits *scenario minus baseline* into one exact additive part per lever, per draw and year (the
LMDI-I decomposition of :func:`simulator.model.decompose`). At a goal's deadline:

* the **gap** is the amount minus baseline exports;
* each lever **closes** its contribution; the contributions add up to scenario minus baseline
  in every draw;
* what **remains** is the amount minus scenario exports (negative: the scenario overshoots).

Centres over draws must add up exactly (``gap = sum of the levers' contributions + remaining``);
medians do not. Two are reported, each additive:

* the **middle** (the headline the app and ``simulator attribute`` show,
  :data:`simulator.robust.MIDDLE_LABEL`): every quantity averaged over the draws whose
  scenario-minus-baseline difference at the deadline lies between its 10th and 90th percentile
  (:func:`simulator.robust.middle_draws`), the draws the wedge chart averages that year;
* the plain **mean** over every draw (the CSV's ``*mean*`` columns, as named). At long horizons
  a few runaway draws of the trend posterior decide it (docs/model.md, section 8): read it with
  the median and the middle beside it.

The uncertainty of each lever's contribution is its 10th and 90th percentile over draws. The
median of baseline and scenario exports is reported alongside.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from simulator.analysis.goals import Goal
from simulator.engine import Projection
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME
from simulator.robust import MIDDLE_LABEL, middle_draws, middle_mean

REMAINING = "remaining"


@dataclass(frozen=True)
class LeverPart:
    lever: str
    mean_musd: float
    p10_musd: float
    p90_musd: float
    share_of_gap: float | None
    """Mean contribution over the mean gap (None when the baseline already reaches the amount)."""
    middle_musd: float
    """The contribution's mean over the middle draws (see the module's docstring)."""


@dataclass(frozen=True)
class Attribution:
    """The gap to one goal at its deadline, split by lever (US$ m): means over every draw, and
    over the middle draws (``*_middle``; the headline, see the module's docstring)."""

    goal: Goal
    year: int
    baseline_mean: float
    baseline_p50: float
    scenario_mean: float
    scenario_p50: float
    gap_mean: float
    parts: list[LeverPart]
    remaining_mean: float
    baseline_middle: float
    scenario_middle: float

    @property
    def closed_mean(self) -> float:
        return float(sum(p.mean_musd for p in self.parts))

    @property
    def gap_middle(self) -> float:
        return self.goal.amount_musd - self.baseline_middle

    @property
    def remaining_middle(self) -> float:
        return self.goal.amount_musd - self.scenario_middle

    def text(self) -> str:
        """The split as text, on the middle draws (the headline)."""
        g = self.goal
        if self.gap_middle <= 0:
            return (
                f"{g.label}: the baseline already reaches ${self.baseline_middle / 1000:.2f}B in "
                f"FY{self.year} ({MIDDLE_LABEL})"
            )
        lines = [
            f"{g.label}: gap ${self.gap_middle / 1000:.2f}B in FY{self.year} "
            f"(baseline ${self.baseline_middle / 1000:.2f}B; {MIDDLE_LABEL})"
        ]
        for p in sorted(self.parts, key=lambda p: -p.middle_musd):
            lines.append(
                f"  {LEVER_BY_NAME[p.lever].label}: {p.middle_musd:+,.0f}m "
                f"[{p.p10_musd:+,.0f} to {p.p90_musd:+,.0f}] "
                f"({p.middle_musd / self.gap_middle:.0%} of the gap)"
            )
        word = "remaining" if self.remaining_middle >= 0 else "overshoot"
        lines.append(f"  {word}: {abs(self.remaining_middle):,.0f}m")
        return "\n".join(lines)


def _year_column(projection: Projection, year: int) -> int:
    years = projection.years
    if not int(years[0]) <= year <= int(years[-1]):
        raise InputError(
            "is outside the projected years",
            field="deadline",
            value=year,
            allowed=f"fiscal years {int(years[0])} to {int(years[-1])}",
        )
    return int(year - years[0])


def attribute(projection: Projection, goal: Goal) -> Attribution:
    """Split the gap between baseline and ``goal`` at its deadline by lever."""
    j = _year_column(projection, goal.deadline_fy)
    base = projection.baseline_exports[:, j]
    scen = projection.exports[:, j]
    contributions = projection.contributions()
    keep = middle_draws(scen - base)
    gap = goal.amount_musd - float(np.mean(base))
    parts = []
    for name, c in contributions.items():
        col = np.broadcast_to(c[:, j], base.shape)
        mean = float(np.mean(col))
        p10, p90 = (float(v) for v in np.percentile(col, [10, 90]))
        share = mean / gap if gap > 0 else None
        parts.append(LeverPart(name, mean, p10, p90, share, float(middle_mean(col, keep))))
    return Attribution(
        goal=goal,
        year=goal.deadline_fy,
        baseline_mean=float(np.mean(base)),
        baseline_p50=float(np.median(base)),
        scenario_mean=float(np.mean(scen)),
        scenario_p50=float(np.median(scen)),
        gap_mean=gap,
        parts=parts,
        remaining_mean=goal.amount_musd - float(np.mean(scen)),
        baseline_middle=float(middle_mean(base, keep)),
        scenario_middle=float(middle_mean(scen, keep)),
    )


def attribute_all(projection: Projection, goals: Iterable[Goal]) -> list[Attribution]:
    return [attribute(projection, g) for g in goals]


ATTRIBUTION_COLUMNS = (
    "scenario",
    "goal",
    "amount_musd",
    "deadline_fy",
    "draws",
    "seed",
    "part",
    "label",
    "mean_musd",
    "p10_musd",
    "p90_musd",
    "share_of_gap",
    "gap_mean_musd",
    "baseline_mean_musd",
    "baseline_p50_musd",
    "scenario_mean_musd",
    "scenario_p50_musd",
    "middle_musd",
    "gap_middle_musd",
    "baseline_middle_musd",
    "scenario_middle_musd",
)
"""CSV columns of :func:`attribution_rows`.

One row per (goal, part). ``part`` is a lever name or ``remaining`` (amount minus mean scenario
exports; negative when the scenario overshoots). ``mean_musd`` over the parts of one goal adds
up to ``gap_mean_musd`` (amount minus mean baseline exports at the deadline). ``p10_musd`` and
``p90_musd``: the 10th and 90th percentile over draws of the lever's contribution (empty for
``remaining``). ``share_of_gap``: ``mean_musd / gap_mean_musd`` (empty when the gap is not
positive). ``middle_musd``, ``gap_middle_musd``, ``baseline_middle_musd``,
``scenario_middle_musd``: the same over the middle draws only (those whose scenario-minus-baseline
difference lies between its 10th and 90th percentile; they add up the same way), the figures the
app's waterfall and ``simulator attribute`` show. The ``*mean*`` columns are plain means over
every draw: at long horizons a few runaway draws decide them (docs/model.md, section 8). All
amounts in US$ millions at the goal's deadline year.
"""

ATTRIBUTION_DECIMALS = {
    **dict.fromkeys(
        (
            "amount_musd",
            "mean_musd",
            "p10_musd",
            "p90_musd",
            "gap_mean_musd",
            "baseline_mean_musd",
            "baseline_p50_musd",
            "scenario_mean_musd",
            "scenario_p50_musd",
            "middle_musd",
            "gap_middle_musd",
            "baseline_middle_musd",
            "scenario_middle_musd",
        ),
        1,
    ),
    "share_of_gap": 4,
}
"""Decimals written for the attribution CSV's number columns (US$ m: 1; shares: 4)."""


def attribution_rows(projection: Projection, results: Iterable[Attribution]) -> list[dict[str, object]]:
    """Long-form rows with :data:`ATTRIBUTION_COLUMNS`."""
    rows: list[dict[str, object]] = []
    for a in results:
        common = {
            "scenario": projection.scenario.name,
            "goal": a.goal.key,
            "amount_musd": a.goal.amount_musd,
            "deadline_fy": a.year,
            "draws": projection.draws.n,
            "seed": projection.draws.seed,
            "gap_mean_musd": a.gap_mean,
            "baseline_mean_musd": a.baseline_mean,
            "baseline_p50_musd": a.baseline_p50,
            "scenario_mean_musd": a.scenario_mean,
            "scenario_p50_musd": a.scenario_p50,
            "gap_middle_musd": a.gap_middle,
            "baseline_middle_musd": a.baseline_middle,
            "scenario_middle_musd": a.scenario_middle,
        }
        for p in a.parts:
            rows.append(
                {
                    **common,
                    "part": p.lever,
                    "label": LEVER_BY_NAME[p.lever].label,
                    "mean_musd": p.mean_musd,
                    "p10_musd": p.p10_musd,
                    "p90_musd": p.p90_musd,
                    "share_of_gap": "" if p.share_of_gap is None else p.share_of_gap,
                    "middle_musd": p.middle_musd,
                }
            )
        rows.append(
            {
                **common,
                "part": REMAINING,
                "label": "Remaining gap (amount minus scenario)",
                "mean_musd": a.remaining_mean,
                "p10_musd": "",
                "p90_musd": "",
                "share_of_gap": "" if a.gap_mean <= 0 else a.remaining_mean / a.gap_mean,
                "middle_musd": a.remaining_middle,
            }
        )
    return [{c: r[c] for c in ATTRIBUTION_COLUMNS} for r in rows]


def wedges(projection: Projection) -> list[dict[str, object]]:
    """Each lever's contribution per projection year (mean, p10, p90; US$ m), for a wedge chart.

    Rows: ``fiscal_year``, ``lever``, ``label``, ``mean_musd``, ``p10_musd``, ``p90_musd``, plus
    ``baseline_mean_musd`` and ``scenario_mean_musd`` for the year; ``middle_musd``: the mean over
    the year's middle draws (:func:`simulator.robust.middle_draws` of scenario minus baseline),
    the figure the app's wedge chart shows. Plain means over every draw follow the trend
    posterior's few runaway draws in the late 2030s (docs/model.md, section 8).
    """
    contributions = projection.contributions()
    base_mean = projection.baseline_exports.mean(axis=0)
    scen_mean = projection.exports.mean(axis=0)
    keep = middle_draws(projection.exports - projection.baseline_exports)
    rows = []
    for name, c in contributions.items():
        full = np.broadcast_to(c, projection.exports.shape)
        mean = full.mean(axis=0)
        middle = middle_mean(full, keep)
        p10, p90 = np.percentile(full, [10, 90], axis=0)
        for j, y in enumerate(projection.years):
            rows.append(
                {
                    "fiscal_year": int(y),
                    "lever": name,
                    "label": LEVER_BY_NAME[name].label,
                    "mean_musd": float(mean[j]),
                    "p10_musd": float(p10[j]),
                    "p90_musd": float(p90[j]),
                    "baseline_mean_musd": float(base_mean[j]),
                    "scenario_mean_musd": float(scen_mean[j]),
                    "middle_musd": float(middle[j]),
                }
            )
    return rows
