"""How much the answers depend on assumptions the data cannot settle.

The odds of the $10B, $15B and $25B targets (by their deadlines and by FY2040) under current
policy and under the shipped ``blueprint-package``, with each of four assumptions moved over
its documented range while everything else stays as fitted:

* **the current formal freelance share (50%)**: a midpoint, not a measurement (the lever's
  declaration). At 25% or 75% the baseline is unchanged (at current policy the lever has no
  exposure) but raising it to 100% means more: the exposure ``x / x0 - 1`` at full
  formalisation is 3 or 1/3 instead of 1. Computed exactly by scaling the formal freelance
  receipts share ``f`` (the effect is ``ln(1 + f h)``) by the same factor, with ``f`` fixed at
  the scaled central value. The 25-75% range is an assumption: the declaration gives none.
* **the 23-zone default**: MoITT's 23 "cited" zones (July 2025) against the 16 of STZA's count
  in FY2025 (the lever history): the baseline run with 16 zones.
* **the FY2010 anchor**: the trend re-fitted without the isolated FY2010 figure.
* **the startup-funding yield**: the assumption fixed at the low and high ends of its range.
"""

from __future__ import annotations

from dataclasses import replace

from calibration.fit import fit
from simulator.backtests import DependenceRow
from simulator.data import Dataset
from simulator.engine import Engine
from simulator.levers import ASSUMPTION_BY_NAME, LEVER_BY_NAME
from simulator.params import FittedParams
from simulator.scenario import Scenario, validate_scenario
from simulator.scenario_files import resolve, shipped_scenarios
from simulator.settings import load_settings

TARGETS = ("t10b_fy2029_uraan", "t15b_fy2030_govt", "t25b_fy2029_pm")
SCENARIOS = ("baseline", "blueprint-package")
DRAWS = 10_000
SEED = 20250820
FREELANCE = "formal_channel_share.freelance_share"
FULL_SHARE = 100.0


def _variant(written: dict[str, Scenario], name: str, first_year: int, **changes) -> Scenario:
    raw = written[name].model_dump(mode="json", exclude_none=True, by_alias=True)
    for key, value in changes.items():
        raw.setdefault(key, {}).update(value)
    return resolve(validate_scenario(raw, first_year=first_year), written)


def _odds(engine: Engine, scenario: Scenario) -> dict[str, float]:
    p = engine.run(scenario, load_settings(draws=DRAWS, seed=SEED, horizon=2040))
    out = {}
    for o in p.target_odds([engine.data.target(t) for t in TARGETS]):
        out[o.target.id] = o.p_by_deadline
        out[f"{o.target.id}_by_2040"] = 1.0 - o.p_never
    return out


def dependence(data: Dataset, params: FittedParams) -> list[DependenceRow]:
    """One row per assumption setting and scenario: the odds of each target in :data:`TARGETS`."""
    engine = Engine(data, params)
    first = engine.first_projection_year
    written = shipped_scenarios(resolved=False, first_year=first)
    rows: list[DependenceRow] = []

    def add(assumption: str, setting: str, scenario: str, eng: Engine, s: Scenario) -> None:
        rows.append(
            DependenceRow(assumption=assumption, setting=setting, scenario=scenario, odds=_odds(eng, s))
        )

    for name in SCENARIOS:
        add(
            "as fitted", "every assumption at its central value", name, engine, _variant(written, name, first)
        )
    base_share = LEVER_BY_NAME["formal_channel_share"].default
    central_f = ASSUMPTION_BY_NAME[FREELANCE].central
    for share in (25.0, 75.0):
        f = central_f * (FULL_SHARE / share - 1) / (FULL_SHARE / base_share - 1)
        for name in SCENARIOS:
            s = _variant(written, name, first, assumptions={FREELANCE: {"fixed": round(f, 6)}})
            add("formal freelance share today (50%)", f"{share:g}%", name, engine, s)
    s = _variant(written, "baseline", first, levers={"tech_zones": {"value": 16}})
    add("zones today (23)", "16 (STZA count, FY2025)", "baseline", engine, s)
    rest = replace(
        data, observations=tuple(o for o in data.observations if o.fiscal_year != 2010), sha256="-"
    )
    engine_rest = Engine(rest, fit(rest))
    for name in SCENARIOS:
        add("FY2010 anchor", "dropped", name, engine_rest, _variant(written, name, first))
    spec = ASSUMPTION_BY_NAME["vc_funding.export_yield"]
    for value in (spec.low, spec.high):
        for name in SCENARIOS:
            s = _variant(written, name, first, assumptions={spec.name: {"fixed": value}})
            add("startup-funding yield (0.1)", f"{value:g}", name, engine, s)
    return rows
