"""An ordered map over worker processes, or over a Dask cluster, with the same code either way.

`runner(processes, scheduler)` gives a `Runner`; `runner.map(fn, tasks)` yields `fn(task)` for
each task in the order of `tasks`, with at most `window` tasks in flight (memory stays flat
however many tasks there are). `fn` and the tasks must be picklable (module-level functions and
plain data). A worker keeps what is costly to build (a spaCy pipeline, a suggestion chain) with
`per_worker(key, factory)`: built once per process, then reused by every task it runs.

A worker process that dies (killed, out of memory) ends the map with `WorkerLost`; on a Dask
cluster the scheduler retries a task whose worker was lost (`retries`) before giving up. A
worker process whose parent died (SIGKILLed) leaves within a second instead of lingering.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STATE: dict[Any, Any] = {}


def per_worker(key: Any, factory: Callable[[], R]) -> R:
    """What `factory()` returns, built once in this process and kept for later tasks."""
    if key not in _STATE:
        _STATE[key] = factory()
    value: R = _STATE[key]
    return value


_LOST = "a worker process died before finishing its part (killed, or out of memory)"


class WorkerLost(RuntimeError):
    """A worker process died before finishing its task."""


class Runner(Protocol):
    processes: int

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class Inline:
    """In this process, one task after the other (one core; what tests and small inputs use)."""

    processes = 1

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        return map(fn, tasks)

    def close(self) -> None:
        pass


class Processes:
    """`processes` forked worker processes (fork: they start at once with what this process has
    imported, spaCy included). Tasks are submitted `window` ahead of the one being yielded."""

    def __init__(self, processes: int, window: int | None = None) -> None:
        self.processes = processes
        self.window = window or 2 * processes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self._pool

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pool = self._executor()
        pending: deque[Future[R]] = deque()
        it = iter(tasks)
        try:
            for task in it:
                try:
                    pending.append(pool.submit(fn, task))
                except BrokenProcessPool:  # a worker died while earlier tasks ran
                    while pending:
                        _result(pending.popleft())  # the one that says so
                    raise WorkerLost(_LOST) from None
                if len(pending) >= self.window:
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _start_worker(parent: int) -> None:
    """What each worker process does first (the pool's initializer)."""
    _keep_freed_memory()
    _watch_parent(parent)


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """In a worker process: leave when the parent is gone. A pool's workers wait on a pipe that
    they hold both ends of, so a SIGKILLed parent would otherwise leave them waiting forever
    (with the model loaded, and every file descriptor the parent had open at the fork). Ctrl+C
    is the parent's to handle (it cancels what is queued and closes the pool): a worker that got
    it too would print its own traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


# glibc's malloc: what a worker frees stays its own for the next chunk, rather than going back
# to the kernel (blocks over 64 MB only are mapped alone, the heap is trimmed past 256 MB)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
MALLOC_SETTINGS = (
    (_M_MMAP_THRESHOLD, 64 << 20),
    (_M_TRIM_THRESHOLD, 256 << 20),
    (_M_TOP_PAD, 16 << 20),
)


def _keep_freed_memory() -> None:
    """In a worker process (which ends with its pool, so nothing is to restore): each chunk
    allocates and frees tens of MB (records, Arrow buffers, the pickled result), and memory
    handed back to the kernel comes back as new pages it must clear, a page fault per 4 KB
    (~15 % of an export's time on lines with tokens). Not glibc: nothing is done."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):  # one without mallopt
        return
    for param, value in MALLOC_SETTINGS:
        mallopt(param, value)


def _result(fut: Future[R]) -> R:
    try:
        return fut.result()
    except BrokenProcessPool:
        raise WorkerLost(_LOST) from None


def default_processes() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def runner(processes: int | None = None, scheduler: str | None = None) -> Runner:
    """A Dask cluster's runner when `scheduler` (tcp://HOST:PORT) is given, else `processes`
    worker processes (None: one per core), or this process alone for 1."""
    if scheduler is not None:
        from annotations.stream.cluster import Cluster

        return Cluster(scheduler)
    n = default_processes() if processes is None else processes
    return Inline() if n <= 1 else Processes(n)
