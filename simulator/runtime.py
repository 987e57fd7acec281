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


@functools.cache
def server_allocator() -> bool:
    """For a server that computes in many threads (Streamlit: one per session): every allocation
    of 1 MiB or more gets its own mapping, given back to the system when freed.

    glibc's default raises that threshold as large blocks are freed (up to 32 MiB), after which
    (draws x years) arrays come from per-thread arenas that keep their freed memory: ten visitors
    opening a 50,000-draw link at once took the app to 2.8 GB although the arrays alive at any
    time were a fraction of that (``benchmarks/bench_app_load.py``). A fixed threshold stops the
    rise. Returns False (and changes nothing) where the C library is not glibc.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name).mallopt(_M_MMAP_THRESHOLD, 2**20))
    except (OSError, AttributeError):
        return False


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
