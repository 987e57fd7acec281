"""``simulator goal-seek``: what moves on top of a scenario reach a target with a required probability.

For one goal (a target id, or an amount and a deadline), a probability and a scenario (default
the baseline), prints the probability of the scenario as it is (and says so when that already
reaches the goal), the least move of each lever alone on top of the scenario's paths (or "not
reachable with this lever alone"), and the least-change package of all the levers allowed, with
how near to least it is proved to be. ``--out`` writes the same as CSV; ``--package-out`` writes
the package as a scenario file that ``simulator run`` runs unchanged. See
:mod:`simulator.analysis.goal_seek` for the method; the options shared with ``simulator
attribute`` and ``sensitivity`` are in :mod:`simulator.commands.common`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from simulator import output
from simulator.analysis import plausibility
from simulator.analysis.goal_seek import (
    DEFAULT_BUDGET,
    DEFAULT_PROBABILITY,
    GOAL_SEEK_COLUMNS,
    GOAL_SEEK_DECIMALS,
    GoalSeek,
    ReachModel,
    check_levers,
    goal_seek,
    goal_seek_rows,
)
from simulator.analysis.goals import Goal, start_reason
from simulator.analysis.moves import format_change, ramp_bounds
from simulator.commands import common
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import default_start_year
from simulator.scenario_files import SUFFIXES
from simulator.scenario_writer import dump_scenario

# --------------------------------------------------------------------------- the command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "goal-seek",
        help="moves on top of a scenario that reach a target with a required probability",
        description=(
            "For a target (or an amount and a deadline), a required probability and a scenario "
            "(default: the baseline), find the least move of each lever alone on top of the "
            "scenario's lever paths that reaches it (or say it is not reachable with that lever "
            "alone within its range), and the least-change package of all the levers: the smallest "
            "sum of squared moves, as shares of each lever's range, proved least on the levers' "
            "grids or given with a proved lower bound. Every candidate is projected with the same "
            "draws (common random numbers)."
        ),
    )
    common.add_goal_options(p, many=False)
    p.add_argument(
        "--probability",
        type=common.probability,
        default=DEFAULT_PROBABILITY,
        metavar="P",
        help="required probability of reaching the amount by the deadline (default 0.5; e.g. 0.8 or 80%%)",
    )
    p.add_argument(
        "--lever",
        action="append",
        metavar="NAME",
        help=f"levers allowed to move (repeatable; default all: {', '.join(LEVER_BY_NAME)})",
    )
    p.add_argument(
        "--start",
        type=common.bounded_int(2000, 2100, "start"),
        metavar="FY",
        help="first fiscal year of the moves (default: the year after the first projection year, "
        "or the deadline if earlier)",
    )
    p.add_argument(
        "--ramp",
        type=common.bounded_int(*ramp_bounds(), "ramp"),
        default=0,
        metavar="YEARS",
        help="years over which a move reaches its full size (default 0: at once)",
    )
    p.add_argument("--no-package", action="store_true", help="one lever at a time only")
    p.add_argument(
        "--search-budget",
        type=common.bounded_int(100, 1_000_000, "search budget"),
        default=DEFAULT_BUDGET,
        metavar="N",
        help=f"most packages the grid search evaluates (default {DEFAULT_BUDGET:,}); when it stops "
        "early the answer carries a proved lower bound",
    )
    common.add_scenario_options(p)
    common.add_settings_options(p, horizon=False)
    common.add_out_option(
        p, "one row per lever and method; columns documented in simulator.analysis.goal_seek"
    )
    p.add_argument(
        "--package-out",
        metavar="FILE",
        help="write the package as a scenario file (.yaml) that `simulator run` runs unchanged",
    )


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    engine = Engine.from_settings(settings)
    if args.list_targets:
        print(common.target_list(engine), end="")
        return 0
    (goal,) = common.goals_from(args, engine) if (args.target or args.amount is not None) else _need_goal()
    levers = check_levers(args.lever) if args.lever else None
    package_out = _package_path(args.package_out) if args.package_out else None
    base = common.scenario_from(args, engine)
    model = ReachModel.build(engine, goal, settings, base=base, start_year=args.start, ramp_years=args.ramp)
    result = goal_seek(
        model, args.probability, levers, package=not args.no_package, budget=args.search_budget
    )
    print(report(result, engine), end="")
    if args.out:
        common.write_csv(args.out, goal_seek_rows(result), GOAL_SEEK_COLUMNS, GOAL_SEEK_DECIMALS)
        print(f"wrote {args.out}")
    if package_out is not None:
        scenario = result.package_scenario()
        if scenario is None:
            print(f"no package reaches the goal: {package_out} not written")
        else:
            output.write_text_atomic(package_out, dump_scenario(scenario))
            print(f"wrote {package_out} (scenario {scenario.name}; `simulator run` gives the same odds)")
    return 0


def _need_goal() -> tuple[Goal]:
    raise InputError("name a target (--target ID) or give --amount and --deadline", field="target")


def _package_path(text: str) -> Path:
    """The scenario file to write: a .yaml or .yml name in a folder that exists."""
    p = Path(text)
    if p.suffix not in SUFFIXES:
        raise InputError(
            "must be a scenario file name", field="--package-out", value=text, allowed=", ".join(SUFFIXES)
        )
    if p.is_dir() or not p.parent.is_dir():
        raise InputError("must be a file in a folder that exists", field="--package-out", value=text)
    return p


# --------------------------------------------------------------------------- the report


def report(result: GoalSeek, engine: Engine) -> str:
    """The plain-text report of a goal seek."""
    g = result.goal
    who = f" (target {g.target.id}: {g.target.who})" if g.target is not None else ""
    first = engine.first_projection_year
    when = f"from FY{result.start_year}"
    ramp = f"over {result.ramp_years} years" if result.ramp_years > 1 else "at once"
    lines = [
        f"Goal: {g.label}{who}, with probability at least {result.p_required:.0%}.",
        f"Starting from: {result.base}, its lever paths as they are; "
        f"{result.draws:,} draws, seed {result.seed}.",
        f"Moves are added to those paths {when}, {ramp}.",
    ]
    if result.start_year == default_start_year(first):
        lines.append(start_reason(engine))
    if result.reached_in_history is not None:
        lines.append(f"Already reached in FY{result.reached_in_history}: nothing to seek.")
        return "\n".join(lines) + "\n"
    lines.append(f"Probability of the scenario as it is: {result.p_scenario:.1%}.")
    text = "\n".join(lines) + "\n"
    need = plausibility.check_goal(engine, g)
    if need is not None:
        text += common.warn_lines([need])
    if result.scenario_reaches:
        return text + (
            f"\nThe scenario as it is already reaches {g.label} with probability at least "
            f"{result.p_required:.0%}: no move is needed.\n"
        )
    return text + _lever_table(result) + _package_text(result)


def _lever_table(result: GoalSeek) -> str:
    year = result.goal.deadline_fy
    rows = []
    for a in result.levers:
        if a.move is None:
            answer, then, p = "not reachable alone", "-", "-"
        else:
            answer, then, p = format_change(a.lever, a.move), f"{a.value:g}", common.percent(a.p_value)
        rows.append(
            [a.lever.label, a.lever.unit, f"{a.scenario_value:g}", answer, then, p, common.percent(a.p_best)]
        )
    return "\nOne lever at a time (the others as in the scenario):\n" + common.text_table(
        ["lever", "unit", f"FY{year} now", "least move alone", f"FY{year} then", "P there", "P at range end"],
        rows,
        right=[False, False, True, True, True, True, True],
    )


def _package_text(result: GoalSeek) -> str:
    pkg = result.package
    if pkg is None:
        return ""
    year = result.goal.deadline_fy
    text = "\nLeast-change package (smallest sum of squared moves as shares of each lever's range):\n"
    if not pkg.reachable:
        return text + f"  {pkg.text()}; no package within the ranges reaches the goal.\n"
    space = result.model.space
    rows = []
    for name, move in pkg.moved().items():
        lv = LEVER_BY_NAME[name]
        rows.append(
            [
                lv.label,
                lv.unit,
                f"{space.value_in(lv, 0.0, year):g}",
                format_change(lv, move),
                f"{space.value_in(lv, move, year):g}",
                f"{move / (lv.max - lv.min):.0%}",
            ]
        )
    text += common.text_table(
        ["lever", "unit", f"FY{year} now", "move", f"FY{year} then", "move (of range)"],
        rows,
        right=[False, False, True, True, True, True],
    )
    text += (
        f"P with the package: {pkg.p_value:.1%}; distance {pkg.distance:.4f}: {pkg.nearness()} "
        f"({pkg.evaluations:,} projections).\n"
    )
    warnings = plausibility.check(result.model.project(pkg.moves, name="package"))
    if warnings:
        text += "Plausibility of the package's median path:\n" + common.warn_lines(warnings)
    return text
