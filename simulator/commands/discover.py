"""``simulator discover SWEEP_RESULT --target ID --probability 50%``: PRIM boxes of the levers.

Reads a sweep's result (``simulator sweep``'s output folder or its ``sweep.parquet``) and prints
the boxes of lever ranges that hold the points reaching the target by its deadline with at least
the given probability, with each box's coverage, density and mass (see
:mod:`simulator.discover`). ``--out FILE`` writes them as CSV too.
"""

from __future__ import annotations

import argparse

from simulator.commands import common


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "discover",
        help="find the lever ranges (PRIM boxes) of a sweep's points that reach a target",
        description=(
            "Scenario discovery on a sweep's result: the boxes of lever ranges that contain the "
            "points whose odds of reaching --target by its deadline are at least --probability, "
            "found by PRIM (as in EMA Workbench), each with its coverage (share of those points "
            "inside it), density (share of its points that are such points) and mass."
        ),
    )
    p.add_argument("result", metavar="SWEEP_RESULT", help="a sweep's output folder, or its sweep.parquet")
    p.add_argument("--target", required=True, metavar="ID", help="target id (a p_ID column of the sweep)")
    p.add_argument(
        "--probability",
        required=True,
        type=common.probability,
        metavar="P",
        help="the odds a point must reach (e.g. 50%% or 0.5)",
    )
    p.add_argument(
        "--min-density",
        type=common.probability,
        default=0.8,
        metavar="D",
        help="the least density of a reported box (default 80%%): the box with the most coverage at it",
    )
    p.add_argument(
        "--boxes", type=common.bounded_int(1, 20, "boxes"), default=3, help="most boxes (default 3)"
    )
    common.add_out_option(p, "one row per box and restricted lever")


COLUMNS = ("box", "coverage", "density", "mass", "lever", "low", "high", "qp_value")
DECIMALS = {"coverage": 4, "density": 4, "mass": 4, "low": 4, "high": 4, "qp_value": 6}


def run(args: argparse.Namespace) -> int:
    from simulator import discover

    table = discover.read_result(args.result)
    n, boxes = discover.discover(
        table,
        target=args.target,
        probability=args.probability,
        min_density=args.min_density,
        boxes=args.boxes,
        source=str(args.result),
    )
    print(
        f"{n:,} of {len(table):,} points reach {args.target} with odds of "
        f"{common.percent(args.probability)} or more"
    )
    for i, b in enumerate(boxes, start=1):
        print(
            f"box {i}: coverage {b.coverage:.1%}, density {b.density:.1%}, mass {b.mass:.1%}"
            + ("" if b.limits else " (no lever restricted)")
        )
        rows = [[k, f"{lo:g}", f"{hi:g}", f"{b.qp_values[k]:.2g}"] for k, (lo, hi) in b.limits.items()]
        if rows:
            print(
                common.text_table(["lever", "from", "to", "qp value"], rows, right=[False, True, True, True]),
                end="",
            )
    if args.out:
        common.write_csv(args.out, discover.box_rows(boxes), COLUMNS, DECIMALS)
    return 0
