"""Process-level settings for the command line, the app and the benchmarks.

Not imported by the model or the engine: it changes how the whole process allocates memory, so
only entry points call it. The engine does not need it: it computes a projection in tiles of
128 KiB and keeps its scan buffers, so a notebook that never calls :func:`tune_allocator` runs
it at the same speed (``benchmarks/bench_engine.py`` prints the ratio).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3


@functools.cache
def tune_allocator() -> bool:
    """Keep large NumPy temporaries in the heap instead of mapping and unmapping each one.

    By default glibc serves every allocation above a threshold (a few hundred KiB, raised
    dynamically) with its own ``mmap`` and gives the memory back on ``free``, so each
    (draws x years) temporary of a projection -- about 1.2 MB at 10,000 draws -- costs hundreds
    of page faults. Raising the mmap and trim thresholds keeps that memory for reuse: code that
    makes such arrays again and again (whole-array analyses, the app's charts) gains from it;
    before the engine worked in tiles, its lever-and-exports step went from 7.7 ms to 1.6 ms.
    Returns False (and changes nothing) where the C library is not glibc.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
    ok &= mallopt(_M_TRIM_THRESHOLD, 256 * 2**20)
    ok &= mallopt(_M_TOP_PAD, 64 * 2**20)
    return bool(ok)


def trim_heap() -> bool:
    """Give the heap's free memory back to the system (glibc's ``malloc_trim``): the app calls it
    when it has let go of its caches. Returns False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name).malloc_trim(0))
    except (OSError, AttributeError):
        return False


@functools.cache
def freeze_heap() -> int:
    """Take every object alive now out of the cyclic garbage collector's view (``gc.freeze``),
    once per process; returns how many objects were frozen.

    Streamlit runs a full collection after every script run (``runner.postScriptGC``), which
    walks every tracked object: after the first run of the app (pandas, Altair and its Vega-Lite
    schema, SciPy, the engine's data) that is about 185,000 of them, 90-110 ms per rerun with
    the interpreter lock held, more than the script itself (``benchmarks/bench_app_load.py``).
    What is alive after the first run is the server's for its whole life (modules, the engine);
    frozen, it is still freed by reference counting, only never searched for cycles again.
    What sessions make later is collected as before, by Python's generational collection (the
    served app turns the per-run full collection off: ``.streamlit/config.toml``; it still cost
    10 ms a rerun with 30 sessions, walking what the sessions and the caches hold).
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
