"""Run settings, read from environment variables prefixed ``SIMULATOR_``.

==========================  ===========================================  =========================
variable                    meaning                                      default
==========================  ===========================================  =========================
``SIMULATOR_DRAWS``         Monte Carlo draws per scenario (100-200000)  10000
``SIMULATOR_SEED``          seed of the random-number generator          20250820
``SIMULATOR_HORIZON``       last fiscal year projected (to 2050)         2040
``SIMULATOR_DATA_DIR``      folder with the curated data files           ``calibration/data``
``SIMULATOR_PARAMS_PATH``   the fitted-parameter file                    ``calibration/fitted_params.json``
==========================  ===========================================  =========================

The default seed is the publication date of the FY2025 full-year figure, chosen once and
never tuned.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from simulator.data import DEFAULT_DATA_DIR
from simulator.errors import InputError
from simulator.params import DEFAULT_PARAMS_PATH

MAX_HORIZON = 2050
MIN_DRAWS, MAX_DRAWS = 100, 200_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMULATOR_", extra="forbid", frozen=True)

    draws: int = Field(10_000, ge=MIN_DRAWS, le=MAX_DRAWS, description="Monte Carlo draws per scenario")
    seed: int = Field(20250820, ge=0, description="seed of the random-number generator")
    horizon: int = Field(2040, le=MAX_HORIZON, description="last fiscal year projected")
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="folder with the curated data files")
    params_path: Path = Field(DEFAULT_PARAMS_PATH, description="the fitted-parameter file")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides; a bad value is an InputError."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        raise InputError(
            err["msg"],
            field=f"SIMULATOR_{name.upper()}",
            value=err.get("input"),
            allowed=_allowed(name),
        ) from None


def _allowed(name: str) -> str | None:
    return {
        "draws": f"{MIN_DRAWS} to {MAX_DRAWS}",
        "seed": "a whole number, 0 or more",
        "horizon": f"a fiscal year after the last full year of data, up to {MAX_HORIZON}",
    }.get(name)
