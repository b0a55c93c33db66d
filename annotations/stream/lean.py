"""Our JSONL (and Prodigy's) read for `agree` and `stats`: per line only what they need.

`read_part(task)` runs in a worker process on one byte range of a file (`ranges.Part`). Every line
is checked as `formats.read` checks it (the same first problem, reported as `file:line: message`:
bad UTF-8, NUL bytes, overlong lines, invalid JSON, anything `checks.problems` finds), then only
its annotator, article identity (input hash and a digest of the text), answer, meta name, span
offsets and labels, and (for `agree`) its text and token boundaries are kept, as compact columns
(`PartRecords`): no `Record`, no `Token` objects, which is where the time went.

The token check is the one of `checks._tokens_fine` done column-wise (a token line has hundreds);
whenever it does not pass, `checks.problems` itself says what is wrong, so the messages are its.
An error travels back as data (`PartRecords.error`): `InputError` does not pickle.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.checks import problems
from annotations.errors import InputError
from annotations.formats import detect
from annotations.inputs import HEAD_BYTES, check_path, encoding_problem, open_input
from annotations.records import input_hash, name_from_meta
from annotations.store.lines import BOM, MAX_LINE_BYTES, decode_line
from annotations.stream.ranges import Part, split
from annotations.stream.runner import Inline, Runner, runner

PART_BYTES = 8 << 20
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


@dataclass(frozen=True, slots=True)
class PartTask:
    part: Part
    agree: bool  # also texts, names, span offsets and token boundaries (else: what stats needs)


@dataclass(slots=True)
class PartRecords:
    """The records of one part, as columns (one entry per non-blank line, in file order)."""

    path: str
    size: int  # bytes read (for progress)
    error: tuple[int, str] | None = None  # (line, message) of the first bad line
    annotators: list[str | None] = field(default_factory=list)  # `_annotator_id`
    hashes: list[int] = field(default_factory=list)  # `_input_hash`, else computed
    digests: list[int] = field(default_factory=list)  # `text_digest(text)`
    answers: list[str | None] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)  # `name_from_meta` (agree)
    texts: list[str] = field(default_factory=list)  # (agree)
    labels: list[str] = field(default_factory=list)  # this part's label names
    span_counts: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    spans: I32 = field(default_factory=lambda: np.zeros((0, 3), np.int32))  # start, end, label
    token_counts: I64 = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: no tokens
    tokens: I32 = field(default_factory=lambda: np.zeros((0, 2), np.int32))  # start, end

    @property
    def count(self) -> int:
        return len(self.hashes)

    def raise_error(self) -> None:
        if self.error is not None:
            raise InputError(self.path, *self.error)


def _token_bounds(obj: dict[str, Any], tokens: list[Any], text: str) -> I32 | None:
    """(n, 2) starts and ends of the tokens agreement counts (`counted`) when
    `checks._tokens_fine` accepts these tokens and the spans' token indices agree with them;
    else None."""
    n = len(tokens)
    if n == 0:
        return np.zeros((0, 2), np.int32) if _spans_on_tokens(obj, np.zeros((0, 2))) else None
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
    bounds = np.stack([s, e], axis=1).astype(np.int32)
    if not _spans_on_tokens(obj, bounds):
        return None
    keep = (e > s) & ~np.fromiter(map(str.isspace, texts), bool, n)
    return bounds if keep.all() else bounds[keep]


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
                if bounds[ts, 0] != span["start"] or bounds[te, 1] != span["end"]:
                    return False
    except (AttributeError, TypeError, KeyError, IndexError):
        return False
    return True


def checked(obj: Any, path: str, line: int) -> I32 | None:
    """Check one decoded line as `checks.parse_record` does (raises its first problem as
    `InputError`); returns the boundaries of the tokens agreement counts (`counted`), None when
    the record has no tokens."""
    tokens = obj.get("tokens") if isinstance(obj, dict) else None
    if isinstance(tokens, list) and isinstance(obj.get("text"), str):
        bounds = _token_bounds(obj, tokens, obj["text"])
        if bounds is not None and not problems({**obj, "tokens": None}):
            return bounds
    found = problems(obj)
    if found:
        raise InputError(path, line, found[0])
    if tokens is None:
        return None
    return counted([(t["start"], t["end"]) for t in tokens], obj["text"])


def counted(pairs: Iterable[tuple[int, int]], text: str) -> I32:
    """The tokens agreement counts, as (n, 2) starts and ends: those neither empty nor made only
    of whitespace (what `agreement.tokens` leaves out of tokens it is given as `Token`s)."""
    kept = [(s, e) for s, e in pairs if e > s and not text[s:e].isspace()]
    return np.array(kept, dtype=np.int32).reshape(-1, 2)


def _lines(part: Part, data: bytes) -> list[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line, as `store.lines.iter_raw_lines` gives them;
    its errors (another encoding, an overlong line) raise."""
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
    for k, raw in enumerate(lines):
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
            out.append((lineno, raw))
    return out


def read_part(task: PartTask) -> PartRecords:
    """The records of one part (see the module docstring); the first bad line ends it."""
    part = task.part
    out = PartRecords(part.path, part.size)
    try:
        _read(part, task.agree, out)
    except InputError as exc:
        out.error = (exc.line, exc.message)
    return out


def _read(part: Part, agree: bool, out: PartRecords) -> None:
    with open_input(part.path) as fh:
        fh.seek(part.start)
        data = fh.read(part.size)
    path = part.path
    label_ids: dict[str, int] = {}
    span_counts: list[int] = []
    span_rows: list[tuple[int, int, int]] = []
    token_counts: list[int] = []
    token_arrays: list[I32] = []
    for lineno, raw in _lines(part, data):
        obj = decode_line(raw, path, lineno)
        bounds = checked(obj, path, lineno)
        text: str = obj["text"]
        h = obj.get("_input_hash")
        out.annotators.append(obj.get("_annotator_id"))
        out.hashes.append(h if h is not None else input_hash(text))
        out.digests.append(text_digest(text))
        out.answers.append(obj.get("answer"))
        spans = obj.get("spans") or ()
        for span in spans:
            label = span["label"]
            k = label_ids.get(label)
            if k is None:
                k = label_ids[label] = len(label_ids)
            span_rows.append((span["start"], span["end"], k))
        span_counts.append(len(spans))
        if agree:
            out.texts.append(text)
            out.names.append(name_from_meta(obj.get("meta")))
            if bounds is None:
                token_counts.append(-1)
            else:
                token_counts.append(len(bounds))
                token_arrays.append(bounds)
    out.labels = list(label_ids)
    out.span_counts = np.array(span_counts, dtype=np.int64)
    out.spans = np.array(span_rows, dtype=np.int32).reshape(-1, 3)
    out.token_counts = np.array(token_counts, dtype=np.int64)
    if token_arrays:
        out.tokens = np.concatenate(token_arrays)


@dataclass(frozen=True, slots=True)
class Here:
    """A task the main process does itself: read a file of another format (`fmt`), check that
    a JSONL file had records (`fmt` None), or raise the error met while looking at a file."""

    path: str
    fmt: str | None = None
    error: tuple[str, int, str] | None = None


def work(task: PartTask | Here) -> PartRecords | Here:
    return read_part(task) if isinstance(task, PartTask) else task


def tasks(
    paths: Iterable[Path], fmt: str | None, agree: bool, part_bytes: int | None = None
) -> Iterator[PartTask | Here]:
    """The parts of each JSONL file, a `Here` for each file of another format and after each
    JSONL file; a file is looked at when the tasks before it have been handed out."""
    for path in paths:
        try:
            check_path(path)
            kind = fmt or detect(path)
            if kind not in JSONL:
                yield Here(str(path), kind)
                continue
            parts = split(path, part_bytes or PART_BYTES)
        except InputError as exc:
            yield Here(str(path), error=(exc.path, exc.line, exc.message))
            return
        for part in parts:
            yield PartTask(part, agree)
        yield Here(str(path))


def input_bytes(paths: list[Path]) -> int:
    """The size of the input files (folders count nothing), for progress and `pick_runner`."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):  # reported in its place by `tasks`
            total += path.stat().st_size if path.is_file() else 0
    return total


def pick_runner(total_bytes: int, processes: int | None) -> Runner:
    """Worker processes for inputs worth it, this process alone for small ones."""
    return runner(processes) if total_bytes >= PARALLEL_FROM else Inline()
