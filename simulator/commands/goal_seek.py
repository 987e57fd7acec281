"""``simulator goal-seek``: what lever settings reach a target with a required probability.

For one goal (a target id, or an amount and a deadline) and a probability, prints the least
demanding setting of each lever alone (or "not reachable with this lever alone") and the
least-change package of all the levers allowed, and writes the same as CSV with ``--out``.
See :mod:`simulator.analysis.goal_seek` for the method.

The option helpers here (goal, scenario, draws and seed, CSV output) are shared by
``simulator attribute`` and ``simulator sensitivity``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

from simulator import output
from simulator.analysis import plausibility
from simulator.analysis.goal_seek import (
    DEFAULT_PROBABILITY,
    GoalSeek,
    ReachModel,
    check_levers,
    goal_seek,
    goal_seek_rows,
)
from simulator.analysis.goals import Goal, dated_open_goals, resolve_goal
from simulator.commands import common
from simulator.engine import Engine
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME
from simulator.scenario import Scenario, baseline_scenario, validate_scenario
from simulator.scenario_files import load_scenario_files, shipped_scenarios
from simulator.settings import MAX_DRAWS, MAX_HORIZON, MIN_DRAWS, Settings, load_settings

DECIMALS = {
    "amount_musd": 1,
    "probability_required": 4,
    "probability_at_value": 4,
    "probability_current": 4,
    "probability_best_end": 4,
    "distance": 6,
}

COLUMNS = (
    "goal",
    "amount_musd",
    "deadline_fy",
    "probability_required",
    "start_year",
    "draws",
    "seed",
    "method",
    "lever",
    "unit",
    "current",
    "value",
    "reachable",
    "probability_at_value",
    "probability_current",
    "probability_best_end",
    "distance",
)


# --------------------------------------------------------------------------- shared option helpers


def probability(text: str) -> float:
    """An argparse ``type``: a share in (0, 1) such as ``0.8``, or a percentage such as ``80%``."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability (write 0.8 or 80%)") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range (a share between 0 and 1, e.g. 0.8 or 80%)"
        )
    return value


def add_goal_options(p: argparse.ArgumentParser, *, many: bool) -> None:
    """``--target`` (once, or repeated when ``many``), ``--amount`` and ``--deadline``."""
    p.add_argument(
        "--target",
        action="append" if many else "store",
        metavar="ID",
        help="target id from calibration/data/targets.csv (--list-targets shows them)"
        + ("; repeat for several (default: every open target with a deadline)" if many else ""),
    )
    p.add_argument("--amount", type=float, metavar="MUSD", help="a goal of your own: amount in US$ millions")
    p.add_argument(
        "--deadline",
        type=common.bounded_int(2000, 2100, "deadline"),
        metavar="FY",
        help="deadline fiscal year for --amount, or for a target stated without one",
    )
    p.add_argument("--list-targets", action="store_true", help="list the target ids and stop")


def goals_from(args: argparse.Namespace, engine: Engine, horizon: int = MAX_HORIZON) -> list[Goal]:
    """The goals the options name (several ``--target``, or one amount, or every dated open target).

    A deadline must lie between the first projection year and ``horizon``.
    """
    ids = args.target if isinstance(args.target, list) else [args.target] if args.target else []
    if args.amount is not None:
        if ids:
            raise InputError("give --target or --amount, not both", field="amount")
        return [resolve_goal(engine, amount_musd=args.amount, deadline_fy=args.deadline, horizon=horizon)]
    if ids:
        return [resolve_goal(engine, target_id=t, deadline_fy=args.deadline, horizon=horizon) for t in ids]
    goals = dated_open_goals(engine, horizon)
    if not goals:
        raise InputError("no open target with a deadline by the horizon", field="target")
    return goals


def target_list(engine: Engine) -> str:
    """The open targets as a plain-text table (for ``--list-targets``)."""
    rows = [
        [
            t.id,
            f"${t.amount_musd / 1000:g}B",
            f"FY{t.deadline_fy}" if t.deadline_fy else "none",
            f"{t.who}" + (f", {t.said_on}" if t.said_on else ""),
        ]
        for t in engine.open_targets()
    ]
    return "open targets (past ones: the app's track record page)\n" + common.text_table(
        ["id", "amount", "deadline", "stated by"], rows, right=[False, True, True, False]
    )


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scenario",
        metavar="FILE",
        help="scenario file (or the name of a shipped scenario, e.g. blueprint-package) whose "
        "levers, assumptions and trend apply (default: the baseline, current policy)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="hold a lever at a value from the first projection year, on top of --scenario "
        f"(repeatable; levers: {', '.join(LEVER_BY_NAME)})",
    )


def scenario_from(args: argparse.Namespace, engine: Engine) -> Scenario:
    """The scenario the options describe, resolved onto its bases (baseline by default)."""
    first = engine.first_projection_year
    base = baseline_scenario()
    if args.scenario:
        path = Path(args.scenario)
        if path.exists():
            (base,) = load_scenario_files([path], first_year=first)
        else:
            shipped = shipped_scenarios(first_year=first)
            if args.scenario not in shipped:
                raise InputError(
                    "is neither a file nor a shipped scenario",
                    field="--scenario",
                    value=args.scenario,
                    allowed=", ".join(shipped),
                )
            base = shipped[args.scenario]
    levers: dict[str, float] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError("must be written LEVER=VALUE", field="--set", value=item)
        (lever,) = check_levers([name.strip()])
        try:
            levers[lever.name] = float(value)
        except ValueError:
            raise InputError("must be a number", field=f"--set {lever.name}", value=value) from None
    if not levers:
        return base
    doc = {"name": f"{base.name}-set", "levers": levers}
    return validate_scenario(doc, first_year=first, source="--set").merged_onto(base)


def add_draws_seed(p: argparse.ArgumentParser, *, draws_help: str | None = None) -> None:
    p.add_argument(
        "--draws",
        type=common.bounded_int(MIN_DRAWS, MAX_DRAWS, "draws"),
        metavar="N",
        help=draws_help or f"Monte Carlo draws ({MIN_DRAWS}-{MAX_DRAWS}; default: SIMULATOR_DRAWS or 10000)",
    )
    p.add_argument(
        "--seed",
        type=common.bounded_int(0, None, "seed"),
        metavar="S",
        help="seed of the random numbers (default: SIMULATOR_SEED)",
    )


def add_out_option(p: argparse.ArgumentParser, columns_doc: str) -> None:
    p.add_argument("--out", metavar="FILE", help=f"write the results as CSV to FILE ({columns_doc})")


def write_csv(
    path: str, rows: Sequence[Mapping[str, object]], columns: Sequence[str], decimals: Mapping[str, int]
) -> None:
    """Write ``rows`` as CSV (formula cells neutralised) to ``path`` atomically.

    A path that cannot be a file is an InputError (usage); a failed write (a full disk, no
    permission) an OutputError, with the earlier file, if any, unchanged.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError("is a folder; give a file name", file=str(p), allowed="a .csv file name")
    if not p.parent.is_dir():
        raise InputError("the folder does not exist", file=str(p.parent))
    output.write_text_atomic(p, output.format_csv(rows, columns, decimals))


def settings_for(args: argparse.Namespace) -> Settings:
    return load_settings(draws=getattr(args, "draws", None), seed=getattr(args, "seed", None))


def warn_lines(warnings: Sequence[object]) -> str:
    return "".join(f"  ! {w}\n" for w in warnings)


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
    add_goal_options(p, many=False)
    p.add_argument(
        "--probability",
        type=probability,
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
    add_scenario_options(p)
    add_draws_seed(p)
    add_out_option(p, "one row per lever and method; columns documented in simulator.analysis.goal_seek")


def run(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    engine = Engine.from_settings(settings)
    if args.list_targets:
        print(target_list(engine), end="")
        return 0
    (goal,) = goals_from(args, engine) if (args.target or args.amount is not None) else _need_goal()
    levers = check_levers(args.lever) if args.lever else None
    base = scenario_from(args, engine)
    model = ReachModel.build(engine, goal, settings, base=base, start_year=args.start)
    result = goal_seek(model, args.probability, levers, package=not args.no_package)
    print(report(result, engine, model), end="")
    if args.out:
        write_csv(args.out, goal_seek_rows(result), COLUMNS, DECIMALS)
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
        text += warn_lines([need])
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
        text += "Plausibility of the package's median path:\n" + warn_lines(warnings)
    return text
