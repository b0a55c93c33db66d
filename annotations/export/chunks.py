"""Pass 2 of an export: a chunk of rows made into what its format writes, in a worker process.

A chunk is up to `CHUNK` rows of one split, in the export's order. `build(spec, chunk)` reads
each row's record whole (by byte range, when the row comes from the index of pass 1), votes a
`majority` row's spans, puts spans on tokens (`prepare_row`: tokenising with spaCy when the
record has none) and makes the format's piece: an Arrow record batch (hf), a compressed piece of
a DocBin (spacy), CoNLL text, or JSONL bytes. The writer (`annotations.export.write`) appends the pieces
in order, so the files are the same whatever ran the chunks and however many workers did.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotations.align import Policy
from annotations.checks import parse_record
from annotations.export.index import Stub
from annotations.export.lean import Columned, Lean, lean, plain
from annotations.export.prepare import prepare_row
from annotations.export.select import Row, vote
from annotations.records import Record
from annotations.store.lines import decode_line
from annotations.stream.runner import per_worker

CHUNK = 2048
LEAN_FORMATS = ("hf", "conll", "spacy")  # what a `lean.Lean` holds is all they write


@dataclass(frozen=True)
class Spec:
    """What every chunk of one export shares."""

    fmt: str
    labels: tuple[str, ...]
    align: str
    one_tag: bool
    paths: tuple[str, ...] = ()  # the inputs, for rows read from the index


@dataclass
class Chunk:
    split: str
    rows: list[Row]


@dataclass
class Built:
    """A chunk made: the format's piece, its counts, and the warnings it raised (in order)."""

    split: str
    payload: Any
    rows: int = 0
    tokens: int = 0
    spans: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    # CoNLL's, said after every chunk's other warnings (as when the checks all came first)
    late_warnings: list[str] = field(default_factory=list)
    dropped_spans: int = 0  # `majority`: spans without a majority
    first_drop: int | None = None  # the `Row.position` of the first row that dropped some


def _read(stub: Stub, paths: Sequence[str], fds: dict[int, int] | None = None) -> bytes:
    """The stub's line, as bytes; `fds`: the inputs this chunk has open (by file index)."""
    path = paths[stub.file]
    if fds is None:
        with open(path, "rb") as fh:
            return os.pread(fh.fileno(), stub.length, stub.offset)
    if stub.file not in fds:
        fds[stub.file] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    return os.pread(fds[stub.file], stub.length, stub.offset)


def load(stub: Stub, paths: Sequence[str], obj: Any = None) -> tuple[Record, str]:
    """The record a stub stands for, read whole (or `obj`, its line decoded) and checked as a
    whole read checks it."""
    path = paths[stub.file]
    if obj is None:
        obj = decode_line(_read(stub, paths), path, stub.line)
    record = parse_record(obj, path, stub.line)
    if record.annotator is None:
        record.annotator = stub.annotator  # a file's name, when several files carry none
    record.with_hashes().suggestions = None
    return record, f"{path}:{stub.line}"


def _materialise(rows: list[Row], spec: Spec) -> list[Row]:
    """Rows with their records read whole; for hf, a line that needs nothing done becomes a
    `lean.Lean` (see there), which the batch builder takes as it is."""
    return list(_each_read(rows, spec))


def _each_read(rows: list[Row], spec: Spec) -> Generator[Row, None, None]:
    """`_materialise`, a row at a time."""
    paths = spec.paths
    allowed = frozenset(spec.labels) if spec.fmt in LEAN_FORMATS else None
    columns = spec.fmt == "hf"
    fds: dict[int, int] = {}
    try:
        for row in rows:
            yield _read_row(row, paths, allowed, fds, columns)
    finally:
        for fd in fds.values():
            os.close(fd)


def _read_row(
    row: Row,
    paths: Sequence[str],
    allowed: frozenset[str] | None,
    fds: dict[int, int],
    columns: bool = False,
) -> Row:
    if row.voters is not None:
        voters = [load(r, paths) if isinstance(r, Stub) else (r, w) for r, w in row.voters]
        return Row(row.record, row.annotators, row.where, row.id, row.input_hash, voters)
    if isinstance(row.record, Stub):
        stub = row.record
        raw = _read(stub, paths, fds)
        fast: Any = lean(raw, allowed, columns) if allowed is not None else None
        obj = None
        if fast is None:
            obj = decode_line(raw, paths[stub.file], stub.line)
            fast = plain(obj, allowed) if allowed is not None else None
        if fast is not None:
            where = f"{paths[stub.file]}:{stub.line}"
            return Row(fast, row.annotators, where, row.id, row.input_hash)
        record, where = load(stub, paths, obj)
        return Row(record, row.annotators, where, row.id, row.input_hash)
    return row


def build(spec: Spec, chunk: Chunk) -> Built:
    if spec.fmt != "hf":
        return _build_each(spec, chunk)
    rows = _materialise(chunk.rows, spec)
    built = Built(chunk.split, None, rows=len(rows))
    rows = [_voted(row, built) for row in rows]
    prepare = _preparer(spec, built)
    for row in rows:
        prepare(row)
    _hf(spec, rows, built)
    return built


def _voted(row: Row, built: Built) -> Row:
    """A `majority` row with the spans its voters agree on (and the spans dropped counted)."""
    if row.voters is None:
        return row
    record, where, dropped = vote(row.voters)
    built.dropped_spans += dropped
    if dropped and (built.first_drop is None or row.position < built.first_drop):
        built.first_drop = row.position
    return Row(record, row.annotators, where, row.id, row.input_hash)


def _preparer(spec: Spec, built: Built) -> Callable[[Row], None]:
    allowed = frozenset(spec.labels)
    policy = Policy(spec.align)

    def prepare(row: Row) -> None:
        if not isinstance(row.record, Lean | Columned):
            prepare_row(
                row, policy, allowed, one_tag_per_token=spec.one_tag, warn=built.warnings.append
            )

    return prepare


def _build_each(spec: Spec, chunk: Chunk) -> Built:
    """spacy, conll and the line formats, a row at a time, so that a worker never holds a whole
    chunk of records (with their tokens) at once. An error is the one building the chunk stage
    by stage would raise: the first that reading raises, else the first that voting or
    preparing raises, else the first of the format's."""
    built = Built(chunk.split, None, rows=len(chunk.rows))
    failed: dict[str, Exception] = {}
    prepare = _preparer(spec, built)

    def ready() -> Generator[Row, None, None]:
        read = _each_read(chunk.rows, spec)
        try:
            while True:
                try:
                    row = next(read)
                except StopIteration:
                    return
                except Exception as exc:
                    failed["read"] = exc
                    raise
                if "prepare" in failed:
                    continue  # read on: a reading error comes first
                try:
                    row = _voted(row, built)
                    prepare(row)
                except Exception as exc:
                    failed["prepare"] = exc
                    continue
                record = row.record
                built.tokens += len(getattr(record, "token_texts", None) or record.tokens or ())
                built.spans.update(span.label for span in record.spans or ())
                yield row
        finally:
            read.close()

    rows = ready()
    try:
        if spec.fmt == "spacy":
            built.payload = _spacy(rows)
        elif spec.fmt == "conll":
            built.payload = _conll(rows, built.late_warnings.append)
        else:
            built.payload = _lines(rows, spec.fmt)
    except Exception as exc:
        if "read" in failed:
            raise
        failed["format"] = exc
        for _ in rows:  # the rest is read (and prepared), for the errors that come first
            pass
    finally:
        rows.close()
    for stage in ("read", "prepare", "format"):
        if stage in failed:
            raise failed[stage]
    return built


def _hf(spec: Spec, rows: list[Row], built: Built) -> None:
    from annotations.export.hf import build_batch, features

    schema = per_worker(("hf-schema", spec.labels), lambda: features(spec.labels).arrow_schema)
    batch, counts, n_tokens = build_batch(rows, spec.labels, schema)
    built.payload = batch
    built.tokens = n_tokens
    for label, n in zip(spec.labels, counts, strict=False):
        if n:
            built.spans[label] += n


def _spacy(rows: Iterable[Row]) -> Any:
    from annotations.export.docbin import pack
    from annotations.tokenize import french_tokenizer

    return pack(french_tokenizer().vocab, rows)


def _conll(rows: Iterable[Row], warn: Any) -> str:
    from annotations.export.conll import block

    return "".join([block(row, warn) for row in rows])


def _lines(rows: Iterable[Row], fmt: str) -> bytes:
    from annotations.export.lines import SERIALISERS

    serialise = SERIALISERS[fmt]
    return b"".join(orjson.dumps(serialise(row.record)) + b"\n" for row in rows)


def chunks(splits: Mapping[str, Sequence[Row]], size: int | None = None) -> Iterator[Chunk]:
    """The chunks of every split, in order, made as they are asked for (rows from an index are
    made then: see `columns.RowTable`)."""
    size = size or CHUNK
    for split, rows in splits.items():
        for i in range(0, len(rows), size):
            yield Chunk(split, list(rows[i : i + size]))


def paths_of(inputs: Sequence[Path]) -> tuple[str, ...]:
    return tuple(str(p) for p in inputs)
