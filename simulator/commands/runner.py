"""Run many resolved scenarios, in one process or a process pool, and stream the results in order.

What to run (a list of :class:`Job`) is separate from how (:func:`run_jobs`, sequential or a
pool of ``jobs`` processes). Each worker keeps one :class:`Worker`: an engine built once, whose
cache of draws (:meth:`Engine.cached_draws`) serves the expensive, lever-independent part to
every scenario that shares (draws, seed, horizon, assumptions, trend). A worker returns
each scenario's result already formatted as CSV lines plus a few summary numbers, never the
arrays of draws, so memory stays flat however many scenarios a run has. Results come back in
the order of the jobs whatever the number of processes, so the CSV files are byte-identical
for ``--jobs 1`` and ``--jobs 2``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from simulator import output
from simulator.engine import Draws, Engine, Projection
from simulator.errors import InputError, InputErrors
from simulator.scenario import Scenario
from simulator.settings import Settings

SUMMARY_YEAR = 2030
"""The fiscal year whose median the run summary shows."""


@dataclass(frozen=True)
class Job:
    """One scenario to run: resolved onto its bases, with the file it came from."""

    index: int
    scenario: Scenario
    source: str


@dataclass
class Outcome:
    """What a worker sends back for one scenario: formatted CSV lines and a small summary."""

    index: int
    name: str
    source: str
    seed: int | None = None
    draws: int | None = None
    horizon: int | None = None
    projections_csv: str = ""
    targets_csv: str = ""
    median_summary_year: float | None = None
    odds: dict[str, float | None] = field(default_factory=dict)
    """``p_by_deadline`` per target id."""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Worker:
    """An engine (with its cache of draws); runs scenarios one at a time."""

    def __init__(self, settings: Settings, engine: Engine | None = None):
        self.settings = settings
        self.engine = engine if engine is not None else Engine.from_settings(settings)
        self.draws_made = 0
        """Sets of draws made for this worker's scenarios (the others came from the cache)."""

    def draws_for(self, scenario: Scenario) -> Draws:
        """The draws for ``scenario``, shared with earlier scenarios that need the same ones."""
        made = self.engine.draws_cache.stats().misses
        draws = self.engine.cached_draws(scenario, self.settings)
        self.draws_made += self.engine.draws_cache.stats().misses - made
        return draws

    def project(self, scenario: Scenario) -> Projection:
        return self.engine.project(scenario, self.draws_for(scenario))

    def run(self, job: Job) -> Outcome:
        """Project one scenario and format its rows; a user mistake becomes ``Outcome.error``."""
        name = job.scenario.name
        out = Outcome(job.index, name, job.source)
        try:
            p = self.project(job.scenario)
            out.seed, out.draws, out.horizon = p.draws.seed, p.draws.n, int(p.years[-1])
            out.projections_csv = output.format_rows(
                output.projection_rows(name, p), output.PROJECTION_COLUMNS
            )
            odds = p.target_odds()
            out.targets_csv = output.format_rows(output.target_rows(name, p, odds), output.TARGET_COLUMNS)
            out.odds = {o.target.id: o.p_by_deadline for o in odds}
            hit = [j for j, y in enumerate(p.years) if int(y) == SUMMARY_YEAR]
            out.median_summary_year = float(p.stats["p50"][hit[0]]) if hit else None
            out.warnings = plausibility_warnings(p)
        except (InputError, InputErrors) as exc:
            out.error = str(exc)
        except Exception as exc:  # a bug, not a user mistake: keep the other scenarios going
            out.error = f"unexpected error (please report it): {type(exc).__name__}: {exc}"
        return out


def plausibility_warnings(projection: Projection) -> list[str]:
    """Warnings about growth beyond anything observed (:func:`simulator.analysis.plausibility.check`)."""
    from simulator.analysis import plausibility

    return [str(w) for w in plausibility.check(projection)]


# --------------------------------------------------------------------------- executors

_WORKER: Worker | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no worker tracebacks
    _WORKER = Worker(settings)


def _run_chunk(jobs: list[Job]) -> list[Outcome]:
    assert _WORKER is not None
    return [_WORKER.run(job) for job in jobs]


def chunked(jobs: Sequence[Job], n_jobs: int) -> list[list[Job]]:
    """Contiguous chunks (neighbouring scenarios usually share draws), several per process."""
    size = max(1, min(32, -(-len(jobs) // (n_jobs * 8))))
    return [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]


def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    n_jobs: int = 1,
    engine: Engine | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> Iterator[Outcome]:
    """Run ``jobs`` and yield their outcomes in job order.

    With ``n_jobs == 1`` everything runs in this process (with ``engine`` if given); otherwise
    in a pool of ``n_jobs`` processes, at most a few chunks ahead of the consumer so that
    finished results never pile up in memory.
    """
    if n_jobs <= 1 or len(jobs) <= 1:
        worker = Worker(settings, engine)
        for job in jobs:
            out = worker.run(job)
            if on_done is not None:
                on_done(out)
            yield out
        return
    chunks = iter(chunked(jobs, n_jobs))
    window = 4 * n_jobs
    with ProcessPoolExecutor(
        max_workers=n_jobs, mp_context=_context(), initializer=_init_worker, initargs=(settings,)
    ) as pool:
        pending: deque[Future[list[Outcome]]] = deque(
            pool.submit(_run_chunk, c) for c in islice(chunks, window)
        )
        try:
            while pending:
                results = pending.popleft().result()
                nxt = next(chunks, None)
                if nxt is not None:
                    pending.append(pool.submit(_run_chunk, nxt))
                for out in results:
                    if on_done is not None:
                        on_done(out)
                    yield out
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where it exists (workers start at once, sharing the imported modules), else the default."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
