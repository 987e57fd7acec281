"""``simulator validate FILES...``: check scenario files (and their bases) without running them."""

from __future__ import annotations

import argparse

from simulator.commands import common
from simulator.scenario_files import default_first_year, load_scenarios


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check scenario files without running them",
        description=(
            "Check scenario files (a folder stands for the .yaml files in it): YAML syntax, "
            "fields, types, ranges, years, and that each base scenario exists and the bases do "
            "not refer to each other in a circle. Every problem is listed with its file, line, "
            "field, value and what is allowed. Exit code 1 if any file has a problem."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files (.yaml) or folders of them")
    p.add_argument("--quiet", action="store_true", help="print only the problems")


def run(args: argparse.Namespace) -> int:
    loaded = load_scenarios(common.expand_paths(args.files), first_year=default_first_year())
    failures = []
    for item in loaded:
        if item.ok:
            if not args.quiet:
                print(f"ok      {item.source}: {' -> '.join(item.chain)}")
        else:
            failures.append((item.source, "\n".join(str(e) for e in item.errors)))
            if not args.quiet:
                print(f"FAILED  {item.source}")
    if failures:
        common.print_errors(f"{len(failures)} of {len(loaded)} files have problems:", failures)
        return 1
    return 0
