"""Views of the data as of a date: never a figure published later; undated figures dated by a
stated rule."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.data import OBSERVATIONS_FILE, YearMonth, known_dates, load_dataset

HEADER = "period_start,period_end,fiscal_year,value_musd,definition,published,source_org,url,note,status\n"


@settings(max_examples=40, deadline=None)
@given(day=st.dates(date(2016, 1, 1), date(2026, 6, 30)))
def test_as_of_view_never_sees_a_later_figure(data, day):
    view = data.as_of(day)
    known = dict(zip(map(id, data.observations), known_dates(data.observations), strict=True))
    assert all(known[id(o)] <= day for o in view.observations)
    assert len(view.observations) == sum(k <= day for k in known.values())
    assert all(o.published is None or o.published.first_day <= day for o in view.observations)
    assert all(r.fiscal_year < YearMonth(day.year, day.month).fiscal_year for r in view.lever_history)


def test_known_dates_rules(data):
    labelled = {
        (o.period_label, o.value_musd, str(o.published)): k
        for o, k in zip(data.observations, known_dates(data.observations), strict=True)
    }
    assert labelled[("Jul-Dec FY2020", 684.0, "2021-01")] == date(2021, 1, 31)  # month: its last day
    assert labelled[("Jul-Dec FY2021", 959.11, "2022")] == date(2022, 12, 31)  # year: its last day
    assert labelled[("FY2016", 788.64, "2017-07")] == date(2017, 7, 31)
    # the bundled figures are all dated; the rule for undated ones is tested on a copy below
    assert all(o.published is not None for o in data.observations)


def test_known_dates_take_a_dated_figure_of_the_same_page(tmp_path: Path, data):
    folder = tmp_path / "d"
    shutil.copytree(data.directory, folder)
    (folder / OBSERVATIONS_FILE).write_text(
        HEADER  # three full years (the loader needs them), then the undated figures
        + "2017-07,2018-06,2018,800,ict_services,2020-08-20,SBP,https://example.org/a,,\n"
        + "2018-07,2019-06,2019,900,ict_services,2020-08-20,SBP,https://example.org/a,,\n"
        + "2019-07,2020-06,2020,1000,ict_services,2020-08-20,SBP,https://example.org/a,,\n"
        + "2020-07,2020-09,2021,250,ict_services,,SBP,https://example.org/p,,\n"
        + "2020-07,2020-10,2021,330,ict_services,2021-12-03,SBP,https://example.org/p,,\n"
        + "2020-07,2020-11,2021,400,ict_services,,SBP,https://example.org/q,,\n"
        + "2020-12,2020-12,2021,90,ict_services,,SBP,https://example.org/q,,\n",
        encoding="utf-8",
    )
    d = load_dataset(folder)
    # the page of the undated November figure reports up to December 2020: the end of January
    assert known_dates(d.observations) == [
        date(2020, 8, 20),
        date(2020, 8, 20),
        date(2020, 8, 20),
        date(2021, 12, 3),
        date(2021, 12, 3),
        date(2021, 1, 31),
        date(2021, 1, 31),
    ]
    assert [o.value_musd for o in d.as_of(date(2021, 1, 31)).observations] == [800, 900, 1000, 400, 90]
