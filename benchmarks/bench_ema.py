"""EMA Workbench comparison: the same model driven one draw per experiment, against the engine.

EMA Workbench (``pip install 'pk-it-exports[bench]'``) runs a model as one function call per
experiment. Here each experiment is one Monte Carlo draw of the blueprint-like package: the
function projects that single draw with the engine's own model code (``Engine.draws_given``
and ``Engine.project`` on a one-draw slice of the same seeded draws), so both sides compute the
same numbers (checked). Prints ``name: value`` lines: EMA's time per experiment with its
``SequentialEvaluator`` (one core), scaled to 10,000 draws, the engine's full pipeline for
10,000 draws (draws, projection, percentiles of every year, odds of every target) measured in
the same run, and the ratio. Skipped, with a message, when ``ema_workbench`` is not installed.

Run: ``.venv/bin/python benchmarks/bench_ema.py``
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
import warnings

import numpy as np
from bench_engine import bench_package
from timing import median_seconds

from simulator.engine import Engine
from simulator.runtime import tune_allocator
from simulator.settings import load_settings

N = 10_000
EXPERIMENTS = 1_000
HORIZON = 2040


def main() -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed", not needed here
            import ema_workbench as ema
            from ema_workbench.em_framework.evaluators import SequentialEvaluator
    except ImportError:
        print("ema_workbench: not installed (pip install 'pk-it-exports[bench]'); comparison skipped")
        return
    logging.getLogger("EMA").setLevel(logging.WARNING)
    tune_allocator()
    engine = Engine.from_settings()
    settings = load_settings(draws=N, horizon=HORIZON)
    package = bench_package(engine)
    draws = engine.draws_for(package, settings)
    shocks = engine.raw_shocks(n=N, seed=draws.seed, horizon=HORIZON)  # draws_given conditions them
    fitted = engine.params.trend.alpha
    j2030 = int(np.searchsorted(draws.years, 2030))

    def one_draw(draw: int) -> dict[str, float]:
        i = [int(draw)]
        single = engine.draws_given(
            seed=draws.seed,
            horizon=HORIZON,
            assumptions={k: v[i] for k, v in draws.assumptions.items()},
            alpha0=draws.alpha_noise[i] + fitted,
            beta=draws.beta[i],
            sigma=draws.sigma[i],
            shock_slope=draws.shock_slope[i],
            z=shocks[i],
            triples=draws.triples,
            trend=draws.trend_override,
        )
        x = engine.project(package, single).exports[0]
        return {"exports_2030": float(x[j2030]), "exports_2040": float(x[-1])}

    model = ema.Model("pkitexports", function=one_draw)
    model.uncertainties = [ema.IntegerParameter("draw", 0, N - 1)]
    model.outcomes = [ema.ScalarOutcome("exports_2030"), ema.ScalarOutcome("exports_2040")]
    scenarios = [ema.Scenario(f"draw{i}", draw=i) for i in range(EXPERIMENTS)]

    t0 = time.perf_counter()
    with SequentialEvaluator(model) as evaluator, contextlib.redirect_stderr(io.StringIO()):  # progress bar
        experiments, outcomes = evaluator.perform_experiments(scenarios=scenarios, policies=0)
    ema_s = time.perf_counter() - t0

    whole = engine.project(package, draws).exports
    got = np.asarray(outcomes["exports_2030"])
    order = np.asarray(experiments["draw"], dtype=int)
    np.testing.assert_allclose(got, whole[order, j2030], rtol=1e-9)

    def pipeline() -> None:
        p = engine.run(package, settings)
        _ = p.stats
        p.target_odds()

    engine_ms = median_seconds(pipeline, 20) * 1e3
    ema_ms = ema_s / EXPERIMENTS * N * 1e3
    print(f"ema_workbench_version: {ema.__version__}")
    print(f"ema_ms_per_experiment (one draw, SequentialEvaluator): {ema_s / EXPERIMENTS * 1e3:.3f}")
    print(f"ema_{N}_draws_ms (from {EXPERIMENTS} experiments, scaled): {ema_ms:.0f}")
    print(f"engine_{N}_draws_full_pipeline_ms: {engine_ms:.2f}")
    print(f"ema_over_engine_ratio: {ema_ms / engine_ms:.0f}")
    print("same_numbers: true (EMA's outcomes equal the engine's draws, rtol 1e-9)")


if __name__ == "__main__":
    main()
