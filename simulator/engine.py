"""Monte Carlo projections: draws, the projection of a scenario, and what users read off it.

One seeded :class:`numpy.random.Generator` per purpose, spawned from the scenario's seed with
:class:`numpy.random.SeedSequence`: effect-size assumptions, trend parameters and yearly shocks.
Every draw is made from uniform numbers through an inverse CDF, so the same seed gives the same
draws whatever the scenario's levers, and changing one assumption moves its draws smoothly
(common random numbers). All scenarios of a run use the run's seed unless a scenario sets its
own, so differences between scenarios are differences of policy, not of luck.

The draws (parameters, shocks and the core path) do not depend on the levers: they are made once
per (seed, draws, assumptions, trend, horizon) by :meth:`Engine.draws` and reused by every
scenario and by the baseline. :meth:`Engine.cached_draws` keeps recently used draws (bounded by
entries and bytes, safe to share between threads), keyed by :func:`draws_key`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np

# numpy 2 imports numpy.random on first use; a SIGTERM that arrived while its compiled modules
# were being initialised (the first draws of a run) was swallowed there and the run went on to
# exit 0. Imported with the engine, it is loaded before any run starts.
import numpy.random
from numpy.typing import ArrayLike

from simulator import model
from simulator.cache import BoundedCache
from simulator.data import Dataset, Target, annual_series, load_dataset
from simulator.errors import InputError
from simulator.lever_history import lever_history
from simulator.levers import ASSUMPTIONS
from simulator.params import FittedParams, load_params, mean_shock_slope, posterior_draws
from simulator.quantiles import BLOCK_ELEMENTS
from simulator.scenario import (
    Scenario,
    TrendOverride,
    assumption_triples,
    baseline_scenario,
    lever_paths,
)
from simulator.settings import MAX_HORIZON, Settings, load_settings
from simulator.summaries import (
    PERCENTILES,
    STAT_COLUMNS,
    LeverRun,
    Scan,
    Scorer,
    array_rows,
    quantile_years,
    scan,
    summary_stats,
)

# --------------------------------------------------------------------------- sampling kernels


def triangular_ppf(u: np.ndarray, low: ArrayLike, mode: ArrayLike, high: ArrayLike) -> np.ndarray:
    """Inverse CDF of the triangular distribution on ``[low, high]`` with mode ``mode``.

    ``low``, ``mode``, ``high``: numbers, or arrays that broadcast against ``u`` (one triangle per
    column). Where ``high <= low`` every value is ``low``.
    """
    low, mode, high = (np.asarray(v, dtype=float) for v in (low, mode, high))
    width = high - low
    flat = width <= 0
    if flat.any():
        width = np.where(flat, 1.0, width)
    cut = (mode - low) / width
    # low + sqrt(u w (mode - low)) below the mode, high - sqrt((1 - u) w (high - mode)) above,
    # computed in place (two temporaries, not ten)
    left = np.multiply(u, width)
    left *= mode - low
    np.sqrt(left, out=left)
    left += low
    out = np.subtract(1.0, u)
    out *= width
    out *= high - mode
    np.sqrt(out, out=out)
    np.subtract(high, out, out=out)
    np.copyto(out, left, where=u < cut)
    return np.where(flat, low, out) if flat.any() else out


def assumption_draws(
    rng: np.random.Generator, n: int, triples: Mapping[str, tuple[float, float, float]]
) -> dict[str, np.ndarray]:
    """Each effect-size assumption's ``n`` draws, triangular on its (low, central, high).

    One uniform number per draw and assumption, draw by draw (``rng.random((n, k))``), made a
    block of draws at a time: the same numbers as in one call, without a large temporary.
    """
    names = [a.name for a in ASSUMPTIONS]
    low, mode, high = (np.array([[triples[k][i]] for k in names]) for i in range(3))
    out = np.empty((len(names), n))
    step = max(1, BLOCK_ELEMENTS // len(names))
    for d0 in range(0, n, step):
        d1 = min(n, d0 + step)
        u = np.ascontiguousarray(rng.random((d1 - d0, len(names))).T)  # one row per assumption
        out[:, d0:d1] = triangular_ppf(u, low, mode, high)
    return dict(zip(names, out, strict=True))


def shocks(seed: np.random.SeedSequence, n: int, years: int) -> np.ndarray:
    """Standard-normal shocks, (n x years), drawn year by year (a longer horizon only appends)."""
    return np.random.Generator(np.random.PCG64(seed)).standard_normal((years, n)).T


# --------------------------------------------------------------------------- draws


@dataclass(frozen=True)
class Draws:
    """Everything random in a projection, for ``n`` draws and the projection years."""

    seed: int
    n: int
    years: np.ndarray
    """Projection years (first projection year to the horizon)."""
    assumptions: dict[str, np.ndarray]
    triples: dict[str, tuple[float, float, float]]
    alpha: np.ndarray
    beta: np.ndarray
    sigma: np.ndarray
    """Shock size in the first projection year (at the base year's core)."""
    shock_slope: np.ndarray
    """Fall of ln shock size per log point of the core above the base year's (0: constant shocks)."""
    shocks: np.ndarray | None
    """:attr:`z` when kept; ``None`` when it is made again on demand (:attr:`remake_shocks`)."""
    log_core_base: np.ndarray
    log_core: np.ndarray
    """ln C_t for the projection years, (draws x years)."""
    alpha_center: float
    """Trend growth at the central assumptions (calibrated, or the user's override)."""
    delta_center: float
    """Change in ln C between the sample's first year and the base year at the central assumptions."""
    alpha_noise: np.ndarray
    """Each draw's posterior deviation of the trend from its estimate."""
    trend_override: TrendOverride = field(default_factory=TrendOverride)
    remake_shocks: Callable[[], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def z(self) -> np.ndarray:
        """Standard-normal shocks, (draws x years); the first year's are conditioned on the nowcast.

        Draws made from a seed do not keep them (the core path is all a projection needs, and
        half the memory): they are drawn again, identically, when asked for.
        """
        if self.shocks is not None:
            return self.shocks
        assert self.remake_shocks is not None
        return self.remake_shocks()

    def arrays(self) -> list[np.ndarray]:
        """Every array held (for the cache's byte count and to make shared draws read-only)."""
        named = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        return named + list(self.assumptions.values())

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())


@dataclass(frozen=True)
class DrawsKey:
    """Everything :meth:`Engine.draws` depends on (no lever is in it): the draws' cache key."""

    n: int
    seed: int
    horizon: int
    triples: tuple[tuple[str, tuple[float, float, float]], ...]
    trend: tuple[tuple[str, float], ...]


def draws_key(
    scenario: Scenario,
    settings: Settings,
    *,
    horizon: int | None = None,
    n: int | None = None,
    seed: int | None = None,
) -> DrawsKey:
    """The draws a scenario needs: its own draws, seed and horizon where it sets them, else the
    run's ``settings``; an explicit ``horizon``, ``n`` or ``seed`` wins over both."""

    def pick(given: int | None, own: int | None, run: int) -> int:
        return given if given is not None else own if own is not None else run

    return DrawsKey(
        n=pick(n, scenario.draws, settings.draws),
        seed=pick(seed, scenario.seed, settings.seed),
        horizon=pick(horizon, scenario.horizon, settings.horizon),
        triples=tuple(sorted(assumption_triples(scenario).items())),
        trend=tuple(sorted(scenario.trend.model_dump(exclude_none=True).items())),
    )


DRAWS_CACHE_ENTRIES = 8
DRAWS_CACHE_BYTES = 512 * 2**20
"""The engine keeps at most 8 sets of draws and 512 MiB of them (10,000 draws to FY2040 take
about 3 MB; the largest allowed, 200,000 draws to FY2050, about 90 MB)."""


class Engine:
    """Projections from one dataset and one set of fitted parameters."""

    def __init__(
        self,
        data: Dataset,
        params: FittedParams,
        *,
        draws_cache_entries: int = DRAWS_CACHE_ENTRIES,
        draws_cache_bytes: int = DRAWS_CACHE_BYTES,
    ):
        if params.data_until is not None:
            data = data.until(params.data_until)
        if params.data_sha256 != data.sha256:
            raise InputError(
                "the fitted parameters were made from different data files; "
                "run `python -m calibration fit` after changing the data",
                file=data.directory,
            )
        declared = {a.name: a.central for a in ASSUMPTIONS}
        if params.central_assumptions != declared:
            raise InputError(
                "the fitted parameters were made with other central assumptions than the lever "
                "declarations; run `python -m calibration fit`",
            )
        self.data = data
        self.params = params
        self.base_year = params.sample.base_year
        self.sample_first_year = params.sample.first_year
        history = lever_history(data.lever_history, self.sample_first_year, self.base_year)
        self.first_year = int(history.years[0])
        self.history_years = history.years
        self.history_paths = history.paths
        self._exposure_history = history.exposures
        points = {p.fiscal_year: p.value_musd for p in params.sample.points}
        self.reported_first = points[self.sample_first_year]
        self.reported_base = points[self.base_year]
        self.draws_cache: BoundedCache[Draws] = BoundedCache(
            max_entries=draws_cache_entries,
            max_bytes=draws_cache_bytes,
            size=_draws_nbytes,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **cache_bounds: Any) -> Engine:
        """The engine for the settings' data and fitted parameters (``cache_bounds``: the
        ``draws_cache_*`` keywords of the constructor)."""
        s = settings if settings is not None else load_settings()
        return cls(load_dataset(s.data_dir), load_params(s.params_path), **cache_bounds)

    # ---- timeline

    @property
    def first_projection_year(self) -> int:
        return self.base_year + 1

    def projection_years(self, horizon: int) -> np.ndarray:
        if not self.first_projection_year <= horizon <= MAX_HORIZON:
            raise InputError(
                "is outside the model's range",
                field="horizon",
                value=horizon,
                allowed=f"fiscal years {self.first_projection_year} to {MAX_HORIZON}",
            )
        return np.arange(self.first_projection_year, horizon + 1)

    def full_paths(self, scenario: Scenario, years: np.ndarray) -> dict[str, np.ndarray]:
        future = lever_paths(scenario, years)
        return {k: np.concatenate([self.history_paths[k], future[k]]) for k in future}

    # ---- draws

    def draws(
        self,
        *,
        n: int,
        seed: int,
        horizon: int,
        triples: Mapping[str, tuple[float, float, float]] | None = None,
        trend: TrendOverride | None = None,
    ) -> Draws:
        """Parameter draws, shocks and the core path; independent of the levers."""
        years = self.projection_years(horizon)
        triples = (
            dict(triples)
            if triples is not None
            else {a.name: (a.low, a.central, a.high) for a in ASSUMPTIONS}
        )
        s_assume, s_trend, s_shock = np.random.SeedSequence(seed).spawn(3)
        theta = assumption_draws(np.random.Generator(np.random.PCG64(s_assume)), n, triples)
        alpha0, beta, sigma, slope = self._trend_draws(np.random.Generator(np.random.PCG64(s_trend)), n)
        return self.draws_given(
            seed=seed,
            horizon=horizon,
            assumptions=theta,
            alpha0=alpha0,
            beta=beta,
            sigma=sigma,
            shock_slope=slope,
            z=shocks(s_shock, n, len(years)),
            triples=triples,
            trend=trend,
            shock_seed=s_shock,
        )

    def raw_shocks(self, *, n: int, seed: int, horizon: int) -> np.ndarray:
        """The shocks :meth:`draws` makes from ``seed``, before conditioning on the nowcast:
        what :meth:`draws_given` takes as ``z`` to make the same draws again."""
        return shocks(np.random.SeedSequence(seed).spawn(3)[2], n, len(self.projection_years(horizon)))

    def draws_given(
        self,
        *,
        seed: int,
        horizon: int,
        assumptions: Mapping[str, np.ndarray],
        alpha0: np.ndarray,
        beta: np.ndarray,
        sigma: np.ndarray,
        z: np.ndarray,
        triples: Mapping[str, tuple[float, float, float]] | None = None,
        trend: TrendOverride | None = None,
        shock_seed: np.random.SeedSequence | None = None,
        shock_slope: np.ndarray | None = None,
    ) -> Draws:
        """Draws from given values of every uncertain quantity, one value per draw; nothing random.

        :meth:`draws` calls this with random values; a sensitivity analysis calls it with values
        set by its design. ``assumptions``: each effect size per draw; ``alpha0``, ``beta``,
        ``sigma``: the trend's posterior quantities per draw, before the effect-size adjustment and
        the user's ``trend`` overrides; ``z``: standard-normal shocks (draws x projection years up
        to ``horizon``) before conditioning on the nowcast; ``triples``: the assumptions' (low,
        central, high), whose central values centre the trend (default: as declared);
        ``shock_seed``: given when ``z`` is :func:`shocks` of that seed, made for this call: the
        core path is then computed in its memory and the shocks are made again when asked for;
        ``shock_slope``: how fast the shock size falls as the core grows, per draw (default: the
        posterior mean, as for a design that fixes ``beta``).
        """
        years = self.projection_years(horizon)
        trend = trend or TrendOverride()
        triples = (
            dict(triples)
            if triples is not None
            else {a.name: (a.low, a.central, a.high) for a in ASSUMPTIONS}
        )
        theta = dict(assumptions)
        n = len(alpha0)
        log_core_first, log_core_base = self._history_core(theta)
        central = {k: np.array([v[1]]) for k, v in triples.items()}
        c_first, c_base = self._history_core(central)
        span = self.params.sample.span
        fitted = self.params.trend.alpha
        delta_center = float(c_base[0] - c_first[0])
        if trend.growth_pct is not None:
            center = float(np.log1p(trend.growth_pct / 100.0))
        else:
            center = fitted + (delta_center - self._calibration_delta) / span
        alpha = center + (alpha0 - fitted) + ((log_core_base - log_core_first) - delta_center) / span
        if trend.slowdown_per_doubling is not None:
            beta = np.full(n, trend.slowdown_per_doubling / 100.0 / np.log(2.0))
        if trend.shock_scale is not None:
            sigma = sigma * trend.shock_scale
        if shock_slope is None:
            shock_slope = np.full(n, mean_shock_slope(self.params.trend.posterior))
        # the first year's shock has size sigma (the core starts at its base), so the nowcast's
        # normal conditioning holds as it is
        z = self._condition_on_nowcast(z, theta, alpha, sigma, log_core_base, years, copy=shock_seed is None)
        log_core = model.core_path(
            log_core_base, alpha, beta, sigma, z, shock_slope=shock_slope, overwrite=shock_seed is not None
        )
        remake = None
        kept: np.ndarray | None = z
        if shock_seed is not None:
            kept = None  # made again on demand (Draws.z): the draws stay small
            remake = partial(self._remade_shocks, shock_seed, theta, alpha, sigma, log_core_base, years)
        return Draws(
            seed=seed,
            n=n,
            years=years,
            assumptions=theta,
            triples=triples,
            alpha=alpha,
            beta=beta,
            sigma=sigma,
            shock_slope=shock_slope,
            shocks=kept,
            log_core_base=log_core_base,
            log_core=log_core,
            alpha_center=center,
            delta_center=delta_center,
            alpha_noise=alpha0 - fitted,
            trend_override=trend,
            remake_shocks=remake,
        )

    def _remade_shocks(self, seed, theta, alpha, sigma, log_core_base, years) -> np.ndarray:
        """The shocks :meth:`draws` made from ``seed``, conditioned on the nowcast again."""
        z = shocks(seed, len(alpha), len(years))
        return self._condition_on_nowcast(z, theta, alpha, sigma, log_core_base, years, copy=False)

    def _trend_draws(
        self, rng: np.random.Generator, n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(alpha, beta, sigma, shock slope) from the trend's posterior; none of it depends on user input."""
        return posterior_draws(self.params.trend.posterior, rng, n)

    def _history_core(self, theta: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """ln C at the sample's first year and at the base year, for each draw of the assumptions."""
        cols = np.array([self.sample_first_year - self.first_year, self.base_year - self.first_year])
        fx = model.effects(self._exposure_history, theta, cols)
        first = model.Effects({k: v[:, :1] for k, v in fx.by_lever.items()})
        base = model.Effects({k: v[:, 1:] for k, v in fx.by_lever.items()})
        lc_first = model.log_core_from(self.reported_first, first)[:, 0]
        lc_base = model.log_core_from(self.reported_base, base)[:, 0]
        if np.isnan(lc_first).any() or np.isnan(lc_base).any():
            raise InputError(
                "the effect assumptions attribute more than the reported exports to technology zones "
                "and startup funding; lower `tech_zones.exports_per_zone` or `vc_funding.export_yield`",
                field="assumptions",
            )
        return lc_first, lc_base

    @cached_property
    def _calibration_delta(self) -> float:
        """ln C_base - ln C_first at the central assumptions the fit used."""
        central = {k: np.array([v]) for k, v in self.params.central_assumptions.items()}
        f, b = self._history_core(central)
        return float(b[0] - f[0])

    def _condition_on_nowcast(
        self, z, theta, alpha, sigma, log_core_base, years, *, copy: bool = True
    ) -> np.ndarray:
        """Condition the first projection year's shock on its year-to-date figures.

        Prior: ``ln R_T = m + sigma z`` with ``m`` the model's value without a shock under current
        policy; the nowcast says ``ln R_T ~ N(mu, tau^2)``. The posterior shock is normal with
        mean ``k (mu - m)`` and variance ``(1 - k) sigma^2``, ``k = sigma^2 / (sigma^2 + tau^2)``.
        """
        nc = self.params.nowcast
        if nc is None or nc.fiscal_year != int(years[0]):
            return z
        paths = self.full_paths(baseline_scenario(), years[:1])
        fx = model.effects(model.exposures(paths), theta, np.array([len(self.history_years)]))
        m = np.log(model.exports_from((log_core_base + alpha)[:, None], fx))[:, 0]
        var = sigma**2
        k = np.where(var > 0, var / (var + nc.log_sd**2), 0.0)
        safe_sigma = np.where(sigma > 0, sigma, 1.0)
        if copy:  # not when z was made for this call (draws()): the core path overwrites it anyway
            z = z.copy()
        z[:, 0] = np.where(
            sigma > 0, k * (nc.log_mean - m) / safe_sigma + np.sqrt(1.0 - k) * z[:, 0], z[:, 0]
        )
        return z

    def draws_for(self, scenario: Scenario, settings: Settings) -> Draws:
        """New draws for ``scenario`` under ``settings`` (not cached: :meth:`cached_draws` is)."""
        return self._draws_of(draws_key(scenario, settings))

    def cached_draws(
        self,
        scenario: Scenario,
        settings: Settings,
        *,
        horizon: int | None = None,
        n: int | None = None,
        seed: int | None = None,
    ) -> Draws:
        """The draws for ``scenario`` under ``settings`` (see :func:`draws_key` for the overrides),
        made once and shared by every caller that needs the same ones, from any thread.

        Shared draws are read-only: a caller that changed them would change every other
        caller's projections.
        """
        key = draws_key(scenario, settings, horizon=horizon, n=n, seed=seed)
        return self.draws_cache.get(key, lambda: _read_only(self._draws_of(key)))

    def _draws_of(self, key: DrawsKey) -> Draws:
        return self.draws(
            n=key.n,
            seed=key.seed,
            horizon=key.horizon,
            triples=dict(key.triples),
            trend=TrendOverride(**dict(key.trend)),
        )

    # ---- projection

    def project(self, scenario: Scenario, draws: Draws) -> Projection:
        """Project ``scenario`` (already merged onto its base) with ``draws``.

        The baseline (every lever at current policy) uses the same draws, so the difference
        between the two is the effect of the scenario's levers alone. It is computed on demand.
        """
        return Projection(engine=self, scenario=scenario, draws=draws)

    def effects_for(self, scenario: Scenario, draws: Draws) -> model.Effects:
        cols = np.arange(len(self.history_years), len(self.history_years) + len(draws.years))
        return model.effects(model.exposures(self.full_paths(scenario, draws.years)), draws.assumptions, cols)

    def exposure_for(self, scenario: Scenario, years: np.ndarray) -> dict[str, np.ndarray]:
        """Each lever's exposure in the projection ``years`` (computed over the whole timeline)."""
        return {k: self.lever_exposure(k, path) for k, path in lever_paths(scenario, years).items()}

    def lever_exposure(self, name: str, path: np.ndarray) -> np.ndarray:
        """One lever's exposure in the projection years, given its ``path`` in those years."""
        full = np.concatenate([self.history_paths[name], path])
        return model.KERNELS[name].exposure(full)[len(self.history_years) :]

    def lever_run(self, scenario: Scenario, draws: Draws) -> LeverRun:
        """The exports of ``scenario`` with ``draws``, to be computed a block at a time."""
        return LeverRun(draws, self.exposure_for(scenario, draws.years))

    def scorer(
        self,
        draws: Draws,
        *,
        targets: Sequence[Target],
        years: Sequence[int] = (),
        percentiles: Sequence[float] = (10, 50, 90),
    ) -> Scorer:
        """Score many settings of the levers with the same ``draws`` (see :class:`Scorer`)."""
        return Scorer(self, draws, targets=targets, years=years, percentiles=percentiles)

    def reached_in_history(self, target: Target) -> int | None:
        """The first fiscal year of the data whose exports reached the target's amount, if any."""
        return next((y for y, v in self.history() if v >= target.amount_musd), None)

    @cached_property
    def target_amounts(self) -> tuple[float, ...]:
        """The distinct amounts of the targets not yet reached: a projection counts the draws that
        reach each (the odds of a target reached in the history come from the history)."""
        top = max((v for _, v in self.history()), default=-np.inf)
        return tuple(sorted({t.amount_musd for t in self.data.targets if t.amount_musd > top}))

    def run(self, scenario: Scenario, settings: Settings | None = None) -> Projection:
        """Draw and project in one call."""
        s = settings if settings is not None else load_settings()
        return self.project(scenario, self.draws_for(scenario, s))

    # ---- data views

    def history(self) -> list[tuple[int, float]]:
        """Reported full-year exports (latest vintage), up to the base year."""
        return list(self._history)

    @cached_property
    def _history(self) -> tuple[tuple[int, float], ...]:
        return tuple(
            (y, o.value_musd) for y, o in annual_series(self.data.observations) if y <= self.base_year
        )

    def open_targets(self) -> list[Target]:
        """Targets whose deadline is after the last full year of data, or that have no deadline."""
        return [t for t in self.data.targets if t.deadline_fy is None or t.deadline_fy > self.base_year]

    def trend_growth_pct(self) -> float:
        return float(np.expm1(self.params.trend.alpha) * 100.0)

    def historical_cagr(self, years: int) -> tuple[int, float]:
        """Compound annual growth of reported exports over the last ``years`` years of data."""
        hist = dict(self.history())
        start = self.base_year - years
        if start not in hist:
            start = min(y for y in hist if y >= start)
        n = self.base_year - start
        return start, (hist[self.base_year] / hist[start]) ** (1.0 / n) - 1.0


def _draws_nbytes(draws: Draws) -> int:
    return draws.nbytes


def _read_only(draws: Draws) -> Draws:
    for a in draws.arrays():
        a.flags.writeable = False
    return draws


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TargetOdds:
    """A target's odds. ``p_by_deadline`` and ``p_never`` are ``None`` when they cannot be
    computed, and ``not_computed`` says why (no deadline; a horizon before the deadline)."""

    target: Target
    p_by_deadline: float | None
    year_p10: int | None
    year_p50: int | None
    year_p90: int | None
    p_never: float | None
    reached_in_history: int | None
    required_cagr: float | None
    not_computed: str | None = None


class Projection:
    """A scenario projected with a set of draws, and its baseline with the same draws.

    Everything is computed on first use. The statistics and the odds of the targets come from one
    pass over the years (:func:`simulator.summaries.scan`) that keeps no (draws x years) array;
    :attr:`exports` and :attr:`effects` are made whole only when asked for.
    """

    def __init__(
        self, engine: Engine, scenario: Scenario, draws: Draws, effects: model.Effects | None = None
    ):
        self.engine = engine
        self.scenario = scenario
        self.draws = draws
        if effects is not None:
            self.__dict__["effects"] = effects
        self._first_reach: dict[tuple[bool, float], np.ndarray] = {}

    @property
    def years(self) -> np.ndarray:
        return self.draws.years

    @cached_property
    def effects(self) -> model.Effects:
        """Each lever's effect, (draws x projection years)."""
        return self.engine.effects_for(self.scenario, self.draws)

    @cached_property
    def _run(self) -> LeverRun:
        return self.engine.lever_run(self.scenario, self.draws)

    @cached_property
    def _baseline_run(self) -> LeverRun:
        return self.engine.lever_run(baseline_scenario(), self.draws)

    @cached_property
    def exports(self) -> np.ndarray:
        """Reported exports, US$ m, (draws x projection years)."""
        return self._run.all().T

    @cached_property
    def baseline_effects(self) -> model.Effects:
        return self.engine.effects_for(baseline_scenario(), self.draws)

    @cached_property
    def baseline_exports(self) -> np.ndarray:
        return self._baseline_run.all().T

    @cached_property
    def _summary(self) -> Scan:
        return self._scan(baseline=False)

    @cached_property
    def _baseline_summary(self) -> Scan:
        return self._scan(baseline=True)

    def _scan(self, *, baseline: bool) -> Scan:
        made = self.__dict__.get("baseline_exports" if baseline else "exports")
        run = self._baseline_run if baseline else self._run
        rows = array_rows(made.T) if made is not None else run.rows
        every = range(len(self.years))
        return scan(
            rows,
            n=self.draws.n,
            stop=len(self.years),
            stat_years=every,
            percentiles=PERCENTILES,
            amounts=self.engine.target_amounts,
            count_years=every,
        )

    @cached_property
    def stats(self) -> dict[str, np.ndarray]:
        """Mean and percentiles per projection year."""
        return summary_stats(self._summary.mean, self._summary.percentiles)

    @cached_property
    def baseline_stats(self) -> dict[str, np.ndarray]:
        return summary_stats(self._baseline_summary.mean, self._baseline_summary.percentiles)

    def table(self) -> list[dict[str, object]]:
        """One row per fiscal year: reported history, then the projection (US$ m)."""
        rows: list[dict[str, object]] = []
        for y, v in self.engine.history():
            rows.append({"fiscal_year": y, "kind": "history", **dict.fromkeys(STAT_COLUMNS, v)})
        st = self.stats
        for j, y in enumerate(self.years):
            rows.append(
                {"fiscal_year": int(y), "kind": "projection", **{c: float(st[c][j]) for c in STAT_COLUMNS}}
            )
        return rows

    @cached_property
    def _peak(self) -> np.ndarray:
        return running_max(self.exports)

    @cached_property
    def _baseline_peak(self) -> np.ndarray:
        return running_max(self.baseline_exports)

    def first_reach(self, amount: float, *, baseline: bool = False) -> np.ndarray:
        """First projection year each draw reaches ``amount`` (``inf``: not by the horizon)."""
        key = (baseline, amount)
        if key not in self._first_reach:
            peak = self._baseline_peak if baseline else self._peak
            self._first_reach[key] = first_year_reached(peak, self.years, amount)
        return self._first_reach[key]

    def reached(self, amount: float, *, baseline: bool = False) -> np.ndarray:
        """Per projection year, the draws that reached ``amount`` in that year or before."""
        amounts = self.engine.target_amounts
        if amount in amounts:
            summary = self._baseline_summary if baseline else self._summary
            return summary.reached[amounts.index(amount)]
        peak = self._baseline_peak if baseline else self._peak
        return np.count_nonzero(peak >= amount, axis=1)

    def reach_summary(
        self, amount: float, *, baseline: bool = False
    ) -> tuple[int | None, int | None, int | None, float]:
        """(10th, 50th, 90th percentile of the first year reached, share never reached)."""
        reached = self.reached(amount, baseline=baseline)
        n = self.draws.n
        return (*quantile_years(reached, n, int(self.years[0])), float((n - reached[-1]) / n))

    def target_odds(
        self, targets: Iterable[Target] | None = None, *, baseline: bool = False
    ) -> list[TargetOdds]:
        """Odds of each target (default: the open ones) by its deadline, and when it is reached."""
        chosen = list(targets) if targets is not None else self.engine.open_targets()
        return [self._odds(t, baseline) for t in chosen]

    def _odds(self, target: Target, baseline: bool) -> TargetOdds:
        engine = self.engine
        reached = engine.reached_in_history(target)
        required = None
        if target.deadline_fy is not None and target.deadline_fy > engine.base_year:
            years_left = target.deadline_fy - engine.base_year
            required = (target.amount_musd / engine.reported_base) ** (1.0 / years_left) - 1.0
        if reached is not None:
            ok = target.deadline_fy is None or reached <= target.deadline_fy
            return TargetOdds(target, 1.0 if ok else 0.0, reached, reached, reached, 0.0, reached, required)
        p10, p50, p90, p_never = self.reach_summary(target.amount_musd, baseline=baseline)
        horizon = int(self.years[-1])
        if target.deadline_fy is None:
            return TargetOdds(target, None, p10, p50, p90, p_never, None, required, "no deadline stated")
        if target.deadline_fy > horizon:  # paths stop before the deadline: the odds would be understated
            why = f"not computed: the horizon (FY{horizon}) ends before the deadline (FY{target.deadline_fy})"
            return TargetOdds(target, None, p10, p50, p90, None, None, required, why)
        by_year = self.reached(target.amount_musd, baseline=baseline)
        p = reached_by(by_year, self.years, target.deadline_fy) / self.draws.n
        return TargetOdds(target, p, p10, p50, p90, p_never, None, required)

    def contributions(self) -> dict[str, np.ndarray]:
        """Each lever's part of (scenario - baseline), per draw and year; they add up exactly."""
        return model.decompose(self.draws.log_core, self.effects, self.baseline_effects)


def reached_by(reached: np.ndarray, years: np.ndarray, deadline: int) -> int:
    """Draws that reached an amount by ``deadline`` (at most the last projection year), from the
    counts per projection year."""
    if deadline < years[0]:
        return 0
    return int(reached[min(deadline, int(years[-1])) - int(years[0])])


def summarise(x: np.ndarray) -> dict[str, np.ndarray]:
    """Mean and the :data:`PERCENTILES` over draws (axis 0), per year.

    Equal to ``np.percentile(x, PERCENTILES, axis=0)`` (linear interpolation), from exact order
    statistics (:func:`simulator.quantiles.row_percentiles`) of each year's contiguous row.
    """
    rows = np.ascontiguousarray(x.T)
    every = range(rows.shape[0])
    s = scan(array_rows(rows), n=rows.shape[1], stop=rows.shape[0], stat_years=every, percentiles=PERCENTILES)
    return summary_stats(s.mean, s.percentiles)


def running_max(x: np.ndarray) -> np.ndarray:
    """Highest value reached so far, per draw, year by year: (years x draws), year-major."""
    rows = x.T
    out = np.empty(rows.shape)
    out[0] = rows[0]
    for j in range(1, rows.shape[0]):
        np.maximum(out[j - 1], rows[j], out=out[j])
    return out


def first_year_reached(peak: np.ndarray, years: np.ndarray, amount: float) -> np.ndarray:
    """First projection year each draw reaches ``amount`` (``inf``: never), from :func:`running_max`.

    The running maximum only rises, so the years before the first one that reaches ``amount``
    are exactly the years whose maximum so far is below it.
    """
    before = np.count_nonzero(peak < amount, axis=0)
    return np.where(before < len(years), years[0] + before, np.inf)


def year_quantiles(first: np.ndarray) -> tuple[int | None, int | None, int | None]:
    """10th, 50th and 90th percentile of the first year reached; ``None``: not by the horizon.

    Same as ``np.percentile(first, q, method="inverted_cdf")``, but the values are whole years,
    so counting draws per year is exact and cheaper than sorting.
    """
    finite = np.isfinite(first)
    if not finite.any():
        return (None, None, None)
    lo = int(first[finite].min())
    reached = np.cumsum(np.bincount((first[finite] - lo).astype(np.intp)))
    return quantile_years(reached, len(first), lo)
