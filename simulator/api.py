"""The simulator from Python: a small API for notebooks (``docs/notebook.md`` walks through it).

>>> from simulator import Simulator
>>> sim = Simulator(draws=2000, seed=7)                    # doctest: +SKIP
>>> r = sim.run("blueprint-package")                       # doctest: +SKIP
>>> r.projections.head()                                   # doctest: +SKIP

Everything here is a thin layer over what the command line does, so the numbers are the same
for the same settings and seed: a scenario is read by the same loader (a shipped scenario's
name, a file, a mapping written like a scenario file, or lever values as keywords), projected by
the same engine with the same draws, and turned into rows by the same functions that write
``projections.csv``, ``targets.csv``, ``compare_*.csv``, ``goal_seek.csv`` and
``attribution.csv``. The tables are pandas DataFrames with the columns of those files, at full
precision (the CSV files round them; :meth:`Result.to_csv` writes exactly the CLI's format).
Settings come from the ``SIMULATOR_*`` environment variables, as for the command line, unless
given to :class:`Simulator`. A mistake raises :class:`~simulator.errors.InputError` (or
:class:`~simulator.errors.InputErrors`) with the same message the command line prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from simulator import output
from simulator.commands import common
from simulator.engine import Engine, Projection
from simulator.errors import InputError, InputErrors
from simulator.scenario import BASELINE, Scenario, baseline_scenario, default_assumption_baseline
from simulator.scenario_files import read_scenario_text, resolve, shipped_scenarios
from simulator.settings import Settings, check_horizon, load_settings

if TYPE_CHECKING:
    import altair as alt

    from simulator.analysis.goal_seek import GoalSeek
    from simulator.analysis.goals import Goal

ScenarioLike = str | Path | Mapping[str, Any] | Scenario
"""What names a scenario: a shipped scenario's name, a scenario file, a mapping with the fields of
a scenario file, or a :class:`~simulator.scenario.Scenario`."""

WHOLE_COLUMNS = frozenset(
    {"fiscal_year", "deadline_fy", "year", "year_p10", "year_p50", "year_p90", "year_p50_reference", "draw"}
)
"""Columns of whole numbers that may be empty: pandas' nullable ``Int64``."""


def frame(
    rows: Iterable[Mapping[str, object]], columns: Sequence[str], decimals: Mapping[str, int]
) -> pd.DataFrame:
    """Rows as a DataFrame with ``columns``: float columns (those the CSV gives decimals) as floats,
    ``None`` as NaN; whole-number columns as nullable integers; the rest as they are."""
    df = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for c in columns:
        if c in decimals:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        elif c in WHOLE_COLUMNS or c.startswith("year_"):
            df[c] = pd.array([None if v is None or v != v else int(v) for v in df[c]], dtype="Int64")
    return df


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """One scenario projected: tables in the columns of ``projections.csv`` and ``targets.csv``.

    ``projections``: one row per fiscal year (reported history, then the projection: mean and
    percentiles, US$ m; the mean is over every draw, which a few runaway draws of the trend
    posterior decide in the late 2030s: see docs/model.md, section 8). ``targets``: one row per
    open target (odds by the deadline, the years it is reached, a ``note`` when the odds cannot
    be computed). ``draws``: every simulated path, kept only when the run asked for it
    (``keep_draws=True``). ``warnings``: the plausibility warnings the command line prints.
    ``chart()``: the app's fan chart.
    """

    scenario: Scenario
    projections: pd.DataFrame
    targets: pd.DataFrame
    seed: int
    n_draws: int
    warnings: list[str]
    fan: pd.DataFrame = field(repr=False)
    """The fan chart's table (percentiles in US$ B per series and year), as the app builds it."""
    _sim: Simulator = field(repr=False)
    _projection: Projection | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def projection(self) -> Projection:
        """The engine's projection (arrays of every draw); kept only with ``keep_draws=True``."""
        if self._projection is None:
            raise InputError(
                "the draws were not kept; run the scenario with keep_draws=True", field="keep_draws"
            )
        return self._projection

    @cached_property
    def draws(self) -> pd.DataFrame:
        """Every simulated path, tidy: ``scenario, draw, fiscal_year, exports_musd, baseline_musd``
        (the baseline is current policy with the same draws). Needs ``keep_draws=True``."""
        p = self.projection
        n, years = p.exports.shape[0], p.years.astype(np.int64)
        return pd.DataFrame(
            {
                "scenario": self.name,
                "draw": np.repeat(np.arange(n, dtype=np.int64), len(years)),
                "fiscal_year": np.tile(years, n),
                "exports_musd": np.asarray(p.exports, dtype=float).ravel(),
                "baseline_musd": np.asarray(p.baseline_exports, dtype=float).ravel(),
            }
        )

    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write ``projections.csv`` and ``targets.csv`` into ``folder`` in exactly the format of
        ``simulator run`` (the files are replaced whole)."""
        return self._sim.write_csv([self], folder)

    def chart(self, *, log_scale: bool = True, amounts: Sequence[float] | None = None) -> alt.TopLevelMixin:
        """The app's fan chart: reported years, the scenario's and the baseline's medians and bands,
        and the headline targets at their latest stated deadline (as the app opens)."""
        from simulator.app import charts
        from simulator.app.frames import history_frame, targets_frame

        sim = self._sim
        history = history_frame(sim.engine.data, sim.engine.base_year)
        targets = targets_frame(sim.chart_targets(amounts))
        sub = f"Lines: medians. Shaded: the middle 50% and 90% of {self.n_draws:,} simulated paths."
        if not log_scale:
            sub += " Linear axis: cut off above the targets (the log scale shows all)."
        return charts.fan_chart(self.fan, history, targets, log_scale=log_scale, subtitle=sub)

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.name}</b>: {self.n_draws:,} draws, seed {self.seed}</p>"
        return head + self.targets.to_html(index=False, max_rows=20)


@dataclass
class Comparison:
    """Scenarios against a reference, in the columns of ``compare_years.csv`` and ``compare_targets.csv``."""

    reference: str
    years: pd.DataFrame
    targets: pd.DataFrame
    results: dict[str, Result]


@dataclass
class Report:
    """An analysis: ``table`` in the columns of its CSV, ``report`` the command's text (``print`` it)."""

    table: pd.DataFrame
    report: str

    def __str__(self) -> str:
        return self.report


@dataclass
class GoalSeekResult(Report):
    """A goal seek (``goal_seek.csv``, ``simulator goal-seek``); ``result`` holds every answer."""

    result: GoalSeek


@dataclass
class AttributionResult(Report):
    """Each lever's part of the gap to each goal (``attribution.csv``, ``simulator attribute``)."""

    scenario: str


# --------------------------------------------------------------------------- the simulator


class Simulator:
    """The engine on the bundled (or configured) data and fitted parameters.

    ``draws``, ``seed`` and ``horizon`` are the defaults of every run (as ``--draws``, ``--seed``
    and ``--horizon``; a scenario's own values win); ``data_dir`` and ``params_path`` as
    ``SIMULATOR_DATA_DIR`` and ``SIMULATOR_PARAMS_PATH``. Unset, each comes from its ``SIMULATOR_*``
    variable or the default, as for the command line.
    """

    def __init__(
        self,
        *,
        draws: int | None = None,
        seed: int | None = None,
        horizon: int | None = None,
        data_dir: str | Path | None = None,
        params_path: str | Path | None = None,
    ):
        self.settings: Settings = load_settings(
            draws=draws, seed=seed, horizon=horizon, data_dir=data_dir, params_path=params_path
        )
        self.engine: Engine = Engine.from_settings(self.settings)
        check_horizon(self.settings, self.engine.first_projection_year, option="horizon")

    def __repr__(self) -> str:
        s = self.settings
        return f"Simulator(draws={s.draws}, seed={s.seed}, horizon={s.horizon}, data_dir='{s.data_dir}')"

    # ---- scenarios

    def scenarios(self) -> list[str]:
        """Names of the shipped scenarios (baseline first)."""
        return list(shipped_scenarios(first_year=self.engine.first_projection_year))

    def scenario(
        self, what: ScenarioLike | None = None, /, *, name: str | None = None, **levers: Any
    ) -> Scenario:
        """The scenario ``what`` names (default: the baseline), resolved onto its bases, with the
        ``levers`` given as keywords set on top (a number holds from the first projection year;
        a mapping is a lever as a scenario file writes it, e.g. ``{"value": 60, "start": 2027}``)."""
        base = self._resolved(what)
        return common.with_levers(base, levers, self.engine, source="keywords", name=name)

    def _resolved(self, what: ScenarioLike | None) -> Scenario:
        first = self.engine.first_projection_year
        if what is None:
            return baseline_scenario()
        if isinstance(what, Scenario):
            return self._onto_bases(what)
        if isinstance(what, Mapping):
            doc = {"name": "scenario", **what}
            try:
                text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
            except yaml.YAMLError as exc:
                raise InputError(f"cannot be read as a scenario: {exc}", file="<mapping>") from None
            try:
                written = read_scenario_text(text, "<mapping>", first_year=first).scenario
            except InputErrors as exc:  # the lines are those of a text the user never saw
                raise InputErrors([replace(e, line=None) for e in exc.errors]) from None
            return self._onto_bases(written)
        if isinstance(what, str | Path):
            return common.scenario_by_reference(what, self.engine, what="scenario")
        raise InputError(
            f"cannot name a scenario (a {type(what).__name__})",
            field="scenario",
            allowed="a shipped scenario's name, a file path, a mapping or a Scenario",
        )

    def _onto_bases(self, s: Scenario) -> Scenario:
        if s.base in (None, BASELINE):
            return resolve(s, {})
        written = shipped_scenarios(resolved=False, first_year=self.engine.first_projection_year)
        try:
            return resolve(s, written)
        except InputError as exc:
            raise replace(exc, file=f"<{s.name}>") from None

    # ---- runs

    def run(
        self,
        what: ScenarioLike | None = None,
        /,
        *,
        keep_draws: bool = False,
        name: str | None = None,
        **levers: Any,
    ) -> Result:
        """Project one scenario (see :meth:`scenario` for what names it) with the run's draws."""
        scenario = self.scenario(what, name=name, **levers)
        return self._result(scenario, self.project(scenario), keep_draws=keep_draws)

    def project(self, scenario: Scenario) -> Projection:
        """The engine's projection of a resolved scenario, with the draws the command line uses."""
        return self.engine.project(scenario, self.engine.cached_draws(scenario, self.settings))

    def _result(self, scenario: Scenario, p: Projection, *, keep_draws: bool) -> Result:
        from simulator.app.frames import BASELINE as BASELINE_SERIES
        from simulator.app.frames import DEFAULT_BASELINE, SCENARIO, fan_frame

        odds = p.target_odds()
        series = {} if not scenario.lever_settings() else {SCENARIO: p}
        series[BASELINE_SERIES] = self.engine.project(baseline_scenario(), p.draws)
        reference = default_assumption_baseline(scenario)
        if reference is not None:
            series[DEFAULT_BASELINE] = self.project(reference)
        return Result(
            scenario=scenario,
            projections=frame(
                output.projection_rows(scenario.name, p), output.PROJECTION_COLUMNS, output.DECIMALS
            ),
            targets=frame(output.target_rows(scenario.name, p, odds), output.TARGET_COLUMNS, output.DECIMALS),
            seed=p.draws.seed,
            n_draws=p.draws.n,
            warnings=_plausibility(p),
            fan=fan_frame(series, self.engine),
            _sim=self,
            _projection=p if keep_draws else None,
        )

    def run_many(self, items: Iterable[ScenarioLike], *, keep_draws: bool = False) -> list[Result]:
        """:meth:`run` for each item (all with the run's seed: differences are policy, not luck)."""
        return [self.run(item, keep_draws=keep_draws) for item in items]

    def write_csv(
        self, results: Sequence[Result], folder: str | Path, *, overwrite: bool = True
    ) -> list[Path]:
        """``projections.csv`` and ``targets.csv`` of ``results``, byte for byte as ``simulator run``
        writes them, swapped into ``folder`` whole."""
        items = [
            (r.name, r.projection if r._projection is not None else self.project(r.scenario)) for r in results
        ]
        out = output.ResultFolder(str(folder), overwrite=overwrite)
        with out:
            out.write_text(output.PROJECTIONS_FILE, output.projections_csv(items))
            out.write_text(output.TARGETS_FILE, output.targets_csv(items))
            out.commit()
        return [Path(folder) / output.PROJECTIONS_FILE, Path(folder) / output.TARGETS_FILE]

    # ---- analyses

    def compare(self, *items: ScenarioLike | Result) -> Comparison:
        """How each scenario differs from the reference (the one named ``baseline`` if given, else
        the first), per fiscal year and per target, as ``simulator compare`` computes it."""
        from simulator import compare as cmp

        if len(items) < 2:
            raise InputError("compare needs at least two scenarios", field="compare")
        scenarios = [i.scenario if isinstance(i, Result) else self.scenario(i) for i in items]
        names = [s.name for s in scenarios]
        if len(set(names)) < len(names):
            raise InputError("two scenarios have the same name", field="name", value=", ".join(names))
        compared = [cmp.Compared.of(s.name, self.project(s)) for s in scenarios]
        found = cmp.compare(compared)
        ref, years, targets = found.reference, found.year_rows, found.target_rows
        results = {
            c.name: self._result(s, c.projection, keep_draws=False)
            for c, s in zip(compared, scenarios, strict=True)
        }
        return Comparison(
            reference=ref.name,
            years=frame(years, cmp.YEAR_COLUMNS, cmp.DECIMALS),
            targets=frame(targets, cmp.TARGET_COLUMNS, cmp.DECIMALS),
            results=results,
        )

    def goal(
        self, target: str | None = None, *, amount: float | None = None, deadline: int | None = None
    ) -> Goal:
        """A goal: a target id (its amount and deadline; ``deadline`` replaces it), or an amount
        (US$ m) and a deadline (fiscal year)."""
        ids = [target] if target is not None else []
        if not ids and amount is None:
            raise InputError("name a target or give an amount and a deadline", field="target")
        (goal,) = common.goals_for(self.engine, ids, amount=amount, deadline=deadline)
        return goal

    def goal_seek(
        self,
        target: str | None = None,
        *,
        probability: float = 0.5,
        amount: float | None = None,
        deadline: int | None = None,
        levers: Sequence[str] | None = None,
        start: int | None = None,
        package: bool = True,
        scenario: ScenarioLike | None = None,
        **lever_values: Any,
    ) -> GoalSeekResult:
        """What it takes to reach a goal with ``probability``: the least demanding setting of each
        lever alone and the least-change package, as ``simulator goal-seek`` finds them, on top of
        ``scenario`` (default: the baseline) with ``lever_values`` set."""
        from simulator.analysis.goal_seek import (
            GOAL_SEEK_COLUMNS,
            GOAL_SEEK_DECIMALS,
            ReachModel,
            check_levers,
            goal_seek,
            goal_seek_rows,
        )
        from simulator.commands.goal_seek import report

        goal = self.goal(target, amount=amount, deadline=deadline)
        chosen = check_levers(levers) if levers is not None else None
        base = self.scenario(scenario, **lever_values)
        model = ReachModel.build(self.engine, goal, self.settings, base=base, start_year=start)
        result = goal_seek(model, probability, chosen, package=package)
        table = frame(goal_seek_rows(result), GOAL_SEEK_COLUMNS, GOAL_SEEK_DECIMALS)
        return GoalSeekResult(table=table, report=report(result, self.engine), result=result)

    def attribute(
        self,
        scenario: ScenarioLike | None = None,
        *,
        targets: str | Sequence[str] | None = None,
        amount: float | None = None,
        deadline: int | None = None,
        **lever_values: Any,
    ) -> AttributionResult:
        """How much of the gap between the baseline and each goal each lever of ``scenario`` closes
        (default goals: every open target with a deadline by the horizon), as ``simulator attribute``."""
        from simulator.analysis.attribution import (
            ATTRIBUTION_COLUMNS,
            ATTRIBUTION_DECIMALS,
            attribute,
            attribution_rows,
        )
        from simulator.commands.attribute import table as text_table

        s = self.scenario(scenario, **lever_values)
        p = self.project(s)
        ids = [targets] if isinstance(targets, str) else list(targets or [])
        goals = common.goals_for(self.engine, ids, amount=amount, deadline=deadline, horizon=int(p.years[-1]))
        results = [attribute(p, g) for g in goals]
        table = frame(attribution_rows(p, results), ATTRIBUTION_COLUMNS, ATTRIBUTION_DECIMALS)
        return AttributionResult(table=table, report="".join(text_table(a) for a in results), scenario=s.name)

    # ---- reference tables

    def levers(self) -> pd.DataFrame:
        """The policy levers: unit, current-policy default, range and source (``simulator levers``)."""
        from simulator.levers import LEVERS

        return pd.DataFrame(
            [
                {
                    "lever": lv.name,
                    "label": lv.label,
                    "unit": lv.unit,
                    "default": lv.default,
                    "min": lv.min,
                    "max": lv.max,
                    "source": lv.default_source,
                }
                for lv in LEVERS
            ]
        )

    def open_targets(self) -> pd.DataFrame:
        """The targets still open (``simulator goal-seek --list-targets``)."""
        return pd.DataFrame(
            [
                {
                    "target_id": t.id,
                    "amount_musd": t.amount_musd,
                    "deadline_fy": t.deadline_fy,
                    "source": output.target_source(t),
                }
                for t in self.engine.open_targets()
            ]
        ).astype({"deadline_fy": "Int64"})

    def chart_targets(self, amounts: Sequence[float] | None = None) -> list:
        """The targets the app's chart draws: for each headline amount, the first statement of its
        latest stated deadline (the deadline the app opens with)."""
        from simulator.app.compute import HEADLINE_AMOUNTS  # imports streamlit: only for a chart
        from simulator.app.frames import deadline_options, default_deadline

        chosen = []
        for amount in amounts if amounts is not None else HEADLINE_AMOUNTS:
            options = deadline_options(self.engine.data.targets, amount, self.engine.base_year)
            first_per_year = {t.deadline_fy: t for t in reversed(options)}
            best = default_deadline(list(first_per_year.values()))
            if best is not None:
                chosen.append(best)
        return chosen


def _plausibility(p: Projection) -> list[str]:
    from simulator.analysis import plausibility

    return [str(w) for w in plausibility.check(p)]


__all__ = [
    "AttributionResult",
    "Comparison",
    "GoalSeekResult",
    "Report",
    "Result",
    "Simulator",
]
