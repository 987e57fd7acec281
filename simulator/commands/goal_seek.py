"""``simulator goal-seek``: what lever settings reach a target with a required probability.

For one goal (a target id, or an amount and a deadline) and a probability, prints the least
demanding setting of each lever alone (or "not reachable with this lever alone") and the
least-change package of all the levers allowed, and writes the same as CSV with ``--out``.
See :mod:`simulator.analysis.goal_seek` for the method; the options shared with ``simulator
attribute`` and ``sensitivity`` are in :mod:`simulator.commands.common`.
"""

from __future__ import annotations

import argparse

from simulator.analysis import plausibility
from simulator.analysis.goal_seek import (
    DEFAULT_PROBABILITY,
    GOAL_SEEK_COLUMNS,
    GOAL_SEEK_DECIMALS,
    GoalSeek,
    ReachModel,
    check_levers,
    goal_seek,
    goal_seek_rows,
)
from simulator.analysis.goals import Goal
from simulator.commands import common
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME

# --------------------------------------------------------------------------- the command


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "goal-seek",
        help="lever settings that reach a target with a required probability",
        description=(
            "For a target (or an amount and a deadline) and a required probability, find the least "
            "demanding setting of each lever alone that reaches it (or say it is not reachable with "
            "that lever alone within its range), and the least-change package of all the levers: "
            "the smallest sum of squared moves, as fractions of each lever's range, that reaches it. "
            "Every candidate is projected with the same draws (common random numbers)."
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
        help=f"levers to consider (repeatable; default all: {', '.join(LEVER_BY_NAME)})",
    )
    p.add_argument(
        "--start",
        type=common.bounded_int(2000, 2100, "start"),
        metavar="FY",
        help="first fiscal year of the lever changes (default: the first projection year)",
    )
    p.add_argument("--no-package", action="store_true", help="one lever at a time only")
    common.add_scenario_options(p)
    common.add_settings_options(p, horizon=False)
    common.add_out_option(
        p, "one row per lever and method; columns documented in simulator.analysis.goal_seek"
    )


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    engine = Engine.from_settings(settings)
    if args.list_targets:
        print(common.target_list(engine), end="")
        return 0
    (goal,) = common.goals_from(args, engine) if (args.target or args.amount is not None) else _need_goal()
    levers = check_levers(args.lever) if args.lever else None
    base = common.scenario_from(args, engine)
    model = ReachModel.build(engine, goal, settings, base=base, start_year=args.start)
    result = goal_seek(model, args.probability, levers, package=not args.no_package)
    print(report(result, engine, model), end="")
    if args.out:
        common.write_csv(args.out, goal_seek_rows(result), GOAL_SEEK_COLUMNS, GOAL_SEEK_DECIMALS)
        print(f"wrote {args.out}")
    return 0


def _need_goal() -> tuple[Goal]:
    raise InputError("name a target (--target ID) or give --amount and --deadline", field="target")


def report(result: GoalSeek, engine: Engine, model: ReachModel) -> str:
    """The plain-text report of a goal seek."""
    g = result.goal
    who = f" (target {g.target.id}: {g.target.who})" if g.target is not None else ""
    lines = [
        f"Goal: {g.label}{who}, with probability at least {result.p_required:.0%}.",
        f"Scenario: {result.base}; {result.draws:,} draws, seed {result.seed}; "
        f"levers changed from FY{result.start_year}.",
    ]
    if result.reached_in_history is not None:
        lines.append(f"Already reached in FY{result.reached_in_history}: nothing to seek.")
        return "\n".join(lines) + "\n"
    lines.append(f"Probability on the scenario as it is: {result.p_current:.1%}.")
    text = "\n".join(lines) + "\n"
    need = plausibility.check_goal(engine, g)
    if need is not None:
        text += common.warn_lines([need])
    text += "\nOne lever at a time (the others as in the scenario):\n"
    rows = []
    for a in result.levers:
        if a.value is None:
            answer, p = f"not reachable alone ({a.lever.min:g} to {a.lever.max:g})", "-"
        else:
            answer = f"{'at least' if a.lever.direction > 0 else 'at most'} {a.value:g}"
            p = common.percent(a.p_value)
        rows.append([a.lever.label, a.lever.unit, f"{a.current:g}", answer, p, common.percent(a.p_best)])
    text += common.text_table(
        ["lever", "unit", "now", "least setting alone", "P there", "P at range end"],
        rows,
        right=[False, False, True, False, True, True],
    )
    pkg = result.package
    if pkg is None:
        return text
    text += "\nLeast-change package (smallest sum of squared moves as fractions of each lever's range):\n"
    if not pkg.reachable:
        return text + f"  {pkg.text()}; no setting within the ranges reaches the goal.\n"
    moved = pkg.moved()
    if not moved:
        return text + f"  {pkg.text()}\n"
    rows = []
    for name, v in moved.items():
        lv = LEVER_BY_NAME[name]
        share = abs(v - pkg.current[name]) / (lv.max - lv.min)
        rows.append([lv.label, lv.unit, f"{pkg.current[name]:g}", f"{v:g}", f"{share:.0%}"])
    text += common.text_table(
        ["lever", "unit", "now", "package", "move (of range)"], rows, right=[False, False, True, True, True]
    )
    state = "converged" if pkg.converged else "not converged"
    plural = "s" if pkg.iterations != 1 else ""
    text += (
        f"P with the package: {pkg.p_value:.1%} (distance {pkg.distance:.3f}; {state} after "
        f"{pkg.iterations} iteration{plural}, {pkg.evaluations} projections).\n"
    )
    warnings = plausibility.check(model.engine.project(model.scenario(pkg.settings), model.draws))
    if warnings:
        text += "Plausibility of the package's median path:\n" + common.warn_lines(warnings)
    return text
