"""A JSONL file cut into byte ranges that start and end at line boundaries, each with the number
of its first line, so that a worker can read its range alone and still say `file:line`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from annotations.inputs import open_input

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Part:
    """Bytes `start`..`end` of `path` (whole lines); `first_line` is the number of the line at
    `start` (1-based, as in messages)."""

    path: str
    start: int
    end: int
    first_line: int

    @property
    def size(self) -> int:
        return self.end - self.start


def split(path: str | Path, target_bytes: int = 32 << 20, min_parts: int = 1) -> list[Part]:
    """Cut `path` into parts of about `target_bytes` (at least `min_parts` when the file has
    enough lines), at newlines. A leading UTF-8 BOM is outside every part. The file is read
    with `pread`, not mapped: a mapping would count the whole file in this process's memory."""
    with open_input(path) as fh:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        if size == 0:
            return []
        start = len(BOM) if os.pread(fd, len(BOM), 0) == BOM else 0
        step = max(1, min(target_bytes, (size - start) // max(1, min_parts) + 1))
        parts: list[Part] = []
        line = 1
        while start < size:
            cut = min(size, start + step)
            if cut < size:
                nl = _find_newline(fd, cut - 1, size)
                cut = size if nl < 0 else nl + 1
            parts.append(Part(str(path), start, cut, line))
            line += _newlines(fd, start, cut)
            start = cut
        return parts


def _find_newline(fd: int, pos: int, size: int, chunk: int = 1 << 16) -> int:
    """The offset of the first newline at `pos` or after (-1: none)."""
    while pos < size:
        data = os.pread(fd, min(chunk, size - pos), pos)
        if not data:
            return -1
        nl = data.find(b"\n")
        if nl >= 0:
            return pos + nl
        pos += len(data)
    return -1


def _newlines(fd: int, start: int, end: int, chunk: int = 8 << 20) -> int:
    return sum(
        os.pread(fd, min(end, i + chunk) - i, i).count(b"\n") for i in range(start, end, chunk)
    )
