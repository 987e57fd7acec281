"""``make run`` listens on this machine only unless told otherwise (ADDRESS, PORT)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def run_recipe(*overrides: str) -> str:
    done = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "run", *overrides],  # -W: print, never install
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.replace("\\\n", " ").split())


def test_make_run_listens_on_loopback_by_default():
    recipe = run_recipe()
    assert "streamlit run streamlit_app.py --server.address 127.0.0.1 --server.port 8501" in recipe


def test_make_run_takes_an_address_and_a_port():
    recipe = run_recipe("ADDRESS=0.0.0.0", "PORT=8080")
    assert "--server.address 0.0.0.0 --server.port 8080" in recipe


def test_the_readme_says_how_to_serve_on_a_network():
    readme = (REPO / "README.md").read_text("utf-8")
    assert "make run ADDRESS=0.0.0.0 PORT=8080" in readme and "http://127.0.0.1:8501" in readme
    assert "localhost:8501" not in readme
