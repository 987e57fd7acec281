r"""Goal seeking under uncertainty: what moves on top of a scenario reach a goal with a probability.

Goal seek starts from a scenario **as it is** (the baseline, a shipped scenario, a file, or the
scenario built in the app): every lever keeps its path, and the answers are *moves* added to
those paths from a start year, over a ramp (:mod:`simulator.analysis.moves`). When the scenario
already reaches the goal with the probability, that is the answer.

* **One lever at a time** (:func:`one_lever`): bisection over the lever's grid of moves (whole
  steps, and the far end of its range) for the least move with :math:`P \ge p`, the other levers
  as in the scenario. When the far end fails, the answer is "not reachable with this lever alone".
* **The least-change package** (:func:`~simulator.analysis.least_change.least_change`): every
  allowed lever may move; the smallest sum of squared moves as shares of each lever's range. The
  answer is proved the least on the levers' grids, or comes with a proved lower bound.

:math:`P` is computed over one fixed set of draws (:class:`~simulator.analysis.reach.ReachModel`),
so differences between candidates are policy, not luck. The package is a scenario
(:meth:`GoalSeek.package_scenario`): written as a file, ``simulator run`` gives the same odds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulator.analysis.goals import Goal
from simulator.analysis.least_change import DEFAULT_BUDGET, Package, least_change
from simulator.analysis.moves import describe_setting, format_change, signed_change
from simulator.analysis.reach import (
    ReachModel,
    check_levers,
    check_probability,
    needed_count,
)
from simulator.levers import LEVER_BY_NAME, LEVERS, Lever
from simulator.scenario import Scenario

__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_PROBABILITY",
    "GOAL_SEEK_COLUMNS",
    "GOAL_SEEK_DECIMALS",
    "GoalSeek",
    "LeverAnswer",
    "Package",
    "ReachModel",
    "check_levers",
    "check_probability",
    "goal_seek",
    "goal_seek_rows",
    "least_change",
    "needed_count",
    "one_lever",
]

DEFAULT_PROBABILITY = 0.5


# --------------------------------------------------------------------------- one lever at a time


@dataclass(frozen=True)
class LeverAnswer:
    """The least move of one lever (the others as in the scenario) that reaches the goal."""

    lever: Lever
    move: float | None
    """In the lever's unit, towards more exports; 0: the scenario reaches as it is; None: even
    the far end of the range falls short."""
    setting: str
    """The lever's setting in the scenario, in words."""
    scenario_value: float
    """The lever's value in the deadline year, as the scenario has it."""
    value: float | None
    """The lever's value in the deadline year with the move."""
    p_required: float
    p_scenario: float
    p_value: float | None
    p_best: float
    evaluations: int

    @property
    def reachable(self) -> bool:
        return self.move is not None

    @property
    def change(self) -> float | None:
        """The move as a change of the lever's value (negative for a lever that lowers exports)."""
        return None if self.move is None else signed_change(self.lever, self.move)

    def text(self) -> str:
        lv = self.lever
        if self.move is None:
            return (
                f"not reachable with this lever alone within {lv.range_text} "
                f"(P = {self.p_best:.1%} with it at the far end)"
            )
        if self.move == 0:
            return f"already reached by the scenario as it is (P = {self.p_scenario:.1%})"
        return (
            f"{format_change(lv, self.move)} {lv.unit} ({self.value:g} in the deadline year, "
            f"{self.scenario_value:g} in the scenario): P = {self.p_value:.1%}"
        )


def one_lever(model: ReachModel, lever: Lever, p: float) -> LeverAnswer:
    """Bisection over ``lever``'s grid of moves for the least move with P >= ``p``."""
    p = check_probability(p)
    start = model.evaluations
    grid = model.space.grid(lever)
    year = model.goal.deadline_fy

    def answer(k: int | None, p_value: float | None, p_best: float) -> LeverAnswer:
        move = None if k is None else float(grid[k])
        return LeverAnswer(
            lever=lever,
            move=move,
            setting=describe_setting(lever, model.base.lever_settings().get(lever.name)),
            scenario_value=model.space.value_in(lever, 0.0, year),
            value=None if move is None else model.space.value_in(lever, move, year),
            p_required=p,
            p_scenario=p_scenario,
            p_value=p_value,
            p_best=p_best,
            evaluations=model.evaluations - start,
        )

    def reaches(k: int) -> bool:
        return model.reaches({lever.name: float(grid[k])}, p)

    p_scenario = model.probability({})
    top = len(grid) - 1
    p_best = model.probability({lever.name: float(grid[top])})
    if model.reaches({}, p):
        return answer(0, p_scenario, p_best)
    if not reaches(top):
        return answer(None, None, p_best)
    k = first_true(0, top, reaches)
    return answer(k, model.probability({lever.name: float(grid[k])}), p_best)


def first_true(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """Least ``k`` in ``(lo, hi]`` with ``ok(k)``, for ``ok`` monotone, false at ``lo``, true at ``hi``."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- everything at once


@dataclass(frozen=True)
class GoalSeek:
    """One-lever answers and the least-change package for one goal and probability."""

    goal: Goal
    p_required: float
    start_year: int
    ramp_years: int
    draws: int
    seed: int
    base: str
    p_scenario: float
    """P of the scenario as it is."""
    reached_in_history: int | None
    levers: list[LeverAnswer]
    package: Package | None
    model: ReachModel

    @property
    def scenario_reaches(self) -> bool:
        """The scenario as it is already reaches the goal with the probability."""
        return self.p_scenario >= self.p_required or self.reached_in_history is not None

    def package_scenario(self, name: str | None = None) -> Scenario | None:
        """The scenario with the package's moves, as a file would state it (with the draws and
        seed it was found with); ``None`` when no package reaches the goal."""
        pkg = self.package
        if pkg is None or not pkg.reachable:
            return None
        label = self.goal.label
        description = (
            f"Goal-seek package for {label} with probability at least {self.p_required:.0%}: "
            f"the scenario {self.base} as it is, with these moves from FY{self.start_year}"
            + (f" over {self.ramp_years} years" if self.ramp_years > 1 else "")
            + ": "
            + ("; ".join(pkg.phrases) or "none (the scenario already reaches it)")
            + f". Probability with the package: {pkg.p_value:.1%} ({self.draws:,} draws, seed "
            f"{self.seed}); distance {pkg.distance:.4f}, {pkg.nearness()}."
        )
        default = f"{self.base}-goal-seek-{self.goal.key}"[:64]
        return self.model.scenario(pkg.moves, name=name or default, description=description)


def goal_seek(
    model: ReachModel,
    p: float = DEFAULT_PROBABILITY,
    levers: Sequence[Lever] | None = None,
    *,
    package: bool = True,
    budget: int = DEFAULT_BUDGET,
    on_progress: Callable[[float], None] | None = None,
) -> GoalSeek:
    """Each lever alone, then (if ``package``) the least-change package, for ``model``'s goal."""
    p = check_probability(p)
    chosen = list(levers) if levers is not None else list(LEVERS)
    answers = []
    share = 0.2 if package else 1.0
    for i, lv in enumerate(chosen):
        answers.append(one_lever(model, lv, p))
        if on_progress is not None:
            on_progress(share * (i + 1) / len(chosen))
    pkg = None
    if package:
        pkg = least_change(
            model,
            p,
            chosen,
            budget=budget,
            on_progress=(lambda f: on_progress(share + (1 - share) * f)) if on_progress else None,
        )
    p_scenario = model.probability({})
    model.release()
    return GoalSeek(
        goal=model.goal,
        p_required=p,
        start_year=model.start_year,
        ramp_years=model.ramp_years,
        draws=model.n,
        seed=model.draws.seed,
        base=model.base.name,
        p_scenario=p_scenario,
        reached_in_history=model.reached_in_history,
        levers=answers,
        package=pkg,
        model=model,
    )


# --------------------------------------------------------------------------- CSV


GOAL_SEEK_COLUMNS = (
    "goal",
    "amount_musd",
    "deadline_fy",
    "probability_required",
    "scenario",
    "start_year",
    "ramp_years",
    "draws",
    "seed",
    "method",
    "lever",
    "unit",
    "scenario_setting",
    "scenario_value_at_deadline",
    "change",
    "value_at_deadline",
    "reachable",
    "probability_at_value",
    "probability_scenario",
    "probability_best_end",
    "distance",
    "distance_lower_bound",
    "least_proved",
)
"""Columns of the goal-seek CSV (``simulator goal-seek --out`` and the app's download).

One row per lever answer (``method`` = ``one_lever``), then one per allowed lever of the package
(``package``). ``scenario``: the scenario the moves are made on; ``start_year``, ``ramp_years``:
when they start and over how many years they reach full size. ``scenario_setting``: the lever's
setting in the scenario, in words; ``scenario_value_at_deadline``: its value in the deadline year
there. ``change``: the move, as a change of the lever's value (0: not moved; empty: not
reachable); ``value_at_deadline``: the lever's value in the deadline year with it.
``probability_scenario``: P of the scenario as it is; ``probability_at_value``: with the change;
``probability_best_end``: with the lever (one_lever) or every allowed lever (package) moved to the
end of its range. ``distance`` (package): sum of squared moves as shares of each lever's range;
``distance_lower_bound``: no package on the levers' grids is nearer; ``least_proved``: the two
are equal (the package is the least on the grids).
"""

GOAL_SEEK_DECIMALS = {
    "amount_musd": 1,
    "probability_required": 4,
    "probability_at_value": 4,
    "probability_scenario": 4,
    "probability_best_end": 4,
    "distance": 6,
    "distance_lower_bound": 6,
}
"""Decimals written for the goal-seek CSV's number columns (US$ m: 1; probabilities: 4)."""


def _blank(x: object) -> object:
    return "" if x is None else x


def goal_seek_rows(result: GoalSeek) -> list[dict[str, object]]:
    """Long-form rows for CSV (:data:`GOAL_SEEK_COLUMNS`)."""
    g = result.goal
    common = {
        "goal": g.key,
        "amount_musd": g.amount_musd,
        "deadline_fy": g.deadline_fy,
        "probability_required": result.p_required,
        "scenario": result.base,
        "start_year": result.start_year,
        "ramp_years": result.ramp_years,
        "draws": result.draws,
        "seed": result.seed,
        "probability_scenario": result.p_scenario,
    }
    rows: list[dict[str, object]] = []
    for a in result.levers:
        rows.append(
            {
                **common,
                "method": "one_lever",
                "lever": a.lever.name,
                "unit": a.lever.unit,
                "scenario_setting": a.setting,
                "scenario_value_at_deadline": a.scenario_value,
                "change": _blank(a.change),
                "value_at_deadline": _blank(a.value),
                "reachable": a.reachable,
                "probability_at_value": _blank(a.p_value),
                "probability_best_end": a.p_best,
            }
        )
    pkg = result.package
    if pkg is not None:
        rows.extend(_package_rows(result, pkg, common))
    return [{c: r.get(c, "") for c in GOAL_SEEK_COLUMNS} for r in rows]


def _package_rows(result: GoalSeek, pkg: Package, common: dict[str, object]) -> list[dict[str, object]]:
    space, year = result.model.space, result.goal.deadline_fy
    rows = []
    for name, move in pkg.moves.items():
        lv = LEVER_BY_NAME[name]
        rows.append(
            {
                **common,
                "method": "package",
                "lever": name,
                "unit": lv.unit,
                "scenario_setting": describe_setting(lv, result.model.base.lever_settings().get(name)),
                "scenario_value_at_deadline": space.value_in(lv, 0.0, year),
                "change": signed_change(lv, move) if pkg.reachable else "",
                "value_at_deadline": space.value_in(lv, move, year) if pkg.reachable else "",
                "reachable": pkg.reachable,
                "probability_at_value": _blank(pkg.p_value),
                "probability_best_end": pkg.p_best,
                "distance": pkg.distance if pkg.reachable else "",
                "distance_lower_bound": pkg.lower_bound if pkg.reachable else "",
                "least_proved": pkg.proved,
            }
        )
    return rows
