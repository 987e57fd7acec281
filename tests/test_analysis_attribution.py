"""Attribution: the parts add up, per draw and in the table, and go to the levers that moved."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.attribution import (
    ATTRIBUTION_COLUMNS,
    REMAINING,
    attribute,
    attribution_rows,
    wedges,
)
from simulator.analysis.goals import Goal, dated_open_goals
from simulator.errors import InputError
from simulator.scenario import baseline_scenario, validate_scenario

PACKAGE = {
    "tech_zones": 47,
    "formal_channel_share": 100,
    "retention_limit": 90,
    "connectivity_loss": 0,
    "vc_funding": 235,
    "talent_pipeline": 254,
}


def project(engine, settings, levers):
    s = validate_scenario({"name": "pkg", "levers": levers}, first_year=engine.first_projection_year)
    return engine.run(s.merged_onto(baseline_scenario()), settings)


@pytest.fixture(scope="module")
def package(engine, settings):
    return project(engine, settings, PACKAGE)


def test_contributions_add_up_to_the_total_in_every_draw_and_year(package):
    parts = package.contributions()
    total = sum(np.broadcast_to(c, package.exports.shape) for c in parts.values())
    np.testing.assert_allclose(total, package.exports - package.baseline_exports, rtol=1e-9, atol=1e-6)


def test_table_adds_up_to_the_gap(engine, package):
    goals = dated_open_goals(engine, 2040)
    assert goals
    results = [attribute(package, g) for g in goals]
    rows = attribution_rows(package, results)
    assert set(rows[0]) == set(ATTRIBUTION_COLUMNS)
    for a in results:
        mine = [r for r in rows if r["goal"] == a.goal.key and r["deadline_fy"] == a.year]
        assert [r["part"] for r in mine][-1] == REMAINING
        assert sum(r["mean_musd"] for r in mine) == pytest.approx(a.gap_mean, rel=1e-9)
        # closed = scenario mean - baseline mean, exactly
        assert a.closed_mean == pytest.approx(a.scenario_mean - a.baseline_mean, rel=1e-9)
        # the same over the middle draws (the headline): the parts and what remains add up to the gap
        assert sum(r["middle_musd"] for r in mine) == pytest.approx(a.gap_middle, rel=1e-9)
        assert mine[0]["gap_middle_musd"] == a.gap_middle == a.goal.amount_musd - a.baseline_middle
        for p in a.parts:
            assert p.p10_musd <= p.mean_musd <= p.p90_musd or p.p10_musd == p.p90_musd
        # the middle draws' difference lies inside its own 10th-90th percentile band
        j = a.year - int(package.years[0])
        diff = package.exports[:, j] - package.baseline_exports[:, j]
        lo, hi = np.percentile(diff, [10, 90])
        assert lo <= a.scenario_middle - a.baseline_middle <= hi


def test_one_lever_gets_everything(engine, settings):
    p = project(engine, settings, {"formal_channel_share": 80})
    a = attribute(p, Goal(10_000, 2030))
    by = {x.lever: x for x in a.parts}
    assert by["formal_channel_share"].mean_musd > 0
    for name, x in by.items():
        if name != "formal_channel_share":
            assert x.mean_musd == 0 and x.p90_musd == 0
    assert by["formal_channel_share"].mean_musd == pytest.approx(a.scenario_mean - a.baseline_mean)


def test_negative_lever_and_overshoot(engine, settings):
    p = project(engine, settings, {"connectivity_loss": 10})
    a = attribute(p, Goal(5_000, 2026))
    by = {x.lever: x for x in a.parts}
    assert by["connectivity_loss"].mean_musd < 0
    assert "remaining" in a.text()
    small = attribute(p, Goal(1_000, 2026))
    assert small.gap_mean < 0 and all(x.share_of_gap is None for x in small.parts)
    assert "already reaches" in small.text()


def test_wedges_match_the_deadline_numbers(engine, package):
    rows = wedges(package)
    a = attribute(package, Goal(15_000, 2030))
    for p in a.parts:
        (w,) = [r for r in rows if r["fiscal_year"] == 2030 and r["lever"] == p.lever]
        assert w["mean_musd"] == pytest.approx(p.mean_musd)
        assert w["middle_musd"] == pytest.approx(p.middle_musd)
        assert w["p10_musd"] == pytest.approx(p.p10_musd)


def test_deadline_outside_projection(engine, package):
    with pytest.raises(InputError, match="outside the projected years"):
        attribute(package, Goal(15_000, 2049))
