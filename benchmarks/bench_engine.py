"""Engine benchmark: prints ``name: value`` lines (times are medians over repeated runs).

- a 10,000-draw projection to FY2040, cold (draws, projection, summaries, odds of every open
  target) and its parts;
- the plain one-draw-at-a-time reference loop of the same model, on a subset of draws, scaled
  to 10,000 draws, and the ratio;
- a full calibration fit;
- peak memory of a projection (traced Python allocations) and the process's peak RSS.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (or ``make bench``).
"""

from __future__ import annotations

import resource
import tracemalloc

from timing import median_seconds

from calibration.fit import fit
from simulator import reference
from simulator.engine import Engine
from simulator.runtime import tune_allocator
from simulator.scenario import baseline_scenario, validate_scenario
from simulator.settings import load_settings

N = 10_000
REPEATS = 50
REFERENCE_DRAWS = 200


def median_ms(fn, repeats: int = REPEATS) -> float:
    return median_seconds(fn, repeats) * 1e3


def main() -> None:
    print(f"allocator_tuned: {tune_allocator()}")
    engine = Engine.from_settings()
    settings = load_settings(draws=N, horizon=2040)
    package = validate_scenario(
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

    def cold() -> None:
        p = engine.run(package, settings)
        _ = p.stats
        p.target_odds()

    draws = engine.draws_for(package, settings)

    def simulate() -> None:
        _ = engine.project(package, engine.draws_for(package, settings)).exports

    def warm() -> None:
        p = engine.project(package, draws)
        _ = p.stats
        p.target_odds()

    t_cold = median_ms(cold)
    t_sim = median_ms(simulate)
    t_draws = median_ms(lambda: engine.draws_for(package, settings))
    t_project = median_ms(lambda: engine.project(package, draws).exports)
    t_summary = median_ms(lambda: engine.project(package, draws).stats)
    t_warm = median_ms(warm)

    print(f"projection_10k_to_FY2040_full_ms: {t_cold:.2f}")
    print(f"projection_10k_simulation_only_ms: {t_sim:.2f}")
    print(f"projection_10k_draws_ms: {t_draws:.2f}")
    print(f"projection_10k_levers_and_exports_ms: {t_project:.2f}")
    print(f"projection_10k_project_and_percentiles_ms: {t_summary:.2f}")
    print(f"projection_10k_with_cached_draws_ms: {t_warm:.2f}")

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
    main()
