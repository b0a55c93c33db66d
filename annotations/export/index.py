"""Pass 1 of a streaming export: what decides the selection, for every line of the JSONL inputs.

Each line gives a `Stub`: its annotator, `_input_hash`, a digest of its text (an article is its
hash and its text: `Record.article_key`), its answer, the labels of its spans and where it is
(file, byte offset and length, line number). `annotations.export.select` chooses rows from stubs
exactly as from records; pass 2 (`annotations.export.chunks`) reads the chosen lines again by
byte range. Nothing else of a line is kept, so the index of 1M lines is ~200 MB however large
the articles are.

The lines are parsed with simdjson (validating, ~10× faster than building Python objects for a
line with tokens) in worker processes, one byte range each; a line simdjson reads otherwise than
orjson (a key twice, an integer over 64 bits) is decoded by orjson, as a whole read decodes it.
Pass 1 checks the JSON and the fields it reads, with the messages `checks.problems` gives;
everything else of a line is checked in pass 2, when the line is read whole: the chosen lines
by the chunks, the others (superseded, rejected...) by `check_lines`, so that an export refuses
the same files as when every record was read whole.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any

import simdjson

from annotations.checks import type_name
from annotations.errors import InputError
from annotations.inputs import HEAD_BYTES, encoding_problem, open_input
from annotations.records import ANSWERS, input_hash
from annotations.store.lines import MAX_LINE_BYTES, decode_line
from annotations.stream.ranges import Part, split
from annotations.stream.runner import Runner

PART_BYTES = 16 << 20


class Digest(bytes):
    """A text as pass 1 keeps it: 8 bytes of its BLAKE2b digest, compared where the selection
    compares texts; `isspace()` is whether the text is only whitespace (such articles are left
    out, see `select`), which the first byte says."""

    __slots__ = ()

    def isspace(self) -> bool:
        return self[0] == 1


def digest(text: str) -> Digest:
    flag = b"\x01" if text.isspace() else b"\x00"
    return Digest(
        flag + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    )


@dataclass(slots=True)
class Stub:
    """A line of an input as the selection sees it (duck-typed as a `Record`: `annotator`,
    `input_hash`, `task_hash`, `text`, `answer`) and where to read it whole."""

    annotator: str | None
    input_hash: int
    text: Digest
    answer: str | None
    labels: tuple[str, ...]
    file: int  # index into the inputs
    offset: int
    length: int
    line: int
    task_hash: int = 0  # the selection fills hashes it finds missing: nothing to fill

    def with_hashes(self) -> Stub:
        return self

    def where(self, paths: Sequence[Path]) -> str:
        return f"{paths[self.file]}:{self.line}"


@dataclass(frozen=True, slots=True)
class PartTask:
    part: Part
    file: int
    default_annotator: str | None


# what a worker sends back for one part: columns, not objects (cheap to pickle)
PartIndex = tuple[list[Any], ...]


def scan_part(task: PartTask) -> PartIndex:
    """Pass 1 over one byte range (run in a worker)."""
    part = task.part
    parser = simdjson.Parser()
    annotators: list[str | None] = []
    hashes: list[int] = []
    digests: list[bytes] = []  # made `Digest`s by `scan`: a cluster may send plain bytes
    answers: list[str | None] = []
    labels: list[tuple[str, ...]] = []
    offsets: list[int] = []
    lengths: list[int] = []
    lines: list[int] = []
    label_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
    path = part.path
    for lineno, offset, raw in _lines(part):
        try:
            obj: Any = parser.parse(raw)
            if isinstance(obj, simdjson.Object):
                keys = list(obj.keys())
                if len(keys) != len(set(keys)):  # orjson keeps the last value, simdjson the first
                    raise ValueError("a key twice")
        except (ValueError, RuntimeError):  # also what simdjson cannot hold (integers > 64 bits)
            obj = decode_line(raw, path, lineno)  # as the whole read decodes it, or its message
        try:
            who, h, text, answer, used = _fields(obj, path, lineno)
        finally:
            del obj
        if who is None:
            who = task.default_annotator
        annotators.append(intern(who) if who is not None else None)
        hashes.append(h if h is not None else input_hash(text))
        digests.append(digest(text))
        answers.append(answer)
        labels.append(label_tuples.setdefault(used, used))
        offsets.append(offset)
        lengths.append(len(raw))
        lines.append(lineno)
    return annotators, hashes, digests, answers, labels, offsets, lengths, lines


def _fields(obj: Any, path: str, lineno: int) -> tuple[Any, Any, str, Any, tuple[str, ...]]:
    """The fields pass 1 keeps, checked as `checks.problems` checks them."""
    if not isinstance(obj, simdjson.Object | dict):
        raise InputError(path, lineno, f"expected a JSON object, got {_simd_type(obj)}")
    text = obj.get("text", _MISSING)
    if text is _MISSING:
        raise InputError(path, lineno, "missing 'text'")
    if not isinstance(text, str):
        raise InputError(path, lineno, f"'text' must be a string, got {_simd_type(text)}")
    if not text:
        raise InputError(path, lineno, "'text' is empty")
    who = obj.get("_annotator_id")
    if "_annotator_id" in obj and not isinstance(who, str):
        raise InputError(path, lineno, f"'_annotator_id' must be string, got {_simd_type(who)}")
    h = obj.get("_input_hash")
    if "_input_hash" in obj and (type(h) is not int):
        raise InputError(path, lineno, f"'_input_hash' must be an integer, got {_simd_type(h)}")
    answer = obj.get("answer")
    if "answer" in obj and answer not in ANSWERS:
        raise InputError(
            path, lineno, f"'answer' must be one of {', '.join(ANSWERS)}, got {_plain(answer)!r}"
        )
    used: tuple[str, ...] = ()
    spans = obj.get("spans")
    if isinstance(spans, simdjson.Array | list):
        names = set()
        for span in spans:
            if isinstance(span, simdjson.Object | dict):
                label = span.get("label")
                if isinstance(label, str):
                    names.add(label)
        used = tuple(sorted(names))
    return who, h, text, answer, used


_MISSING = object()


def _plain(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "as_list"):
        return value.as_list()
    return value


def _simd_type(value: Any) -> str:
    return type_name(_plain(value))


def _lines(part: Part) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, bytes without the newline) of each non-blank line in `part`."""
    with open_input(part.path) as fh:
        fh.seek(part.start)
        data = fh.read(part.size)
    path = part.path
    lineno = part.first_line
    pos = 0
    end = len(data)
    while pos < end:
        nl = data.find(b"\n", pos)
        stop = end if nl < 0 else nl
        raw = data[pos:stop]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(
                path,
                lineno,
                f"line is {len(raw) / 1e6:.1f} MB, over the {MAX_LINE_BYTES / 1e6:.0f} MB limit "
                "for one record",
            )
        if raw.strip():
            if b"\x00" in raw:
                decode_line(raw, path, lineno)
            # bad UTF-8: simdjson refuses it (it validates), and `decode_line` names the byte
            yield lineno, part.start + pos, raw
        lineno += 1
        pos = stop + 1


def file_parts(path: Path, file: int, default: str | None, processes: int) -> list[PartTask]:
    """The parts of one input, after the checks a whole read makes first (encoding, empty)."""
    with open_input(path) as fh:
        head = fh.read(HEAD_BYTES)
        size = os.fstat(fh.fileno()).st_size
    problem = encoding_problem(head)
    if problem:
        raise InputError(path, 0, problem)
    parts = split(path, PART_BYTES, min_parts=processes) if size else []
    return [PartTask(part, file, default) for part in parts]


class Lines:
    """Where every line of the inputs is (file, offset, length, line number), 32 bytes a line:
    what pass 2 reads again to check the lines no row holds (`unchosen`)."""

    def __init__(self) -> None:
        self.cols = [array("q"), array("q"), array("q"), array("q")]

    def add(self, file: int, offsets: list[int], lengths: list[int], lines: list[int]) -> None:
        files, offs, lens, nums = self.cols
        files.extend([file] * len(offsets))
        offs.extend(offsets)
        lens.extend(lengths)
        nums.extend(lines)

    def unchosen(self, chosen: set[int], size: int = 2048) -> Iterator[list[tuple[int, ...]]]:
        """The lines whose `key(file, line)` is not in `chosen`, in file order, in batches."""
        batch: list[tuple[int, ...]] = []
        for loc in zip(*self.cols, strict=True):
            if key(loc[0], loc[3]) not in chosen:
                batch.append(loc)
                if len(batch) == size:
                    yield batch
                    batch = []
        if batch:
            yield batch


def key(file: int, line: int) -> int:
    return (file << 40) | line


def check_lines(task: tuple[tuple[str, ...], list[tuple[int, ...]]]) -> None:
    """Read lines whole and check them as a whole read does (`parse_record`): the lines of the
    inputs that no exported row holds (superseded, rejected...) are checked too (in a worker)."""
    from annotations.checks import parse_record

    paths, locations = task
    handles: dict[int, Any] = {}
    try:
        for file, offset, length, line in locations:
            if file not in handles:
                handles[file] = open(paths[file], "rb")  # noqa: SIM115  (closed below)
            raw = os.pread(handles[file].fileno(), length, offset)
            parse_record(decode_line(raw, paths[file], line), paths[file], line)
    finally:
        for fh in handles.values():
            fh.close()


def scan(
    paths: Sequence[Path],
    defaults: Sequence[str | None],
    runner: Runner,
    lines_seen: Lines | None = None,
) -> Iterator[Stub]:
    """Every line of `paths` as a `Stub`, in file order (parts run in `runner`'s workers);
    `lines_seen` is told where each line is."""
    tasks = [
        task
        for i, (path, default) in enumerate(zip(paths, defaults, strict=True))
        for task in file_parts(path, i, default, runner.processes)
    ]
    seen = [False] * len(paths)
    for task, columns in zip(tasks, runner.map(scan_part, tasks), strict=True):
        annotators, hashes, digests, answers, labels, offsets, lengths, lines = columns
        seen[task.file] = seen[task.file] or bool(lines)
        f = task.file
        if lines_seen is not None:
            lines_seen.add(f, offsets, lengths, lines)
        for row in zip(
            annotators, hashes, digests, answers, labels, offsets, lengths, lines, strict=True
        ):
            yield Stub(row[0], row[1], Digest(row[2]), row[3], row[4], f, row[5], row[6], row[7])
    for path, any_line in zip(paths, seen, strict=True):
        if not any_line:
            raise InputError(path, 0, "file is empty (no records)")
