"""The "What it takes" page's link: the question asked, as query parameters, and back.

A link such as ``?target=t15b_fy2030_govt&p=0.66&from=blueprint-package&start=2027&ramp=2&levers=tech_zones``
reproduces the view. Starting from the scenario built on the Scenario page, the link says
``from=sidebar`` and carries that scenario as the Scenario page's own link parameters, in one
parameter (``scenario=levers.tech_zones%3D40...``), so the link gives the same answer in a new
session. :class:`ViewQuery` reads the parameters strictly (every value is checked
against what the page offers: the open dated targets, the starting scenarios, the years of the
model, the offered probabilities and the levers); a parameter that is not understood is left
out and named in a note ("p='0.7' (allowed: 0.1, 0.25, ...)"), and the others still apply.
:func:`query_from_view` writes the parameters of a view (defaults left out).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from simulator.analysis.goals import Goal
from simulator.analysis.moves import ramp_bounds
from simulator.levers import LEVER_BY_NAME, LEVERS

PROBABILITIES = (0.1, 0.25, 0.5, 0.66, 0.8, 0.9)
"""The required probabilities the page offers."""
AMOUNT_RANGE = (0.5, 200.0)
"""A goal of one's own: US$ billions."""
CURRENT = "Current policy (baseline)"
"""The starting point every view offers (and the default)."""
SIDEBAR = "sidebar"
"""``from=sidebar``: the scenario built on the Scenario page (carried by ``scenario=``)."""
RAMP_RANGE = ramp_bounds()
"""Years a move may take to reach its full size (as a scenario file's ``ramp_years``)."""
OWN_KEY = "own"
"""``target=own``: a goal given by ``amount`` and ``deadline``."""

URL_KEYS = ("target", "amount", "deadline", "p", "from", "start", "ramp", "levers", "scenario")
"""Query keys of this page: a link reproduces the question asked."""
WIDGET = {
    "target": "wit_target",
    "amount": "wit_amount",
    "deadline": "wit_deadline",
    "p": "wit_probability",
    "from": "wit_start",
    "start": "wit_start_year",
    "ramp": "wit_ramp",
    "levers": "wit_levers",
    "scenario": "wit_scenario_query",
}
"""The session-state key of the widget each query key sets."""


@dataclass(frozen=True)
class QueryContext:
    """What the page offers, against which a link's values are checked."""

    targets: Mapping[str, str]
    """Target key (or ``own``) -> the label of its entry in the target list."""
    starts: Sequence[str]
    first_year: int
    horizon: int

    def allowed(self, key: str) -> str:
        """What ``key`` allows, in the words of the note shown for a bad value."""
        lo, hi = AMOUNT_RANGE
        return {
            "target": "an open dated target id, or own",
            "amount": f"{lo:g} to {hi:g}",
            "deadline": f"{self.first_year:g} to {self.horizon:g}",
            "p": ", ".join(f"{x:g}" for x in PROBABILITIES),
            "from": ", ".join(self.starts),
            "start": f"fiscal years {self.first_year} to {self.horizon}",
            "ramp": f"whole years, {RAMP_RANGE[0]} to {RAMP_RANGE[1]}",
            "levers": ", ".join(LEVER_BY_NAME),
            "scenario": "the Scenario page's link parameters (with from=sidebar)",
        }.get(key, ", ".join(URL_KEYS))


def _context(info: ValidationInfo) -> QueryContext:
    if not isinstance(info.context, QueryContext):
        raise TypeError("validate a ViewQuery with context=QueryContext(...)")
    return info.context


def _parsed(cast: Callable[[str], Any]) -> Callable[[object], Any]:
    """A text from the link read with ``cast`` (``float('1e1')``, ``int('2030')``); a value that
    is not text, or that ``cast`` refuses, is an error."""

    def parse(value: object) -> Any:
        if not isinstance(value, str):
            raise ValueError("not text")
        return cast(value)

    return parse


class ViewQuery(BaseModel):
    """A link's query parameters for the page, each checked against the :class:`QueryContext`
    given as the validation context; ``None``: not in the link."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    target: str | None = None
    """A target's key, or ``own``."""
    amount: float | None = Field(None, ge=AMOUNT_RANGE[0], le=AMOUNT_RANGE[1])
    """US$ billions (``target=own``)."""
    deadline: int | None = None
    p: float | None = None
    from_: str | None = Field(None, alias="from")
    start: int | None = None
    ramp: int | None = Field(None, ge=RAMP_RANGE[0], le=RAMP_RANGE[1])
    levers: tuple[str, ...] | None = None
    scenario: str | None = None
    """The Scenario page's query string of the scenario ``from=sidebar`` starts from (checked by
    the page, which reads it as the Scenario page does)."""

    @field_validator("amount", mode="before")
    @classmethod
    def _a_number(cls, v: object) -> float:
        return _parsed(float)(v)

    @field_validator("deadline", "start", "ramp", mode="before")
    @classmethod
    def _a_whole_number(cls, v: object) -> int:
        return _parsed(int)(v)

    @field_validator("target", "from_")
    @classmethod
    def _offered(cls, v: str, info: ValidationInfo) -> str:
        """A target (or ``own``), or a starting scenario, that the page offers."""
        ctx = _context(info)
        if v not in (ctx.targets if info.field_name == "target" else ctx.starts):
            raise ValueError("not offered on the page")
        return v

    @field_validator("deadline", "start")
    @classmethod
    def _a_year(cls, v: int, info: ValidationInfo) -> int:
        ctx = _context(info)
        if not ctx.first_year <= v <= ctx.horizon:
            raise ValueError("outside the model's years")
        return v

    @field_validator("p", mode="before")
    @classmethod
    def _an_offered_probability(cls, v: object) -> float:
        p = _parsed(float)(v)
        match = next((x for x in PROBABILITIES if math.isclose(x, p, rel_tol=0, abs_tol=1e-9)), None)
        if match is None:
            raise ValueError("not an offered probability")
        return match

    @field_validator("levers", mode="before")
    @classmethod
    def _lever_names(cls, v: object) -> tuple[str, ...]:
        names = tuple(n for n in _parsed(str)(v).split(",") if n)
        if not names or any(n not in LEVER_BY_NAME for n in names):
            raise ValueError("not a list of levers")
        return names

    @classmethod
    def read(cls, params: Mapping[str, str], context: QueryContext) -> tuple[ViewQuery, list[str]]:
        """The parameters understood, and a note for each one that is not (in :data:`URL_KEYS`
        order); the parameters not understood are left out."""
        try:
            return cls.model_validate(params, context=context), []
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        notes = [f"{k}={params[k]!r} (allowed: {context.allowed(k)})" for k in URL_KEYS if k in bad]
        notes += [f"{k}={params[k]!r} (allowed: {context.allowed(k)})" for k in bad - set(URL_KEYS)]
        kept = {k: v for k, v in params.items() if k not in bad}
        return cls.model_validate(kept, context=context), notes

    def widget_values(self, context: QueryContext) -> dict[str, object]:
        """The session-state values of the widgets the link sets."""
        values: dict[str, object] = {
            "target": context.targets[self.target] if self.target is not None else None,
            "amount": self.amount,
            "deadline": self.deadline,
            "p": self.p,
            "from": self.from_,
            "start": self.start,
            "ramp": self.ramp,
            "levers": list(self.levers) if self.levers is not None else None,
            "scenario": self.scenario,
        }
        return {WIDGET[k]: v for k, v in values.items() if v is not None}


def view_from_query(
    params: Mapping[str, str],
    options: Mapping[str, Goal | None],
    starts: Sequence[str],
    first_year: int,
    horizon: int,
) -> tuple[dict[str, object], list[str]]:
    """Widget values from a link's query parameters, and a note for each parameter not understood.

    ``options``: the target list's labels and their goals (``None``: a goal of one's own).
    """
    targets = {(g.key if g is not None else OWN_KEY): label for label, g in options.items()}
    context = QueryContext(targets=targets, starts=list(starts), first_year=first_year, horizon=horizon)
    query, notes = ViewQuery.read(params, context)
    return query.widget_values(context), notes


def query_from_view(
    goal: Goal,
    p: float,
    start_name: str,
    start_year: int,
    levers: list[str],
    *,
    ramp: int = 0,
    scenario_query: str | None = None,
) -> dict[str, str]:
    """The query parameters that reproduce this view (defaults left out). ``scenario_query``: the
    Scenario page's query string of the scenario when starting from it (``from=sidebar``)."""
    q: dict[str, str] = {"target": goal.key if goal.target is not None else OWN_KEY}
    if goal.target is None:
        q["amount"] = f"{goal.amount_musd / 1000:g}"
        q["deadline"] = str(goal.deadline_fy)
    q["p"] = f"{p:g}"
    if start_name != CURRENT:
        q["from"] = start_name
    q["start"] = str(start_year)
    if ramp:
        q["ramp"] = str(ramp)
    if set(levers) != {lv.name for lv in LEVERS}:
        q["levers"] = ",".join(levers)
    if start_name == SIDEBAR and scenario_query is not None:
        q["scenario"] = scenario_query
    return q
