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
actual, and the PIT histogram. The form of the panel model (drift or damped) is the one chosen on
the whole panel: a mild look-ahead that the parameters themselves do not have.
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


def score(rows: Sequence[PanelRow]) -> list[Score]:
    """MAPE, mean CRPS and 80% coverage per model and horizon."""
    out = []
    for model in MODELS:
        pre = "" if model == "panel" else f"{model}_"
        for h in sorted({r.horizon for r in rows}):
            rs = [r for r in rows if r.horizon == h]
            y = np.array([r.actual for r in rs])
            p50 = np.array([r.naive_p50 if model == "naive" else getattr(r, f"{pre}p50") for r in rs])
            lo = np.array([getattr(r, f"{pre}p10") for r in rs])
            hi = np.array([getattr(r, f"{pre}p90") for r in rs])
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
