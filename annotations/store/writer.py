"""The append-only JSONL writer: one writer per file (advisory lock), every record fsync'd,
a torn last line (crash mid-write) set aside in a sidecar file on open, never dropped silently.
A process forked while a writer is open (a worker process) does not keep its file: the lock is
the writing process's alone, and dies with it, whatever its workers do.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotations.errors import UsageError
from annotations.records import Record

log = logging.getLogger("relecture.store")
_OPEN: weakref.WeakSet[JsonlWriter] = weakref.WeakSet()


class FileLocked(UsageError):
    pass


@dataclass(frozen=True, slots=True)
class TornTail:
    """What `JsonlWriter` found after the last complete line, and where it put it."""

    path: Path
    sidecar: Path
    size: int

    def __str__(self) -> str:
        return (
            f"{self.path}: the last line was cut off (crash while writing?); its {self.size} bytes "
            f"were moved to {self.sidecar}"
        )


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JsonlWriter:
    """Append records durably. `with JsonlWriter(path) as w: w.append(record)`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        existed = self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = -1
            raise FileLocked(
                f"{self.path} is already open for writing by another relecture session; "
                "close that one first (one writer per file)"
            ) from None
        _OPEN.add(self)
        if not existed:
            fsync_dir(self.path.resolve().parent)
        self.torn: TornTail | None = self._recover_torn_tail()
        if self.torn:  # the commands print it themselves, drawn literally
            log.info("%s", self.torn)

    def _recover_torn_tail(self) -> TornTail | None:
        size = os.fstat(self._fd).st_size
        if size == 0:
            return None
        last_nl = _last_newline(self._fd, size)
        tail_start = last_nl + 1
        if tail_start == size:
            return None
        tail = os.pread(self._fd, size - tail_start, tail_start)
        try:
            complete = isinstance(orjson.loads(tail.strip(b"\r\x00 \t") or b"x"), dict)
        except orjson.JSONDecodeError:
            complete = False
        if complete:  # a whole record that only lacks its newline: keep it, finish the line
            os.write(self._fd, b"\n")
            os.fsync(self._fd)
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S")
        sidecar = self.path.with_name(f"{self.path.name}.torn-{stamp}-{os.getpid()}")
        with open(sidecar, "wb") as fh:
            fh.write(tail)
            fh.flush()
            os.fsync(fh.fileno())
        os.ftruncate(self._fd, tail_start)
        os.fsync(self._fd)
        fsync_dir(self.path.resolve().parent)
        return TornTail(self.path, sidecar, len(tail))

    def append(self, record: Record | dict[str, Any]) -> None:
        """Write one line and fsync it: durable when this returns."""
        self.append_many((record,))

    def append_many(self, records: Iterable[Record | dict[str, Any]]) -> int:
        data = b"".join(
            (r.to_json() if isinstance(r, Record) else orjson.dumps(r)) + b"\n" for r in records
        )
        return self.append_lines(data)

    def append_lines(self, data: bytes) -> int:
        """Write whole JSONL lines (each ending with a newline, as `Record.to_json()` + `\\n`
        makes them, in a worker process) and fsync them."""
        if data and not data.endswith(b"\n"):
            raise ValueError("append_lines takes whole lines")
        view = memoryview(data)
        start = os.fstat(self._fd).st_size  # one writer per file: nobody else appends
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        except OSError as exc:
            # disk full (a part may be written): cut it off, or the next record would be glued
            # to it; and name the file, which os.write's error does not
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from exc
        return len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing releases the flock
            self._fd = -1

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)


def _forget_in_child() -> None:
    """In a forked child: close the writers' files (their locks stay with the parent)."""
    for writer in list(_OPEN):
        fd, writer._fd = writer._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


os.register_at_fork(after_in_child=_forget_in_child)


def _last_newline(fd: int, size: int, chunk: int = 1 << 16) -> int:
    """Offset of the last b'\\n' in the file, or -1."""
    end = size
    while end > 0:
        start = max(0, end - chunk)
        block = os.pread(fd, end - start, start)
        pos = block.rfind(b"\n")
        if pos >= 0:
            return start + pos
        end = start
    return -1
