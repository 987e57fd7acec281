"""Rolling-origin backtest: how the model would have forecast the past.

For each origin year, the model is fitted on the data up to that year (``fit(..., until=origin)``)
and projects 1 to 3 years ahead; the forecasts are compared with what was reported (latest
vintage) and with a naive forecast that extends the average past growth.

Two ways to treat the levers in the forecast years:

``actual``  (default) the levers take their recorded historical values: a *conditional*
            forecast, which isolates the model's trend and uncertainty from policy surprises;
``origin``  the levers stay at their values in the origin year, as a forecaster would have
            assumed then.

Two ways to treat the vintages:

``latest``     (pseudo-real-time, default) each origin uses the latest vintage of the data up to
               that year (``until``): the first prints of FY2019, for one, were revised up by 9%
               later, and the forecaster at FY2019 did not know it;
``real-time``  each origin is a day (:func:`origin_date`, the end of September after the origin
               year by default) and sees only the figures published by then
               (:meth:`simulator.data.Dataset.as_of`): the fit on that vintage (the peer panel's
               years before the origin, as for ``latest``), the nowcast from the year-to-date
               figures known then. If the origin year itself was not yet
               published on that day, the last published year is the fit's base and the origin
               year is forecast too (horizon 0, from its year-to-date figures).

Either way the forecasts are scored against the latest figures.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

import numpy as np

from calibration.fit import MIN_POINTS, fit
from calibration.nowcast import Z80, estimate_nowcast
from calibration.peers_backtest import naive_draws
from calibration.scores import crps_samples
from simulator.data import Dataset, annual_series, known_dates, lever_history_paths
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.levers import LEVERS
from simulator.params import Nowcast
from simulator.scenario import LeverPath, Scenario

MIN_DOF = 3
"""An origin needs at least this many degrees of freedom for the shock size (MIN_DOF + 2 points)."""

LeverMode = Literal["actual", "origin"]
MONTHS_AFTER = 3
"""A real-time origin is the end of this many months after the origin year (30 September): the
year's first full-year print and the next year's July figure are usually out by then."""


@dataclass(frozen=True)
class BacktestRow:
    origin_fy: int
    target_fy: int
    horizon: int
    actual: float
    p10: float
    p50: float
    p90: float
    naive: float
    crps: float
    """CRPS of the model's log exports (log points; :func:`calibration.scores.crps_samples`)."""
    naive_crps: float
    """CRPS of the naive drift with the drift method's normal intervals, as in the panel backtest."""

    def as_dict(self) -> dict[str, float | int | str | None]:
        return asdict(self)


@dataclass(frozen=True)
class RealTimeRow(BacktestRow):
    as_of: str
    """The origin day (ISO date): nothing published after it was seen."""
    base_fy: int
    """The last full year published by then: the fit's base year."""
    nowcast_months: int | None
    """Months of the year after ``base_fy`` known then (None: no nowcast)."""


def origins(data: Dataset) -> list[int]:
    """Origin years with enough history to estimate the shock size and a later year to check."""
    years = [y for y, _ in annual_series(data.observations)]
    needed = max(MIN_POINTS, MIN_DOF + 2)
    return [y for i, y in enumerate(years) if i + 1 >= needed and y < years[-1]]


def naive_forecast(history: list[tuple[int, float]], target_fy: int) -> float:
    """Average past growth (compound, first to last observed year) extended to ``target_fy``."""
    (y0, v0), (y1, v1) = history[0], history[-1]
    growth = (v1 / v0) ** (1.0 / (y1 - y0))
    return v1 * growth ** (target_fy - y1)


def backtest(
    data: Dataset,
    *,
    horizons: int = 3,
    draws: int = 10_000,
    seed: int = 20250820,
    levers: LeverMode = "actual",
) -> list[BacktestRow]:
    """Pseudo-real-time: at each origin year, the latest vintage of the data up to it."""
    rows: list[BacktestRow] = []
    for origin in origins(data):
        params = fit(data, until=origin)
        for r in _forecasts(data, Engine(data, params), origin, horizons, draws, seed, levers):
            rows.append(BacktestRow(**r))
    return rows


def origin_date(origin: int, months_after: int = MONTHS_AFTER) -> date:
    """The last day of the ``months_after``-th month after fiscal year ``origin`` ends (June)."""
    y, m = divmod(origin * 12 + 5 + months_after, 12)
    return date(y, m + 1, calendar.monthrange(y, m + 1)[1])


def real_time_backtest(
    data: Dataset,
    *,
    horizons: int = 3,
    draws: int = 10_000,
    seed: int = 20250820,
    levers: LeverMode = "actual",
    months_after: int = MONTHS_AFTER,
) -> tuple[list[RealTimeRow], list[str]]:
    """Real-time: at each origin day, only the figures published by then (module docstring).

    The origins are those of the pseudo-real-time backtest; one whose day shows too few full
    years to fit is skipped, and the second value says why.
    """
    rows: list[RealTimeRow] = []
    skipped: list[str] = []
    needed = max(MIN_POINTS, MIN_DOF + 2)
    for origin in origins(data):
        day = origin_date(origin, months_after)
        view = data.as_of(day)
        known = len(annual_series(view.observations))
        if known < needed:
            skipped.append(
                f"FY{origin} (as of {day}): {known} full years published by then; the fit needs {needed}"
            )
            continue
        try:  # the peer panel up to the origin, as in the pseudo-real-time backtest
            params = fit(view, peers_until=origin)
        except InputError as exc:
            skipped.append(f"FY{origin} (as of {day}): {exc}")
            continue
        engine = Engine(view, params)
        months = params.nowcast.months if params.nowcast is not None else None
        for r in _forecasts(data, engine, origin, horizons, draws, seed, levers):
            rows.append(
                RealTimeRow(**r, as_of=day.isoformat(), base_fy=engine.base_year, nowcast_months=months)
            )
    return rows, skipped


def _forecasts(
    data: Dataset, engine: Engine, origin: int, horizons: int, draws: int, seed: int, levers: LeverMode
) -> list[dict]:
    """Forecasts of the years after the engine's base year up to ``origin + horizons`` that have a
    (latest) figure in ``data``, with the naive forecast from the engine's own history."""
    actual = {y: o.value_musd for y, o in annual_series(data.observations)}
    horizon_year = min(origin + horizons, max(actual))
    scenario = _lever_scenario(data, engine.base_year, horizon_year, levers)
    projection = engine.project(scenario, engine.draws(n=draws, seed=seed, horizon=horizon_year))
    hist = [(p.fiscal_year, p.value_musd) for p in engine.params.sample.points]
    hist_years = np.array([y for y, _ in hist])
    hist_logv = np.log([v for _, v in hist])
    out = []
    for j, y in enumerate(int(y) for y in projection.years):
        if y not in actual:
            continue
        p10, p50, p90 = np.percentile(projection.exports[:, j], [10, 50, 90])
        log_actual = np.array([np.log(actual[y])])
        naive = naive_draws(hist_years, hist_logv, [y - int(hist_years[-1])], seed=seed, n=draws)
        out.append(
            dict(
                origin_fy=origin,
                target_fy=y,
                horizon=y - origin,
                actual=actual[y],
                p10=float(p10),
                p50=float(p50),
                p90=float(p90),
                naive=naive_forecast(hist, y),
                crps=float(crps_samples(np.log(projection.exports[:, j]), log_actual)[0]),
                naive_crps=float(crps_samples(naive[:, 0], log_actual)[0]),
            )
        )
    return out


def _lever_scenario(data: Dataset, start: int, last: int, mode: LeverMode) -> Scenario:
    """Levers over the forecast years after ``start``: recorded values (``actual``) or held at
    ``start``'s (``origin``)."""
    years = list(range(start, last + 1))
    paths = lever_history_paths(data.lever_history, years)
    levers = {}
    for lv in LEVERS:
        values = paths[lv.name]
        if mode == "origin":
            values = [values[0]] * len(values)
        path = {y: v for y, v in zip(years[1:], values[1:], strict=True)}
        levers[lv.name] = LeverPath.model_validate({"values": path})  # start/ramp_years: value's only
    return Scenario(name=f"backtest-{start}", base=None, levers=levers)


@dataclass(frozen=True)
class HorizonScore:
    horizon: int
    n: int
    mae_model_pct: float
    mae_naive_pct: float
    coverage_80: float
    crps_model: float
    crps_naive: float


def score(rows: list[BacktestRow]) -> list[HorizonScore]:
    """Mean absolute percentage error of the median and of the naive forecast, how often the
    10-90% interval held the actual figure, and the mean CRPS of both, per horizon."""
    out = []
    for h in sorted({r.horizon for r in rows}):
        rs = [r for r in rows if r.horizon == h]
        out.append(
            HorizonScore(
                horizon=h,
                n=len(rs),
                mae_model_pct=float(np.mean([abs(r.p50 / r.actual - 1) for r in rs]) * 100),
                mae_naive_pct=float(np.mean([abs(r.naive / r.actual - 1) for r in rs]) * 100),
                coverage_80=float(np.mean([r.p10 <= r.actual <= r.p90 for r in rs])),
                crps_model=float(np.mean([r.crps for r in rs])),
                crps_naive=float(np.mean([r.naive_crps for r in rs])),
            )
        )
    return out


# --------------------------------------------------------------------------- the nowcast in real time


@dataclass(frozen=True)
class NowcastRow:
    """The nowcast of the year after the last published full year, as it stood at a month's end."""

    as_of: str
    fiscal_year: int
    months: int
    """The last fiscal month of that year with a figure on that day."""
    ytd_musd: float
    actual: float
    """The year's latest full-year figure."""
    p10: float
    p50: float
    p90: float
    log_sd: float

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def nowcast_backtest(data: Dataset) -> list[NowcastRow]:
    """At the end of every month, the nowcast made from the figures published by then
    (:meth:`Dataset.as_of`), for every day whose nowcast year now has a full-year figure."""
    actual = {y: o.value_musd for y, o in annual_series(data.observations)}
    first = min(o.period_end for o in data.observations)
    end = max(known_dates(data.observations))
    rows: list[NowcastRow] = []
    seen: dict[tuple, Nowcast | None] = {}
    y, m = first.year, first.month
    while (day := date(y, m, calendar.monthrange(y, m)[1])) <= end:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        view = data.as_of(day)
        series = annual_series(view.observations)
        if not series or series[-1][0] + 1 not in actual:
            continue
        key = tuple(id(o) for o in view.observations)
        if key not in seen:
            seen[key] = estimate_nowcast(view, series[-1][0]).nowcast
        nc = seen[key]
        if nc is None:
            continue
        p10, p50, p90 = np.exp(nc.log_mean + np.array([-Z80, 0.0, Z80]) * nc.log_sd)
        rows.append(
            NowcastRow(
                as_of=day.isoformat(),
                fiscal_year=nc.fiscal_year,
                months=nc.months,
                ytd_musd=nc.ytd_musd,
                actual=actual[nc.fiscal_year],
                p10=float(p10),
                p50=float(p50),
                p90=float(p90),
                log_sd=nc.log_sd,
            )
        )
    return rows


MONTH_GROUPS = ((1, 3), (4, 6), (7, 9), (10, 11))


@dataclass(frozen=True)
class NowcastScore:
    months: tuple[int, int]
    n: int
    mae_pct: float
    coverage_80: float
    median_band_pct: float
    """Median width of the 80% interval, as a percentage of its median."""


def score_nowcasts(rows: list[NowcastRow]) -> list[NowcastScore]:
    """Mean absolute % error of the median, coverage and width of the 80% interval, by how many
    months of the year were known."""
    out = []
    for lo, hi in MONTH_GROUPS:
        rs = [r for r in rows if lo <= r.months <= hi]
        if rs:
            out.append(
                NowcastScore(
                    months=(lo, hi),
                    n=len(rs),
                    mae_pct=float(np.mean([abs(r.p50 / r.actual - 1) for r in rs]) * 100),
                    coverage_80=float(np.mean([r.p10 <= r.actual <= r.p90 for r in rs])),
                    median_band_pct=float(np.median([(r.p90 - r.p10) / r.p50 for r in rs]) * 100),
                )
            )
    return out
