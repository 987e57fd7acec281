"""The curated data files: they load, the vintage rule holds, and every broken row is named."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import pytest

from simulator.data import (
    LEVER_HISTORY_FILE,
    OBSERVATIONS_FILE,
    TARGETS_FILE,
    annual_series,
    latest_vintages,
    lever_history_paths,
    load_dataset,
    revision_pairs,
    year_to_date,
)
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME


def test_bundled_data_loads(data):
    assert len(data.observations) > 150
    assert len(data.targets) >= 40
    assert {t.deadline_fy for t in data.targets if t.amount_musd == 10_000} >= {2026, 2027, 2029}
    assert {t.deadline_fy for t in data.targets if t.amount_musd == 15_000} >= {2026, 2029, 2030}
    assert {t.deadline_fy for t in data.targets if t.amount_musd == 25_000} >= {2027, 2029}
    assert any(t.kind == "blueprint" and t.amount_musd == 10_000 for t in data.targets)
    assert len(data.sha256) == 64


def test_latest_vintage_represents_each_year(data):
    annual = dict((y, o.value_musd) for y, o in annual_series(data.observations))
    # documented revisions: FY2019 first printed 1,090 then 1,192; FY2021 2,123 then 2,108
    assert annual[2019] == 1192
    assert annual[2021] == 2108
    assert annual[2025] == 3810
    assert annual[2010] == 433
    assert not set(range(2011, 2016)) & set(annual)


def test_vintage_rule_prefers_dated_then_later_then_official():
    body = [
        "2019-07,2019-12,2020,653,ict_services,2020-01-21,SBP,https://a.example/1,first",
        "2019-07,2019-12,2020,684,ict_services,2021-01,SBP,https://a.example/2,revised",
        "2019-07,2019-12,2020,700,ict_services,,press,https://a.example/3,undated",
        "2020-07,2021-06,2021,2123,ict_services,2021-07-20,press,https://a.example/4,",
        "2020-07,2021-06,2021,2108,ict_services,2021-07-20,PBS,https://a.example/5,",
    ]
    obs = _load_obs(_obs_header(), body)
    latest = {(str(k[0]), str(k[1])): o.value_musd for k, o in latest_vintages(obs).items()}
    assert latest[("2019-07", "2019-12")] == 684
    assert latest[("2020-07", "2021-06")] == 2108


def test_year_to_date_sums_single_months_when_no_ytd_figure():
    header = _obs_header()
    body = [
        "2025-07,2025-07,2026,300,ict_services,2025-08-20,SBP,https://a.example/1,",
        "2025-08,2025-08,2026,310,ict_services,2025-09-20,SBP,https://a.example/2,",
        "2025-10,2025-10,2026,330,ict_services,2025-11-20,SBP,https://a.example/3,",
    ]
    ytd = year_to_date(_load_obs(header, body))
    assert ytd[2026] == {1: 300, 2: 610}  # September missing: no sum beyond it


def test_revision_pairs_use_dated_vintages(data):
    pairs = {(a.period_label, a.value_musd, b.value_musd) for a, b in revision_pairs(data.observations)}
    assert ("FY2019", 1090, 1192) in pairs


def test_rows_with_a_status_are_neither_values_nor_vintages():
    """A source conflict is not a revision and a lower bound is not a value (README, `status`)."""
    header = [*_obs_header(), "status"]
    body = [
        "2024-07,2024-07,2025,286,ict_services,2024-08-10,MoITT,https://a.example/1,,",
        "2024-07,2024-07,2025,297,ict_services,2024-08-20,PBS,https://a.example/2,,conflict",
        "2024-07,2024-07,2025,286,ict_services,2025-08-20,MoITT,https://a.example/3,,",
        "2024-07,2025-02,2025,2480,ict_services,2025-03,SBP,https://a.example/4,more than,lower_bound",
    ]
    obs = _load_obs(header, body)
    assert [o.is_value for o in obs] == [True, False, True, False]
    latest = {(str(k[0]), str(k[1])): o.value_musd for k, o in latest_vintages(obs).items()}
    assert latest == {("2024-07", "2024-07"): 286}  # the bound represents nothing
    assert [(a.value_musd, b.value_musd) for a, b in revision_pairs(obs)] == [(286, 286)]
    assert year_to_date(obs) == {2025: {1: 286}}


def test_bundled_conflicts_bounds_and_dates(data):
    """The resolutions recorded in the README hold in the bundled data."""
    assert all(o.published is not None for o in data.observations)  # every row dated
    set_aside = {(o.period_label, o.value_musd, o.status) for o in data.observations if not o.is_value}
    assert set_aside == {
        ("Jul 2023", 224.95, "conflict"),
        ("Jul 2024", 297, "conflict"),
        ("Jul-Feb FY2025", 2480, "lower_bound"),
    }
    latest = {o.period_label: o for o in latest_vintages(data.observations).values()}
    assert latest["Jul 2023"].value_musd == 214
    assert latest["Jul 2024"].value_musd == 286
    assert latest["Jul-Feb FY2025"].is_value and latest["Jul-Feb FY2025"].value_musd == 2480
    set_aside_rows = {o.line for o in data.observations if not o.is_value}
    assert not any({a.line, b.line} & set_aside_rows for a, b in revision_pairs(data.observations))


def test_lever_history_paths_pad_with_first_value_and_default():
    data = load_dataset()
    years = list(range(2008, 2028))
    paths = lever_history_paths(data.lever_history, years)
    zones = dict(zip(years, paths["tech_zones"], strict=True))
    assert zones[2008] == 0  # before the first row: the first value
    assert zones[2024] == 12
    assert zones[2026] == LEVER_BY_NAME["tech_zones"].default  # after the last row: current policy
    assert set(paths["talent_pipeline"]) == {LEVER_BY_NAME["talent_pipeline"].default}


def test_until_drops_later_years(data):
    early = data.until(2022)
    assert max(y for y, _ in annual_series(early.observations)) == 2022
    assert all(r.fiscal_year <= 2022 for r in early.lever_history)
    assert early.sha256 != data.sha256


# --------------------------------------------------------------------------- broken files

BROKEN = [
    # (file, column, bad value, words the message must contain)
    (OBSERVATIONS_FILE, "value_musd", "-5", ["value_musd", "positive"]),
    (OBSERVATIONS_FILE, "value_musd", "lots", ["value_musd", "lots"]),
    (OBSERVATIONS_FILE, "period_end", "2015-13", ["period_end", "YYYY-MM"]),
    (OBSERVATIONS_FILE, "period_start", "2016-07", ["period_end", "must not be before"]),
    (OBSERVATIONS_FILE, "fiscal_year", "2011", ["fiscal_year", "does not match", "FY2010"]),
    (OBSERVATIONS_FILE, "published", "2009-01-01", ["published", "before the end of the period"]),
    (OBSERVATIONS_FILE, "published", "last year", ["published", "YYYY-MM-DD"]),
    (OBSERVATIONS_FILE, "definition", "broad_incl_freelance", ["definition", "ict_services"]),
    (OBSERVATIONS_FILE, "status", "estimate", ["status", "estimate", "conflict", "lower_bound"]),
    (OBSERVATIONS_FILE, "url", "www.example.com", ["url", "http"]),
    (OBSERVATIONS_FILE, "source_org", " ", ["source_org", "publishing organisation"]),
    (TARGETS_FILE, "amount_musd", "0", ["amount_musd", "positive"]),
    (TARGETS_FILE, "deadline_fy", "2200", ["deadline_fy", "between 1948 and 2100"]),
    (TARGETS_FILE, "kind", "wish", ["kind", "target"]),
    (TARGETS_FILE, "id", "Ten Billion", ["id", "lower-case"]),
    (LEVER_HISTORY_FILE, "lever", "tech_zone", ["lever", "not a declared lever"]),
    (LEVER_HISTORY_FILE, "value", "5000", ["value", "outside the lever's range", "0 to 1000 US$ m a year"]),
    (LEVER_HISTORY_FILE, "basis", "guess", ["basis", "reported"]),
    # numbers that would poison a run: every numeric cell finite and within its column's range
    (OBSERVATIONS_FILE, "value_musd", "inf", ["value_musd", "finite number", "'inf'"]),
    (OBSERVATIONS_FILE, "value_musd", "-inf", ["value_musd", "finite number"]),
    (OBSERVATIONS_FILE, "value_musd", "nan", ["value_musd", "finite number", "'nan'"]),
    (OBSERVATIONS_FILE, "value_musd", "NaN", ["value_musd", "finite number"]),
    (OBSERVATIONS_FILE, "value_musd", "1e300", ["value_musd", "at most 1,000,000 US$ m", "'1e300'"]),
    (OBSERVATIONS_FILE, "fiscal_year", "99999", ["fiscal_year", "between 1948 and 2100"]),
    (OBSERVATIONS_FILE, "published", "1900-01-01", ["published", "from 1947-08-14"]),
    (OBSERVATIONS_FILE, "published", "2999-01-01", ["published", "after today", "2999-01-01"]),
    (TARGETS_FILE, "amount_musd", "inf", ["amount_musd", "finite number"]),
    (TARGETS_FILE, "amount_musd", "1e300", ["amount_musd", "at most 1,000,000"]),
    (TARGETS_FILE, "said_on", "2999", ["said_on", "after today"]),
    (LEVER_HISTORY_FILE, "value", "nan", ["value", "finite number"]),
    (LEVER_HISTORY_FILE, "value", "inf", ["value", "finite number"]),
    (LEVER_HISTORY_FILE, "fiscal_year", "3000", ["fiscal_year", "between 1948 and 2100"]),
]


@pytest.mark.parametrize(("file", "column", "value", "words"), BROKEN)
def test_broken_row_names_file_line_and_field(data_copy: Path, file, column, value, words):
    path = data_copy / file
    rows = list(csv.reader(path.open(encoding="utf-8")))
    col = rows[0].index(column)
    rows[1][col] = value  # first data row: line 2
    _write(path, rows)
    with pytest.raises(InputError) as exc:
        load_dataset(data_copy)
    msg = str(exc.value)
    assert file in msg and "line 2" in msg, msg
    for w in words:
        assert w in msg, (w, msg)


def test_unknown_and_missing_columns(data_copy: Path):
    path = data_copy / TARGETS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[0][rows[0].index("covers")] = "coverage"
    _write(path, rows)
    with pytest.raises(InputError, match=r"line 1: coverage: unknown column; allowed: id, amount_musd"):
        load_dataset(data_copy)


def test_wrong_number_of_cells(data_copy: Path):
    path = data_copy / OBSERVATIONS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[3] = rows[3][:-2]
    _write(path, rows)
    with pytest.raises(InputError, match=r"line 4: has 8 cells but the header has 10"):
        load_dataset(data_copy)


def test_non_utf8_and_empty_files(data_copy: Path):
    path = data_copy / OBSERVATIONS_FILE
    raw = path.read_bytes()
    path.write_bytes(raw[:200] + b"\xff\xfe" + raw[200:])
    with pytest.raises(InputError, match=r"observations.csv, line \d+: is not valid UTF-8"):
        load_dataset(data_copy)
    path.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        load_dataset(data_copy)


def test_duplicates_and_gaps(data_copy: Path):
    path = data_copy / TARGETS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows.append(list(rows[1]))
    _write(path, rows)
    with pytest.raises(InputError, match=rf"line {len(rows)}: id: duplicates line 2"):
        load_dataset(data_copy)

    path = data_copy / LEVER_HISTORY_FILE
    rows = [r for r in csv.reader(path.open(encoding="utf-8")) if r[:2] != ["tech_zones", "2023"]]
    _write(path, rows)
    (data_copy / TARGETS_FILE).write_bytes((Path(load_dataset().directory) / TARGETS_FILE).read_bytes())
    with pytest.raises(InputError, match="lever tech_zones has no value for FY2023"):
        load_dataset(data_copy)


def test_derived_lever_value_needs_a_note(data_copy: Path):
    path = data_copy / LEVER_HISTORY_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    i = next(i for i, r in enumerate(rows) if r[3] == "derived")
    rows[i][rows[0].index("note")] = ""
    _write(path, rows)
    with pytest.raises(InputError, match=rf"line {i + 1}: note: a derived value needs a note"):
        load_dataset(data_copy)


def test_a_publication_date_after_today_is_refused(data_copy: Path):
    """A future date would make its row the latest vintage and move every projection."""
    path = data_copy / OBSERVATIONS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    i = _full_year_row(rows, 2025)
    rows[i][rows[0].index("published")] = "2031-01-01"
    _write(path, rows)
    with pytest.raises(InputError) as exc:
        load_dataset(data_copy, today=date(2030, 12, 31))
    assert str(exc.value) == (
        f"{path}, line {i + 1}: published: is after today (2030-12-31); a figure cannot be published "
        "in the future (got '2031-01-01')"
    )
    assert load_dataset(data_copy, today=date(2031, 1, 1)).observations  # today itself is fine


@pytest.mark.parametrize(
    ("year", "value", "blamed_year"),
    [
        (2025, "38100", 2025),  # ten times its neighbour, last year
        (2025, "381", 2025),  # a tenth, last year: the bad row is named, not its neighbour
        (2021, "21080", 2021),  # a year in the middle
        (2016, "7886.4", 2016),  # after a six-year gap
    ],
)
def test_a_full_year_far_beyond_any_observed_growth_is_an_error(data_copy: Path, year, value, blamed_year):
    path = data_copy / OBSERVATIONS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    i = _full_year_row(rows, year, latest=True)
    rows[i][rows[0].index("value_musd")] = value
    _write(path, rows)
    with pytest.raises(InputError) as exc:
        load_dataset(data_copy)
    msg = str(exc.value)
    assert f"line {i + 1}: value_musd: FY{blamed_year} at " in msg, msg
    assert "beyond the limit of" in msg and "'confirmed:'" in msg

    rows[i][rows[0].index("note")] = "confirmed: checked against the release"
    _write(path, rows)
    assert load_dataset(data_copy).observations  # the curator's marker lets a real jump through


def test_an_earlier_vintage_with_a_typo_is_named_too(data_copy: Path):
    path = data_copy / OBSERVATIONS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    i = next(k for k, r in enumerate(rows) if r[2] == "2019" and r[3] == "1090")  # FY2019's first print
    rows[i][3] = "10900"
    _write(path, rows)
    with pytest.raises(InputError, match=rf"line {i + 1}: value_musd: FY2019 at 10,900 is"):
        load_dataset(data_copy)


def test_the_jump_limit_comes_from_the_data(data):
    """Leave-one-year-out: the largest yearly change elsewhere, doubled in log points. In the
    bundled data the record is FY2020-FY2021 (x1.46), so a jump is refused beyond about x2.14."""
    from simulator.data import JUMP_FACTOR, _steps

    series = {y: o.value_musd for y, o in annual_series(data.observations)}
    record = max(_steps({y: v for y, v in series.items() if y != 2025}), key=lambda s: s.rate)
    assert (record.first, record.last) == (2020, 2021)
    assert record.factor == pytest.approx(2108 / 1439.97)
    assert math.exp(JUMP_FACTOR * record.rate) == pytest.approx((2108 / 1439.97) ** 2)


def test_one_rule_for_the_number_of_full_years(data_copy: Path, capsys):
    """The loader and the fit refuse too little data with the same rule and the same words."""
    from calibration.__main__ import main as calibration_main
    from simulator.data import MIN_FULL_YEARS

    path = data_copy / OBSERVATIONS_FILE
    rows = list(csv.reader(path.open(encoding="utf-8")))
    keep = [r for r in rows[1:] if r[2] in ("2024", "2025")]
    _write(path, [rows[0], *keep])
    with pytest.raises(InputError) as exc:
        load_dataset(data_copy)
    words = f"the model needs at least {MIN_FULL_YEARS} full fiscal years of exports"
    assert words in str(exc.value) and "found only FY2024, FY2025" in str(exc.value)
    assert calibration_main(["fit", "--until", "FY2016", "--out", "/dev/null"]) == 1
    err = capsys.readouterr().err
    assert words in err and "until: " in err and "found only FY2010, FY2016" in err


def test_a_data_folder_that_is_a_file_is_named(tmp_path: Path):
    afile = tmp_path / "data"
    afile.write_text("x")
    with pytest.raises(InputError, match=r"observations\.csv: cannot read the file: Not a directory"):
        load_dataset(afile)


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputError, match=r"observations\.csv: file not found"):
        load_dataset(tmp_path)


# --------------------------------------------------------------------------- helpers


def _full_year_row(rows: list[list[str]], year: int, latest: bool = False) -> int:
    """Index in ``rows`` of a full-year row of ``year`` (the last one in the file if ``latest``)."""
    found = [
        i for i, r in enumerate(rows) if r[2] == str(year) and r[0].endswith("-07") and r[1].endswith("-06")
    ]
    return found[-1] if latest else found[0]


def _obs_header() -> list[str]:
    """The bundled header without the optional ``status`` column (rows of nine cells)."""
    return [h for h in _obs_rows()[0] if h != "status"]


def _obs_rows() -> list[list[str]]:
    return list(csv.reader((load_dataset().directory / OBSERVATIONS_FILE).open(encoding="utf-8")))


def _load_obs(header: list[str], body: list[str]):
    import tempfile

    from simulator.data import Observation, read_rows

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / OBSERVATIONS_FILE
        p.write_text(",".join(header) + "\n" + "\n".join(body) + "\n", encoding="utf-8")
        return read_rows(p, Observation)


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
