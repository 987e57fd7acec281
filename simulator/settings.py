"""Run settings, read from environment variables prefixed ``SIMULATOR_``.

==========================  ===========================================  =========================
variable                    meaning                                      default
==========================  ===========================================  =========================
``SIMULATOR_DRAWS``         Monte Carlo draws per scenario (100-200000)  10000
``SIMULATOR_SEED``          seed of the random-number generator          20250820
                            (0 to 2^63-1)
``SIMULATOR_HORIZON``       last fiscal year projected (to 2050)         2040
``SIMULATOR_DATA_DIR``      folder with the curated data files           ``calibration/data``
``SIMULATOR_PARAMS_PATH``   the fitted-parameter file                    ``calibration/fitted_params.json``
==========================  ===========================================  =========================

The default seed is the publication date of the FY2025 full-year figure, chosen once and
never tuned.

A bad value is an :class:`~simulator.errors.InputError` naming the variable (a file where a
folder is expected, a horizon before the first projection year: :func:`check_horizon`); a
``SIMULATOR_*`` variable that is not a setting (``SIMULATOR_DRAW``) gets a warning with the
nearest setting (:func:`unknown_variables`), because a misspelt setting otherwise does nothing.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from simulator.data import DEFAULT_DATA_DIR
from simulator.errors import InputError
from simulator.params import DEFAULT_PARAMS_PATH

MAX_HORIZON = 2050
MIN_DRAWS, MAX_DRAWS = 100, 200_000
MAX_SEED = 2**63 - 1
"""Seeds are whole numbers from 0 to 2^63-1 (they fit a signed 64-bit integer in any file or tool)."""
ENV_PREFIX = "SIMULATOR_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMULATOR_", extra="forbid", frozen=True)

    draws: int = Field(10_000, ge=MIN_DRAWS, le=MAX_DRAWS, description="Monte Carlo draws per scenario")
    seed: int = Field(20250820, ge=0, le=MAX_SEED, description="seed of the random-number generator")
    horizon: int = Field(2040, le=MAX_HORIZON, description="last fiscal year projected")
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="folder with the curated data files")
    params_path: Path = Field(DEFAULT_PARAMS_PATH, description="the fitted-parameter file")

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, v: Path) -> Path:
        if v.exists() and not v.is_dir():
            raise ValueError("names a file, not a folder")
        if not v.exists():
            raise ValueError("no such folder")
        return v

    @field_validator("params_path")
    @classmethod
    def _a_file(cls, v: Path) -> Path:
        if v.is_dir():
            raise ValueError("names a folder, not a file")
        return v


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides; a bad value is an InputError that
    names the override (``draws``) if it came from one, else the variable (``SIMULATOR_DRAWS``)."""
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        raise InputError(
            err["msg"].removeprefix("Value error, "),
            field=name if name in given else f"{ENV_PREFIX}{name.upper()}",
            value=str(err["input"]) if isinstance(err.get("input"), Path) else err.get("input"),
            allowed=_allowed(name),
        ) from None


def _allowed(name: str) -> str | None:
    return {
        "draws": f"{MIN_DRAWS} to {MAX_DRAWS}",
        "seed": f"a whole number from 0 to {MAX_SEED} (2^63-1)",
        "horizon": f"a fiscal year after the last full year of data, up to {MAX_HORIZON}",
        "data_dir": "a folder with observations.csv, targets.csv and lever_history.csv",
        "params_path": "the fitted-parameter file (.json) that `python -m calibration fit` writes",
    }.get(name)


def check_horizon(settings: Settings, first_year: int, *, option: str | None = None) -> None:
    """Refuse a run horizon before ``first_year`` (the first projection year), blaming where it
    came from: ``option`` (a command-line option) if given, else ``SIMULATOR_HORIZON``."""
    if settings.horizon >= first_year:
        return
    var = f"{ENV_PREFIX}HORIZON"
    where = option or (var if any(k.upper() == var for k in os.environ) else "the default horizon")
    raise InputError(
        "is before the first projection year",
        field=where,
        value=settings.horizon,
        allowed=f"fiscal years {first_year} to {MAX_HORIZON}",
    )


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each ``SIMULATOR_*`` environment variable that is not a setting."""
    env = os.environ if environ is None else environ
    known = sorted(f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields)
    out = []
    for key in sorted(env):
        upper = key.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        names = [k.removeprefix(ENV_PREFIX) for k in known]
        hint = difflib.get_close_matches(upper.removeprefix(ENV_PREFIX), names, n=1, cutoff=0.6)
        advice = f"did you mean {ENV_PREFIX}{hint[0]}?" if hint else f"the settings are {', '.join(known)}"
        out.append(f"{key} is not a setting and is ignored; {advice}")
    return out
