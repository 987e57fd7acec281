"""``simulator run FILES... --out DIR``: run scenario files and write the results.

Writes ``projections.csv``, ``targets.csv`` and ``manifest.json`` (see :mod:`simulator.output`)
and prints a short summary: per scenario, the median of FY2030 exports and the odds of each
dated target. A bad file never stops the others; the failures are listed at the end and the
exit code is 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from simulator import output
from simulator.commands import common
from simulator.commands.runner import (
    SUMMARY_YEAR,
    Job,
    Outcome,
    add_executor_options,
    read_files,
    run_jobs,
)
from simulator.data import Target
from simulator.engine import Engine
from simulator.executors import Executor, executor_for
from simulator.scenario_files import LoadedScenario, load_scenarios
from simulator.settings import Settings

EXIT_OK, EXIT_FAILED = 0, 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="run scenario files and write projections.csv, targets.csv and manifest.json",
        description=(
            "Run every scenario file (a folder stands for the .yaml files in it), write "
            "projections.csv (one row per scenario and fiscal year), targets.csv (one row per "
            "scenario and target) and manifest.json (versions, hashes, seeds, the command) to "
            "--out, and print a summary: the median of FY2030 exports and the odds of each dated "
            "target. A bad file never stops the others; they are listed at the end (exit code 1)."
        ),
        epilog="exit codes: 0 all went well, 1 some scenarios failed (listed at the end), 2 bad usage.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files (.yaml) or folders of them")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (created; must be new or empty)"
    )
    common.add_settings_options(p)
    add_executor_options(p)
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into an output folder that is not empty, replacing an earlier run's files",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    out = output.ResultFolder(args.out, overwrite=args.overwrite)
    engine = common.engine_for(settings, args)
    with executor_for(args.jobs, getattr(args, "scheduler", None)) as executor:
        return run_on(executor, args, settings, out, engine)


def run_on(
    executor: Executor, args: argparse.Namespace, settings: Settings, out: output.ResultFolder, engine: Engine
) -> int:
    """:func:`run` with the files read and validated, and the scenarios run, on ``executor``."""
    paths = common.expand_paths(args.files)
    first_year = engine.first_projection_year
    loaded = load_scenarios(paths, first_year=first_year, read=read_files(paths, first_year, executor))
    jobs = [Job(i, item.resolved, item.source) for i, item in enumerate(loaded) if item.ok and item.resolved]
    progress = common.Progress(len(loaded), "run", unit="scenario", enabled=False if args.quiet else None)
    for item in loaded:
        if not item.ok:
            progress.update(ok=False)
    outcomes: dict[int, Outcome] = {}
    with out:
        with out.open(output.PROJECTIONS_FILE) as proj, out.open(output.TARGETS_FILE) as targ:
            proj.write(output.header_line(output.PROJECTION_COLUMNS))
            targ.write(output.header_line(output.TARGET_COLUMNS))
            try:
                for o in run_jobs(jobs, settings, engine=engine, executor=executor):
                    if o.ok:
                        proj.write(o.projections_csv)
                        targ.write(o.targets_csv)
                    outcomes[o.index] = _light(o)
                    progress.update(o.ok)
            finally:
                progress.close()
        files = {name: out.sha256[name] for name in (output.PROJECTIONS_FILE, output.TARGETS_FILE)}
        manifest = build_manifest(args, settings, engine, loaded, outcomes, files)
        out.write_text(output.MANIFEST_FILE, output.manifest_text(manifest))
        out.commit()

    ok = [outcomes[i] for i in sorted(outcomes) if outcomes[i].ok]
    if not args.quiet:
        print(summary_table(ok, engine.open_targets()), end="")
        print(f"wrote {', '.join(output.OUTPUT_FILES)} to {out.shown}")
    failures = failure_list(loaded, outcomes)
    if failures:
        common.print_errors(f"{len(failures)} of {len(loaded)} scenarios failed:", failures)
        return EXIT_FAILED
    return EXIT_OK


def _light(o: Outcome) -> Outcome:
    """Drop the CSV text once written: only the summary is kept per scenario."""
    o.projections_csv = o.targets_csv = ""
    return o


def failure_list(loaded: Sequence[LoadedScenario], outcomes: dict[int, Outcome]) -> list[tuple[str, str]]:
    out = []
    for i, item in enumerate(loaded):
        if item.errors:
            out.append((item.source, "\n".join(str(e) for e in item.errors)))
        elif i in outcomes and not outcomes[i].ok:
            out.append((item.source, str(outcomes[i].error)))
    return out


# --------------------------------------------------------------------------- summary


def target_groups(targets: Sequence[Target]) -> list[tuple[float, int]]:
    """Distinct (amount, deadline) of the dated targets, by deadline then amount.

    Targets with the same amount and deadline have the same odds, so the summary shows them once;
    ``targets.csv`` has every target, with or without a deadline.
    """
    return sorted(
        {(t.amount_musd, t.deadline_fy) for t in targets if t.deadline_fy is not None},
        key=lambda g: (g[1], g[0]),
    )


def summary_table(outcomes: Sequence[Outcome], targets: Sequence[Target]) -> str:
    """Per scenario: the median FY2030 exports and the odds of each dated target (plus warnings)."""
    groups = target_groups(targets)
    ids = {g: [t.id for t in targets if (t.amount_musd, t.deadline_fy) == g] for g in groups}
    header = ["scenario", f"FY{SUMMARY_YEAR} median", *(f"${a / 1000:g}B FY{d % 100:02d}" for a, d in groups)]
    header.append("warnings")
    rows = []
    notes: list[str] = []
    short: dict[int, list[str]] = {}  # horizon -> scenarios with a target deadline after it
    for o in outcomes:
        median = f"${o.median_summary_year / 1000:.2f}B" if o.median_summary_year is not None else "-"
        cells = [o.name, median]
        for g in groups:
            if o.horizon is not None and g[1] > o.horizon:
                cells.append(common.NOT_COMPUTED)
                names = short.setdefault(o.horizon, [])
                if o.name not in names:
                    names.append(o.name)
            else:
                cells.append(common.percent(o.odds.get(ids[g][0])))
        cells.append(f"{len(o.warnings)} below" if o.warnings else "")
        rows.append(cells)
        notes.extend(f"  {o.name}: {w}" for w in o.warnings)
    text = common.text_table(header, rows) if rows else "no scenario ran\n"
    text += (
        f"FY{SUMMARY_YEAR} median: reported ICT-services exports; the other columns: the chance of "
        "reaching each target by its deadline (FY: fiscal year ending in June)\n"
    )
    for horizon, names in sorted(short.items()):
        text += (
            f"{common.NOT_COMPUTED}: not computed, the horizon (FY{horizon}) ends before the deadline "
            f"and the odds would be understated ({', '.join(names)}); set a later horizon\n"
        )
    if notes:
        text += "plausibility warnings (growth beyond anything observed):\n" + "\n".join(notes) + "\n"
    return text


# --------------------------------------------------------------------------- manifest


def build_manifest(
    args: argparse.Namespace,
    settings: Settings,
    engine: Engine,
    loaded: Sequence[LoadedScenario],
    outcomes: dict[int, Outcome],
    files: Mapping[str, str | None],
) -> dict:
    """Everything needed to reproduce the run and check its files."""
    scenarios = []
    for i, item in enumerate(loaded):
        o = outcomes.get(i)
        entry: dict[str, object] = {"file": item.source, "file_sha256": item.sha256, "name": item.name}
        if item.chain:
            entry["base_chain"] = list(item.chain[1:])
        if o is not None and o.ok:
            entry.update(status="ok", seed=o.seed, draws=o.draws, horizon=o.horizon)
            if o.warnings:
                entry["warnings"] = o.warnings
        else:
            errors = [str(e) for e in item.errors] or [(o.error if o is not None else None) or "not run"]
            entry.update(status="failed", errors=errors)
        scenarios.append(entry)
    return output.run_manifest(
        ["simulator", *getattr(args, "argv", sys.argv[1:])],
        settings,
        engine,
        jobs=args.jobs,
        files=files,
        scenarios=scenarios,
    )
