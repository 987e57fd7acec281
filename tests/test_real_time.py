"""Real-time backtests: at each origin only the figures published by then, the fit on them and
the nowcast from the year-to-date figures known then; and the nowcast's own record."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from calibration import backtest as backtest_module
from calibration.__main__ import main as calibration_main
from calibration.backtest import (
    BacktestRow,
    NowcastRow,
    origin_date,
    real_time_backtest,
    score,
    score_nowcasts,
)
from calibration.fit import fit
from simulator.data import annual_series

# --------------------------------------------------------------------------- real-time backtests


def test_origin_date():
    assert origin_date(2024, 3) == date(2024, 9, 30)
    assert origin_date(2024, 0) == date(2024, 6, 30)
    assert origin_date(2024, 12) == date(2025, 6, 30)


def test_real_time_fit_uses_the_first_prints_known_then(data):
    p = fit(data.as_of(date(2021, 9, 30)))
    points = {a.fiscal_year: a.value_musd for a in p.sample.points}
    assert points[2021] == 2123.035  # later revised to 2,108
    assert points[2019] == 1192.0 and 2010 in points  # the World Bank anchor came out 2021-09-29
    assert fit(data.as_of(date(2019, 9, 30))).sample.points[-1].value_musd == 1090.0


@pytest.mark.slow  # four origins, each choosing its form on the peer panel: about 30 s
def test_real_time_backtest_rows(data):
    rows, skipped = real_time_backtest(data, draws=500)
    assert {r.origin_fy for r in rows} == {2021, 2022, 2023, 2024}
    assert len(skipped) == 2 and all("full years published by then" in s for s in skipped)
    latest = {y: o.value_musd for y, o in annual_series(data.observations)}
    for r in rows:
        assert r.as_of == origin_date(r.origin_fy).isoformat()
        assert r.base_fy <= r.origin_fy < r.target_fy and r.actual == latest[r.target_fy]
        assert r.p10 <= r.p50 <= r.p90
    # FY2025's Jul-Aug figure came out on 2024-09-20, before the FY2024 origin's day (30 September)
    assert {r.origin_fy: r.nowcast_months for r in rows} == {2021: 1, 2022: None, 2023: 2, 2024: 2}


@pytest.mark.slow  # four origins, each choosing its form on the peer panel: about 45 s
def test_real_time_fits_see_no_later_peer_years(data, monkeypatch):
    """A view as of a day has no ``until``: the peer panel must still stop at the origin, as in
    the pseudo-real-time backtest (the whole panel would be a look-ahead)."""
    cutoffs = {}

    def spy(view, **kw):
        p = fit(view, **kw)
        cutoffs[p.sample.base_year, kw.get("peers_until")] = p.trend.panel.panel_until
        return p

    monkeypatch.setattr(backtest_module, "fit", spy)
    real_time_backtest(data, draws=200, horizons=1)
    assert cutoffs and all(panel == origin - 1 for (_, origin), panel in cutoffs.items())


@pytest.mark.slow  # the real-time backtest twice through the command line: about 25 s
def test_real_time_backtest_cli(capsys):
    assert calibration_main(["backtest", "--vintage", "real-time", "--draws", "300", "--json"]) == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)
    assert {"as_of", "base_fy", "nowcast_months", "p50", "naive"} <= set(rows[0])
    assert "origin skipped: FY2019" in out.err
    assert calibration_main(["backtest", "--vintage", "real-time", "--draws", "300"]) == 0
    text = capsys.readouterr().out
    assert "real time" in text and "The same origins (FY2021-FY2024) with the latest vintages" in text


def test_score_nowcasts_by_hand():
    def r(m, actual, p10, p50, p90):
        return NowcastRow("2020-01-31", 2020, m, 1.0, actual, p10, p50, p90, 0.1)

    s = score_nowcasts([r(1, 100, 90, 110, 130), r(2, 100, 80, 90, 95), r(8, 100, 95, 100, 105)])
    assert [(x.months, x.n) for x in s] == [((1, 3), 2), ((7, 9), 1)]
    assert s[0].mae_pct == pytest.approx(10.0) and s[0].coverage_80 == 0.5
    assert s[0].median_band_pct == pytest.approx(100 * np.median([40 / 110, 15 / 90]))
    assert s[1].mae_pct == 0.0 and s[1].coverage_80 == 1.0


def test_backtest_score_by_hand():
    """Pakistan's backtest scores: MAPE of the median and of the naive, 80% coverage and the mean
    CRPS of each, per horizon."""
    rows = [
        BacktestRow(2020, 2021, 1, 100.0, 90.0, 110.0, 130.0, 120.0, 0.05, 0.15),
        BacktestRow(2021, 2022, 1, 100.0, 70.0, 80.0, 95.0, 100.0, 0.15, 0.05),
        BacktestRow(2020, 2022, 2, 200.0, 150.0, 200.0, 250.0, 150.0, 0.02, 0.25),
    ]
    one, two = score(rows)
    assert (one.horizon, one.n, two.n) == (1, 2, 1)
    assert one.mae_model_pct == pytest.approx(15.0) and one.mae_naive_pct == pytest.approx(10.0)
    assert one.coverage_80 == 0.5 and two.coverage_80 == 1.0
    assert one.crps_model == pytest.approx(0.10) and one.crps_naive == pytest.approx(0.10)
    assert two.crps_model == pytest.approx(0.02) and two.crps_naive == pytest.approx(0.25)
