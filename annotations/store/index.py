"""Random access to a large JSONL file: a newline index built over an mmap, records parsed on
demand through an LRU cache. The file is never held in memory: the pages scanned to build the
index are released as the scan goes (`MADV_DONTNEED`), and a record is read with `pread`.
"""

from __future__ import annotations

import mmap
import os
from array import array
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from annotations.checks import parse_record
from annotations.errors import InputError
from annotations.inputs import HEAD_BYTES, encoding_problem, open_input
from annotations.labels import LabelScheme
from annotations.records import Record
from annotations.store.lines import BOM, MAX_LINE_BYTES, decode_line

_CHUNK = 32 << 20
_WS = frozenset(b" \t\r\x0b\x0c")


class JsonlIndex:
    """`len(index)`, `index[i]` (a `Record`), `index.line_of(i)`; blank lines are not records."""

    def __init__(
        self, path: str | Path, scheme: LabelScheme | None = None, cache_size: int = 256
    ) -> None:
        self.path = Path(path)
        self.scheme = scheme
        # a FIFO or a device is refused, never opened; owned by the index, closed in close()
        self._fh = open_input(self.path)
        problem = encoding_problem(self._fh.read(HEAD_BYTES))
        if problem:
            self._fh.close()
            raise InputError(self.path, 0, problem)
        size = os.fstat(self._fh.fileno()).st_size
        self._starts = array("q")
        self._ends = array("q")
        self._lines = array("q")
        if size == 0:
            self._mm: mmap.mmap | None = None
            return
        self._mm = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
        self._build(size)
        self._get = lru_cache(maxsize=cache_size)(self._load)

    def _build(self, size: int) -> None:
        mm = self._mm
        assert mm is not None
        find = mm.find
        starts, ends, lines = self._starts, self._ends, self._lines
        pos = 3 if mm[:3] == BOM else 0
        lineno = 0
        released = 0
        while pos < size:
            nl = find(b"\n", pos)
            end = size if nl < 0 else nl
            lineno += 1
            stop = end
            if stop > pos and mm[stop - 1] == 13:  # CRLF
                stop -= 1
            if stop > pos and (mm[pos] not in _WS or not mm[pos:stop].isspace()):
                starts.append(pos)
                ends.append(stop)
                lines.append(lineno)
            pos = end + 1
            if pos - released >= _CHUNK:  # give the scanned pages back: RSS stays small
                cut = pos - pos % mmap.PAGESIZE
                mm.madvise(mmap.MADV_DONTNEED, released, cut - released)
                released = cut

    def __len__(self) -> int:
        return len(self._starts)

    def line_of(self, i: int) -> int:
        return self._lines[i]

    def raw(self, i: int) -> bytes:
        # pread, not an mmap slice: mapped pages would stay in our RSS, read pages do not
        start = self._starts[i]
        return os.pread(self._fh.fileno(), self._ends[i] - start, start)

    def _load(self, i: int) -> Record:
        start, end, lineno = self._starts[i], self._ends[i], self._lines[i]
        if end - start > MAX_LINE_BYTES:
            raise InputError(self.path, lineno, f"line is {(end - start) / 1e6:.1f} MB, too long")
        obj = decode_line(self.raw(i), self.path, lineno)
        return parse_record(obj, self.path, lineno, self.scheme)

    def __getitem__(self, i: int) -> Record:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._get(i % len(self))

    def __iter__(self) -> Iterator[Record]:
        for i in range(len(self)):
            yield self[i]

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
            self._mm = None
        self._fh.close()

    def __enter__(self) -> JsonlIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
