"""Sweeps over the policy space: a sweep file, its points, and scoring them on common draws.

A sweep file (YAML, read with the strict loader of scenario files) names a base scenario, the
levers to vary and how, the targets to score, and when the moves start::

    name: zones-and-payments
    base: baseline              # a shipped scenario's name or a scenario file (relative to this file)
    levers:
      tech_zones: [10, 23, 40, 60]                      # a list of values
      formal_channel_share: {from: 50, to: 100, step: 10}  # a range with a step (both ends included)
    targets: [pseb-25b-fy2030]  # default: every open target with a deadline by the horizon
    start: 2027                 # first year of the moves (default: the project's default start year)
    ramp_years: 2               # years to reach each value (default 1: at once)
    draws: 10000                # draws, seed, horizon: default the run's settings (--draws, ...)

The points are the full factorial of the levers' values, in the order the levers are written
(the last lever varies fastest). With ``sample: {points: N, seed: S}`` they are instead a Latin
hypercube of ``N`` points (:class:`scipy.stats.qmc.LatinHypercube`, seeded) over each lever's
``{from, to}`` (counts rounded to whole numbers).

Every point is scored with the same draws (common random numbers): the base scenario's draws,
through :meth:`simulator.engine.Engine.scorer`, exactly as ``simulator run`` would report that
point as a scenario file (tested). A point is a pure function of the spec and its index, so any
chunk of points can be scored anywhere, in any order, and the result does not depend on how.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from simulator.data import Target
from simulator.engine import Engine, Scorer
from simulator.errors import InputError, InputErrors
from simulator.executors import worker_state
from simulator.levers import LEVER_BY_NAME, Lever
from simulator.scenario import (
    LeverPath,
    Levers,
    Scenario,
    default_start_year,
)
from simulator.settings import MAX_DRAWS, MAX_HORIZON, MAX_SEED, MIN_DRAWS, Settings
from simulator.strict_yaml import line_for, parse_yaml

FIELDS = ("name", "description", "base", "levers", "sample", "targets", "start", "ramp_years")
FIELDS_RUN = ("draws", "seed", "horizon")
RANGE_KEYS = ("from", "to", "step")
SAMPLE_KEYS = ("points", "seed")
MAX_POINTS = 10_000_000
"""The most points a sweep may have (with ``--yes``)."""
PERCENTILES = (10.0, 50.0, 90.0)


@dataclass(frozen=True)
class Axis:
    """One lever of a sweep: its grid of values (a factorial sweep) or its ``[low, high]`` (a sample)."""

    lever: str
    values: tuple[float, ...] = ()
    low: float = math.nan
    high: float = math.nan


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    name: str
    source: str
    sha256: str
    base: str
    axes: tuple[Axis, ...]
    sample_points: int | None
    sample_seed: int
    target_ids: tuple[str, ...] | None
    start: int
    ramp_years: int
    draws: int | None
    seed: int | None
    horizon: int | None
    document: dict[str, Any]

    @property
    def size(self) -> int:
        """The number of points."""
        if self.sample_points is not None:
            return self.sample_points
        return math.prod(len(a.values) for a in self.axes)

    @property
    def levers(self) -> tuple[str, ...]:
        return tuple(a.lever for a in self.axes)


# --------------------------------------------------------------------------- reading a sweep file


class _Check:
    """Collects every problem of a sweep file, each with its line."""

    def __init__(self, source: str, lines: dict[str, int]):
        self.source, self.lines = source, lines
        self.errors: list[InputError] = []

    def fail(self, field: str | None, problem: str, value: object = None, allowed: str | None = None) -> None:
        line = line_for(field, self.lines) if field else self.lines.get("")
        self.errors.append(
            InputError(problem, file=self.source, line=line, field=field, value=value, allowed=allowed)
        )

    def unknown(self, field: str, key: str, choices: Sequence[str]) -> None:
        hint = difflib.get_close_matches(str(key), choices, n=1, cutoff=0.6)
        problem = "is not a known field" + (f"; did you mean '{hint[0]}'?" if hint else "")
        self.fail(field, problem, allowed=", ".join(choices))

    def number(self, field: str, value: object, *, whole: bool = False) -> float | None:
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(field, f"must be {kind}", value)
            return None
        if whole and not float(value).is_integer():
            self.fail(field, f"must be {kind}", value)
            return None
        return float(value)

    def whole_in(self, field: str, value: object, lo: int, hi: int) -> int | None:
        x = self.number(field, value, whole=True)
        if x is not None and not lo <= x <= hi:
            self.fail(field, "is out of range", value, f"{lo} to {hi}")
            return None
        return None if x is None else int(x)


def read_sweep_file(path: str | Path, *, first_year: int) -> SweepSpec:
    """Read and validate a sweep file; raise :class:`InputErrors` listing every problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputErrors([InputError("no such file", file=str(path))]) from None
    except IsADirectoryError:
        raise InputErrors([InputError("is a folder, not a sweep file", file=str(path))]) from None
    except OSError as exc:
        raise InputErrors([InputError(f"cannot be read: {exc.strerror or exc}", file=str(path))]) from None
    return read_sweep_text(raw, str(path), first_year=first_year)


def read_sweep_text(raw: bytes | str, source: str, *, first_year: int) -> SweepSpec:
    """:func:`read_sweep_file` of a text."""
    data, lines = parse_yaml(raw, source)
    check = _Check(source, lines)
    if not isinstance(data, dict):
        check.fail(None, "a sweep file must be a mapping of fields", type(data).__name__, ", ".join(FIELDS))
        raise InputErrors(check.errors)
    for key in data:
        if key not in FIELDS + FIELDS_RUN:
            check.unknown(str(key), str(key), FIELDS + FIELDS_RUN)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        check.fail("name", "is required: a short name for the sweep", name)
    base = data.get("base", "baseline")
    if not isinstance(base, str) or not base:
        check.fail("base", "must be a shipped scenario's name or a scenario file", base)
    sample = _sample(check, data.get("sample"))
    axes = _axes(check, data.get("levers"), sampled=sample is not None)
    targets = _targets(check, data.get("targets"))
    start = data.get("start", default_start_year(first_year))
    start_year = check.whole_in("start", start, first_year, MAX_HORIZON)
    ramp = check.whole_in("ramp_years", data.get("ramp_years", 1), 0, 30)
    run = {k: _run_setting(check, k, data.get(k), first_year) for k in FIELDS_RUN}
    if check.errors:
        raise InputErrors(sorted(check.errors, key=lambda e: e.line or 0))
    assert start_year is not None and ramp is not None and isinstance(base, str) and isinstance(name, str)
    return SweepSpec(
        name=name,
        source=source,
        sha256=hashlib.sha256(raw if isinstance(raw, bytes) else raw.encode()).hexdigest(),
        base=base,
        axes=axes,
        sample_points=sample[0] if sample else None,
        sample_seed=sample[1] if sample else 0,
        target_ids=targets,
        start=start_year,
        ramp_years=ramp,
        draws=run["draws"],
        seed=run["seed"],
        horizon=run["horizon"],
        document=data,
    )


def _run_setting(check: _Check, key: str, value: object, first_year: int) -> int | None:
    if value is None:
        return None
    lo, hi = {"draws": (MIN_DRAWS, MAX_DRAWS), "seed": (0, MAX_SEED), "horizon": (first_year, MAX_HORIZON)}[
        key
    ]
    return check.whole_in(key, value, lo, hi)


def _sample(check: _Check, value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        check.fail("sample", "must be a mapping", value, "points (and seed)")
        return None
    for k in value:
        if k not in SAMPLE_KEYS:
            check.unknown(f"sample.{k}", str(k), SAMPLE_KEYS)
    if "points" not in value:
        check.fail("sample.points", "is required", allowed=f"1 to {MAX_POINTS:,}")
        return None
    n = check.whole_in("sample.points", value["points"], 1, MAX_POINTS)
    seed = check.whole_in("sample.seed", value.get("seed", 0), 0, MAX_SEED)
    return (n, seed) if n is not None and seed is not None else None


def _axes(check: _Check, value: object, *, sampled: bool) -> tuple[Axis, ...]:
    if not isinstance(value, dict) or not value:
        check.fail("levers", "must name at least one lever to vary", value, ", ".join(LEVER_BY_NAME))
        return ()
    axes = []
    for key, setting in value.items():
        lever = LEVER_BY_NAME.get(str(key))
        if lever is None:
            check.unknown(f"levers.{key}", str(key), tuple(LEVER_BY_NAME))
            continue
        axis = _axis(check, lever, setting, sampled=sampled)
        if axis is not None:
            axes.append(axis)
    return tuple(axes)


def _axis(check: _Check, lever: Lever, setting: object, *, sampled: bool) -> Axis | None:
    field = f"levers.{lever.name}"
    if isinstance(setting, dict):
        return _range_axis(check, lever, setting, sampled=sampled)
    if sampled:
        check.fail(field, "must be a range {from, to} when the points are sampled", setting)
        return None
    if not isinstance(setting, list) or not setting:
        check.fail(field, "must be a list of values or a range {from, to, step}", setting)
        return None
    values = [_in_range(check, f"{field}", lever, v) for v in setting]
    found = [v for v in values if v is not None]
    if len(found) < len(values):
        return None
    return _grid(check, field, lever, tuple(found))


def _range_axis(check: _Check, lever: Lever, setting: dict, *, sampled: bool) -> Axis | None:
    field = f"levers.{lever.name}"
    for k in setting:
        if k not in RANGE_KEYS:
            check.unknown(f"{field}.{k}", str(k), RANGE_KEYS)
    lo = _in_range(check, f"{field}.from", lever, setting.get("from"))
    hi = _in_range(check, f"{field}.to", lever, setting.get("to"))
    if lo is None or hi is None:
        return None
    if hi < lo:
        check.fail(f"{field}.to", "is below `from`", hi, f"at least {lo:g}")
        return None
    if sampled:
        if "step" in setting:
            check.fail(f"{field}.step", "is not used with `sample` (the points are sampled)")
        return Axis(lever.name, low=lo, high=hi)
    step = check.number(f"{field}.step", setting.get("step"))
    if step is None or step <= 0:
        if step is not None:
            check.fail(f"{field}.step", "must be more than 0", step)
        return None
    count = math.floor((hi - lo) / step + 1e-9) + 1
    return _grid(check, field, lever, tuple(float(round(lo + i * step, 10)) for i in range(count)))


def _grid(check: _Check, field: str, lever: Lever, values: tuple[float, ...]) -> Axis | None:
    if lever.whole and any(not v.is_integer() for v in values):
        check.fail(
            field, "must be whole numbers (it counts things)", [v for v in values if not v.is_integer()]
        )
        return None
    if len(set(values)) != len(values):
        check.fail(field, "has a value twice", list(values))
        return None
    return Axis(lever.name, values=values)


def _in_range(check: _Check, field: str, lever: Lever, value: object) -> float | None:
    if value is None:
        check.fail(field, "is required", allowed=lever.range_text)
        return None
    x = check.number(field, value)
    if x is not None and not lever.min <= x <= lever.max:
        check.fail(field, "is outside the lever's range", value, lever.range_text)
        return None
    return x


def _targets(check: _Check, value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        check.fail("targets", "must be a list of target ids", value)
        return None
    return tuple(value)


# --------------------------------------------------------------------------- the points


def point_values(spec: SweepSpec, start: int, stop: int) -> np.ndarray:
    """The lever values of points ``start`` to ``stop - 1``, (points x levers)."""
    if spec.sample_points is not None:
        return sample_values(spec)[start:stop]
    shape = tuple(len(a.values) for a in spec.axes)
    index = np.unravel_index(np.arange(start, stop), shape)
    return np.column_stack([np.asarray(a.values)[i] for a, i in zip(spec.axes, index, strict=True)])


def sample_values(spec: SweepSpec) -> np.ndarray:
    """Every point of a sampled sweep: a seeded Latin hypercube over the levers' ranges."""
    return worker_state(("sweep-sample", spec.sha256), lambda: _sample_values(spec))


def _sample_values(spec: SweepSpec) -> np.ndarray:
    assert spec.sample_points is not None
    unit = qmc.LatinHypercube(d=len(spec.axes), seed=spec.sample_seed).random(spec.sample_points)
    lo = np.array([a.low for a in spec.axes])
    hi = np.array([a.high for a in spec.axes])
    out = lo + unit * (hi - lo)
    for j, a in enumerate(spec.axes):
        if LEVER_BY_NAME[a.lever].whole:
            out[:, j] = np.round(out[:, j])
    return out


def point_scenario(spec: SweepSpec, base: Scenario, values: Sequence[float], name: str) -> Scenario:
    """A point as a scenario: ``base`` with each swept lever moved to its value from the spec's
    start over its ramp (what a scenario file with those ``levers:`` gives)."""
    levers = dict(zip(spec.levers, values, strict=True))
    return moved(base, levers, start=spec.start, ramp_years=spec.ramp_years, name=name)


def moved(base: Scenario, values: dict[str, float], *, start: int, ramp_years: int, name: str) -> Scenario:
    """``base`` with each lever in ``values`` moved to its value from ``start`` over ``ramp_years``."""
    moves = {
        lever: LeverPath.model_construct(value=float(v), start=start, ramp_years=ramp_years)
        for lever, v in values.items()
    }
    point = Scenario.model_construct(
        name=name,
        description="",
        base=None,
        levers=Levers.model_construct(None, **moves),
        assumptions=base.assumptions,
        trend=base.trend,
        draws=None,
        seed=None,
        horizon=None,
    )
    return point.merged_onto(base)


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class SweepPlan:
    """Everything a worker needs to score chunks of a sweep (small; sent with every chunk)."""

    spec: SweepSpec
    base: Scenario
    settings: Settings
    targets: tuple[Target, ...]
    years: tuple[int, ...]
    draws: int
    seed: int
    horizon: int
    fingerprint: tuple[str, str, str] = ("", "", "")
    """(package version, data SHA-256, fitted parameters' SHA-256) of the parent's engine: a
    worker whose own differ refuses to score (a cluster's workers must run the same model)."""

    @property
    def key(self) -> str:
        """What the results depend on, as a digest (a resumed sweep must match it)."""
        doc = {
            "spec": self.spec.sha256,
            "base": self.base.to_document(),
            "targets": [t.id for t in self.targets],
            "draws": self.draws,
            "seed": self.seed,
            "horizon": self.horizon,
            "engine": list(self.fingerprint),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()

    def columns(self) -> list[str]:
        """The result table's columns, in order."""
        cols = ["point", *self.spec.levers]
        cols += [f"p_{t.id}" for t in self.targets]
        cols += [f"exports_p{q:g}_fy{y}" for y in self.years for q in PERCENTILES]
        return cols


def plan_sweep(spec: SweepSpec, base: Scenario, engine: Engine, settings: Settings) -> SweepPlan:
    """Resolve the targets, the percentile years and the draws of ``spec``; InputError if bad."""
    draws = spec.draws if spec.draws is not None else base.draws if base.draws is not None else settings.draws
    seed = spec.seed if spec.seed is not None else base.seed if base.seed is not None else settings.seed
    horizon = spec.horizon or base.horizon or settings.horizon
    targets = resolve_targets(spec, engine, horizon)
    first = engine.first_projection_year
    years = tuple(
        sorted({t.deadline_fy for t in targets if t.deadline_fy is not None and t.deadline_fy >= first})
    )
    return SweepPlan(spec, base, settings, tuple(targets), years, draws, seed, horizon, fingerprint(engine))


def fingerprint(engine: Engine) -> tuple[str, str, str]:
    """What makes two engines give the same numbers: the package version, the data, the fit."""
    from simulator import __version__

    return (__version__, engine.data.sha256, engine.params.sha256())


def resolve_targets(spec: SweepSpec, engine: Engine, horizon: int) -> list[Target]:
    """The spec's targets (default: every open target with a deadline by ``horizon``)."""
    if spec.target_ids is None:
        found = [t for t in engine.open_targets() if t.deadline_fy is not None and t.deadline_fy <= horizon]
        if not found:
            raise InputError(
                "no open target has a deadline by the horizon", file=spec.source, field="targets"
            )
        return found
    by_id = {t.id: t for t in engine.data.targets}
    out = []
    for tid in spec.target_ids:
        if tid not in by_id:
            hint = difflib.get_close_matches(tid, list(by_id), n=1, cutoff=0.6)
            raise InputError(
                "is not a known target" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                file=spec.source,
                field="targets",
                value=tid,
                allowed=", ".join(t.id for t in engine.open_targets()),
            )
        out.append(by_id[tid])
    return out


@dataclass(frozen=True)
class ChunkContext:
    """A task's context: the plan, and in this process the caller's engine."""

    plan: SweepPlan
    engine: Engine | None = None


def scorer_for(context: ChunkContext) -> Scorer:
    """This process's scorer for the plan: the engine and the draws are made once per worker."""
    return worker_state(("sweep", context.plan.key), lambda: make_scorer(context))


def make_scorer(context: ChunkContext) -> Scorer:
    plan = context.plan
    engine = context.engine if context.engine is not None else Engine.from_settings(plan.settings)
    if fingerprint(engine) != plan.fingerprint:
        raise InputError(
            "a worker runs another version of the model than the command (package version, data "
            "or fitted parameters differ); install the same version with the same data on every worker",
            field="--scheduler",
            value=f"worker {fingerprint(engine)}, command {plan.fingerprint}",
            show_value=True,
        )
    base = plan.base.model_copy(update={"draws": plan.draws, "seed": plan.seed, "horizon": plan.horizon})
    draws = engine.cached_draws(base, plan.settings)
    return engine.scorer(draws, targets=plan.targets, years=plan.years, percentiles=PERCENTILES)


def score_chunk(context: ChunkContext, bounds: tuple[int, int]) -> np.ndarray:
    """Task: the rows of points ``bounds[0]`` to ``bounds[1] - 1``, (points x columns) float64."""
    plan = context.plan
    scorer = scorer_for(context)
    start, stop = bounds
    values = point_values(plan.spec, start, stop)
    out = np.empty((stop - start, len(plan.columns())))
    out[:, 0] = np.arange(start, stop)
    out[:, 1 : 1 + values.shape[1]] = values
    col = 1 + values.shape[1]
    for i, v in enumerate(values):
        odds, qs = scorer.score(point_scenario(plan.spec, plan.base, v, "point"))
        out[i, col : col + len(odds)] = odds
        out[i, col + len(odds) :] = qs.reshape(-1)
    return out


def chunk_bounds(size: int, chunk: int) -> list[tuple[int, int]]:
    """Fixed chunks of ``chunk`` points (the last may be shorter)."""
    return [(i, min(size, i + chunk)) for i in range(0, size, chunk)]


def grid_points(spec: SweepSpec) -> list[tuple[float, ...]]:
    """Every point of a factorial sweep, in order (small sweeps; tests)."""
    return list(itertools.product(*(a.values for a in spec.axes)))
