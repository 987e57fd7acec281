"""The app lets go of what it computed for its visitors when it is idle (issue 10)."""

from __future__ import annotations

import time
from types import SimpleNamespace

from simulator.app import compute

RUN = SimpleNamespace(projection=None, baseline=None)  # what the runs cache measures of a run


def test_release_memory_clears_the_runs_baselines_and_draws():
    engine = compute.engine()
    compute._runs().get("k", lambda: RUN)
    compute._baselines().get(
        "k", lambda: engine.project(compute.baseline_scenario(), engine.draws(n=100, seed=1, horizon=2030))
    )
    engine.cached_draws(compute.baseline_scenario(), compute.settings())
    assert len(compute._runs()) and len(compute._baselines()) and len(engine.draws_cache)
    compute.release_memory()
    assert not len(compute._runs()) and not len(compute._baselines()) and not len(engine.draws_cache)


def test_the_idle_watcher_releases_once_after_the_quiet_spell_and_not_while_busy():
    watcher = compute.IdleRelease(idle_seconds=0.5)
    watcher.touch()
    compute._runs().get("busy", lambda: RUN)
    assert not watcher.released and len(compute._runs())
    deadline = time.monotonic() + 10
    while not watcher.released and time.monotonic() < deadline:
        time.sleep(0.1)
    assert watcher.released and not len(compute._runs())
    watcher.touch()  # a new visitor: in use again
    assert not watcher.released
