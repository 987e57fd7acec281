"""Settings from ``SIMULATOR_*`` variables: a bad one names its variable, a misspelt one is warned of."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration.__main__ import main as calibration_main
from simulator import cli
from simulator import scenario_files as sf
from simulator.settings import MAX_SEED, unknown_variables

BASE = str(sf.SCENARIO_DIR / "baseline.yaml")
FAST = ["--draws", "200", "--quiet"]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    p = tmp_path / "a-file.txt"
    p.write_text("x")
    return p


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("SIMULATOR_DATA_DIR", "{file}", "SIMULATOR_DATA_DIR: names a file, not a folder (got '{file}')"),
        ("SIMULATOR_DATA_DIR", "{tmp}/nowhere", "SIMULATOR_DATA_DIR: no such folder (got '{tmp}/nowhere')"),
        ("SIMULATOR_PARAMS_PATH", "{tmp}", "SIMULATOR_PARAMS_PATH: names a folder, not a file (got '{tmp}')"),
        ("SIMULATOR_HORIZON", "2020", "SIMULATOR_HORIZON: is before the first projection year (got 2020)"),
        ("SIMULATOR_HORIZON", "abc", "SIMULATOR_HORIZON: Input should be a valid integer"),
        ("SIMULATOR_HORIZON", "2060", "SIMULATOR_HORIZON: Input should be less than or equal to 2050"),
        ("SIMULATOR_SEED", str(2**63), f"SIMULATOR_SEED: Input should be less than or equal to {MAX_SEED}"),
        ("SIMULATOR_DRAWS", "5", "SIMULATOR_DRAWS: Input should be greater than or equal to 100"),
    ],
)
def test_a_bad_setting_names_its_variable(tmp_path, afile, capsys, monkeypatch, variable, value, words):
    fill = {"file": afile, "tmp": tmp_path}
    monkeypatch.setenv(variable, value.format(**fill))
    code, _, err = run_cli(["run", BASE, "--out", str(tmp_path / "o"), "--quiet"], capsys)
    assert code == 2
    assert err.startswith("simulator run: error: " + words.format(**fill)), err
    assert BASE not in err  # never blamed on the scenario file
    assert err.count("\n") == 1


def test_a_horizon_option_before_the_data_names_the_option(tmp_path, capsys):
    code, _, err = run_cli(["run", BASE, "--out", str(tmp_path / "o"), "--horizon", "2020", *FAST], capsys)
    assert code == 2
    assert err == (
        "simulator run: error: --horizon: is before the first projection year (got 2020); "
        "allowed: fiscal years 2026 to 2050\n"
    )


def test_the_calibration_command_names_the_variable_too(afile, capsys, monkeypatch):
    monkeypatch.setenv("SIMULATOR_DATA_DIR", str(afile))
    assert calibration_main(["fit", "--check"]) == 1
    assert "error: SIMULATOR_DATA_DIR: names a file, not a folder" in capsys.readouterr().err


def test_an_unknown_variable_gets_a_did_you_mean(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SIMULATOR_DRAW", "500")
    code, _, err = run_cli(["run", BASE, "--out", str(tmp_path / "o"), *FAST], capsys)
    assert code == 0  # a warning, not an error: the run goes on with its settings
    assert err == (
        "simulator run: warning: SIMULATOR_DRAW is not a setting and is ignored; "
        "did you mean SIMULATOR_DRAWS?\n"
    )


def test_unknown_variables_lists_each_once_with_the_nearest_setting():
    env = {
        "SIMULATOR_DRAWS": "1",
        "SIMULATOR_HORIZN": "1",
        "simulator_sed": "1",
        "SIMULATOR_XYZZY": "1",
        "PATH": "",
    }
    assert unknown_variables(env) == [
        "SIMULATOR_HORIZN is not a setting and is ignored; did you mean SIMULATOR_HORIZON?",
        "SIMULATOR_XYZZY is not a setting and is ignored; the settings are SIMULATOR_DATA_DIR, "
        "SIMULATOR_DRAWS, SIMULATOR_HORIZON, SIMULATOR_PARAMS_PATH, SIMULATOR_SEED",
        "simulator_sed is not a setting and is ignored; did you mean SIMULATOR_SEED?",
    ]
