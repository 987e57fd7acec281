"""The package installs like one: the wheel carries every file the code reads, the lock files
cover pyproject.toml, and the README's commands are ones the command line accepts.

The full check (install the wheel in a new venv outside the tree and run the tool) is
``.ci/wheel_smoke.sh`` (``make smoke``; CI runs it).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from simulator import resources
from simulator.cli import build_parser

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("*.whl")
    return zipfile.ZipFile(path)


def shipped_in_repo() -> dict[str, Path]:
    """Each file the wheel must carry, by its name in the wheel, with its file in the repository."""
    out = {}
    for folder, patterns in resources.SHIPPED.items():
        for pattern in patterns:
            for p in (REPO / folder).glob(pattern):
                out[f"simulator/_shipped/{folder}/{p.name}"] = p
    data = REPO / "calibration" / "data"
    for p in [*data.glob("*.csv"), REPO / "calibration" / "fitted_params.json"]:
        out[p.relative_to(REPO).as_posix()] = p
    growth = REPO / "simulator" / "analysis" / "reference_growth.csv"
    out[growth.relative_to(REPO).as_posix()] = growth
    return out


def test_the_wheel_carries_every_file_the_code_reads_as_it_is_in_the_repository(wheel):
    names = set(wheel.namelist())
    expected = shipped_in_repo()
    assert len([n for n in expected if n.endswith(".yaml")]) >= 2
    for name, source in expected.items():
        assert name in names, f"{name} is not in the wheel"
        assert wheel.read(name) == source.read_bytes(), f"{name} differs from {source}"


def test_the_wheel_carries_no_by_products_and_no_tests(wheel):
    names = wheel.namelist()
    assert not [n for n in names if "fitted_params_until_" in n]
    assert not [n for n in names if n.startswith(("tests/", "scenarios/", "docs/", "benchmarks/"))]
    assert "simulator/py.typed" in names


def test_the_build_ships_what_resources_lists():
    """setup.py reads SHIPPED from simulator/resources.py without importing it: the same table."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("setup_script", REPO / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.shipped() == resources.SHIPPED


def test_a_source_checkout_reads_the_repositorys_files():
    assert resources.source_checkout() == REPO
    assert resources.scenario_dir() == REPO / "scenarios"
    assert resources.model_doc() == REPO / "docs" / "model.md"
    assert resources.data_dir() == REPO / "calibration" / "data"


def test_an_installed_package_reads_its_own_copies(tmp_path, monkeypatch):
    fake = tmp_path / "simulator"
    (fake / "_shipped" / "scenarios").mkdir(parents=True)
    (fake / "_shipped" / "docs").mkdir()
    monkeypatch.setattr(resources, "package_root", lambda: fake)
    assert resources.source_checkout() is None
    assert resources.scenario_dir() == fake / "_shipped" / "scenarios"
    assert resources.model_doc() == fake / "_shipped" / "docs" / "model.md"
    with pytest.raises(KeyError, match="not shipped"):
        resources.shipped_folder("tests")


# --------------------------------------------------------------------------- the lock files


def requirement_names(specs: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def locked_names(path: Path) -> set[str]:
    text = path.read_text("utf-8")
    return {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, flags=re.M)}


UNLOCKED_EXTRAS = {"bench"}
"""Extras the dev lock leaves out: ``bench`` (EMA Workbench, for ``benchmarks/bench_ema.py``,
which says it is skipped without it) is installed by hand with ``pip install '.[bench]'``."""


def test_the_locks_cover_pyproject_and_pin_every_package_with_hashes():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    extras = project["project"]["optional-dependencies"]
    own = project["project"]["name"]
    app = requirement_names(project["project"]["dependencies"])
    locked_extras = [deps for name, deps in extras.items() if name not in UNLOCKED_EXTRAS]
    dev = app | {n for deps in locked_extras for n in requirement_names(deps) if n != own}
    build = requirement_names(project["build-system"]["requires"])
    for lock, needed in (("app.txt", app | build), ("dev.txt", dev | build)):
        path = REPO / "requirements" / lock
        missing = needed - locked_names(path)
        assert not missing, f"requirements/{lock} lacks {sorted(missing)}: run `make lock`"
        text = path.read_text("utf-8")
        pins = re.findall(r"^[A-Za-z0-9_.-]+==\S+(?: ;[^\\\n]*)? \\\n\s+--hash=sha256:", text, flags=re.M)
        assert len(pins) == len(re.findall(r"^[A-Za-z0-9_.-]+==", text, flags=re.M)), lock
    assert not locked_names(REPO / "requirements" / "app.txt") & {"pytest", "playwright", "ruff", "mypy"}


def test_the_locked_build_backend_is_the_one_pyproject_asks_for():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    build_in = [
        ln.strip()
        for ln in (REPO / "requirements" / "build.in").read_text("utf-8").splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert sorted(build_in) == sorted(project["build-system"]["requires"])


# --------------------------------------------------------------------------- the README


def readme_commands() -> list[list[str]]:
    text = (REPO / "README.md").read_text("utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)
    out = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():  # a command continued with `\`
            command = line.split("#", 1)[0].strip()
            if command.startswith("simulator "):
                out.append(command.split()[1:])
    return out


def test_the_readmes_simulator_commands_are_accepted_by_the_command_line():
    commands = readme_commands()
    assert len(commands) >= 6
    parser = build_parser()
    for argv in commands:
        parser.parse_args(argv)  # an unknown option or a bad value exits (SystemExit)


def test_the_readme_says_how_to_reach_the_command_and_the_settings():
    text = (REPO / "README.md").read_text("utf-8")
    assert "source .venv/bin/activate" in text
    for word in ("PORT", "ADDRESS", "make smoke", "make typecheck", "docs/notebook.md", "pip install"):
        assert word in text, word


def test_every_make_target_the_readme_names_exists():
    makefile = (REPO / "Makefile").read_text("utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    named = set(
        re.findall(r"(?:`|^)make ([a-z][a-z-]*)", (REPO / "README.md").read_text("utf-8"), flags=re.M)
    )
    assert named and named <= targets, sorted(named - targets)


# --------------------------------------------------------------------------- the app from an installed copy


def test_simulator_app_serves_the_packaged_entry_point(monkeypatch):
    from simulator.cli import main as cli_main
    from simulator.commands import app as app_command

    calls: list[list[str]] = []

    class Server:
        def __init__(self, cmd: list[str]):
            calls.append(cmd)

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(app_command.subprocess, "Popen", Server)
    assert cli_main(["app", "--port", "8123"]) == 0
    (cmd,) = calls
    script = Path(cmd[cmd.index("run") + 1])
    assert script == REPO / "simulator" / "app" / "entry.py" and script.is_file()
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"  # this machine only by default
    assert cmd[cmd.index("--server.port") + 1] == "8123"
    # no reload on a source change: it drops the package from sys.modules under running visitors
    assert cmd[cmd.index("--server.fileWatcherType") + 1] == "none"
    assert cmd[cmd.index("--runner.postScriptGC") + 1] == "false"  # see .streamlit/config.toml
    assert cli_main(["app", "--port", "70000"]) == 2


def test_the_app_server_skips_streamlits_full_collection_after_each_run():
    """Streamlit's default gc.collect(2) after every script run costs ~80 ms holding the GIL with
    the app's modules loaded: at 10 sessions about half the server's time (bench_app_load)."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_the_app_does_not_reload_on_source_changes_unless_asked():
    """``make run`` and the tests' servers read .streamlit/config.toml: no file watcher (a reload
    evicts ``simulator`` from sys.modules at the next script run while other sessions' scripts
    import from it; ``KeyError: 'simulator'`` under load). ``make run WATCH=auto`` turns it on."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    make = subprocess.run(
        ["make", "-n", "run", "WATCH=auto"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert make.returncode == 0, make.stderr  # `make -n` prints the commands without running them
    assert "--server.fileWatcherType auto" in make.stdout
    default = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True, check=True)
    assert "--server.fileWatcherType none" in default.stdout


def test_the_packaged_entry_point_is_the_app():
    """``streamlit run simulator/app/entry.py`` (what ``simulator app`` starts) shows the app's
    pages, like ``streamlit_app.py``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "simulator" / "app" / "entry.py"), default_timeout=120).run()
    assert not at.exception
    assert at.get("vega_lite_chart"), "the scenario page's fan chart"
