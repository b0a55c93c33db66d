"""Our JSONL (and Prodigy's) read for `agree` and `stats` on every core: per line only what they
need.

`read_files(paths, ...)` cuts each JSONL file into byte ranges (`ranges.split`) and hands the
k-th range of every file to one worker task (`read_parts`; annotators' files mostly list the
same articles in the same order); files of other formats are read in this process. Each line is
checked as `formats.read` checks it (the same first problem, as `file:line: message`: bad
UTF-8, NUL bytes, overlong lines, invalid JSON, anything `checks.problems` finds), then only its
annotator, article identity (input hash and a digest of the text) and answer are kept, and its
span offsets and labels (for `stats`) or its place in the file (for `agree`, which reads the
lines it needs again: `agreement.chunks`), as compact columns (`PartRecords`): no `Record`, no
`Token` objects, which is where the time went. The error raised
is the one reading the files one after the other would raise (that of the first file with one).

Each line is checked by `line_check` (msgspec first for a line with tokens, the whole way for
anything it does not take as it is). An error travels back as
data (`PartRecords.error`): `InputError` does not pickle.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.errors import InputError, UsageError
from annotations.formats import detect
from annotations.inputs import HEAD_BYTES, check_path, encoding_problem, open_input
from annotations.records import Record, input_hash, name_from_meta
from annotations.store.lines import BOM, MAX_LINE_BYTES, decode_line
from annotations.stream.line_check import TokenCache, checked, fast_check
from annotations.stream.progress import Progress
from annotations.stream.ranges import Part, split
from annotations.stream.runner import Inline, Runner, runner

PART_BYTES = 4 << 20
GROUP_PARTS = 4  # parts (of as many files) in one task at most
PARALLEL_FROM = 16 << 20  # bytes of input: below that, this process alone (forking costs more)
JSONL = ("jsonl", "prodigy")

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


def text_digest(text: str) -> int:
    """Which text this is, among the texts under one input hash (8 bytes of blake2b)."""
    data = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


# of one line: its text, meta name, spans as (start, end, label) rows (label: index into
# `PartRecords.labels`) and the boundaries of the tokens agreement counts (`counted`)
Kept = tuple[str, str | None, I64, I32]


@dataclass(frozen=True, slots=True)
class PartTask:
    part: Part
    index: bool  # where each line is, not its spans (`agreement.index`)
    file: int = 0  # the file's place among the inputs
    keep: bool = False  # (index) also what agreement needs of the lines with tokens: `Kept`


@dataclass(slots=True)
class PartRecords:
    """The records of one part, as columns (one entry per non-blank line, in file order)."""

    path: str
    size: int  # bytes read (for progress)
    file: int  # the file's place among the inputs (`PartTask.file`)
    error: tuple[int, str] | None = None  # (line, message) of the first bad line
    annotators: list[str | None] = field(default_factory=list)  # `_annotator_id`
    hashes: list[int] = field(default_factory=list)  # `_input_hash`, else computed
    digests: list[int] = field(default_factory=list)  # `text_digest(text)`
    answers: list[str | None] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # this part's label names
    span_counts: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    spans: I32 = field(default_factory=lambda: np.zeros((0, 3), np.int32))  # start, end, label
    # (index) where each line is in its file: its first byte and its length, newline excluded
    # and, when asked (`PartTask.keep`), what agreement needs of a line with tokens (else None)
    kept: list[Kept | None] = field(default_factory=list)
    starts: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    lengths: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def count(self) -> int:
        return len(self.hashes)

    def raise_error(self) -> None:
        if self.error is not None:
            raise InputError(self.path, *self.error)


def _lines(part: Part, data: bytes) -> list[tuple[int, int, bytes]]:
    """(line number, offset in the file, bytes) of each non-blank line, as
    `store.lines.iter_raw_lines` gives them; its errors (another encoding, an overlong line)
    raise."""
    bom = len(BOM) if part.first_line == 1 and part.start == len(BOM) else 0
    lines = data.split(b"\n")
    ends_with_newline = data.endswith(b"\n")
    if ends_with_newline:
        lines.pop()
    if part.first_line == 1 and part.start <= len(BOM):
        first = data[: data.find(b"\n") + 1] if b"\n" in data else data
        problem = encoding_problem((BOM[:bom] + first)[:HEAD_BYTES])
        if problem:
            raise InputError(part.path, 0, problem)
    out = []
    last = len(lines) - 1
    at = part.start
    for k, raw in enumerate(lines):
        where = at
        at += len(raw) + 1
        lineno = part.first_line + k
        extra = bom if k == 0 else 0
        if len(raw) + extra > MAX_LINE_BYTES:
            size = len(raw) + extra + (1 if k < last or ends_with_newline else 0)
            raise InputError(
                part.path,
                lineno,
                f"line is {size / 1e6:.1f} MB, over the {MAX_LINE_BYTES / 1e6:.0f} MB limit "
                "for one record",
            )
        raw = raw.rstrip(b"\r\n")
        if raw.strip():
            out.append((lineno, where, raw))
    return out


def read_part(task: PartTask, cache: TokenCache | None = None) -> PartRecords:
    """The records of one part (see the module docstring); the first bad line ends it."""
    part = task.part
    out = PartRecords(part.path, part.size, task.file)
    try:
        _read(part, task.index, out, cache or TokenCache(), task.keep)
    except InputError as exc:
        out.error = (exc.line, exc.message)
    return out


def read_parts(tasks: tuple[PartTask, ...]) -> list[PartRecords]:
    """`read_part` of each, sharing one `TokenCache` (the k-th part of every annotator's file
    mostly holds the same articles)."""
    cache = TokenCache()
    return [read_part(task, cache) for task in tasks]


def _read(part: Part, index: bool, out: PartRecords, cache: TokenCache, keep: bool) -> None:
    with open_input(part.path) as fh:
        fh.seek(part.start)
        data = fh.read(part.size)
    path = part.path
    label_ids: dict[str, int] = {}
    span_counts: list[int] = []
    span_rows: list[tuple[int, int, int]] = []
    starts: list[int] = []
    lengths: list[int] = []
    for lineno, where, raw in _lines(part, data):
        fast = fast_check(raw, cache)
        if fast is None:
            obj = decode_line(raw, path, lineno)
            bounds = checked(obj, path, lineno, cache)
        else:
            obj, bounds = fast
        text: str = obj["text"]
        h = obj.get("_input_hash")
        out.annotators.append(obj.get("_annotator_id"))
        out.hashes.append(h if h is not None else input_hash(text))
        out.digests.append(text_digest(text))
        out.answers.append(obj.get("answer"))
        if index:
            starts.append(where)
            lengths.append(len(raw))
            if keep and bounds is not None:
                kept = np.array(_rows(obj, label_ids), dtype=np.int64).reshape(-1, 3)
                out.kept.append((text, name_from_meta(obj.get("meta")), kept, bounds))
            else:
                out.kept.append(None)
            continue
        rows = _rows(obj, label_ids)
        span_rows.extend(rows)
        span_counts.append(len(rows))
    out.starts = np.array(starts, dtype=np.int64)
    out.lengths = np.array(lengths, dtype=np.int64)
    out.labels = list(label_ids)
    out.span_counts = np.array(span_counts, dtype=np.int64)
    out.spans = np.array(span_rows, dtype=np.int32).reshape(-1, 3)


def _rows(obj: dict[str, Any], label_ids: dict[str, int]) -> list[tuple[int, int, int]]:
    """The record's spans as (start, end, label), the label numbered in `label_ids`."""
    rows = []
    for span in obj.get("spans") or ():
        label = span["label"]
        k = label_ids.get(label)
        if k is None:
            k = label_ids[label] = len(label_ids)
        rows.append((span["start"], span["end"], k))
    return rows


@dataclass(slots=True)
class _File:
    path: Path
    kind: str  # its format
    parts: list[Part]  # JSONL: its parts (else empty)


def read_files(
    paths: Iterable[str | Path],
    fmt: str | None,
    index: bool,
    on_part: Callable[[PartRecords], None],
    on_record: Callable[[int, Record], None],
    progress: Progress,
    processes: int | None = None,
    read_options: Mapping[str, Any] | None = None,
    run: Runner | None = None,
    keep: Callable[[], bool] | None = None,
) -> None:
    """Every record of `paths`: the JSONL files' parts read by the workers, the k-th part of
    each file in one task (`read_parts`), each given to `on_part`; the records of other
    formats read here (`formats.read(path, fmt, **read_options)`) and given to
    `on_record(file index, record)`. Calls come in order within a file, not across files: the
    caller keeps a table per file. Raises the error reading the files one after the other would:
    that of the first file with one. `index`: of each JSONL line its place in the file
    (`PartRecords.starts`, `lengths`) rather than its spans, for a second pass to read it.
    `run`: the workers to use (left open for that pass), else some are started and closed.
    `keep()`, asked before each task: whether its lines with tokens come with `Kept` data."""
    from annotations.formats import read

    options = dict(read_options or {})
    files: list[_File] = []
    errors: dict[int, Exception] = {}
    for i, path in enumerate(map(Path, paths)):
        try:
            check_path(path)
            kind = fmt or detect(path)
            parts = []
            if kind in JSONL:
                read(path, kind, **options)  # what it checks before reading a line (not read)
                parts = split(path, PART_BYTES)
        except (InputError, UsageError) as exc:
            errors[i] = exc
            break  # no later file can have the first error
        files.append(_File(path, kind, parts))
    limit = len(files)  # files from this index on need not be read (an earlier one failed)

    def groups() -> Iterator[tuple[PartTask, ...]]:
        for k in range(max((len(f.parts) for f in files), default=0)):
            group = [
                PartTask(f.parts[k], index, i, index and keep is not None and keep())
                for i, f in enumerate(files[:limit])
                if k < len(f.parts)
            ]
            for at in range(0, len(group), GROUP_PARTS):  # many files: several tasks
                yield tuple(group[at : at + GROUP_PARTS])

    total = input_bytes([f.path for f in files])
    progress.phase("reading", total)
    own = run is None
    workers = pick_runner(total, processes) if run is None else run
    records = [0] * len(files)
    try:
        for results in workers.map(read_parts, groups()):
            for part in results:
                if part.file >= limit:
                    continue
                if part.error is not None:
                    errors[part.file] = InputError(part.path, *part.error)
                    limit = part.file
                    continue
                on_part(part)
                records[part.file] += part.count
                progress.advance(part.size, part.count)
    finally:
        if own:
            workers.close()
    for i, f in enumerate(files[:limit]):
        if f.kind in JSONL and not records[i]:
            errors[i] = InputError(f.path, 0, "file is empty (no records)")
            limit = i
            break
    for i, f in enumerate(files[:limit]):
        if f.kind not in JSONL:
            try:
                for item in read(f.path, f.kind, **options):
                    on_record(i, item.record)
                    progress.advance(0, 1)
            except (InputError, UsageError) as exc:
                errors[i] = exc
                break
    if errors:
        raise errors[min(errors)]


def input_bytes(paths: list[Path]) -> int:
    """The size of the input files (folders count nothing), for progress and `pick_runner`."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):  # reported in its place by `read_files`
            total += path.stat().st_size if path.is_file() else 0
    return total


def pick_runner(total_bytes: int, processes: int | None) -> Runner:
    """Worker processes for inputs worth it, this process alone for small ones."""
    return runner(processes) if total_bytes >= PARALLEL_FROM else Inline()
