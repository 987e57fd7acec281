r"""The least-change package: the smallest combined move of the allowed levers that reaches a goal.

Every allowed lever may move on top of the scenario (:mod:`simulator.analysis.moves`). With
:math:`z_i = \delta_i / (\max_i - \min_i)` the move of lever :math:`i` as a share of its range, the
package minimises the **distance** :math:`D = \sum_i z_i^2` subject to :math:`P \ge p`, each move on
its lever's grid (whole steps, or the far end of the range).

**1. A good package fast** (a continuous heuristic). :math:`P \ge p` holds exactly when the
:math:`k`-th largest draw-wise margin :math:`m_j(z) = \max_{t \le T} \ln(R_{jt}/A)` is at least 0
(:math:`k = \lceil p n \rceil`): a continuous function :math:`g(z)`, monotone in every :math:`z_i`.
At a local optimum the Karush-Kuhn-Tucker conditions give
:math:`z = \mathrm{clip}(\lambda \nabla g(z), 0, z^{\max})` with :math:`g(z) = 0`: each lever moves
in proportion to its marginal gain per unit of distance. The heuristic iterates that fixed point:
from the marginal gains with no move, find where the ray reaches :math:`g = 0` (Brent's method),
re-estimate the gains there (quantile sensitivities: the mean one-step slope of the draws ranked
nearest the quantile; Hong, L. J. (2009). Estimating quantile sensitivities. Operations Research
57(1), 118-130), and repeat with damping until the direction settles. The point is rounded to the
grids (the nearest feasible of every floor/ceiling combination). With margins linear in the moves
(capture and underlying levers with fixed effect sizes) the fixed point is reached in one step and
equals the closed form :math:`z = -g(0)\, a / \lVert a \rVert^2`; the tests check that case.

A KKT point is not a bound: :math:`g` is not concave (a quantile of maxima over years), so a nearer
package may exist, on the grid or off it (two-lever exchanges from the rounded point found one in
three of seven cases checked by brute force).

**2. The least on the grids, or how close to it** (:mod:`simulator.analysis.lattice`). The rounded
point seeds the discrete polyblock search of monotonic optimisation, which either proves the best
package found the least on the levers' grids, or stops at its evaluation budget with a **lower
bound**: no package on the grids (nor off them, between grid points) is nearer than it, by
monotonicity alone. Both numbers are reported.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from simulator.analysis.lattice import LatticeAnswer, Point, least_cost_point
from simulator.analysis.moves import moves_text, range_width
from simulator.analysis.reach import ReachModel, check_probability, needed_count
from simulator.levers import LEVERS, Lever

DEFAULT_BUDGET = 10_000
"""Distinct packages the grid search may evaluate (about 0.3-1 ms each with 10,000 draws); enough
to prove the least package in the cases checked (README, "What it takes")."""


@dataclass(frozen=True)
class Package:
    """The least-change combination of moves reaching the goal with the probability."""

    moves: dict[str, float]
    """Every allowed lever's move (in its unit, towards more exports; 0: as in the scenario)."""
    continuous: dict[str, float]
    """The heuristic's continuous point before rounding to the grids."""
    p_required: float
    p_scenario: float
    """P of the scenario as it is (no move)."""
    p_value: float | None
    """P with the package; None when no package within the ranges reaches the goal."""
    p_best: float
    """P with every allowed lever moved to the end of its range."""
    distance: float
    """Sum over levers of (move / range) squared."""
    lower_bound: float
    """No package on the levers' grids is nearer than this (equal to ``distance``: proved least)."""
    iterations: int
    converged: bool
    evaluations: int
    year: int
    """The deadline: the year whose lever values the text quotes."""
    cuts: tuple[dict[str, float], ...] = field(default=(), repr=False)
    """The certificate of the lower bound: packages that fall short (so does everything below them)."""
    phrases: tuple[str, ...] = ()
    """One phrase per moved lever: its label, change and value in the deadline year."""

    @property
    def reachable(self) -> bool:
        return self.p_value is not None

    @property
    def already(self) -> bool:
        """The scenario as it is reaches the goal with the probability: no move needed."""
        return self.reachable and self.p_scenario >= self.p_required and not self.moved()

    @property
    def proved(self) -> bool:
        """The package is the least change on the levers' grids."""
        return self.reachable and self.lower_bound >= self.distance - 1e-12

    def moved(self) -> dict[str, float]:
        return {k: v for k, v in self.moves.items() if v > 0}

    def nearness(self) -> str:
        """How near to least the package is proved to be, in words."""
        if not self.moved():
            return "no move"
        if self.proved:
            return "the least on the levers' grids (proved)"
        gap = (self.distance - self.lower_bound) / self.distance
        return (
            f"no package is nearer than {self.lower_bound:.4f} (a proved lower bound): this one is "
            f"at most {gap:.1%} above the least"
        )

    def text(self) -> str:
        if not self.reachable:
            return (
                "not reachable with every allowed lever moved to the end of its range "
                f"(P = {self.p_best:.1%} there)"
            )
        if not self.moved():
            return f"already reached by the scenario as it is (P = {self.p_scenario:.1%})"
        return "; ".join(self.phrases) + f": P = {self.p_value:.1%}"


@dataclass
class _Effort:
    """The allowed levers' moves as shares of their ranges (``z``), with their grids."""

    model: ReachModel
    levers: list[Lever]
    p: float
    width: np.ndarray = field(init=False)
    zmax: np.ndarray = field(init=False)
    grids: list[np.ndarray] = field(init=False)
    levels: list[np.ndarray] = field(init=False)
    h: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        space = self.model.space
        self.width = np.array([range_width(lv) for lv in self.levers])
        self.grids = [space.grid(lv) for lv in self.levers]
        self.levels = [g / w for g, w in zip(self.grids, self.width, strict=True)]
        self.zmax = np.array([lv[-1] for lv in self.levels])
        # finite-difference step: one lever step, at least 1% of the range (the margin is an order
        # statistic of the draws, so slopes over a tiny step are noisy)
        self.h = np.maximum(np.array([lv.step for lv in self.levers]) / self.width, 0.01)

    def moves(self, z: np.ndarray) -> dict[str, float]:
        """Continuous moves (lever units) at the shares ``z`` (clipped to the ranges)."""
        x = np.clip(z, 0.0, self.zmax) * self.width
        return {lv.name: float(v) for lv, v in zip(self.levers, x, strict=True)}

    def moves_at(self, k: Sequence[int]) -> dict[str, float]:
        """The grid moves at level indices ``k``."""
        return {lv.name: float(g[i]) for lv, g, i in zip(self.levers, self.grids, k, strict=True)}

    def distance(self, k: Sequence[int]) -> float:
        return float(sum(lv[i] ** 2 for lv, i in zip(self.levels, k, strict=True)))

    def reaches(self, k: Sequence[int]) -> bool:
        return self.model.reaches(self.moves_at(k), self.p)

    def g(self, z: np.ndarray) -> float:
        return self.model.margin(self.moves(z), self.p)

    def gradient(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """The margin at ``z`` and its gain per unit of effort of each lever (quantile
        sensitivity: the mean one-step finite difference, backward at the top of the range, over
        the draws ranked nearest the quantile: 2% of them, at least 20)."""
        m = self.model.margins(self.moves(z))
        n = len(m)
        rank = n - needed_count(self.p, n)
        order = np.argsort(m, kind="stable")
        half = max(10, n // 100)
        band = order[max(0, rank - half) : min(n, rank + half + 1)]
        out = np.zeros(len(self.levers))
        for i in range(len(self.levers)):
            if self.zmax[i] <= 0:
                continue
            step = self.h[i] if z[i] + self.h[i] <= self.zmax[i] else -min(self.h[i], z[i])
            if step == 0:
                continue
            zi = z.copy()
            zi[i] += step
            mi = self.model.margins(self.moves(zi))
            out[i] = float(np.mean(mi[band] - m[band])) / step
        return float(np.partition(m, rank)[rank]), np.maximum(out, 0.0)


def least_change(
    model: ReachModel,
    p: float,
    levers: Sequence[Lever] | None = None,
    *,
    budget: int = DEFAULT_BUDGET,
    max_iterations: int = 30,
    on_progress: Callable[[float], None] | None = None,
) -> Package:
    """The least-change package of ``levers`` (default all) reaching the goal with P >= ``p``.

    See the module docstring for the method; ``budget`` bounds the grid search (distinct
    packages evaluated). ``on_progress`` receives a fraction done (0-1).
    """
    p = check_probability(p)
    start = model.evaluations
    e = _Effort(model, list(levers) if levers is not None else list(LEVERS), p)
    zero = tuple(0 for _ in e.levers)
    top = tuple(len(g) - 1 for g in e.grids)
    p_scenario = model.probability({})
    p_best = model.probability(e.moves_at(top))

    def result(k: Point | None, z: np.ndarray, answer: LatticeAnswer | None, it: int, ok: bool) -> Package:
        moves = e.moves_at(k if k is not None else zero)
        dist = e.distance(k) if k is not None else 0.0
        return Package(
            moves=moves,
            continuous=e.moves(z),
            p_required=p,
            p_scenario=p_scenario,
            p_value=model.probability(moves) if k is not None else None,
            p_best=p_best,
            distance=dist,
            lower_bound=answer.lower_bound if answer is not None else dist,
            iterations=it,
            converged=ok,
            evaluations=model.evaluations - start,
            year=model.goal.deadline_fy,
            cuts=tuple(e.moves_at(c) for c in answer.cuts) if answer is not None else (),
            phrases=tuple(moves_text(model.space, moves, model.goal.deadline_fy)),
        )

    if model.reaches({}, p):
        return result(zero, np.zeros(len(zero)), None, 0, True)
    if not e.reaches(top):
        return result(None, np.zeros(len(zero)), None, 0, True)
    z, iterations, converged = _continuous(e, max_iterations, on_progress)
    incumbent = _rounded(e, z)

    def feasible(k: Point) -> bool:
        if on_progress is not None:
            on_progress(0.5 + 0.5 * min(1.0, (model.evaluations - start) / (budget + 1)))
        return e.reaches(k)

    answer = least_cost_point(e.levels, feasible, incumbent=incumbent, budget=budget)
    if on_progress is not None:
        on_progress(1.0)
    return result(answer.best, z, answer, iterations, converged)


def _continuous(
    e: _Effort, max_iterations: int, on_progress: Callable[[float], None] | None
) -> tuple[np.ndarray, int, bool]:
    """The KKT fixed point (module docstring, step 1): a feasible point, its iterations, converged."""
    zero = np.zeros(len(e.levers))
    g0, u = e.gradient(zero)
    # a lever with no gain at the start may still help further out: give it a token weight
    alone = np.array([e.g(np.where(np.arange(len(u)) == i, e.zmax, 0.0)) > g0 for i in range(len(u))])
    u = np.where((u <= 0) & alone, 1e-6, u)
    z = _ray_root(e, u)
    best = z
    for iterations in range(1, max_iterations + 1):
        if on_progress is not None:
            on_progress(0.5 * iterations / max_iterations)
        _, grad = e.gradient(z)
        new = _unit(np.where((grad <= 0) & alone, 1e-6, grad))
        if np.linalg.norm(new - _unit(u)) < 1e-3:
            return best, iterations, True
        u = _unit(_unit(u) + new)  # damped: halfway between the old and the new direction
        z = _ray_root(e, u)
        d_best, d = float(np.sum(best**2)), float(np.sum(z**2))
        if d < d_best:  # every ray root is feasible: keep the nearest
            best = z
        if abs(d - d_best) <= 1e-4 * d_best:
            return best, iterations, True
    return best, max_iterations, False


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _ray_root(e: _Effort, u: np.ndarray) -> np.ndarray:
    """The point ``clip(t u)`` with the least ``t`` where the margin reaches 0 (on its feasible side)."""
    active = u > 0
    t_max = float(np.max(e.zmax[active] / u[active]))
    f = lambda t: e.g(np.minimum(t * u, e.zmax))  # noqa: E731
    if f(t_max) < 0:
        return e.zmax.copy()
    if f(0.0) >= 0:
        return np.zeros_like(u)
    t = optimize.brentq(f, 0.0, t_max, xtol=1e-7 * t_max, rtol=1e-10)
    for _ in range(60):  # Brent's root may sit a hair on the infeasible side
        if f(t) >= 0:
            break
        t = min(t_max, t + 1e-7 * t_max + 1e-12)
    return np.minimum(t * u, e.zmax)


def _rounded(e: _Effort, z: np.ndarray) -> Point | None:
    """The nearest feasible grid point among every floor/ceiling rounding of ``z``."""
    options = []
    for lv, zi in zip(e.levels, z, strict=True):
        hi = int(min(np.searchsorted(lv, zi - 1e-12, side="left"), len(lv) - 1))
        lo = int(max(np.searchsorted(lv, zi + 1e-12, side="right") - 1, 0))
        options.append(sorted({lo, hi}))
    best, best_d = None, math.inf
    for k in sorted(itertools.product(*options), key=e.distance):
        if e.distance(k) < best_d and e.reaches(k):
            best, best_d = k, e.distance(k)
            break
    return best
