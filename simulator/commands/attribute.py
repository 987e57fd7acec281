"""``simulator attribute``: how much of the gap between the baseline and each target each lever closes.

For a scenario (a file, a shipped scenario, or ``--set`` lever values) and each goal, prints
the gap between the baseline and the amount at the deadline, each lever's contribution
with its 10th-90th percentile range and its share of the gap, and what remains, each the mean
over the middle draws (:data:`simulator.robust.MIDDLE_LABEL`); ``--out`` writes the same numbers
as CSV, with the plain means over every draw beside them (columns:
:data:`simulator.analysis.attribution.ATTRIBUTION_COLUMNS`).
See :mod:`simulator.analysis.attribution` for the method.
"""

from __future__ import annotations

import argparse

from simulator.analysis import plausibility
from simulator.analysis.attribution import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_DECIMALS,
    Attribution,
    attribute,
    attribution_rows,
)
from simulator.commands import common
from simulator.levers import LEVER_BY_NAME
from simulator.robust import MIDDLE_LABEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "attribute",
        help="how much of the gap to each target each lever of a scenario closes",
        description=(
            "Split the gap between the baseline and each target at its deadline by lever, for a "
            "scenario: each lever's contribution (US$ m) with its 10th-90th percentile range "
            "over the draws and its share of the gap, and what remains, as means over the middle 80% "
            "of draws (ranked by scenario minus baseline; the CSV has the plain means too). The split "
            "is exact: the contributions add up to scenario minus baseline in every draw (LMDI)."
        ),
    )
    common.add_scenario_options(p)
    common.add_goal_options(p, many=True)
    common.add_settings_options(p)
    common.add_out_option(p, "one row per target and lever, plus the remaining gap")


def run(args: argparse.Namespace) -> int:
    settings = common.settings_from(args)
    engine = common.engine_for(settings, args)
    if args.list_targets:
        print(common.target_list(engine), end="")
        return 0
    scenario = common.scenario_from(args, engine)
    draws = engine.cached_draws(scenario, settings)
    projection = engine.project(scenario, draws)
    goals = common.goals_from(args, engine, horizon=int(draws.years[-1]))
    results = [attribute(projection, g) for g in goals]
    print(
        f"Scenario: {scenario.name}; {draws.n:,} draws, seed {draws.seed}. "
        f"Each figure the {MIDDLE_LABEL}, ranked by scenario minus baseline (such means add up; "
        "a few runaway draws cannot move them); [10th to 90th percentile over every draw].\n"
    )
    for a in results:
        print(table(a), end="")
    warnings = plausibility.check(projection)
    if warnings:
        print("Plausibility of the scenario's median path:\n" + common.warn_lines(warnings), end="")
    if args.out:
        rows = attribution_rows(projection, results)
        common.write_csv(args.out, rows, ATTRIBUTION_COLUMNS, ATTRIBUTION_DECIMALS)
        print(f"wrote {args.out}")
    return 0


def table(a: Attribution) -> str:
    """One goal's split as a plain-text table."""
    head = (
        f"{a.goal.label}: gap {a.gap_middle:,.0f}m at FY{a.year} "
        f"(amount {a.goal.amount_musd:,.0f}m - baseline {a.baseline_middle:,.0f}m)\n"
    )
    gap = a.gap_middle
    rows = []
    for p in sorted(a.parts, key=lambda p: -abs(p.middle_musd)):
        if p.middle_musd == 0 and p.p90_musd == 0 and p.p10_musd == 0:
            continue
        share = "-" if gap <= 0 else f"{p.middle_musd / gap:.0%}"
        rows.append(
            [
                LEVER_BY_NAME[p.lever].label,
                f"{p.middle_musd:+,.0f}",
                f"[{p.p10_musd:+,.0f} to {p.p90_musd:+,.0f}]",
                share,
            ]
        )
    word = "remaining" if a.remaining_middle >= 0 else "overshoot (scenario above the amount)"
    share = "-" if gap <= 0 else f"{a.remaining_middle / gap:.0%}"
    rows.append([word, f"{a.remaining_middle:+,.0f}", "", share])
    return head + common.text_table(["lever", "middle mean (US$ m)", "p10 to p90", "of gap"], rows) + "\n"
