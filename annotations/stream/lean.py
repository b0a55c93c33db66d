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

A line with tokens is decoded by msgspec with its tokens left as JSON bytes (`decoded.untyped`,
`fast_check`): the same article's tokens in the next annotator's line are the same bytes, found good
once per task (`TokenCache`), and new ones are decoded into typed structs and checked as
`checks._tokens_fine` checks them, column-wise (a token line has hundreds). Any other line, or
one that this does not take as it is, is decoded by orjson and checked the whole way; whenever
a check does not pass, `checks.problems` itself says what is wrong, so the messages are its. An error travels back as
data (`PartRecords.error`): `InputError` does not pickle.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import orjson

from annotations.checks import problems
from annotations.errors import InputError, UsageError
from annotations.formats import detect
from annotations.inputs import HEAD_BYTES, check_path, encoding_problem, open_input
from annotations.records import Record, input_hash, name_from_meta
from annotations.store.lines import BOM, MAX_LINE_BYTES, decode_line
from annotations.stream.decoded import TOKENS, token_columns, untyped
from annotations.stream.progress import Progress
from annotations.stream.ranges import Part, split
from annotations.stream.runner import Inline, Runner, runner

PART_BYTES = 4 << 20
GROUP_PARTS = 4  # parts (of as many files) in one task at most
PARALLEL_FROM = 16 << 20  # bytes of input: below that, this process alone (forking costs more)
JSONL = ("jsonl", "prodigy")

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

_START, _END, _TEXT, _ID = (
    itemgetter("start"),
    itemgetter("end"),
    itemgetter("text"),
    itemgetter("id"),
)
_WS = itemgetter("ws")
_WS_OR_FALSE = methodcaller("get", "ws", False)


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


def _tokens_ok(tokens: list[Any], text: str) -> tuple[I32, npt.NDArray[np.bool_]] | None:
    """When `checks._tokens_fine` accepts these tokens: their (n, 2) starts and ends, and which
    of them agreement counts (`counted`); else None."""
    n = len(tokens)
    if n == 0:
        return np.zeros((0, 2), np.int32), np.zeros(0, bool)
    if set(map(type, tokens)) != {dict}:
        return None
    try:
        starts = list(map(_START, tokens))
        ends = list(map(_END, tokens))
        ids = list(map(_ID, tokens))
        texts = list(map(_TEXT, tokens))
    except KeyError:
        return None
    try:
        ws = set(map(type, map(_WS, tokens)))
    except KeyError:  # a token without "ws": as false
        ws = set(map(type, map(_WS_OR_FALSE, tokens)))
    if (
        set(map(type, starts)) != {int}
        or set(map(type, ends)) != {int}
        or set(map(type, ids)) != {int}
        or set(map(type, texts)) != {str}
        or not ws <= {bool}
        or ids != list(range(n))
    ):
        return None
    try:
        s = np.array(starts, dtype=np.int64)
        e = np.array(ends, dtype=np.int64)
    except OverflowError:
        return None
    if (
        s[0] < 0
        or bool((e < s).any())
        or e[-1] > len(text)
        or bool((s[1:] < e[:-1]).any())
        or bool(((e - s) != np.fromiter(map(len, texts), np.int64, n)).any())
        or not all(map(text.startswith, texts, starts))
    ):
        return None
    keep = (e > s) & ~np.fromiter(map(str.isspace, texts), bool, n)
    return np.stack([s, e], axis=1).astype(np.int32), keep


class TokenCache:
    """Token lists already found good in this task, by their text: the same article's tokens
    in the next annotator's line (the same part, or the same part of the next file) are
    compared as JSON bytes (`orjson.dumps`, in C: `0` is not `false` there, as `==` would have
    it) rather than checked again. Holds at most `size` lists."""

    def __init__(self, size: int = 1500) -> None:
        self.size = size
        self._seen: dict[str, tuple[bytes, tuple[I32, npt.NDArray[np.bool_]]]] = {}

    def check(self, tokens: list[Any], text: str) -> tuple[I32, npt.NDArray[np.bool_]] | None:
        if not self.size:
            return _tokens_ok(tokens, text)
        try:
            as_json = orjson.dumps(tokens)
        except (TypeError, orjson.JSONEncodeError):
            return _tokens_ok(tokens, text)
        known = self._seen.get(text)
        if known is not None and known[0] == as_json:
            return known[1]
        found = _tokens_ok(tokens, text)
        self._keep(text, as_json, found)
        return found

    def check_raw(self, as_json: bytes, text: str) -> tuple[I32, npt.NDArray[np.bool_]] | None:
        """`check` of tokens still as the JSON bytes of their line (`decoded.untyped`): decoded
        (by msgspec) only when new, and None also for what msgspec does not take as it is
        (the caller then reads the line the whole way)."""
        known = self._seen.get(text)
        if known is not None and known[0] == as_json:
            return known[1]
        try:
            columns = token_columns(TOKENS.decode(as_json), text)
        except msgspec.DecodeError:
            return None
        if columns is None:
            return None
        texts, s, e = columns
        found = (
            np.stack([s, e], axis=1).astype(np.int32),
            (e > s) & ~np.fromiter(map(str.isspace, texts), bool, len(texts)),
        )
        self._keep(text, as_json, found)
        return found

    def _keep(
        self, text: str, as_json: bytes, found: tuple[I32, npt.NDArray[np.bool_]] | None
    ) -> None:
        if found is not None and self.size and len(self._seen) < self.size:
            self._seen[text] = (as_json, found)


def _spans_on_tokens(obj: dict[str, Any], bounds: npt.NDArray[Any]) -> bool:
    """The spans' and suggestions' token_start/token_end cover their offsets (the part of
    `checks._spans_fine` that needs the tokens; `checks.problems` checks the rest without
    them). False for anything unexpected: `checks.problems` then says what is wrong."""
    n = len(bounds)
    try:
        for key in ("spans", "suggestions"):
            for span in obj.get(key) or ():
                ts, te = span.get("token_start"), span.get("token_end")
                if ts is None and te is None:
                    continue
                if not 0 <= ts <= te < n:
                    return False
                # as Python integers: a list where an offset is due must not broadcast
                if int(bounds[ts, 0]) != span["start"] or int(bounds[te, 1]) != span["end"]:
                    return False
    except (AttributeError, TypeError, KeyError, IndexError):
        return False
    return True


def fast_check(raw: bytes, cache: TokenCache) -> tuple[dict[str, Any], I32] | None:
    """A line with tokens decoded by msgspec and found good as `checked` finds it: its values
    (the tokens left out) and `checked`'s boundaries; None for anything else (the caller reads
    it the whole way, for the same message or the same values)."""
    decoded = untyped(raw) if b'"tokens"' in raw else None
    if decoded is None:
        return None
    obj, tokens = decoded
    text = obj.get("text")
    if tokens is None or type(text) is not str:
        return None
    found = cache.check_raw(tokens, text)
    if found is None or not _spans_on_tokens(obj, found[0]) or problems(obj):
        return None
    bounds, keep = found
    return obj, bounds if keep.all() else bounds[keep]


def checked(obj: Any, path: str, line: int, cache: TokenCache | None = None) -> I32 | None:
    """Check one decoded line as `checks.parse_record` does (raises its first problem as
    `InputError`); returns the boundaries of the tokens agreement counts (`counted`), None when
    the record has no tokens."""
    tokens = obj.get("tokens") if isinstance(obj, dict) else None
    text = obj.get("text") if isinstance(obj, dict) else None
    if isinstance(tokens, list) and isinstance(text, str):
        found = (cache or TokenCache(0)).check(tokens, text)
        if (
            found is not None
            and _spans_on_tokens(obj, found[0])
            and not problems({**obj, "tokens": None})
        ):
            bounds, keep = found
            return bounds if keep.all() else bounds[keep]
    found_problems = problems(obj)
    if found_problems:
        raise InputError(path, line, found_problems[0])
    if tokens is None:
        return None
    return counted([(t["start"], t["end"]) for t in tokens], obj["text"])


def counted(pairs: Iterable[tuple[int, int]], text: str) -> I32:
    """The tokens agreement counts, as (n, 2) starts and ends: those neither empty nor made only
    of whitespace (what `agreement.tokens` leaves out of tokens it is given as `Token`s)."""
    kept = [(s, e) for s, e in pairs if e > s and not text[s:e].isspace()]
    return np.array(kept, dtype=np.int32).reshape(-1, 2)


def token_bounds(tokens: list[dict[str, Any]], text: str) -> I32:
    """`counted` of tokens already checked (`checked`): their starts and ends, blank ones left
    out, column-wise."""
    if not tokens:
        return np.zeros((0, 2), np.int32)
    s = np.fromiter(map(_START, tokens), np.int64, len(tokens))
    e = np.fromiter(map(_END, tokens), np.int64, len(tokens))
    keep = (e > s) & ~np.fromiter(map(str.isspace, map(_TEXT, tokens)), bool, len(tokens))
    bounds = np.stack([s, e], axis=1).astype(np.int32)
    return bounds if keep.all() else bounds[keep]


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
