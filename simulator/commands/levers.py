"""``simulator levers``: the policy levers with unit, current-policy default, range and source.

Everything printed comes from the declarations in :mod:`simulator.levers`; nothing is retyped.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap

from simulator import resources, scenario_reference
from simulator.errors import InputError
from simulator.levers import LEVERS, Lever

COLUMNS = ("lever", "unit", "default", "range", "source")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "levers",
        help="list the policy levers: unit, current-policy default, range and source",
        description=(
            "List the policy levers a scenario file can set (under `levers:`), each with its unit, "
            "its current-policy default (what the baseline holds), the range a scenario may use "
            "and the source of the default."
        ),
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the scenario-file reference (fields, levers, assumptions) as Markdown, "
        "as in scenarios/README.md",
    )
    p.add_argument(
        "--update-readme",
        action="store_true",
        help="rewrite the generated reference section of scenarios/README.md from the declarations",
    )


def run(args: argparse.Namespace) -> int:
    if args.update_readme:
        if resources.source_checkout() is None:
            raise InputError(
                "rewrites scenarios/README.md of a source checkout; this copy is installed from a wheel",
                field="--update-readme",
            )
        print(f"updated {scenario_reference.update_readme()}")
        return 0
    if args.markdown:
        print(scenario_reference.reference_markdown(), end="")
        return 0
    print(lever_table(width=shutil.get_terminal_size((120, 24)).columns))
    return 0


def lever_rows() -> list[dict[str, str]]:
    """One row per lever, the cells as text."""
    return [
        {
            "lever": lv.name,
            "unit": lv.unit,
            "default": f"{lv.default:g}",
            "range": f"{lv.min:g} to {lv.max:g}",
            "source": lv.default_source,
        }
        for lv in LEVERS
    ]


def lever_table(width: int = 120, levers: tuple[Lever, ...] = LEVERS) -> str:
    """A plain-text table of the levers; the source column wraps to fit ``width``."""
    rows = lever_rows()
    fixed = COLUMNS[:-1]
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in fixed}
    used = sum(widths.values()) + 2 * len(fixed)
    source_width = max(30, width - used)
    lines = ["  ".join(c.ljust(widths[c]) for c in fixed) + "  source"]
    lines.append("  ".join("-" * widths[c] for c in fixed) + "  " + "-" * min(source_width, 40))
    indent = " " * used
    for r in rows:
        wrapped = textwrap.wrap(r["source"], source_width) or [""]
        lines.append("  ".join(r[c].ljust(widths[c]) for c in fixed) + "  " + wrapped[0])
        lines.extend(indent + w for w in wrapped[1:])
    return "\n".join(lines)
