"""What a question about a target is: an amount, a deadline, and (usually) the official target.

Every analysis here asks about reaching an amount of reported exports by a fiscal year. A goal
is named by a target id from ``calibration/data/targets.csv`` (its amount and deadline), or
given as an amount and a deadline; a deadline given with a target id replaces the target's own
(the only way to ask about a target stated without a deadline).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from simulator.data import Target
from simulator.engine import Engine
from simulator.errors import InputError


@dataclass(frozen=True)
class Goal:
    """Reported exports of at least ``amount_musd`` (US$ m) in some fiscal year up to ``deadline_fy``."""

    amount_musd: float
    deadline_fy: int
    target: Target | None = None

    @property
    def label(self) -> str:
        text = f"${self.amount_musd / 1000:g}B by FY{self.deadline_fy}"
        if self.target is not None and self.target.deadline_fy != self.deadline_fy:
            return f"{text} (target {self.target.id}, deadline set here)"
        return text

    @property
    def key(self) -> str:
        """Short identifier: the target id, or ``"<amount>_fy<year>"`` for a goal given by numbers."""
        return self.target.id if self.target is not None else f"{self.amount_musd:g}_fy{self.deadline_fy}"


def find_target(engine: Engine, target_id: str) -> Target:
    """The target with id ``target_id``; an :class:`InputError` with a "did you mean" otherwise."""
    by_id = {t.id: t for t in engine.data.targets}
    if target_id in by_id:
        return by_id[target_id]
    close = difflib.get_close_matches(target_id, list(by_id), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise InputError(
        f"is not a known target{hint}",
        field="target",
        value=target_id,
        allowed="a target id from calibration/data/targets.csv (`simulator goal-seek --list-targets`)",
    )


def resolve_goal(
    engine: Engine,
    *,
    target_id: str | None = None,
    amount_musd: float | None = None,
    deadline_fy: int | None = None,
    horizon: int | None = None,
) -> Goal:
    """A :class:`Goal` from a target id and/or an amount and deadline; :class:`InputError` if unusable.

    The deadline must lie after the last full year of data (a goal already decided by the data
    has nothing left to seek) and, when ``horizon`` is given, not after it.
    """
    target = None
    if target_id is not None:
        if amount_musd is not None:
            raise InputError("give a target id or an amount, not both", field="amount")
        target = find_target(engine, target_id)
        amount_musd = target.amount_musd
        if deadline_fy is None:
            deadline_fy = target.deadline_fy
        if deadline_fy is None:
            raise InputError(
                f"target {target.id} was stated without a deadline ({target.deadline_as_stated!r}); "
                "give one with --deadline",
                field="deadline",
            )
    elif amount_musd is None:
        raise InputError("name a target (--target ID) or give an amount (--amount)", field="target")
    if not amount_musd > 0:
        raise InputError("must be a positive amount in US$ millions", field="amount", value=amount_musd)
    if deadline_fy is None:
        raise InputError("an amount needs a deadline (--deadline FY)", field="deadline")
    last = horizon if horizon is not None else None
    first = engine.first_projection_year
    if deadline_fy < first or (last is not None and deadline_fy > last):
        allowed = f"fiscal years {first} to {last}" if last is not None else f"fiscal year {first} or later"
        problem = "is outside the projection years"
        if deadline_fy < first:
            problem = (
                f"is not after the last full year of data (FY{engine.base_year}): "
                "the track record says how that target went"
            )
        raise InputError(problem, field="deadline", value=deadline_fy, allowed=allowed)
    return Goal(amount_musd=float(amount_musd), deadline_fy=int(deadline_fy), target=target)


def dated_open_goals(engine: Engine, horizon: int | None = None) -> list[Goal]:
    """One goal per distinct (amount, deadline) among the open targets that state a deadline."""
    seen: dict[tuple[float, int], Goal] = {}
    for t in engine.open_targets():
        if t.deadline_fy is None or (horizon is not None and t.deadline_fy > horizon):
            continue
        seen.setdefault((t.amount_musd, t.deadline_fy), Goal(t.amount_musd, t.deadline_fy, t))
    return sorted(seen.values(), key=lambda g: (g.deadline_fy, g.amount_musd))
