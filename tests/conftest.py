"""Shared fixtures: the bundled data, its fitted parameters and an engine built from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulator.data import DEFAULT_DATA_DIR, Dataset, load_dataset
from simulator.engine import Engine
from simulator.params import FittedParams, load_params
from simulator.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data() -> Dataset:
    return load_dataset()


@pytest.fixture(scope="session")
def params() -> FittedParams:
    return load_params()


@pytest.fixture(scope="session")
def engine(data: Dataset, params: FittedParams) -> Engine:
    return Engine(data, params)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(draws=2000, seed=12345, horizon=2040)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder."""
    dest = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, dest)
    return dest
