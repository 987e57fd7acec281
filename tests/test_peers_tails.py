"""Candidate T (Student-t shocks) of the peer model: its sampler recovers known parameters from
panels it simulated, its importance-sampled predictive density agrees with brute-force
quadrature and, with normal shocks, with the current form's; the pre-registered rule on
hand-made scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from calibration import peers
from calibration import peers_tails as pt

FAST = peers.Sampler(burn=300, keep=400)


def simulate_t_panel(rng, *, nu_e, gamma, countries=30, years=25) -> list[peers.SeriesStats]:
    """Series from candidate T: (a, b) ~ N((0.15, 0.04), diag(0.05, 0.02)^2), sigma^2 ~
    Scaled-Inv-chi^2(8, 0.1^2), shocks sigma exp(-gamma y) e, e ~ t(nu_e) (normal at inf)."""
    out = []
    for _ in range(countries):
        a, b = rng.normal((0.15, 0.04), (0.05, 0.02))
        sigma = math.sqrt(8 * 0.1**2 / rng.chisquare(8))
        y = [rng.uniform(math.log(0.1), math.log(3.0))]
        for _ in range(years - 1):
            e = rng.standard_normal() if math.isinf(nu_e) else rng.standard_t(nu_e)
            y.append(y[-1] + a - b * y[-1] + sigma * math.exp(-gamma * y[-1]) * e)
        out.append(peers.series_stats(np.arange(2000, 2000 + years), np.exp(y) * peers.REFERENCE_MUSD))
    return out


def test_sampler_recovers_known_tails_trend_and_gamma():
    """Three panels with t(4) shocks and one with normal shocks, fitted in one batch: the 90%
    interval of nu_e holds 4 and its median is within a factor 1.6 of it; with normal shocks
    nu_e's median is above 20; mu and gamma are recovered (tolerances below)."""
    rng = np.random.default_rng(7)
    truth_nu = [4.0, 4.0, 4.0, math.inf]
    table = [simulate_t_panel(rng, nu_e=v, gamma=0.3) for v in truth_nu]
    th = pt.sample_panel_t(table, seed=2, sampler=FAST)
    assert th.nu_e.shape == (4, 2 * FAST.keep) and th.rhat[:3].max() < 1.1
    lo, mid, hi = np.percentile(th.nu_e, [5, 50, 95], axis=1)
    assert np.all((lo[:3] <= 4.0) & (hi[:3] >= 4.0))
    assert np.all(np.abs(np.log(mid[:3] / 4.0)) < math.log(1.6))
    assert mid[3] > 20
    mu = th.hyper.mu.mean(axis=1)
    assert np.abs(mu[:, 0] - 0.15).max() < 0.04 and np.abs(mu[:, 1] - 0.04).max() < 0.02
    gamma = th.hyper.gamma
    assert gamma is not None and np.abs(np.median(gamma, axis=1) - 0.3).max() < 0.1
    assert np.abs(np.median(np.sqrt(th.hyper.s02), axis=1) - 0.1).max() < 0.03


def tail_hyper(nu_e: list[float], gamma: list[float]) -> pt.TailHyper:
    """One fit with a few hand-set population draws (mu, Sigma, nu, s0 as in test_peers)."""
    d = len(nu_e)
    hyper = peers.Hyper(
        "damped",
        mu=np.tile([[[0.1, 0.03]]], (1, d, 1)),
        cov=np.tile(np.array([[[[0.05**2, 0.0002], [0.0002, 0.02**2]]]]), (1, d, 1, 1)),
        nu=np.full((1, d), 6.0),
        s02=np.full((1, d), 0.1**2),
        rhat=np.array([1.0]),
        countries=np.array([1]),
        gamma=np.array([gamma]),
    )
    return pt.TailHyper(hyper, np.array([nu_e]), np.array([1.0]))


STEPS = [0, 0.3, 0.1, 0.25, -0.1, 0.2, 0.15]
SERIES = peers.series_stats(np.arange(2010, 2017), 300.0 * np.exp(np.cumsum(STEPS)))


def brute_force(s: peers.SeriesStats, th: pt.TailHyper) -> float:
    """ln of the mean over population draws of the integral over (a, b, ln sigma) of
    p_T(g | a, b, sigma) N(a, b; mu, Sigma) p(ln sigma), by the trapezoid rule on a grid (a, b
    over mu +- 8 sd, ln sigma over 0.01-1.5; the integrand is negligible outside)."""
    a = np.linspace(0.1 - 0.4, 0.1 + 0.4, 81)
    b = np.linspace(0.03 - 0.16, 0.03 + 0.16, 81)
    ls = np.linspace(np.log(0.01), np.log(1.5), 121)
    aa, bb = np.meshgrid(a, b, indexing="ij")
    theta = np.stack([aa.ravel(), bb.ravel()], -1)
    hyper = th.hyper
    out = []
    for d in range(hyper.mu.shape[1]):
        dev = theta - hyper.mu[0, d]
        prec = np.linalg.inv(hyper.cov[0, d])
        log_ab = -0.5 * (2 * np.log(2 * np.pi) + np.linalg.slogdet(hyper.cov[0, d])[1])
        log_ab = log_ab - 0.5 * np.einsum("ni,ij,nj->n", dev, prec, dev)
        layers = []
        for v in ls:
            n = len(theta)
            log_lik = pt.log_t_increments(
                s, theta, np.full(n, v), np.full(n, hyper.gamma[0, d]), np.full(n, th.nu_e[0, d])
            )
            log_sig = peers.log_sigma_prior(np.exp(2 * v), hyper.nu[0, d], hyper.s02[0, d])
            f = np.exp(log_lik + log_ab + log_sig).reshape(aa.shape)
            layers.append(np.trapezoid(np.trapezoid(f, b, axis=1), a))
        out.append(np.trapezoid(layers, ls))
    return float(np.log(np.mean(out)))


def test_importance_sampled_density_equals_brute_force_quadrature():
    """Three population draws (t with 3, 5 and 30 degrees of freedom, different gamma): the
    importance-sampling estimate within 0.02 (about four of its Monte Carlo se) of quadrature."""
    th = tail_hyper([3.0, 5.0, 30.0], [0.3, 0.0, -0.2])
    est = pt.log_predictive_t(SERIES, th, rng=np.random.default_rng(4), proposals=20_000)
    assert est.draws == 60_000 and est.ess > 10_000 and est.mc_se < 0.01
    assert est.logp == pytest.approx(brute_force(SERIES, th), abs=0.02)


@pytest.mark.parametrize("gamma", [0.0, 0.35])
def test_normal_shocks_limit_is_the_current_predictive_density(gamma):
    """With nu_e -> infinity (1e7) the t density is the normal one, the weights are nearly
    constant and the estimate is the current form's grid integral within 0.005."""
    th = tail_hyper([1e7, 1e7], [gamma, gamma + 0.1])
    est = pt.log_predictive_t(SERIES, th, rng=np.random.default_rng(1), proposals=5_000)
    assert est.ess > 0.99 * est.draws
    assert est.logp == pytest.approx(peers.log_predictive(SERIES, th.hyper), abs=0.005)


def test_t_density_of_one_increment_by_hand():
    """One increment: ln p_T = ln t_nu(r / scale) - ln scale, scale = sigma exp(-gamma x)."""
    s = peers.series_stats([2000, 2001], [2000.0, 2400.0])
    x, g = math.log(2.0), math.log(1.2)
    a, b, sigma, gamma, nu = 0.1, 0.02, 0.15, 0.2, 5.0
    scale = sigma * math.exp(-gamma * x)
    u = (g - a + b * x) / scale
    by_hand = (
        special.gammaln(3.0)
        - special.gammaln(2.5)
        - 0.5 * math.log(5 * math.pi)
        - 3.0 * math.log1p(u * u / 5)
    ) - math.log(scale)
    got = pt.log_t_increments(s, np.array([[a, b]]), np.array([math.log(sigma)]), [gamma], [nu])
    assert got[0] == pytest.approx(by_hand, rel=1e-12)


def scores(diff: list[float], ess: list[float]) -> pt.LocoScores:
    current = np.zeros(len(diff))
    th = tail_hyper([4.0], [0.0])
    return pt.LocoScores(
        current, np.array(diff), np.array(ess), np.zeros(len(diff)), th, th.hyper, 1.0, 1.0, {}
    )


def test_decision_rule_on_hand_made_scores():
    """Adopted only when the gain beats twice its standard error AND every ESS is >= 100."""
    steady = [1.0, 1.2, 0.8, 1.1, 0.9]  # gain 5.0, se sqrt(5) * 0.158 = 0.35
    assert pt.decide(scores(steady, [500.0] * 5))[0]
    assert not pt.decide(scores(steady, [500.0, 500.0, 99.0, 500.0, 500.0]))[0]
    noisy = [3.0, -2.0, 2.5, -1.5, 0.5]  # gain 2.5, se sqrt(5) * 2.29 = 5.1
    assert not pt.decide(scores(noisy, [500.0] * 5))[0]
    assert scores(noisy, [500.0] * 5).diff_se == pytest.approx(math.sqrt(5) * np.std(noisy, ddof=1))
