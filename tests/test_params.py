"""The fitted-parameter file: only finite numbers in, only strict JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calibration.__main__ import main as calibration_main
from calibration.fit import fit
from calibration.nowcast import MIN_YEARS
from simulator.errors import InputError
from simulator.params import DEFAULT_PARAMS_PATH, SCHEMA_VERSION, dump_params, load_params


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


def test_a_file_of_an_older_schema_asks_for_a_re_fit(tmp_path: Path):
    """Schema 2 (the peer model) had one share per month with a sample spread and a one-figure
    nowcast; schema 3 has the joint seasonal model. An old file is refused with the remedy."""
    raw = json.loads(DEFAULT_PARAMS_PATH.read_text("utf-8"))
    raw["schema_version"] = SCHEMA_VERSION - 1
    raw["seasonality"] = [{"months": 1, "share_mean": 0.08, "share_sd": None, "n_years": 1}]
    p = tmp_path / "params.json"
    p.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_params(p)
    assert str(exc.value) == (
        f"{p}: schema_version: Input should be {SCHEMA_VERSION}; re-run `python -m calibration fit`"
    )


def test_load_params_names_a_folder(tmp_path: Path):
    with pytest.raises(InputError, match="is a folder, not the fitted-parameter file"):
        load_params(tmp_path)


def test_dump_params_never_writes_nan(params):
    broken = params.model_copy(deep=True)
    object.__setattr__(broken.trend, "sigma", float("nan"))  # as if a bug slipped past the schema
    with pytest.raises(ValueError, match="not JSON compliant"):
        dump_params(broken)


@pytest.mark.slow  # 12 s: a whole fit through the command line (CI runs it)
def test_a_fit_on_few_years_writes_strict_json(tmp_path: Path, capsys):
    """Up to FY2017 one complete year has year-to-date figures (a sample spread would be NaN):
    the seasonal model needs MIN_YEARS, so there is no seasonality and no nowcast, and a note
    says so."""
    out = tmp_path / "p.json"
    assert calibration_main(["fit", "--until", "FY2017", "--out", str(out)]) == 0, capsys.readouterr().err
    doc = _strict_json(out.read_text("utf-8"))
    assert doc["seasonality"] is None and doc["nowcast"] is None
    assert any(f"the seasonal model needs {MIN_YEARS}" in n for n in doc["notes"])
    assert load_params(out).sample.base_year == 2017


def test_months_seen_in_one_year_or_none_get_finite_spreads(data):
    """Up to FY2021, five complete years: enough for the seasonal model, but August is in none
    of them and July in one. Their spreads come from the model (finite), not from the sample."""
    p = fit(data, until=2021, peers=None)
    n = {s.months: s.n_years for s in p.seasonality.shares}
    assert p.seasonality.n_years == MIN_YEARS and n[2] == 0 and n[1] == 1
    doc = _strict_json(dump_params(p))
    assert all(s["share_sd"] > 0 and s["nowcast_log_sd"] > 0 for s in doc["seasonality"]["shares"])


def test_the_bundled_parameter_file_is_strict_json():
    _strict_json(DEFAULT_PARAMS_PATH.read_text("utf-8"))
