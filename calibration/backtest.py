"""Rolling-origin backtest: how the model would have forecast the past.

For each origin year, the model is fitted on the data up to that year (``fit(..., until=origin)``)
and projects 1 to 3 years ahead; the forecasts are compared with what was reported (latest
vintage) and with a naive forecast that extends the average past growth.

Two ways to treat the levers in the forecast years:

``actual``  (default) the levers take their recorded historical values: a *conditional*
            forecast, which isolates the model's trend and uncertainty from policy surprises;
``origin``  the levers stay at their values in the origin year, as a forecaster would have
            assumed then.

Caveat: each origin uses the latest vintage of the data up to that year, not the figures as
first printed (a pseudo-real-time backtest). The first prints of FY2019, for one, were revised
up by 9%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from calibration.fit import MIN_POINTS, fit
from simulator.data import Dataset, annual_series, lever_history_paths
from simulator.engine import Engine
from simulator.levers import LEVERS
from simulator.scenario import LeverPath, Scenario

MIN_DOF = 3
"""An origin needs at least this many degrees of freedom for the shock size (MIN_DOF + 2 points)."""

LeverMode = Literal["actual", "origin"]


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

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


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
    actual = {y: o.value_musd for y, o in annual_series(data.observations)}
    last = max(actual)
    rows: list[BacktestRow] = []
    for origin in origins(data):
        params = fit(data, until=origin)
        engine = Engine(data, params)
        horizon_year = min(origin + horizons, last)
        scenario = _lever_scenario(data, origin, horizon_year, levers)
        projection = engine.project(scenario, engine.draws(n=draws, seed=seed, horizon=horizon_year))
        hist = [(y, v) for y, v in sorted(actual.items()) if y <= origin]
        for j, y in enumerate(projection.years):
            if int(y) not in actual:
                continue
            x = projection.exports[:, j]
            p10, p50, p90 = np.percentile(x, [10, 50, 90])
            rows.append(
                BacktestRow(
                    origin_fy=origin,
                    target_fy=int(y),
                    horizon=int(y) - origin,
                    actual=actual[int(y)],
                    p10=float(p10),
                    p50=float(p50),
                    p90=float(p90),
                    naive=naive_forecast(hist, int(y)),
                )
            )
    return rows


def _lever_scenario(data: Dataset, origin: int, last: int, mode: LeverMode) -> Scenario:
    """Levers over the forecast years: recorded values (``actual``) or held at the origin's."""
    years = list(range(origin, last + 1))
    paths = lever_history_paths(data.lever_history, years)
    levers = {}
    for lv in LEVERS:
        values = paths[lv.name]
        if mode == "origin":
            values = [values[0]] * len(values)
        levers[lv.name] = LeverPath(values={y: v for y, v in zip(years[1:], values[1:], strict=True)})
    return Scenario(name=f"backtest-{origin}", base=None, levers=levers)


@dataclass(frozen=True)
class HorizonScore:
    horizon: int
    n: int
    mae_model_pct: float
    mae_naive_pct: float
    coverage_80: float


def score(rows: list[BacktestRow]) -> list[HorizonScore]:
    """Mean absolute percentage error of the median and of the naive forecast, and how often the
    10-90% interval held the actual figure, per horizon."""
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
            )
        )
    return out
