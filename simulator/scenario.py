"""What a scenario states, validated; and how lever settings become yearly paths.

A scenario names itself, says what it assumes, starts from a base scenario (the baseline by
default) and states only what it changes:

* ``levers``: each lever as a constant from the first projection year, or a path
  (``value`` from a ``start`` year reached over ``ramp_years``, or year-by-year ``values``);
* ``assumptions``: overrides of an effect-size assumption (``central``; ``low``/``central``/
  ``high``; or ``fixed``);
* ``trend``: overrides of the calibrated trend (growth, slowdown, shock size);
* ``draws``, ``seed``, ``horizon``.

The lever and assumption fields are generated from :mod:`simulator.levers`, so a new lever is
validated, documented and offered in the app without touching this module.
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from simulator.errors import InputError, InputErrors
from simulator.levers import ASSUMPTION_BY_NAME, ASSUMPTIONS, LEVER_BY_NAME, LEVERS, Assumption, Lever
from simulator.settings import MAX_DRAWS, MAX_HORIZON, MAX_SEED, MIN_DRAWS

BASELINE = "baseline"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

START_DELAY = 1
"""Years between the first projection year and the default start of a policy change.

The first projection year is the fiscal year after the last reported full year (FY2026 with data
to FY2025). It is under way when a scenario is written, and its year-to-date figures feed the
nowcast when they are in the data, so a policy decided now first changes the year after it.
The app's sidebar, the shipped scenarios and goal seek all start a moved lever from
:func:`default_start_year`; a scenario file may state any start.
"""


def default_start_year(first_year: int) -> int:
    """The fiscal year a moved lever starts from unless a start is stated (FY2027 for data to FY2025)."""
    return first_year + START_DELAY


def default_start_reason(first_year: int, months_in_data: int | None = None) -> str:
    """One sentence saying why a moved lever starts in :func:`default_start_year` by default."""
    start = default_start_year(first_year)
    known = (
        f"its first {months_in_data} months are in the data"
        if months_in_data
        else "part of it has happened before any new policy could act"
    )
    return (
        f"Changes start in FY{start} unless you say otherwise: FY{first_year} (July {first_year - 1} "
        f"to June {first_year}) is under way and {known}."
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Number = Annotated[float, Strict()]
"""A number: an int or a float, never a string or a boolean ("40" and true are mistakes)."""


def _integral(value: object) -> object:
    """A float that is a whole number as an int (YAML reads ``2e4`` as a float); anything else
    unchanged, for the strict check to accept or refuse."""
    # only where a float holds every whole number exactly: 9.2e18 read as a float is
    # 9199999999999999488, so beyond 2^53 the number is refused rather than silently changed
    if isinstance(value, float) and value.is_integer():
        if abs(value) <= 2**53:
            return int(value)
        raise PydanticCustomError("inexact_whole", "whole number beyond 2^53 given as a float")
    return value


Whole = Annotated[int, Strict(), BeforeValidator(_integral)]
"""A whole number: ``20000``, and ``2e4`` or ``20000.0`` too (a number that is whole), never
``2.5``, a string or a boolean."""

# Optional fields are typed without ``| None`` and default to None: a field left out means "not
# changed", but a field written with no value (``tech_zones:``, YAML null) is refused ("has no
# value") instead of silently meaning current policy.


# --------------------------------------------------------------------------- levers


class LeverPath(_Strict):
    """A lever that changes over time.

    Either ``value`` (reached from ``start``, linearly over ``ramp_years``; before ``start`` the
    lever stays at current policy) or ``values`` (year -> value; linear between the years
    given, current policy before the first, the last value after it).
    """

    value: Number = None  # type: ignore[assignment]
    start: Whole = Field(default=None, description="first fiscal year of the change")  # type: ignore[assignment]
    ramp_years: Whole = Field(
        default=0, ge=0, le=30, description="years to reach the value (0 or 1: at once)"
    )
    values: dict[int, Number] = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _one_form(self) -> LeverPath:
        if (self.value is None) == (self.values is None):
            raise PydanticCustomError("lever_form", "give either `value` or `values`, not both or neither")
        if self.values is not None and (self.start is not None or self.ramp_years):
            raise PydanticCustomError(
                "lever_form", "`start` and `ramp_years` go with `value`, not with `values`"
            )
        if self.values is not None and not self.values:
            raise PydanticCustomError("lever_form", "`values` needs at least one year")
        return self


LeverSetting = Number | LeverPath


def _range_error(lever: Lever, path: str, value: float) -> PydanticCustomError:
    return PydanticCustomError(
        "lever_range",
        "{path} is outside the lever's range",
        {"path": path, "value": value, "allowed": lever.range_text},
    )


def _year_error(path: str, year: int, first: int, last: int) -> PydanticCustomError:
    return PydanticCustomError(
        "year_range",
        "{path} is a year outside the model's range",
        {"path": path, "value": year, "allowed": f"fiscal years {first} to {last}"},
    )


def _whole_error(lever: Lever, path: str, value: float) -> PydanticCustomError:
    return PydanticCustomError(
        "lever_whole",
        "{path} is not a whole number",
        {"path": path, "value": value, "allowed": f"whole numbers, {lever.range_text}"},
    )


def _check_value(lever: Lever, path: str, value: float, whole: bool) -> None:
    if not _finite(value) or not lever.min <= value <= lever.max:
        raise _range_error(lever, path, value)
    if whole and lever.whole and not float(value).is_integer():
        raise _whole_error(lever, path, value)


def _check_lever(lever: Lever):
    def check(setting: LeverSetting, info: ValidationInfo) -> LeverSetting:
        ctx = info.context or {}
        first, last, whole = ctx.get("first_year"), ctx.get("last_year"), bool(ctx.get("whole_counts"))
        if isinstance(setting, int | float):
            _check_value(lever, "", setting, whole)  # the lever itself holds the value
            return float(setting)
        if setting.value is not None:
            _check_value(lever, "value", setting.value, whole)
        for y, v in (setting.values or {}).items():
            # a year of a path is that year's average: a ramp from 23 to 60 zones passes 37.8,
            # so a year-by-year path (one written by goal seek, say) may hold part-counts
            _check_value(lever, f"values.{y}", v, whole=False)
        if first is not None and last is not None:
            years = [("start", setting.start)] if setting.start is not None else []
            years += [(f"values.{y}", y) for y in (setting.values or {})]
            for path, y in years:
                if not first <= y <= last:
                    raise _year_error(path, y, first, last)
        return setting

    return check


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _levers_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for lv in LEVERS:
        fields[lv.name] = (
            Annotated[LeverSetting, AfterValidator(_check_lever(lv))],
            Field(
                None, description=f"{lv.label} ({lv.unit}), {lv.range_text}; current policy {lv.default:g}"
            ),
        )
    return create_model("Levers", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


Levers = _levers_model()


# --------------------------------------------------------------------------- assumptions


class AssumptionOverride(_Strict):
    """Override of an effect-size assumption.

    ``central`` alone moves the mode and scales the range with it; ``low``, ``central`` and
    ``high`` together set the triangular distribution; ``fixed`` removes the uncertainty.
    """

    low: Number = None  # type: ignore[assignment]
    central: Number = None  # type: ignore[assignment]
    high: Number = None  # type: ignore[assignment]
    fixed: Number = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _form(self) -> AssumptionOverride:
        given = {k for k in ("low", "central", "high", "fixed") if getattr(self, k) is not None}
        if given not in ({"fixed"}, {"central"}, {"low", "central", "high"}):
            raise PydanticCustomError(
                "assumption_form",
                "give `fixed`, or `central`, or all of `low`, `central` and `high`",
            )
        if given == {"low", "central", "high"} and not self.low <= self.central <= self.high:
            raise PydanticCustomError("assumption_form", "need low <= central <= high")
        return self

    def apply(self, a: Assumption) -> tuple[float, float, float]:
        """The (low, central, high) this override gives assumption ``a``."""
        if self.fixed is not None:
            return (self.fixed, self.fixed, self.fixed)
        if self.low is not None:
            return (self.low, self.central, self.high)
        c = self.central
        if a.central != 0:
            k = c / a.central
            low, high = a.low * k, a.high * k
        else:
            low, high = a.low + c, a.high + c
        lo, hi = a.bounds
        return (max(lo, min(low, c)), c, min(hi, max(high, c)))


def _check_assumption(a: Assumption):
    def check(v: AssumptionOverride | Number) -> AssumptionOverride:
        ov = AssumptionOverride(central=float(v)) if isinstance(v, int | float) else v
        lo, hi = a.bounds
        for part in ("low", "central", "high", "fixed"):
            x = getattr(ov, part)
            if x is not None and (not _finite(x) or not lo <= x <= hi):
                raise PydanticCustomError(
                    "assumption_range",
                    "{path} is outside the allowed range",
                    {"path": part, "value": x, "allowed": f"{lo:g} to {hi:g} {a.unit}"},
                )
        return ov

    return check


def _field_name(assumption_name: str) -> str:
    return assumption_name.replace(".", "__")


def _assumptions_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for a in ASSUMPTIONS:
        fields[_field_name(a.name)] = (
            Annotated[AssumptionOverride | Number, AfterValidator(_check_assumption(a))],
            Field(None, alias=a.name, description=f"{a.label} ({a.unit})"),
        )
    return create_model(
        "Assumptions", __config__=ConfigDict(extra="forbid", frozen=True, populate_by_name=False), **fields
    )


Assumptions = _assumptions_model()


# --------------------------------------------------------------------------- trend


class TrendOverride(_Strict):
    """Overrides of the calibrated trend: each field replaces what the fit gives."""

    growth_pct: Number = Field(  # type: ignore[assignment]
        default=None,
        ge=-10,
        le=40,
        description="central trend growth of the core, % a year (calibrated by default)",
    )
    slowdown_per_doubling: Number = Field(  # type: ignore[assignment]
        default=None,
        ge=0,
        le=20,
        description="points of growth lost each time the sector doubles (0 = no slowdown)",
    )
    shock_scale: Number = Field(  # type: ignore[assignment]
        default=None,
        ge=0,
        le=3,
        description="multiplies the calibrated size of yearly shocks (1 = as calibrated)",
    )


# --------------------------------------------------------------------------- scenario


class Scenario(_Strict):
    """A scenario as written: what it changes relative to its base."""

    name: str = Field(pattern=NAME_PATTERN, description="short name: letters, digits, - _ .")
    description: str = ""
    base: str | None = Field(
        default=BASELINE, description="scenario this one starts from (default: baseline)"
    )
    levers: Levers = Field(default_factory=Levers)  # type: ignore[valid-type]
    assumptions: Assumptions = Field(default_factory=Assumptions)  # type: ignore[valid-type]
    trend: TrendOverride = Field(default_factory=TrendOverride)
    draws: Whole = Field(default=None, ge=MIN_DRAWS, le=MAX_DRAWS)  # type: ignore[assignment]
    seed: Whole = Field(default=None, ge=0, le=MAX_SEED)  # type: ignore[assignment]
    horizon: Whole = Field(default=None, le=MAX_HORIZON)  # type: ignore[assignment]

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, v: int | None, info: ValidationInfo) -> int | None:
        first = (info.context or {}).get("first_year")
        if v is not None and first is not None and not first <= v <= MAX_HORIZON:
            raise PydanticCustomError(
                "year_range",
                "horizon is a year outside the model's range",
                {"value": v, "allowed": f"fiscal years {first} to {MAX_HORIZON}"},
            )
        return v

    # ---- convenience views

    def lever_settings(self) -> dict[str, LeverSetting]:
        return {k: getattr(self.levers, k) for k in LEVER_BY_NAME if getattr(self.levers, k) is not None}

    def assumption_overrides(self) -> dict[str, AssumptionOverride]:
        out = {}
        for a in ASSUMPTIONS:
            v = getattr(self.assumptions, _field_name(a.name))
            if v is not None:
                out[a.name] = v
        return out

    def merged_onto(self, base: Scenario) -> Scenario:
        """This scenario's changes applied on top of ``base`` (the result has no base)."""
        levers = {**base.lever_settings(), **self.lever_settings()}
        assumptions = {**base.assumption_overrides(), **self.assumption_overrides()}
        trend = {**base.trend.model_dump(exclude_none=True), **self.trend.model_dump(exclude_none=True)}
        return Scenario.model_construct(
            name=self.name,
            description=self.description,
            base=None,
            levers=Levers.model_construct(None, **levers),
            assumptions=Assumptions.model_construct(
                None, **{_field_name(k): v for k, v in assumptions.items()}
            ),
            trend=TrendOverride(**trend),
            draws=self.draws if self.draws is not None else base.draws,
            seed=self.seed if self.seed is not None else base.seed,
            horizon=self.horizon if self.horizon is not None else base.horizon,
        )

    def to_document(self) -> dict[str, Any]:
        """The scenario as a plain mapping, in the YAML file layout (round-trips through validation)."""
        doc: dict[str, Any] = {"name": self.name}
        if self.description:
            doc["description"] = self.description
        if self.base is not None:
            doc["base"] = self.base
        levers = {}
        for k, v in self.lever_settings().items():
            levers[k] = (
                v.model_dump(exclude_none=True, exclude_defaults=True)
                if isinstance(v, LeverPath)
                else _num(v)
            )
        if levers:
            doc["levers"] = levers
        assumptions = {k: v.model_dump(exclude_none=True) for k, v in self.assumption_overrides().items()}
        if assumptions:
            doc["assumptions"] = assumptions
        trend = self.trend.model_dump(exclude_none=True)
        if trend:
            doc["trend"] = trend
        for k in ("draws", "seed", "horizon"):
            if getattr(self, k) is not None:
                doc[k] = getattr(self, k)
        return doc


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def baseline_scenario() -> Scenario:
    return Scenario(name=BASELINE, description="Current policy: every lever at its default.", base=None)


# --------------------------------------------------------------------------- validation


def default_assumption_baseline(scenario: Scenario) -> Scenario | None:
    """Current policy with the default assumptions and trend (the scenario's draws, seed and
    horizon), if ``scenario`` changes an assumption or the trend; else ``None``. The app's chart
    (and ``Result.chart()``) then also shows it."""
    if not scenario.assumption_overrides() and not scenario.trend.model_dump(exclude_none=True):
        return None
    return baseline_scenario().model_copy(
        update={"draws": scenario.draws, "seed": scenario.seed, "horizon": scenario.horizon}
    )


def validate_scenario(
    data: object,
    *,
    first_year: int | None = None,
    last_year: int = MAX_HORIZON,
    source: str | None = None,
    whole_counts: bool | None = None,
) -> Scenario:
    """Validate a mapping as a :class:`Scenario`; every problem becomes an :class:`InputError`.

    ``first_year`` is the first projection year; lever years must lie in ``[first_year,
    last_year]``. A lever that counts things (:attr:`~simulator.levers.Lever.whole`) must be a
    whole number when ``whole_counts`` is true, which by default it is for anything a user wrote
    (a ``source`` is named: a file, a link, the sidebar, ``--set``); a search that moves levers
    continuously (goal seek) may pass fractions. Raises :class:`InputErrors` listing each problem
    once.
    """
    if not isinstance(data, dict):
        raise InputErrors(
            [
                InputError(
                    "a scenario must be a mapping of fields",
                    file=source,
                    value=type(data).__name__,
                    allowed="name, description, base, levers, assumptions, trend, draws, seed, horizon",
                )
            ]
        )
    try:
        whole = whole_counts if whole_counts is not None else source is not None
        context = {"first_year": first_year, "last_year": last_year, "whole_counts": whole}
        return Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputErrors(translate_errors(exc, data, source)) from None


_TOP_FIELDS = tuple(Scenario.model_fields)
_ASSUMPTION_KEYS = tuple(ASSUMPTION_BY_NAME)
_LEVER_KEYS = tuple(LEVER_BY_NAME)


def translate_errors(exc: ValidationError, data: dict, source: str | None) -> list[InputError]:
    """Pydantic's errors as InputErrors: one per problem, with the field path and a hint."""
    out: list[InputError] = []
    seen: set[str] = set()
    for err in exc.errors():
        found = _translate(err)
        if found is None:
            continue
        loc, problem, value, allowed = found
        path = ".".join(loc)
        # a union reports each branch; keep the first message per path
        if path in seen:
            continue
        seen.add(path)
        out.append(InputError(problem, file=source, field=path or None, value=value, allowed=allowed))
    return out


_Translated = tuple[list[str], str, object, str | None]
"""(field path, problem, value shown, what is allowed) of one error."""


def _translate(err: ErrorDetails) -> _Translated | None:
    """One pydantic error in the user's words; ``None`` for a union branch's noise."""
    loc = [_dotted_assumption(str(p)) for p in err["loc"] if not _is_union_tag(p)]
    etype, value = err["type"], err.get("input")
    ctx: dict = err.get("ctx", {}) or {}
    if "[key]" in loc:  # a mapping key of the wrong type: name the mapping, not ".[key]"
        return loc[: loc.index("[key]") - 1], _NOT_A_YEAR_KEY, value, None
    if value is None and etype in _TYPE_PROBLEMS:
        return loc, _NO_VALUE, None, None
    if etype in _RANGE_PROBLEMS:
        sub = str(ctx.get("path", ""))
        if sub and sub not in loc[-1:]:
            loc = [*loc, *sub.split(".")]
        return loc, _RANGE_PROBLEMS[etype], ctx.get("value"), ctx.get("allowed")
    if etype == "extra_forbidden":
        return _unknown_field(loc)
    if etype == "invalid_key":  # a number (or true, a date) where a field's name belongs
        return (
            loc,
            "is not a field name (a name is letters: a number cannot be one)",
            None,
            (", ".join(_choices_for(loc[:-1]))),
        )
    if etype == "missing":
        return loc, "is required", None, None
    if etype.startswith(("greater_than", "less_than")):
        return loc, "is out of range", value, _RANGES.get(".".join(loc)) or _bound_text(etype, ctx)
    if etype in ("lever_form", "assumption_form"):
        return loc, err["msg"], None, None
    if _union_branch_noise(etype, value, loc):
        return None
    return loc, _type_problem(etype, loc) or err["msg"], value, None


def _unknown_field(loc: list[str]) -> _Translated:
    key, parent = loc[-1], loc[:-1]
    choices = _choices_for(parent)
    problem = "is not a known field"
    hint = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    if hint:
        problem += f"; did you mean '{hint[0]}'?"
    return loc, problem, None, ", ".join(choices)


def _union_branch_noise(etype: str, value: object, loc: list[str]) -> bool:
    """A branch of a number-or-mapping union that failed because the other branch applies."""
    if etype in ("float_parsing", "float_type") and isinstance(value, dict):
        return True  # a mapping failed the number branch; the mapping branch says why
    # a scalar failed the mapping branch of a lever or an assumption; the number branch says why
    return etype in ("model_type", "dict_type") and len(loc) == 2 and loc[0] in ("levers", "assumptions")


def _type_problem(etype: str, loc: list[str]) -> str | None:
    if etype in ("float_parsing", "float_type") and len(loc) == 2 and loc[0] == "levers":
        return "must be a number, or a mapping with `value` (and `start`, `ramp_years`) or `values`"
    if etype == "string_pattern_mismatch":
        return "must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"
    return _TYPE_PROBLEMS.get(etype)


_NOT_A_YEAR_KEY = "has a key that is not a fiscal year (a whole number)"
_NO_VALUE = "has no value; give one, or remove the field to keep what the base scenario says"
_TYPE_PROBLEMS = {
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "inexact_whole": "must be written in digits (beyond 2^53 an exponent or a decimal point is not exact)",
    "string_type": "must be text",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "bool_type": "must be true or false",
}
_RANGE_PROBLEMS = {
    "lever_range": "is outside the lever's range",
    "lever_whole": "must be a whole number (it counts things)",
    "year_range": "is outside the model's years",
    "assumption_range": "is outside the allowed range",
}
_RANGES = {
    "seed": f"a whole number from 0 to {MAX_SEED} (2^63-1)",
}
"""What a field allows, where its one violated bound would not say it well."""


def _is_union_tag(p: object) -> bool:
    """Pydantic names union branches in error locations; they mean nothing to a user."""
    return isinstance(p, str) and (
        p in ("float", "int", "LeverPath", "AssumptionOverride")
        or p.startswith(("function-after", "union[", "nullable["))
    )


def _dotted_assumption(p: str) -> str:
    return p.replace("__", ".") if "__" in p else p


def _choices_for(parent: list[str]) -> tuple[str, ...]:
    if not parent:
        return _TOP_FIELDS
    if parent == ["levers"]:
        return _LEVER_KEYS
    if parent == ["assumptions"]:
        return _ASSUMPTION_KEYS
    if parent == ["trend"]:
        return tuple(TrendOverride.model_fields)
    if len(parent) == 2 and parent[0] == "levers":
        return tuple(LeverPath.model_fields)
    if len(parent) == 2 and parent[0] == "assumptions":
        return tuple(AssumptionOverride.model_fields)
    return ()


def _bound_text(etype: str, ctx: dict) -> str:
    for key, word in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than")):
        if key in ctx:
            return f"{word} {ctx[key]}"
    return ""


# --------------------------------------------------------------------------- paths


def lever_path(lever: Lever, setting: LeverSetting | None, years: np.ndarray) -> np.ndarray:
    """Yearly values of ``lever`` over the projection ``years`` under ``setting``."""
    out = np.full(years.shape, float(lever.default))
    if setting is None:
        return out
    if isinstance(setting, int | float):
        out[:] = float(setting)
        return out
    if setting.value is not None:
        start = setting.start if setting.start is not None else int(years[0])
        ramp = max(setting.ramp_years, 1)
        k = years - start + 1
        frac = np.clip(k / ramp, 0.0, 1.0)
        return lever.default + (setting.value - lever.default) * frac
    pts = sorted(setting.values.items())
    xs = np.array([p[0] for p in pts], float)
    ys = np.array([p[1] for p in pts], float)
    interp = np.interp(years, xs, ys)
    return np.where(years < xs[0], lever.default, interp)


def is_current_policy(lever: Lever, setting: LeverSetting | None) -> bool:
    """Whether ``setting`` holds ``lever`` at current policy in every year (so it can be left out:
    :func:`lever_path` then gives exactly the default, whatever the start, ramp or years)."""
    if setting is None:
        return True
    if isinstance(setting, int | float):
        return float(setting) == lever.default
    if setting.value is not None:
        return float(setting.value) == lever.default
    return all(float(v) == lever.default for v in setting.values.values())


def lever_paths(scenario: Scenario, years: np.ndarray) -> dict[str, np.ndarray]:
    settings = scenario.lever_settings()
    return {lv.name: lever_path(lv, settings.get(lv.name), years) for lv in LEVERS}


def assumption_triples(scenario: Scenario) -> dict[str, tuple[float, float, float]]:
    """(low, central, high) of every assumption after the scenario's overrides."""
    overrides = scenario.assumption_overrides()
    return {
        a.name: overrides[a.name].apply(a) if a.name in overrides else (a.low, a.central, a.high)
        for a in ASSUMPTIONS
    }
