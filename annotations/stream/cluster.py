"""The `Runner` of a Dask distributed cluster (`--scheduler tcp://HOST:PORT`): tasks are
submitted to its workers `window` ahead of the one being yielded, results come back in task
order, and a task whose worker was lost (killed, out of memory, its machine gone) is run again
by the scheduler on another worker, so nothing is lost or done twice from the caller's side.

Dask is an optional extra (`pip install 'relecture[dask]'`): it is imported here only, when a
scheduler is given. `fn` and the tasks travel to the workers by pickle: module-level functions of
`annotations` (relecture is installed on every worker) and plain data.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from annotations.errors import UsageError
from annotations.stream.runner import WorkerLost

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT = 5.0  # seconds: an address nobody answers at is a typo, not a slow network
RETRIES = 2  # a task that raised is tried this many times more (a worker lost is retried anyway)
INSTALL = "pip install 'relecture[dask]'"
_ADDRESS = re.compile(r"(?:(?:tcp|tls)://)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):\d{1,5}")


class Cluster:
    """The workers of the Dask scheduler at `address`; `processes` is their threads in all."""

    def __init__(self, address: str, window: int | None = None, retries: int = RETRIES) -> None:
        if not _ADDRESS.fullmatch(address):
            raise UsageError(f"--scheduler {address!r}: not a scheduler address (tcp://HOST:PORT)")
        try:
            from distributed import Client
        except ImportError:
            raise UsageError(f"--scheduler needs Dask, which is not installed: {INSTALL}") from None
        self.address = address
        self.retries = retries
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"cannot reach the Dask scheduler at {address} "
                f"(no answer within {CONNECT_TIMEOUT:g} s: is `dask scheduler` running there?)"
            ) from exc
        self.processes = max(1, sum(self.client.nthreads().values()))
        self.window = window or 2 * self.processes

    def map(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        pending: deque[Any] = deque()
        try:
            for task in tasks:
                pending.append(self.client.submit(fn, task, pure=False, retries=self.retries))
                if len(pending) >= self.window:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            if pending and self.client.status == "running":
                self.client.cancel(list(pending))

    def _result(self, future: Any) -> Any:
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        try:
            return future.result()
        except KilledWorker:
            raise WorkerLost(
                "Dask workers died running the same part again and again (out of memory?)"
            ) from None
        except FutureCancelledError as exc:  # the scheduler went away, or restarted
            raise WorkerLost(
                f"the Dask scheduler at {self.address} dropped a part: {exc}"
            ) from None
        finally:
            future.release()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
