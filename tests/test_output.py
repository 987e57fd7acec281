"""Output files: CSV layout and formatting, formula neutralising, atomic writes, output folders."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from simulator import output
from simulator.errors import InputError
from simulator.scenario import baseline_scenario


@pytest.fixture(scope="module")
def projection(engine, settings):
    return engine.run(baseline_scenario(), settings)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_numbers_have_fixed_decimals_and_none_is_empty():
    assert output.format_cell(3810.04, "p50") == "3810.0"
    assert output.format_cell(3810, "mean") == "3810.0"
    assert output.format_cell(0.123456, "p_by_deadline") == "0.1235"
    assert output.format_cell(-0.00001, "p50") == "0.0"  # never "-0.0"
    assert output.format_cell(-12.34, "mean") == "-12.3"  # negative numbers are numbers, not formulas
    assert output.format_cell(None, "year_p50") == ""
    assert output.format_cell(2030, "fiscal_year") == "2030"
    assert output.format_cell(float("nan"), "p50") == ""


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_neutralised(text: str):
    assert output.format_cell(text, "source") == "'" + text
    row = output.format_rows([{"scenario": "s", "source": text}], ["scenario", "source"])
    assert parse("scenario,source\r\n" + row)[0]["source"] == "'" + text


def test_ordinary_text_is_left_alone():
    assert (
        output.format_cell("Dr Umar Saif, 2023-11-23: https://x", "source")
        == "Dr Umar Saif, 2023-11-23: https://x"
    )


def test_projection_rows_have_the_documented_columns_history_first(projection, engine):
    text = output.projections_csv([("base", projection)])
    assert text.splitlines()[0] == ",".join(output.PROJECTION_COLUMNS)
    assert text.splitlines()[0] == "scenario,fiscal_year,kind,mean,p5,p10,p25,p50,p75,p90,p95"
    rows = parse(text)
    kinds = [r["kind"] for r in rows]
    n_hist = len(engine.history())
    assert kinds == ["history"] * n_hist + ["projection"] * len(projection.years)
    years = [int(r["fiscal_year"]) for r in rows]
    assert years == sorted(years)
    last = rows[-1]
    assert float(last["p5"]) <= float(last["p50"]) <= float(last["p95"])
    assert float(last["p50"]) == pytest.approx(projection.stats["p50"][-1], abs=0.05)
    assert all(r["scenario"] == "base" for r in rows)


def test_target_rows_have_the_documented_columns(projection, engine):
    text = output.targets_csv([("base", projection)])
    assert text.splitlines()[0] == (
        "scenario,target_id,amount_musd,deadline_fy,source,p_by_deadline,year_p10,year_p50,year_p90,p_never,"
        "note"
    )
    rows = parse(text)
    assert [r["target_id"] for r in rows] == [t.id for t in engine.open_targets()]
    for r in rows:
        if r["deadline_fy"] == "":
            assert r["p_by_deadline"] == "" and r["note"] == "no deadline stated"
        else:
            assert 0 <= float(r["p_by_deadline"]) <= 1 and r["note"] == ""
        assert 0 <= float(r["p_never"]) <= 1
        assert "http" in r["source"]


def test_format_csv_is_the_header_then_the_rows():
    rows = [{"a": 1, "b": "x,y"}, {"a": None, "b": "z"}]
    assert output.format_csv(rows, ["a", "b"]) == 'a,b\r\n1,"x,y"\r\n,z\r\n'
    assert output.format_csv(rows, ["b", "a"], {"a": 2}) == 'b,a\r\n"x,y",1.00\r\nz,\r\n'


def test_atomic_file_appears_only_when_complete(tmp_path: Path):
    dest = tmp_path / "out.csv"
    dest.write_text("previous run\n")
    with pytest.raises(RuntimeError), output.AtomicFile(dest) as f:
        f.write("half a fi")
        raise RuntimeError("interrupted")
    assert dest.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left behind
    digest = output.write_text_atomic(dest, "new\n")
    assert dest.read_text() == "new\n" and digest == output.sha256_file(dest)
    assert oct(dest.stat().st_mode & 0o777) != oct(0o600)  # readable like any other result file


def test_atomic_file_cleans_up_on_keyboard_interrupt(tmp_path: Path):
    dest = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt), output.AtomicFile(dest) as f:
        f.write("x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_output_folder_rules(tmp_path: Path):
    new = tmp_path / "a" / "b"
    assert output.check_out_dir(new) == new and not new.exists()  # created when the results are complete
    new.mkdir(parents=True)
    output.check_out_dir(new)  # empty: fine
    (new / "projections.csv").write_text("old")
    with pytest.raises(InputError) as info:
        output.check_out_dir(new)
    assert "not empty" in str(info.value) and "--overwrite" in str(info.value)
    assert output.check_out_dir(new, overwrite=True) == new
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        output.check_out_dir(afile)


def test_manifest_is_indented_json(tmp_path: Path):
    import json

    p = tmp_path / "m.json"
    output.write_manifest(p, {"b": 1, "a": "é"})
    assert json.loads(p.read_text("utf-8")) == {"b": 1, "a": "é"}
    assert p.read_text("utf-8").startswith('{\n  "b"')
