"""What the sidebar shows and the scenario it stands for, exactly, both ways.

Pure functions, no Streamlit. The sidebar holds one :class:`LeverControl` per lever (the
slider's value, the lever's own start year and ramp, and a year-by-year path when a loaded
scenario has one), one :class:`AssumptionControl` per effect-size assumption, the trend and the
horizon. :func:`controls_from_scenario` sets them from a scenario and
:func:`scenario_from_controls` reads the scenario back; the two are inverse: loading a scenario
and reading it back gives a scenario with the same paths (hence the same numbers as
``simulator run``), and moving one slider changes that lever's value and nothing else.

The one value a slider shows for a lever is where its path ends: a constant, the ``value`` of
a ``value`` path, or the last year's value of a ``values`` path. A lever whose slider is at
current policy is left out of the scenario (its path is then exactly current policy), so a
slider moved away and back gives back the same scenario.

The query string (links) lives in :mod:`simulator.app.links`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel

from simulator.errors import InputError, InputErrors
from simulator.levers import ASSUMPTIONS, LEVER_BY_NAME, LEVERS, Assumption, Lever
from simulator.scenario import (
    AssumptionOverride,
    LeverPath,
    LeverSetting,
    Scenario,
    TrendOverride,
    default_start_year,
    is_current_policy,
    validate_scenario,
)
from simulator.settings import MAX_DRAWS

DEFAULT_NAME = "my-scenario"
"""Name of a scenario made in the sidebar until the user names it."""

TREND_FIELDS: tuple[str, ...] = tuple(TrendOverride.model_fields)


# --------------------------------------------------------------------------- slider geometry


def decimals(x: float) -> int:
    """Decimal places needed to write ``x`` exactly (up to 6): 0.15 -> 2, 20 -> 0."""
    for d in range(7):
        if math.isclose(round(x, d), x, rel_tol=0, abs_tol=1e-9):
            return d
    return 6


def lever_decimals(lever: Lever) -> int:
    return max(decimals(v) for v in (lever.min, lever.max, lever.step, lever.default))


def assumption_step(a: Assumption) -> float:
    """Slider step for an assumption: one decimal finer than its declared values are written in."""
    d = max(decimals(v) for v in (a.low, a.central, a.high, *a.bounds)) + 1
    return 10.0**-d


def assumption_decimals(a: Assumption) -> int:
    return decimals(assumption_step(a))


def field_bounds(model: type[BaseModel], name: str) -> tuple[float, float]:
    """(lowest, highest) a schema field allows, read from its ``ge``/``le`` constraints."""
    lo = hi = None
    for m in model.model_fields[name].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    if lo is None or hi is None:
        raise ValueError(f"{model.__name__}.{name} needs ge and le bounds")
    return float(lo), float(hi)


def trend_bounds(name: str) -> tuple[float, float]:
    """(lowest, highest) a trend override may take, read from :class:`TrendOverride`."""
    return field_bounds(TrendOverride, name)


def ramp_bounds() -> tuple[int, int]:
    """(shortest, longest) ramp a lever path may have, read from :class:`LeverPath`."""
    lo, hi = field_bounds(LeverPath, "ramp_years")
    return int(lo), int(hi)


TREND_STEP = {"growth_pct": 0.1, "slowdown_per_doubling": 0.1, "shock_scale": 0.05}
TREND_DECIMALS = {"growth_pct": 1, "slowdown_per_doubling": 1, "shock_scale": 2}


def on_grid(x: float, lo: float, step: float) -> bool:
    k = (x - lo) / step
    return math.isclose(k, round(k), abs_tol=1e-6)


# --------------------------------------------------------------------------- one lever


@dataclass(frozen=True)
class LeverControl:
    """One lever in the sidebar: its slider, its timing, and a year-by-year path if it has one."""

    value: float
    """Where the lever's path ends (the slider)."""
    start: int
    """First fiscal year of the change (before it: current policy)."""
    ramp: int = 0
    """Years to reach ``value`` in equal steps (0 or 1: at once)."""
    values: tuple[tuple[int, float], ...] | None = None
    """A year-by-year path from a scenario file; the slider then sets its last year's value."""
    constant: bool = False
    """Written as a plain number (a constant from the first projection year) while the timing
    stays at the first projection year with no ramp: a file's ``tech_zones: 16`` stays that."""

    @classmethod
    def of(cls, lever: Lever, setting: LeverSetting | None, first_year: int) -> LeverControl:
        """The control that shows ``setting`` (``None``: current policy)."""
        if setting is None:
            return cls(float(lever.default), default_start_year(first_year))
        if isinstance(setting, int | float):
            return cls(float(setting), first_year, constant=True)
        if setting.values is not None:
            pts = tuple(sorted((int(y), float(v)) for y, v in setting.values.items()))
            return cls(pts[-1][1], pts[0][0], values=pts)
        start = setting.start if setting.start is not None else first_year
        return cls(float(setting.value), start, setting.ramp_years)

    def setting(self, lever: Lever, first_year: int) -> LeverSetting | None:
        """The lever's setting in the scenario (``None`` when it is current policy every year)."""
        out: LeverSetting
        if self.values is not None:
            pts = dict(self.values)
            pts[max(pts)] = self.value
            out = LeverPath(values=pts)
        elif self.constant and self.start == first_year and self.ramp == 0:
            out = float(self.value)
        else:
            out = LeverPath(value=float(self.value), start=self.start, ramp_years=self.ramp)
        return None if is_current_policy(lever, out) else out

    def with_value(self, value: float) -> LeverControl:
        return replace(self, value=float(value))

    def timing_text(self, lever: Lever, first_year: int) -> str:
        """How the lever changes over time, in words (shown next to its slider)."""
        if self.values is not None:
            pts = dict(self.values)
            pts[max(pts)] = self.value
            steps = ", ".join(f"FY{y}: {v:g}" for y, v in sorted(pts.items()))
            return f"Year by year, from the file: {steps}; current policy before."
        if self.value == lever.default:
            return f"Current policy ({lever.default:g})."
        if self.start == first_year and self.ramp <= 1:
            return f"{self.value:g} from FY{first_year} on."
        if self.ramp <= 1:
            return f"{self.value:g} from FY{self.start}; current policy ({lever.default:g}) before."
        return (
            f"From {lever.default:g} in FY{self.start - 1} to {self.value:g} in "
            f"FY{self.start + self.ramp - 1}, in {self.ramp} equal steps."
        )


# --------------------------------------------------------------------------- one assumption


@dataclass(frozen=True)
class AssumptionControl:
    """One effect-size assumption in the sidebar: its central value (the slider) and the form a
    loaded scenario gave it (a range or a fixed value), which the slider keeps."""

    central: float
    loaded: AssumptionOverride | None = None

    @classmethod
    def of(cls, a: Assumption, override: AssumptionOverride | None) -> AssumptionControl:
        if override is None:
            return cls(float(a.central))
        value = override.fixed if override.fixed is not None else override.central
        return cls(float(value), override)

    def setting(self, a: Assumption) -> AssumptionOverride | None:
        """The override in the scenario: the loaded form with the slider's central value."""
        c, old = float(self.central), self.loaded
        if old is not None and old.fixed is not None:
            return AssumptionOverride(fixed=c)
        if old is not None and old.low is not None and old.low <= c <= old.high:
            return AssumptionOverride(low=old.low, central=c, high=old.high)
        if c == a.central and (old is None or old.low is None):
            return None
        return AssumptionOverride(central=c)

    def form_text(self, a: Assumption) -> str | None:
        """The loaded form in words, when it is not the declared range moved with the slider."""
        s = self.setting(a)
        if s is None or (s.low is None and s.fixed is None):
            return None
        if s.fixed is not None:
            return f"Fixed at {s.fixed:g} (no uncertainty), as the loaded scenario says."
        return f"Drawn from {s.low:g} to {s.high:g} {a.unit}, as the loaded scenario says."


# --------------------------------------------------------------------------- the sidebar


@dataclass(frozen=True)
class Controls:
    """The sidebar's values: the whole scenario."""

    levers: Mapping[str, LeverControl]
    assumptions: Mapping[str, AssumptionControl]
    trend: Mapping[str, float]
    horizon: int
    name: str = DEFAULT_NAME
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Scenario fields without a widget (draws, seed), carried over from a loaded scenario."""

    def with_lever(self, name: str, value: float) -> Controls:
        """These controls with one lever's slider moved (its timing and form kept)."""
        return replace(self, levers={**self.levers, name: self.levers[name].with_value(value)})


@dataclass(frozen=True)
class Defaults:
    """What the sidebar shows for the baseline: current policy and the calibrated trend."""

    first_year: int
    horizon: int
    trend: Mapping[str, float]
    """growth_pct, slowdown_per_doubling and shock_scale as calibrated (rounded to the slider)."""

    def controls(self) -> Controls:
        return Controls(
            levers={lv.name: LeverControl.of(lv, None, self.first_year) for lv in LEVERS},
            assumptions={a.name: AssumptionControl.of(a, None) for a in ASSUMPTIONS},
            trend=dict(self.trend),
            horizon=self.horizon,
        )


def controls_from_scenario(scenario: Scenario, defaults: Defaults) -> Controls:
    """The sidebar values that show ``scenario`` (resolved: no base) exactly."""
    settings = scenario.lever_settings()
    overrides = scenario.assumption_overrides()
    trend = dict(defaults.trend)
    trend.update(scenario.trend.model_dump(exclude_none=True))
    return Controls(
        levers={lv.name: LeverControl.of(lv, settings.get(lv.name), defaults.first_year) for lv in LEVERS},
        assumptions={a.name: AssumptionControl.of(a, overrides.get(a.name)) for a in ASSUMPTIONS},
        trend=trend,
        horizon=scenario.horizon if scenario.horizon is not None else defaults.horizon,
        name=scenario.name,
        description=scenario.description,
        extra={k: getattr(scenario, k) for k in ("draws", "seed") if getattr(scenario, k) is not None},
    )


def scenario_from_controls(controls: Controls, defaults: Defaults, *, source: str = "sidebar") -> Scenario:
    """The scenario the sidebar stands for, validated (raises :class:`InputErrors`)."""
    doc: dict[str, Any] = {"name": controls.name}
    if controls.description:
        doc["description"] = controls.description
    levers = {}
    for lv in LEVERS:
        s = controls.levers[lv.name].setting(lv, defaults.first_year)
        if s is not None:
            levers[lv.name] = s.model_dump(exclude_none=True) if isinstance(s, LeverPath) else s
    assumptions = {}
    for a in ASSUMPTIONS:
        o = controls.assumptions[a.name].setting(a)
        if o is not None:
            assumptions[a.name] = o.model_dump(exclude_none=True)
    trend = {k: v for k, v in controls.trend.items() if v != defaults.trend[k]}
    parts = {"levers": levers, "assumptions": assumptions, "trend": trend}
    doc.update({k: v for k, v in parts.items() if v})
    if controls.horizon != defaults.horizon:
        doc["horizon"] = controls.horizon
    doc.update(controls.extra)
    return resolved(validate_scenario(doc, first_year=defaults.first_year, source=source))


def resolved(scenario: Scenario) -> Scenario:
    """``scenario`` marked as resolved (``base`` None), as the shipped presets and uploads are once
    merged onto their bases: a scenario from the sidebar or a link states everything itself."""
    return scenario.model_copy(update={"base": None}) if scenario.base is not None else scenario


def without_current_policy(scenario: Scenario) -> Scenario:
    """``scenario`` without the levers it holds at current policy in every year (same paths)."""
    kept = {k: v for k, v in scenario.lever_settings().items() if not is_current_policy(LEVER_BY_NAME[k], v)}
    if len(kept) == len(scenario.lever_settings()):
        return scenario
    levers_model: Any = type(scenario.levers)  # built at import from the lever declarations
    return scenario.model_copy(update={"levers": levers_model.model_construct(**kept)})


def is_baseline(scenario: Scenario) -> bool:
    """True when the scenario changes no lever (assumptions and trend may differ)."""
    return not scenario.lever_settings()


def changes(scenario: Scenario, reference: Scenario | None) -> list[str]:
    """What ``scenario`` sets differently from ``reference`` (``None``: the baseline), in words:
    each lever's label, then the assumptions, the trend and the run settings that differ."""
    a = scenario.lever_settings()
    b = reference.lever_settings() if reference is not None else {}
    out = [lv.label for lv in LEVERS if a.get(lv.name) != b.get(lv.name)]
    ref = reference if reference is not None else Scenario(name=DEFAULT_NAME)
    mine, theirs = scenario.assumption_overrides(), ref.assumption_overrides()
    out += [f"{x.label} (assumption)" for x in ASSUMPTIONS if mine.get(x.name) != theirs.get(x.name)]
    if scenario.trend != ref.trend:
        out.append("the trend")
    out += [k for k in ("draws", "seed", "horizon") if getattr(scenario, k) != getattr(ref, k)]
    return out


# --------------------------------------------------------------------------- limits


MAX_APP_DRAWS = 50_000
"""Most Monte Carlo draws a link or an uploaded file may ask the app for: a shared server must
not be made to hold hundreds of megabytes per visitor. The command line allows up to
:data:`simulator.settings.MAX_DRAWS`."""


def within_app_limits(scenario: Scenario, source: str) -> Scenario:
    """``scenario`` if the app can run it; else :class:`InputErrors` saying what to change."""
    if scenario.draws is not None and scenario.draws > MAX_APP_DRAWS:
        raise InputErrors(
            [
                InputError(
                    f"is more than the app runs (the command line runs up to {MAX_DRAWS:,})",
                    file=source,
                    field="draws",
                    value=scenario.draws,
                    allowed=f"at most {MAX_APP_DRAWS:,} in the app",
                )
            ]
        )
    return scenario
