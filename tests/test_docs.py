"""The numbers quoted in docs/model.md are the ones the code produces (docs cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from calibration.backtest import backtest, nowcast_backtest, real_time_backtest, score, score_nowcasts
from calibration.fit import fit
from simulator.data import Dataset

DOC = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text(encoding="utf-8")


def quoted(pattern: str) -> tuple[str, ...]:
    m = re.search(pattern, DOC, flags=re.S)
    assert m, f"docs/model.md no longer says: {pattern}"
    return m.groups()


def test_trend_estimates(params):
    alpha, pct, se, s, dof = quoted(
        r"\\hat\\alpha = ([\d.]+)\$ \(([\d.]+)% a year, standard error ([\d.]+)\), "
        r"\$s = ([\d.]+)\$,\s+(\d+) degrees"
    )
    t = params.trend
    assert float(alpha) == pytest.approx(t.alpha, abs=5e-5)
    assert float(pct) == pytest.approx(np.expm1(t.alpha) * 100, abs=0.05)
    assert float(se) == pytest.approx(t.alpha_se, abs=5e-4)
    assert float(s) == pytest.approx(t.sigma, abs=5e-4)
    assert int(dof) == t.posterior.dof


def test_slowdown_verdict(params):
    beta, p = quoted(r"\\hat\\beta = (\d+)\$ and \$p = ([\d.]+)\$")
    assert params.trend.selection.selected == "drift"
    assert float(beta) == pytest.approx(params.trend.selection.beta_hat, abs=5e-4)
    assert float(p) == pytest.approx(params.trend.selection.p_value, abs=5e-3)


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


def test_fy2010_sensitivity(data, params):
    with_, without = quoted(r"raise the trend from ([\d.]+)% to ([\d.]+)% a\s+year")
    assert float(with_) == pytest.approx(np.expm1(params.trend.alpha) * 100, abs=0.05)
    rest = Dataset(
        tuple(o for o in data.observations if o.fiscal_year != 2010),
        data.targets,
        data.lever_history,
        data.directory,
        "-",
    )
    assert float(without) == pytest.approx(np.expm1(fit(rest).trend.alpha) * 100, abs=0.05)


def test_backtest_figures(data):
    text, n1, n2, n3 = quoted(r"levers at their recorded\s+values: (.*?)\((\d+), (\d+) and (\d+) forecasts\)")
    nums = [float(x) for x in re.findall(r"([\d.]+)%", text.replace("80% interval", "interval"))]
    sc = score(backtest(data))
    expected = [
        sc[0].mae_model_pct,
        sc[0].mae_naive_pct,
        sc[1].mae_model_pct,
        sc[1].mae_naive_pct,
        sc[2].mae_model_pct,
        sc[2].mae_naive_pct,
        sc[0].coverage_80 * 100,
        sc[1].coverage_80 * 100,
        sc[2].coverage_80 * 100,
    ]
    assert nums[:6] == pytest.approx(expected[:6], abs=0.06)  # quoted to one decimal
    assert nums[6:] == pytest.approx(expected[6:], abs=0.5)  # quoted as whole percents
    assert [int(n1), int(n2), int(n3)] == [x.n for x in sc]
    assert sc[1].mae_model_pct > sc[1].mae_naive_pct and sc[2].mae_model_pct > sc[2].mae_naive_pct
