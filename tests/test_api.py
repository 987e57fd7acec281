"""The notebook API: the command line's numbers for the same seed, every way of naming a scenario,
clear errors, the app's fan chart, and docs/notebook.md runs as written."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from simulator import Simulator, output
from simulator import scenario_files as sf
from simulator.analysis.attribution import ATTRIBUTION_DECIMALS
from simulator.analysis.goal_seek import GOAL_SEEK_DECIMALS
from simulator.cli import main as cli_main
from simulator.commands import compare
from simulator.errors import InputError, InputErrors

REPO = Path(__file__).resolve().parent.parent
DRAWS, SEED = 2000, 7


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(draws=DRAWS, seed=SEED)


def same_as_csv(df: pd.DataFrame, path: Path, decimals: dict[str, int]) -> None:
    """``df`` holds the CSV's columns and numbers: each float within half a unit of the CSV's last
    decimal (the CSV rounds), everything else equal."""
    csv = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(df.columns) == list(csv.columns)
    assert len(df) == len(csv)
    for c in df.columns:
        if c in decimals:
            got = df[c].to_numpy(dtype=float)
            want = pd.to_numeric(csv[c].replace("", np.nan)).to_numpy(dtype=float)
            assert np.array_equal(np.isnan(got), np.isnan(want)), c
            ok = ~np.isnan(want)
            assert np.all(np.abs(got[ok] - want[ok]) <= 0.5 * 10.0 ** -decimals[c] + 1e-9), c
        else:
            got_text = [output.format_cell(None if pd.isna(v) else v, c, decimals) for v in df[c]]
            assert got_text == list(csv[c]), c


def cli(*argv: str) -> None:
    assert cli_main([*argv, "--draws", str(DRAWS), "--seed", str(SEED)]) == 0


# --------------------------------------------------------------------------- same numbers as the CLI


def test_run_gives_the_command_lines_files(sim, tmp_path):
    cli("run", "baseline", "blueprint-package", "--out", str(tmp_path / "cli"), "--quiet")
    results = [sim.run("baseline"), sim.run("blueprint-package")]
    projections = pd.concat([r.projections for r in results], ignore_index=True)
    targets = pd.concat([r.targets for r in results], ignore_index=True)
    same_as_csv(projections, tmp_path / "cli" / "projections.csv", output.DECIMALS)
    same_as_csv(targets, tmp_path / "cli" / "targets.csv", output.DECIMALS)
    sim.write_csv(results, tmp_path / "api")
    for name in (output.PROJECTIONS_FILE, output.TARGETS_FILE):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()


def test_compare_gives_the_command_lines_files(sim, tmp_path, capsys):
    cli("compare", "blueprint-package", "baseline", "tech-zones-60", "--out", str(tmp_path))
    c = sim.compare("blueprint-package", "baseline", "tech-zones-60")
    assert c.reference == "baseline"
    same_as_csv(c.years, tmp_path / compare.YEARS_FILE, compare.DECIMALS)
    same_as_csv(c.targets, tmp_path / compare.TARGETS_FILE, compare.DECIMALS)
    assert set(c.results) == {"blueprint-package", "baseline", "tech-zones-60"}


def test_goal_seek_gives_the_command_lines_file_and_report(sim, tmp_path, capsys):
    args = ["--target", "t10b_fy2029_uraan", "--probability", "0.6", "--lever", "tech_zones"]
    capsys.readouterr()
    cli("goal-seek", *args, "--lever", "retention_limit", "--out", str(tmp_path / "gs.csv"))
    printed = capsys.readouterr().out
    g = sim.goal_seek("t10b_fy2029_uraan", probability=0.6, levers=["tech_zones", "retention_limit"])
    same_as_csv(g.table, tmp_path / "gs.csv", GOAL_SEEK_DECIMALS)
    assert str(g) in printed


def test_attribute_gives_the_command_lines_file(sim, tmp_path, capsys):
    out = tmp_path / "attribution.csv"
    cli("attribute", "--scenario", "blueprint-package", "--set", "tech_zones=40", "--out", str(out))
    a = sim.attribute("blueprint-package", tech_zones=40)
    same_as_csv(a.table, out, ATTRIBUTION_DECIMALS)
    assert a.scenario == "blueprint-package-set"


def test_settings_come_from_the_environment_like_the_command_line(monkeypatch):
    monkeypatch.setenv("SIMULATOR_SEED", "0")
    monkeypatch.setenv("SIMULATOR_DRAWS", "300")
    r = Simulator().run("baseline")
    assert (r.seed, r.n_draws) == (0, 300)  # seed 0 is a seed, not "unset"
    assert Simulator(seed=5).run("baseline").seed == 5


# --------------------------------------------------------------------------- naming a scenario


def test_a_name_a_path_a_mapping_and_a_scenario_give_the_same_numbers(sim):
    path = sf.SCENARIO_DIR / "tech-zones-60.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    by_name = sim.run("tech-zones-60")
    for other in (sim.run(path), sim.run(str(path)), sim.run(doc), sim.run(by_name.scenario)):
        pd.testing.assert_frame_equal(other.projections, by_name.projections)
        pd.testing.assert_frame_equal(other.targets, by_name.targets)


def test_levers_as_keywords_are_a_scenario_files_levers(sim):
    kw = sim.run(tech_zones=40, vc_funding={"value": 200, "start": 2028})
    doc = sim.run(
        {"name": "baseline-set", "levers": {"tech_zones": 40, "vc_funding": {"value": 200, "start": 2028}}}
    )
    pd.testing.assert_frame_equal(kw.projections, doc.projections)
    on_top = sim.run("blueprint-package", tech_zones=60, name="bp-60")
    assert on_top.name == "bp-60"
    levers = on_top.scenario.to_document()["levers"]
    assert levers["tech_zones"] == 60
    assert levers["vc_funding"] == sim.scenario("blueprint-package").to_document()["levers"]["vc_funding"]


def test_a_mappings_base_is_resolved_among_the_shipped_scenarios(sim):
    r = sim.run({"name": "mine", "base": "blueprint-package", "levers": {"tech_zones": 60}})
    levers = r.scenario.to_document()["levers"]
    assert levers["vc_funding"] == sim.scenario("blueprint-package").to_document()["levers"]["vc_funding"]
    assert levers["tech_zones"] == 60


@pytest.mark.parametrize(
    ("what", "levers", "words"),
    [
        ("no-such-scenario", {}, ["neither a file nor a shipped scenario", "blueprint-package"]),
        ({"levers": {"tech_zones": 999}}, {}, ["levers.tech_zones", "999"]),
        ({"levers": {"tech_zones": "40"}}, {}, ["must be a number, written without quotes"]),
        ({"levrs": {}}, {}, ["levrs", "did you mean"]),
        ({"base": "nope"}, {}, ["nope", "not a known scenario"]),
        (None, {"tech_zone": 40}, ["tech_zone", "did you mean 'tech_zones'"]),
        (None, {"tech_zones": -5}, ["tech_zones", "-5"]),
        (42, {}, ["cannot name a scenario"]),
    ],
)
def test_mistakes_get_the_command_lines_messages(sim, what, levers, words):
    with pytest.raises((InputError, InputErrors)) as info:
        sim.run(what, **levers)
    text = str(info.value)
    for w in words:
        assert w in text
    assert "<mapping>, line" not in text  # the lines would be those of a text the user never saw


def test_bad_settings_are_named():
    with pytest.raises(InputError, match=r"^draws: .*\(got 5\); allowed: 100 to 200000"):
        Simulator(draws=5)
    with pytest.raises(InputError, match=r"^horizon: is before the first projection year"):
        Simulator(horizon=2020)


# --------------------------------------------------------------------------- draws and chart


def test_draws_only_when_asked_and_they_give_the_percentiles(sim):
    with pytest.raises(InputError, match="keep_draws=True"):
        _ = sim.run("baseline").draws
    r = sim.run("blueprint-package", keep_draws=True)
    d = r.draws
    years = sorted(d["fiscal_year"].unique())
    assert len(d) == DRAWS * len(years)
    p50 = d.groupby("fiscal_year")["exports_musd"].median().to_numpy()
    proj = r.projections[r.projections["kind"] == "projection"]
    np.testing.assert_allclose(p50, proj["p50"].to_numpy(), rtol=1e-12)
    assert (d["exports_musd"] >= d["baseline_musd"] - 1e-9).mean() > 0.99  # the package only adds


def _app_fan(query: dict[str, str]) -> dict[str, pd.DataFrame]:
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    el = at.get("vega_lite_chart")[0]
    return {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in el.proto.datasets}


@pytest.mark.parametrize(
    ("query", "kwargs"),
    [
        ({"levers.tech_zones": "45"}, {"tech_zones": 45}),
        ({"trend.growth_pct": "8"}, {"what": {"trend": {"growth_pct": 8}}}),
    ],
)
def test_the_chart_is_the_apps_fan_chart(query, kwargs):
    sim = Simulator()  # the app's settings (the environment's)
    what = kwargs.pop("what", None)
    chart = sim.run(what, **kwargs).chart().to_dict()
    app = _app_fan(query)
    for name in ("fan", "history", "targets"):
        mine = pd.DataFrame(chart["datasets"][name]) if name in chart["datasets"] else None
        if mine is None:  # Altair names inline datasets by hash: find ours by its columns
            mine = next(
                pd.DataFrame(v)
                for v in chart["datasets"].values()
                if v and set(v[0]) == set(app[name].columns)
            )
        theirs = app[name]
        assert list(mine.columns) == list(theirs.columns)
        for c in theirs.columns:
            if pd.api.types.is_numeric_dtype(theirs[c]):
                # the chart's inline JSON keeps 10 decimals (pandas' to_json): the tolerance
                np.testing.assert_allclose(mine[c].to_numpy(float), theirs[c].to_numpy(float), atol=1e-9)
            else:
                assert list(mine[c].astype(str)) == list(theirs[c].astype(str)), c


def test_the_chart_saves_as_png(sim, tmp_path):
    path = tmp_path / "fan.png"
    sim.run("blueprint-package").chart(log_scale=False).save(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- the walk-through


def notebook_blocks() -> list[str]:
    text = (REPO / "docs" / "notebook.md").read_text("utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_notebook_doc_runs_as_written(tmp_path, monkeypatch):
    """Every ``python`` block of docs/notebook.md, in order, in one namespace (as a notebook would)."""
    blocks = notebook_blocks()
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    for var in [v for v in os.environ if v.startswith("SIMULATOR_")]:
        monkeypatch.delenv(var)
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/notebook.md block {i + 1}", "exec"), namespace)
        except Exception as exc:  # name the block that broke
            raise AssertionError(f"docs/notebook.md block {i + 1} failed: {exc!r}\n{block}") from exc
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert "projections.csv" in written and "fan.png" in written


def test_every_public_method_is_in_the_walk_through():
    code = "\n".join(notebook_blocks())
    for name in ("run", "compare", "goal_seek", "attribute", "chart", "draws", "projections", "targets"):
        assert f".{name}" in code, name


def test_tables_serialise_to_json(sim):
    r = sim.run("baseline")
    json.loads(r.targets.to_json(orient="records"))  # nullable columns serialise (no pd.NA errors)
