"""The seed rule where the seed is handled, not only in ``Engine.draws``: seed 0 is a seed.

A seed reaches the draws through the settings (``SIMULATOR_SEED``, ``--seed``, the API's
``seed=``), a scenario's own ``seed:`` (which wins over the run's), a base scenario's seed, the
draws' cache key and the app's link. At each step a seed of 0 must be kept (``if seed is not
None``), never replaced by the next default as ``if seed:`` or ``seed or default`` would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import Simulator
from simulator.app.links import LinkContext, scenario_from_query, scenario_to_query
from simulator.cli import main as cli_main
from simulator.engine import draws_key
from simulator.errors import InputError, InputErrors
from simulator.scenario import baseline_scenario, validate_scenario
from simulator.settings import load_settings

FIRST = 2026


def scenario(**fields: object):
    return validate_scenario({"name": "s", **fields}, first_year=FIRST)


def test_the_draws_key_keeps_seed_zero_at_every_level(monkeypatch):
    monkeypatch.delenv("SIMULATOR_SEED", raising=False)
    run = load_settings(seed=5, draws=300)
    assert draws_key(scenario(seed=0), run).seed == 0  # the scenario's own 0 beats the run's 5
    assert draws_key(scenario(seed=9), run, seed=0).seed == 0  # an explicit 0 beats the scenario's 9
    assert draws_key(scenario(), load_settings(seed=0, draws=300)).seed == 0  # the run's 0 is used


def test_a_merged_scenario_keeps_seed_zero_from_either_side():
    assert scenario(seed=0).merged_onto(scenario(seed=9)).seed == 0
    assert scenario().merged_onto(scenario(seed=0)).seed == 0
    assert scenario().merged_onto(baseline_scenario()).seed is None


def test_settings_keep_seed_zero_from_the_environment_and_from_an_override(monkeypatch):
    monkeypatch.setenv("SIMULATOR_SEED", "0")
    assert load_settings().seed == 0
    monkeypatch.setenv("SIMULATOR_SEED", "5")
    assert load_settings(seed=0).seed == 0


def test_the_app_link_keeps_seed_zero():
    s = scenario(seed=0, levers={"tech_zones": 40})
    ctx = LinkContext(first_year=FIRST, presets={})
    query = scenario_to_query(s, ctx)
    assert query["seed"] == "0"
    assert scenario_from_query(query, ctx)[0].seed == 0


@pytest.mark.parametrize("seed", [2**53 + 1, 2**63 - 1, 12345678901234567])
def test_a_link_reads_every_seed_exactly(seed: int):
    """A float holds 53 bits: a link's seed read through one would silently be another seed
    (2**53 + 1 became 2**53) or be refused (2**63 - 1 became 2**63, out of range)."""
    ctx = LinkContext(first_year=FIRST, presets={})
    query = scenario_to_query(scenario(seed=seed), ctx)
    assert query["seed"] == str(seed)
    back, _ = scenario_from_query(query, ctx)
    assert back.seed == seed and isinstance(back.seed, int)


@pytest.mark.parametrize("seed", [9.3e18, 2.0**60])
def test_a_float_seed_past_2_53_is_refused_with_how_to_write_it(seed: float):
    """A float that large is not the number its writer meant (9.3e18 is 9300000000000000000 only
    in decimal): refused, saying to write it in digits, from the API and from a link alike."""
    with pytest.raises(InputErrors) as e:
        scenario(seed=seed)
    assert "seed" in str(e.value) and "written in digits" in str(e.value)
    ctx = LinkContext(first_year=FIRST, presets={})
    with pytest.raises((InputError, InputErrors), match="written in digits"):
        scenario_from_query({"seed": f"{seed:e}"}, ctx)


@given(st.integers(min_value=0, max_value=2**63 - 1))
@settings(max_examples=200, deadline=None)
def test_any_seed_in_range_survives_a_link(seed: int):
    ctx = LinkContext(first_year=FIRST, presets={})
    assert scenario_from_query(scenario_to_query(scenario(seed=seed), ctx), ctx)[0].seed == seed


def test_the_command_line_keeps_seed_zero(tmp_path: Path, capsys):
    zero = tmp_path / "zero.yaml"
    zero.write_text("name: zero\nseed: 0\nlevers:\n  tech_zones: 40\n", encoding="utf-8")
    argv = ["run", str(zero), "baseline", "--draws", "300", "--horizon", "2030", "--quiet"]
    assert cli_main([*argv, "--seed", "5", "--out", str(tmp_path / "a")]) == 0
    assert cli_main([*argv, "--seed", "0", "--out", str(tmp_path / "b")]) == 0
    seeds = {
        run: {
            s["name"]: s["seed"]
            for s in json.loads((tmp_path / run / "manifest.json").read_text())["scenarios"]
        }
        for run in ("a", "b")
    }
    assert seeds == {"a": {"zero": 0, "baseline": 5}, "b": {"zero": 0, "baseline": 0}}
    a = (tmp_path / "a" / "projections.csv").read_text().splitlines()
    b = (tmp_path / "b" / "projections.csv").read_text().splitlines()
    zero_rows = [ln for ln in a if ln.startswith("zero,")]
    assert zero_rows == [ln for ln in b if ln.startswith("zero,")]  # seed 0 both times
    assert [ln for ln in a if ln.startswith("baseline,")] != [ln for ln in b if ln.startswith("baseline,")]


@pytest.mark.parametrize("how", ["keyword", "environment"])
def test_the_api_keeps_seed_zero(how: str, monkeypatch):
    monkeypatch.delenv("SIMULATOR_SEED", raising=False)
    if how == "environment":
        monkeypatch.setenv("SIMULATOR_SEED", "0")
        sim = Simulator(draws=300, horizon=2030)
    else:
        sim = Simulator(draws=300, horizon=2030, seed=0)
    assert sim.run("baseline").seed == 0
    assert sim.run({"name": "own", "seed": 0, "levers": {"tech_zones": 40}}).seed == 0
