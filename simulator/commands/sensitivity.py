"""``simulator sensitivity``: which uncertain assumptions matter most for the odds of each target.

Prints, for each goal, a tornado (the probability with one input at its low and high value, the
others central) and the Sobol first-order and total indices (SALib) with their bootstrap
confidence intervals, the base sample ``N``, the number of model runs and the shock paths each
run averages; ``--out`` writes the same as CSV (columns:
:data:`simulator.analysis.sensitivity.SENSITIVITY_COLUMNS`). See
:mod:`simulator.analysis.sensitivity` for the inputs and the method.
"""

from __future__ import annotations

import argparse
import time

from simulator.analysis.goals import CENTRAL_ODDS_NAME
from simulator.analysis.sensitivity import (
    DEFAULT_N,
    DEFAULT_SHOCKS,
    SENSITIVITY_COLUMNS,
    SENSITIVITY_DECIMALS,
    OddsModel,
    SobolResult,
    Tornado,
    odds_sobol,
    sensitivity_rows,
    tornado,
    uncertain_inputs,
)
from simulator.commands import common
from simulator.engine import Engine


def power_of_two(text: str) -> int:
    n = common.bounded_int(2, 1 << 16, "N")(text)
    if n & (n - 1):
        raise argparse.ArgumentTypeError(f"{n} is not a power of two (N: e.g. 256, 512, 1024)")
    return n


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sensitivity",
        help="which uncertain assumptions matter most for the odds of each target (tornado, Sobol)",
        description=(
            "For each target, the probability of reaching it by its deadline as a function of the "
            "uncertain inputs (every effect-size assumption, the trend's growth and the size of "
            "yearly shocks), averaged over a fixed set of shock paths: a tornado (one input at a "
            "time at its low and high value, the others central) and Sobol first-order and total "
            "indices computed with SALib, with bootstrap confidence intervals."
        ),
    )
    common.add_scenario_options(p)
    common.add_goal_options(p, many=True)
    p.add_argument(
        "-n",
        "--n",
        dest="n",
        type=power_of_two,
        default=DEFAULT_N,
        metavar="N",
        help=f"Sobol base sample, a power of two (default {DEFAULT_N}): N x (inputs + 2) model runs",
    )
    p.add_argument(
        "--shocks",
        type=common.bounded_int(50, 20000, "shocks"),
        default=DEFAULT_SHOCKS,
        metavar="M",
        help=f"shock paths each run's probability averages (default {DEFAULT_SHOCKS})",
    )
    common.add_settings_options(p, draws=False, horizon=False)
    p.add_argument("--no-sobol", action="store_true", help="the tornado only (fast)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    common.add_out_option(p, "one row per target, input and method")


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    engine = Engine.from_settings(settings)
    if args.list_targets:
        print(common.target_list(engine), end="")
        return 0
    scenario = common.scenario_from(args, engine)
    goals = common.goals_from(args, engine)
    inputs, fixed = uncertain_inputs(engine, scenario)
    model = OddsModel(engine, scenario, goals, inputs, shocks=args.shocks, seed=settings.seed)
    print(
        f"Scenario: {scenario.name}; {len(goals)} target(s); {len(inputs)} uncertain inputs; "
        f"each run averages {args.shocks:,} shock paths (seed {settings.seed})."
    )
    if fixed:
        print(f"Fixed by the scenario (left out): {', '.join(fixed)}.")
    tornadoes = tornado(model)
    print()
    for t in tornadoes:
        print(tornado_table(t, inputs), end="")
    sobols: list[SobolResult] = []
    if not args.no_sobol:
        runs = args.n * (len(inputs) + 2)
        bar = common.Progress(100, "sobol", unit="%", enabled=False if args.quiet else None)
        start = time.perf_counter()
        sobols = odds_sobol(model, n=args.n, seed=settings.seed, on_progress=bar.fraction)
        bar.close()
        print(
            f"Sobol indices: N = {args.n}, {runs:,} model runs x {args.shocks:,} shock paths "
            f"({time.perf_counter() - start:.1f} s); +- half-width of the 95% bootstrap interval.\n"
        )
        for s in sobols:
            print(sobol_table(s, goals_label(tornadoes, s.output)), end="")
    if args.out:
        rows = sensitivity_rows(tornadoes, sobols, args.shocks, inputs)
        common.write_csv(args.out, rows, SENSITIVITY_COLUMNS, SENSITIVITY_DECIMALS)
        print(f"wrote {args.out}")
    return 0


def goals_label(tornadoes: list[Tornado], key: str) -> str:
    return next((t.goal.label for t in tornadoes if t.goal.key == key), key)


def tornado_table(t: Tornado, inputs) -> str:
    by = {i.name: i for i in inputs}
    head = (
        f"{t.goal.label}: {CENTRAL_ODDS_NAME.lower()} {common.percent(t.y_central)} (every uncertain input "
        "at its central value; not the odds, which draw every input: see the README, 'What it takes')\n"
    )
    rows = [
        [
            b.label,
            by[b.input].text(b.low_value),
            by[b.input].text(b.high_value),
            common.percent(b.y_low),
            common.percent(b.y_high),
        ]
        for b in t.bars
    ]
    return (
        head
        + common.text_table(
            ["input", "low", "high", "P low", "P high"], rows, right=[False, True, True, True, True]
        )
        + "\n"
    )


def sobol_table(s: SobolResult, label: str) -> str:
    head = f"{label}: mean P {s.mean:.1%}, variance {s.variance:.2e}\n"
    if not s.defined:
        return head + f"  {s.note}\n\n"
    rows = [
        [s.labels[i], f"{s.s1[i]:.3f} +- {s.s1_conf[i]:.3f}", f"{s.st[i]:.3f} +- {s.st_conf[i]:.3f}"]
        for i in s.ranked()
    ]
    return head + common.text_table(["input", "first-order", "total"], rows) + "\n"
