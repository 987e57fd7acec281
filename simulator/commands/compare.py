"""``simulator compare A B [...]``: how scenarios differ from a reference, per year and per target.

The reference is the scenario named ``baseline`` if one of the files is it, else the first file.
Every scenario is projected with the run's seed (unless its file sets one), so the differences
come from policy, not from luck. Per fiscal year: the mean and the median of exports and their
differences from the reference; per target: the odds by the deadline (or, for a target without
one, the median year it is reached) and the difference from the reference.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from simulator import output
from simulator.commands import common
from simulator.commands.runner import Worker
from simulator.compare import (
    DECIMALS,
    TARGET_COLUMNS,
    TARGETS_FILE,
    YEAR_COLUMNS,
    YEARS_FILE,
    Compared,
    compare,
)
from simulator.scenario_files import load_scenarios


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="the differences between scenarios, per year and per target",
        description=(
            "Project two or more scenarios (files, or names of shipped scenarios) with the same "
            "draws and show how each differs from the reference (the scenario named 'baseline' if "
            "given, else the first): "
            "per fiscal year the median and mean of exports, per target the odds by its deadline."
        ),
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="SCENARIO",
        help="two or more scenario files, folders of them, or names of shipped scenarios (e.g. baseline)",
    )
    common.add_settings_options(p)
    p.add_argument("--out", metavar="DIR", help=f"also write {YEARS_FILE} and {TARGETS_FILE} to this folder")
    p.add_argument("--overwrite", action="store_true", help="write into an --out folder that is not empty")
    p.add_argument(
        "--every",
        type=common.bounded_int(1, 50, "every"),
        default=1,
        metavar="K",
        help="show every K-th fiscal year in the printed table (the CSV has them all)",
    )


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    out = output.ResultFolder(args.out, overwrite=args.overwrite) if args.out else None
    engine = common.engine_for(settings, args)
    loaded = load_scenarios(common.expand_paths(args.files), first_year=engine.first_projection_year)
    failures = [(i.source, "\n".join(str(e) for e in i.errors)) for i in loaded if not i.ok]
    good = [i.resolved for i in loaded if i.ok and i.resolved is not None]
    if len(loaded) < 2:
        raise _usage("compare needs at least two scenario files")
    if len(good) < 2:
        common.print_errors("not enough scenarios to compare:", failures)
        return 1
    worker = Worker(settings, engine)
    items = [Compared.of(s.name, worker.project(s)) for s in good]
    result = compare(items)
    ref, others, year_rows, target_rows = (
        result.reference,
        result.others,
        result.year_rows,
        result.target_rows,
    )
    print(years_table(year_rows, others, ref, every=args.every), end="")
    print()
    print(targets_table(target_rows, others, ref), end="")
    if len({c.projection.draws.seed for c in items}) > 1:
        print("note: the scenarios use different seeds, so the differences include sampling noise")
    if out is not None:
        with out:
            out.write_text(YEARS_FILE, output.format_csv(year_rows, YEAR_COLUMNS, DECIMALS))
            out.write_text(TARGETS_FILE, output.format_csv(target_rows, TARGET_COLUMNS, DECIMALS))
            out.commit()
        print(f"wrote {YEARS_FILE}, {TARGETS_FILE} to {out.shown}")
    if failures:
        common.print_errors(f"{len(failures)} of {len(loaded)} scenarios failed:", failures)
        return 1
    return 0


def _usage(message: str) -> Exception:
    from simulator.errors import InputError

    return InputError(message, allowed="simulator compare baseline B.yaml [C.yaml ...]")


def _bn(x: float) -> str:
    return f"{x / 1000:.2f}"


def _signed_bn(x: float) -> str:
    text = f"{x / 1000:+.2f}"
    return "+0.00" if text == "-0.00" else text


def years_table(rows: Sequence[dict], others: Sequence[Compared], ref: Compared, every: int = 1) -> str:
    """Median exports (US$ bn) per fiscal year: the reference, then each scenario and its difference."""
    years = sorted({r["fiscal_year"] for r in rows})
    first = years[0] if years else 0
    shown = [y for y in years if (y - first) % every == 0 or y == years[-1]]
    by = {(r["scenario"], r["fiscal_year"]): r for r in rows}
    header = ["fiscal year", f"{ref.name} median"]
    for c in others:
        header += [f"{c.name} median", "difference"]
    table = []
    for y in shown:
        ref_row = next((by[(c.name, y)] for c in others if (c.name, y) in by), None)
        if ref_row is None:
            continue
        cells = [f"FY{y}", _bn(ref_row["p50_reference"])]
        for c in others:
            r = by.get((c.name, y))
            cells += [_bn(r["p50"]), _signed_bn(r["p50_diff"])] if r else ["-", "-"]
        table.append(cells)
    title = f"median exports, US$ bn, against '{ref.name}' (the CSV also has the mean)\n"
    return title + common.text_table(header, table)


def targets_table(rows: Sequence[dict], others: Sequence[Compared], ref: Compared) -> str:
    """Odds of each dated target (one row per amount and deadline) and their difference in points."""
    by = {(r["scenario"], r["target_id"]): r for r in rows}
    seen: set[tuple] = set()
    header = ["target", ref.name]
    for c in others:
        header += [c.name, "difference"]
    table = []
    for o in sorted(ref.odds, key=lambda o: (o.target.deadline_fy or 9999, o.target.amount_musd)):
        t = o.target
        key = (t.amount_musd, t.deadline_fy)
        if key in seen:
            continue
        seen.add(key)
        if t.deadline_fy is not None:
            label = f"${t.amount_musd / 1000:g}B by FY{t.deadline_fy}"
            cells = [label, _odds(o.p_by_deadline)]
            for c in others:
                r = by.get((c.name, t.id))
                cells += [_odds(r["p_by_deadline"]), _points(r["p_diff"])] if r else ["-", "-"]
        else:
            cells = [f"${t.amount_musd / 1000:g}B: median year", _year(o.year_p50)]
            for c in others:
                r = by.get((c.name, t.id))
                cells += [_year(r["year_p50"]), _year_diff(r["year_p50"], o.year_p50)] if r else ["-", "-"]
        table.append(cells)
    title = f"odds of each target by its deadline, against '{ref.name}' (difference in percentage points)\n"
    text = title + common.text_table(header, table)
    if any(common.NOT_COMPUTED in cells for cells in table):
        text += (
            f"{common.NOT_COMPUTED}: not computed, the scenario's horizon ends before the deadline and the "
            "odds would be understated; set a later horizon\n"
        )
    return text


def _odds(p: float | None) -> str:
    """A dated target's odds; ``None`` means not computed (its horizon ends before the deadline)."""
    return common.NOT_COMPUTED if p is None else common.percent(p)


def _points(d: float | None) -> str:
    if d is None:
        return "-"
    text = f"{d * 100:+.1f} pt"
    return "+0.0 pt" if text == "-0.0 pt" else text


def _year(y: int | None) -> str:
    return f"FY{y}" if y is not None else "not by horizon"


def _year_diff(y: int | None, ref: int | None) -> str:
    if y is None or ref is None:
        return "-"
    return f"{y - ref:+d} yr"
