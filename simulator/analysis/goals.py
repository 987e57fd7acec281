"""What a question about a target is: an amount, a deadline, and (usually) the official target.

Every analysis here asks about reaching an amount of reported exports by a fiscal year. A goal
is named by a target id from ``calibration/data/targets.csv`` (its amount and deadline), or
given as an amount and a deadline; a deadline given with a target id replaces the target's own
(the only way to ask about a target stated without a deadline).

Also here: how an amount is written (:func:`parse_amount`: ``10B``, ``$10B``, ``10000M``) and the
reason a policy change starts in :func:`simulator.scenario.default_start_year` by default
(:func:`start_reason`).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from simulator.data import Target
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.levers import ASSUMPTIONS
from simulator.scenario import default_start_reason


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


# --------------------------------------------------------------------------- when a change starts


def start_reason(engine: Engine) -> str:
    """Why a moved lever starts in :func:`simulator.scenario.default_start_year` unless told
    otherwise (the one default of the sidebar, the shipped scenarios and goal seek), in one
    sentence naming the months of the year under way that are in the data."""
    nc = engine.params.nowcast
    months = nc.months if nc is not None and nc.fiscal_year == engine.first_projection_year else None
    return default_start_reason(engine.first_projection_year, months)


# --------------------------------------------------------------------------- two probabilities

ODDS_NAME = "Odds"
"""The probability of reaching a goal with every uncertain input drawn (the Scenario page's cards,
``simulator run``'s ``p_by_deadline``, goal seek)."""
ODDS_MEANING = (
    "the share of simulated paths that reach it, with every uncertain input drawn from its range: "
    "the effect sizes, the trend's growth, the size of shocks and the yearly shocks"
)
CENTRAL_ODDS_NAME = "Central-case odds"
"""The probability with every uncertain input at its central value, only the yearly shocks drawn
(the tornado's centre line, ``simulator sensitivity``'s ``p_central``)."""
CENTRAL_ODDS_MEANING = (
    "the share of simulated paths that reach it with every uncertain input at its central value "
    "(the effect sizes at their central values, the trend's growth and the size of shocks at their "
    "posterior medians): only the yearly shocks are drawn"
)


def odds_difference_text() -> str:
    """Why the odds and the central-case odds differ, in a few sentences (the widest-skewed
    effect-size range is quoted from its declaration)."""
    a = max(ASSUMPTIONS, key=lambda x: (x.high - x.central) / max(x.central - x.low, 1e-9))
    return (
        f"The {ODDS_NAME.lower()} average the probability over everything uncertain; the "
        f"{CENTRAL_ODDS_NAME.lower()} hold every uncertain input at its central value. They differ "
        "for two reasons. A probability is not a straight-line function of its inputs, so the "
        "average of the probability over the inputs is not the probability at their central "
        "values; and the central values are not the averages: most effect-size ranges reach "
        f"further above their central value than below it ({a.label.lower()}: {a.low:g} to "
        f"{a.high:g} {a.unit} around {a.central:g}), and the trend's growth is uncertain too, which "
        "spreads the paths. When the central case gives less than even odds, the wider spread tends "
        "to put more paths above the target, so the odds tend to be higher; above even odds, lower. "
        "The odds answer 'how likely'; the central case says what happens if every assumption "
        "turns out as its central value."
    )


# --------------------------------------------------------------------------- amounts as written


MIN_BARE_MUSD = 100.0
"""A bare number below this is refused: it is almost surely meant in billions (the app asks in
billions; ``10`` would otherwise mean US$ 10 million)."""
_UNITS = {"": 1.0, "m": 1.0, "mn": 1.0, "million": 1.0, "b": 1000.0, "bn": 1000.0, "billion": 1000.0}
_AMOUNT = re.compile(
    r"^(?:us)?\$?\s*(?P<number>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>[a-z]*)$"
)
"""A number (commas only between thousands: ``1,5B`` is refused, not read as 15B) and a unit."""
AMOUNT_FORMS = "10B, $10B, 10bn, 10000M or 10000 (a bare number is US$ millions, at least 100)"


def parse_amount(text: str) -> float:
    """An amount in US$ millions from how people write it: ``10B``, ``$10B``, ``US$ 12.5bn``,
    ``10000M``, ``10,000``. A bare number is US$ millions and must be at least
    :data:`MIN_BARE_MUSD`; anything else is an :class:`InputError` that says how to write it."""
    match = _AMOUNT.match(text.strip().lower())
    if match is None or match["unit"] not in _UNITS:
        raise InputError("is not an amount", field="amount", value=text, allowed=AMOUNT_FORMS)
    number = float(match["number"].replace(",", ""))
    if not (math.isfinite(number) and number > 0):
        raise InputError("must be a positive amount", field="amount", value=text, allowed=AMOUNT_FORMS)
    if match["unit"] == "" and number < MIN_BARE_MUSD:
        raise InputError(
            f"has no unit and is below {MIN_BARE_MUSD:g}: a bare number is US$ millions, so this "
            f"would mean US$ {number:g} million; write {number:g}B for US$ {number:g} billion "
            f"(or {number:g}M if you mean millions)",
            field="amount",
            value=text,
            allowed=AMOUNT_FORMS,
        )
    return number * _UNITS[match["unit"]]


# --------------------------------------------------------------------------- targets


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
