"""``simulator sweep`` end to end: a six-lever Latin-hypercube sweep at 10,000 draws.

Runs the command itself (``simulator.cli.main``: reading the sweep file, the draws, scoring on
``--jobs`` processes, the chunk files of the partial-results folder, the Parquet file and the
manifest) on ``--points`` points (default 100,000) of every lever over its declared range,
moved from the default start year over two years, scored for every open target with a deadline
by FY2040. Prints ``name: value`` lines: the wall time and points per second against the goal
(100,000 points in 180 s on this 2-core machine), and, measured in the same run as a
reference, the median time the scorer alone takes for a point on one core, with the ratio of
the sweep's per-point wall time on ``--jobs`` cores to it (1/jobs would be a perfect split with
no overhead). The machine is shared: other work slows both alike, compare the ratio.

Usage: ``python benchmarks/bench_sweep.py [--points 100000] [--jobs 2] [--repeats 1]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyarrow.parquet as pq

from simulator import cli, sweep
from simulator.engine import Engine
from simulator.levers import LEVERS
from simulator.runtime import tune_allocator
from simulator.scenario import baseline_scenario
from simulator.settings import load_settings

DRAWS = 10_000
GOAL_POINTS, GOAL_SECONDS = 100_000, 180.0
REFERENCE_POINTS = 300


def spec_text(points: int) -> str:
    levers = "".join(f"  {lv.name}: {{from: {lv.min:g}, to: {lv.max:g}}}\n" for lv in LEVERS)
    return f"name: bench-six-levers\nsample: {{points: {points}, seed: 1}}\nlevers:\n{levers}ramp_years: 2\n"


def reference_ms(spec_path: Path) -> float:
    """Median per-point time of the scorer alone (one core, this process), ms."""
    settings = load_settings(draws=DRAWS)
    engine = Engine.from_settings(settings)
    spec = sweep.read_sweep_file(spec_path, first_year=engine.first_projection_year)
    plan = sweep.plan_sweep(spec, baseline_scenario(), engine, settings)
    context = sweep.ChunkContext(plan, engine)
    sweep.score_chunk(context, (0, 10))  # the draws, once
    times = []
    for k in range(5):
        t0 = time.perf_counter()
        sweep.score_chunk(context, (k * REFERENCE_POINTS, (k + 1) * REFERENCE_POINTS))
        times.append((time.perf_counter() - t0) / REFERENCE_POINTS)
    return statistics.median(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=GOAL_POINTS)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    tune_allocator()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "sweep.yaml"
        spec.write_text(spec_text(max(args.points, 5 * REFERENCE_POINTS)), encoding="utf-8")
        ref = reference_ms(spec)
        spec.write_text(spec_text(args.points), encoding="utf-8")
        walls = []
        for r in range(args.repeats):
            out = Path(tmp) / f"out{r}"
            argv = ["sweep", str(spec), "--out", str(out), "--draws", str(DRAWS), "--jobs", str(args.jobs)]
            t0 = time.perf_counter()
            code = cli.main([*argv, "--quiet", "--yes"])
            walls.append(time.perf_counter() - t0)
            assert code == 0, code
            assert pq.read_table(out / "sweep.parquet").num_rows == args.points
    wall = statistics.median(walls)
    per_point_ms = wall / args.points * 1e3
    projected = GOAL_POINTS * wall / args.points
    print(f"sweep_levers: {len(LEVERS)}, draws: {DRAWS}, points: {args.points}, jobs: {args.jobs}")
    print(f"scorer_alone_ms_per_point_median_one_core: {ref:.3f}")
    print(f"sweep_wall_s_median: {wall:.1f} (of {args.repeats} runs)")
    print(f"sweep_points_per_s: {args.points / wall:.0f}")
    ratio = per_point_ms / ref
    print(f"sweep_wall_ms_per_point_over_scorer_alone: {ratio:.3f} (1/jobs = {1 / args.jobs:.3f})")
    met = str(projected <= GOAL_SECONDS).lower()
    print(f"sweep_{GOAL_POINTS}_points_s: {projected:.1f} (goal {GOAL_SECONDS:.0f}, met: {met})")


if __name__ == "__main__":
    main()
