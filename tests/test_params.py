"""The fitted-parameter file: only finite numbers in, only strict JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration.__main__ import main as calibration_main
from simulator.errors import InputError
from simulator.params import DEFAULT_PARAMS_PATH, dump_params, load_params


def _strict_json(text: str) -> object:
    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_load_params_refuses_a_non_finite_number(tmp_path: Path, bad: str):
    raw = json.loads(DEFAULT_PARAMS_PATH.read_text("utf-8"))
    raw["trend"]["alpha"] = "__BAD__"
    p = tmp_path / "params.json"
    p.write_text(json.dumps(raw, indent=2).replace('"__BAD__"', bad), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_params(p)
    assert str(exc.value) == (
        f"{p}: trend.alpha: Input should be a finite number; re-run `python -m calibration fit`"
    )


def test_load_params_names_a_folder(tmp_path: Path):
    with pytest.raises(InputError, match="is a folder, not the fitted-parameter file"):
        load_params(tmp_path)


def test_dump_params_never_writes_nan(params):
    broken = params.model_copy(deep=True)
    object.__setattr__(broken.trend, "sigma", float("nan"))  # as if a bug slipped past the schema
    with pytest.raises(ValueError, match="not JSON compliant"):
        dump_params(broken)


def test_a_fit_on_few_years_writes_strict_json(tmp_path: Path, capsys):
    """Up to FY2017 one year shows each month's share: its spread is not computed (was NaN)."""
    out = tmp_path / "p.json"
    assert calibration_main(["fit", "--until", "FY2017", "--out", str(out)]) == 0, capsys.readouterr().err
    doc = _strict_json(out.read_text("utf-8"))
    assert any(s["share_sd"] is None for s in doc["seasonality"])
    assert load_params(out).sample.base_year == 2017


def test_the_bundled_parameter_file_is_strict_json():
    _strict_json(DEFAULT_PARAMS_PATH.read_text("utf-8"))
