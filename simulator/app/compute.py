"""The engine calls the app makes, cached by what they depend on.

A slider release must redraw the chart in well under 150 ms, so the work is split by what
it depends on (see ``benchmarks/bench_app_latency.py``):

* the engine (data and fitted parameters): once per server;
* the draws: only (draws, seed, horizon, assumption triples, trend), never the policy levers,
  so a lever slider reuses them; the engine keeps them (:meth:`Engine.cached_draws`, keyed by
  :func:`simulator.engine.draws_key`);
* the baseline with the same draws (current policy under the user's assumptions): once per set
  of draws;
* the scenario's projection and the numbers read off it: per scenario (a few ms); kept for
  recently seen scenarios, so moving a slider back and forth is instant.

The baselines and projections are kept in two :class:`~simulator.cache.BoundedCache` objects
shared by every session, keyed through the engine's key and bounded by entries and bytes.

Everything here is a thin wrapper: the numbers come from :mod:`simulator.engine`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from simulator import model
from simulator.cache import BoundedCache
from simulator.data import Target
from simulator.engine import Engine, Projection, TargetOdds, draws_key
from simulator.errors import InputError
from simulator.runtime import trim_heap
from simulator.scenario import Scenario, baseline_scenario
from simulator.settings import Settings, load_settings

HEADLINE_AMOUNTS: tuple[float, ...] = (10_000.0, 15_000.0, 25_000.0)
"""The targets the app draws and gives a card each (US$ m): the $10B, $15B and $25B of the
official statements in ``calibration/data/targets.csv``."""
BASELINES_KEPT, RUNS_KEPT = 8, 32
BYTES_KEPT = 256 * 2**20
"""Each of the two caches keeps at most this many bytes of projections (an estimate: the
arrays a projection holds once its statistics are computed)."""


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Run settings from the environment (``SIMULATOR_*``)."""
    return load_settings()


@st.cache_resource(show_spinner="Loading the data and the fitted model...")
def engine() -> Engine:
    """The engine for the bundled (or configured) data and fitted parameters."""
    return Engine.from_settings(settings())


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


def projection_nbytes(p: Projection) -> int:
    """Bytes of the arrays a projection holds so far (its draws are the engine's, counted there)."""
    shared = (p.engine, p.draws, p.scenario)
    return sum(_nbytes(v) for v in vars(p).values() if not any(v is x for x in shared))


def _nbytes(value: object) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, model.Effects):
        return _nbytes(value.by_lever)
    return 0


def run_nbytes(r: Run) -> int:
    """Bytes a run adds to its (separately kept) baseline."""
    return 0 if r.projection is r.baseline else projection_nbytes(r.projection)


@st.cache_resource(show_spinner=False)
def _baselines() -> BoundedCache[Projection]:
    return BoundedCache(max_entries=BASELINES_KEPT, max_bytes=BYTES_KEPT, size=projection_nbytes)


@st.cache_resource(show_spinner=False)
def _runs() -> BoundedCache[Run]:
    return BoundedCache(max_entries=RUNS_KEPT, max_bytes=BYTES_KEPT, size=run_nbytes)


def run(scenario: Scenario) -> Run:
    """Project a resolved scenario (no base) with cached draws and baseline.

    The baseline is current policy with the scenario's draws (its assumptions, trend, seed,
    draws and horizon), so scenario minus baseline is the effect of the levers alone.
    """
    e, s = engine(), settings()
    key = draws_key(scenario, s)

    def project(what: Scenario) -> Projection:
        p = e.project(what, e.cached_draws(scenario, s))
        _ = p.stats
        return p

    def make() -> Run:
        base = _baselines().get(key, lambda: project(baseline_scenario()))
        return Run(scenario, project(scenario) if scenario.lever_settings() else base, base)

    return _runs().get((key, scenario.model_dump_json()), make)


def safe_run(scenario: Scenario) -> tuple[Run | None, InputError | None]:
    """:func:`run`, with an input problem the engine finds (e.g. effect sizes that explain more
    than the reported exports) returned rather than raised."""
    try:
        return run(scenario), None
    except InputError as exc:
        return None, exc


# --------------------------------------------------------------------------- memory when idle

IDLE_RELEASE_SECONDS = 30.0
"""When no script has run for this long, the server lets go of what it computed for its visitors
(the kept runs and baselines, the engine's draws) and hands the freed memory back to the system.
The engine stays loaded; the first visitor after a quiet spell recomputes the baseline (~10 ms)."""


class IdleRelease:
    """A daemon thread that clears the app's caches after :data:`IDLE_RELEASE_SECONDS` without a
    script run (issue 10: about 1 GB stayed after every session had closed)."""

    def __init__(self, idle_seconds: float = IDLE_RELEASE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self.last = time.monotonic()
        self.released = True  # nothing kept yet
        self._thread = threading.Thread(target=self._watch, name="simulator-idle-release", daemon=True)
        self._thread.start()

    def touch(self) -> None:
        """A script run: the caches are in use again."""
        self.last, self.released = time.monotonic(), False

    def _watch(self) -> None:
        while True:
            time.sleep(max(1.0, self.idle_seconds / 6))
            if not self.released and time.monotonic() - self.last >= self.idle_seconds:
                release_memory()
                self.released = True


def release_memory() -> None:
    """Clear the kept runs, baselines and draws; return freed heap memory to the system (glibc)."""
    _runs().clear()
    _baselines().clear()
    with contextlib.suppress(InputError):  # bad settings: there is no engine to clear
        engine().draws_cache.clear()
    trim_heap()


@st.cache_resource(show_spinner=False)
def idle_release() -> IdleRelease:
    """The server's one idle watcher (started by the first script run)."""
    return IdleRelease()
