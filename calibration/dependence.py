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
* **the 23-zone default**: the 23 zones MoITT counts for FY2025 against the 16 there were after
  STZA's August 2024 notification: FY2025's zones in the lever history and the default both set
  to 16, the trend re-fitted.
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
ZONES_ALTERNATIVE = 16
"""Zones after STZA's August 2024 notification of four (16 Aug 2024; lever history, FY2025 note)."""


def _variant(written: dict[str, Scenario], name: str, first_year: int, **changes) -> Scenario:
    raw = written[name].model_dump(mode="json", exclude_none=True, by_alias=True)
    for key, value in changes.items():
        raw.setdefault(key, {}).update(value)
    return resolve(validate_scenario(raw, first_year=first_year), written)


def _odds(engine: Engine, scenario: Scenario) -> dict[str, float]:
    p = engine.run(scenario, load_settings(draws=DRAWS, seed=SEED, horizon=2040))
    out: dict[str, float] = {}
    for o in p.target_odds([engine.data.target(t) for t in TARGETS]):
        if o.p_by_deadline is None or o.p_never is None:  # TARGETS' deadlines are within the horizon
            raise ValueError(f"{o.target.id}: deadline after the horizon")
        out[o.target.id] = o.p_by_deadline
        out[f"{o.target.id}_by_2040"] = 1.0 - o.p_never
    return out


def _fewer_zones_engine(data: Dataset, base_year: int) -> Engine:
    """The engine re-fitted with :data:`ZONES_ALTERNATIVE` zones in the base year's history."""
    fewer = tuple(
        r.model_copy(update={"value": float(ZONES_ALTERNATIVE)})
        if (r.lever, r.fiscal_year) == ("tech_zones", base_year)
        else r
        for r in data.lever_history
    )
    alt = replace(data, lever_history=fewer, sha256="-")
    return Engine(alt, fit(alt))


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
            add(f"formal freelance share today ({base_share:g}%)", f"{share:g}%", name, engine, s)
    add(
        f"zones today ({LEVER_BY_NAME['tech_zones'].default:g})",
        f"{ZONES_ALTERNATIVE} (after the Aug 2024 notification)",
        "baseline",
        _fewer_zones_engine(data, params.sample.base_year),
        _variant(written, "baseline", first, levers={"tech_zones": {"value": ZONES_ALTERNATIVE}}),
    )
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
            add(f"startup-funding yield ({spec.central:g})", f"{value:g}", name, engine, s)
    return rows
