"""Candidate P for the peer panel: shocks that persist from one year to the next.

The model
---------
The current model (:mod:`calibration.peers`: damped trend, shocks scaled by size) with its
shocks an AR(1) common to the panel. With ``g_ct = y_ct - y_{c,t-1}`` and ``x_ct = y_{c,t-1}``

.. math:: u_{ct} = g_{ct} - a_c + b_c x_{ct}, \\qquad
          u_{ct} = \\rho\\, u_{c,t-1} + \\sigma_c e^{-\\gamma x_{ct}} \\varepsilon_{ct},
          \\qquad \\varepsilon_{ct} \\sim N(0, 1),

``rho`` uniform on (-0.9, 0.9), every other prior as :data:`peers.PRIORS`. The likelihood is
conditional on each run's start: the first one-year increment of a series, and the first after
a gap (a step of more than one year), has ``u`` = the innovation alone; gap increments are left
out, as in the current model. This is the rule fixed in commit ed95b3a before the candidate was
fitted or scored; only the leave-one-country-out predictive density (elpd_loco) decides.

Given ``rho`` the innovation is linear in ``(a, b)``: for an increment that continues a run,
``(g_t - rho g_{t-1}) - a (1 - rho) + b (x_t - rho x_{t-1})``; for a run's first,
``g_t - a + b x_t``. With ``c = 1 - rho`` (or 1), ``x~``, ``g~`` the quasi-differences (or ``x``,
``g``) and weights ``w = exp(2 gamma x_t)``, the sums ``n = sum w c^2``, ``sx = sum w c x~``,
``sxx = sum w x~^2``, ``sg = sum w c g~``, ``sgx = sum w x~ g~`` and ``sgg = sum w g~^2`` are the
regression's ``X'WX``, ``X'Wg~`` and ``g~'Wg~`` for ``X = [c, -x~]``, exactly the statistics
:func:`peers.design` takes. Every conditional of the current sampler therefore carries over
(:func:`peers.country_step`, :func:`peers.population_step`); ``gamma`` moves by the same
Metropolis steps (:func:`peers.gamma_metropolis`) on the innovations; ``rho`` given the rest is
an exact normal (the innovations ``u_t - rho u_{t-1}`` are linear in
it), truncated to (-0.9, 0.9) and drawn by its inverse distribution function. A new country's
predictive density is the current one (:func:`peers.log_predictive`: ``sigma`` on a grid,
``(a, b)`` integrated out analytically) with each population draw's statistics at its own
``rho`` and ``gamma``.

References: Hamilton, *Time Series Analysis* (1994), 5.2 (the AR(1) likelihood conditional on
the first observation) and 8.2 (regression with AR(1) errors, quasi-differencing); Gelman et al.,
*Bayesian Data Analysis*, 3rd ed. (2013), 11.1-11.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from calibration import peers, peers_fit
from calibration.peers_fit import SEED, PanelEntry

RHO_BOUND = 0.9
"""``rho`` uniform on ``(-RHO_BOUND, RHO_BOUND)`` (the pre-registered prior)."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class PersistentSeries:
    """A series' statistics and, for each of its one-year increments (``stats.g``), whether it
    follows the previous one directly (False for a run's first: the series' first increment
    and the first after a gap)."""

    stats: peers.SeriesStats
    follows: tuple[bool, ...]


def persistent_series(years, values_musd) -> PersistentSeries:
    """A series of levels (US$ m) at increasing ``years``, with its runs of one-year steps."""
    years = np.asarray(years, dtype=int)
    steps = np.flatnonzero(np.diff(years) == 1)
    follows = np.concatenate([[False], np.diff(steps) == 1]) if len(steps) else np.zeros(0, bool)
    return PersistentSeries(peers.series_stats(years, values_musd), tuple(bool(v) for v in follows))


def from_entry(entry: PanelEntry) -> PersistentSeries:
    """The panel entry's series (its years up to the statistics' last year) with its runs."""
    pts = [(y, v) for y, v in entry.series.points if y <= entry.stats.last_year]
    out = persistent_series([y for y, _ in pts], [v for _, v in pts])
    if out.stats != entry.stats:
        raise ValueError(f"{entry.series.iso3}: the entry's statistics are not those of its points")
    return out


def _lags(g: np.ndarray, x: np.ndarray, follows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The previous increment's ``g`` and ``x`` where an increment follows it, else 0 (last axis)."""
    gp, xp = np.zeros_like(g), np.zeros_like(x)
    gp[..., 1:], xp[..., 1:] = g[..., :-1], x[..., :-1]
    return gp * follows, xp * follows


def _quasi_stats(g, x, gp, xp, follows, w, rho, gamma) -> dict[str, np.ndarray]:
    """The statistics of :func:`peers.design` for AR(1) shocks (module docstring), summed over the
    last axis; ``rho`` and ``gamma`` broadcast against the leading axes, ``w`` 1 where an
    increment counts."""
    r, gm = np.asarray(rho, dtype=float)[..., None], np.asarray(gamma, dtype=float)[..., None]
    c = 1.0 - r * follows
    gt, xt = g - r * gp, x - r * xp
    ww = w * np.exp(2.0 * gm * x)
    return {
        "n": np.sum(ww * c * c, -1),
        "sg": np.sum(ww * c * gt, -1),
        "sx": np.sum(ww * c * xt, -1),
        "sgg": np.sum(ww * gt * gt, -1),
        "sgx": np.sum(ww * xt * gt, -1),
        "sxx": np.sum(ww * xt * xt, -1),
    }


def persistent_stats(s: PersistentSeries, rho, gamma) -> dict[str, np.ndarray]:
    """The statistics of one series at each ``(rho, gamma)`` (same shape): at ``rho = 0`` those of
    :func:`peers.weighted_stats`."""
    g, x = np.asarray(s.stats.g, dtype=float), np.asarray(s.stats.x, dtype=float)
    f = np.asarray(s.follows, dtype=float)
    gp, xp = _lags(g, x, f)
    return _quasi_stats(g, x, gp, xp, f, np.ones_like(g), rho, gamma)


# --------------------------------------------------------------------------- the panel sampler


@dataclass(frozen=True)
class PersistentHyper:
    """Posterior draws of the population parameters (``hyper``, with ``gamma``) and of ``rho``
    (fits, draws); ``rhat`` the largest split R-hat per fit of mu, ln nu, ln s0^2, gamma and rho."""

    hyper: peers.Hyper
    rho: np.ndarray
    rhat: np.ndarray

    def fit(self, i: int) -> PersistentHyper:
        return PersistentHyper(self.hyper.fit(i), self.rho[i : i + 1], self.rhat[i : i + 1])


@dataclass(frozen=True)
class _Runs:
    """Every fit's increments (fits x countries x longest series, as :class:`peers._Increments`),
    the previous increment's ``gp``, ``xp`` and ``follows`` (1 where an increment continues a run)."""

    inc: peers._Increments
    gp: np.ndarray
    xp: np.ndarray
    follows: np.ndarray


def _runs(table: list[list[PersistentSeries | None]], inc: peers._Increments) -> _Runs:
    """The runs of ``table``'s series over the increments :func:`peers.prepare_panel` laid out."""
    follows = np.zeros((len(table[0]), inc.g.shape[2]))
    for j in range(len(table[0])):  # a country's runs are the same in every fit it is in
        s = next((row[j] for row in table if row[j] is not None), None)
        if s is not None:
            follows[j, : len(s.follows)] = s.follows
    for row in table:
        for j, s in enumerate(row):
            if s is not None and not np.array_equal(follows[j, : len(s.follows)], s.follows):
                raise ValueError("a column of the table must hold one country's series")
    f = np.broadcast_to(follows, inc.g.shape) * inc.w
    gp, xp = _lags(inc.g, inc.x, f)
    return _Runs(inc, gp, xp, f)


def _draw_rho(rng, runs: _Runs, state: peers.State, form: peers.Form) -> np.ndarray:
    """``rho`` given the rest: ``ln p = -sum_ct q_ct (u_ct - rho u_{c,t-1})^2 / 2``, ``q`` the
    innovation precisions, a normal truncated to (-RHO_BOUND, RHO_BOUND), drawn exactly."""
    a = state.theta[..., 0:1]
    b = state.theta[..., 1:2] if form == "damped" else 0.0
    inc = runs.inc
    u = peers.residuals(inc, state.theta, form)
    up = runs.gp - a * runs.follows + b * runs.xp
    q = inc.w * np.exp(2.0 * state.gamma[:, None, None] * inc.x) / state.sig2[..., None]
    prec = np.maximum(np.sum(q * up * up, axis=(1, 2)), 1e-12)
    mean = np.sum(q * u * up, axis=(1, 2)) / prec
    sd = 1.0 / np.sqrt(prec)
    lo, hi = (-RHO_BOUND - mean) / sd, (RHO_BOUND - mean) / sd
    return np.asarray(sps.truncnorm.ppf(rng.random(mean.shape), lo, hi, loc=mean, scale=sd))


def _innovations2(runs: _Runs, state: peers.State, rho: np.ndarray, form: peers.Form) -> np.ndarray:
    """Each included increment's squared innovation over ``sigma_c^2`` at ``gamma = 0``:
    ``((g_t - rho g_{t-1}) - a (1 - rho) + b (x_t - rho x_{t-1}))^2 / sigma^2`` (a run's first:
    ``rho`` taken as 0), 0 where an increment is not in the fit."""
    inc = runs.inc
    a = state.theta[..., 0:1]
    b = state.theta[..., 1:2] if form == "damped" else 0.0
    r = rho[:, None, None]
    e = (inc.g - r * runs.gp) - a * (1.0 - r * runs.follows) + b * (inc.x - r * runs.xp)
    return inc.w * e * e / state.sig2[..., None]


def sample_panel(
    table: list[list[PersistentSeries | None]],
    form: peers.Form = "damped",
    *,
    seed: int,
    priors: peers.Priors = peers.PRIORS,
    sampler: peers.Sampler = peers.SAMPLER,
) -> PersistentHyper:
    """Gibbs draws of the population parameters, ``gamma`` and ``rho`` for each row of ``table``
    (fits x countries; a column holds one country), shocks scaled by size and AR(1).

    The layout, the countries left out (fewer than :data:`peers.MIN_INCREMENTS` increments), the
    chains and the seed's use are those of :func:`peers.sample_panel`, whose steps it runs
    (:func:`peers.country_step`, :func:`peers.population_step`). Each sweep: the statistics at
    the current ``(rho, gamma)``, every conditional of the current model, ``gamma`` by
    Metropolis steps on the innovations, then ``rho`` from its exact truncated normal.
    """
    stats = [[None if s is None else s.stats for s in row] for row in table]
    panel = peers.prepare_panel(stats, form, shocks="scaled", priors=priors, chains=sampler.chains)
    if panel.inc is None:  # prepare_panel always gives the increments for scaled shocks
        raise ValueError("scaled shocks need the increments")
    runs = _runs(table, panel.inc)
    inc = runs.inc
    rng = np.random.default_rng(seed)
    state = peers.initial_state(panel)
    rho = np.zeros(len(panel.k))
    out: dict[str, list[np.ndarray]] = {"mu": [], "cov": [], "nu": [], "s02": [], "gamma": []}
    kept: list[np.ndarray] = []
    for sweep in range(sampler.burn + sampler.keep * sampler.thin):
        st = _quasi_stats(
            inc.g, inc.x, runs.gp, runs.xp, runs.follows, inc.w, rho[:, None], state.gamma[:, None]
        )
        xtx, xtg, gg = peers.design(st, form)
        peers.country_step(rng, state, panel, xtx, xtg, gg)
        peers.population_step(rng, state, panel, priors)
        r2 = _innovations2(runs, state, rho, form)
        state.gamma = peers.gamma_metropolis(rng, r2, inc.x, inc.w, state.gamma, priors, sampler)
        rho = _draw_rho(rng, runs, state, form)
        if sweep >= sampler.burn and (sweep - sampler.burn) % sampler.thin == 0:
            peers.record(out, state)
            kept.append(rho)
    hyper = peers._collect(out, form, len(table), sampler.chains, panel.mask.sum(axis=1), scaled=True)
    rho_draws = np.stack(kept, axis=1).reshape((len(table), sampler.chains, -1))
    rhat = np.maximum(hyper.rhat, peers.split_rhat(rho_draws[..., None])[..., 0])
    return PersistentHyper(hyper, rho_draws.reshape((len(table), -1)), rhat)


# --------------------------------------------------------------------------- a new country


def log_predictive(s: PersistentSeries, fit: PersistentHyper) -> float:
    """ln p(one-year increments of a new series | one fit's population draws), each draw with its
    own ``rho`` and ``gamma``: :func:`peers.log_predictive` at ``rho = 0``."""
    hyper = fit.hyper
    if hyper.gamma is None:
        raise ValueError("persistent shocks are scaled by size: the fit needs its gamma draws")
    return peers.log_predictive(s.stats, hyper, weighted=persistent_stats(s, fit.rho[0], hyper.gamma[0]))


# --------------------------------------------------------------------------- the score


@dataclass(frozen=True)
class LocoScores:
    """Per-country leave-one-country-out log predictive densities of the current form (damped,
    scaled shocks) and of candidate P, in the panel's order, and each one's full-panel fit."""

    countries: tuple[str, ...]
    current: np.ndarray
    persistent: np.ndarray
    current_fit: peers.Hyper
    persistent_fit: PersistentHyper
    rhat_max: tuple[float, float]
    """The largest split R-hat over every fit of the batch (the leave-one-out fits and the full
    panel's): current form, candidate P."""

    @property
    def diff(self) -> np.ndarray:
        return self.persistent - self.current

    @property
    def diff_se(self) -> float:
        """``sqrt(C) sd(per-country differences)``, C countries."""
        return peers_fit.loco_se(self.diff)

    @property
    def adopt(self) -> bool:
        return decide(self)[0]


def loco_scores(
    series: Sequence[PersistentSeries],
    *,
    seed: int = SEED,
    countries: Sequence[str] = (),
    priors: peers.Priors = peers.PRIORS,
    sampler: peers.Sampler = peers.SAMPLER,
    current: peers.Hyper | None = None,
) -> LocoScores:
    """Both forms' LOCO scores as :func:`peers_fit.select_form` makes them: one batch per form,
    the fit without each country in turn and the fit on all of them, the same seed. ``current``:
    the current form's batch if already made (the same table, seed, priors and sampler)."""
    c = len(series)
    stats = [s.stats for s in series]
    current = peers_fit.current_batch(stats, seed=seed, priors=priors, sampler=sampler, current=current)
    cand = sample_panel(peers_fit.loco_table(series), "damped", seed=seed, priors=priors, sampler=sampler)
    return LocoScores(
        countries=tuple(countries) or tuple(str(i) for i in range(c)),
        current=peers_fit.loco_log_densities(stats, current),
        persistent=np.array([log_predictive(series[i], cand.fit(i)) for i in range(c)]),
        current_fit=current.fit(c),
        persistent_fit=cand.fit(c),
        rhat_max=(float(current.rhat.max()), float(cand.rhat.max())),
    )


def decide(scores: LocoScores) -> tuple[bool, str]:
    """The pre-registered rule: P only if its elpd_loco is higher by more than
    :data:`peers_fit.MARGIN_SE` standard errors of the per-country difference; the decision and
    its reason."""
    return peers_fit.beats_current(scores.diff)


def rho_summary(scores: LocoScores) -> dict[str, float]:
    """``rho``'s posterior on the full panel: mean and 90% interval."""
    rho = scores.persistent_fit.rho[0]
    lo, hi = np.percentile(rho, [5, 95])
    return {"mean": float(rho.mean()), "p5": float(lo), "p95": float(hi)}


def report(scores: LocoScores, seconds: float) -> str:
    """The figures the decision rule asks for, as text, with the per-country differences."""
    fit = scores.persistent_fit
    rho, gamma = rho_summary(scores), fit.hyper.gamma_draws(np.arange(fit.rho.shape[1]))
    d = scores.diff
    lines = [
        f"elpd_loco current (damped, scaled): {scores.current.sum():.3f}",
        f"elpd_loco P (persistent shocks):    {scores.persistent.sum():.3f}",
        f"difference P - current: {d.sum():.3f}, SE {scores.diff_se:.3f} "
        f"(sqrt({len(d)}) x sd of per-country differences); ratio {d.sum() / scores.diff_se:.2f}",
        f"decision: {decide(scores)[1]}",
        f"rho {rho['mean']:.3f} (90%: {rho['p5']:.3f} to {rho['p95']:.3f}); "
        f"gamma {gamma.mean():.3f} (90%: {np.percentile(gamma, 5):.3f} to {np.percentile(gamma, 95):.3f})",
        f"split R-hat max, full panel: P {fit.rhat.max():.4f}, current {scores.current_fit.rhat.max():.4f}; "
        f"over all {len(d) + 1} fits: P {scores.rhat_max[1]:.4f}, current {scores.rhat_max[0]:.4f}",
        "per-country differences (P - current), largest first:",
    ]
    order = np.argsort(-np.abs(d))
    lines += [
        f"  {scores.countries[i]}  {d[i]:+.3f}  (current {scores.current[i]:.3f}, "
        f"P {scores.persistent[i]:.3f})"
        for i in order
    ]
    lines.append(f"runtime: {seconds:.1f} s")
    return "\n".join(lines)
