"""`stream.ranges.split`: parts that cover the file at line boundaries, each with its first line
number, read without mapping the file (a mapping counts the whole file in the process's memory)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.stream import ranges
from annotations.stream.ranges import BOM, split


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x")), max_size=30),
    bom=st.booleans(),
    last_newline=st.booleans(),
    target=st.integers(1, 40),
    min_parts=st.integers(1, 4),
)
def test_parts_cover_the_file_at_line_boundaries(
    lines: list[bytes], bom: bool, last_newline: bool, target: int, min_parts: int
) -> None:
    data = (BOM if bom else b"") + b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_bytes(data)
        parts = split(path, target, min_parts)
    begin = len(BOM) if bom else 0
    if begin == len(data):
        assert parts == []
        return
    assert parts[0].start == begin and parts[-1].end == len(data)
    for a, b in itertools.pairwise(parts):
        assert a.end == b.start and data[a.end - 1 : a.end] == b"\n"
    for part in parts:
        assert part.first_line == data[: part.start].count(b"\n") + 1


def test_the_file_is_not_mapped() -> None:
    assert not hasattr(ranges, "mmap")
