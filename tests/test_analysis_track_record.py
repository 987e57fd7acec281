"""Targets track record: outcomes read from the observations, growth needed against growth achieved."""

from __future__ import annotations

import pytest

from simulator.analysis.track_record import (
    OPEN_COLUMNS,
    PAST_COLUMNS,
    open_rows,
    open_targets,
    pace,
    past_rows,
    past_targets,
    summary,
)
from simulator.data import load_dataset


def by_id(items):
    return {x.target.id: x for x in items}


def test_past_targets_against_reported_outcomes(engine):
    past = by_id(past_targets(engine.data))
    assert all(p.target.deadline_fy <= engine.base_year for p in past.values())
    # FY2022: $3.5B target, $2,619m reported -> missed by $881m (25%)
    p = past["t3p5b_fy2022_haque"]
    assert p.outcome_musd == 2619 and p.met is False
    assert p.difference_musd == pytest.approx(-881)
    assert "missed. Reported FY2022: $2.62B, $0.88B (25%) below the target." in p.text()
    # FY2021: $2B target, $2,108m reported -> met
    assert past["t2b_fy2021_dawood"].met is True
    # said in August 2025 about FY2025 (ended June 2025): counted apart
    assert past["t3p8b_fy2025_moitt"].stated_after_deadline
    assert "after the year had ended" in past["t3p8b_fy2025_moitt"].text()
    assert "$10m (0.3%) above" in past["t3p8b_fy2025_analyst"].text()


def test_summary_counts(engine):
    past = past_targets(engine.data)
    ahead = [p for p in past if not p.stated_after_deadline and p.met is not None]
    met = sum(p.met for p in ahead)
    text = summary(past)
    assert f"Of {len(ahead)} dated targets stated before their deadline year ended, {met} were met" in text
    assert met < len(ahead) - met  # nearly every dated target was missed


def test_outcome_follows_the_data_not_the_targets_file(data_copy):
    """Revising the FY2022 figure in the observations changes the verdict: nothing is copied."""
    path = data_copy / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(
        "2021-07,2022-06,2022,3600,ict_services,2025-01-01,SBP,https://example.org/revision,test revision,"
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = by_id(past_targets(load_dataset(data_copy)))["t3p5b_fy2022_haque"]
    assert p.outcome_musd == 3600 and p.met is True


def test_open_targets_need_against_pace(engine):
    items = by_id(open_targets(engine))
    pc = pace(engine)
    assert pc.base_year == 2025 and pc.base_musd == 3810
    assert pc.recent_start == 2020
    assert pc.recent_pct == pytest.approx(((3810 / 1439.97) ** (1 / 5) - 1) * 100)
    o = items["t10b_fy2029_uraan"]
    assert o.years_left == 4
    assert o.required_pct == pytest.approx(((10000 / 3810) ** 0.25 - 1) * 100)
    text = o.text()
    assert "needs 27.3% a year for 4 years from FY2025's $3.81B" in text
    assert "21.5% a year achieved over FY2020-FY2025" in text
    assert "1.3 times the recent pace" in text
    undated = items["t30b_nodeadline_pm"]
    assert undated.required_pct is None
    # 3810 * 1.215^n >= 30000 first at n = 11
    assert undated.year_at(pc.recent_pct) == 2036
    assert "it would be reached in FY2036" in undated.text()


def test_rows(engine):
    prow = past_rows(past_targets(engine.data))
    assert prow and list(prow[0]) == list(PAST_COLUMNS)
    orow = open_rows(open_targets(engine))
    assert orow and list(orow[0]) == list(OPEN_COLUMNS)
    assert all(r["url"].startswith("http") for r in prow + orow)
