r"""Goal seeking under uncertainty: what lever settings reach a target with a required probability.

The question: *with probability at least* :math:`p`, *reported exports reach the goal's
amount in some fiscal year up to its deadline*. The probability is computed over one fixed set
of Monte Carlo draws (common random numbers): the draws do not depend on the levers
(:meth:`simulator.engine.Engine.draws`), so every candidate setting is projected with the same
draws and :math:`P` is a deterministic function of the settings. Every lever's effect is
monotone in the lever (``Lever.direction`` says which way), so :math:`P` is a non-decreasing
step function of each lever's *effort* (its move in the direction that raises exports).

A lever is set to a constant from ``start_year`` (default: the first projection year); before
that it stays at current policy, as in a scenario file's ``{value, start}``.

**One lever at a time** (:func:`one_lever`): bisection over the lever's grid (its ``min`` plus
whole ``step``\ s) for the least demanding setting with :math:`P \ge p`: the smallest value
for a lever that raises exports, the largest for one that lowers them (connectivity loss: the
most lost working time that still reaches the goal). When the far end of the range fails, the
answer is "not reachable with this lever alone".

**Least-change package** (:func:`least_change`): every allowed lever may move. With
:math:`z_i = d_i (x_i - x^0_i) / (\max_i - \min_i)` the move of lever :math:`i` as a fraction of
its range (in its helpful direction :math:`d_i`, from the current setting :math:`x^0_i`), it
minimises the distance :math:`D = \sum_i z_i^2` subject to :math:`P(x) \ge p` and the ranges.
:math:`P \ge p` holds exactly when the :math:`k`-th largest draw-wise margin
:math:`m_j(x) = \max_{t \le T} \ln(R_{jt}(x) / A)` is at least 0 (:math:`k = \lceil p n \rceil`),
a continuous function :math:`g(z)` that is monotone in every :math:`z_i`. At the optimum the
Karush-Kuhn-Tucker conditions give :math:`z = \mathrm{clip}(\lambda \nabla g(z), 0, z^{\max})`
with :math:`g(z) = 0`: the package moves each lever in proportion to its marginal gain per unit of
distance, until it hits the end of its range. The solver iterates that fixed point: start from
the marginal gains at current policy; find the point on that ray where :math:`g = 0` (Brent's
method); re-estimate the gains there (finite differences of one lever step, at least 1% of the
range); repeat with
damping until the direction settles (the nearest feasible point found is kept). The gains are
quantile sensitivities: the mean finite-difference slope of the draws ranked nearest the
quantile (see :meth:`_Space.gradient`), which is far less noisy than differencing the quantile
itself. The continuous optimum is then rounded to the levers' steps: every combination of
rounding each moved lever down or up is evaluated and the feasible one nearest to current
policy kept; finally a discrete local search takes single steps back towards current policy,
alone or exchanged against the least raise of another lever, while :math:`P \ge p` still
holds. With margins linear in the levers (capture and underlying-channel levers with fixed effect
sizes) the fixed point is reached in one step and equals the closed form
:math:`z = -g(0)\, a / \lVert a \rVert^2`; the tests check that case.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from simulator.analysis.goals import Goal
from simulator.engine import Draws, Engine
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME, LEVERS, Lever
from simulator.scenario import (
    LeverPath,
    Scenario,
    baseline_scenario,
    validate_scenario,
)
from simulator.settings import Settings

DEFAULT_PROBABILITY = 0.5


# --------------------------------------------------------------------------- lever grid helpers


def lever_range(lever: Lever) -> float:
    return float(lever.max - lever.min)


def best_end(lever: Lever) -> float:
    """The end of the range that raises exports most."""
    return float(lever.max if lever.direction > 0 else lever.min)


def worst_end(lever: Lever) -> float:
    return float(lever.min if lever.direction > 0 else lever.max)


def snap(lever: Lever, value: float, *, more_effort: bool) -> float:
    """``value`` rounded to the lever's grid (``min`` plus whole steps), towards more or less effort."""
    k = (value - lever.min) / lever.step
    up = (lever.direction > 0) == more_effort
    k = math.ceil(k - 1e-9) if up else math.floor(k + 1e-9)
    return float(np.clip(round(lever.min + k * lever.step, 10), lever.min, lever.max))


def current_value(lever: Lever, base: Scenario) -> float:
    """The lever's setting in ``base`` when it is a constant, else current policy."""
    v = base.lever_settings().get(lever.name)
    return float(v) if isinstance(v, int | float) else float(lever.default)


def format_value(lever: Lever, value: float) -> str:
    return f"{value:g} {lever.unit}"


# --------------------------------------------------------------------------- the reach model


class ReachModel:
    """The probability of reaching a goal as a function of lever settings, with fixed draws.

    Parameters
    ----------
    engine:
        The projection engine.
    goal:
        Amount and deadline.
    draws:
        Draws reaching at least to the deadline (lever-independent; reused for every candidate).
    base:
        The scenario whose assumptions, trend and other lever settings stay fixed (merged onto
        its base; default the baseline). Levers set here replace its settings.
    start_year:
        First fiscal year of a lever change (default the first projection year).
    """

    def __init__(
        self,
        engine: Engine,
        goal: Goal,
        draws: Draws,
        *,
        base: Scenario | None = None,
        start_year: int | None = None,
    ):
        if int(draws.years[-1]) < goal.deadline_fy:
            raise InputError("the draws end before the deadline", field="deadline", value=goal.deadline_fy)
        first = engine.first_projection_year
        start = start_year if start_year is not None else first
        if not first <= start <= goal.deadline_fy:
            raise InputError(
                "must lie between the first projection year and the deadline",
                field="start_year",
                value=start,
                allowed=f"fiscal years {first} to {goal.deadline_fy}",
            )
        self.engine = engine
        self.goal = goal
        self.draws = draws
        self.base = base if base is not None else baseline_scenario()
        self.start_year = start
        self.columns = int(np.searchsorted(draws.years, goal.deadline_fy, side="right"))
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
        draws: int | None = None,
        seed: int | None = None,
    ) -> ReachModel:
        """With the draws for ``base`` (``draws`` and ``seed`` if given, else the scenario's, else
        ``settings``) up to the deadline, from the engine's cache."""
        b = base if base is not None else baseline_scenario()
        d = engine.cached_draws(b, settings, horizon=goal.deadline_fy, n=draws, seed=seed)
        return cls(engine, goal, d, base=b, start_year=start_year)

    @property
    def n(self) -> int:
        return self.draws.n

    def scenario(self, settings: Mapping[str, float], name: str = "goal-seek") -> Scenario:
        """``base`` with each lever in ``settings`` held at its value from ``start_year``."""
        levers: dict[str, object] = {}
        for k, v in settings.items():
            value = float(v)
            if self.start_year == self.engine.first_projection_year:
                levers[k] = value
            else:
                levers[k] = LeverPath(value=value, start=self.start_year)
        doc = {"name": name, "levers": levers}
        return validate_scenario(doc, first_year=self.engine.first_projection_year).merged_onto(self.base)

    def margins(self, settings: Mapping[str, float]) -> np.ndarray:
        """Per draw, ``max over years up to the deadline of ln(exports / amount)``."""
        self.evaluations += 1
        if self.reached_in_history is not None:
            return np.full(self.n, np.inf)
        p = self.engine.project(self.scenario(settings), self.draws)
        x = p.exports[:, : self.columns]
        return np.log(x.max(axis=1) / self.goal.amount_musd)

    def probability(self, settings: Mapping[str, float]) -> float:
        """Share of draws that reach the amount in some year up to the deadline."""
        return float(np.mean(self.margins(settings) >= 0.0))

    def margin(self, settings: Mapping[str, float], p: float) -> float:
        """The order statistic that is >= 0 exactly when ``probability(settings) >= p``."""
        m = self.margins(settings)
        k = needed_count(p, self.n)
        if k == 0:
            return math.inf
        return float(np.partition(m, self.n - k)[self.n - k])


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


# --------------------------------------------------------------------------- one lever at a time


@dataclass(frozen=True)
class LeverAnswer:
    """The least demanding setting of one lever (the others as in the base) that reaches the goal."""

    lever: Lever
    value: float | None
    """None when even the far end of the range does not reach the goal with the probability."""
    current: float
    p_required: float
    p_current: float
    p_value: float | None
    p_best: float
    evaluations: int

    @property
    def reachable(self) -> bool:
        return self.value is not None

    @property
    def change(self) -> float | None:
        return None if self.value is None else self.value - self.current

    def text(self) -> str:
        lv = self.lever
        if self.value is None:
            return (
                f"not reachable with this lever alone within {lv.range_text} "
                f"(P = {self.p_best:.1%} at {format_value(lv, best_end(lv))})"
            )
        bound = "at least" if lv.direction > 0 else "at most"
        if self.p_current >= self.p_required:
            return (
                f"already reached at the current setting ({format_value(lv, self.current)}, "
                f"P = {self.p_current:.1%}); {bound} {format_value(lv, self.value)} is enough"
            )
        return (
            f"{bound} {format_value(lv, self.value)} (now {format_value(lv, self.current)}): "
            f"P = {self.p_value:.1%}"
        )


def one_lever(model: ReachModel, lever: Lever, p: float) -> LeverAnswer:
    """Bisection over ``lever``'s grid for the least demanding setting with P >= ``p``."""
    p = check_probability(p)
    start = model.evaluations
    x0 = current_value(lever, model.base)
    count = round(lever_range(lever) / lever.step)
    grid_start = worst_end(lever)

    def value(k: int) -> float:
        return float(round(grid_start + lever.direction * k * lever.step, 10))

    def prob(k: int) -> float:
        return model.probability({lever.name: value(k)})

    p_current = model.probability({lever.name: x0})
    p_best = prob(count)
    if p_best < p:
        return LeverAnswer(lever, None, x0, p, p_current, None, p_best, model.evaluations - start)
    p_low = prob(0)
    if p_low >= p:
        return LeverAnswer(lever, value(0), x0, p, p_current, p_low, p_best, model.evaluations - start)
    hi = first_true(0, count, lambda k: prob(k) >= p)
    p_hi = prob(hi) if hi < count else p_best
    return LeverAnswer(lever, value(hi), x0, p, p_current, p_hi, p_best, model.evaluations - start)


def first_true(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """Least ``k`` in ``(lo, hi]`` with ``ok(k)``, for ``ok`` monotone, false at ``lo``, true at ``hi``."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------------------- least-change package


@dataclass(frozen=True)
class Package:
    """The least-change combination of lever settings reaching the goal with the probability."""

    settings: dict[str, float]
    """Every allowed lever's setting (rounded to its step); unchanged levers at their current value."""
    current: dict[str, float]
    continuous: dict[str, float]
    """The continuous optimum before rounding to the levers' steps."""
    p_required: float
    p_current: float
    p_value: float | None
    p_best: float
    """P with every allowed lever at the end of its range that raises exports."""
    distance: float
    """Sum over levers of (move / range) squared."""
    iterations: int
    converged: bool
    evaluations: int

    @property
    def reachable(self) -> bool:
        return self.p_value is not None

    def moved(self) -> dict[str, float]:
        return {k: v for k, v in self.settings.items() if not math.isclose(v, self.current[k], abs_tol=1e-9)}

    def text(self) -> str:
        if not self.reachable:
            return (
                "not reachable with every allowed lever at the end of its range "
                f"(P = {self.p_best:.1%} there)"
            )
        moved = self.moved()
        if not moved:
            return f"already reached on current settings (P = {self.p_current:.1%})"
        parts = [
            f"{LEVER_BY_NAME[k].label.lower()} {format_value(LEVER_BY_NAME[k], v)} (now {self.current[k]:g})"
            for k, v in moved.items()
        ]
        return "; ".join(parts) + f": P = {self.p_value:.1%}"


@dataclass
class _Space:
    """Normalised effort coordinates of the allowed levers."""

    model: ReachModel
    levers: list[Lever]
    p: float
    x0: np.ndarray = field(init=False)
    width: np.ndarray = field(init=False)
    sign: np.ndarray = field(init=False)
    zmax: np.ndarray = field(init=False)
    h: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.x0 = np.array([current_value(lv, self.model.base) for lv in self.levers])
        self.width = np.array([lever_range(lv) for lv in self.levers])
        self.sign = np.array([float(lv.direction) for lv in self.levers])
        ends = np.array([best_end(lv) for lv in self.levers])
        self.zmax = np.maximum(self.sign * (ends - self.x0) / self.width, 0.0)
        # finite-difference step: one lever step, at least 1% of the range (the margin is an order
        # statistic of the draws, so slopes over a tiny step are noisy)
        self.h = np.maximum(np.array([lv.step for lv in self.levers]) / self.width, 0.01)

    def values(self, z: np.ndarray) -> dict[str, float]:
        x = self.x0 + self.sign * np.clip(z, 0.0, self.zmax) * self.width
        lo = np.array([lv.min for lv in self.levers])
        hi = np.array([lv.max for lv in self.levers])
        return {lv.name: float(v) for lv, v in zip(self.levers, np.clip(x, lo, hi), strict=True)}

    def z_of(self, settings: Mapping[str, float]) -> np.ndarray:
        x = np.array([settings[lv.name] for lv in self.levers])
        return self.sign * (x - self.x0) / self.width

    def g(self, z: np.ndarray) -> float:
        return self.model.margin(self.values(z), self.p)

    def gradient(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """The margin at ``z`` and its gain per unit of effort of each lever.

        The margin is a quantile of the draw-wise margins, whose derivative is the expected
        derivative of a draw's margin given that it equals the quantile (Hong, L. J. (2009).
        Estimating quantile sensitivities. Operations Research 57(1), 118-130). It is estimated as
        the mean one-step finite difference (backward at the top of the range) over the draws
        ranked nearest the quantile: 2% of them, at least 20.
        """
        m = self.model.margins(self.values(z))
        n = len(m)
        k = needed_count(self.p, n)
        rank = n - k
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
            mi = self.model.margins(self.values(zi))
            out[i] = float(np.mean(mi[band] - m[band])) / step
        return float(np.partition(m, rank)[rank]), np.maximum(out, 0.0)


def least_change(
    model: ReachModel,
    p: float,
    levers: Sequence[Lever] | None = None,
    *,
    max_iterations: int = 30,
    on_progress: Callable[[float], None] | None = None,
) -> Package:
    """The least-change package of ``levers`` (default all) reaching the goal with P >= ``p``.

    See the module docstring for the method. ``on_progress`` receives a fraction done (0-1).
    """
    p = check_probability(p)
    start = model.evaluations
    space = _Space(model, list(levers) if levers is not None else list(LEVERS), p)
    current = dict(zip([lv.name for lv in space.levers], space.x0.tolist(), strict=True))
    zero = np.zeros(len(space.levers))
    p_current = model.probability(space.values(zero))
    p_best = model.probability(space.values(space.zmax))

    def result(settings, continuous, p_value, iterations, converged) -> Package:
        return Package(
            settings=settings,
            current=current,
            continuous=continuous,
            p_required=p,
            p_current=p_current,
            p_value=p_value,
            p_best=p_best,
            distance=float(np.sum(space.z_of(settings) ** 2)),
            iterations=iterations,
            converged=converged,
            evaluations=model.evaluations - start,
        )

    if p_current >= p:
        return result(dict(current), dict(current), p_current, 0, True)
    if p_best < p:
        return result(dict(current), dict(current), None, 0, True)
    g0, u = space.gradient(zero)
    # a lever with no gain at current policy may still help further out: give it a token weight
    alone = np.array([space.g(np.where(np.arange(len(u)) == i, space.zmax, 0.0)) > g0 for i in range(len(u))])
    u = np.where((u <= 0) & alone, 1e-6, u)
    z = _ray_root(space, u)
    best = z
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        if on_progress is not None:
            on_progress(0.8 * iterations / max_iterations)
        _, grad = space.gradient(z)
        new = _unit(np.where((grad <= 0) & alone, 1e-6, grad))
        if np.linalg.norm(new - _unit(u)) < 1e-3:
            converged = True
            break
        u = _unit(_unit(u) + new)  # damped: halfway between the old and the new direction
        z = _ray_root(space, u)
        d_best, d = float(np.sum(best**2)), float(np.sum(z**2))
        if d < d_best:  # every ray root is feasible: keep the nearest
            best = z
        if abs(d - d_best) <= 1e-4 * d_best:
            converged = True
            break
    continuous = space.values(best)
    settings = _round_package(space, continuous)
    if on_progress is not None:
        on_progress(1.0)
    return result(settings, continuous, model.probability(settings), iterations, converged)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _ray_root(space: _Space, u: np.ndarray) -> np.ndarray:
    """The point ``clip(t u)`` with the least ``t`` where the margin reaches 0 (on its feasible side)."""
    active = u > 0
    t_max = float(np.max(space.zmax[active] / u[active]))
    f = lambda t: space.g(np.minimum(t * u, space.zmax))  # noqa: E731
    if f(t_max) < 0:
        return space.zmax.copy()
    lo, hi = 0.0, t_max
    if f(lo) >= 0:
        return np.zeros_like(u)
    t = optimize.brentq(f, lo, hi, xtol=1e-7 * t_max, rtol=1e-10)
    for _ in range(60):  # Brent's root may sit a hair on the infeasible side
        if f(t) >= 0:
            break
        t = min(t_max, t + 1e-7 * t_max + 1e-12)
    return np.minimum(t * u, space.zmax)


def _round_package(space: _Space, continuous: Mapping[str, float]) -> dict[str, float]:
    """Round to the levers' steps: best feasible floor/ceil combination, then trim single steps."""
    model = space.model
    options: list[list[float]] = []
    for lv, x0 in zip(space.levers, space.x0, strict=True):
        x = continuous[lv.name]
        if math.isclose(x, x0, abs_tol=1e-9):
            options.append([x0])
            continue
        down = snap(lv, x, more_effort=False)
        if lv.direction * (down - x0) < 0:  # rounding down would undo more than the move
            down = x0
        options.append(sorted({down, snap(lv, x, more_effort=True)}))
    best: dict[str, float] | None = None
    best_d = math.inf
    for combo in itertools.product(*options):
        cand = {lv.name: v for lv, v in zip(space.levers, combo, strict=True)}
        d = float(np.sum(space.z_of(cand) ** 2))
        if d < best_d and model.probability(cand) >= space.p:
            best, best_d = cand, d
    if best is None:  # cannot happen for a monotone model; fall back to the all-up rounding
        best = {lv.name: v[-1] for lv, v in zip(space.levers, options, strict=True)}
    return _trim(space, best)


def _trim(space: _Space, settings: dict[str, float]) -> dict[str, float]:
    """Discrete local search from a feasible rounded package, until no move brings it nearer.

    Two kinds of move: take one lever a step back towards its current value (if the probability
    still holds); or take one lever a step back and raise another by the least whole number of
    steps that restores the probability (an exchange, which the rounding alone cannot find when
    one lever's steps are coarse).
    """
    current = dict(settings)
    while True:
        d_now = float(np.sum(space.z_of(current) ** 2))
        candidates = []
        for i, lv in enumerate(space.levers):
            back = _step_back(space, i, current[lv.name])
            if back is None:
                continue
            one = {**current, lv.name: back}
            if space.model.probability(one) >= space.p:
                candidates.append(one)
                continue
            for j, other in enumerate(space.levers):
                if j == i or space.zmax[j] <= 0:
                    continue
                up = _least_raise(space, one, other)
                if up is not None:
                    candidates.append({**one, other.name: up})
        better = [(float(np.sum(space.z_of(c) ** 2)), c) for c in candidates]
        better = [b for b in better if b[0] < d_now - 1e-12]
        if not better:
            return current
        current = min(better, key=lambda b: b[0])[1]


def _step_back(space: _Space, i: int, x: float) -> float | None:
    """Lever ``i`` one step nearer its current value from ``x`` (None if already there)."""
    lv, x0 = space.levers[i], float(space.x0[i])
    if lv.direction * (x - x0) <= 1e-9:
        return None
    back = snap(lv, x - lv.direction * lv.step, more_effort=True)
    return x0 if lv.direction * (back - x0) < 0 else back


def _least_raise(space: _Space, settings: dict[str, float], lever: Lever) -> float | None:
    """The least demanding grid value of ``lever``, at or beyond its setting, restoring P >= p."""
    x = settings[lever.name]
    far = best_end(lever)
    if space.model.probability({**settings, lever.name: far}) < space.p:
        return None
    lo = snap(lever, x, more_effort=True)
    if lever.direction * (lo - x) < 1e-9:  # already on the grid: the next step up
        lo = snap(lever, x + lever.direction * lever.step, more_effort=True)
    n = round(abs(far - lo) / lever.step)
    value = lambda k: float(round(lo + lever.direction * k * lever.step, 10))  # noqa: E731
    # k = -1 stands for "not raised", known to fail
    return value(
        first_true(-1, n, lambda k: space.model.probability({**settings, lever.name: value(k)}) >= space.p)
    )


# --------------------------------------------------------------------------- everything at once


@dataclass(frozen=True)
class GoalSeek:
    """One-lever answers and the least-change package for one goal and probability."""

    goal: Goal
    p_required: float
    start_year: int
    draws: int
    seed: int
    base: str
    p_current: float
    reached_in_history: int | None
    levers: list[LeverAnswer]
    package: Package | None


def goal_seek(
    model: ReachModel,
    p: float = DEFAULT_PROBABILITY,
    levers: Sequence[Lever] | None = None,
    *,
    package: bool = True,
    on_progress: Callable[[float], None] | None = None,
) -> GoalSeek:
    """Each lever alone, then (if ``package``) the least-change package, for ``model``'s goal."""
    p = check_probability(p)
    chosen = list(levers) if levers is not None else list(LEVERS)
    answers = []
    share = 0.3 if package else 1.0
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
            on_progress=(lambda f: on_progress(share + (1 - share) * f)) if on_progress else None,
        )
    return GoalSeek(
        goal=model.goal,
        p_required=p,
        start_year=model.start_year,
        draws=model.n,
        seed=model.draws.seed,
        base=model.base.name,
        p_current=model.probability({}),
        reached_in_history=model.reached_in_history,
        levers=answers,
        package=pkg,
    )


GOAL_SEEK_COLUMNS = (
    "goal",
    "amount_musd",
    "deadline_fy",
    "probability_required",
    "start_year",
    "draws",
    "seed",
    "method",
    "lever",
    "unit",
    "current",
    "value",
    "reachable",
    "probability_at_value",
    "probability_current",
    "probability_best_end",
    "distance",
)
"""Columns of the goal-seek CSV (``simulator goal-seek --out`` and the app's download)."""

GOAL_SEEK_DECIMALS = {
    "amount_musd": 1,
    "probability_required": 4,
    "probability_at_value": 4,
    "probability_current": 4,
    "probability_best_end": 4,
    "distance": 6,
}
"""Decimals written for the goal-seek CSV's number columns (US$ m: 1; probabilities: 4)."""


def goal_seek_rows(result: GoalSeek) -> list[dict[str, object]]:
    """Long-form rows for CSV (:data:`GOAL_SEEK_COLUMNS`): one per lever answer, then one per
    lever of the package.

    Columns: ``goal`` (target id or amount_fy), ``amount_musd``, ``deadline_fy``,
    ``probability_required``, ``start_year``, ``draws``, ``seed``, ``method`` (``one_lever`` or
    ``package``), ``lever``, ``unit``, ``current``, ``value`` (empty: not reachable),
    ``reachable``, ``probability_at_value``, ``probability_current``, ``probability_best_end``,
    ``distance`` (package only: sum of squared moves as fractions of each lever's range).
    """
    g = result.goal
    common = {
        "goal": g.key,
        "amount_musd": g.amount_musd,
        "deadline_fy": g.deadline_fy,
        "probability_required": result.p_required,
        "start_year": result.start_year,
        "draws": result.draws,
        "seed": result.seed,
    }
    rows: list[dict[str, object]] = []
    for a in result.levers:
        rows.append(
            {
                **common,
                "method": "one_lever",
                "lever": a.lever.name,
                "unit": a.lever.unit,
                "current": a.current,
                "value": a.value if a.value is not None else "",
                "reachable": a.reachable,
                "probability_at_value": a.p_value if a.p_value is not None else "",
                "probability_current": a.p_current,
                "probability_best_end": a.p_best,
                "distance": "",
            }
        )
    pkg = result.package
    if pkg is not None:
        for name, v in pkg.settings.items():
            lv = LEVER_BY_NAME[name]
            rows.append(
                {
                    **common,
                    "method": "package",
                    "lever": name,
                    "unit": lv.unit,
                    "current": pkg.current[name],
                    "value": v if pkg.reachable else "",
                    "reachable": pkg.reachable,
                    "probability_at_value": pkg.p_value if pkg.p_value is not None else "",
                    "probability_current": pkg.p_current,
                    "probability_best_end": pkg.p_best,
                    "distance": pkg.distance if pkg.reachable else "",
                }
            )
    return rows
