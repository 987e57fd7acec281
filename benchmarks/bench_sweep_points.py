"""Sweep-point benchmark: scoring many lever settings on the same draws.

A six-lever Latin-hypercube sweep (scipy.stats.qmc, seeded), each point moving every lever from
FY2027 over two years, scored at 10,000 draws to FY2040 with :class:`simulator.engine.Scorer`:
the odds of every dated open target by its deadline, and the 10th/50th/90th percentiles of
exports at the deadline years. Prints ``name: value`` lines:

- points per second on one core (median of repeated batches), and the same points through a
  full ``Engine.project`` (statistics of every year, odds of every target), measured in the
  same run, with the ratio;
- the wall time of ``--points`` points (default 100,000) on a pool of ``--jobs`` processes (2),
  each worker building its scorer once, against the goal of 180 s for 100,000 points.

The machine is shared: other work slows both alike, compare the ratio. Usage:
``python benchmarks/bench_sweep_points.py [--points 100000] [--jobs 2]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import qmc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.engine import Engine, Scorer
from simulator.executors import ProcessPool, worker_state
from simulator.levers import LEVERS
from simulator.runtime import tune_allocator
from simulator.scenario import LeverPath, Scenario, baseline_scenario

DRAWS, SEED, HORIZON = 10_000, 20250820, 2040
GOAL_POINTS, GOAL_SECONDS = 100_000, 180.0
BATCH = 400
REPEATS = 5


def lever_values(n: int, seed: int = 1) -> np.ndarray:
    """(n x levers): a Latin hypercube over every lever's declared range."""
    unit = qmc.LatinHypercube(d=len(LEVERS), seed=seed).random(n)
    lo = np.array([lv.min for lv in LEVERS])
    hi = np.array([lv.max for lv in LEVERS])
    return lo + unit * (hi - lo)


def point(values: np.ndarray) -> Scenario:
    levers = {
        lv.name: LeverPath(value=float(v), start=2027, ramp_years=2)
        for lv, v in zip(LEVERS, values, strict=True)
    }
    return Scenario(name="point", base=None, levers=levers).merged_onto(baseline_scenario())


def scorer() -> Scorer:
    """This process's scorer: the engine and the draws are made once per worker."""
    return worker_state(("bench-sweep", DRAWS, SEED, HORIZON), make_scorer)


def make_scorer() -> Scorer:
    engine = Engine.from_settings()
    draws = engine.draws(n=DRAWS, seed=SEED, horizon=HORIZON)
    targets = [t for t in engine.open_targets() if t.deadline_fy is not None and t.deadline_fy <= HORIZON]
    years = sorted({t.deadline_fy for t in targets})
    return engine.scorer(draws, targets=targets, years=years, percentiles=(10, 50, 90))


def score_chunk(_: None, values: np.ndarray) -> np.ndarray:
    """Task: the odds of each point of the chunk (percentiles computed too, dropped here)."""
    s = scorer()
    return s.score_many(point(v) for v in values).odds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=GOAL_POINTS)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    tune_allocator()
    s = scorer()
    print(f"sweep_draws: {DRAWS}, targets: {len(s.targets)}, percentile_years: {len(s.years)}")
    values = lever_values(BATCH)
    points = [point(v) for v in values]

    per_batch, cpu_batch = [], []
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.thread_time()
        s.score_many(points)
        cpu_batch.append(time.thread_time() - c0)
        per_batch.append(time.perf_counter() - t0)
    score_ms = statistics.median(per_batch) / BATCH * 1e3
    score_cpu_ms = statistics.median(cpu_batch) / BATCH * 1e3

    engine, draws = s.engine, s.draws
    full = []
    for p in points[:100]:
        t0 = time.perf_counter()
        proj = engine.project(p, draws)
        _ = proj.stats
        proj.target_odds()
        full.append(time.perf_counter() - t0)
    full_ms = statistics.median(full) * 1e3
    t0 = time.perf_counter()
    for v in values:
        point(v)
    build_ms = (time.perf_counter() - t0) / BATCH * 1e3

    print(f"sweep_point_score_ms_median: {score_ms:.3f}")
    print(f"sweep_points_per_s_per_core: {1e3 / score_ms:.0f}")
    print(f"sweep_point_score_cpu_ms_median: {score_cpu_ms:.3f} (CPU time: less affected by other work)")
    print(f"sweep_{GOAL_POINTS}_points_2_cores_from_cpu_time_s: {GOAL_POINTS * score_cpu_ms / 1e3 / 2:.1f}")
    print(f"full_projection_same_points_ms_median: {full_ms:.3f}")
    print(f"full_projection_over_sweep_point_ratio: {full_ms / score_ms:.1f}")
    print(f"scenario_building_ms_per_point: {build_ms:.3f} (pydantic; in the sweep, not the scorer)")

    chunks = np.array_split(lever_values(args.points, seed=2), max(1, args.points // 250))
    t0 = time.perf_counter()
    with ProcessPool(args.jobs) as pool:
        n_done = sum(len(r) for r in pool.map(score_chunk, None, chunks))
    wall = time.perf_counter() - t0
    assert n_done == args.points
    print(f"sweep_{args.points}_points_jobs{args.jobs}_wall_s: {wall:.1f}")
    print(f"sweep_points_per_s_jobs{args.jobs}: {args.points / wall:.0f}")
    projected = GOAL_POINTS / (args.points / wall)
    print(
        f"sweep_{GOAL_POINTS}_points_jobs{args.jobs}_s: {projected:.1f} "
        f"(goal {GOAL_SECONDS:.0f}, met: {str(projected <= GOAL_SECONDS).lower()})"
    )


if __name__ == "__main__":
    main()
