"""The command line, tested in-process through ``main(argv)``."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import cli, output, scenario_reference
from simulator import scenario_files as sf
from simulator.commands import runner
from simulator.errors import InputError
from simulator.levers import LEVERS

SCEN = sf.SCENARIO_DIR
BASE, ZONES, BLUEPRINT = (str(SCEN / f"{n}.yaml") for n in ("baseline", "tech-zones-60", "blueprint-package"))
SMALL = ["--draws", "300", "--seed", "7", "--horizon", "2035"]
FAST = [*SMALL, "--quiet"]


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# --------------------------------------------------------------------------- help and usage


def test_every_command_has_help(capsys):
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0 and out.startswith("simulator ")
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    names = list(sub.choices)
    assert len(names) == len(cli.COMMANDS)
    assert {"run", "validate", "levers", "compare"} <= set(names)
    for name in names:
        code, out, _ = run_cli([name, "--help"], capsys)
        assert code == 0 and out.startswith("usage: simulator " + name)


def test_each_command_is_named_after_its_module_so_it_loads_alone():
    for module in cli.COMMANDS:
        parser = cli.build_parser([module])
        sub = next(a for a in parser._actions if a.dest == "command")
        assert list(sub.choices) == [module.replace("_", "-")]


def test_a_command_imports_only_its_own_module():
    code = (
        "import sys\n"
        "from simulator.cli import main\n"
        "assert main(['levers']) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('simulator.commands.')))\n"
        "print('SALib' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modules, heavy = done.stdout.strip().splitlines()[-2:]
    assert modules == "['simulator.commands.levers']" and heavy == "False False"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["run", BASE],  # --out missing
        ["run", BASE, "--out", "x", "--draws", "5"],
        ["run", BASE, "--out", "x", "--jobs", "0"],
        ["run", BASE, "--out", "x", "--seed", "-1"],
        ["compare", BASE, "--every", "many"],
    ],
)
def test_bad_usage_exits_2_without_a_traceback(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "usage:" in err
    assert not (tmp_path / "x").exists()


def test_a_bad_setting_from_the_environment_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SIMULATOR_DRAWS", "lots")
    code, _, err = run_cli(["run", BASE, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "SIMULATOR_DRAWS" in err


def test_python_dash_m_simulator_works():
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "levers"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "tech_zones" in done.stdout


# --------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory) -> tuple[Path, int, str, str]:
    out = tmp_path_factory.mktemp("run") / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", stdout)
        mp.setattr(sys, "stderr", stderr)
        code = cli.main(["run", str(SCEN), "--out", str(out), "--draws", "500", "--seed", "11"])
    return out, code, stdout.getvalue(), stderr.getvalue()


def test_run_writes_the_three_files_for_every_shipped_scenario(shipped_run, engine):
    out, code, _, _ = shipped_run
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(output.OUTPUT_FILES)  # no temporaries
    proj = rows(out / "projections.csv")
    names = [p.stem for p in sorted(SCEN.glob("*.yaml"))]
    assert [r["scenario"] for r in proj if r["fiscal_year"] == "2030"] == names
    per = len(engine.history()) + (2040 - engine.first_projection_year + 1)
    assert len(proj) == per * len(names)
    targ = rows(out / "targets.csv")
    assert len(targ) == len(engine.open_targets()) * len(names)
    assert list(targ[0]) == list(output.TARGET_COLUMNS)


def test_run_prints_a_summary_per_scenario(shipped_run):
    _, _, stdout, _ = shipped_run
    assert "FY2030 median" in stdout and "$10B FY29" in stdout
    for p in SCEN.glob("*.yaml"):
        assert any(line.startswith(p.stem + " ") for line in stdout.splitlines())


def test_run_manifest_records_what_reproduces_the_run(shipped_run, engine):
    out, *_ = shipped_run
    m = json.loads((out / "manifest.json").read_text("utf-8"))
    assert m["package_version"] and m["created_utc"]
    assert m["data"]["sha256"] == engine.data.sha256
    assert m["fitted_params"]["sha256"] == engine.params.sha256()
    assert m["command"][:2] == ["simulator", "run"] and "--seed" in m["command"]
    for name, digest in m["files"].items():
        assert output.sha256_file(out / name) == digest
    for entry in m["scenarios"]:
        assert entry["status"] == "ok" and entry["seed"] == 11 and entry["draws"] == 500
        assert entry["file_sha256"] == output.sha256_file(entry["file"])


def test_same_files_and_seed_give_byte_identical_csvs_for_any_jobs(tmp_path, capsys):
    files = [BASE, ZONES, BLUEPRINT, str(SCEN / "pessimistic.yaml")]
    digests = []
    for i, jobs in enumerate(["1", "2", "1"]):
        out = tmp_path / f"o{i}"
        code, *_ = run_cli(["run", *files, "--out", str(out), "--jobs", jobs, *FAST], capsys)
        assert code == 0
        digests.append([(out / f).read_bytes() for f in ("projections.csv", "targets.csv")])
    assert digests[0] == digests[1] == digests[2]


def test_plausibility_warnings_are_shown_next_to_their_scenario(tmp_path, capsys):
    boom = tmp_path / "boom.yaml"
    boom.write_text("name: boom\ntrend: {growth_pct: 40}\n")
    code, stdout, _ = run_cli(["run", BASE, str(boom), "--out", str(tmp_path / "o"), *SMALL], capsys)
    assert code == 0
    table, _, notes = stdout.partition("plausibility warnings")
    [boom_row] = [ln for ln in table.splitlines() if ln.startswith("boom ")]
    assert boom_row.rstrip().endswith("below")
    assert "  boom: The median projection grows" in notes
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["scenarios"][1]["warnings"] and "warnings" not in m["scenarios"][0]


def test_a_scenario_file_seed_wins_over_the_run_seed(tmp_path, capsys):
    own = tmp_path / "own.yaml"
    own.write_text("name: own\nseed: 99\ndraws: 200\n")
    code, *_ = run_cli(["run", BASE, str(own), "--out", str(tmp_path / "o"), *FAST], capsys)
    assert code == 0
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [(s["name"], s["seed"], s["draws"]) for s in m["scenarios"]] == [
        ("baseline", 7, 300),
        ("own", 99, 200),
    ]


def test_one_bad_file_never_stops_the_others(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nlevers:\n  tech_zones: 99\n")
    out = tmp_path / "o"
    code, _, err = run_cli(["run", BASE, str(bad), ZONES, "--out", str(out), *FAST], capsys)
    assert code == 1
    assert {r["scenario"] for r in rows(out / "projections.csv")} == {"baseline", "tech-zones-60"}
    assert "1 of 3 scenarios failed" in err and f"{bad}, line 3: levers.tech_zones" in err
    m = json.loads((out / "manifest.json").read_text())
    failed = [s for s in m["scenarios"] if s["status"] == "failed"]
    assert [s["name"] for s in failed] == ["bad"] and "0 to 60 zones" in failed[0]["errors"][0]


def test_a_scenario_that_fails_while_running_is_listed_and_the_rest_still_run(tmp_path, capsys, monkeypatch):
    real = runner.Worker.project

    def flaky(self, scenario):
        if scenario.name == "tech-zones-60":
            raise InputError(
                "the effect assumptions attribute more than the reported exports", field="assumptions"
            )
        return real(self, scenario)

    monkeypatch.setattr(runner.Worker, "project", flaky)
    out = tmp_path / "o"
    code, _, err = run_cli(["run", ZONES, BASE, "--out", str(out), *FAST], capsys)
    assert code == 1 and "tech-zones-60.yaml: assumptions: the effect assumptions" in err
    assert {r["scenario"] for r in rows(out / "projections.csv")} == {"baseline"}


def test_an_existing_output_folder_is_not_mixed_with_a_new_run(tmp_path, capsys):
    out = tmp_path / "o"
    assert run_cli(["run", BASE, "--out", str(out), *FAST], capsys)[0] == 0
    first = (out / "projections.csv").read_bytes()
    code, _, err = run_cli(["run", ZONES, "--out", str(out), *FAST], capsys)
    assert code == 2 and "not empty" in err and "--overwrite" in err
    assert (out / "projections.csv").read_bytes() == first
    assert run_cli(["run", ZONES, "--out", str(out), "--overwrite", *FAST], capsys)[0] == 0
    assert {r["scenario"] for r in rows(out / "projections.csv")} == {"tech-zones-60"}


def test_an_interrupted_run_leaves_no_half_written_file(tmp_path, capsys, monkeypatch):
    calls = []
    real = runner.Worker.run

    def interrupted(self, job):
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, job)

    monkeypatch.setattr(runner.Worker, "run", interrupted)
    out = tmp_path / "o"
    code, _, err = run_cli(["run", BASE, ZONES, BLUEPRINT, "--out", str(out), *FAST], capsys)
    assert code == 130 and err == "simulator run: interrupted (Ctrl-C)\n"
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary left


def test_run_jobs_streams_outcomes_in_order_from_a_pool(engine, settings):
    scenarios = sf.shipped_scenarios(first_year=engine.first_projection_year)
    jobs = [runner.Job(i, s, name) for i, (name, s) in enumerate(scenarios.items())] * 3
    jobs = [runner.Job(i, j.scenario, j.source) for i, j in enumerate(jobs)]
    small = settings.model_copy(update={"draws": 200})
    seq = list(runner.run_jobs(jobs, small, n_jobs=1, engine=engine))
    par = list(runner.run_jobs(jobs, small, n_jobs=2))
    assert [o.index for o in par] == list(range(len(jobs)))
    assert [(o.projections_csv, o.targets_csv) for o in seq] == [
        (o.projections_csv, o.targets_csv) for o in par
    ]


def test_the_worker_shares_draws_between_scenarios_that_can(engine, settings):
    engine.draws_cache.clear()  # the engine keeps the draws: earlier tests may have made these
    w = runner.Worker(settings.model_copy(update={"draws": 200}), engine)
    scenarios = list(sf.shipped_scenarios(first_year=engine.first_projection_year).values())
    for s in scenarios:
        w.project(s)
    assert w.draws_made == 1
    w.project(scenarios[0].model_copy(update={"seed": 1}))
    assert w.draws_made == 2


# --------------------------------------------------------------------------- validate, levers, compare


def test_validate_reports_good_and_bad_files(tmp_path, capsys):
    code, out, _ = run_cli(["validate", str(SCEN)], capsys)
    assert code == 0 and out.count("ok ") == len(list(SCEN.glob("*.yaml")))
    broken = Path(__file__).parent / "broken_scenarios"
    code, out, err = run_cli(["validate", ZONES, str(broken / "unknown_lever.yaml")], capsys)
    assert code == 1
    assert "did you mean 'tech_zones'" in err and "unknown_lever.yaml, line 4" in err


def test_levers_lists_every_lever_with_unit_default_range_and_source(capsys):
    code, out, _ = run_cli(["levers"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    for lv in LEVERS:
        assert lv.name in out and lv.unit in out and f"{lv.min:g} to {lv.max:g}" in out
        assert " ".join(lv.default_source.split()[:4]) in flat


def test_levers_markdown_is_the_readme_reference(capsys, engine):
    code, out, _ = run_cli(["levers", "--markdown"], capsys)
    assert code == 0 and out == scenario_reference.reference_markdown(engine.first_projection_year)


def test_compare_prints_differences_and_writes_csv(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, _ = run_cli(["compare", ZONES, BASE, BLUEPRINT, "--out", str(out), *SMALL], capsys)
    assert code == 0
    assert "against 'baseline'" in stdout and "$10B by FY2029" in stdout and "difference" in stdout
    years = rows(out / "compare_years.csv")
    assert {r["scenario"] for r in years} == {"tech-zones-60", "blueprint-package"}
    assert all(r["reference"] == "baseline" for r in years)
    for r in years:  # more zones, same draws: never lower
        assert float(r["p50_diff"]) >= 0 and float(r["mean_diff"]) >= 0
        assert float(r["p50_diff"]) == pytest.approx(float(r["p50"]) - float(r["p50_reference"]), abs=0.11)
    targets = rows(out / "compare_targets.csv")
    assert all(r["p_diff"] == "" or float(r["p_diff"]) >= 0 for r in targets)


def test_compare_against_the_first_file_when_no_baseline(capsys):
    code, stdout, _ = run_cli(["compare", ZONES, BLUEPRINT, *SMALL], capsys)
    assert code == 0 and "against 'tech-zones-60'" in stdout


def test_shipped_scenarios_can_be_named_instead_of_given_as_files(capsys):
    code, stdout, _ = run_cli(["compare", "baseline", "tech-zones-60", *SMALL], capsys)
    assert code == 0 and "against 'baseline'" in stdout and "tech-zones-60 median" in stdout
    code, _, err = run_cli(["compare", "baseline", "tech-zones-6", *SMALL], capsys)
    assert code == 1
    assert "tech-zones-6: no such file or shipped scenario; allowed: a file, or one of baseline," in err


def test_compare_needs_two_files(capsys):
    code, _, err = run_cli(["compare", ZONES, *SMALL], capsys)
    assert code == 2 and "at least two" in err


def test_the_progress_bar_draws_only_when_asked_or_on_a_terminal():
    from simulator.commands.common import Progress

    stream = io.StringIO()
    bar = Progress(3, "run", stream=stream)  # a StringIO is not a terminal
    bar.update()
    bar.close()
    assert stream.getvalue() == ""
    bar = Progress(2, "run", enabled=True, stream=stream)
    bar.update()
    bar.update(ok=False)
    bar.close()
    text = stream.getvalue()
    assert "2/2" in text and "1 failed" in text and text.endswith("\n")
