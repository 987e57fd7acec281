"""Candidate P (persistent shocks) for the peer panel: its runs restart at a gap, its sampler
recovers known parameters from panels it simulated, and its predictive density agrees with
brute-force integration and, at rho = 0, with the current model's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from calibration import peers
from calibration import peers_persistence as pp

SMALL = peers.Sampler(chains=2, burn=300, keep=800, thin=1)


def simulate(rng, *, mu, sd, s0, nu, rho, gamma, countries=12, years=26, gap=None):
    """Series drawn from candidate P itself: (a, b) ~ N(mu, diag(sd^2)), sigma^2 ~
    Scaled-Inv-chi^2(nu, s0^2), AR(1) shocks of innovation sd sigma exp(-gamma y). ``gap``:
    (first missing year offset, years missing) for every other country; the AR restarts after it."""
    out = []
    for c in range(countries):
        a, b = rng.normal(mu, sd)
        sigma = math.sqrt(nu * s0**2 / rng.chisquare(nu))
        yrs = list(range(2000, 2000 + years))
        if gap is not None and c % 2:
            yrs = yrs[: gap[0]] + [v + gap[1] for v in yrs[gap[0] :]]
        y, u = [rng.uniform(math.log(0.1), math.log(3.0))], 0.0
        for t in range(1, len(yrs)):
            if yrs[t] - yrs[t - 1] > 1:  # a fresh level after the gap, the AR restarts
                y.append(y[-1] + rng.normal(0.3, 0.1))
                u = 0.0
                continue
            u = rho * u + sigma * math.exp(-gamma * y[-1]) * rng.standard_normal()
            y.append(y[-1] + a - b * y[-1] + u)
        out.append(pp.persistent_series(yrs, np.exp(y) * peers.REFERENCE_MUSD))
    return out


# --------------------------------------------------------------------------- runs


def test_runs_restart_after_a_gap_and_gap_steps_are_left_out():
    s = pp.persistent_series([1990, 1992, 1993, 1994, 1995, 2000, 2001, 2002], np.arange(1.0, 9.0) * 100)
    assert s.stats.n == 5  # 1992-93, 93-94, 94-95, 2000-01, 01-02
    assert s.follows == (False, True, True, False, True)
    assert [h for h, _, _ in s.stats.gaps] == [2, 5]


def test_a_gap_restarts_the_shocks():
    """The first increment after a gap is scored as an innovation alone: its statistics are those
    of the two runs added, whatever the level before the gap; the same increments as one run are
    scored differently."""
    steps = [0.2, 0.1, 0.15, -0.05, 0.12, 0.3, 0.05]
    vals = 500 * np.exp(np.cumsum([0.0, *steps]))
    gapped = pp.persistent_series([2000, 2001, 2002, 2003, 2006, 2007, 2008, 2009], vals)
    first = pp.persistent_series([2000, 2001, 2002, 2003], vals[:4])
    second = pp.persistent_series([2006, 2007, 2008, 2009], vals[4:])
    rho, gamma = np.array([0.5, -0.3]), np.array([0.2, 0.0])
    both = pp.persistent_stats(gapped, rho, gamma)
    parts = [pp.persistent_stats(s, rho, gamma) for s in (first, second)]
    for k in peers.STAT_KEYS:
        np.testing.assert_allclose(both[k], parts[0][k] + parts[1][k], rtol=1e-12)
    joined = pp.PersistentSeries(gapped.stats, (False,) + (True,) * 5)
    assert not np.allclose(pp.persistent_stats(joined, rho, gamma)["sgg"], both["sgg"])


# --------------------------------------------------------------------------- a new country


MU, COV = np.array([0.1, 0.03]), np.array([[0.05**2, 0.0002], [0.0002, 0.02**2]])


def _hyper(gamma: float, rho: float) -> pp.PersistentHyper:
    """One population draw: (a, b) ~ N(MU, COV), sigma^2 ~ Scaled-Inv-chi^2(6, 0.1^2)."""
    one = lambda v: np.full((1, 1), v)  # noqa: E731
    hyper = peers.Hyper(
        "damped", MU[None, None], COV[None, None], one(6.0), one(0.01), np.ones(1), np.ones(1), one(gamma)
    )
    return pp.PersistentHyper(hyper, one(rho), np.ones(1))


def test_log_predictive_equals_numerical_integration():
    """ln p(increments | one population draw, rho fixed) against a direct 3-D integral over
    (a, b, ln sigma): the likelihood built year by year from the model's equations (the AR
    restarting after the gap), the priors' densities from scipy, trapezoid rule on a grid (the
    integrand is smooth and negligible at the grid's edges: the two agree to 1e-11; without the
    restart the integral is 0.26 against 0.96)."""
    rho, gamma = 0.45, 0.3
    years = [2010, 2011, 2012, 2013, 2016, 2017, 2018]
    vals = 300.0 * np.exp(np.cumsum([0.0, 0.3, 0.1, 0.25, 0.4, -0.1, 0.2]))
    s = pp.persistent_series(years, vals)
    fit = _hyper(gamma, rho)
    y = np.log(vals / peers.REFERENCE_MUSD)

    a = np.linspace(0.1 - 0.4, 0.1 + 0.4, 81)[:, None, None]
    b = np.linspace(0.03 - 0.16, 0.03 + 0.16, 81)[None, :, None]
    ls = np.linspace(np.log(0.003), np.log(2.0), 201)[None, None, :]
    sigma = np.exp(ls)
    loglik = np.zeros(np.broadcast_shapes(a.shape, b.shape, ls.shape))
    u_prev = None
    for t in range(1, len(years)):
        if years[t] - years[t - 1] > 1:
            u_prev = None  # the step over the gap is left out, the AR restarts
            continue
        u = (y[t] - y[t - 1]) - a + b * y[t - 1]
        e = u if u_prev is None else u - rho * u_prev
        loglik += stats.norm.logpdf(e, scale=sigma * np.exp(-gamma * y[t - 1]))
        u_prev = u
    log_ab = stats.multivariate_normal(MU, COV).logpdf(
        np.stack(np.broadcast_arrays(a[..., 0], b[..., 0]), -1)
    )[..., None]
    # sigma^2 ~ Scaled-Inv-chi^2(6, 0.1^2) = Inv-Gamma(3, 6 * 0.01 / 2); d sigma^2 = 2 sigma^2 d ln sigma
    log_ls = stats.invgamma(3.0, scale=0.03).logpdf(sigma**2) + np.log(2 * sigma**2)
    f = np.exp(loglik + log_ab + log_ls)
    axes = [a.ravel(), b.ravel(), ls.ravel()]
    total = np.trapezoid(np.trapezoid(np.trapezoid(f, axes[2], axis=2), axes[1], axis=1), axes[0])
    assert pp.log_predictive(s, fit) == pytest.approx(np.log(total), abs=1e-6)


def test_at_rho_zero_the_scores_are_the_current_models():
    rng = np.random.default_rng(8)
    table = [simulate(rng, mu=(0.12, 0.03), sd=(0.05, 0.02), s0=0.12, nu=8.0, rho=0.0, gamma=0.3)]
    hyper = peers.sample_panel(
        [[s.stats for s in table[0]]], "damped", seed=3, shocks="scaled", sampler=SMALL
    )
    fit = pp.PersistentHyper(hyper, np.zeros_like(hyper.gamma), hyper.rhat)
    s = simulate(
        rng, mu=(0.1, 0.02), sd=(0.05, 0.02), s0=0.1, nu=8.0, rho=0.3, gamma=0.3, countries=2, gap=(9, 3)
    )[1]
    assert s.stats.gaps
    assert pp.log_predictive(s, fit) == pytest.approx(peers.log_predictive(s.stats, hyper), abs=1e-9)
    gamma = hyper.gamma[0, :5]
    mine, theirs = pp.persistent_stats(s, np.zeros(5), gamma), peers.weighted_stats(s.stats, gamma)
    for k in peers.STAT_KEYS:
        np.testing.assert_allclose(mine[k], theirs[k], rtol=1e-12)


# --------------------------------------------------------------------------- the panel


def test_sampler_recovers_known_rho_gamma_and_mu():
    """Four simulated panels of 12 countries (about 290 increments each, gaps in half the
    series), two with persistent shocks (rho 0.4) and two without (0), fitted in one batch: each
    posterior mean of rho, gamma, mu_a and mu_b is within three posterior sd of the truth, rho's
    sd is small enough to tell 0.4 from 0, and the chains agree."""
    rng = np.random.default_rng(21)
    rhos = [0.4, 0.4, 0.0, 0.0]
    truth = {"gamma": 0.3, "mu_a": 0.12, "mu_b": 0.03}
    table = [
        simulate(rng, mu=(0.12, 0.03), sd=(0.04, 0.015), s0=0.12, nu=8.0, rho=r, gamma=0.3, gap=(12, 3))
        for r in rhos
    ]
    fit = pp.sample_panel(table, seed=7, sampler=SMALL)
    assert fit.rhat.max() < 1.1
    draws = {
        "rho": fit.rho,
        "gamma": fit.hyper.gamma,
        "mu_a": fit.hyper.mu[..., 0],
        "mu_b": fit.hyper.mu[..., 1],
    }
    for name, d in draws.items():
        target = np.array(rhos) if name == "rho" else truth[name]
        z = (d.mean(axis=1) - target) / d.std(axis=1)
        assert np.all(np.abs(z) < 3), (name, z)
    assert np.all(fit.rho.std(axis=1) < 0.1)
    assert np.all(np.abs(fit.rho) < pp.RHO_BOUND)


def test_loco_scores_of_the_current_form_are_select_forms():
    """The current form's LOCO scores come from the current code on the same table and seed; the
    candidate's from the fit without each country."""
    rng = np.random.default_rng(4)
    series = simulate(
        rng, mu=(0.12, 0.03), sd=(0.04, 0.015), s0=0.12, nu=8.0, rho=0.3, gamma=0.3, countries=5
    )
    tiny = peers.Sampler(chains=2, burn=50, keep=60, thin=1)
    scores = pp.loco_scores(series, seed=9, sampler=tiny)
    loco = [[None if i == j else s.stats for j, s in enumerate(series)] for i in range(5)]
    hyper = peers.sample_panel(
        [*loco, [s.stats for s in series]], "damped", seed=9, shocks="scaled", sampler=tiny
    )
    assert scores.current[2] == peers.log_predictive(series[2].stats, hyper.fit(2))
    assert scores.persistent_fit.hyper.countries[0] == 5 and scores.current_fit.countries[0] == 5
    assert np.all(np.isfinite(scores.persistent)) and scores.diff.shape == (5,)
    assert scores.adopt == (scores.diff.sum() > 2 * np.sqrt(5) * np.std(scores.diff, ddof=1))


def test_rho_is_drawn_inside_its_prior():
    """With shocks far more persistent than the prior allows, every rho draw stays inside it."""
    rng = np.random.default_rng(2)
    series = simulate(
        rng, mu=(0.12, 0.0), sd=(0.01, 0.001), s0=0.05, nu=50.0, rho=0.99, gamma=0.0, countries=4
    )
    fit = pp.sample_panel([series], seed=1, sampler=peers.Sampler(chains=2, burn=50, keep=100, thin=1))
    assert np.all(np.abs(fit.rho) < pp.RHO_BOUND) and fit.rho.mean() > 0.7
