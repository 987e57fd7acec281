r"""The least-cost point of a monotone feasible set on a grid, with a certificate.

The problem: levels :math:`0 = \ell_{i0} < \ell_{i1} < \dots` for each coordinate :math:`i`; a
point :math:`k` (one level index per coordinate) costs :math:`f(k) = \sum_i \ell_{ik_i}^2`; the
feasible points form an *up-set* (a point at least as high in every coordinate as a feasible point
is feasible: the goal's probability never falls when a lever moves further in its helpful
direction). Find the cheapest feasible point.

The method is the discrete polyblock (copolyblock) algorithm of monotonic optimisation (Tuy, H.
(2000). Monotonic optimization: problems and solution approaches. SIAM J. Optim. 11(2), 464-494;
Tuy, H., Minoux, M. and Hoai-Phuong, N. T. (2006). Discrete monotonic optimization with
application to a discrete location problem. SIAM J. Optim. 17(1), 78-97). It keeps a set of
*vertices*: every feasible point cheaper than the best found lies above one of them. The cheapest
vertex is a **lower bound** on the optimum. If it is feasible, it is the optimum. If not, the
segment from it to the top corner is searched (bisection) for the last infeasible grid point
:math:`u` and the first feasible one (a candidate); every point at or below :math:`u` is then
infeasible (monotonicity), so each vertex at or below :math:`u` is replaced by its children,
one per coordinate, just above :math:`u` in that coordinate. Vertices no cheaper than the best
found are dropped. The search ends when no vertex is left (the best found is then **proved** the
least on the grid) or after a budget of evaluations; the answer then carries the lower bound:
the cheapest vertex left. The certificate is the list of infeasible points :math:`u` used in
the cuts: anyone can check, with the same oracle, that each is infeasible, and the bound follows
from monotonicity alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

Point = tuple[int, ...]
TOLERANCE = 1e-12
"""Costs closer than this are equal."""


@dataclass(frozen=True)
class LatticeAnswer:
    """The cheapest feasible point found, and how close to the cheapest possible it is proved to be."""

    best: Point | None
    """None when no point evaluated was feasible."""
    cost: float
    lower_bound: float
    """No feasible grid point costs less (proved from the infeasible points in :attr:`cuts`)."""
    evaluations: int
    cuts: tuple[Point, ...] = field(repr=False)
    """Infeasible points whose boxes (every point at or below them) prove the lower bound."""

    @property
    def proved(self) -> bool:
        """The best point found is the least on the grid."""
        return self.best is not None and self.lower_bound >= self.cost - TOLERANCE

    @property
    def gap(self) -> float:
        """How much cheaper than the best found the optimum could still be, as a share of it."""
        if self.best is None or self.cost <= 0:
            return 0.0
        return max(0.0, (self.cost - self.lower_bound) / self.cost)


class _Search:
    """The state of one search: levels, oracle with memory, vertices, best point."""

    def __init__(self, levels: Sequence[np.ndarray], feasible: Callable[[Point], bool], budget: int):
        self.levels = [np.asarray(lv, float) for lv in levels]
        self.sq = [lv**2 for lv in self.levels]
        self.top = np.array([len(lv) - 1 for lv in self.levels])
        self.oracle = feasible
        self.budget = budget
        self.memo: dict[Point, bool] = {}
        self.cuts: list[Point] = []

    def cost(self, k: Sequence[int] | np.ndarray) -> float:
        return float(sum(s[i] for s, i in zip(self.sq, k, strict=True)))

    def costs(self, vertices: np.ndarray) -> np.ndarray:
        return np.sum([s[vertices[:, i]] for i, s in enumerate(self.sq)], axis=0)

    def feasible(self, k: Point) -> bool:
        if k not in self.memo:
            self.memo[k] = bool(self.oracle(k))
        return self.memo[k]

    @property
    def spent(self) -> bool:
        return len(self.memo) >= self.budget

    def floor(self, z: np.ndarray) -> Point:
        """The highest grid point at or below the point of level values ``z``."""
        return tuple(
            int(np.searchsorted(lv, zi + 1e-12, side="right") - 1)
            for lv, zi in zip(self.levels, z, strict=True)
        )

    def ceiling(self, v: np.ndarray, ub: float) -> Point:
        """The highest point above ``v`` whose every coordinate alone, raised from ``v``, still
        costs less than ``ub``: every point above ``v`` cheaper than ``ub`` lies at or below it."""
        rest = self.cost(v)
        out = []
        for i, (sq, vi) in enumerate(zip(self.sq, v, strict=True)):
            room = ub - TOLERANCE - (rest - sq[vi])
            k = int(np.searchsorted(sq, room, side="left")) - 1  # last level with sq < room
            out.append(int(min(max(k, vi), self.top[i])))
        return tuple(out)

    def boundary(self, v: np.ndarray, end: Point) -> tuple[Point, Point]:
        """On the segment from ``v`` (infeasible) to ``end`` (feasible): the last infeasible grid
        point and the first feasible one (bisection on the segment)."""
        zv = np.array([lv[i] for lv, i in zip(self.levels, v, strict=True)])
        zt = np.array([lv[i] for lv, i in zip(self.levels, end, strict=True)])
        lo, hi = 0.0, 1.0
        at_lo, at_hi = tuple(int(i) for i in v), tuple(end)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            k = self.floor(zv + mid * (zt - zv))
            if k == at_lo:
                lo = mid
            elif k == at_hi:
                hi = mid
            elif self.feasible(k):
                hi, at_hi = mid, k
            else:
                lo, at_lo = mid, k
            if hi - lo < 1e-12:
                break
        return at_lo, at_hi


def least_cost_point(
    levels: Sequence[np.ndarray],
    feasible: Callable[[Point], bool],
    *,
    incumbent: Point | None = None,
    budget: int = 5000,
) -> LatticeAnswer:
    """The cheapest point ``k`` with ``feasible(k)``, for ``feasible`` monotone on the grid.

    ``levels[i]``: the values of coordinate ``i`` (increasing, the first 0); the cost of a point
    is the sum of its squared values. ``incumbent``: a feasible point known beforehand (it
    bounds the search from the start). ``budget``: most distinct points evaluated. The top corner
    must be feasible (checked).
    """
    s = _Search(levels, feasible, budget)
    best: Point | None = None
    ub = np.inf
    if incumbent is not None and s.feasible(tuple(incumbent)):
        best, ub = tuple(incumbent), s.cost(incumbent)
    if not s.feasible(tuple(int(i) for i in s.top)):
        return LatticeAnswer(None, np.inf, np.inf, len(s.memo), ())
    vertices = np.zeros((1, len(s.levels)), dtype=int)
    while True:
        costs = s.costs(vertices)
        keep = costs < ub - TOLERANCE
        vertices, costs = vertices[keep], costs[keep]
        if len(vertices) == 0 or s.spent:
            break
        v = vertices[int(np.argmin(costs))]
        if s.feasible(tuple(int(i) for i in v)):
            best, ub = tuple(int(i) for i in v), float(costs.min())
            continue
        end = s.ceiling(v, ub)
        if s.feasible(end):
            u, w = s.boundary(v, end)
            if s.cost(w) < ub - TOLERANCE:
                best, ub = w, s.cost(w)
        else:  # nothing above v that is cheaper than the best is feasible
            u = end
        s.cuts.append(u)
        vertices = _cut(vertices, np.array(u), s.top)
    lower = float(min(ub, s.costs(vertices).min())) if len(vertices) else float(ub)
    return LatticeAnswer(best, float(ub), lower, len(s.memo), tuple(s.cuts))


def _cut(vertices: np.ndarray, u: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Replace every vertex at or below ``u`` by its children just above ``u`` (one per
    coordinate where ``u`` is below the top); a child at or above another vertex is dropped
    (its region is already covered)."""
    below = np.all(vertices <= u, axis=1)
    kept = vertices[~below]
    axes = np.flatnonzero(u < top)
    if not below.any() or len(axes) == 0:
        return kept
    parents = vertices[below]
    children = np.repeat(parents, len(axes), axis=0)
    rows = np.arange(len(children))
    cols = np.tile(axes, len(parents))
    children[rows, cols] = u[cols] + 1
    children = np.unique(children, axis=0)
    return np.concatenate([kept, _not_above(children, kept)])


def _not_above(points: np.ndarray, others: np.ndarray, block: int = 512) -> np.ndarray:
    """The ``points`` not at or above one of ``others`` nor strictly above another point (in
    blocks, so memory stays small however many vertices there are)."""
    keep = np.ones(len(points), dtype=bool)
    pool = np.concatenate([others, points]) if len(others) else points
    for start in range(0, len(points), block):
        chunk = points[start : start + block]
        for s2 in range(0, len(pool), 8 * block):
            part = pool[s2 : s2 + 8 * block]
            le = np.all(part[None, :, :] <= chunk[:, None, :], axis=2)  # le[a, b]: part b <= point a
            if s2 + len(part) > len(others):  # a point is not above itself (the points are unique)
                own = np.arange(s2, s2 + len(part)) >= len(others)
                le &= ~(np.all(part[None, :, :] == chunk[:, None, :], axis=2) & own[None, :])
            keep[start : start + block] &= ~le.any(axis=1)
    return points[keep]
