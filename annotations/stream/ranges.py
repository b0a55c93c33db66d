"""A JSONL file cut into byte ranges that start and end at line boundaries, each with the number
of its first line, so that a worker can read its range alone and still say `file:line`."""

from __future__ import annotations

import mmap
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
    enough lines), at newlines. A leading UTF-8 BOM is outside every part."""
    with open_input(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return []
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            start = len(BOM) if mm[: len(BOM)] == BOM else 0
            step = max(1, min(target_bytes, (size - start) // max(1, min_parts) + 1))
            parts: list[Part] = []
            line = 1
            while start < size:
                cut = min(size, start + step)
                if cut < size:
                    nl = mm.find(b"\n", cut - 1)
                    cut = size if nl < 0 else nl + 1
                parts.append(Part(str(path), start, cut, line))
                line += _newlines(mm, start, cut)
                start = cut
            return parts


def _newlines(mm: mmap.mmap, start: int, end: int, chunk: int = 8 << 20) -> int:
    return sum(mm[i : min(end, i + chunk)].count(b"\n") for i in range(start, end, chunk))
