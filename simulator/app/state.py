"""What the sidebar shows, what scenario it stands for, and how both live in the URL.

Pure functions, no Streamlit: the page code reads widget values into :class:`Controls`, turns
them into a validated :class:`~simulator.scenario.Scenario` with :func:`scenario_from_controls`,
and mirrors that scenario in the query string with :func:`scenario_to_query`. Opening a link
runs the other way: :func:`scenario_from_query` validates the query string through the same
:func:`~simulator.scenario.validate_scenario` as a scenario file, and
:func:`controls_from_scenario` sets the widgets.

The sidebar can show a lever as one value from one start year (shared by every lever moved,
with an optional ramp). A scenario loaded from a file or a preset may say more (a path of
yearly values, a lever-specific start, an assumption given as low/central/high): those parts
are kept as they are until the user moves that lever's slider.

The query string holds only what differs from the baseline, in the scenario file's own
field paths (``levers.tech_zones=40``, ``assumptions.vc_funding.export_yield=0.2``,
``trend.growth_pct=12``), plus ``start`` and ``ramp`` for the sidebar's start year, so a
link reads like the YAML it stands for.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel

from simulator.errors import InputError, InputErrors
from simulator.levers import ASSUMPTION_BY_NAME, ASSUMPTIONS, LEVERS, Assumption, Lever
from simulator.scenario import (
    LeverPath,
    Scenario,
    TrendOverride,
    validate_scenario,
)
from simulator.settings import MAX_DRAWS

DEFAULT_NAME = "my-scenario"
"""Name of a scenario made in the sidebar until the user names it."""

TREND_FIELDS: tuple[str, ...] = tuple(TrendOverride.model_fields)
VIEW_KEYS = ("start", "ramp")
"""Query keys that are not scenario fields: the sidebar's shared start year and ramp."""
COMPARE_KEY = "compare"
ASSUMPTION_PARTS = ("low", "central", "high", "fixed")


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


# --------------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Defaults:
    """What the sidebar shows for the baseline: current policy and the calibrated trend."""

    first_year: int
    horizon: int
    trend: Mapping[str, float]
    """growth_pct, slowdown_per_doubling and shock_scale as calibrated (rounded to the slider)."""

    def controls(self) -> Controls:
        return Controls(
            levers={lv.name: lv.default for lv in LEVERS},
            start_year=self.first_year,
            ramp_years=0,
            assumptions={a.name: a.central for a in ASSUMPTIONS},
            trend=dict(self.trend),
            horizon=self.horizon,
        )


@dataclass(frozen=True)
class Controls:
    """The sidebar's values."""

    levers: Mapping[str, float]
    start_year: int
    ramp_years: int
    assumptions: Mapping[str, float]
    """Central value of each effect-size assumption."""
    trend: Mapping[str, float]
    horizon: int
    name: str = DEFAULT_NAME
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Scenario fields without a widget (draws, seed), carried over from a loaded scenario."""


def _display_value(lever: Lever, setting: float | LeverPath | None) -> float:
    """The one value a slider shows for a lever setting (a path shows where it ends)."""
    if setting is None:
        return float(lever.default)
    if isinstance(setting, int | float):
        return float(setting)
    if setting.value is not None:
        return float(setting.value)
    return float(setting.values[max(setting.values)])


def _common_start(scenario: Scenario, first_year: int) -> tuple[int, int]:
    """The (start, ramp) most ``value`` paths of the scenario share (first year, 0 if none)."""
    counts = Counter(
        (s.start if s.start is not None else first_year, s.ramp_years)
        for s in scenario.lever_settings().values()
        if isinstance(s, LeverPath) and s.value is not None
    )
    if not counts:
        return first_year, 0
    return max(counts.items(), key=lambda kv: (kv[1], -kv[0][0]))[0]


def _owned_by_slider(
    lever: Lever, setting: float | LeverPath | None, start: int, ramp: int, first_year: int
) -> bool:
    """Whether the sidebar can show this setting exactly (one value on the slider's grid,
    starting at the shared start year with the shared ramp)."""
    value = _display_value(lever, setting)
    if not (lever.min <= value <= lever.max and on_grid(value, lever.min, lever.step)):
        return False
    if setting is None or isinstance(setting, int | float):
        return (start == first_year and ramp == 0) or value == lever.default
    if setting.value is None:
        return False
    s_start = setting.start if setting.start is not None else first_year
    return (s_start, setting.ramp_years) == (start, ramp)


def controls_from_scenario(scenario: Scenario, defaults: Defaults) -> Controls:
    """The sidebar values that show ``scenario`` (resolved: no base)."""
    start, ramp = _common_start(scenario, defaults.first_year)
    settings = scenario.lever_settings()
    overrides = scenario.assumption_overrides()
    assumptions = {}
    for a in ASSUMPTIONS:
        ov = overrides.get(a.name)
        assumptions[a.name] = a.central if ov is None else ov.apply(a)[1]
    trend = dict(defaults.trend)
    trend.update(scenario.trend.model_dump(exclude_none=True))
    extra = {k: getattr(scenario, k) for k in ("draws", "seed") if getattr(scenario, k) is not None}
    return Controls(
        levers={lv.name: _display_value(lv, settings.get(lv.name)) for lv in LEVERS},
        start_year=start,
        ramp_years=ramp,
        assumptions=assumptions,
        trend=trend,
        horizon=scenario.horizon if scenario.horizon is not None else defaults.horizon,
        name=scenario.name,
        description=scenario.description,
        extra=extra,
    )


def scenario_from_controls(
    controls: Controls, loaded: Scenario | None, defaults: Defaults, *, source: str = "sidebar"
) -> Scenario:
    """The scenario the sidebar stands for, validated.

    ``loaded`` is the scenario the sidebar was last set from (a preset, an upload, a link;
    resolved, no base), or ``None`` for the baseline. Its parts that the sidebar cannot show
    exactly are kept until the user moves the slider that stands for them.
    """
    shown = controls_from_scenario(loaded, defaults) if loaded is not None else defaults.controls()
    loaded_levers = loaded.lever_settings() if loaded is not None else {}
    loaded_assumptions = loaded.assumption_overrides() if loaded is not None else {}
    doc: dict[str, Any] = {"name": controls.name}
    if controls.description:
        doc["description"] = controls.description

    levers: dict[str, Any] = {}
    for lv in LEVERS:
        value = controls.levers[lv.name]
        old = loaded_levers.get(lv.name)
        kept = old is not None and not _owned_by_slider(
            lv, old, shown.start_year, shown.ramp_years, defaults.first_year
        )
        if kept and value == shown.levers[lv.name]:
            levers[lv.name] = old.model_dump(exclude_none=True) if isinstance(old, LeverPath) else old
        elif value != lv.default:
            levers[lv.name] = _lever_doc(value, controls.start_year, controls.ramp_years, defaults)
    if levers:
        doc["levers"] = levers

    assumptions: dict[str, Any] = {}
    for a in ASSUMPTIONS:
        central = controls.assumptions[a.name]
        old = loaded_assumptions.get(a.name)
        if old is not None and central == shown.assumptions[a.name]:
            assumptions[a.name] = old.model_dump(exclude_none=True)
        elif central != a.central:
            assumptions[a.name] = {"central": central}
    if assumptions:
        doc["assumptions"] = assumptions

    trend = {k: v for k, v in controls.trend.items() if v != defaults.trend[k]}
    if trend:
        doc["trend"] = trend
    if controls.horizon != defaults.horizon:
        doc["horizon"] = controls.horizon
    doc.update(controls.extra)
    return validate_scenario(doc, first_year=defaults.first_year, source=source)


def _lever_doc(value: float, start: int, ramp: int, defaults: Defaults) -> float | dict[str, Any]:
    if start == defaults.first_year and ramp == 0:
        return value
    out: dict[str, Any] = {"value": value, "start": start}
    if ramp:
        out["ramp_years"] = ramp
    return out


def is_baseline(scenario: Scenario) -> bool:
    """True when the scenario changes no lever (assumptions and trend may differ)."""
    return not scenario.lever_settings()


# --------------------------------------------------------------------------- query string


def scenario_to_query(scenario: Scenario, *, include_name: bool = True) -> dict[str, str]:
    """The scenario as flat query parameters: only what differs from the baseline."""
    doc = scenario.to_document()
    out: dict[str, str] = {}
    if include_name and doc.get("name") != DEFAULT_NAME:
        out["name"] = doc["name"]
    if doc.get("description"):
        out["description"] = doc["description"]
    if scenario.base is not None and scenario.base != "baseline":
        out["base"] = scenario.base
    levers = doc.get("levers", {})
    shared = _shared_start(levers)
    if shared is not None:
        out["start"] = str(shared[0])
        if shared[1]:
            out["ramp"] = str(shared[1])
    for name, setting in levers.items():
        if isinstance(setting, dict) and shared is not None:
            out[f"levers.{name}"] = _text(setting["value"])
        else:
            _flatten(f"levers.{name}", setting, out)
    for name, ov in doc.get("assumptions", {}).items():
        if set(ov) == {"central"}:
            out[f"assumptions.{name}"] = _text(ov["central"])
        else:
            _flatten(f"assumptions.{name}", ov, out)
    _flatten("trend", doc.get("trend", {}), out)
    for k in ("draws", "seed", "horizon"):
        if k in doc:
            out[k] = _text(doc[k])
    return out


def _shared_start(levers: Mapping[str, Any]) -> tuple[int, int] | None:
    """(start, ramp) when every lever is a ``value`` path with the same start and ramp."""
    forms = {
        (s.get("start"), s.get("ramp_years", 0))
        if isinstance(s, dict) and set(s) <= {"value", "start", "ramp_years"} and "start" in s
        else None
        for s in levers.values()
    }
    if len(forms) == 1 and None not in forms:
        return forms.pop()
    return None


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = _text(value)


def _text(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def scenario_from_query(params: Mapping[str, str], *, first_year: int, source: str = "link") -> Scenario:
    """Validate flat query parameters as a scenario (:func:`scenario_to_query` in reverse).

    Raises :class:`~simulator.errors.InputErrors` naming the parameter, the bad value and what
    is allowed; keys that are not scenario fields get the usual "did you mean".
    """
    doc: dict[str, Any] = {"name": DEFAULT_NAME}
    errors: list[InputError] = []
    start = ramp = None
    for key, raw in params.items():
        if key == COMPARE_KEY:
            continue
        if key in VIEW_KEYS:
            try:
                n = int(raw)
            except ValueError:
                errors.append(InputError("must be a whole number", file=source, field=key, value=raw))
                continue
            if key == "start":
                start = n
            else:
                ramp = n
            continue
        path = _split(key)
        _set(doc, path, _number(raw) if path[0] not in ("name", "description", "base") else raw)
    if errors:
        raise InputErrors(errors)
    if start is not None or ramp is not None:
        for name, setting in list(doc.get("levers", {}).items()):
            if not isinstance(setting, dict):
                path: dict[str, Any] = {"value": setting, "start": start if start is not None else first_year}
                if ramp:
                    path["ramp_years"] = ramp
                doc["levers"][name] = path
    return within_app_limits(validate_scenario(doc, first_year=first_year, source=source), source)


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


def _split(key: str) -> list[str]:
    """Field path of a query key; assumption names contain a dot, so they are matched whole."""
    head, _, rest = key.partition(".")
    if head == "assumptions" and rest:
        for name in ASSUMPTION_BY_NAME:
            if rest == name or rest.startswith(name + "."):
                tail = rest[len(name) + 1 :]
                return [head, name, *([tail] if tail else [])]
        return [head, rest]
    if head == "levers" and rest:
        lever, _, sub = rest.partition(".")
        if sub.startswith("values."):
            return [head, lever, "values", sub.removeprefix("values.")]
        return [head, lever, *([sub] if sub else [])]
    return key.split(".")


def _set(doc: dict[str, Any], path: list[str], value: Any) -> None:
    node = doc
    for p in path[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {} if nxt is None else {"value": nxt}
            node[p] = nxt
        node = nxt
    last = path[-1]
    if isinstance(node.get(last), dict):
        node[last]["value"] = value
    else:
        node[last] = value


def _number(raw: str) -> Any:
    """A query value as a number when it reads as one (validation reports it otherwise)."""
    try:
        f = float(raw)
    except ValueError:
        return raw
    if not math.isfinite(f):
        return raw
    return int(f) if f.is_integer() and "." not in raw and "e" not in raw.lower() else f


def encode_compare(scenarios: list[Scenario]) -> list[str]:
    """Each compared scenario as one URL-encoded query string (a repeated ``compare`` parameter)."""
    return [urlencode({"name": s.name, **scenario_to_query(s, include_name=False)}) for s in scenarios]


def decode_compare(values: list[str], *, first_year: int) -> tuple[list[Scenario], list[InputError]]:
    """Scenarios from ``compare`` parameters; a bad one is reported and left out."""
    out: list[Scenario] = []
    errors: list[InputError] = []
    for i, raw in enumerate(values, start=1):
        try:
            out.append(
                scenario_from_query(dict(parse_qsl(raw)), first_year=first_year, source=f"compare #{i}")
            )
        except InputErrors as exc:
            errors.extend(exc.errors)
    return out, errors
