"""The engine calls the app makes, cached by what they depend on.

A slider release must redraw the chart in well under 150 ms, so the work is split by what
it depends on (see ``benchmarks/bench_app_latency.py``):

* the engine (data and fitted parameters): once per server;
* the draws (``engine.draws``): only (draws, seed, horizon, assumption triples, trend), never the
  policy levers, so a lever slider reuses them;
* the baseline with the same draws (current policy under the user's assumptions): once per set
  of draws;
* the scenario's projection and the numbers read off it: per scenario (a few ms); kept for
  recently seen scenarios, so moving a slider back and forth is instant.

Everything here is a thin wrapper: the numbers come from :mod:`simulator.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from simulator import model
from simulator.data import Target
from simulator.engine import Draws, Engine, Projection, TargetOdds
from simulator.errors import InputError
from simulator.scenario import Scenario, TrendOverride, assumption_triples, baseline_scenario
from simulator.settings import Settings, load_settings

HEADLINE_AMOUNTS: tuple[float, ...] = (10_000.0, 15_000.0, 25_000.0)
"""The targets the app draws and gives a card each (US$ m): the $10B, $15B and $25B of the
official statements in ``calibration/data/targets.csv``."""

DrawsKey = tuple[
    int, int, int, tuple[tuple[str, tuple[float, float, float]], ...], tuple[tuple[str, float], ...]
]


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Run settings from the environment (``SIMULATOR_*``)."""
    return load_settings()


@st.cache_resource(show_spinner="Loading the data and the fitted model...")
def engine() -> Engine:
    """The engine for the bundled (or configured) data and fitted parameters."""
    return Engine.from_settings(settings())


def draws_key(scenario: Scenario, s: Settings) -> DrawsKey:
    """Everything ``engine.draws`` depends on, as a hashable key (no lever in it)."""
    triples = tuple(sorted(assumption_triples(scenario).items()))
    trend = tuple(sorted(scenario.trend.model_dump(exclude_none=True).items()))
    return (
        scenario.draws if scenario.draws is not None else s.draws,
        scenario.seed if scenario.seed is not None else s.seed,
        scenario.horizon if scenario.horizon is not None else s.horizon,
        triples,
        trend,
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _draws(key_text: str, _key: DrawsKey) -> Draws:
    n, seed, horizon, triples, trend = _key
    return engine().draws(
        n=n, seed=seed, horizon=horizon, triples=dict(triples), trend=TrendOverride(**dict(trend))
    )


def draws(key: DrawsKey) -> Draws:
    """The draws for ``key`` (cached; the text of the key is what is hashed, which is cheap)."""
    return _draws(repr(key), key)


@dataclass
class Run:
    """A scenario, its projection and its baseline (current policy with the same draws)."""

    scenario: Scenario
    projection: Projection
    baseline: Projection
    _contributions: dict[int, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def years(self) -> np.ndarray:
        return self.projection.years

    def odds(self, target: Target, *, baseline: bool = False) -> TargetOdds:
        p = self.baseline if baseline else self.projection
        return p.target_odds([target])[0]

    def contributions(self) -> dict[str, np.ndarray]:
        """Each lever's exact additive part of (scenario - baseline), per draw and year: the same
        :func:`simulator.model.decompose` as :meth:`Projection.contributions`, on the effects
        both projections already hold (memoised: the wedge chart redraws without recomputing)."""
        if -1 not in self._contributions:
            self._contributions[-1] = model.decompose(
                self.projection.draws.log_core, self.projection.effects, self.baseline.effects
            )
        return self._contributions[-1]

    def contributions_at(self, year: int) -> dict[str, np.ndarray]:
        """Each lever's exact additive part of (scenario - baseline) in ``year``, per draw.

        The same :func:`simulator.model.decompose` as :meth:`Projection.contributions`, on the
        one year asked for (a fifteenth of the work for a fifteen-year projection).
        """
        if year not in self._contributions:
            j = int(np.searchsorted(self.years, year))
            if j >= len(self.years) or self.years[j] != year:
                raise ValueError(f"FY{year} is not a projection year")
            if -1 in self._contributions:  # every year is there already
                self._contributions[year] = {k: v[:, j] for k, v in self._contributions[-1].items()}
                return self._contributions[year]
            parts = model.decompose(
                self.projection.draws.log_core[:, j : j + 1],
                _column(self.projection.effects, j),
                _column(self.baseline.effects, j),
            )
            self._contributions[year] = {k: v[:, 0] for k, v in parts.items()}
        return self._contributions[year]


def _column(fx: model.Effects, j: int) -> model.Effects:
    return model.Effects({k: v[:, j : j + 1] for k, v in fx.by_lever.items()})


@st.cache_resource(max_entries=8, show_spinner=False)
def _baseline(key_text: str, _key: DrawsKey) -> Projection:
    p = engine().project(baseline_scenario(), draws(_key))
    _ = p.stats
    return p


@st.cache_resource(max_entries=32, show_spinner=False)
def _run(key_text: str, _key: DrawsKey, _scenario: Scenario) -> Run:
    base = _baseline(repr(_key), _key)
    if not _scenario.lever_settings():
        return Run(_scenario, base, base)
    p = engine().project(_scenario, draws(_key))
    _ = p.stats
    return Run(_scenario, p, base)


def run(scenario: Scenario) -> Run:
    """Project a resolved scenario (no base) with cached draws and baseline.

    The baseline is current policy with the scenario's draws (its assumptions, trend, seed,
    draws and horizon), so scenario minus baseline is the effect of the levers alone.
    """
    key = draws_key(scenario, settings())
    return _run(scenario.model_dump_json() + repr(key), key, scenario)


def safe_run(scenario: Scenario) -> tuple[Run | None, InputError | None]:
    """:func:`run`, with an input problem the engine finds (e.g. effect sizes that explain more
    than the reported exports) returned rather than raised."""
    try:
        return run(scenario), None
    except InputError as exc:
        return None, exc
