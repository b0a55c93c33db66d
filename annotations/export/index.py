"""Pass 1 of a streaming export: what decides the selection, for every line of the JSONL inputs.

Each line gives one entry of an `Index`, held in numpy columns (~51 bytes a line: 1M lines in
~50 MB, however large the articles are): its annotator, `_input_hash`, a digest of its text (an
article is its hash and its text: `Record.article_key`), its answer, the labels of its spans
(annotators and label sets as codes into small tables) and where it is (file, byte offset and
length, line number). `annotations.export.columns` makes the selection on those columns, and
a line becomes a `Stub` (what `annotations.export.select` chooses from, duck-typed as a record)
only when pass 2 (`annotations.export.chunks`) needs it, a chunk at a time, to read it again by
byte range.

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
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    return Digest((b"\x01" if text.isspace() else b"\x00") + _blake(text))


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


# what a worker sends back for one part: numpy columns and the small tables their codes index
# (cheap to pickle, and what the index keeps as they are)
PartIndex = dict[str, Any]

ANSWER_CODES: tuple[str | None, ...] = (None, *ANSWERS)
_ANSWER_CODE = {a: i for i, a in enumerate(ANSWER_CODES)}
_U64 = 1 << 64


def scan_part(task: PartTask) -> PartIndex:
    """Pass 1 over one byte range (run in a worker)."""
    import numpy as np

    part = task.part
    parser = simdjson.Parser()
    who_codes: dict[str | None, int] = {}
    label_codes: dict[tuple[str, ...], int] = {}
    annotators: list[int] = []
    bits: list[int] = []  # the hash's 64 bits, as a signed integer
    big: list[bool] = []  # a hash of 2**63 or more (its bits are negative)
    digests: list[bytes] = []
    blank: list[bool] = []
    answers: list[int] = []
    labels: list[int] = []
    offsets: list[int] = []
    lengths: list[int] = []
    lines: list[int] = []
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
        annotators.append(who_codes.setdefault(who, len(who_codes)))
        if h is None:
            h = input_hash(text)
        bits.append(h - _U64 if h >= 1 << 63 else h)
        big.append(h >= 1 << 63)
        digests.append(_blake(text))
        blank.append(text.isspace())
        answers.append(_ANSWER_CODE[answer])
        labels.append(label_codes.setdefault(used, len(label_codes)))
        offsets.append(offset)
        lengths.append(len(raw))
        lines.append(lineno)
    return {
        "annotator": np.array(annotators, np.int32),
        "annotators": list(who_codes),
        "bits": np.array(bits, np.int64),
        "big": np.array(big, np.bool_),
        "digest": np.frombuffer(b"".join(digests), "<u8").copy(),
        "blank": np.array(blank, np.bool_),
        "answer": np.array(answers, np.int8),
        "labels": np.array(labels, np.int32),
        "label_sets": list(label_codes),
        "offset": np.array(offsets, np.int64),
        "length": np.array(lengths, np.int32),
        "line": np.array(lines, np.int64),
    }


def _blake(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


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
    """(line number, byte offset, bytes without the newline) of each non-blank line in `part`.

    The part is read into a buffer this thread reuses from part to part (taken while in use):
    a new one each time would be new memory for the kernel to clear, a page fault per 4 KB (a
    third of pass 1 on lines with tokens)."""
    buf: bytearray | None = getattr(_BUFFERS, "buf", None)
    _BUFFERS.buf = None
    if buf is None or len(buf) < part.size:
        buf = bytearray(part.size)
    try:
        view = memoryview(buf)
        with open_input(part.path) as fh:
            end = os.preadv(fh.fileno(), [view[: part.size]], part.start)
        yield from _split(part, buf, view, end)
    finally:
        del view
        _BUFFERS.buf = buf


_BUFFERS = threading.local()


def _split(
    part: Part, buf: bytearray, view: memoryview, end: int
) -> Iterator[tuple[int, int, bytes]]:
    path = part.path
    lineno = part.first_line
    pos = 0
    find = buf.find
    while pos < end:
        nl = find(b"\n", pos, end)
        stop = end if nl < 0 else nl
        if stop > pos and buf[stop - 1] == 13:  # \r
            raw = view[pos : stop - 1].tobytes()
        else:
            raw = view[pos:stop].tobytes()
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


COLUMNS = ("annotator", "bits", "big", "digest", "blank", "answer", "labels", "offset", "length")


class Index:
    """Every line of the inputs, in file order, in numpy columns (see the module docstring):
    `annotator` and `labels` are codes into `annotators` and `label_sets`, `answer` a code
    into `ANSWER_CODES`; a hash is `bits` (its 64 bits, signed) and `big` (2**63 or more)."""

    def __init__(self) -> None:
        import numpy as np

        self.annotators: list[str | None] = []
        self.label_sets: list[tuple[str, ...]] = []
        self._who: dict[str | None, int] = {}
        self._sets: dict[tuple[str, ...], int] = {}
        self._parts: list[dict[str, Any]] = []
        self.annotator = self.labels = self.file = self.length = np.zeros(0, np.int32)
        self.bits = self.offset = self.line = np.zeros(0, np.int64)
        self.digest = np.zeros(0, np.uint64)
        self.big = self.blank = np.zeros(0, np.bool_)
        self.answer = np.zeros(0, np.int8)

    def __len__(self) -> int:
        return len(self.line)

    def add(self, file: int, part: PartIndex) -> None:
        """One part's columns (in file order), their codes made the index's own."""
        import numpy as np

        who = [self._code(self._who, self.annotators, name) for name in part["annotators"]]
        sets = [self._code(self._sets, self.label_sets, used) for used in part["label_sets"]]
        cols = {name: part[name] for name in (*COLUMNS, "line")}
        cols["annotator"] = np.array(who, np.int32)[cols["annotator"]]
        cols["labels"] = np.array(sets, np.int32)[cols["labels"]]
        cols["file"] = np.full(len(cols["line"]), file, np.int32)
        self._parts.append(cols)

    @staticmethod
    def _code(codes: dict[Any, int], table: list[Any], value: Any) -> int:
        if value not in codes:
            codes[value] = len(table)
            table.append(value)
        return codes[value]

    def finish(self) -> None:
        """The parts made one column each (`add` is done)."""
        import numpy as np

        if self._parts:
            for name in (*COLUMNS, "line", "file"):
                setattr(self, name, np.concatenate([p[name] for p in self._parts]))
        self._parts = []

    def hash_of(self, i: int) -> int:
        h = int(self.bits[i])
        return h + _U64 if self.big[i] else h

    def stubs(self, which: Any = None) -> list[Stub]:
        """The lines at `which` (every line when None) as stubs."""
        import numpy as np

        at = np.arange(len(self)) if which is None else np.asarray(which, np.int64)
        who, sets, answers = self.annotators, self.label_sets, ANSWER_CODES
        hashes = self.bits[at].tolist()
        bigs = self.big[at].tolist()
        flags = self.blank[at].tolist()
        digests = self.digest[at].astype("<u8").tobytes()
        out = []
        for k, (a, h, b, flag, ans, lab, f, off, n, line) in enumerate(
            zip(
                self.annotator[at].tolist(),
                hashes,
                bigs,
                flags,
                self.answer[at].tolist(),
                self.labels[at].tolist(),
                self.file[at].tolist(),
                self.offset[at].tolist(),
                self.length[at].tolist(),
                self.line[at].tolist(),
                strict=True,
            )
        ):
            text = Digest((b"\x01" if flag else b"\x00") + digests[8 * k : 8 * k + 8])
            hash_ = h + _U64 if b else h
            out.append(Stub(who[a], hash_, text, answers[ans], sets[lab], f, off, n, line))
        return out

    def where(self, i: int, paths: Sequence[str]) -> str:
        return f"{paths[self.file[i]]}:{self.line[i]}"

    def locations(self, which: Any, size: int = 2048) -> Iterator[list[tuple[int, ...]]]:
        """(file, offset, length, line) of the lines at `which` (in that order), in batches."""
        for i in range(0, len(which), size):
            at = which[i : i + size]
            yield list(
                zip(
                    self.file[at].tolist(),
                    self.offset[at].tolist(),
                    self.length[at].tolist(),
                    self.line[at].tolist(),
                    strict=True,
                )
            )


def check_lines(task: tuple[tuple[str, ...], list[tuple[int, ...]]]) -> None:
    """Read lines whole and check them as a whole read does (`parse_record`): the lines of the
    inputs that no exported row holds (superseded, rejected...) are checked too (in a worker)."""
    from annotations.checks import parse_record
    from annotations.stream.line_check import TokenCache, fast_check

    paths, locations = task
    handles: dict[int, Any] = {}
    cache = TokenCache(0)
    try:
        for file, offset, length, line in locations:
            if file not in handles:
                handles[file] = open(paths[file], "rb")  # noqa: SIM115  (closed below)
            raw = os.pread(handles[file].fileno(), length, offset)
            if fast_check(raw, cache) is None:  # a line with tokens found good, without Tokens
                parse_record(decode_line(raw, paths[file], line), paths[file], line)
    finally:
        for fh in handles.values():
            fh.close()


def scan(
    paths: Sequence[Path],
    defaults: Sequence[str | None],
    runner: Runner,
    advance: Callable[[int], None] | None = None,
    before_fork: Callable[[], None] | None = None,
) -> Index:
    """Every line of `paths` in an `Index` (parts run in `runner`'s workers); `advance` is told
    how many lines each part had; `before_fork` is called once the parts are cut, before the
    first task runs (and may fork the workers)."""
    tasks = [
        task
        for i, (path, default) in enumerate(zip(paths, defaults, strict=True))
        for task in file_parts(path, i, default, runner.processes)
    ]
    if before_fork is not None:
        before_fork()
    seen = [False] * len(paths)
    index = Index()
    for task, columns in zip(tasks, runner.map(scan_part, tasks), strict=True):
        n = len(columns["line"])
        seen[task.file] = seen[task.file] or bool(n)
        index.add(task.file, columns)
        if advance is not None:
            advance(n)
    for path, any_line in zip(paths, seen, strict=True):
        if not any_line:
            raise InputError(path, 0, "file is empty (no records)")
    index.finish()
    return index
