"""Plausibility warnings: fire on implausible scenarios, quiet on the baseline; a strict reference file."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.analysis.goals import Goal, dated_open_goals
from simulator.analysis.plausibility import (
    MIN_WINDOWS,
    REFERENCE_FILE,
    Record,
    check,
    check_goal,
    load_reference,
    reference_rows,
    required_growth_pct,
)
from simulator.errors import InputError
from simulator.scenario import baseline_scenario, validate_scenario

EVERY_LEVER_AT_MAX = {
    "tech_zones": 60,
    "formal_channel_share": 100,
    "retention_limit": 100,
    "connectivity_loss": 0,
    "vc_funding": 1000,
    "talent_pipeline": 300,
}


def run(engine, settings, doc):
    s = validate_scenario({"name": "x", **doc}, first_year=engine.first_projection_year)
    return engine.run(s.merged_onto(baseline_scenario()), settings)


def test_quiet_on_the_baseline(engine, settings):
    assert check(engine.run(baseline_scenario(), settings)) == []


def test_fires_on_every_lever_at_its_maximum(engine, settings):
    warnings = check(run(engine, settings, {"levers": EVERY_LEVER_AT_MAX}))
    kinds = {w.kind: w for w in warnings}
    assert set(kinds) == {"path_window", "path_year"}
    year = kinds["path_year"]
    # the capture levers act at once: the first projection year jumps past FY2021's +46.4%
    assert (year.first_year, year.last_year) == (2025, 2026)
    assert year.limit_pct == pytest.approx((2108 / 1439.97 - 1) * 100)
    assert "Pakistan's fastest year on record (46.4%, FY2021)" in year.message
    assert f"{year.growth_pct - year.limit_pct:.1f} points above" in year.message
    window = kinds["path_window"]
    assert window.limit_pct == pytest.approx(((2619 / 939) ** (1 / 5) - 1) * 100)  # FY2017-FY2022


def test_fast_trend_beyond_every_reference(engine, settings):
    warnings = check(run(engine, settings, {"trend": {"growth_pct": 35}}))
    (w,) = [w for w in warnings if w.kind == "path_window"]
    assert w.beyond_all
    assert "above the fastest sustained growth among the comparable countries" in w.message
    assert "India" in w.message
    assert not [w for w in warnings if w.kind == "path_year"]  # 35% a year is within FY2021's 46%


def test_fall_beyond_the_worst_year(engine, settings):
    # the drag starts the year after the first projection year, which a nowcast may pin down
    year = engine.first_projection_year + 1
    levers = {"connectivity_loss": {"value": 15, "start": year}}
    warnings = check(run(engine, settings, {"levers": levers, "trend": {"growth_pct": 0}}))
    (fall,) = [w for w in warnings if w.kind == "path_fall"]
    assert fall.last_year == year
    assert "worse than the worst year on record (-0.9%, FY2023)" in fall.message


def test_required_growth(engine):
    goals = {(g.amount_musd, g.deadline_fy): g for g in dated_open_goals(engine)}
    w = check_goal(engine, goals[(15000, 2030)])
    assert w is not None and w.kind == "required"
    assert w.growth_pct == pytest.approx(((15000 / 3810) ** (1 / 5) - 1) * 100)
    assert w.beyond_all  # 31.5% a year beats India's 30.4% and the Philippines' 30%
    assert check_goal(engine, Goal(5000, 2030)) is None  # 5.6% a year: nothing unusual
    assert required_growth_pct(engine, Goal(3810 * 1.1**3, 2028)) == pytest.approx(10.0)


def test_record_windows_by_length():
    rec = Record(((2016, 100.0), (2017, 150.0), (2018, 150.0), (2020, 300.0)))
    assert rec.fastest(1).growth_pct == pytest.approx(50.0)
    assert (
        rec.fastest(3).first_year == 2017
    )  # 150 -> 300 over 3 years beats 100 -> 150 (2016-2018 is 2 years)
    assert rec.fastest(4).growth_pct == pytest.approx((3 ** (1 / 4) - 1) * 100)
    assert rec.worst_year().growth_pct == pytest.approx(0.0)
    assert rec.fastest(9) is None


def test_a_length_with_too_few_windows_keeps_a_shorter_record_up():
    """With FY2020 missing: three 2-year windows make a record, one 4-year window does not; the
    fastest 2-year growth (150 -> 260, FY2019-FY2021) kept up for 4 years is the reference."""
    rec = Record(((2016, 100.0), (2017, 120.0), (2018, 130.0), (2019, 150.0), (2021, 260.0)))
    two = rec.reference(2)
    assert two.kind == "own" and two.count == MIN_WINDOWS
    assert (two.window.first_year, two.window.last_year) == (2019, 2021)
    four = rec.reference(4)
    assert four.kind == "kept_up" and four.count == 1
    assert four.multiple == pytest.approx((260 / 150) ** 2)
    assert "kept up for 4 years (the record has 1 window of 4 years, fewer than 3)" in four.text()
    assert Record(((2016, 100.0), (2018, 130.0))).reference(2) is None


def test_a_longer_window_may_grow_as_much_as_a_shorter_one_did():
    """The reference factor never falls with the window's length: 100 -> 300 in two years
    (windows of 2 years: 3) beats any 3-year window (3 windows, the fastest x2.1)."""
    rec = Record(((2016, 100.0), (2017, 200.0), (2018, 300.0), (2019, 210.0), (2020, 300.0), (2021, 420.0)))
    two, three = rec.reference(2), rec.reference(3)
    assert two.kind == "own" and two.multiple == pytest.approx(3.0)
    assert three.kind == "within" and three.multiple == pytest.approx(3.0)
    assert "within 3 years on record (a factor of 3.00 in 2 years, FY2016-FY2018" in three.text()


def test_long_deadlines_need_enough_windows(engine):
    """With FY2011-FY2015 missing the record has one ten-year window (12.8% a year): $15B by FY2035
    is no longer flagged by it (the baseline reaches it with even odds), nor is FY2034."""
    assert Record(tuple(engine.history())).reference(10).kind == "kept_up"
    assert check_goal(engine, Goal(15000, 2035)) is None
    assert check_goal(engine, Goal(15000, 2034)) is None
    flagged = check_goal(engine, Goal(15000, 2032))
    assert flagged is not None and "fastest 7-year growth on record" in flagged.message


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.tuples(st.floats(3900, 80_000), st.floats(3900, 80_000)),
    deadlines=st.tuples(st.integers(2026, 2040), st.integers(2026, 2040)),
)
def test_a_harder_goal_never_gets_fewer_warnings(engine, amounts, deadlines):
    """More money, or sooner, is never judged more leniently."""
    hard = Goal(max(amounts), min(deadlines))
    easy = Goal(min(amounts), max(deadlines))
    assert (check_goal(engine, hard) is not None) >= (check_goal(engine, easy) is not None)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(50, 5000), min_size=2, max_size=14),
    gaps=st.lists(st.booleans(), min_size=14, max_size=14),
    lengths=st.tuples(st.integers(1, 14), st.integers(1, 14)),
)
def test_the_reference_factor_never_falls_with_the_length(values, gaps, lengths):
    """On any record, with any years missing: a longer window is allowed at least the growth factor
    a shorter one is, which is what makes the property above hold for every record."""
    years = [2000 + i for i, missing in enumerate(gaps[: len(values)]) if not missing or i == 0]
    rec = Record(tuple(zip(years, values, strict=False)))
    short, long = sorted(lengths)
    a, b = rec.reference(short), rec.reference(long)
    if a is not None:
        assert b is not None and b.multiple >= a.multiple


def test_reference_file_loads_with_sources(engine):
    eps = load_reference()
    assert {e.country for e in eps} >= {"India", "Philippines"}
    for e in eps:
        assert e.url.startswith("http") and e.published is not None
        assert e.years >= 5
    computed = {e.id: e for e in eps}["ind_nasscom_it_revenue_1998_2007"]
    assert computed.cagr_pct == pytest.approx(((47800 / 4800) ** (1 / 9) - 1) * 100)
    rows = reference_rows(engine)
    assert rows[0]["country"] == "Pakistan" and len(rows) == 2 + len(eps)


@pytest.mark.parametrize(
    ("old", "new", "words", "line"),
    [
        (",stated,30.4,,,", ",stated,,,,", "a stated episode needs the growth its source states", 2),
        (",computed,,4800,47800,", ",computed,29,4800,47800,", "a computed episode gives its values", 3),
        (",2014,,,", ",,,,", "every reference needs its publication date", 2),
        ("2002,2008,stated", "2006,2008,stated", "must span at least 5 years", 2),
        ("http://www.thehindu.com", "www.thehindu.com", "must be a web address", 2),
        ("phl_it_bpm_2010_2015,", "phl_it_bpm_decade_to_2011,", "duplicates line 4", 5),
    ],
)
def test_bad_reference_rows_name_the_line(tmp_path, old, new, words, line):
    bad = tmp_path / "reference_growth.csv"
    shutil.copy(REFERENCE_FILE, bad)
    text = bad.read_text(encoding="utf-8")
    assert old in text
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=words) as exc:
        load_reference(bad)
    assert exc.value.line == line
    assert str(bad) in str(exc.value)


def test_readme_table_matches_the_reference_file():
    """The README's table of reference episodes quotes the file: each growth figure appears there."""
    readme = (REFERENCE_FILE.parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What it takes") :]
    for e in load_reference():
        assert f"{round(e.cagr_pct, 1):g}% a year ({e.basis})" in section, e.id
        assert e.country in section
