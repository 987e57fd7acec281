"""Does the panel model forecast better? Rolling-origin, leave-one-country-out forecasts.

For every panel country and every origin year in :data:`ORIGINS` (fixed before any score was
seen: every third year from 2001, so that windows overlap little) the country is treated as new:
the panel model is fitted on the *other* countries' figures up to the origin, and the country's
figures up to the origin are its own data (:func:`calibration.peers.country_posterior`). It
forecasts 1 to 5 years ahead. Two benchmarks get the same history:

* **Pakistan-only**: today's model of Pakistan fitted on the country's series alone
  (:func:`calibration.fit.own_trend`: random walk with drift, Jeffreys prior; damped trend when
  a likelihood-ratio test rejects beta = 0);
* **naive drift**: the average growth from the first to the last figure, extended, with the
  drift method's normal intervals in logs, variance ``s^2 h (1 + h / span)`` (Hyndman and
  Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., 5.5).

Scores (:mod:`calibration.scores`) are computed per horizon: MAPE of the median, CRPS of log
exports (log points, so every country counts alike), how often the 80% interval held the
actual, and the PIT histogram; the panel model's also per origin (:func:`by_origin`) and with
each origin's common shift taken out (:func:`shift_removed`), because the forecasts of one origin
share their years. The form of the panel model (drift or damped) is the one chosen on the whole
panel: a mild look-ahead that the parameters themselves do not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from calibration import peers
from calibration.fit import Increments, own_trend
from calibration.peer_data import PeerPanel, PeerSeries
from calibration.peers_fit import SEED, chosen, panel_entries, select_form
from calibration.scores import ape_pct, covered, crps_samples, pit, pit_histogram
from simulator.backtests import PanelOriginScore, PanelShiftScore
from simulator.params import posterior_draws

ORIGINS = tuple(range(2001, 2024, 3))
HORIZONS = (1, 2, 3, 4, 5)
MIN_HISTORY = 5
"""Figures a country needs up to the origin: as Pakistan's own backtest (five points, so the
Pakistan-only model has three degrees of freedom for its shock size)."""
DRAWS = 2000
MODELS = ("panel", "own", "naive")
MODEL_LABELS = {"panel": "panel model", "own": "Pakistan-only model", "naive": "naive drift"}


@dataclass(frozen=True)
class Case:
    series: PeerSeries
    origin: int
    years: tuple[int, ...]
    values: tuple[float, ...]
    targets: tuple[tuple[int, float], ...]
    """(year, actual) for the horizons that have a figure."""


@dataclass(frozen=True)
class PanelRow:
    country: str
    origin: int
    year: int
    horizon: int
    actual: float
    p10: float
    p50: float
    p90: float
    naive_p50: float
    own_p10: float
    own_p50: float
    own_p90: float
    naive_p10: float
    naive_p90: float
    crps: float
    own_crps: float
    naive_crps: float
    pit: float
    own_pit: float
    naive_pit: float

    def as_dict(self) -> dict:
        return asdict(self)


def cases(panel: PeerPanel, origins: Sequence[int] = ORIGINS) -> list[Case]:
    out = []
    for s in panel.series:
        pts = dict(s.points)
        for o in origins:
            hist = [(y, v) for y, v in s.points if y <= o]
            targets = tuple((o + h, pts[o + h]) for h in HORIZONS if o + h in pts)
            if o in pts and len(hist) >= MIN_HISTORY and targets:
                out.append(Case(s, o, tuple(y for y, _ in hist), tuple(v for _, v in hist), targets))
    return out


def backtest(
    panel: PeerPanel,
    *,
    form: peers.Form | None = None,
    shocks: peers.Shocks = "constant",
    seed: int = SEED,
) -> list[PanelRow]:
    """Every case's forecasts and scores (:class:`PanelRow`), in country and origin order.
    Without ``form``, the form and shocks the whole panel's selection chooses."""
    if form is None:
        selection, _ = select_form([e.stats for e in panel_entries(panel)], seed=seed)
        form, shocks = chosen(selection)
    todo = cases(panel)
    table = []
    for c in todo:
        others = {e.series.iso3: e.stats for e in panel_entries(panel, until=c.origin, exclude=c.series.iso3)}
        table.append([others.get(s.iso3) for s in panel.series])
    hyper = peers.sample_panel(table, form, seed=seed, shocks=shocks)
    rows: list[PanelRow] = []
    for i, c in enumerate(todo):
        rows.extend(_case_rows(c, hyper.fit(i), seed=seed + 7 * i))
    return rows


def _case_rows(c: Case, hyper: peers.Hyper, *, seed: int) -> list[PanelRow]:
    years, logv = np.asarray(c.years), np.log(np.asarray(c.values))
    hs = [y - c.origin for y, _ in c.targets]
    actual = np.array([v for _, v in c.targets])
    st = peers.series_stats(years, c.values)
    post = peers.country_posterior(st, hyper, n=DRAWS, seed=seed)
    panel = peers.predictive_draws(post, st.last_y, hs, seed=seed + 1) + np.log(peers.REFERENCE_MUSD)
    own = _own_draws(years, logv, hs, seed=seed + 2)
    naive = naive_draws(years, logv, hs, seed=seed + 3)
    out = {}
    for name, d in (("panel", panel), ("own", own), ("naive", naive)):
        x = d.T  # horizons x draws, log US$ m
        q = np.exp(np.percentile(x, [10, 50, 90], axis=1))
        out[name] = (q, crps_samples(x, np.log(actual)), pit(x, np.log(actual)))
    rows = []
    for j, (year, value) in enumerate(c.targets):
        p, o, n = out["panel"], out["own"], out["naive"]
        rows.append(
            PanelRow(
                country=c.series.country,
                origin=c.origin,
                year=year,
                horizon=hs[j],
                actual=float(value),
                p10=float(p[0][0, j]),
                p50=float(p[0][1, j]),
                p90=float(p[0][2, j]),
                naive_p50=float(n[0][1, j]),
                own_p10=float(o[0][0, j]),
                own_p50=float(o[0][1, j]),
                own_p90=float(o[0][2, j]),
                naive_p10=float(n[0][0, j]),
                naive_p90=float(n[0][2, j]),
                crps=float(p[1][j]),
                own_crps=float(o[1][j]),
                naive_crps=float(n[1][j]),
                pit=float(p[2][j]),
                own_pit=float(o[2][j]),
                naive_pit=float(n[2][j]),
            )
        )
    return rows


def _own_draws(years: np.ndarray, logv: np.ndarray, hs: Sequence[int], *, seed: int) -> np.ndarray:
    """Predictive draws (draws x horizons) of log exports from the Pakistan-only model."""
    rng = np.random.default_rng(seed)
    trend = own_trend(Increments(years, logv - logv[-1]))
    alpha, beta, sigma, _ = posterior_draws(trend.posterior, rng, DRAWS)  # the own model: constant shocks
    z = rng.standard_normal((DRAWS, len(hs)))
    cols = []
    for i, h in enumerate(hs):
        mean, var = peers.ar_moments(alpha, beta, sigma, 0.0, h)
        cols.append(logv[-1] + mean + np.sqrt(var) * z[:, i])
    return np.stack(cols, axis=1)


def naive_draws(
    years: np.ndarray, logv: np.ndarray, hs: Sequence[int], *, seed: int, n: int = DRAWS
) -> np.ndarray:
    """Predictive draws (n x horizons) of the drift method: N(h g, s^2 h (1 + h / span)) in logs,
    ``h`` years after the last of ``years``."""
    rng = np.random.default_rng(seed)
    span = float(years[-1] - years[0])
    h_gap, d = np.diff(years).astype(float), np.diff(logv)
    g = (logv[-1] - logv[0]) / span
    s2 = float(np.sum((d - h_gap * g) ** 2 / h_gap) / max(len(d) - 1, 1))
    h = np.asarray(hs, dtype=float)
    return logv[-1] + h * g + np.sqrt(s2 * h * (1 + h / span)) * rng.standard_normal((n, len(hs)))


@dataclass(frozen=True)
class Score:
    model: str
    horizon: int
    n: int
    mape_pct: float
    crps: float
    coverage_80: float


def quantiles(rows: Sequence[PanelRow], model: str = "panel") -> tuple[np.ndarray, ...]:
    """Arrays ``actual, p10, p50, p90`` of one model's forecasts (``model`` one of :data:`MODELS`)."""
    pre = "" if model == "panel" else f"{model}_"
    return (
        np.array([r.actual for r in rows], dtype=float),
        np.array([getattr(r, f"{pre}p10") for r in rows], dtype=float),
        np.array([r.naive_p50 if model == "naive" else getattr(r, f"{pre}p50") for r in rows], dtype=float),
        np.array([getattr(r, f"{pre}p90") for r in rows], dtype=float),
    )


def score(rows: Sequence[PanelRow]) -> list[Score]:
    """MAPE, mean CRPS and 80% coverage per model and horizon."""
    out = []
    for model in MODELS:
        pre = "" if model == "panel" else f"{model}_"
        for h in sorted({r.horizon for r in rows}):
            rs = [r for r in rows if r.horizon == h]
            y, lo, p50, hi = quantiles(rs, model)
            out.append(
                Score(
                    model=model,
                    horizon=h,
                    n=len(rs),
                    mape_pct=float(ape_pct(p50, y).mean()),
                    crps=float(np.mean([getattr(r, f"{pre}crps") for r in rs])),
                    coverage_80=float(covered(lo, hi, y).mean()),
                )
            )
    return out


def pit_histograms(rows: Sequence[PanelRow]) -> dict[str, list[int]]:
    """The PIT histogram of each model over every forecast."""
    return {
        m: pit_histogram(np.array([getattr(r, "pit" if m == "panel" else f"{m}_pit") for r in rows]))
        for m in MODELS
    }


# --------------------------------------------------------------------------- errors by period
# The forecasts of one origin share their years: a boom or a slump after the origin moves every
# country's error the same way, so the panel's forecasts hold only as many independent periods as
# there are origins. These tables show the panel model's errors per origin, and its coverage once
# each origin's common shift is taken out (a diagnostic after the fact: at the origin nobody
# knows the shift).

MIN_OTHERS = 2
"""Forecasts of other countries (same origin and horizon) a forecast's shift is taken from; a
forecast with fewer is left out of :func:`shift_removed` and counted as skipped."""


def log_errors(rows: Sequence[PanelRow]) -> np.ndarray:
    """``ln(actual / p50)`` of the panel model's median for each row."""
    y, _, p50, _ = quantiles(rows)
    return np.log(y / p50)


def _cells(rows: Sequence[PanelRow]) -> dict[tuple[int, int], np.ndarray]:
    """Row indices of each (origin, horizon), in origin and horizon order."""
    out: dict[tuple[int, int], list[int]] = {}
    for i, r in enumerate(rows):
        out.setdefault((r.origin, r.horizon), []).append(i)
    return {k: np.array(v) for k, v in sorted(out.items())}


def by_origin(rows: Sequence[PanelRow]) -> list[PanelOriginScore]:
    """The panel model's forecasts, median and mean log error and 80% coverage per origin year
    and horizon."""
    y, lo, p50, hi = quantiles(rows)
    err, held = np.log(y / p50), covered(lo, hi, y)
    return [
        PanelOriginScore(
            origin=o,
            horizon=h,
            n=len(idx),
            median_log_error=float(np.median(err[idx])),
            mean_log_error=float(np.mean(err[idx])),
            coverage_80=float(held[idx].mean()),
        )
        for (o, h), idx in _cells(rows).items()
    ]


def origin_shifts(rows: Sequence[PanelRow]) -> np.ndarray:
    """Each forecast's common period shift: the median log error of the *other* countries'
    forecasts at the same origin and horizon (leave-one-out, so a forecast's own error never
    moves its shift); NaN with fewer than :data:`MIN_OTHERS` others."""
    return _shifts(rows, log_errors(rows))


def _shifts(rows: Sequence[PanelRow], err: np.ndarray) -> np.ndarray:
    """:func:`origin_shifts` from the rows' log errors ``err``, already worked out."""
    shift = np.full(len(rows), np.nan)
    for idx in _cells(rows).values():
        if len(idx) - 1 >= MIN_OTHERS:
            for i in idx:
                shift[i] = np.median(err[idx[idx != i]])
    return shift


def shift_removed(rows: Sequence[PanelRow]) -> list[PanelShiftScore]:
    """Per horizon, the panel model's 80% coverage and share of actuals above the median, as
    forecast and with each forecast's :func:`origin_shifts` taken out of its p10, p50 and p90
    (all three multiplied by ``exp(shift)``). Horizons where no forecast has a shift are left out."""
    y, lo, p50, hi = quantiles(rows)
    err = np.log(y / p50)
    shift = _shifts(rows, err)
    lo_err, hi_err = np.log(lo / p50), np.log(hi / p50)  # the interval's ends as log errors
    horizon = np.array([r.horizon for r in rows])
    out = []
    for h in sorted(set(horizon.tolist())):
        at = horizon == h
        m = at & ~np.isnan(shift)
        if not m.any():
            continue
        moved = err[m] - shift[m]
        out.append(
            PanelShiftScore(
                horizon=h,
                n=int(m.sum()),
                skipped=int((at & ~m).sum()),
                coverage_80=float(covered(lo[m], hi[m], y[m]).mean()),
                above_median=float(np.mean(err[m] > 0)),
                coverage_80_shift_removed=float(covered(lo_err[m], hi_err[m], moved).mean()),
                above_median_shift_removed=float(np.mean(moved > 0)),
            )
        )
    return out
