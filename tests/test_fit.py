"""Calibration: it recovers known parameters, picks the slowdown only when the data show it,
and a newly released figure updates everything without a code change."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from calibration.__main__ import main as calibration_main
from calibration.fit import Increments, drift_estimates, fit, fit_damped, loglik_damped
from simulator.backtests import load_results, results_path
from simulator.data import OBSERVATIONS_FILE, load_dataset, year_to_date
from simulator.engine import Engine
from simulator.params import DEFAULT_PARAMS_PATH, dump_params, load_params
from simulator.scenario import baseline_scenario
from simulator.settings import load_settings

OBS_HEADER = "period_start,period_end,fiscal_year,value_musd,definition,published,source_org,url,note\n"


def synthetic_data(tmp: Path, values: dict[int, float], bundled: Path) -> Path:
    """A data folder whose exports are ``values`` (full years) and whose lever history is empty,
    so every lever sits at current policy over the history."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copy(bundled / "targets.csv", tmp / "targets.csv")
    (tmp / "lever_history.csv").write_text(
        "lever,fiscal_year,value,basis,source_org,published,url,note\n", encoding="utf-8"
    )
    lines = [
        f"{y - 1}-07,{y}-06,{y},{v:.6f},ict_services,{y}-08-20,SBP,https://example.org/{y},synthetic\n"
        for y, v in sorted(values.items())
    ]
    (tmp / OBSERVATIONS_FILE).write_text(OBS_HEADER + "".join(lines), encoding="utf-8")
    return tmp


def append_observation(
    data_dir: Path, start: str, end: str, value: float, *, published: str, url: str
) -> None:
    """One more FY2026 row (SBP, ICT services) at the end of the observations file."""
    with (data_dir / OBSERVATIONS_FILE).open("a", encoding="utf-8", newline="") as f:
        row = [
            start,
            end,
            "2026",
            f"{value:g}",
            "ict_services",
            published,
            "SBP",
            f"https://example.org/{url}",
            "test",
            "",  # status: a measurement
        ]
        csv.writer(f, lineterminator="\n").writerow(row)


def simulate_reported(rng, years, alpha, sigma, start=1000.0, zones_effect=6 * 23):
    """Reported exports from the model itself: the core's random walk with drift plus the zones'
    additive effect at current policy (the only lever with exposure when levers sit at default)."""
    lc = np.log(start) + np.concatenate(
        [[0.0], np.cumsum(alpha + sigma * rng.standard_normal(len(years) - 1))]
    )
    return {int(y): float(np.exp(v) + zones_effect) for y, v in zip(years, lc, strict=True)}


@pytest.mark.slow  # 200 full fits, about 25 s: `make test-slow` and CI run it
def test_drift_fit_recovers_known_parameters(tmp_path, data):
    """Over 200 simulated histories the estimates are unbiased and the 90% interval for alpha
    holds the truth about 90% of the time."""
    rng = np.random.default_rng(2024)
    years = np.arange(1996, 2026)
    alpha, sigma = 0.12, 0.08
    estimates, covered, damped = [], [], 0
    for i in range(200):
        d = synthetic_data(tmp_path / f"d{i}", simulate_reported(rng, years, alpha, sigma), data.directory)
        p = fit(load_dataset(d))
        shutil.rmtree(d)
        if p.trend.model == "damped":  # the 5% test's false positives
            damped += 1
            continue
        estimates.append((p.trend.alpha, p.trend.sigma))
        t = p.trend.posterior
        half = 1.7011 * np.sqrt(t.scale2 / t.span)  # 95% quantile of Student t with 28 dof
        covered.append(abs(t.alpha - alpha) < half)
    a, s = np.array(estimates).T
    assert damped <= 20
    assert abs(a.mean() - alpha) < 0.005
    assert abs(np.median(s) - sigma) < 0.01
    assert 0.84 <= np.mean(covered) <= 0.96


def test_selection_keeps_drift_on_drift_data_and_finds_slowdown_in_damped_data():
    rng = np.random.default_rng(7)
    years = np.arange(1985, 2026)

    def increments(beta):
        lc = [0.0]
        for _ in years[1:]:
            lc.append(lc[-1] + 0.2 - beta * lc[-1] + 0.05 * rng.standard_normal())
        lc = np.array(lc)
        return Increments(years, lc - lc[-1])

    picked_damped, beta_hats = 0, []
    for _ in range(30):
        inc = increments(0.15)
        alpha, s2, _ = drift_estimates(inc)
        ll0 = loglik_damped(alpha, 0.0, np.sqrt(s2 * (len(inc.d) - 1) / len(inc.d)), inc)
        pdamp, ll1 = fit_damped(inc)
        picked_damped += 2 * (ll1 - ll0) > 2.71  # the 5% boundary test
        beta_hats.append(pdamp[1])
    assert picked_damped >= 27
    assert abs(np.median(beta_hats) - 0.15) < 0.05

    picked_on_drift = 0
    for _ in range(40):
        inc = increments(0.0)
        alpha, s2, _ = drift_estimates(inc)
        ll0 = loglik_damped(alpha, 0.0, np.sqrt(s2 * (len(inc.d) - 1) / len(inc.d)), inc)
        _, ll1 = fit_damped(inc)
        picked_on_drift += 2 * (ll1 - ll0) > 2.71
    assert picked_on_drift <= 8  # about 5% expected


def test_damped_likelihood_over_gaps_equals_stepwise_likelihood():
    """Over a gap of h years the exact AR(1) transition must equal h one-year steps."""
    from scipy import stats

    alpha, beta, sigma = 0.1, 0.2, 0.05
    phi = 1 - beta
    x0, x3 = -0.4, -0.1
    inc = Increments(np.array([2000, 2003]), np.array([x0, x3]))
    mean = phi**3 * x0 + alpha * (1 + phi + phi**2)
    var = sigma**2 * (1 + phi**2 + phi**4)
    assert loglik_damped(alpha, beta, sigma, inc) == pytest.approx(stats.norm.logpdf(x3, mean, np.sqrt(var)))


def test_bundled_fit_reports_what_the_data_support(params):
    t = params.trend
    assert t.panel is not None and t.posterior.kind == "samples" and t.selection is None
    assert len(t.posterior.alpha) == 4000
    best = max(t.panel.selection, key=lambda s: s.elpd_loco)
    assert t.model == t.panel.form == best.form  # the form the leave-one-country-out score prefers
    assert len(t.panel.countries) >= 20 and t.panel.rhat_max < 1.05 and t.panel.gap_ess > 500
    # the summaries are those of the stored draws
    q = {x.name: x for x in t.panel.pakistan}
    assert q["alpha"].mean == pytest.approx(np.mean(t.posterior.alpha)) == pytest.approx(t.alpha)
    assert q["beta"].p05 == pytest.approx(np.percentile(t.posterior.beta, 5))
    assert params.sample.first_year == 2010 and params.sample.base_year == 2025
    assert 0.05 < params.trend.sigma < 0.25
    assert any("Not identified by the data" in n for n in params.notes)
    # FY2026 has year-to-date figures: its nowcast starts from the latest month reported
    ytd = year_to_date(load_dataset().observations)[2026]
    assert params.nowcast is not None and params.nowcast.fiscal_year == 2026
    assert params.nowcast.months == max(m for m in ytd if m < 12)


@pytest.mark.slow  # 12 s: a full fit (CI runs it; the engine refuses parameters older than the data)
def test_committed_parameters_are_up_to_date(capsys):
    assert calibration_main(["fit", "--check"]) == 0, capsys.readouterr().err


@pytest.mark.slow  # two full fits on the peer panel with scaled shocks: about 11 s
def test_refit_is_byte_identical(data):
    a = dump_params(fit(data))
    b = dump_params(fit(data))
    assert a == b


def test_new_months_feed_the_nowcast_without_code_changes(data_copy: Path, tmp_path: Path):
    """Add FY2026 year-to-date figures to the data file, re-fit: FY2026's projection centres on
    what they imply and narrows."""
    _drop_fiscal_year(data_copy / OBSERVATIONS_FILE, 2026)  # start from no FY2026 figure
    before_params = fit(load_dataset(data_copy))
    before = Engine(load_dataset(data_copy), before_params).run(
        baseline_scenario(), load_settings(draws=4000)
    )
    append_observation(data_copy, "2025-07", "2025-10", 1500, published="2025-11-20", url="ytd")
    data = load_dataset(data_copy)
    p = fit(data)
    assert p.nowcast is not None and p.nowcast.fiscal_year == 2026 and p.nowcast.months == 4
    implied = np.exp(p.nowcast.log_mean)
    share = np.exp(p.nowcast.figures[0].log_share)
    revision = p.revisions.year_to_date.log_mean + p.revisions.full_year.log_mean
    assert implied == pytest.approx(1500 / share * np.exp(revision))
    after = Engine(data, p).run(baseline_scenario(), load_settings(draws=4000))
    width = lambda q: q.stats["p90"][0] - q.stats["p10"][0]  # noqa: E731
    # the projection combines the model's band and the figures': narrower than either alone
    z80 = 1.2815515655446004
    nowcast_width = implied * (np.exp(z80 * p.nowcast.log_sd) - np.exp(-z80 * p.nowcast.log_sd))
    assert width(after) < min(width(before), nowcast_width)
    assert abs(after.stats["p50"][0] / implied - 1) < abs(before.stats["p50"][0] / implied - 1)
    assert abs(after.stats["p50"][0] / implied - 1) < 0.05


def test_a_new_full_year_moves_the_base_year(data_copy: Path):
    append_observation(data_copy, "2025-07", "2026-06", 4500, published="2026-08-20", url="fy")
    data = load_dataset(data_copy)
    p = fit(data)
    assert p.sample.base_year == 2026
    e = Engine(data, p)
    assert e.first_projection_year == 2027
    assert e.run(baseline_scenario(), load_settings(draws=500)).table()[-1]["fiscal_year"] == 2040


@pytest.mark.slow  # a full fit on the peer panel with scaled shocks: about 10 s
def test_fit_until_a_year_and_engine_sees_only_that(data):
    p = fit(data, until=2022)
    assert p.sample.base_year == 2022 and p.data_until == 2022
    e = Engine(data, p)
    assert e.first_projection_year == 2023


def test_too_few_years_is_an_input_error(data, capsys):
    assert calibration_main(["fit", "--until", "FY2016", "--out", "/dev/null"]) == 1
    assert "at least 3 full fiscal years" in capsys.readouterr().err


def test_bad_until_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        calibration_main(["fit", "--until", "last year"])
    assert exc.value.code == 2
    assert "expected a fiscal year such as FY2022" in capsys.readouterr().err


@pytest.mark.slow  # 12 s: six re-fits through the command line (CI runs it)
def test_backtest_json_rows(capsys):
    import json

    assert calibration_main(["backtest", "--json", "--draws", "500"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and set(rows[0]) == {
        "origin_fy",
        "target_fy",
        "horizon",
        "actual",
        "p10",
        "p50",
        "p90",
        "naive",
        "crps",
        "naive_crps",
    }
    assert {r["horizon"] for r in rows} == {1, 2, 3}
    assert all(r["p10"] <= r["p50"] <= r["p90"] for r in rows)
    assert all(r["crps"] >= 0 and r["naive_crps"] >= 0 for r in rows)
    # naive forecast by hand for the first origin: average growth FY2010 -> origin, one year on
    first = rows[0]
    assert first["origin_fy"] == 2019
    assert first["naive"] == pytest.approx(1192 * (1192 / 433) ** (1 / 9))


@pytest.mark.slow  # about a minute: every origin re-fits Pakistan on the panel with size-scaled shocks
def test_backtest_report_says_whether_the_model_beats_naive(capsys):
    assert calibration_main(["backtest", "--draws", "500", "--levers", "origin"]) == 0
    out = capsys.readouterr().out
    assert "levers stay at their values in the origin year" in out
    assert "naive" in out and ("beats naive" in out or "does not beat naive" in out)
    assert "80% interval held the actual" in out


def test_fit_on_other_data_never_writes_over_the_bundled_file(data_copy: Path, capsys):
    before = DEFAULT_PARAMS_PATH.read_bytes()
    assert calibration_main(["--data-dir", str(data_copy), "fit"]) == 1
    err = capsys.readouterr().err
    assert "beside the bundled ones; give --out or set SIMULATOR_PARAMS_PATH" in err
    assert DEFAULT_PARAMS_PATH.read_bytes() == before


def test_fit_writes_where_simulator_params_path_says_with_its_results(
    data_copy: Path, tmp_path, monkeypatch, capsys
):
    """Without a peer panel the trend is Pakistan's alone; the parameters and the backtest
    results go where SIMULATOR_PARAMS_PATH points, and the engine and the app can read them."""
    (data_copy / "peers.csv").unlink()
    target = tmp_path / "out" / "mine.json"
    monkeypatch.setenv("SIMULATOR_PARAMS_PATH", str(target))
    assert calibration_main(["--data-dir", str(data_copy), "fit", "--until", "FY2024"]) == 0, (
        capsys.readouterr().err
    )
    written = target.with_name("mine_until_FY2024.json")
    p = load_params(written)
    assert p.trend.panel is None and p.trend.posterior.kind == "drift" and p.data_until == 2024
    results = load_results(results_path(written))
    assert results.params_sha256 == p.sha256() and results.panel is None and results.pakistan
    assert not (tmp_path / "out" / "mine.json").exists()


def _drop_fiscal_year(path: Path, fiscal_year: int) -> None:
    """Remove a fiscal year's rows from an observations file (a copy), keeping everything else."""
    rows = list(csv.reader(path.open(encoding="utf-8")))
    col = rows[0].index("fiscal_year")
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(r for r in rows if r[col] != str(fiscal_year))
