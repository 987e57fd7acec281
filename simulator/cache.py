"""A small thread-safe LRU cache bounded by entries and by bytes.

The engine keeps its draws in one (:meth:`simulator.engine.Engine.cached_draws`), and the app its
derived projections: Streamlit serves every session from its own thread and shares one engine
between them, so the cache must be safe to use from several threads at once and must never grow
without bound (a link with unusual settings would otherwise cost memory for the life of the
server).

Each key is computed once at a time: a thread that asks for a key another thread is computing
waits for that result instead of computing it again. If the computation fails, the error goes to
the thread that ran it and a waiting thread computes the value itself.

A value may grow after it is kept (a projection computes parts of itself on first use), so a hit
measures it again, and storing a value measures every kept one again: the bounds hold for what
the values hold now, not for what they held when they came in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds and how it has been used since it was made (or cleared)."""

    entries: int
    nbytes: int
    hits: int
    misses: int
    """Values computed (a value too large to keep counts too)."""


class BoundedCache(Generic[V]):
    """Least-recently-used values, at most ``max_entries`` of them and ``max_bytes`` together.

    ``size`` gives a value's bytes (default: 0, so only the number of entries bounds the
    cache). A value larger than ``max_bytes`` on its own is returned but not kept. A copy made
    by :mod:`pickle` (a process pool) starts empty.
    """

    def __init__(
        self,
        *,
        max_entries: int,
        max_bytes: int | None = None,
        size: Callable[[V], int] | None = None,
    ):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size = size
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._pending: dict[Hashable, tuple[threading.Event, int]] = {}
        self._nbytes = self._hits = self._misses = 0

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for ``key``: kept, being computed by another thread (then waited for), or
        computed now with ``make()`` and kept if it fits."""
        me = threading.get_ident()
        done: threading.Event | None = None
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self._hits += 1
                    value = self._data[key][0]
                    break
                pending = self._pending.get(key)
                if pending is None or pending[1] == me:  # nobody computing it, or this very thread
                    done = threading.Event()
                    self._pending.setdefault(key, (done, me))
                    self._misses += 1
                    break
            pending[0].wait()  # another thread is computing it: use its result, or retry if it failed
        if done is not None:
            return self._compute(key, make, done)
        if self._size is not None:  # it may have grown since it was kept
            self._store(key, value)
        return value

    def _compute(self, key: Hashable, make: Callable[[], V], done: threading.Event) -> V:
        try:
            value = make()
            self._store(key, value)
            return value
        finally:
            with self._lock:
                if self._pending.get(key, (None, None))[0] is done:
                    del self._pending[key]
            done.set()

    def _store(self, key: Hashable, value: V) -> None:
        nbytes = int(self._size(value)) if self._size is not None else 0
        with self._lock:
            if key in self._data:
                if self._data[key][0] is not value:  # replaced meanwhile (clear, another thread)
                    return
                self._nbytes -= self._data.pop(key)[1]
            if self.max_bytes is not None and nbytes > self.max_bytes:
                return
            self._data[key] = (value, nbytes)
            self._nbytes += nbytes
            if self._size is not None:  # the others may have grown since they were measured
                self._remeasure()
            while len(self._data) > self.max_entries or (
                self.max_bytes is not None and self._nbytes > self.max_bytes
            ):
                _, (_, dropped) = self._data.popitem(last=False)
                self._nbytes -= dropped

    def _remeasure(self) -> None:
        assert self._size is not None
        for k, (v, _) in self._data.items():
            self._data[k] = (v, int(self._size(v)))
        self._nbytes = sum(n for _, n in self._data.values())

    def clear(self) -> None:
        """Forget every value and the counts (a computation under way still returns its value)."""
        with self._lock:
            self._data.clear()
            self._nbytes = self._hits = self._misses = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._data), self._nbytes, self._hits, self._misses)

    def __len__(self) -> int:
        return len(self._data)

    def __getstate__(self) -> dict[str, object]:
        return {
            "max_entries": self.max_entries,
            "max_bytes": self.max_bytes,
            "size": self._size,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.max_entries = state["max_entries"]  # type: ignore[assignment]
        self.max_bytes = state["max_bytes"]  # type: ignore[assignment]
        self._size = state["size"]  # type: ignore[assignment]
        self._reset()
