"""``simulator goal-seek``, ``attribute`` and ``sensitivity``: run in-process, CSV out, clear errors."""

from __future__ import annotations

import csv

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
    assert "no setting within the ranges reaches the goal" in text
    assert "needs 156.2% a year" in text  # the plausibility warning next to the result


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
