"""A Rich progress bar on stderr for the batch commands' long passes (`stream.progress`): the
phase, a bar, how many articles and how many per second, the time left. Only on a terminal,
and only once a pass has gone on for a moment (a small input never shows one).

`advance` is called for every record of a pass (100k times for 100k articles): it only counts,
and the bar is redrawn at most every `REDRAW_S` (asking whether stderr is a terminal, or giving
Rich a new figure, costs ~40 µs: 4 s of a 100k-article export, when done every time)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from annotations.text_safety import safe_text

SHOW_AFTER_S = 0.5
REDRAW_S = 0.1


class Bar:
    """`stream.progress.Progress` drawn as one transient Rich bar on `console` (stderr)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.terminal = self.console.is_terminal
        self.unit = "records"
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self.items = 0
        self.started = time.perf_counter()
        self.drawn = self.started

    def phase(self, name: str, total: int | None, unit: str = "records") -> None:
        self.name, self.total, self.done, self.items = safe_text(name), total, 0, 0
        self.unit = unit
        self.started = time.perf_counter()
        if self.bar is not None and self.task is not None:
            self.bar.reset(self.task, total=total, description=self.name, items=self._items())

    def _items(self) -> str:
        elapsed = time.perf_counter() - self.started
        rate = f", {self.items / elapsed:,.0f}/s" if elapsed > 0 and self.items else ""
        return f"{self.items:,} {self.unit}{rate}"

    def advance(self, done: int, items: int = 0) -> None:
        self.done += done
        self.items += items
        if not self.terminal:
            return
        now = time.perf_counter()
        if now - self.drawn < REDRAW_S:
            return
        self.drawn = now
        if self.bar is None:
            if now - self.started < SHOW_AFTER_S:
                return
            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                TextColumn("{task.fields[items]}", markup=False),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(
                self.name, total=self.total, completed=self.done, items=self._items()
            )
        elif self.task is not None:
            self.bar.update(self.task, completed=self.done, items=self._items())

    def __enter__(self) -> Bar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
