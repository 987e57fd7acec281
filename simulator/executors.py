"""Where work runs: in this process, in a pool of local processes, or on a Dask cluster.

What to run is separate from how (as EMA Workbench's evaluators do): a command hands an
:class:`Executor` a task -- a module-level function ``task(context, chunk)`` -- one small
``context`` (the settings every chunk shares) and an iterable of chunks, and gets the results
back **in chunk order** as they arrive, so that it can write them at once. Every executor gives
the same results for the same chunks: the chunks are pure functions of their inputs.

- :class:`InProcess`: the caller's process, one chunk at a time.
- :class:`ProcessPool`: ``jobs`` local processes (``fork`` on Linux, so they start at once with
  the modules already imported). A worker exits when its parent dies, even by ``SIGKILL``
  (``PR_SET_PDEATHSIG`` on Linux, and a watchdog of the parent's process id elsewhere); when a
  worker is lost the pool is started again and the unfinished chunks are run again.
- :class:`DaskExecutor`: a ``dask.distributed`` client, for a cluster (``tcp://host:8786``) or a
  :class:`~distributed.LocalCluster` of ``jobs`` single-threaded workers (``local``). A task lost
  with its worker is run again by the scheduler (``distributed.scheduler.allowed-failures``).

Workers load what they need once: a task gets it from :func:`worker_state`, a cache keyed by
the task's context that lives as long as the worker process.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from types import TracebackType
from typing import Any, TypeVar

from simulator.errors import InputError

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

Task = Callable[[C, T], R]
"""``task(context, chunk) -> result``: the executors are generic in all three."""

MAX_RETRIES = 2
"""Times a chunk is run again after its worker was lost, before the run gives up."""

LOCAL = "local"
"""``--scheduler local``: a Dask LocalCluster on this machine."""

CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler to answer."""


class WorkerLost(RuntimeError):
    """A chunk's worker died (killed, out of memory) more than :data:`MAX_RETRIES` times."""


class Executor(ABC):
    """Runs ``task(context, chunk)`` for each chunk and yields the results in chunk order."""

    jobs: int = 1

    @abstractmethod
    def map(self, task: Task[C, T, R], context: C, chunks: Iterable[T]) -> Iterator[R]:
        """Results of ``task(context, chunk)``, in the order of ``chunks``, as they are ready."""

    def close(self) -> None:  # noqa: B027 (nothing to release by default)
        """Release the workers (a pool, a cluster); the executor cannot be used afterwards."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class InProcess(Executor):
    """Everything in the caller's process (``--jobs 1``; tests; notebooks)."""

    def map(self, task: Task[C, T, R], context: C, chunks: Iterable[T]) -> Iterator[R]:
        for chunk in chunks:
            yield task(context, chunk)


# --------------------------------------------------------------------------- worker state

_STATE = threading.local()
STATES_KEPT = 2


def worker_state(key: Hashable, make: Callable[[], T]) -> T:
    """What a task needs that is slow to make (an engine, a scorer with its draws), made once
    per worker process and thread and kept for the next chunks: ``make()`` for a new ``key``.

    Tasks call this with a key derived from their context, so the same code serves every
    executor: in this process, in a pool worker or on a Dask worker. The last
    :data:`STATES_KEPT` keys are kept.
    """
    kept: OrderedDict[Hashable, Any] | None = getattr(_STATE, "kept", None)
    if kept is None:
        kept = _STATE.kept = OrderedDict()
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    value = kept[key] = make()
    while len(kept) > STATES_KEPT:
        kept.popitem(last=False)
    return value


def forget_worker_state() -> None:
    """Drop what :func:`worker_state` keeps in this thread (tests; a settings change)."""
    _STATE.kept = OrderedDict()


# --------------------------------------------------------------------------- local processes


class ProcessPool(Executor):
    """``jobs`` local worker processes, at most ``window`` chunks ahead of the consumer.

    Ctrl-C (or any exception in the consumer) stops the workers at once instead of waiting for
    the chunks they are running.
    """

    def __init__(self, jobs: int, *, window: int | None = None):
        self.jobs = jobs
        self.window = window if window is not None else 4 * jobs
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=_context(),
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
        return self._pool

    def _submit(self, task: Task[C, T, R], context: C, chunk: T) -> Future[R]:
        """Submit to the pool, started again if a worker died while it was idle."""
        try:
            return self._start().submit(task, context, chunk)
        except BrokenProcessPool:
            self._stop_now()
            return self._start().submit(task, context, chunk)

    def map(self, task: Task[C, T, R], context: C, chunks: Iterable[T]) -> Iterator[R]:
        todo = iter(chunks)
        pending: deque[tuple[T, Future[R], int]] = deque()
        done = False
        try:
            while True:
                while len(pending) < self.window and not done:
                    try:
                        chunk = next(todo)
                    except StopIteration:
                        done = True
                        break
                    pending.append((chunk, self._submit(task, context, chunk), 0))
                if not pending:
                    return
                future = pending[0][1]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    self._restart(pending, task, context)
                    continue
                pending.popleft()
                yield result
        except BaseException:
            self._stop_now()
            raise

    def _restart(self, pending: deque[tuple[T, Future[R], int]], task: Task[C, T, R], context: C) -> None:
        """A worker died: start a new pool and submit the unfinished chunks again."""
        self._stop_now()
        again = []
        for chunk, future, tries in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                again.append((chunk, future, tries))  # finished before the loss: keep its result
                continue
            if tries >= MAX_RETRIES:
                raise WorkerLost(
                    f"a worker process died {tries + 1} times running the same chunk of work "
                    "(out of memory, or killed); nothing more was run"
                )
            again.append((chunk, self._submit(task, context, chunk), tries + 1))
        pending.clear()
        pending.extend(again)

    def _stop_now(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for p in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                p.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # Ctrl-C, SIGTERM turned into an exception, or an error: do not wait for the chunks
            self._stop_now()


_END = object()


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where it exists (workers start at once, sharing the imported modules), else the default."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _init_worker(parent: int) -> None:
    """In each worker: leave Ctrl-C to the parent, and exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # no worker tracebacks on Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    exit_with_parent(parent)


PR_SET_PDEATHSIG = 1


def exit_with_parent(parent: int, *, poll_seconds: float = 0.5) -> None:
    """Make this process end when process ``parent`` ends, however it ends.

    On Linux the kernel sends ``SIGKILL`` when the parent dies (``prctl(PR_SET_PDEATHSIG)``);
    everywhere a daemon thread also checks the parent's id twice a second (a process whose
    parent died is adopted by another), which covers the other systems.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            threading.Event().wait(poll_seconds)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


# --------------------------------------------------------------------------- dask


class DaskExecutor(Executor):
    """A ``dask.distributed`` client: an existing scheduler, or a local cluster (``local``)."""

    def __init__(self, address: str, *, jobs: int = 1, window: int | None = None):
        distributed = import_dask()
        self.address = address
        self._cluster = None
        if address == LOCAL:
            self._cluster = distributed.LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self.client = distributed.Client(self._cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(
                    f"cannot reach the Dask scheduler: {exc}",
                    field="--scheduler",
                    value=address,
                    allowed="tcp://HOST:PORT of a running dask scheduler, or 'local'",
                ) from None
        self.jobs = max(1, sum(self.client.nthreads().values()))
        self.window = window if window is not None else 4 * self.jobs

    def map(self, task: Task[C, T, R], context: C, chunks: Iterable[T]) -> Iterator[R]:
        # the context goes with each task (it is small): scattered data would be lost with the
        # worker that held it, and the tasks that need it with it
        todo = iter(chunks)
        pending: deque[Any] = deque(
            self.client.submit(task, context, c, pure=False, retries=MAX_RETRIES)
            for c in islice(todo, self.window)
        )
        try:
            while pending:
                result = pending.popleft().result()
                nxt = next(todo, _END)
                if nxt is not _END:
                    pending.append(self.client.submit(task, context, nxt, pure=False, retries=MAX_RETRIES))
                yield result
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def import_dask() -> Any:
    """``distributed``, or a clear message about the optional extra."""
    try:
        import distributed
    except ImportError:
        raise InputError(
            "needs Dask, which is not installed",
            field="--scheduler",
            allowed="pip install 'pk-it-exports[dask]' (or run without --scheduler)",
            show_value=False,
        ) from None
    return distributed


def executor_for(jobs: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` and ``--scheduler`` (a Dask address or ``local``)."""
    if scheduler is not None:
        return DaskExecutor(scheduler, jobs=jobs)
    if jobs <= 1:
        return InProcess()
    return ProcessPool(jobs)
