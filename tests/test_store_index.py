"""The large-file index: random access by record number, blank lines, BOM/CRLF, errors on demand."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.errors import InputError
from annotations.records import Record, Span
from annotations.store.index import JsonlIndex


def make(i: int) -> Record:
    text = f"Article numéro {i} sur Meta."
    at = text.index("Meta")
    return Record(text=text, spans=[Span(at, at + 4, "ORG")]).with_hashes()


def test_random_access_equals_sequential(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(make(i).to_json() + b"\n" for i in range(1000)))
    with JsonlIndex(path, cache_size=8) as index:
        assert len(index) == 1000
        for i in (999, 0, 500, 1, 998, -1):
            assert index[i] == make(i % 1000)
        assert list(index)[:3] == [make(0), make(1), make(2)]
        with pytest.raises(IndexError):
            index[1000]


def test_blank_lines_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + make(0).to_json() + b"\r\n\r\n   \n" + make(1).to_json() + b"\r\n"
    )
    with JsonlIndex(path) as index:
        assert len(index) == 2
        assert [index.line_of(0), index.line_of(1)] == [1, 4]
        assert index[1] == make(1)


def test_last_line_without_newline_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(make(0).to_json() + b"\n" + make(1).to_json())
    with JsonlIndex(path) as index:
        assert len(index) == 2 and index[1] == make(1)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with JsonlIndex(empty) as index:
        assert len(index) == 0


def test_a_bad_line_is_reported_when_read_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(make(0).to_json() + b"\n\n{broken\n" + make(1).to_json() + b"\n")
    with JsonlIndex(path) as index:
        assert len(index) == 3
        assert index[2] == make(1)
        with pytest.raises(InputError, match=rf"{path}:3: invalid JSON"):
            index[1]
