"""The numbers quoted in docs/model.md are the ones the code produces (docs cannot drift).

Backtest and dependence figures are checked against the results file `calibration fit` writes
(``fitted_params_backtest.json``), whose freshness `test_fit.py` checks by re-fitting."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from calibration.backtest import backtest, nowcast_backtest, real_time_backtest, score, score_nowcasts
from calibration.fit import fit
from simulator.backtests import load_results, results_path
from simulator.params import DEFAULT_PARAMS_PATH

DOC = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text(encoding="utf-8")
DOUBLING = 100 * np.log(2)


def quoted(pattern: str) -> tuple[str, ...]:
    m = re.search(pattern, DOC, flags=re.S)
    assert m, f"docs/model.md no longer says: {pattern}"
    return m.groups()


def nums(groups) -> list[float]:
    return [float(g.replace(",", "")) for g in groups]


@pytest.fixture(scope="module")
def results():
    return load_results(results_path(DEFAULT_PARAMS_PATH))


def test_pakistan_posterior(params):
    got = nums(
        quoted(
            r"trend growth at its FY2025 size ([\d.]+)% a year \(90%: ([\d.]+)% to ([\d.]+)%\), "
            r"slowing by ([\d.]+) points per\s+doubling \(([-\d.]+) to ([\d.]+)\), "
            r"yearly shocks of ([\d.]+) log points \(([\d.]+) to ([\d.]+)\)"
        )
    )
    q = {x.name: x for x in params.trend.panel.pakistan}
    a, b, s = q["alpha"], q["beta"], q["sigma"]
    expected = [np.expm1(a.mean) * 100, np.expm1(a.p05) * 100, np.expm1(a.p95) * 100]
    expected += [b.mean * DOUBLING, b.p05 * DOUBLING, b.p95 * DOUBLING, s.mean, s.p05, s.p95]
    assert got[:3] == pytest.approx(expected[:3], abs=0.051)  # one decimal
    assert got[3:] == pytest.approx(expected[3:], abs=0.0051)  # two or three


def test_population_and_diagnostics(params):
    panel = params.trend.panel
    pop = {x.name: x for x in panel.population}
    got = nums(
        quoted(
            r"averages ([\d.]+) log points a year \(90%: ([\d.]+) to\s+([\d.]+)\) and falls by "
            r"([\d.]+) per log point of size \(([\d.]+) to ([\d.]+)\), ([\d.]+) points per doubling; "
            r"typical\s+yearly shocks are ([\d.]+)"
        )
    )
    m = pop["mu_b"]
    expected = [pop["mu_a"].mean * 100, pop["mu_a"].p05 * 100, pop["mu_a"].p95 * 100, m.mean, m.p05, m.p95]
    expected += [m.mean * DOUBLING, pop["s0"].mean]
    assert got[:3] + got[6:7] == pytest.approx(expected[:3] + expected[6:7], abs=0.051)  # one decimal
    assert got[3:6] + got[7:] == pytest.approx(expected[3:6] + expected[7:], abs=0.0051)
    g = pop["gamma"]
    gamma = nums(
        quoted(
            r"\$\\gamma\$ = ([\d.]+) per log point of size \(([\d.]+) to ([\d.]+)\), "
            r"about (\d+)% per\s+doubling"
        )
    )
    assert gamma[:3] == pytest.approx([g.mean, g.p05, g.p95], abs=0.0051)
    assert gamma[3] == pytest.approx(-np.expm1(-g.mean * np.log(2)) * 100, abs=0.51)
    rhat, ess, draws = nums(
        quoted(
            r"R-hat of the population parameters\s+([\d.]+); the gap's importance weights keep an "
            r"effective ([\d,]+) of ([\d,]+)"
        )
    )
    assert rhat == pytest.approx(panel.rhat_max, abs=5e-4)
    assert ess == pytest.approx(panel.gap_ess, abs=0.5) and draws == len(params.trend.posterior.alpha)


def test_form_selection(params):
    scaled, constant, se, drift_scaled, drift_constant = nums(
        quoted(
            r"With shocks scaled\s+by size the damped form scores ([-\d.]+) against ([-\d.]+) with constant "
            r"shocks \(standard error of the\s+difference ([\d.]+)\)\*\*, and the random walk ([-\d.]+) "
            r"against ([-\d.]+)"
        )
    )
    sel = {(s.form, s.shocks): s for s in params.trend.panel.selection}
    assert [scaled, constant, drift_scaled, drift_constant] == pytest.approx(
        [
            sel[k].elpd_loco
            for k in (
                ("damped", "scaled"),
                ("damped", "constant"),
                ("drift", "scaled"),
                ("drift", "constant"),
            )
        ],
        abs=0.051,
    )
    # the rule's standard error: of the difference between the two damped forms
    assert se == pytest.approx(sel["damped", "constant"].diff_se, abs=0.051)
    assert params.trend.model == "damped" and params.trend.panel.shocks == "scaled"
    assert sel["damped", "scaled"].chosen


def test_pakistan_only_model(data, params):
    own = fit(data, peers=None)
    pct, s = nums(quoted(r"Its own data alone\s+say ([\d.]+)% a year with shocks of ([\d.]+)"))
    assert pct == pytest.approx(np.expm1(own.trend.alpha) * 100, abs=0.05)
    assert s == pytest.approx(own.trend.sigma, abs=5e-4)
    beta, p = quoted(r"\(\$\\hat\\beta = (\d+)\$, \$p = ([\d.]+)\$\)")
    assert own.trend.selection.selected == "drift"
    assert float(beta) == pytest.approx(own.trend.selection.beta_hat, abs=5e-4)
    assert float(p) == pytest.approx(own.trend.selection.p_value, abs=5e-3)


def test_revisions(params):
    n, mean, sd = quoted(r"\((\d+) pairs: \+([\d.]+)% on average, spread ([\d.]+)%\)")
    r = params.revisions.year_to_date
    assert int(n) == r.n_pairs
    assert float(mean) == pytest.approx(r.log_mean * 100, abs=0.005)
    assert float(sd) == pytest.approx(r.log_sd * 100, abs=0.05)
    n, mean, sd = quoted(r"\((\d+) full-year pairs: \+([\d.]+)% on average, spread ([\d.]+)%")
    r = params.revisions.full_year
    assert (int(n), float(mean), float(sd)) == (
        r.n_pairs,
        round(r.log_mean * 100, 2),
        round(r.log_sd * 100, 1),
    )


def test_seasonality_and_band_by_month(params):
    kappa, eta, n = quoted(
        r"steps of \$\\kappa = ([\d.]+)\$, figure noise\s+\$\\eta = ([\d.]+)\$, from (\d+) complete"
    )
    s = params.seasonality
    assert (float(kappa), float(eta), int(n)) == (round(s.level_sd, 3), round(s.figure_sd, 4), s.n_years)
    bands = quoted(
        r"is -([\d.]+)%/\+([\d.]+)% after July,\s+-([\d.]+)%/\+([\d.]+)% after December and "
        r"-([\d.]+)%/\+([\d.]+)% after May"
    )
    expected = []
    for m in (1, 6, 11):
        sd = s.shares[m - 1].nowcast_log_sd
        expected += [
            round((1 - np.exp(-1.2815515655446004 * sd)) * 100, 1),
            round((np.exp(1.2815515655446004 * sd) - 1) * 100, 1),
        ]
    assert [float(b) for b in bands] == expected


@pytest.mark.slow  # 15 s: a re-fit at each origin on the data as published then (CI runs it)
def test_real_time_backtest_figures(data):
    text = quoted(r"On the four that remain \(FY2021-FY2024\), (.*?)\(4, 3 and 2 forecasts\)")[0]
    nums = [float(x) for x in re.findall(r"([\d.]+)%", re.sub(r"80%\s+interval", "interval", text))]
    rows, _ = real_time_backtest(data)
    rt = score(rows)
    same = score([r for r in backtest(data) if r.origin_fy in {x.origin_fy for x in rows}])
    expected = [
        rt[0].mae_model_pct,
        rt[0].mae_naive_pct,
        same[0].mae_model_pct,
        same[0].mae_naive_pct,
        rt[1].mae_model_pct,
        same[1].mae_model_pct,
        rt[2].mae_model_pct,
        same[2].mae_model_pct,
    ]
    assert nums[:8] == pytest.approx(expected, abs=0.06)
    assert nums[8:] == pytest.approx([x.coverage_80 * 100 for x in rt], abs=0.5)
    assert [x.n for x in rt] == [4, 3, 2]


def test_nowcast_record_figures(data):
    text = quoted(r"With one to three months known (.*?)These are (\d+)\s+nowcasts")
    sc = score_nowcasts(nowcast_backtest(data))
    found = re.findall(r"([\d.]+)%\D*?(\d+)\s+of\s+(\d+)", re.sub(r"80%\s+interval", "interval", text[0]))
    assert [(float(a), int(b), int(c)) for a, b, c in found] == [
        (round(x.mae_pct, 1), round(x.coverage_80 * x.n), x.n) for x in sc
    ]
    assert int(text[1]) == sum(x.n for x in sc)


@pytest.mark.slow
def test_fy2010_sensitivity(data, params):
    got = nums(
        quoted(
            r"size from\s+([\d.]+)% to ([\d.]+)% a year \(the Pakistan-only model: "
            r"from ([\d.]+)% to ([\d.]+)%\)"
        )
    )
    rest = replace(
        data, observations=tuple(o for o in data.observations if o.fiscal_year != 2010), sha256="-"
    )
    expected = [
        np.expm1(params.trend.alpha) * 100,
        np.expm1(fit(rest).trend.alpha) * 100,
        np.expm1(fit(data, peers=None).trend.alpha) * 100,
        np.expm1(fit(rest, peers=None).trend.alpha) * 100,
    ]
    assert got == pytest.approx(expected, abs=0.05)


def _pakistan_scores_quoted(text: str) -> list[float]:
    return [
        float(x)
        for x in re.findall(
            r"([\d.]+)%", text.replace("80%\ninterval", "interval").replace("80% interval", "interval")
        )
    ]


def test_pakistan_backtest_figures(results):
    text, n1, n2, n3 = quoted(r"levers at their recorded values: (.*?)\((\d+), (\d+) and (\d+) forecasts\)")
    got = _pakistan_scores_quoted(text)
    sc = results.pakistan_scores
    expected = [x for s in sc for x in (s.mae_model_pct, s.mae_naive_pct)] + [s.coverage_80 * 100 for s in sc]
    assert got[:6] == pytest.approx(expected[:6], abs=0.06)  # one decimal
    assert got[6:] == pytest.approx(expected[6:], abs=0.5)  # whole percents
    assert [int(n1), int(n2), int(n3)] == [s.n for s in sc]
    crps = nums(
        quoted(
            r"log exports \(below\) is ([\d.]+), ([\d.]+) and ([\d.]+) \(naive drift with its\s+"
            r"normal intervals: ([\d.]+), ([\d.]+) and ([\d.]+)\)"
        )
    )
    assert crps == pytest.approx([s.crps_model for s in sc] + [s.crps_naive for s in sc], abs=6e-4)


@pytest.mark.slow
def test_pakistan_only_backtest_figures(data, tmp_path):
    """The figures quoted for Pakistan's model alone: the backtest of fits without the panel."""
    text = quoted(r"Pakistan's model\s+alone had (.*?): \*\*")[0]
    got = [float(x) for x in re.findall(r"([\d.]+)%", text)]
    sc = score(backtest(replace(data, directory=tmp_path)))  # a folder with no peers.csv
    assert got[:3] == pytest.approx([s.mae_model_pct for s in sc], abs=0.06)
    assert got[3:] == pytest.approx([s.coverage_80 * 100 for s in sc], abs=0.5)


def test_panel_backtest_table(results):
    b = results.panel
    sc = {(s.model, s.horizon): s for s in b.scores}
    rows = re.findall(r"^\| (\d) \| (\d+) \| (.*) \|$", DOC, flags=re.M)
    assert [int(h) for h, _, _ in rows] == [1, 2, 3, 4, 5]
    for h, n, rest in rows:
        cells = [float(c.strip().rstrip("%")) for c in rest.split("|")]
        h = int(h)
        models = ("panel", "own", "naive")
        assert int(n) == sc["panel", h].n
        assert cells[:3] == pytest.approx([sc[m, h].mape_pct for m in models], abs=0.06)
        assert cells[3:6] == pytest.approx([sc[m, h].crps for m in models], abs=6e-4)
        assert cells[6:] == pytest.approx([sc[m, h].coverage_80 * 100 for m in models], abs=0.5)
    forecasts, countries = nums(quoted(r"five years ahead: (\d+) forecasts of (\d+) countries"))
    assert (forecasts, countries) == (b.forecasts, b.countries)
    pit = quoted(r"panel model ([\d, ]+); Pakistan-only\s+([\d, ]+); naive ([\d, ]+)\.")
    for text, model in zip(pit, ("panel", "own", "naive"), strict=True):
        assert [int(x) for x in text.split(",")] == b.pit[model]
    better = nums(
        quoted(r"CRPS at three to five years is (\d+)%, (\d+)% and\s+(\d+)% better than the naive drift")
    )
    assert better == pytest.approx(
        [(1 - sc["panel", h].crps / sc["naive", h].crps) * 100 for h in (3, 4, 5)], abs=0.5
    )
    held = nums(
        quoted(
            r"they held (\d+)%, (\d+)% and (\d+)% of\s+the actuals one to three years ahead and "
            r"(\d+)% and (\d+)% at four and five"
        )
    )
    assert held == pytest.approx([sc["panel", h].coverage_80 * 100 for h in range(1, 6)], abs=0.5)


def test_panel_periods_figures(results):
    """Section 7, "Periods, not countries": the panel model's errors by origin, and its coverage
    with each origin's common shift taken out (``peers_backtest.by_origin``, ``shift_removed``)."""

    def said(pattern: str) -> tuple[str, ...]:  # the docs' line breaks fall anywhere
        return quoted(pattern.replace(" ", r"\s+"))

    b = results.panel
    at5 = [s for s in b.by_origin if s.horizon == 5]
    rows = re.findall(r"^\| (\d{4}) \| (\d+) \| ([-+][\d.]+) \| ([-+][\d.]+) \| (\d+)% \|$", DOC, flags=re.M)
    assert [(int(o), int(n)) for o, n, *_ in rows] == [(s.origin, s.n) for s in at5]
    for (_, _, med, mean, held), s in zip(rows, at5, strict=True):
        assert [float(med), float(mean)] == pytest.approx([s.median_log_error, s.mean_log_error], abs=0.006)
        assert float(held) == pytest.approx(s.coverage_80 * 100, abs=0.5)
    text = said(r"More actuals came out above the panel model's median than below it:\s+(.*?) of them")[0]
    assert nums(re.findall(r"([\d.]+)%", text)) == pytest.approx(
        [s.above_median * 100 for s in b.shift_removed], abs=0.05
    )
    lo, hi = nums(said(r"between ([\d.]+) and ([\d.]+) log points per year ahead at every horizon"))
    per_year = [
        sum(s.n * s.mean_log_error for s in b.by_origin if s.horizon == h)
        / sum(s.n for s in b.by_origin if s.horizon == h)
        / h
        for h in range(1, 6)
    ]
    assert [lo, hi] == pytest.approx([100 * min(per_year), 100 * max(per_year)], abs=0.05)
    n, eight, seven = said(
        r"The (\d+) forecasts start from only (\w+) origins \((\w+) at three to five years"
    )
    assert int(n) == b.forecasts == sum(s.n for s in b.by_origin)
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert words.index(eight) + 1 == len({s.origin for s in b.by_origin}) == len(b.origins)
    assert words.index(seven) + 1 == len({s.origin for s in b.by_origin if s.horizon >= 3})
    times = nums(said(r"countries\) at ([\d.]+) and ([\d.]+) times its forecast median five years on"))
    assert times == pytest.approx([np.exp(s.median_log_error) for s in at5[:2]], abs=0.005)
    up, of = said(r"\((\d+) of the (\d+) five-year windows came out above the median\)")
    assert (int(up), int(of)) == (sum(s.median_log_error > 0 for s in at5), len(at5))
    held, above = said(
        r"the 80% intervals held (.*?) of the actuals one to five years ahead, with\s+(.*?) of them above"
    )
    sr = b.shift_removed
    assert [s.horizon for s in sr] == [1, 2, 3, 4, 5] and not any(s.skipped for s in sr)
    assert nums(re.findall(r"([\d.]+)%", held)) == pytest.approx(
        [s.coverage_80_shift_removed * 100 for s in sr], abs=0.05
    )
    assert nums(re.findall(r"([\d.]+)%", above)) == pytest.approx(
        [s.above_median_shift_removed * 100 for s in sr], abs=0.05
    )


@pytest.mark.slow  # 16 s: the panel backtest again, with constant shocks
def test_constant_shock_panel_figures(data):
    """The figures quoted for the model's first form (constant shocks), which the selection rule
    replaced: its coverage and CRPS by horizon."""
    from calibration.peer_data import load_peer_panel
    from calibration.peers_backtest import backtest as panel_backtest
    from calibration.peers_backtest import score as panel_score

    held = nums(
        quoted(
            r"With\s+constant shocks \(the model's first form, section 5\) the intervals held "
            r"(\d+)%, (\d+)%, (\d+)%, (\d+)% and (\d+)%"
        )
    )
    crps = nums(
        quoted(
            r"improved the CRPS at every horizon \(([\d.]+), ([\d.]+), ([\d.]+),\s+([\d.]+) and "
            r"([\d.]+) with constant shocks\)"
        )
    )
    sc = [
        s
        for s in panel_score(
            panel_backtest(load_peer_panel(data.directory), form="damped", shocks="constant")
        )
        if s.model == "panel"
    ]
    assert held == pytest.approx([s.coverage_80 * 100 for s in sc], abs=0.5)
    assert crps == pytest.approx([s.crps for s in sc], abs=6e-4)


def test_dependence_table(results):
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \| (baseline|blueprint-package) \| (.*) \|$", DOC, flags=re.M)
    assert len(rows) == len(results.dependence)
    for (assumption, setting, scenario, cells), r in zip(rows, results.dependence, strict=True):
        assert (assumption, setting, scenario) == (r.assumption, r.setting, r.scenario)
        got = [float(x) for c in cells.split("|") for x in re.findall(r"([\d.]+)%", c)]
        expected = []
        for t in ("t10b_fy2029_uraan", "t15b_fy2030_govt", "t25b_fy2029_pm"):
            expected += [r.odds[t] * 100, r.odds[f"{t}_by_2040"] * 100]
        assert got[0::2] == pytest.approx(expected[0::2], abs=0.051)
        assert got[1::2] == pytest.approx(expected[1::2], abs=0.51)


def test_posterior_tail_figures(params):
    """Section 8: the trend posterior's share of negative slowdowns and its runaway draws."""
    below, n, runaway = nums(
        quoted(r"([\d.]+)% of its ([\d,]+) draws of \$\\beta\$ are below zero and (\d+) below -0\.08")
    )
    beta = np.asarray(params.trend.posterior.beta)
    assert n == len(beta) and runaway == int((beta < -0.08).sum())
    assert below == pytest.approx(100 * float((beta < 0).mean()), abs=0.51)
