r"""The probability of reaching a goal as a function of moves on top of a scenario, with fixed draws.

The question: *with probability at least* :math:`p`, *reported exports reach the goal's amount
in some fiscal year up to its deadline*. The probability is computed over one fixed set of Monte
Carlo draws (common random numbers): the draws do not depend on the levers
(:meth:`simulator.engine.Engine.draws`), so every candidate is projected with the same draws and
:math:`P` is a deterministic function of the moves (:mod:`simulator.analysis.moves`). Every
lever's effect is monotone in its path (the effect sizes cannot change sign within their
bounds), so :math:`P` never falls when a move grows.

A candidate is evaluated lever by lever: each lever's effect for a given move is computed once
(:func:`simulator.model.effects`, as the engine does) and kept, and the effects are combined
with :func:`simulator.model.exports_from`, exactly as :meth:`simulator.engine.Engine.project`
does: the margins equal those of projecting :meth:`ReachModel.scenario` with the engine, draw for
draw (a test checks it).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping

import numpy as np

from simulator import model as kernel
from simulator.analysis.goals import Goal
from simulator.analysis.moves import MoveSpace
from simulator.cache import BoundedCache
from simulator.engine import Draws, Engine, Projection
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME, LEVERS, Lever
from simulator.scenario import Scenario, baseline_scenario, default_start_year
from simulator.settings import Settings

EFFECTS_KEPT_BYTES = 128 * 2**20
"""Lever effects kept per model during a search (one array of draws x years per lever and move);
:meth:`ReachModel.release` drops them when the search is done."""


def needed_count(p: float, n: int) -> int:
    """Least number of the ``n`` draws that must reach for a share of at least ``p``."""
    return max(0, min(n, math.ceil(p * n - 1e-9)))


def check_probability(p: float) -> float:
    if not (isinstance(p, int | float) and 0.0 < p < 1.0):
        raise InputError(
            "must be a probability strictly between 0 and 1",
            field="probability",
            value=p,
            allowed="0.01 to 0.99",
        )
    return float(p)


def check_levers(names: Iterable[str] | None) -> list[Lever]:
    """The levers named (default: all), with a "did you mean" for a misspelt name."""
    if names is None:
        return list(LEVERS)
    out = []
    for name in names:
        if name not in LEVER_BY_NAME:
            close = difflib.get_close_matches(name, list(LEVER_BY_NAME), n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise InputError(
                f"is not a lever{hint}", field="lever", value=name, allowed=", ".join(LEVER_BY_NAME)
            )
        out.append(LEVER_BY_NAME[name])
    if not out:
        raise InputError("name at least one lever", field="lever")
    return out


def start_year_for(engine: Engine, goal: Goal, start_year: int | None) -> int:
    """The first year of the moves: as given, else the default (:func:`default_start_year`), but
    never after the deadline (a goal for the first projection year can only be moved in it)."""
    first = engine.first_projection_year
    start = start_year if start_year is not None else min(default_start_year(first), goal.deadline_fy)
    if not first <= start <= goal.deadline_fy:
        raise InputError(
            "must lie between the first projection year and the deadline",
            field="start_year",
            value=start,
            allowed=f"fiscal years {first} to {goal.deadline_fy}",
        )
    return start


class ReachModel:
    """The probability of reaching a goal as a function of moves on top of a scenario.

    Parameters
    ----------
    engine:
        The projection engine.
    goal:
        Amount and deadline.
    draws:
        Draws reaching at least to the deadline (lever-independent; reused for every candidate).
    base:
        The scenario as it is, resolved onto its bases (default the baseline): its paths,
        assumptions and trend stay; moves are added to its paths.
    start_year:
        First fiscal year of a move (default :func:`~simulator.scenario.default_start_year`,
        or the deadline if that is earlier).
    ramp_years:
        Years over which a move reaches its full size (0 or 1: at once).
    """

    def __init__(
        self,
        engine: Engine,
        goal: Goal,
        draws: Draws,
        *,
        base: Scenario | None = None,
        start_year: int | None = None,
        ramp_years: int = 0,
    ):
        if int(draws.years[-1]) < goal.deadline_fy:
            raise InputError("the draws end before the deadline", field="deadline", value=goal.deadline_fy)
        self.engine = engine
        self.goal = goal
        self.draws = draws
        self.base = base if base is not None else baseline_scenario()
        start = start_year_for(engine, goal, start_year)
        self.space = MoveSpace(self.base, tuple(LEVERS), engine.first_projection_year, start, ramp_years)
        self.columns = int(np.searchsorted(draws.years, goal.deadline_fy, side="right"))
        first = len(engine.history_years)
        self._timeline = np.arange(first, first + self.columns)
        self._effects: BoundedCache[np.ndarray] = BoundedCache(
            max_entries=4096, max_bytes=EFFECTS_KEPT_BYTES, size=lambda a: a.nbytes
        )
        self.reached_in_history = next((y for y, v in engine.history() if v >= goal.amount_musd), None)
        self.evaluations = 0

    @classmethod
    def build(
        cls,
        engine: Engine,
        goal: Goal,
        settings: Settings,
        *,
        base: Scenario | None = None,
        start_year: int | None = None,
        ramp_years: int = 0,
        draws: int | None = None,
        seed: int | None = None,
    ) -> ReachModel:
        """With the draws for ``base`` (``draws`` and ``seed`` if given, else the scenario's, else
        ``settings``) up to the deadline, from the engine's cache."""
        b = base if base is not None else baseline_scenario()
        d = engine.cached_draws(b, settings, horizon=goal.deadline_fy, n=draws, seed=seed)
        return cls(engine, goal, d, base=b, start_year=start_year, ramp_years=ramp_years)

    @property
    def n(self) -> int:
        return self.draws.n

    @property
    def start_year(self) -> int:
        return self.space.start_year

    @property
    def ramp_years(self) -> int:
        return self.space.ramp_years

    def _effect(self, lever: Lever, delta: float) -> np.ndarray:
        """One lever's effect with the move ``delta``, at the years up to the deadline."""

        def make() -> np.ndarray:
            future = self.space.path(lever, delta)[: len(self.draws.years)]
            path = np.concatenate([self.engine.history_paths[lever.name], future])
            fx = kernel.effects(kernel.exposures({lever.name: path}), self.draws.assumptions, self._timeline)
            out = fx.by_lever[lever.name]
            out.flags.writeable = False
            return out

        return self._effects.get((lever.name, float(delta)), make)

    def release(self) -> None:
        """Forget the lever effects kept for the search (a kept result then holds no more than
        its draws); later evaluations compute them again."""
        self._effects.clear()

    def margins(self, moves: Mapping[str, float]) -> np.ndarray:
        """Per draw, ``max over years up to the deadline of ln(exports / amount)``."""
        self.evaluations += 1
        if self.reached_in_history is not None:
            return np.full(self.n, np.inf)
        fx = kernel.Effects({lv.name: self._effect(lv, float(moves.get(lv.name, 0.0))) for lv in LEVERS})
        x = kernel.exports_from(self.draws.log_core[:, : self.columns], fx)
        return np.log(x.max(axis=1) / self.goal.amount_musd)

    def probability(self, moves: Mapping[str, float]) -> float:
        """Share of draws that reach the amount in some year up to the deadline."""
        return float(np.mean(self.margins(moves) >= 0.0))

    def reaches(self, moves: Mapping[str, float], p: float) -> bool:
        """Whether at least a share ``p`` of the draws reach (counted, not compared as a share)."""
        return int(np.count_nonzero(self.margins(moves) >= 0.0)) >= needed_count(p, self.n)

    def margin(self, moves: Mapping[str, float], p: float) -> float:
        """The order statistic that is >= 0 exactly when ``probability(moves) >= p``."""
        m = self.margins(moves)
        k = needed_count(p, self.n)
        if k == 0:
            return math.inf
        return float(np.partition(m, self.n - k)[self.n - k])

    def scenario(
        self, moves: Mapping[str, float], name: str = "goal-seek", description: str = ""
    ) -> Scenario:
        """The scenario with ``moves`` as a file would state it, with these draws and seed."""
        return self.space.scenario(
            moves, name=name, description=description, draws=self.n, seed=self.draws.seed
        )

    def project(self, moves: Mapping[str, float], name: str = "goal-seek") -> Projection:
        """The engine's projection of :meth:`scenario` with the model's draws."""
        return self.engine.project(self.scenario(moves, name=name), self.draws)
