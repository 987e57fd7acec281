"""The peer panel (calibration/data/peers.csv): it loads, the vintage rule holds, and every broken
row is named by file, line and field."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from calibration.peer_data import (
    HELD_OUT_ISO3,
    PEERS_FILE,
    load_peer_panel,
    period_end_month,
)
from simulator.data import DEFAULT_DATA_DIR
from simulator.errors import InputError

REQUIRED = {"IND", "PHL", "LKA", "BGD", "EGY", "UKR"}
SHIPPED = DEFAULT_DATA_DIR / PEERS_FILE


@pytest.fixture(scope="module")
def panel():
    return load_peer_panel()


def test_shipped_panel_loads(panel):
    isos = [s.iso3 for s in panel.series]
    assert len(isos) == len(set(isos)) >= 6  # one panel series per country
    assert set(isos) >= REQUIRED
    assert not set(isos) & HELD_OUT_ISO3
    assert not {r.iso3 for r in panel.rows} & HELD_OUT_ISO3
    for iso in REQUIRED:
        s = panel.get(iso)
        assert s.definition == "ict_services_bop"
        assert len(s.points) >= 10
    for s in panel.series:
        assert list(s.years) == sorted(set(s.years))
        assert all(v > 0 for v in s.values)
    assert re.fullmatch(r"[0-9a-f]{64}", panel.sha256)
    assert panel.path == SHIPPED


def test_latest_vintage_represents_each_year(panel):
    # Bangladesh 2024: 701.758915 on the page of 2025-09-03, revised to 702.893... in WDI of 2026-02-24
    old, new = panel.vintages("bgd_wdi_ict", 2024)
    assert (str(old.published), old.value_musd) == ("2025-09-03", 701.758915)
    assert str(new.published) == "2026-02-24"
    assert dict(panel.get("BGD").points)[2024] == new.value_musd
    # figures as printed in the WDI file, in US$ millions
    assert dict(panel.get("ind_wdi_ict").points)[2000] == pytest.approx(5027.0, abs=1)
    assert dict(panel.get("LKA").points)[2024] == pytest.approx(971.0, abs=1)


def test_industry_revenue_is_its_own_series_outside_the_panel(panel):
    every = {s.series: s for s in panel.all_series()}
    ibpap = every["phl_ibpap_revenue"]
    assert ibpap.definition == "industry_revenue" and not ibpap.use_in_panel
    assert "phl_ibpap_revenue" not in {s.series for s in panel.series}
    assert panel.get("PHL").series == "phl_wdi_ict"
    assert ibpap.gaps and ibpap.gaps[0] == 2014


def test_readme_explains_every_series(panel):
    readme = (DEFAULT_DATA_DIR / "README.md").read_text(encoding="utf-8")
    for s in panel.all_series():
        assert f"`{s.series}`" in readme, s.series


@pytest.mark.parametrize(
    ("basis", "month"), [("calendar", 12), ("fiscal:07-06", 6), ("fiscal:04-03", 3), ("fiscal:01-12", 12)]
)
def test_period_end_month(basis, month):
    assert period_end_month(basis) == month


HEADER = (
    "series,country,iso3,year,year_basis,value_musd,definition,source_org,published,url,use_in_panel,note"
)


def _row(**over) -> str:
    cells = {
        "series": "xyz_wdi_ict",
        "country": "Xland",
        "iso3": "XYZ",
        "year": "2020",
        "year_basis": "calendar",
        "value_musd": "100",
        "definition": "ict_services_bop",
        "source_org": "World Bank WDI",
        "published": "2021-07-01",
        "url": "https://a.example/1",
        "use_in_panel": "true",
        "note": "",
    }
    cells.update(over)
    return ",".join(cells[k] for k in HEADER.split(","))


def _load(tmp_path: Path, *rows: str, header: str = HEADER):
    (tmp_path / PEERS_FILE).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return load_peer_panel(tmp_path)


def test_vintage_rule_prefers_the_later_publication(tmp_path: Path):
    p = _load(
        tmp_path,
        _row(value_musd="120", published="2022-03"),
        _row(value_musd="100", published="2021-07-01"),
        _row(year="2021", value_musd="131", published="2022-03"),
    )
    assert p.get("XYZ").points == ((2020, 120.0), (2021, 131.0))
    assert [r.value_musd for r in p.vintages("xyz_wdi_ict", 2020)] == [100.0, 120.0]


BROKEN = [
    ({"value_musd": "12o"}, "value_musd", "valid number"),
    ({"value_musd": "inf"}, "value_musd", "finite positive amount"),
    ({"value_musd": "nan"}, "value_musd", "finite positive amount"),
    ({"value_musd": "0"}, "value_musd", "finite positive amount"),
    ({"url": "www.example.org/page"}, "url", "must be a web address"),
    ({"published": "2099-01-01"}, "published", "is in the future"),
    ({"published": "2020-06-30"}, "published", "is before the end of 2020"),
    ({"published": ""}, "published", "needs its publication date"),
    ({"published": "2021-13"}, "published", "YYYY-MM-DD, YYYY-MM or YYYY"),
    ({"year": "1950"}, "year", "from 1960 to this year"),
    ({"year": str(date.today().year + 1)}, "year", "from 1960 to this year"),
    ({"year_basis": "fiscal"}, "year_basis", "fiscal:MM-MM"),
    ({"year_basis": "fiscal:07-05"}, "year_basis", "twelve months"),
    ({"iso3": "SRB"}, "iso3", "held out of the panel"),
    ({"iso3": "ind"}, "iso3", "three-letter ISO code"),
    ({"definition": "it_exports"}, "definition", "not one of the allowed values"),
    ({"use_in_panel": "yes"}, "use_in_panel", "must be true or false"),
    ({"series": "XYZ ict"}, "series", "lower-case letters"),
    ({"source_org": " "}, "source_org", "must not be empty"),
]


@pytest.mark.parametrize(("over", "field", "words"), BROKEN, ids=[f"{b[1]}={b[0][b[1]]}" for b in BROKEN])
def test_broken_row_names_file_line_and_field(tmp_path: Path, over, field, words):
    with pytest.raises(InputError) as exc:
        _load(tmp_path, _row(year="2019", published="2020-05"), _row(**over))
    msg = str(exc.value)
    assert f"{PEERS_FILE}, line 3: {field}:" in msg
    assert words in msg


def test_duplicate_vintage_is_refused(tmp_path: Path):
    with pytest.raises(InputError, match=r"line 3: year: duplicates line 2 \(got 2020\)"):
        _load(tmp_path, _row(), _row(value_musd="101"))


def test_a_series_keeps_one_definition(tmp_path: Path):
    with pytest.raises(InputError, match=r"line 3: definition: differs from line 2 of series xyz_wdi_ict"):
        _load(tmp_path, _row(), _row(year="2021", published="2022", definition="computer_services_bop"))


def test_one_panel_series_per_country(tmp_path: Path):
    with pytest.raises(InputError, match=r"line 3: use_in_panel: XYZ already has series xyz_wdi_ict"):
        _load(tmp_path, _row(), _row(series="xyz_assoc", definition="industry_revenue"))
    p = _load(tmp_path, _row(), _row(series="xyz_assoc", definition="industry_revenue", use_in_panel="false"))
    assert [s.series for s in p.series] == ["xyz_wdi_ict"]
    assert [s.series for s in p.all_series()] == ["xyz_assoc", "xyz_wdi_ict"]


def test_no_panel_series_is_an_error(tmp_path: Path):
    with pytest.raises(InputError, match="no series is marked use_in_panel=true"):
        _load(tmp_path, _row(use_in_panel="false"))


def test_missing_and_unknown_columns(tmp_path: Path):
    header = HEADER.replace(",use_in_panel", "")
    row = _row().rsplit(",", 2)
    with pytest.raises(InputError, match=r"peers.csv, line 1: use_in_panel: missing column"):
        _load(tmp_path, ",".join([row[0], row[2]]), header=header)
    with pytest.raises(InputError, match=r"peers.csv, line 1: vintage: unknown column"):
        _load(tmp_path, _row() + ",x", header=HEADER + ",vintage")


def test_broken_copy_of_the_shipped_file(tmp_path: Path):
    rows = list(csv.reader(SHIPPED.open(encoding="utf-8")))
    rows[5][rows[0].index("value_musd")] = "-inf"
    with (tmp_path / PEERS_FILE).open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    with pytest.raises(InputError, match=r"line 6: value_musd: must be a finite positive amount"):
        load_peer_panel(tmp_path)


def test_missing_and_empty_files(tmp_path: Path):
    with pytest.raises(InputError, match=r"peers\.csv: file not found"):
        load_peer_panel(tmp_path)
    with pytest.raises(InputError, match="has no figures"):
        _load(tmp_path)
