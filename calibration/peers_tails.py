"""Candidate T for the peer model: heavy-tailed (Student-t) yearly shocks, scored as pre-registered.

The model (commit ed95b3a, fixed before it was fitted or scored)
----------------------------------------------------------------
The current form (damped trend, shocks scaled by size, :mod:`calibration.peers`) with Student-t
innovations of unit scale:

.. math:: g_{ct} = y_{ct} - y_{c,t-1} = a_c - b_c y_{c,t-1}
          + \\sigma_c e^{-\\gamma y_{c,t-1}} e_{ct}, \\qquad e_{ct} \\sim t_{\\nu_e},

``nu_e`` common to the panel, log-uniform on 2-200 (:data:`NU_E_GRID`); ``(a_c, b_c)`` and
``sigma_c^2`` (now a scale, not an sd) have the same population, priors (:data:`peers.PRIORS`),
sampler settings (:data:`peers.SAMPLER`) and seed as the current form; gap increments are left out.

The panel (:func:`sample_panel_t`): Gibbs by the scale mixture ``e = z / sqrt(lambda)``,
``lambda_ct ~ Gamma(nu_e / 2, rate nu_e / 2)`` (Gelman et al., *Bayesian Data Analysis*, 3rd ed.,
2013, 17.2; Geweke 1993, *J. Applied Econometrics* 8, S19-S40). Given the lambdas each increment
has precision ``lambda exp(2 gamma x) / sigma^2`` and the current form's conditionals apply with
the weights ``lambda exp(2 gamma x)`` (the degrees of freedom of ``sigma_c^2`` still count the
increments); ``lambda_ct | rest ~ Gamma((nu_e + 1) / 2, rate (nu_e + r^2 exp(2 gamma x) / sigma^2) / 2)``
and ``nu_e | lambdas`` on its grid.

A held-out country (:func:`log_predictive_t`): ``p_T(g | population draw)`` has no closed form, so
it is estimated by importance sampling, the proposal being the country's normal-shock conditional
posterior of ``(a, b, ln sigma)`` under the same population draw (:func:`peers.conditional_draws`),
whose density is exact (a grid cell's probability over the cell's width, times the normal of
``(a, b)`` given the jittered sigma). The mean of the weights is unbiased for the integral over
``ln sigma`` in the grid's range (0.002-3 log points a year, the range the current form's score
integrates over too). Its effective sample size decides whether the score is reliable
(:data:`MIN_ESS`).

Decision (:func:`decide`): T is adopted only if its leave-one-country-out elpd beats the current
form's by more than :data:`peers_fit.MARGIN_SE` standard errors of the per-country difference and every
country's ESS is at least :data:`MIN_ESS`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from calibration import peers, peers_fit

NU_E_GRID = np.geomspace(2.0, 200.0, 41)
"""``nu_e``'s prior: uniform on this grid, log-uniform on 2-200 with the step of
:data:`peers.PRIORS.nu_grid` (a factor 10^0.05)."""
PROPOSALS = 10
"""Importance-sampling draws per population draw (2000 x 10 = 20,000 weights a country); set
before any score was seen, for precision only."""
MIN_ESS = 100.0
"""Pre-registered: a country's effective sample size below this makes T's score unreliable."""


# --------------------------------------------------------------------------- the panel


@dataclass(frozen=True)
class TailHyper:
    """Population draws of candidate T: ``hyper`` as the current form's (``gamma`` included),
    ``nu_e`` (fits, draws), ``rhat`` (fits,) the largest split R-hat of mu, ln nu, ln s0^2,
    gamma and ln nu_e."""

    hyper: peers.Hyper
    nu_e: np.ndarray
    rhat: np.ndarray

    def fit(self, i: int) -> TailHyper:
        return TailHyper(self.hyper.fit(i), self.nu_e[i : i + 1], self.rhat[i : i + 1])


def sample_panel_t(
    table: list[list[peers.SeriesStats | None]],
    form: peers.Form = "damped",
    *,
    seed: int,
    priors: peers.Priors = peers.PRIORS,
    sampler: peers.Sampler = peers.SAMPLER,
    nu_e_grid: np.ndarray = NU_E_GRID,
) -> TailHyper:
    """Gibbs draws of candidate T's population parameters for each row of ``table`` (fits x
    countries), in the layout of :func:`peers.sample_panel` (scaled shocks)."""
    panel = peers.prepare_panel(table, form, shocks="scaled", priors=priors, chains=sampler.chains)
    inc = panel.inc
    if inc is None:  # prepare_panel always gives the increments for scaled shocks
        raise ValueError("scaled shocks need the increments")
    rng = np.random.default_rng(seed)
    state = peers.initial_state(panel)
    lam = np.ones_like(inc.g)
    nu_e = np.full(len(panel.k), nu_e_grid[len(nu_e_grid) // 2])
    count = inc.w.sum(axis=(1, 2))
    out: dict[str, list[np.ndarray]] = {"mu": [], "cov": [], "nu": [], "s02": [], "gamma": []}
    kept: list[np.ndarray] = []
    for sweep in range(sampler.burn + sampler.keep * sampler.thin):
        weighted = peers._Increments(inc.g, inc.x, inc.w * lam)
        xtx, xtg, gg = peers.design(peers._weighted_panel(weighted, state.gamma), form)
        peers.country_step(rng, state, panel, xtx, xtg, gg)
        peers.population_step(rng, state, panel, priors)
        state.gamma = peers._gamma_steps(
            rng, inc, state.theta, state.sig2, state.gamma, form, priors, sampler, lam=lam
        )
        lam = _lambda_step(rng, inc, state, form, nu_e)
        nu_e = _nu_e_step(rng, lam, inc.w, count, nu_e_grid)
        if sweep >= sampler.burn and (sweep - sampler.burn) % sampler.thin == 0:
            peers.record(out, state)
            kept.append(nu_e)
    n_fits = len(table)
    hyper = peers._collect(out, form, n_fits, sampler.chains, panel.mask.sum(axis=1), scaled=True)
    nu_e_draws = np.stack(kept, axis=1).reshape(n_fits, sampler.chains, -1)
    rhat = np.maximum(hyper.rhat, peers.split_rhat(np.log(nu_e_draws)[..., None])[..., 0])
    return TailHyper(hyper, nu_e_draws.reshape(n_fits, -1), rhat)


def _lambda_step(rng, inc, state: peers.State, form: peers.Form, nu_e: np.ndarray) -> np.ndarray:
    """``lambda_ct | rest ~ Gamma((nu_e + 1) / 2, rate (nu_e + r^2 exp(2 gamma x) / sigma^2) / 2)``."""
    r = peers.residuals(inc, state.theta, form)
    q = r * r * np.exp(2.0 * state.gamma[:, None, None] * inc.x) / state.sig2[..., None]
    nu = nu_e[:, None, None]
    return rng.gamma((nu + 1.0) / 2.0, 2.0 / (nu + q))


def _nu_e_step(rng, lam: np.ndarray, w: np.ndarray, count: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``nu_e | lambdas`` on ``grid`` (uniform prior on it): the product of the included
    increments' ``Gamma(lambda; nu_e / 2, rate nu_e / 2)``."""
    sum_log = np.sum(w * np.log(lam), axis=(1, 2))[:, None]
    sum_lam = np.sum(w * lam, axis=(1, 2))[:, None]
    half = grid[None, :] / 2
    logp = (
        count[:, None] * (half * np.log(half) - special.gammaln(half)) + (half - 1) * sum_log - half * sum_lam
    )
    return peers.grid_draw(rng, logp, grid)


# --------------------------------------------------------------------------- a held-out country


@dataclass(frozen=True)
class Predictive:
    """``logp``: ln of the mean importance weight (the country's log predictive density);
    ``ess``: effective sample size of the weights, ``(sum w)^2 / sum w^2``; ``mc_se``: Monte Carlo
    standard error of ``logp`` (delta method, sd of the weights over their mean and sqrt(n))."""

    logp: float
    ess: float
    mc_se: float
    draws: int


def log_t_increments(
    s: peers.SeriesStats, theta: np.ndarray, log_sigma: np.ndarray, gamma, nu_e
) -> np.ndarray:
    """ln p_T(one-year increments of ``s`` | a, b, sigma, gamma, nu_e), one value per draw:
    each increment ``g`` is ``a - b x + sigma exp(-gamma x) e``, ``e ~ t(nu_e)``."""
    g, x = np.asarray(s.g, dtype=float), np.asarray(s.x, dtype=float)
    slope = theta[:, 1:2] if theta.shape[1] > 1 else 0.0
    log_scale = log_sigma[:, None] - np.asarray(gamma, dtype=float)[:, None] * x[None, :]
    u = (g[None, :] - theta[:, 0:1] + slope * x[None, :]) * np.exp(-log_scale)
    nu = np.asarray(nu_e, dtype=float)[:, None]
    const = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
    return np.sum(const - (nu + 1) / 2 * np.log1p(u * u / nu) - log_scale, axis=1)


def log_weights(
    s: peers.SeriesStats, th: TailHyper, *, rng: np.random.Generator, proposals: int = PROPOSALS
) -> np.ndarray:
    """ln importance weights ``p_T(g | theta) p(theta | population) / q(theta)`` of ``proposals``
    draws ``theta = (a, b, ln sigma)`` of the normal-shock conditional posterior per population
    draw of the fit, each population draw's proposals consecutive (``(draws, proposals)`` when
    reshaped)."""
    hyper = th.hyper
    idx = np.repeat(np.arange(hyper.mu.shape[1]), proposals)
    c = peers.conditional_draws(s, hyper, idx, rng)
    gamma = hyper.gamma_draws(idx)
    cov = hyper.cov[0, idx]
    dev = c.theta - hyper.mu[0, idx]
    p = dev.shape[-1]
    quad = np.sum(dev * peers.matvec(peers.inv_small(cov), dev), -1)
    log_ab = -0.5 * (p * np.log(2 * np.pi) + peers.logdet_small(cov) + quad)
    log_sig = peers.log_sigma_prior(c.sig2, hyper.nu[0, idx], hyper.s02[0, idx])
    log_lik = log_t_increments(s, c.theta, c.log_sigma, gamma, th.nu_e[0, idx])
    return log_lik + log_ab + log_sig - c.log_density()


def summarise(log_w: np.ndarray) -> Predictive:
    """ln of the mean weight, the weights' ESS and the delta-method Monte Carlo se."""
    n = len(log_w)
    w = np.exp(log_w - log_w.max())
    ess = float(w.sum() ** 2 / (w @ w))
    mc_se = float(w.std(ddof=1) / w.mean() / np.sqrt(n))
    return Predictive(float(special.logsumexp(log_w) - np.log(n)), ess, mc_se, n)


def log_predictive_t(
    s: peers.SeriesStats, th: TailHyper, *, rng: np.random.Generator, proposals: int = PROPOSALS
) -> Predictive:
    """ln p_T(one-year increments of a new series | the fit's population draws) by importance
    sampling (:func:`log_weights`), all weights averaged."""
    return summarise(log_weights(s, th, rng=rng, proposals=proposals))


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class LocoScores:
    """Per-country leave-one-country-out log densities of the current form (``current``) and of
    candidate T (``candidate``), T's ``ess`` and ``mc_se`` per country; the full-panel fits
    (``full_t``, ``full_current``); the largest R-hat over every fit of each; run times (s)."""

    current: np.ndarray
    candidate: np.ndarray
    ess: np.ndarray
    mc_se: np.ndarray
    full_t: TailHyper
    full_current: peers.Hyper
    rhat_t: float
    rhat_current: float
    seconds: dict[str, float]

    @property
    def diff(self) -> np.ndarray:
        return self.candidate - self.current

    @property
    def diff_se(self) -> float:
        return peers_fit.loco_se(self.diff)


def loco_scores(
    stats: Sequence[peers.SeriesStats],
    seed: int = peers_fit.SEED,
    *,
    sampler: peers.Sampler = peers.SAMPLER,
    current: peers.Hyper | None = None,
) -> LocoScores:
    """Candidate T and the current form (damped, scaled) scored exactly as
    :func:`peers_fit.select_form` scores a candidate: one batch of fits, the panel without each
    country in turn plus the whole panel, each country scored under the fit without it.
    ``current``: that batch's fits of the current form if already made (:func:`peers_fit.loco_table`,
    same seed and sampler)."""
    stats = tuple(stats)
    c = len(stats)
    table = peers_fit.loco_table(stats)
    t0 = time.perf_counter()
    hyper = peers_fit.current_batch(stats, seed=seed, sampler=sampler, current=current)
    current_logp = peers_fit.loco_log_densities(stats, hyper)
    t1 = time.perf_counter()
    th = sample_panel_t(table, "damped", seed=seed, sampler=sampler)
    t2 = time.perf_counter()
    rngs = [np.random.default_rng(k) for k in np.random.SeedSequence(seed).spawn(c)]
    pred = [log_predictive_t(stats[i], th.fit(i), rng=rngs[i]) for i in range(c)]
    t3 = time.perf_counter()
    return LocoScores(
        current=current_logp,
        candidate=np.array([x.logp for x in pred]),
        ess=np.array([x.ess for x in pred]),
        mc_se=np.array([x.mc_se for x in pred]),
        full_t=th.fit(c),
        full_current=hyper.fit(c),
        rhat_t=float(th.rhat.max()),
        rhat_current=float(hyper.rhat.max()),
        seconds={"current": t1 - t0, "t_sampler": t2 - t1, "t_predictive": t3 - t2},
    )


def decide(scores: LocoScores) -> tuple[bool, str]:
    """The pre-registered rule: adopt T only if every country's ESS is at least :data:`MIN_ESS`
    and its elpd_loco beats the current form's by more than :data:`peers_fit.MARGIN_SE` standard
    errors."""
    if scores.ess.min() < MIN_ESS:
        return False, f"not adopted: an effective sample size is {scores.ess.min():.0f} < {MIN_ESS:.0f}"
    return peers_fit.beats_current(scores.diff)


def nu_e_summary(scores: LocoScores) -> dict[str, float]:
    """``nu_e``'s posterior on the full panel: median and 90% interval."""
    median, lo, hi = np.percentile(scores.full_t.nu_e[0], [50, 5, 95])
    return {"median": float(median), "p5": float(lo), "p95": float(hi)}


def report(scores: LocoScores, isos: Sequence[str]) -> str:
    """The scores as text: both elpd_loco, the difference and its SE, the decision, nu_e and
    gamma's posteriors, R-hat, ESS and the per-country differences."""
    nu_e = nu_e_summary(scores)
    gamma = scores.full_t.hyper.gamma
    gamma_t = gamma[0] if gamma is not None else np.zeros(1)
    lines = [
        f"elpd_loco current (damped, scaled): {scores.current.sum():.3f}",
        f"elpd_loco T (t shocks):             {scores.candidate.sum():.3f}"
        f"  (Monte Carlo se of the IS {np.sqrt(np.sum(scores.mc_se**2)):.3f})",
        f"difference T - current: {scores.diff.sum():.3f}, se {scores.diff_se:.3f}",
        f"decision: {decide(scores)[1]}",
        f"nu_e (full panel): median {nu_e['median']:.1f}, 90% {nu_e['p5']:.1f}-{nu_e['p95']:.1f}",
        "gamma T: median {:.3f}, 90% {:.3f}-{:.3f}".format(*np.percentile(gamma_t, [50, 5, 95])),
        f"R-hat max over all fits: T {scores.rhat_t:.3f}, current {scores.rhat_current:.3f}",
        f"ESS min {scores.ess.min():.0f} ({isos[int(np.argmin(scores.ess))]}), "
        f"median {np.median(scores.ess):.0f}",
        "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in scores.seconds.items()),
        "country  current        T     diff      ESS   mc_se",
    ]
    for iso, a, b, e, m in zip(isos, scores.current, scores.candidate, scores.ess, scores.mc_se, strict=True):
        lines.append(f"{iso:7s} {a:8.3f} {b:8.3f} {b - a:8.3f} {e:8.0f} {m:7.4f}")
    return "\n".join(lines)
