"""The bounded cache, and the engine's cache of draws that every caller shares."""

from __future__ import annotations

import pickle
import threading
import time

import numpy as np
import pytest

from simulator.analysis.goal_seek import ReachModel
from simulator.analysis.goals import resolve_goal
from simulator.cache import BoundedCache
from simulator.engine import Engine, draws_key
from simulator.scenario import baseline_scenario, validate_scenario

# --------------------------------------------------------------------------- BoundedCache


def test_least_recently_used_entries_go_first():
    c: BoundedCache[int] = BoundedCache(max_entries=2)
    assert c.get("a", lambda: 1) == 1 and c.get("b", lambda: 2) == 2
    assert c.get("a", lambda: -1) == 1  # a hit: "a" is now the most recent
    c.get("c", lambda: 3)  # "b" goes
    assert c.get("a", lambda: -1) == 1  # kept; the most recent again
    assert c.get("b", lambda: 20) == 20  # computed again; "c" goes
    assert c.get("c", lambda: 30) == 30
    s = c.stats()
    assert (s.entries, s.hits, s.misses) == (2, 2, 5)


def test_the_bytes_bound_drops_the_oldest_and_refuses_a_value_too_large():
    c: BoundedCache[bytes] = BoundedCache(max_entries=10, max_bytes=10, size=len)
    c.get(1, lambda: b"aaaa")
    c.get(2, lambda: b"bbbb")
    c.get(3, lambda: b"cccc")  # 12 bytes: the first goes
    assert c.stats().entries == 2 and c.stats().nbytes == 8
    assert c.get(1, lambda: b"new") == b"new"
    big = c.get(4, lambda: b"x" * 11)  # returned, not kept
    assert big == b"x" * 11 and c.stats().nbytes <= 10
    assert c.get(4, lambda: b"again") == b"again"


def test_bounds_must_make_sense():
    with pytest.raises(ValueError, match="max_entries"):
        BoundedCache(max_entries=0)


def test_one_key_is_computed_once_however_many_threads_ask():
    c: BoundedCache[int] = BoundedCache(max_entries=4)
    calls = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 7

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(c.get("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [7] * 8 and len(calls) == 1


def test_a_failed_computation_is_not_kept_and_a_waiting_thread_computes_it():
    c: BoundedCache[int] = BoundedCache(max_entries=4)
    started = threading.Event()

    def fails() -> int:
        started.set()
        time.sleep(0.1)
        raise RuntimeError("boom")

    def first() -> None:
        with pytest.raises(RuntimeError):
            c.get("k", fails)

    t = threading.Thread(target=first)
    t.start()
    started.wait()
    assert c.get("k", lambda: 5) == 5  # waited for the failure, then computed it
    t.join()
    assert c.get("k", lambda: 6) == 5


def test_the_same_thread_asking_again_while_computing_does_not_deadlock():
    c: BoundedCache[int] = BoundedCache(max_entries=4)
    assert c.get("k", lambda: c.get("k", lambda: 1) + 1) == 2


def test_a_pickled_cache_starts_empty():
    c: BoundedCache[int] = BoundedCache(max_entries=3, max_bytes=100)
    c.get("a", lambda: 1)
    again = pickle.loads(pickle.dumps(c))
    assert len(again) == 0 and again.max_entries == 3 and again.max_bytes == 100
    assert again.get("a", lambda: 2) == 2


# --------------------------------------------------------------------------- the engine's draws


def test_cached_draws_are_the_draws_made_once_and_read_only(engine, settings):
    s = settings.model_copy(update={"draws": 300})
    engine.draws_cache.clear()
    a = engine.cached_draws(baseline_scenario(), s)
    b = engine.cached_draws(baseline_scenario(), s)
    assert a is b and engine.draws_cache.stats().misses == 1
    fresh = engine.draws_for(baseline_scenario(), s)
    assert np.array_equal(a.log_core, fresh.log_core) and np.array_equal(a.z, fresh.z)
    with pytest.raises(ValueError, match="read-only"):
        a.log_core[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        a.assumptions[next(iter(a.assumptions))][0] = 1.0


def test_the_key_holds_what_the_draws_depend_on_and_no_lever(engine, settings):
    first = engine.first_projection_year
    zones = validate_scenario({"name": "z", "levers": {"tech_zones": 40}}, first_year=first)
    own = validate_scenario({"name": "o", "seed": 3, "draws": 500, "horizon": 2035}, first_year=first)
    base = baseline_scenario()
    assert draws_key(zones, settings) == draws_key(base, settings)  # levers never change the draws
    k = draws_key(own, settings)
    assert (k.n, k.seed, k.horizon) == (500, 3, 2035)  # the scenario's own values win
    k = draws_key(own, settings, horizon=2030, n=200, seed=9)
    assert (k.n, k.seed, k.horizon) == (200, 9, 2030)  # explicit overrides win over both
    assumed = validate_scenario(
        {"name": "a", "assumptions": {"tech_zones.exports_per_zone": 8}}, first_year=first
    )
    trend = validate_scenario({"name": "t", "trend": {"shock_scale": 1.5}}, first_year=first)
    keys = {draws_key(x, settings) for x in (base, assumed, trend)}
    assert len(keys) == 3


def test_the_cache_is_bounded_by_entries_and_bytes(engine, settings):
    small = Engine(engine.data, engine.params, draws_cache_entries=2, draws_cache_bytes=10**9)
    for seed in range(4):
        small.cached_draws(baseline_scenario(), settings.model_copy(update={"draws": 200, "seed": seed}))
    assert small.draws_cache.stats().entries == 2
    tight = Engine(engine.data, engine.params, draws_cache_bytes=1)
    d = tight.cached_draws(baseline_scenario(), settings.model_copy(update={"draws": 200}))
    assert d.nbytes > 1 and tight.draws_cache.stats().entries == 0  # too large to keep, still given


def test_threads_sharing_the_engine_get_one_set_of_draws(engine, settings):
    s = settings.model_copy(update={"draws": 2000, "seed": 12345})
    engine.draws_cache.clear()
    got = []
    threads = [
        threading.Thread(target=lambda: got.append(engine.cached_draws(baseline_scenario(), s)))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 6 and all(d is got[0] for d in got)
    assert engine.draws_cache.stats().misses == 1


def test_goal_seek_takes_its_draws_from_the_engine(engine, settings):
    goal = resolve_goal(engine, target_id="t10b_fy2029_uraan")
    engine.draws_cache.clear()
    a = ReachModel.build(engine, goal, settings.model_copy(update={"draws": 300}))
    b = ReachModel.build(engine, goal, settings.model_copy(update={"draws": 300}))
    assert a.draws is b.draws and int(a.draws.years[-1]) == goal.deadline_fy
    assert engine.draws_cache.stats().misses == 1


# --------------------------------------------------------------------------- idle expiry, growth


def test_a_hit_measures_the_value_again_and_keeps_the_bounds():
    grows: list[bytes] = [b"a"]
    c: BoundedCache[list[bytes]] = BoundedCache(max_entries=4, max_bytes=10, size=lambda v: sum(map(len, v)))
    c.get("x", lambda: grows)
    c.get("y", lambda: [b"bbb"])
    assert c.stats().nbytes == 4
    grows.append(b"cccccc")  # the kept value grew (a projection computing parts of itself)
    assert c.get("x", lambda: []) is grows and c.stats().nbytes == 10
    grows.append(b"dddd")  # now larger than the cache may hold: it is returned but no longer kept
    assert c.get("x", lambda: []) is grows
    assert c.stats().entries == 1 and c.stats().nbytes == 3


def test_storing_a_value_measures_the_kept_ones_again():
    """A kept value that grew and is never asked for again still counts at its new size."""
    grew: list[bytes] = [b"a"]
    c: BoundedCache[list[bytes]] = BoundedCache(max_entries=4, max_bytes=10, size=lambda v: sum(map(len, v)))
    c.get("grew", lambda: grew)
    grew.append(b"b" * 8)  # 9 bytes now, still counted as 1
    c.get("new", lambda: [b"cc"])  # 11 together: the oldest ("grew") goes
    assert c.stats().entries == 1 and c.stats().nbytes == 2
