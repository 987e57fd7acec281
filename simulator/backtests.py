"""The backtest results file: what ``python -m calibration fit`` writes beside the parameters.

The app shows from this file how the model would have forecast the past (Pakistan's rolling
backtest and the peer panel's) and how much the odds of the targets depend on the assumptions
the data cannot settle; it never re-runs them (the simulator does not import ``calibration``).
The file sits beside the parameter file: ``fitted_params.json`` -> ``fitted_params_backtest.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final, Literal

from simulator.params import _Strict, read_fit_file

SCHEMA_VERSION: Final = 3


class PakistanRow(_Strict):
    origin_fy: int
    target_fy: int
    horizon: int
    actual: float
    p10: float
    p50: float
    p90: float
    naive: float
    crps: float
    """CRPS of log exports (log points), the model's; ``naive_crps`` the naive drift's."""
    naive_crps: float


class PakistanScore(_Strict):
    horizon: int
    n: int
    mae_model_pct: float
    mae_naive_pct: float
    coverage_80: float
    crps_model: float
    crps_naive: float


class PanelScore(_Strict):
    model: Literal["panel", "own", "naive"]
    """``panel``: the peer model; ``own``: the Pakistan-only model fitted per country; ``naive``: drift."""
    horizon: int
    n: int
    mape_pct: float
    crps: float
    """Mean CRPS of log exports (log points)."""
    coverage_80: float


class PanelOriginScore(_Strict):
    """The panel model's forecasts at one origin and horizon
    (``calibration.peers_backtest.by_origin``)."""

    origin: int
    horizon: int
    n: int
    median_log_error: float
    """Median over the forecasts of ``ln(actual / p50)``: positive when the actuals came out above
    the panel model's median."""
    mean_log_error: float
    coverage_80: float


class PanelShiftScore(_Strict):
    """Per horizon, the panel model's coverage as forecast and with each forecast's origin shift
    taken out of its p10, p50 and p90 (``calibration.peers_backtest.shift_removed``)."""

    horizon: int
    n: int
    """Forecasts with a shift; those with too few other countries at their origin and horizon
    are counted in ``skipped``."""
    skipped: int
    coverage_80: float
    """Share of the ``n`` forecasts whose 80% interval held the actual, as forecast."""
    above_median: float
    """Share of the ``n`` actuals above the forecast median (0.5 when the median is unbiased)."""
    coverage_80_shift_removed: float
    above_median_shift_removed: float


class PanelBacktest(_Strict):
    form: Literal["drift", "damped"]
    shocks: Literal["constant", "scaled"] = "constant"
    origins: list[int]
    countries: int
    forecasts: int
    scores: list[PanelScore]
    pit: dict[str, list[int]]
    """PIT histogram (ten bins) of each model over every forecast."""
    by_origin: list[PanelOriginScore]
    shift_removed: list[PanelShiftScore]


class DependenceRow(_Strict):
    """The odds of the targets with one assumption moved (``calibration/dependence.py``)."""

    assumption: str
    setting: str
    scenario: str
    odds: dict[str, float]
    """By target id: the chance of reaching it by its deadline; ``<id>_by_2040``: by FY2040."""


class PeerPath(_Strict):
    """A panel country's series (latest vintages), for the app's reference-class chart."""

    country: str
    iso3: str
    points: list[tuple[int, float]]


class BacktestResults(_Strict):
    schema_version: Literal[3]
    params_sha256: str
    """:meth:`FittedParams.sha256` of the parameters these results belong to."""
    pakistan: list[PakistanRow]
    pakistan_scores: list[PakistanScore]
    panel: PanelBacktest | None
    """``None`` when the data folder has no peer panel."""
    dependence: list[DependenceRow]
    peers: list[PeerPath]
    """The panel the trend learned from (empty without a peer panel)."""


def results_path(params_path: str | Path) -> Path:
    """The results file that belongs to a parameter file."""
    p = Path(params_path)
    return p.with_name(f"{p.stem}_backtest.json")


def load_results(path: str | Path) -> BacktestResults:
    return read_fit_file(Path(path), BacktestResults, "backtest results file")


def dump_results(results: BacktestResults) -> str:
    return json.dumps(results.model_dump(mode="json"), indent=1, allow_nan=False) + "\n"
