"""How scenarios differ from a reference, per year and per target: one pure function for the
command line (``simulator compare``) and the app's compare tab.

Every scenario should be projected with the same seed, so the differences come from policy, not
from luck. Per fiscal year: the mean, the median and the 10th and 90th percentiles of exports
and the differences of mean and median from the reference; per target: the odds by the deadline
(or, for a target without one, the median year it is reached) and the difference from the
reference. The CSV layout of both tables lives here too (:data:`YEAR_COLUMNS`,
:data:`TARGET_COLUMNS`, :data:`DECIMALS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulator.data import Target
from simulator.engine import Projection, TargetOdds
from simulator.scenario import BASELINE

YEAR_COLUMNS = (
    "scenario",
    "reference",
    "fiscal_year",
    "mean",
    "mean_reference",
    "mean_diff",
    "p50",
    "p50_reference",
    "p50_diff",
)
TARGET_COLUMNS = (
    "scenario",
    "reference",
    "target_id",
    "amount_musd",
    "deadline_fy",
    "p_by_deadline",
    "p_by_deadline_reference",
    "p_diff",
    "year_p50",
    "year_p50_reference",
    "note",
)
"""``note``: why an odds cell is empty (no deadline; a horizon before the deadline)."""
YEARS_FILE, TARGETS_FILE = "compare_years.csv", "compare_targets.csv"
DECIMALS = {
    **dict.fromkeys(("mean", "mean_reference", "mean_diff", "p50", "p50_reference", "p50_diff"), 1),
    "amount_musd": 1,
    **dict.fromkeys(("p_by_deadline", "p_by_deadline_reference", "p_diff"), 4),
}
BAND_KEYS = ("p10", "p90", "p10_reference", "p90_reference")
"""Keys of the year rows beyond :data:`YEAR_COLUMNS`: the 10th and 90th percentiles (the app
draws them as bands; the CSV leaves them out)."""


@dataclass(frozen=True)
class Compared:
    """One scenario of a comparison: its name, projection and the odds of each target."""

    name: str
    projection: Projection
    odds: list[TargetOdds]

    @classmethod
    def of(cls, name: str, projection: Projection, targets: Iterable[Target] | None = None) -> Compared:
        """``projection`` under ``name`` with the odds of ``targets`` (default: the open ones)."""
        return cls(name, projection, projection.target_odds(targets))


@dataclass(frozen=True)
class Comparison:
    reference: Compared
    others: list[Compared]
    year_rows: list[dict[str, object]]
    """:data:`YEAR_COLUMNS` (and :data:`BAND_KEYS`) for each other scenario and fiscal year."""
    target_rows: list[dict[str, object]]
    """:data:`TARGET_COLUMNS` for each other scenario and target."""


def compare(items: Sequence[Compared], reference: Compared | None = None) -> Comparison:
    """Each of ``items`` against ``reference`` (default: the one named ``baseline``, else the first)."""
    ref = reference if reference is not None else next((c for c in items if c.name == BASELINE), items[0])
    others = [c for c in items if c is not ref]
    return Comparison(
        reference=ref,
        others=others,
        year_rows=[r for c in others for r in year_diff_rows(c, ref)],
        target_rows=[r for c in others for r in target_diff_rows(c, ref)],
    )


def year_diff_rows(c: Compared, ref: Compared) -> list[dict[str, object]]:
    """Mean and median of ``c`` and of the reference in each fiscal year both project."""
    ref_index = {int(y): j for j, y in enumerate(ref.projection.years)}
    rows = []
    for j, y in enumerate(c.projection.years):
        k = ref_index.get(int(y))
        if k is None:
            continue
        mean, mean_ref = float(c.projection.stats["mean"][j]), float(ref.projection.stats["mean"][k])
        p50, p50_ref = float(c.projection.stats["p50"][j]), float(ref.projection.stats["p50"][k])
        rows.append(
            {
                "scenario": c.name,
                "reference": ref.name,
                "fiscal_year": int(y),
                "mean": mean,
                "mean_reference": mean_ref,
                "mean_diff": mean - mean_ref,
                "p50": p50,
                "p50_reference": p50_ref,
                "p50_diff": p50 - p50_ref,
                "p10": float(c.projection.stats["p10"][j]),
                "p90": float(c.projection.stats["p90"][j]),
                "p10_reference": float(ref.projection.stats["p10"][k]),
                "p90_reference": float(ref.projection.stats["p90"][k]),
            }
        )
    return rows


def target_diff_rows(c: Compared, ref: Compared) -> list[dict[str, object]]:
    """Odds of each target under ``c`` and under the reference."""
    ref_by_id = {o.target.id: o for o in ref.odds}
    rows = []
    for o in c.odds:
        r = ref_by_id.get(o.target.id)
        if r is None:
            continue
        diff = (
            None if o.p_by_deadline is None or r.p_by_deadline is None else o.p_by_deadline - r.p_by_deadline
        )
        rows.append(
            {
                "scenario": c.name,
                "reference": ref.name,
                "target_id": o.target.id,
                "amount_musd": o.target.amount_musd,
                "deadline_fy": o.target.deadline_fy,
                "p_by_deadline": o.p_by_deadline,
                "p_by_deadline_reference": r.p_by_deadline,
                "p_diff": diff,
                "year_p50": o.year_p50,
                "year_p50_reference": r.year_p50,
                "note": _note(c.name, o, ref.name, r),
            }
        )
    return rows


def _note(name: str, o: TargetOdds, ref_name: str, r: TargetOdds) -> str | None:
    if o.not_computed == r.not_computed:
        return o.not_computed
    return "; ".join(f"{n}: {x}" for n, x in ((name, o.not_computed), (ref_name, r.not_computed)) if x)
