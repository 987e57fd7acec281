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
shared by every session, keyed through the engine's key and bounded by entries and bytes. The bytes
are every array a value holds now (:func:`held_nbytes`; a projection grows as the page asks for
its parts), measured again on each use. Memory is bounded for a busy server and given back by an
idle one (``benchmarks/bench_app_load.py`` measures both):

* the draws, the baselines and the projections together keep at most :data:`DRAWS_BYTES` +
  2 x :data:`BYTES_KEPT`; after :data:`IDLE_RELEASE_SECONDS` without a script run all three are
  cleared and the heap trimmed (:class:`IdleRelease`);
* at most :data:`COMPUTING` sets of draws, projections or lever contributions are computed at
  once (two cores; more only adds arrays in flight, not speed), so ten visitors opening a link
  with 50,000 draws at once do not hold ten sets of half-made arrays;
* a session keeps no projection of its own: ``st.session_state`` holds scenarios (small) and the
  compare set (at most six scenarios), and every number is read from the shared caches.

Everything here is a thin wrapper: the numbers come from :mod:`simulator.engine`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from simulator import model
from simulator.app.frames import wedge_frames
from simulator.cache import BoundedCache
from simulator.data import Target
from simulator.engine import Draws, Engine, Projection, TargetOdds, draws_key
from simulator.errors import InputError
from simulator.runtime import trim_heap
from simulator.scenario import Scenario, baseline_scenario
from simulator.settings import Settings, load_settings

HEADLINE_AMOUNTS: tuple[float, ...] = (10_000.0, 15_000.0, 25_000.0)
"""The targets the app draws and gives a card each (US$ m): the $10B, $15B and $25B of the
official statements in ``calibration/data/targets.csv``."""
BASELINES_KEPT, RUNS_KEPT = 8, 32
BYTES_KEPT = 128 * 2**20
"""Each of the two caches keeps at most this many bytes of projections (every array they hold:
a projection of the default 10,000 draws to FY2040 with its lever contributions holds about
15 MB, one of 50,000 draws five times that)."""
DRAWS_BYTES = 128 * 2**20
"""The engine's draws cache in the app (the command line keeps its own larger default): 10,000
draws to FY2040 take about 2 MB, 200,000 draws to FY2050 about 90 MB."""
COMPUTING = 2
"""Draws, projections or contributions computed at the same time, at most."""
_computing = threading.BoundedSemaphore(COMPUTING)


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Run settings from the environment (``SIMULATOR_*``)."""
    return load_settings()


@st.cache_resource(show_spinner="Loading the data and the fitted model...")
def engine() -> Engine:
    """The engine for the bundled (or configured) data and fitted parameters, its draws cache
    bounded for a server (:data:`DRAWS_BYTES`); :class:`IdleRelease` clears it when idle."""
    return Engine.from_settings(settings(), draws_cache_bytes=DRAWS_BYTES)


_T = TypeVar("_T")


@dataclass
class Run:
    """A scenario, its projection and its baseline (current policy with the same draws)."""

    scenario: Scenario
    projection: Projection
    baseline: Projection
    _contributions: dict[int, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    _derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    @property
    def years(self) -> np.ndarray:
        return self.projection.years

    def derived(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """``make()``, made once per run and ``key`` and kept with the run (shared by every
        session showing it, counted in its bytes, dropped with it): what a page draws from a
        run alone (chart data, tables) is not worked out again at every rerun. ``key`` must name
        everything else ``make`` reads (a year, the chosen targets, the axis); the value is
        shared, so callers must not change it."""
        if key not in self._derived:  # two threads may both make it: the same value, one kept
            self._derived[key] = make()
        return self._derived[key]

    def wedges(self, base_year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The wedge chart's tables (:func:`~simulator.app.frames.wedge_frames`), from lever
        parts worked out for them and let go: all of them are 6 x draws x years, most of a run's
        memory (9.6 MB of 13 MB at 10,000 draws to FY2040), and the chart keeps only their
        centres and the band (the page keeps the chart: :meth:`derived`). Parts this run already
        holds (:meth:`contributions`) are used as they are."""
        difference = self.projection.exports - self.baseline.exports
        return wedge_frames(self.years, self._decompose(), difference, base_year)

    def odds(self, target: Target, *, baseline: bool = False) -> TargetOdds:
        p = self.baseline if baseline else self.projection
        return p.target_odds([target])[0]

    def contributions(self) -> dict[str, np.ndarray]:
        """Each lever's exact additive part of (scenario - baseline), per draw and year: the same
        :func:`simulator.model.decompose` as :meth:`Projection.contributions`, on the effects
        both projections already hold (memoised)."""
        if -1 not in self._contributions:
            self._contributions[-1] = self._decompose()
        return self._contributions[-1]

    def _decompose(self) -> dict[str, np.ndarray]:
        """Every lever's part, every draw and year: the ones this run holds, or worked out now."""
        if -1 in self._contributions:
            return self._contributions[-1]
        with _computing:
            return model.decompose(
                self.projection.draws.log_core, self.projection.effects, self.baseline.effects
            )

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
            with _computing:
                parts = model.decompose(
                    self.projection.draws.log_core[:, j : j + 1],
                    _column(self.projection.effects, j),
                    _column(self.baseline.effects, j),
                )
            self._contributions[year] = {k: v[:, 0] for k, v in parts.items()}
        return self._contributions[year]


def _column(fx: model.Effects, j: int) -> model.Effects:
    return model.Effects({k: v[:, j : j + 1] for k, v in fx.by_lever.items()})


def held_nbytes(value: object, shared: tuple[object, ...] = ()) -> int:
    """Bytes of every numpy array ``value`` holds, through dicts, lists, tuples and the attributes
    of objects, each array's memory counted once (a view counts the array it views); nothing is
    counted in or through the objects in ``shared`` (kept and counted elsewhere)."""
    skip = {id(x) for x in shared}
    for x in shared:
        if isinstance(x, Draws):
            skip.update(id(a) for a in x.arrays())
    seen: set[int] = set()
    total, stack = 0, [value]
    while stack:
        x = stack.pop()
        if isinstance(x, bytes):  # e.g. a chart's data as Arrow (Run.derived)
            total += len(x)
            continue
        if id(x) in skip or id(x) in seen or isinstance(x, (type, str, int, float)):
            continue
        seen.add(id(x))
        if isinstance(x, np.ndarray):
            root = x
            while isinstance(root.base, np.ndarray):
                root = root.base
            if root is not x:
                stack.append(root)
            else:
                total += x.nbytes
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif hasattr(x, "__dict__") and not callable(x):
            stack.extend(vars(x).values())
    return total


_MEMO = "_held_nbytes_memo"


def _growth(*objs: object) -> tuple[int, ...]:
    """What changes when these objects work out and keep something more: how many attributes
    each holds (a ``cached_property`` computed) and how many entries each of their dicts holds."""
    sig: list[int] = []
    for o in objs:
        d = getattr(o, "__dict__", {})
        sig.append(len(d) - (_MEMO in d))
        sig.extend(len(v) for k, v in d.items() if isinstance(v, dict) and k != _MEMO)
    return tuple(sig)


def _measured(obj: Any, watch: tuple[object, ...], measure: Callable[[], int]) -> int:
    """``measure()``, again only when the objects in ``watch`` have kept something more since the
    last time (:func:`_growth`): a cache re-measures what it holds at every use, and walking every
    kept run each time was a third of a rerun's time in the app (bench_app_load, py-spy)."""
    sig = _growth(*watch)
    memo = vars(obj).get(_MEMO)
    if memo is not None and memo[0] == sig:
        return int(memo[1])
    n = measure()
    vars(obj)[_MEMO] = (sig, n)
    return n


def projection_nbytes(p: Projection) -> int:
    """Bytes of the arrays a projection holds so far (its draws are the engine's, counted there)."""
    return _measured(p, (p,), lambda: held_nbytes(p, (p.engine, p.draws, p.scenario)))


def run_nbytes(r: Run) -> int:
    """Bytes a run adds to its (separately kept) baseline: its projection unless that is the
    baseline, and the lever contributions and page tables it has worked out."""
    p = r.projection
    shared = (r.baseline, getattr(p, "engine", None), getattr(p, "draws", None))
    return _measured(r, (r, p), lambda: held_nbytes(r, shared))


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
        # A thread computing a key holds a slot, so one waiting for it (holding a slot too) never
        # waits for a thread that waits for a slot: no deadlock, and at most COMPUTING at work.
        with _computing:
            draws = e.cached_draws(scenario, s)
        with _computing:
            p = e.project(what, draws)
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

    def __init__(
        self, idle_seconds: float = IDLE_RELEASE_SECONDS, caches: Sequence[BoundedCache[Any]] | None = None
    ) -> None:
        self.idle_seconds = idle_seconds
        # taken here, in a script's thread: Streamlit's cached functions warn when called from another
        self._caches = held_caches() if caches is None else list(caches)
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
                release_memory(self._caches)
                self.released = True


def held_caches() -> list[BoundedCache[Any]]:
    """What the app keeps for its visitors: the runs, the baselines and the engine's draws."""
    caches: list[BoundedCache[Any]] = [_runs(), _baselines()]
    with contextlib.suppress(InputError):  # bad settings: there is no engine to clear
        caches.append(engine().draws_cache)
    return caches


def release_memory(caches: Sequence[BoundedCache[Any]] | None = None) -> None:
    """Clear the kept runs, baselines and draws; return freed heap memory to the system (glibc)."""
    for cache in held_caches() if caches is None else caches:
        cache.clear()
    trim_heap()


@st.cache_resource(show_spinner=False)
def idle_release() -> IdleRelease:
    """The server's one idle watcher (started by the first script run)."""
    return IdleRelease()
