"""Run many resolved scenarios on an executor and stream the results back in order.

What to run (a list of :class:`Job`) is separate from how (:mod:`simulator.executors`: this
process, a local process pool, or a Dask cluster). Each worker process keeps one
:class:`Worker` per settings (:func:`worker_for`): an engine built once, whose cache of draws
(:meth:`Engine.cached_draws`) serves the expensive, lever-independent part to every scenario
that shares (draws, seed, horizon, assumptions, trend). A worker returns each scenario's result
already formatted as CSV lines plus a few summary numbers, never the arrays of draws, so memory
stays flat however many scenarios a run has. Results come back in the order of the jobs
whatever the executor, so the CSV files are byte-identical for any ``--jobs`` and
``--scheduler``. Reading and validating the files also runs on the executor
(:func:`read_files`); only resolving bases across files runs in the parent.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulator import output
from simulator.data import load_dataset
from simulator.engine import Draws, Engine, Projection
from simulator.errors import InputError, InputErrors
from simulator.executors import Executor, InProcess, executor_for, worker_state
from simulator.params import load_params
from simulator.scenario import Scenario
from simulator.scenario_files import ScenarioFile, read_scenario_file
from simulator.settings import MAX_HORIZON, Settings

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
        self.engine = engine if engine is not None else worker_engine(settings)
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


WORKER_DRAWS_ENTRIES = 64
WORKER_DRAWS_BYTES = 160 * 2**20
"""A worker's engine keeps at most this many sets of draws and bytes: a run whose files vary a
few dozen assumption overrides keeps all their draws at 10,000 draws (2.4 MB each), and
``--jobs`` workers at 200,000 draws to FY2050 (50 MB each) stay under 1 GB together."""


def worker_engine(settings: Settings) -> Engine:
    """An engine for a worker process, its cache of draws bounded for several workers at once."""
    return Engine(
        load_dataset(settings.data_dir),
        load_params(settings.params_path),
        draws_cache_entries=WORKER_DRAWS_ENTRIES,
        draws_cache_bytes=WORKER_DRAWS_BYTES,
    )


# --------------------------------------------------------------------------- on the workers


def worker_for(settings: Settings, engine: Engine | None = None) -> Worker:
    """This process's worker for ``settings`` (see :func:`simulator.executors.worker_state`): a
    pool or cluster worker loads the data and the fitted parameters for its first chunk only.
    ``engine``: use this engine (in-process runs) instead of loading one."""
    return worker_state(("runner", settings, engine), lambda: Worker(settings, engine))


@dataclass(frozen=True)
class RunContext:
    """What every chunk of a run shares: the settings, and in this process the caller's engine."""

    settings: Settings
    engine: Engine | None = None
    """Only for :class:`~simulator.executors.InProcess` (an engine is not sent to workers)."""


def run_chunk(context: RunContext, jobs: list[Job]) -> list[Outcome]:
    """Task: run a chunk of jobs on this process's worker."""
    worker = worker_for(context.settings, context.engine)
    return [worker.run(job) for job in jobs]


def read_chunk(first_year: int, paths: list[str]) -> list[ScenarioFile | InputErrors]:
    """Task: read and validate scenario files; a bad file gives its errors, never an exception."""
    out: list[ScenarioFile | InputErrors] = []
    for p in paths:
        try:
            out.append(read_scenario_file(p, first_year=first_year, last_year=MAX_HORIZON))
        except InputErrors as exc:
            out.append(exc)
    return out


# --------------------------------------------------------------------------- in the parent


def chunked(items: Sequence, n_jobs: int, most: int = 32) -> list[list]:
    """Contiguous chunks (neighbouring scenarios usually share draws), several per process."""
    size = max(1, min(most, -(-len(items) // (n_jobs * 8))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def read_files(
    paths: Sequence[str | Path], first_year: int, executor: Executor
) -> list[ScenarioFile | InputErrors] | None:
    """Read and validate ``paths`` on ``executor`` (``None`` in-process: the loader reads them)."""
    if isinstance(executor, InProcess) or len(paths) < 2:
        return None
    chunks = chunked([str(p) for p in paths], executor.jobs, most=64)
    return [f for part in executor.map(read_chunk, first_year, chunks) for f in part]


def run_jobs(
    jobs: Sequence[Job],
    settings: Settings,
    *,
    n_jobs: int = 1,
    engine: Engine | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    executor: Executor | None = None,
) -> Iterator[Outcome]:
    """Run ``jobs`` and yield their outcomes in job order.

    On ``executor`` if given; otherwise in this process (``n_jobs == 1``, with ``engine`` if
    given) or a pool of ``n_jobs`` processes that is closed at the end. Chunks are sent a few
    ahead of the consumer, so that finished results never pile up in memory.
    """
    ex = executor if executor is not None else executor_for(n_jobs if len(jobs) > 1 else 1)
    context = RunContext(settings, engine if isinstance(ex, InProcess) else None)
    try:
        for results in ex.map(run_chunk, context, chunked(jobs, ex.jobs)):
            for out in results:
                if on_done is not None:
                    on_done(out)
                yield out
    finally:
        if executor is None:
            ex.close()


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """``--jobs`` and ``--scheduler``: where the work runs (:func:`simulator.executors.executor_for`)."""
    from simulator.commands.common import bounded_int

    p.add_argument(
        "--jobs",
        type=bounded_int(1, 64, "jobs"),
        default=1,
        metavar="J",
        help=f"worker processes (default 1; this machine has {default_jobs()} cores). "
        "The results are identical for any J.",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster: its scheduler's address (tcp://HOST:8786), or 'local' for a "
        "cluster of J workers on this machine (needs the 'dask' extra). The results are identical.",
    )
