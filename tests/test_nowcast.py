"""The nowcast of the incomplete year: consistent vintages, the months jointly, a band that narrows
as months arrive, and views of the data as of a date that never see a later figure."""

from __future__ import annotations

import itertools
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.__main__ import report
from calibration.backtest import (
    nowcast_backtest,
    score_nowcasts,
)
from calibration.fit import fit
from calibration.nowcast import (
    MIN_YEARS,
    SeasonalModel,
    design,
    estimate_nowcast,
    fit_seasonal,
    flows,
    share_observations,
)
from simulator.data import (
    OBSERVATIONS_FILE,
    Dataset,
    YearMonth,
    load_dataset,
)

HEADER = "period_start,period_end,fiscal_year,value_musd,definition,published,source_org,url,note,status\n"
FLOWS = np.array([0.07, 0.075, 0.08, 0.08, 0.082, 0.09, 0.08, 0.08, 0.088, 0.087, 0.09, 0.098])
FLOWS = FLOWS / FLOWS.sum()


def month_end(fy: int, m: int) -> YearMonth:
    """Fiscal month ``m`` (1 = July) of fiscal year ``fy``."""
    return YearMonth(fy - 1, 6 + m) if m <= 6 else YearMonth(fy, m - 6)


def row(fy: int, m: int, value: float, published: str, status: str = "") -> str:
    end = month_end(fy, m)
    url = f"https://example.org/{fy}/{m}/{published}"
    return f"{fy - 1}-07,{end},{fy},{value:.6f},ict_services,{published},SBP,{url},synthetic,{status}\n"


def write_data(folder: Path, bundled: Path, rows: list[str]) -> Dataset:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(bundled / "targets.csv", folder / "targets.csv")
    (folder / "lever_history.csv").write_text(
        "lever,fiscal_year,value,basis,source_org,published,url,note\n", encoding="utf-8"
    )
    (folder / OBSERVATIONS_FILE).write_text(HEADER + "".join(rows), encoding="utf-8")
    return load_dataset(folder)


def seasonal_rows(years: dict[int, float], shares: dict[int, np.ndarray], months=range(1, 12)) -> list[str]:
    """Full years printed in August after they end, year-to-date figures a month after each month."""
    out = []
    for fy, total in years.items():
        for m in months:
            end = month_end(fy, m)
            pub = f"{end.year + (end.month == 12):04d}-{end.month % 12 + 1:02d}-20"
            out.append(row(fy, m, total * shares[fy][m - 1], pub))
        out.append(row(fy, 12, total, f"{fy}-08-20"))
    return out


# --------------------------------------------------------------------------- known answers


def test_identical_seasons_give_the_exact_full_year(tmp_path, data):
    """Every complete year with the same seasonal path: the shares are that path and the
    incomplete year's figures imply its full year exactly (no revisions in the data)."""
    cum = np.cumsum(FLOWS)
    years = {fy: 1000.0 * 1.2 ** (fy - 2015) for fy in range(2015, 2024)}
    rows = seasonal_rows(years, {fy: cum for fy in years})
    truth = 1000.0 * 1.2**9
    rows += [row(2024, m, truth * cum[m - 1], f"2024-0{m}-20" if m < 4 else "2024-05-20") for m in (1, 2, 3)]
    p = fit(write_data(tmp_path / "d", data.directory, rows))
    assert [s.share_mean for s in p.seasonality.shares] == pytest.approx(cum[:11], rel=2e-3)
    assert p.revisions.full_year.n_pairs == 0 and p.revisions.year_to_date.n_pairs == 0
    assert np.exp(p.nowcast.log_mean) == pytest.approx(truth, rel=2e-3)
    assert [f.months for f in p.nowcast.figures] == [1, 2, 3]
    assert sum(f.weight for f in p.nowcast.figures) == pytest.approx(1.0)


def test_one_figure_is_divided_by_its_share():
    """With a single figure the estimate is ln YTD - mu_m, with the variance of that month."""
    model = SeasonalModel(theta=np.zeros(11), level_sd=0.05, figure_sd=0.005, theta_cov=np.eye(11) * 1e-4)
    mean, var, w = model.full_year(np.array([4]), np.log([1500.0]))
    assert w == pytest.approx([1.0])
    assert np.exp(mean) == pytest.approx(1500 / (4 / 12))
    _mu, sigma, v = model.moments()
    assert var == pytest.approx(sigma[3, 3] + v[3, 3])


def test_fit_recovers_the_flows_and_the_level_spread_from_simulated_years():
    """Years simulated from the model itself (known flows, random-walk steps of 0.04, figure
    noise 0.003): the fit recovers them within a stated tolerance, and the 80% band of the
    nowcast of new simulated years holds the truth about 80% of the time."""
    rng = np.random.default_rng(11)
    kappa, eta = 0.04, 0.003

    def year(fy):
        level = np.concatenate([[0.0], np.cumsum(kappa * rng.standard_normal(11))])
        f = FLOWS * np.exp(level)
        x = np.log(np.cumsum(f)[:11] / f.sum()) + eta * rng.standard_normal(11)
        return x

    from simulator.params import ShareObservation

    points = []
    for fy in range(1960, 2020):
        x = year(fy)
        for m in range(1, 12):
            if rng.random() < 0.7:  # incomplete years, as in the data
                points.append(
                    ShareObservation(
                        fiscal_year=fy,
                        months=m,
                        ytd_musd=np.exp(x[m - 1]) * 100,
                        full_year_musd=100.0,
                        full_year_published=None,
                    )
                )
    model = fit_seasonal(tuple(points))
    assert model.flows == pytest.approx(FLOWS, abs=0.004)
    assert model.level_sd == pytest.approx(kappa, rel=0.25)
    covered = []
    for _ in range(300):
        x = year(0)
        m = int(rng.integers(1, 12))
        mean, var, _ = model.full_year(np.arange(1, m + 1), x[:m])  # the truth is ln 1 = 0
        covered.append(abs(mean) < 1.2816 * np.sqrt(var))
    assert 0.72 <= np.mean(covered) <= 0.88


# --------------------------------------------------------------------------- consistent vintages


def test_a_year_to_date_figure_is_divided_by_the_full_year_of_its_vintage(tmp_path, data):
    """FY2019's case: year-to-date figures printed before the full year was revised up 9% are
    divided by the first print; one printed after the revision by the revised figure; one not
    below the full year current when it came out is left out with a note."""
    cum = np.cumsum(FLOWS)
    years = {fy: 1000.0 * 1.2 ** (fy - 2018) for fy in range(2012, 2018)}  # FY2018's first print x1.2
    rows = seasonal_rows(years, {fy: cum for fy in years})
    rows += [
        row(2018, 6, 500.0, "2018-01-20"),
        row(2018, 12, 1000.0, "2018-08-20"),  # first print
        row(2018, 8, 700.0, "2019-03-20"),  # printed after the first full year, before its revision
        row(2018, 11, 1050.0, "2019-06-20"),  # on the revised basis already: not below 1,000
        row(2018, 12, 1090.0, "2019-08-20"),  # the revision
        row(2018, 9, 800.0, "2019-09-20"),  # after the revision
    ]
    d = write_data(tmp_path / "d", data.directory, rows)
    points, notes = share_observations(d, 2018)
    fy18 = {p.months: p for p in points if p.fiscal_year == 2018}
    assert fy18[6].full_year_musd == 1000.0 and fy18[8].full_year_musd == 1000.0
    assert fy18[9].full_year_musd == 1090.0
    assert 11 not in fy18
    assert any("Jul-May FY2018" in n and "left out" in n for n in notes)
    assert fit(d).revisions.full_year.n_pairs == 1


def test_rows_set_aside_are_no_vintage_figure_or_revision(tmp_path, data):
    """A full year or year-to-date figure marked ``conflict`` or ``lower_bound`` is not a vintage:
    not the full year a share is divided by, not a cumulative figure, not a first print."""
    cum = np.cumsum(FLOWS)
    years = {fy: 1000.0 * 1.2 ** (fy - 2018) for fy in range(2012, 2018)}
    rows = seasonal_rows(years, {fy: cum for fy in years})
    rows += [
        row(2018, 12, 900.0, "2018-07-01", "conflict"),  # out before the year-to-date figure
        row(2018, 6, 420.0, "2018-01-10", "conflict"),  # an earlier print of the same period
        row(2018, 6, 500.0, "2018-01-20"),
        row(2018, 8, 650.0, "2018-03-20", "lower_bound"),  # "more than 650"
        row(2018, 12, 1000.0, "2018-08-20"),
    ]
    d = write_data(tmp_path / "d", data.directory, rows)
    points, _ = share_observations(d, 2018)
    fy18 = {p.months: p for p in points if p.fiscal_year == 2018}
    assert set(fy18) == {6} and fy18[6].ytd_musd == 500.0 and fy18[6].full_year_musd == 1000.0
    rev = fit(d, peers=None).revisions
    assert rev.year_to_date.n_pairs == 0 and rev.full_year.n_pairs == 0


def test_same_vintage_shares_on_the_bundled_data(data):
    """FY2019's year-to-date figures are divided by its first print (1,090), not the revised
    1,192; its July-May figure (above 1,090) is left out."""
    points, notes = share_observations(data, 2025)
    fy19 = {p.months: p for p in points if p.fiscal_year == 2019}
    assert {m: p.full_year_musd for m, p in fy19.items()} == {5: 1090.0, 6: 1090.0, 8: 1090.0}
    assert any(n.startswith("Jul-May FY2019") for n in notes)


# --------------------------------------------------------------------------- the band narrows


def test_band_narrows_as_months_arrive_on_the_real_data(data):
    """FY2025 as the incomplete year (its full-year rows removed): its nowcast's band never
    widens as its months arrive, and the last one holds the reported 3,810."""
    rest = Dataset(
        tuple(o for o in data.observations if not (o.fiscal_year == 2025 and o.is_full_year)),
        data.targets,
        data.lever_history,
        data.directory,
        "-",
    )
    nc = estimate_nowcast(rest, 2024).nowcast
    sds = [s.log_sd for s in nc.by_month]
    assert len(sds) >= 8
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(sds))
    assert sds[-1] < 0.6 * sds[0]
    assert abs(np.log(3810) - nc.log_mean) < 1.2816 * nc.log_sd


def test_band_by_month_of_the_bundled_fit_narrows(params):
    sds = [s.nowcast_log_sd for s in params.seasonality.shares]
    assert [s.months for s in params.seasonality.shares] == list(range(1, 12))
    assert all(b < a for a, b in itertools.pairwise(sds))


@settings(max_examples=60, deadline=None)
@given(
    theta=st.lists(st.floats(-1.0, 1.0), min_size=11, max_size=11),
    level=st.floats(0.005, 0.3),
    noise=st.floats(0.001, 0.05),
    months=st.lists(st.integers(1, 11), min_size=1, max_size=11, unique=True),
    cov_scale=st.floats(0.0, 0.05),
)
def test_band_never_widens_when_a_month_arrives(theta, level, noise, months, cov_scale):
    """Any flows, spreads and order of arrival: adding a figure never raises the variance."""
    model = SeasonalModel(
        theta=np.array(theta), level_sd=level, figure_sd=noise, theta_cov=np.eye(11) * cov_scale
    )
    mu = design(flows(np.array(theta)))[0]
    months = sorted(months)
    variances = [
        model.full_year(np.array(months[:k]), mu[np.array(months[:k]) - 1])[1]
        for k in range(1, len(months) + 1)
    ]
    assert all(b <= a * (1 + 1e-9) for a, b in itertools.pairwise(variances))


def test_fit_report_shows_the_band_by_month(data_copy):
    """The bundled FY2026 rows replaced by two figures: the report lists the nowcast after each
    (the report itself: the command also runs the backtests, half a minute)."""
    path = data_copy / OBSERVATIONS_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [x for x in lines if x.split(",")[2] != "2026"]  # fiscal_year (no quoted cell before it)
    assert len(kept) < len(lines)
    path.write_text("".join(kept) + row(2026, 1, 354, "2025-08-20") + row(2026, 2, 691, "2025-09-19"))
    out = report(fit(load_dataset(data_copy), peers=None))
    assert "nowcast band (80%) once every month through it is known" in out
    assert "Nowcast of FY2026 as its months arrived" in out
    assert "Jul FY2026 " in out and "Jul-Aug FY2026 " in out and "Jul-Sep FY2026" not in out


def test_nowcast_backtest_sees_only_what_was_published(tmp_path, data):
    cum = np.cumsum(FLOWS)
    years = {fy: 1000.0 * 1.15 ** (fy - 2012) for fy in range(2012, 2020)}
    d = write_data(tmp_path / "d", data.directory, seasonal_rows(years, {fy: cum for fy in years}))
    rows = nowcast_backtest(d)
    assert rows and {r.fiscal_year for r in rows} == set(range(2012 + MIN_YEARS, 2020))
    for r in rows:
        # a figure through month m is published on the 20th of the month after
        assert r.ytd_musd == pytest.approx(years[r.fiscal_year] * cum[r.months - 1])
        end = month_end(r.fiscal_year, r.months)
        assert date.fromisoformat(r.as_of) >= date(end.year + (end.month == 12), end.month % 12 + 1, 20)
        assert r.p10 <= r.actual <= r.p90  # identical seasons: the truth is inside
    assert score_nowcasts(rows)[0].coverage_80 == 1.0
