"""`stream.ranges.split`: byte ranges at line boundaries that cover the file, each with the number
of its first line, read in small pieces (never mapped: a mapped file counts in memory whole)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.stream import ranges
from annotations.stream.ranges import BOM, split

LINES = st.lists(
    st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=12),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    lines=LINES,
    bom=st.booleans(),
    last_newline=st.booleans(),
    target=st.integers(1, 80),
    min_parts=st.integers(1, 4),
    read=st.integers(1, 16),
)
def test_parts_cover_the_file_at_line_boundaries(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[str],
    bom: bool,
    last_newline: bool,
    target: int,
    min_parts: int,
    read: int,
) -> None:
    data = "\n".join(lines).encode() + (b"\n" if last_newline and lines else b"")
    data = (BOM if bom else b"") + data
    path = tmp_path_factory.mktemp("ranges") / "a.jsonl"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ranges, "READ_BYTES", read)
        parts = split(path, target, min_parts)
    start = len(BOM) if bom else 0
    if len(data) <= start:  # nothing but a BOM, or nothing
        assert parts == []
        return
    assert parts[0].start == start and parts[-1].end == len(data)
    for a, b in itertools.pairwise(parts):
        assert a.end == b.start and data[a.end - 1 : a.end] == b"\n"
    for part in parts:
        assert part.first_line == data[start : part.start].count(b"\n") + 1
        assert part.size > 0


def test_a_file_without_newlines_is_one_part(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "x"}' * 50)
    assert [(p.start, p.end, p.first_line) for p in split(path, 16, 3)] == [(0, 650, 1)]


def test_the_file_is_read_not_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapped, a 2.35 GB input put 2.5 GB in the export's memory at its peak (the bench)."""
    import mmap

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("mapped")

    monkeypatch.setattr(mmap, "mmap", refuse)
    path = tmp_path / "a.jsonl"
    data = b'{"text": "x"}\n' * 40
    path.write_bytes(data)
    parts = split(path, 100, 2)
    assert len(parts) == 5
    assert [p.first_line for p in parts] == [data[: p.start].count(b"\n") + 1 for p in parts]
