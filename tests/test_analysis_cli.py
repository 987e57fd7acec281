"""``simulator goal-seek``, ``attribute`` and ``sensitivity``: run in-process, CSV out, clear errors."""

from __future__ import annotations

import csv
import math

import pytest

from simulator.analysis.attribution import ATTRIBUTION_COLUMNS
from simulator.analysis.goal_seek import GOAL_SEEK_COLUMNS
from simulator.analysis.sensitivity import SENSITIVITY_COLUMNS
from simulator.cli import main


@pytest.fixture(autouse=True)
def small_runs(monkeypatch):
    monkeypatch.setenv("SIMULATOR_DRAWS", "1000")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("command", ["goal-seek", "attribute", "sensitivity"])
def test_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert "--out FILE" in capsys.readouterr().out


def test_goal_seek_writes_csv(tmp_path, capsys):
    out = tmp_path / "gs.csv"
    code = main(["goal-seek", "--target", "t5b_fy2026_govt", "--probability", "80%", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "One lever at a time" in text and "Least-change package" in text
    rows = read_csv(out)
    assert list(rows[0]) == list(GOAL_SEEK_COLUMNS)
    assert {r["method"] for r in rows} == {"one_lever", "package"}
    assert all(r["probability_required"] == "0.8000" for r in rows)
    pkg = [r for r in rows if r["method"] == "package"]
    assert float(pkg[0]["probability_at_value"]) >= 0.8


def test_goal_seek_unreachable_says_so(capsys):
    code = main(["goal-seek", "--amount", "25000", "--deadline", "2027", "--lever", "tech_zones"])
    assert code == 0
    text = capsys.readouterr().out
    assert "not reachable alone" in text
    assert "no package within the ranges reaches the goal" in text
    assert "needs 156.2% a year" in text  # the plausibility warning next to the result


@pytest.mark.parametrize("written", ["10B", "$10B", "10000M", "us$ 10 bn", "10,000"])
def test_goal_seek_amount_with_its_unit(written, capsys):
    args = ["goal-seek", "--amount", written, "--deadline", "2029", "--no-package", "--lever", "tech_zones"]
    assert main(args) == 0
    assert "Goal: $10B by FY2029," in capsys.readouterr().out


@pytest.mark.parametrize("written", ["10", "99.5", "1,5B", "10K", "-3B"])
def test_goal_seek_refuses_an_amount_it_would_misread(written, capsys):
    assert main(["goal-seek", f"--amount={written}", "--deadline", "2029"]) == 2
    err = capsys.readouterr().err
    assert f"{written!r}" in err and "10B" in err
    assert "Traceback" not in err


def test_goal_seek_bare_ten_says_how_to_write_billions(capsys):
    assert main(["goal-seek", "--amount", "10", "--deadline", "2029"]) == 2
    err = capsys.readouterr().err
    assert "would mean US$ 10 million; write 10B for US$ 10 billion" in err


def run_odds(tmp_path, scenario: str, target: str) -> dict[str, str]:
    """The row of ``target`` in ``targets.csv`` of ``simulator run scenario``."""
    out = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    assert main(["run", scenario, "--out", str(out), "--quiet"]) == 0
    return next(r for r in read_csv(out / "targets.csv") if r["target_id"] == target)


def test_goal_seek_from_a_scenario_uses_its_paths(tmp_path, capsys):
    """blueprint-package asked for a point less than its own odds: it already reaches (its own
    odds, as `simulator run` gives them, not the baseline's)."""
    own = run_odds(tmp_path, "blueprint-package", "t10b_fy2029_uraan")["p_by_deadline"]
    asked = math.floor(float(own) * 100) - 1
    out = tmp_path / "gs.csv"
    args = ["goal-seek", "--scenario", "blueprint-package", "--target", "t10b_fy2029_uraan"]
    assert main([*args, "--probability", f"{asked}%", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"Probability of the scenario as it is: {float(own):.1%}." in text
    assert f"already reaches $10B by FY2029 with probability at least {asked}%: no move is needed" in text
    assert "Least-change package" not in text
    rows = read_csv(out)
    assert {r["probability_scenario"] for r in rows} == {own}
    assert {r["change"] for r in rows} == {"0"}


def test_goal_seek_package_file_runs_with_the_same_odds(tmp_path, capsys):
    """The package written with --package-out is a scenario file `simulator run` runs unchanged,
    with the package's odds; its levers are the scenario's paths plus the moves."""
    own = float(run_odds(tmp_path, "blueprint-package", "t10b_fy2029_uraan")["p_by_deadline"])
    asked = math.ceil(own * 100) + 3  # a package is needed (the far end reaches it: asserted below)
    out, yaml_file = tmp_path / "gs.csv", tmp_path / "package.yaml"
    args = ["goal-seek", "--scenario", "blueprint-package", "--target", "t10b_fy2029_uraan"]
    args += ["--probability", f"{asked}%", "--ramp", "2", "--out", str(out), "--package-out", str(yaml_file)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "from FY2027, over 2 years" in text
    assert "Changes start in FY2027 unless you say otherwise: FY2026 (July 2025 to June 2026)" in text
    pkg = [r for r in read_csv(out) if r["method"] == "package"]
    assert {r["reachable"] for r in pkg} == {"true"}
    assert any(float(r["change"]) != 0 for r in pkg)
    ran = run_odds(tmp_path, str(yaml_file), "t10b_fy2029_uraan")
    assert ran["p_by_deadline"] == pkg[0]["probability_at_value"]
    assert float(ran["p_by_deadline"]) >= asked / 100
    # formal channels are not moved (already at 100%): the file keeps the scenario's own path
    assert (
        "formal_channel_share:\n    value: 100.0\n    start: 2027\n    ramp_years: 3" in yaml_file.read_text()
    )


def test_goal_seek_package_out_must_be_a_yaml_file(tmp_path, capsys):
    args = ["goal-seek", "--target", "t10b_fy2029_uraan", "--package-out", str(tmp_path / "p.csv")]
    assert main(args) == 2
    assert "must be a scenario file name" in capsys.readouterr().err


def test_attribute_uses_the_scenarios_paths(tmp_path, capsys):
    """The scenario's mean at the deadline is the one `simulator run` reports for the file."""
    out = tmp_path / "at.csv"
    args = ["attribute", "--scenario", "blueprint-package", "--target", "t10b_fy2029_uraan"]
    assert main([*args, "--out", str(out)]) == 0
    capsys.readouterr()
    row = read_csv(out)[0]
    runs = tmp_path / "run"
    assert main(["run", "blueprint-package", "--out", str(runs), "--quiet"]) == 0
    year = next(r for r in read_csv(runs / "projections.csv") if r["fiscal_year"] == "2029")
    assert float(row["scenario_mean_musd"]) == pytest.approx(float(year["mean"]), abs=0.05)


def test_attribute_with_set_levers(tmp_path, capsys):
    out = tmp_path / "at.csv"
    args = ["attribute", "--set", "formal_channel_share=80", "--target", "t10b_fy2029_uraan"]
    assert main([*args, "--out", str(out)]) == 0
    assert "Freelance earnings through formal channels" in capsys.readouterr().out
    rows = read_csv(out)
    assert list(rows[0]) == list(ATTRIBUTION_COLUMNS)
    gap = float(rows[0]["gap_mean_musd"])
    assert sum(float(r["mean_musd"]) for r in rows) == pytest.approx(gap, abs=0.1 * len(rows))


def test_attribute_shipped_scenario_by_name(capsys):
    assert main(["attribute", "--scenario", "blueprint-package", "--target", "t15b_fy2030_govt"]) == 0
    assert "Scenario: blueprint-package" in capsys.readouterr().out


def test_sensitivity_small_run(tmp_path, capsys):
    out = tmp_path / "se.csv"
    args = ["sensitivity", "--target", "t10b_fy2029_uraan", "-n", "16", "--shocks", "100", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Sobol indices: N = 16, 176 model runs x 100 shock paths" in text
    assert "central-case odds" in text and "not the odds, which draw every input" in text
    rows = read_csv(out)
    assert list(rows[0]) == list(SENSITIVITY_COLUMNS)
    assert {r["method"] for r in rows} == {"tornado", "sobol"}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["goal-seek", "--target", "t10b_fy2029_uran"], "did you mean 't10b_fy2029_uraan'"),
        (["goal-seek", "--target", "t30b_nodeadline_pm"], "give one with --deadline"),
        (["goal-seek", "--target", "t4b_fy2025_moitt"], "not after the last full year of data"),
        (["goal-seek"], "name a target"),
        (["goal-seek", "--target", "t10b_fy2029_uraan", "--lever", "tech_zone"], "did you mean 'tech_zones'"),
        (["goal-seek", "--target", "t10b_fy2029_uraan", "--probability", "80"], "out of range"),
        (["attribute", "--set", "talent=100"], "did you mean 'talent_pipeline'"),
        (["attribute", "--set", "tech_zones=500"], "outside the lever's range"),
        (["attribute", "--scenario", "no-such-scenario"], "neither a file nor a shipped scenario"),
        (["attribute", "--target", "t10b_fy2029_uraan", "--out", "/nonexistent/x.csv"], "does not exist"),
        (["sensitivity", "-n", "100"], "not a power of two"),
    ],
)
def test_user_mistakes_are_messages_not_tracebacks(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_list_targets(capsys):
    assert main(["goal-seek", "--list-targets"]) == 0
    assert "t10b_fy2029_uraan" in capsys.readouterr().out
