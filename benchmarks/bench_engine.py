"""Engine benchmark: prints ``name: value`` lines (times are medians over repeated runs).

- the full pipeline for one scenario at 10,000 draws to FY2040 (draws, projection, percentiles
  of every year, odds of every open target): cold (draws made) and with the draws cached, and
  its parts; goals 8 ms and 5 ms;
- the same with and without :func:`simulator.runtime.tune_allocator`, each measured in a fresh
  process (the allocator's state is per process), alternately, and their ratio (goal 1.2);
- references measured in the same run: ``np.percentile`` of the same exports (the percentiles
  step), and the plain one-draw-at-a-time reference loop of the model on a subset of draws,
  scaled to 10,000 draws;
- a full calibration fit; the peak of traced Python allocations of a projection and the peak RSS.

Other work on the machine slows everything alike; compare the ratios, which are measured in the
same run. The pipeline is also timed in CPU time of the thread, which other work inflates
much less (only through shared caches).
Run: ``.venv/bin/python benchmarks/bench_engine.py`` (or ``make bench``).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from timing import median_seconds

from calibration.fit import fit
from simulator import reference
from simulator.engine import PERCENTILES, Engine, summarise
from simulator.runtime import tune_allocator
from simulator.scenario import baseline_scenario, validate_scenario
from simulator.settings import load_settings

N = 10_000
REPEATS = 50
REFERENCE_DRAWS = 200
GOAL_COLD_MS, GOAL_WARM_MS, GOAL_UNTUNED_RATIO = 8.0, 5.0, 1.2
PROCESS_ROUNDS = 3
"""Fresh processes per allocator setting (alternating tuned and untuned)."""


def median_ms(fn, repeats: int = REPEATS) -> float:
    return median_seconds(fn, repeats) * 1e3


def wall_and_cpu_ms(fn, repeats: int = REPEATS) -> tuple[float, float]:
    """Medians of wall time and of this thread's CPU time (user + system, page faults included).

    On a machine shared with other work the wall time includes the time others held the core;
    the CPU time does not, so it is the steadier figure for single-threaded code like this.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3


def bench_package(engine: Engine):
    return validate_scenario(
        {
            "name": "bench",
            "levers": {
                "tech_zones": 60,
                "formal_channel_share": 100,
                "retention_limit": 100,
                "connectivity_loss": 0,
                "vc_funding": 350,
                "talent_pipeline": 113,
            },
        },
        first_year=engine.first_projection_year,
    ).merged_onto(baseline_scenario())


def pipeline_times(tuned: bool) -> dict[str, float]:
    """Medians (ms) of the cold and cached pipeline, in this process."""
    if tuned:
        tune_allocator()
    engine = Engine.from_settings()
    settings = load_settings(draws=N, horizon=2040)
    package = bench_package(engine)

    def cold() -> None:
        p = engine.run(package, settings)
        _ = p.stats
        p.target_odds()

    draws = engine.draws_for(package, settings)

    def warm() -> None:
        p = engine.project(package, draws)
        _ = p.stats
        p.target_odds()

    (cold_wall, cold_cpu), (warm_wall, warm_cpu) = wall_and_cpu_ms(cold), wall_and_cpu_ms(warm)
    return {"cold": cold_wall, "warm": warm_wall, "cold_cpu": cold_cpu, "warm_cpu": warm_cpu}


def allocator_comparison() -> dict[str, float]:
    """Pipeline medians with and without allocator tuning, each in fresh processes."""
    runs: dict[str, list[dict[str, float]]] = {"tuned": [], "untuned": []}
    for _ in range(PROCESS_ROUNDS):
        for kind in ("tuned", "untuned"):
            out = subprocess.run(
                [sys.executable, __file__, "--pipeline", kind],
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
            )
            runs[kind].append(json.loads(out.stdout))
    return {
        f"{kind}_{part}": statistics.median(r[part] for r in runs[kind])
        for kind in runs
        for part in ("cold", "warm", "cold_cpu", "warm_cpu")
    }


def print_allocator_comparison() -> None:
    cmp = allocator_comparison()
    for k, v in cmp.items():
        print(f"pipeline_{k}_ms (median of {PROCESS_ROUNDS} fresh processes): {v:.2f}")
    for part in ("cold", "warm", "cold_cpu", "warm_cpu"):
        ratio = cmp[f"untuned_{part}"] / cmp[f"tuned_{part}"]
        met = str(ratio <= GOAL_UNTUNED_RATIO).lower()
        print(f"untuned_over_tuned_{part}_ratio: {ratio:.2f} (goal {GOAL_UNTUNED_RATIO}, met: {met})")


def main() -> None:
    print(f"allocator_tuned: {tune_allocator()}")
    engine = Engine.from_settings()
    settings = load_settings(draws=N, horizon=2040)
    package = bench_package(engine)

    def cold() -> None:
        p = engine.run(package, settings)
        _ = p.stats
        p.target_odds()

    draws = engine.draws_for(package, settings)

    def warm() -> None:
        p = engine.project(package, draws)
        _ = p.stats
        p.target_odds()

    t_cold, c_cold = wall_and_cpu_ms(cold)
    t_warm, c_warm = wall_and_cpu_ms(warm)
    t_draws = median_ms(lambda: engine.draws_for(package, settings))
    t_project = median_ms(lambda: engine.project(package, draws).exports)
    exports = engine.project(package, draws).exports
    t_summary = median_ms(lambda: summarise(exports))
    t_numpy = median_ms(lambda: np.percentile(exports, PERCENTILES, axis=0))
    done = engine.project(package, draws)
    _ = done.stats
    t_odds = median_ms(lambda: done.target_odds())

    print(f"projection_10k_to_FY2040_full_ms: {t_cold:.2f} (goal {GOAL_COLD_MS:.0f})")
    print(f"projection_10k_to_FY2040_full_cpu_ms: {c_cold:.2f} (goal {GOAL_COLD_MS:.0f})")
    print(f"projection_10k_with_cached_draws_ms: {t_warm:.2f} (goal {GOAL_WARM_MS:.0f})")
    print(f"projection_10k_with_cached_draws_cpu_ms: {c_warm:.2f} (goal {GOAL_WARM_MS:.0f})")
    print(f"projection_10k_draws_ms: {t_draws:.2f}")
    print(f"projection_10k_levers_and_exports_ms: {t_project:.2f}")
    print(f"projection_10k_mean_and_percentiles_ms: {t_summary:.2f}")
    print(f"numpy_percentile_same_exports_ms: {t_numpy:.2f}")
    print(f"numpy_percentile_over_engine_percentiles_ratio: {t_numpy / t_summary:.1f}")
    print(f"projection_10k_odds_of_{len(engine.open_targets())}_targets_ms: {t_odds:.2f}")

    print_allocator_comparison()

    # the same model, one draw at a time, for a subset of the draws
    def loop() -> None:
        reference.project_draws(engine, package, draws, range(REFERENCE_DRAWS))

    t_loop = median_ms(loop, repeats=5) * N / REFERENCE_DRAWS
    print(f"reference_loop_10k_ms (from {REFERENCE_DRAWS} draws, scaled): {t_loop:.1f}")
    print(f"reference_loop_over_vectorized_ratio: {t_loop / t_project:.0f}")
    print(f"reference_loop_over_full_projection_ratio: {t_loop / t_cold:.0f}")

    data = engine.data
    print(f"calibration_fit_ms: {median_ms(lambda: fit(data), repeats=10):.1f}")

    tracemalloc.start()
    cold()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"projection_10k_peak_traced_MiB: {peak / 2**20:.1f}")
    print(f"process_peak_rss_MiB: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--pipeline":
        print(json.dumps(pipeline_times(tuned=sys.argv[2] == "tuned")))
    else:
        main()
