"""`relecture suggest` in parts, on a `Runner` (this process, worker processes, a Dask cluster),
with the same output whichever runs it.

A JSONL source is cut into byte ranges (`stream.ranges.split`), read and parsed by the workers;
any other format is read by the command (its reader tokenises what has no tokens, as `suggest`
always did) and sent in batches of records. Two passes:

1. check: every part is read and checked in a worker, which sends back a digest of each record's
   article key; OUT is read the same way first. Nothing is written before every part has been
   checked, so a bad line anywhere leaves OUT as it was; the digests say which records OUT
   already holds (resume), which is all this process keeps (16 bytes per article, never the
   articles).
2. suggest: each part with work left runs in a worker through the suggestion chain its
   `ChainSpec` builds (once per worker process, kept for its later parts) and comes back as JSONL bytes, which the
   command appends in input order. OUT is byte for byte what one process writes, however many
   workers ran; an interrupted run leaves whole parts, and the rerun skips them.

The tasks name files by absolute path: on a cluster every worker must see SOURCE, OUT and the
patterns / learn-from / labels files at the same paths (one machine, or a shared file system).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from annotations.checks import parse_record
from annotations.errors import InputError
from annotations.formats import detect, read
from annotations.inputs import check_path, open_input
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.store.lines import decode_line, iter_raw_lines
from annotations.stream.ranges import BOM, Part, split
from annotations.stream.runner import Runner
from annotations.suggest.chain import Chain
from annotations.suggest.check import SuggestInputs, learn_format, learned_records
from annotations.suggest.factory import build_chain
from annotations.suggest.patterns import pattern_set

T = TypeVar("T")
R = TypeVar("R")

PART_BYTES = 512 << 10  # a few hundred articles: seconds of model time, a small result to hold
OUT_PART_BYTES = 8 << 20  # OUT's records have tokens: only read for their keys
PARTS_PER_PROCESS = 4  # at least: small inputs still spread over every worker
BATCH = 128  # records per task for a source that is not JSONL
DIGEST = 16  # bytes per article key digest
JSONL = ("jsonl", "prodigy")


def key_digest(record: Record) -> bytes:
    """A digest of the record's article key (`_input_hash` and text: see `ArticleKey`)."""
    h, text = record.article_key
    data = str(h).encode() + b"\0" + text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=DIGEST).digest()


@dataclass(frozen=True, slots=True)
class Learned:
    """A --learn-from file: read by `path` (absolute), named `shown` in messages, and, for a
    JSONL file, only its first `size` bytes (what it held when the command started: it may be
    OUT itself, or a file an annotator is appending to, and a worker that builds its chain later,
    or again after a restart, must learn what the others learnt)."""

    path: str
    shown: str
    size: int | None

    @classmethod
    def of(cls, path: Path) -> Learned:
        size = os.stat(path).st_size if learn_format(path) in JSONL else None
        return cls(os.path.abspath(path), str(path), size)

    def records(self) -> list[Record]:
        if self.size is None:
            return learned_records(self.path)
        learn_format(Path(self.path))  # missing, or no longer readable: said as for any input
        with open_input(self.path) as fh:
            start = len(BOM) if fh.read(len(BOM)) == BOM else 0
        if start >= self.size:
            return []
        return list(slice_records(Slice(Part(self.path, start, self.size, 1), self.shown)))


@dataclass(frozen=True, slots=True)
class ChainSpec:
    """The arguments the suggestion chain is built from, in every worker alike. Paths are
    absolute (a cluster's worker runs in another folder); the model stays as given (its name
    is written in the spans' source)."""

    model: str | None
    patterns: tuple[str, ...] = ()
    learn_from: tuple[Learned, ...] = ()
    labels: str | None = None
    # (size, mtime) of every file the chain is built from, the model's folder included: a
    # worker that lives on (a cluster's) builds the chain again when one of them was changed
    stamps: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(
        cls, model: str | None, patterns: list[Path], learn_from: list[Path], labels: Path | None
    ) -> ChainSpec:
        files = [*patterns, *learn_from, *([labels] if labels else [])]
        if model and os.path.exists(model):
            files += [Path(model), *sorted(Path(model).glob("*"))]
        return cls(
            model,
            tuple(os.path.abspath(p) for p in patterns),
            tuple(Learned.of(p) for p in learn_from),
            None if labels is None else os.path.abspath(labels),
            tuple((st.st_size, st.st_mtime_ns) for st in map(os.stat, files)),
        )

    def chain(self, inputs: SuggestInputs | None = None) -> Chain:
        """The chain, built once in this process and reused by every part it suggests; from
        `inputs` when the command has read the files already (`check_inputs`). One chain is
        kept (a model each): a worker of a cluster that runs for another spec drops the last."""
        global _CHAIN
        with _BUILDING:  # a Dask worker with several threads builds it once too
            if _CHAIN is None or _CHAIN[0] != self:
                _CHAIN = None  # the old one's memory is freed before the new one is loaded
                _CHAIN = (self, self._build(inputs))
            return _CHAIN[1]

    def _build(self, inputs: SuggestInputs | None) -> Chain:
        scheme = load_scheme(self.labels)
        if inputs is None:
            learned = tuple(r for one in self.learn_from for r in one.records())
            inputs = SuggestInputs(tuple(pattern_set(p, scheme) for p in self.patterns), learned)
        chain, _ = build_chain(self.model, n_process=1, scheme=scheme, inputs=inputs)
        return chain


_CHAIN: tuple[ChainSpec, Chain] | None = None
_BUILDING = threading.Lock()


@dataclass(frozen=True, slots=True)
class Slice:
    """A byte range of a JSONL file (`part.path` absolute), named `shown` in messages."""

    part: Part
    shown: str


@dataclass(frozen=True, slots=True)
class Work:
    """One task of the suggest pass: a byte range, or records read by the command, less the
    ones at `skip` (their indices in the part), already in OUT."""

    spec: ChainSpec
    piece: Slice | None = None
    records: tuple[Record, ...] = ()
    skip: frozenset[int] = frozenset()


def slice_records(piece: Slice) -> Iterator[Record]:
    """The records of a byte range, checked, with their line numbers in the whole file."""
    part = piece.part
    with open_input(part.path) as fh:
        fh.seek(part.start)
        data = fh.read(part.size)
    # `iter_raw_lines` checks the encoding at its first line: a blank line stands in front of
    # a range from the middle of the file
    offset = part.first_line - 1
    if part.first_line > 1:
        data, offset = b"\n" + data, offset - 1
    for lineno, raw in iter_raw_lines(io.BytesIO(data), piece.shown):
        if isinstance(raw, InputError):
            raise InputError(piece.shown, lineno + offset, raw.message)
        line = lineno + offset
        yield parse_record(decode_line(raw, piece.shown, line), piece.shown, line)


def check_slice(piece: Slice) -> bytes:
    """Pass 1 in a worker: the key digests of the range's records, in order (bad input raises)."""
    return b"".join(key_digest(record) for record in slice_records(piece))


def suggest_work(work: Work) -> tuple[int, bytes]:
    """Pass 2 in a worker: (articles, their JSONL lines) with the chain's suggestions."""
    chain = work.spec.chain()
    if work.piece is not None:
        records: list[Record] = list(slice_records(work.piece))
    else:
        records = list(work.records)
    todo = [r for i, r in enumerate(records) if i not in work.skip]
    lines = [r.to_json() + b"\n" for batch in chain.stream(iter(todo)) for r in batch]
    return len(todo), b"".join(lines)


@dataclass
class Plan:
    """What pass 1 found: each part and its records already done, and the counts."""

    spec: ChainSpec
    source: Path
    fmt: str
    fmt_given: str | None
    slices: list[tuple[Slice, int, frozenset[int]]] = field(default_factory=list)  # records, skip
    batch_skips: list[frozenset[int]] = field(default_factory=list)
    records: int = 0
    todo: int = 0

    def works(self) -> Iterator[Work]:
        """The tasks of pass 2, parts with nothing left to do left out."""
        if self.fmt in JSONL:
            for piece, n, skip in self.slices:
                if len(skip) < n:
                    yield Work(self.spec, piece=piece, skip=skip)
            return
        # read as `suggest` always read them: the reader completes them (tokens, aligned spans)
        for i, batch in enumerate(_batches(self.source, self.fmt_given, tokens=True)):
            skip = self.batch_skips[i]
            if len(skip) < len(batch):
                yield Work(self.spec, records=tuple(batch), skip=skip)


def _batches(source: Path, fmt: str | None, tokens: bool) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for item in read(source, fmt, tokens=tokens):
        batch.append(item.record)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _slices(path: Path, target: int, runner: Runner) -> list[Slice]:
    parts = split(os.path.abspath(path), target, PARTS_PER_PROCESS * runner.processes)
    return [Slice(part, str(path)) for part in parts]


def _digests(blob: bytes) -> Iterator[bytes]:
    return (blob[i : i + DIGEST] for i in range(0, len(blob), DIGEST))


def done_keys(out: Path, runner: Runner, advance: Callable[[int], Any]) -> set[bytes]:
    """The key digests of the articles OUT holds (its records are checked as they are read)."""
    if not out.stat().st_size:
        return set()
    done: set[bytes] = set()
    pieces = _slices(out, OUT_PART_BYTES, runner)
    with mapped(runner, check_slice, pieces) as blobs:
        for piece, blob in zip(pieces, blobs, strict=True):
            done.update(_digests(blob))
            advance(piece.part.size)
    if not done:
        raise InputError(out, 0, "file is empty (no records)")
    return done


def check_source(
    source: Path,
    fmt: str | None,
    spec: ChainSpec,
    runner: Runner,
    done: set[bytes],
    advance: Callable[[int], Any],
) -> Plan:
    """Pass 1: every record of SOURCE read and checked, the ones in `done` marked to skip.
    `advance(n)` is told the bytes (JSONL) or records read as it goes."""
    check_path(source)
    detected = fmt or detect(source)
    plan = Plan(spec, source, detected, fmt)
    if detected in JSONL:
        pieces = _slices(source, PART_BYTES, runner)
        with mapped(runner, check_slice, pieces) as blobs:
            for piece, blob in zip(pieces, blobs, strict=True):
                skip = frozenset(i for i, d in enumerate(_digests(blob)) if d in done)
                n = len(blob) // DIGEST
                plan.slices.append((piece, n, skip))
                plan.records += n
                plan.todo += n - len(skip)
                advance(piece.part.size)
        if not plan.records:
            raise InputError(source, 0, "file is empty (no records)")
    else:
        for batch in _batches(source, fmt, tokens=False):  # the keys only: no tokenising
            skip = frozenset(i for i, r in enumerate(batch) if key_digest(r) in done)
            plan.batch_skips.append(skip)
            plan.records += len(batch)
            plan.todo += len(batch) - len(skip)
            advance(len(batch))
    return plan


def suggest_plan(plan: Plan, runner: Runner) -> AbstractContextManager[Iterator[tuple[int, bytes]]]:
    """Pass 2: (articles, JSONL lines) of each part with work left, in input order."""
    return mapped(runner, suggest_work, plan.works())


@contextmanager
def mapped(runner: Runner, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[Iterator[R]]:
    """`runner.map(fn, tasks)`, closed on the way out however it is left: the tasks still in
    flight are cancelled then, not when the traceback that holds the map is freed."""
    results = runner.map(fn, tasks)
    try:
        yield results
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
