"""Analysis benchmark: prints ``name: value`` lines (times are medians over repeated runs).

Goals (issue 5): a one-lever goal seek answers in under a second; a full Sobol run on the
default sample (N = 1024, every uncertain input, the default number of shock paths) in under a
minute. Measured in the same run, as the reference: one cold 10,000-draw projection to the
deadline (draws made and projected), and the ratio of each time to it.

- ``goal_seek_one_lever_ms``: the least share of freelance earnings through formal channels
  for $10B by FY2029 with P >= 10% (a bisection over the lever's grid), draws included (10,000
  draws);
- ``goal_seek_all_levers_ms``: every lever alone, the same goal;
- ``goal_seek_package_ms``: the least-change package of all six levers for $10B by FY2029 with
  P >= 50%, from current policy, moves from the default start year; with its distance, the
  proved lower bound, whether it is proved least on the grids and the projections it took;
- ``sobol_full_s``: Sobol indices of the odds of every open dated target, default sample;
- ``tornado_ms``: the tornado of the same.

Run: ``.venv/bin/python benchmarks/bench_analysis.py`` (or ``make bench``).
"""

from __future__ import annotations

from timing import median_seconds

from simulator.analysis.goal_seek import Package, ReachModel, goal_seek, least_change, one_lever
from simulator.analysis.goals import dated_open_goals, resolve_goal
from simulator.analysis.sensitivity import (
    DEFAULT_N,
    DEFAULT_SHOCKS,
    OddsModel,
    odds_sobol,
    tornado,
    uncertain_inputs,
)
from simulator.engine import Engine
from simulator.levers import LEVER_BY_NAME
from simulator.runtime import tune_allocator
from simulator.scenario import baseline_scenario
from simulator.settings import load_settings


def print_package(pkg: Package) -> None:
    print(f"goal_seek_package_distance: {pkg.distance:.4f}")
    print(f"goal_seek_package_lower_bound: {pkg.lower_bound:.4f}")
    print(f"goal_seek_package_proved: {pkg.proved}")
    print(f"goal_seek_package_projections: {pkg.evaluations}")


def main() -> None:
    print(f"allocator_tuned: {tune_allocator()}")
    engine = Engine.from_settings()
    settings = load_settings(draws=10_000)
    uraan = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    base = baseline_scenario()

    def reference() -> None:
        d = engine.draws(n=settings.draws, seed=settings.seed, horizon=uraan.deadline_fy)
        _ = engine.project(base, d).exports

    formal = LEVER_BY_NAME["formal_channel_share"]

    def one() -> None:
        one_lever(ReachModel.build(engine, uraan, settings), formal, 0.1)

    answer = one_lever(ReachModel.build(engine, uraan, settings), formal, 0.1)

    def every() -> None:
        goal_seek(ReachModel.build(engine, uraan, settings), 0.1, package=False)

    def package() -> None:
        least_change(ReachModel.build(engine, uraan, settings), 0.5)

    pkg = least_change(ReachModel.build(engine, uraan, settings), 0.5)

    goals = dated_open_goals(engine)
    inputs, _ = uncertain_inputs(engine, base)

    def sobol() -> None:
        model = OddsModel(engine, base, goals, inputs, shocks=DEFAULT_SHOCKS, seed=settings.seed)
        odds_sobol(model, n=DEFAULT_N, seed=settings.seed)

    def torn() -> None:
        tornado(OddsModel(engine, base, goals, inputs, shocks=DEFAULT_SHOCKS, seed=settings.seed))

    t_ref = median_seconds(reference, 30)
    t_one = median_seconds(one, 30)
    t_every = median_seconds(every, 10)
    t_pkg = median_seconds(package, 5)
    t_torn = median_seconds(torn, 10)
    t_sobol = median_seconds(sobol, 3)
    runs = DEFAULT_N * (len(inputs) + 2)
    print(f"reference_projection_ms: {t_ref * 1e3:.1f}")
    print(f"goal_seek_one_lever_answer: {answer.value:g}")
    print(f"goal_seek_one_lever_projections: {answer.evaluations}")
    print(f"goal_seek_one_lever_ms: {t_one * 1e3:.1f}")
    print(f"goal_seek_one_lever_vs_projection: {t_one / t_ref:.1f}")
    print(f"goal_seek_one_lever_goal_ms: {1000}")
    print(f"goal_seek_all_levers_ms: {t_every * 1e3:.1f}")
    print(f"goal_seek_package_ms: {t_pkg * 1e3:.1f}")
    print(f"goal_seek_package_vs_projection: {t_pkg / t_ref:.1f}")
    print_package(pkg)
    print(f"tornado_ms: {t_torn * 1e3:.1f}")
    print(f"sobol_targets: {len(goals)}")
    print(f"sobol_inputs: {len(inputs)}")
    print(f"sobol_n: {DEFAULT_N}")
    print(f"sobol_runs: {runs}")
    print(f"sobol_shock_paths: {DEFAULT_SHOCKS}")
    print(f"sobol_full_s: {t_sobol:.2f}")
    print(f"sobol_full_vs_projection: {t_sobol / t_ref:.0f}")
    print("sobol_full_goal_s: 60")


if __name__ == "__main__":
    main()
