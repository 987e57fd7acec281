"""The peer-panel model: it recovers known parameters from panels it simulated, its integrals
agree with brute force, its scores are right on hand-made cases, and its commands handle good
and broken input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from calibration import peers
from calibration.__main__ import main as calibration_main
from calibration.peers_backtest import PanelRow, cases, score
from calibration.scores import covered, crps_samples, pit, pit_histogram

# --------------------------------------------------------------------------- simulated panels


def simulate_panel(rng, *, mu, sd, s0, nu, countries=26, years=25, gamma=0.0) -> list[peers.SeriesStats]:
    """Series drawn from the model itself: (a, b) ~ N(mu, diag(sd^2)), sigma^2 ~ Scaled-Inv-chi^2,
    each year's shock of size sigma exp(-gamma y) (constant shocks at gamma 0)."""
    out = []
    for _ in range(countries):
        a, b = rng.normal(mu, sd)
        sigma = math.sqrt(nu * s0**2 / rng.chisquare(nu))
        y = [rng.uniform(math.log(0.1), math.log(3.0))]  # US$0.1-3bn at the start
        for _ in range(years - 1):
            y.append(y[-1] + a - b * y[-1] + sigma * math.exp(-gamma * y[-1]) * rng.standard_normal())
        out.append(peers.series_stats(np.arange(2000, 2000 + years), np.exp(y) * peers.REFERENCE_MUSD))
    return out


def test_panel_fit_recovers_known_population_parameters():
    """Twelve simulated panels fitted in one batch: half with a slowdown (mu_b = 0.04), half
    without (0). The 90% intervals hold the truth about 90% of the time, and the estimates
    are centred on it."""
    rng = np.random.default_rng(99)
    truths = [(0.12, 0.04)] * 6 + [(0.12, 0.0)] * 6
    table = [simulate_panel(rng, mu=t, sd=(0.05, 0.02), s0=0.12, nu=8.0) for t in truths]
    hyper = peers.sample_panel(table, "damped", seed=5)
    assert hyper.rhat.max() < 1.05
    lo, hi = np.percentile(hyper.mu, [5, 95], axis=1)
    truth = np.array(truths)
    inside = (lo <= truth) & (truth <= hi)
    assert inside.mean() >= 0.75
    err = hyper.mu.mean(axis=1) - truth
    assert abs(err[:, 0].mean()) < 0.02 and abs(err[:, 1].mean()) < 0.01
    s0 = np.sqrt(hyper.s02).mean(axis=1)
    assert abs(np.median(s0) - 0.12) < 0.03
    # with no slowdown in the truth, the slowdown is not found: zero is inside the interval
    assert np.all((lo[6:, 1] <= 0) & (hi[6:, 1] >= 0))


def test_new_country_posterior_recovers_its_own_parameters():
    """A long series from a country with known (a, b, sigma): its posterior centres on them."""
    rng = np.random.default_rng(3)
    table = [simulate_panel(rng, mu=(0.12, 0.04), sd=(0.05, 0.02), s0=0.12, nu=8.0)]
    hyper = peers.sample_panel(table, "damped", seed=1)
    y = [math.log(0.2)]
    for _ in range(60):
        y.append(y[-1] + 0.15 - 0.05 * y[-1] + 0.1 * rng.standard_normal())
    st = peers.series_stats(np.arange(1960, 2021), np.exp(y) * peers.REFERENCE_MUSD)
    post = peers.country_posterior(st, hyper, n=4000, seed=2)
    assert post.a.mean() == pytest.approx(0.15, abs=0.04)
    assert post.b.mean() == pytest.approx(0.05, abs=0.02)
    assert np.median(post.sigma) == pytest.approx(0.1, abs=0.02)


@pytest.mark.parametrize(
    ("gamma", "steps", "start"),
    [(None, [0, 0.2, 0.1, 0.15, -0.05, 0.12], 900.0), (0.35, [0, 0.3, 0.1, 0.25, -0.1, 0.2, 0.15], 300.0)],
)
def test_log_predictive_equals_brute_force_integral(gamma, steps, start):
    """ln p(increments | one population draw): the grid-and-analytic integral against plain
    Monte Carlo over (a, b, sigma) drawn from the population; with constant shocks, and with
    scaled shocks (each increment's sd sigma exp(-gamma x))."""
    rng = np.random.default_rng(11)
    hyper = peers.Hyper(
        "damped",
        mu=np.array([[[0.1, 0.03]]]),
        cov=np.array([[[[0.05**2, 0.0002], [0.0002, 0.02**2]]]]),
        nu=np.array([[6.0]]),
        s02=np.array([[0.1**2]]),
        rhat=np.array([1.0]),
        countries=np.array([1]),
        gamma=None if gamma is None else np.array([[gamma]]),
    )
    values = start * np.exp(np.cumsum(steps))
    st = peers.series_stats(np.arange(2010, 2010 + len(steps)), values)
    n = 2_000_000
    ab = rng.multivariate_normal(hyper.mu[0, 0], hyper.cov[0, 0], n)
    sigma = np.sqrt(6 * 0.01 / rng.chisquare(6, n))
    y = np.log(values / peers.REFERENCE_MUSD)
    g, x = np.diff(y), y[:-1]
    resid = g[None, :] - ab[:, :1] + ab[:, 1:] * x[None, :]
    scale = sigma[:, None] * np.exp(-(gamma or 0.0) * x)[None, :]
    loglik = np.sum(stats.norm.logpdf(resid, scale=scale), axis=1)
    brute = np.log(np.mean(np.exp(loglik - loglik.max()))) + loglik.max()
    assert peers.log_predictive(st, hyper) == pytest.approx(brute, abs=0.02)


def test_scaled_shocks_recover_a_known_gamma_and_not_a_false_one():
    """Twenty panels simulated with shocks falling by gamma = 0.3 per log point of size, or with
    constant shocks (gamma = 0): the 95% intervals of gamma hold the truth about 95% of the
    time, and the estimates are centred on it."""
    rng = np.random.default_rng(5)
    truths = np.array([0.3] * 10 + [0.0] * 10)
    table = [
        simulate_panel(rng, mu=(0.15, 0.04), sd=(0.05, 0.02), s0=0.12, nu=8.0, years=30, gamma=g)
        for g in truths
    ]
    hyper = peers.sample_panel(table, "damped", seed=4, shocks="scaled")
    assert hyper.shocks == "scaled" and hyper.rhat.max() < 1.05
    lo, mid, hi = np.percentile(hyper.gamma, [2.5, 50, 97.5], axis=1)
    assert ((lo <= truths) & (truths <= hi)).mean() >= 0.85
    assert abs(mid[:10].mean() - 0.3) < 0.03 and abs(mid[10:].mean()) < 0.03
    assert np.all(hi - lo < 0.3)  # informative: the prior's interval is 1.9 wide
    assert np.median(np.sqrt(hyper.s02)) == pytest.approx(0.12, abs=0.03)


def test_scaled_moments_reduce_to_constant_and_match_simulated_paths():
    a, b, sigma, y0 = np.array([0.12]), np.array([0.04]), np.array([0.15]), -0.5
    m0, v0 = peers.ar_moments(a, b, sigma, y0, 4)
    m1, v1 = peers.ar_moments(a, b, sigma, y0, 4, gamma=np.array([0.0]))
    assert m1 == pytest.approx(m0) and v1 == pytest.approx(v0)
    post = peers.CountryPosterior(
        np.full(200_000, 0.12), np.full(200_000, 0.04), np.full(200_000, 0.15), 1.0, np.full(200_000, 0.3)
    )
    x = peers.predictive_draws(post, y0, [1, 4], seed=3)
    m, v = peers.ar_moments(a, b, sigma, y0, 1, gamma=np.array([0.3]))
    assert x[:, 0].mean() == pytest.approx(m[0], abs=0.002)
    assert x[:, 0].std() == pytest.approx(np.sqrt(v[0]), rel=0.01)  # one step: exact
    m, v = peers.ar_moments(a, b, sigma, y0, 4, gamma=np.array([0.3]))
    assert x[:, 1].std() == pytest.approx(np.sqrt(v[0]), rel=0.03)  # four: the linearisation
    assert post.sigma_at(-0.5)[0] == pytest.approx(0.15 * np.exp(0.15))


def test_ar_moments_over_a_gap_equal_the_steps():
    a, b, sigma, y0 = 0.1, 0.2, 0.05, -0.4
    mean, var = peers.ar_moments(np.array([a]), np.array([b]), np.array([sigma]), y0, 3)
    phi = 1 - b
    assert mean[0] == pytest.approx(phi**3 * y0 + a * (1 + phi + phi**2))
    assert var[0] == pytest.approx(sigma**2 * (1 + phi**2 + phi**4))


def test_gap_enters_the_posterior_and_weights_are_reported():
    """A series with a six-year gap (as Pakistan's FY2010-FY2016): the posterior is a resample
    whose effective sample size is reported, and it differs from dropping the gap's year."""
    rng = np.random.default_rng(8)
    hyper = peers.sample_panel(
        [simulate_panel(rng, mu=(0.12, 0.03), sd=(0.05, 0.02), s0=0.12, nu=8)], "damped", seed=2
    )
    years = [2010, *range(2016, 2026)]
    values = [433, 789, 939, 1065, 1192, 1440, 2108, 2619, 2596, 3223, 3810]
    with_gap = peers.country_posterior(peers.series_stats(years, values), hyper, n=4000, seed=1)
    without = peers.country_posterior(peers.series_stats(years[1:], values[1:]), hyper, n=4000, seed=1)
    assert 100 < with_gap.ess < 4000 and without.ess == 4000
    assert with_gap.a.mean() != pytest.approx(without.a.mean(), abs=1e-4)


# --------------------------------------------------------------------------- scores


def test_crps_of_a_point_mass_is_the_absolute_error():
    assert crps_samples(np.full((1, 50), 3.0), np.array([5.0]))[0] == pytest.approx(2.0)
    assert crps_samples(np.full((1, 50), 3.0), np.array([3.0]))[0] == pytest.approx(0.0)


def test_crps_of_normal_samples_matches_the_closed_form():
    """Gneiting and Raftery (2007): CRPS(N(0,1), y) = y(2 Phi(y) - 1) + 2 phi(y) - 1/sqrt(pi)."""
    x = stats.norm.ppf((np.arange(20000) + 0.5) / 20000)[None, :]
    for y in (0.0, 0.7, -2.5):
        exact = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / np.sqrt(np.pi)
        assert crps_samples(x, np.array([y]))[0] == pytest.approx(exact, abs=1e-4)


def test_crps_of_two_samples_by_hand():
    # samples {0, 2}, outcome 1: E|X - y| = 1, E|X - X'| = (0 + 2 + 2 + 0) / 4 = 1 -> 1 - 0.5
    assert crps_samples(np.array([[0.0, 2.0]]), np.array([1.0]))[0] == pytest.approx(0.5)


def test_pit_coverage_and_histogram_by_hand():
    s = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert pit(s, np.array([2.5]))[0] == 0.5
    assert pit(s, np.array([0.0]))[0] == 0.0 and pit(s, np.array([9.0]))[0] == 1.0
    assert covered(np.array([1, 1, 1]), np.array([3, 3, 3]), np.array([1, 3, 4])).tolist() == [
        True,
        True,
        False,
    ]
    assert pit_histogram([0.0, 0.05, 0.55, 1.0]) == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]


def test_panel_scores_by_hand():
    def row(h, actual, p50, own, naive, crps):
        quantiles = (p50 * 0.9, p50, p50 * 1.1, naive, own * 0.9, own, own * 1.1, naive * 0.8, naive * 1.2)
        return PanelRow("X", 2010, 2010 + h, h, actual, *quantiles, crps, 2 * crps, 3 * crps, 0.5, 0.5, 0.5)

    rows = [row(1, 100, 110, 100, 80, 0.1), row(1, 200, 180, 200, 200, 0.3)]
    sc = {(s.model, s.horizon): s for s in score(rows)}
    assert sc["panel", 1].mape_pct == pytest.approx(10.0)  # 10% and 10%
    assert sc["own", 1].mape_pct == pytest.approx(0.0)
    assert sc["naive", 1].mape_pct == pytest.approx(10.0)  # 20% and 0%
    assert sc["panel", 1].crps == pytest.approx(0.2) and sc["naive", 1].crps == pytest.approx(0.6)
    assert sc["panel", 1].coverage_80 == 0.5  # 100 in [99, 121]; 200 not in [162, 198]
    assert sc["own", 1].coverage_80 == 1.0
    assert sc["naive", 1].coverage_80 == 0.5  # 100 not in [64, 96]; 200 in [160, 240]


def test_panel_backtest_has_enough_out_of_sample_forecasts():
    from calibration.peer_data import load_peer_panel

    todo = cases(load_peer_panel())
    assert sum(len(c.targets) for c in todo) >= 100
    assert all(len(c.years) >= 5 and c.years[-1] == c.origin for c in todo)
    assert all(y > c.origin for c in todo for y, _ in c.targets)


# --------------------------------------------------------------------------- forecast command


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "series.csv"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = "country,year,value_musd\n" + "".join(
    f"Testland,{y},{v}\n"
    for y, v in zip(range(2010, 2021), [300, 340, 390, 420, 500, 560, 600, 700, 760, 850, 990], strict=True)
)


def test_forecast_prints_one_object_per_year(tmp_path, capsys):
    assert (
        calibration_main(
            [
                "peers",
                "forecast",
                "--series",
                str(write(tmp_path, GOOD)),
                "--origin",
                "2018",
                "--horizons",
                "1-5",
                "--json",
            ]
        )
        == 0
    )
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["year"] for o in out] == [2019, 2020, 2021, 2022, 2023]
    assert [o["horizon"] for o in out] == [1, 2, 3, 4, 5]
    assert set(out[0]) == {"country", "origin", "year", "horizon", "p10", "p50", "p90"}
    assert all(o["country"] == "Testland" and o["origin"] == 2018 for o in out)
    assert all(o["p10"] < o["p50"] < o["p90"] for o in out)
    widths = [o["p90"] / o["p10"] for o in out]
    assert widths == sorted(widths)  # the band widens with the horizon
    assert 760 < out[0]["p50"] < 1000


@pytest.mark.parametrize(
    ("text", "args", "words"),
    [
        ("country,year,value\nX,2010,1\n", [], ["series.csv", "line 1", "value", "unknown column"]),
        (GOOD.replace("Testland,2012,390", "Testland,2012,-5"), [], ["line 4", "value_musd", "positive"]),
        (GOOD.replace("Testland,2012,390", "Testland,twenty,390"), [], ["line 4", "year"]),
        (GOOD + "Testland,2012,391\n", [], ["line 13", "year", "already has a figure on line 4"]),
        (GOOD, ["--origin", "2030"], ["origin", "no figure for the origin year 2030"]),
        (GOOD, ["--origin", "2012"], ["origin", "3 figures up to 2012", "at least 5"]),
        ("country,year,value_musd\n", [], ["series.csv", "no figures"]),
    ],
)
def test_forecast_broken_input_is_a_clear_error(tmp_path, capsys, text, args, words):
    path = write(tmp_path, text)
    argv = ["peers", "forecast", "--series", str(path), "--origin", "2018", *args]
    assert calibration_main(argv) == 1
    err = capsys.readouterr().err
    for w in words:
        assert w in err, err
    assert "Traceback" not in err


def test_forecast_bad_horizons_and_missing_file_are_clear(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        calibration_main(["peers", "forecast", "--series", "x.csv", "--origin", "2018", "--horizons", "5-1"])
    assert exc.value.code == 2 and "expected horizons such as 1-5" in capsys.readouterr().err
    assert (
        calibration_main(["peers", "forecast", "--series", str(tmp_path / "none.csv"), "--origin", "2018"])
        == 1
    )
    assert "file not found" in capsys.readouterr().err


def test_simulator_and_app_never_import_calibration():
    """The app reads the backtest results file; it does not re-run the backtest (issue 11)."""
    import subprocess
    import sys

    code = (
        "import sys; import simulator.app.model_page, simulator.engine, simulator.cli; "
        "bad = [m for m in sys.modules if m == 'calibration' or m.startswith('calibration.')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
