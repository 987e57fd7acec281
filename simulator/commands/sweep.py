"""``simulator sweep SPEC.yaml --out DIR``: score every point of a sweep over the levers.

Writes ``sweep.parquet`` (one row per point: the lever values, the odds of each target by its
deadline, the 10th/50th/90th percentiles of exports at the deadline years), ``sweep.csv`` with
``--csv``, and ``manifest.json``. Interrupted, it resumes from the chunks already scored
(kept in ``DIR.partial``) when run again with the same arguments; see
:mod:`simulator.sweep_store`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from simulator import output, sweep, sweep_store
from simulator.commands import common
from simulator.commands.runner import add_executor_options
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.executors import Executor, InProcess, executor_for
from simulator.scenario import Scenario

CONFIRM_ABOVE = 200_000
"""A sweep of more points asks for ``--yes`` (about 2 minutes a 100,000 points on 2 cores)."""
CHUNK_POINTS = 250
"""Points per chunk: the unit of work sent to a worker and of resuming."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="score every point of a sweep over the levers; write sweep.parquet and manifest.json",
        description=(
            "Score every point of a sweep file (levers to vary as lists, ranges or a Latin "
            "hypercube sample) with the same Monte Carlo draws, and write sweep.parquet (one row "
            "per point: lever values, odds of each target by its deadline, 10th/50th/90th "
            "percentiles of exports at the deadline years), sweep.csv with --csv, and "
            "manifest.json to --out. Interrupted, run the same command again: it resumes from the "
            "points already scored (kept in DIR.partial) and gives the same result."
        ),
        epilog="exit codes: 0 done, 1 the results could not be written, 2 bad usage, 130/143 interrupted.",
    )
    p.add_argument("spec", metavar="SPEC", help="sweep file (.yaml)")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (created; must be new or empty)"
    )
    common.add_settings_options(p)
    add_executor_options(p)
    p.add_argument("--csv", action="store_true", help="also write sweep.csv")
    p.add_argument("--yes", action="store_true", help=f"run a sweep of more than {CONFIRM_ABOVE:,} points")
    p.add_argument("--restart", action="store_true", help="discard the unfinished results in DIR.partial")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier sweep's files in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    out = output.ResultFolder(args.out, overwrite=args.overwrite)
    engine = common.engine_for(settings, args)
    spec = sweep.read_sweep_file(args.spec, first_year=engine.first_projection_year)
    base = _base(spec, engine)
    plan = sweep.plan_sweep(spec, base, engine, settings)
    levers = ", ".join(spec.levers)
    print(
        f"sweep {spec.name}: {spec.size:,} points ({levers}), {plan.draws:,} draws, seed {plan.seed}, "
        f"{len(plan.targets)} targets",
        file=sys.stderr,
    )
    _confirm(spec.size, args.yes)
    with executor_for(args.jobs, args.scheduler) as executor:
        return run_plan(plan, executor, out, args=args, engine=engine)


def _base(spec: sweep.SweepSpec, engine: Engine) -> Scenario:
    ref = spec.base
    path = Path(spec.source).parent / ref
    if ref.endswith((".yaml", ".yml")) and path.exists():
        ref = str(path)
    return common.scenario_by_reference(ref, engine, what=f"{spec.source}: base")


def _confirm(size: int, yes: bool) -> None:
    if size <= CONFIRM_ABOVE or yes:
        return
    if sys.stdin.isatty():
        answer = input(f"run {size:,} points? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
    raise InputError(
        f"has {size:,} points, more than {CONFIRM_ABOVE:,}",
        field="sweep",
        allowed="--yes to run it",
    )


def run_plan(
    plan: sweep.SweepPlan,
    executor: Executor,
    out: output.ResultFolder,
    *,
    args: argparse.Namespace,
    engine: Engine,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Score the chunks not yet done, then write the result set. ``on_chunk(i)`` (tests) is
    called after chunk ``i`` is stored."""
    store = sweep_store.PartialStore(
        args.out, key=plan.key, size=plan.spec.size, chunk=CHUNK_POINTS, restart=args.restart
    )
    bounds = store.bounds()
    todo = [i for i in range(len(bounds)) if i not in store.done()]
    context = sweep.ChunkContext(plan, engine if isinstance(executor, InProcess) else None)
    already = plan.spec.size - sum(bounds[i][1] - bounds[i][0] for i in todo)
    progress = common.Progress(plan.spec.size, "sweep", unit="point", enabled=False if args.quiet else None)
    progress.update(already)
    try:
        results = executor.map(sweep.score_chunk, context, [bounds[i] for i in todo])
        for i, rows in zip(todo, results, strict=True):
            store.write(i, rows)
            progress.update(len(rows))
            if on_chunk is not None:
                on_chunk(i)
    finally:
        progress.close()
    write_results(plan, store, out, args=args, engine=engine, jobs=executor.jobs)
    store.remove()
    if not args.quiet:
        print(f"wrote {plan.spec.size:,} points to {out.shown}", file=sys.stderr)
    return 0


def write_results(
    plan: sweep.SweepPlan,
    store: sweep_store.PartialStore,
    out: output.ResultFolder,
    *,
    args: argparse.Namespace,
    engine: Engine,
    jobs: int,
) -> None:
    """The result set: Parquet, CSV with ``--csv``, and the manifest, swapped in whole."""
    tab = sweep_store.table(store.rows(), plan.columns())
    with out:
        sweep_store.write_parquet(out, tab)
        if args.csv:
            out.write_text(sweep_store.CSV_FILE, sweep_store.csv_text(tab))
        manifest = output.run_manifest(
            getattr(args, "argv", []),
            plan.settings,
            engine,
            jobs=jobs,
            files=dict(out.sha256),
            scenarios=[{"name": plan.base.name, "role": "base", "document": plan.base.to_document()}],
        )
        manifest["sweep"] = sweep_manifest(plan)
        out.write_text(output.MANIFEST_FILE, output.manifest_text(manifest))
        out.commit()


def sweep_manifest(plan: sweep.SweepPlan) -> dict[str, object]:
    spec = plan.spec
    return {
        "name": spec.name,
        "file": spec.source,
        "file_sha256": spec.sha256,
        "document": spec.document,
        "points": spec.size,
        "levers": list(spec.levers),
        "start": spec.start,
        "ramp_years": spec.ramp_years,
        "targets": [t.id for t in plan.targets],
        "percentile_years": list(plan.years),
        "draws": plan.draws,
        "seed": plan.seed,
        "horizon": plan.horizon,
        "columns": plan.columns(),
    }
